/*
 * Unit tests for the pure pieces of experiments/backend-native: the stamp
 * buffer (overflow is counted, never silent), which tasks run on which
 * vCPU, stamp capacity, progress_pct, and the user-space round-robin driven
 * by a fake clock (each unit advances it by unit_work). Then the threads
 * themselves, unpinned and with tiny work units so that they finish at
 * once: a whole run's stamps, a stop mid-run, an abort before the start,
 * and hogs whose setup fails together (each error reported, none lost).
 * These are what `make VARIANT=tsan check` watches for races; no timing is
 * judged here beyond "it stopped long before the run would have ended".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <math.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "experiments/backend-native.h"

#define MS 1000000LL

static void assert_near(double got, double want, double eps)
{
	if (fabs(got - want) > eps)
		fail_msg("got %.12g, want %.12g (+- %g)", got, want, eps);
}

/* A resolved-looking spec: 1 vCPU on CPU 0, sched load of @tasks tasks. */
static struct spec base_spec(int tasks, int64_t units)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.duration_ns = 3000 * MS;
	s.repeat = 1;
	s.sample_interval_ns = 10 * MS;
	s.vcpus = 1;
	s.pins[0] = 0;
	s.slice_ns = 4 * MS;
	s.workload = SPEC_WORKLOAD_SCHED;
	s.tasks = tasks;
	s.units = units;
	s.unit_work_ns = 1 * MS;
	return s;
}

static void test_backend_native_stampbuf_overflow(void **state)
{
	struct stampbuf b;
	int i;

	(void)state;
	assert_int_equal(stampbuf_init(&b, 3), 0);
	for (i = 0; i < 5; i++)
		stampbuf_push(&b, (i + 1) * MS, i % 2, (uint64_t)(10 + i));
	assert_int_equal(b.n, 3);
	assert_int_equal(b.dropped, 2);
	/* the first three are stored whole and in order */
	assert_int_equal(b.v[0].t_ns, 1 * MS);
	assert_int_equal(b.v[2].t_ns, 3 * MS);
	assert_int_equal(b.v[1].task, 1);
	assert_int_equal(b.v[2].unit, 12);
	stampbuf_free(&b);
	assert_null(b.v);
	assert_int_equal(b.n, 0);
}

static void test_backend_native_stampbuf_empty(void **state)
{
	struct stampbuf b;

	(void)state;
	assert_int_equal(stampbuf_init(&b, 0), 0);
	stampbuf_push(&b, MS, 0, 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.dropped, 1);
	stampbuf_free(&b);
}

static void test_backend_native_tasks_on_vcpu(void **state)
{
	struct spec s = base_spec(5, 0);

	(void)state;
	assert_int_equal(native_tasks_on_vcpu(&s, 0), 5);
	s.vcpus = 2;
	/* task j on vCPU j % 2: 0, 2, 4 and 1, 3 */
	assert_int_equal(native_tasks_on_vcpu(&s, 0), 3);
	assert_int_equal(native_tasks_on_vcpu(&s, 1), 2);
	assert_int_equal(native_tasks_on_vcpu(&s, 2), 0);
	s.tasks = 1;
	assert_int_equal(native_tasks_on_vcpu(&s, 1), 0);
}

static void test_backend_native_capacity(void **state)
{
	struct spec s = base_spec(2, 0);

	(void)state;
	/* 3 s of 1 ms units, plus a quarter, plus 1024 */
	assert_int_equal(native_stamp_capacity(&s, 0), 3000 + 750 + 1024);
	s.units = 100;                 /* finite: exactly tasks * units */
	assert_int_equal(native_stamp_capacity(&s, 0), 200);
	s.workload = SPEC_WORKLOAD_INF_LOOP;
	assert_int_equal(native_stamp_capacity(&s, 0), 0);
	s = base_spec(2, 0);
	s.unit_work_ns = 1000;         /* 1 us units for an hour: capped */
	s.duration_ns = 3600000 * MS;
	assert_int_equal(native_stamp_capacity(&s, 0), NATIVE_STAMPS_MAX);
}

static void test_backend_native_progress_pct(void **state)
{
	struct spec s = base_spec(2, 200);

	(void)state;
	assert_near(native_progress_pct(&s, 2, 0), 0.5, 1e-12);
	assert_near(native_progress_pct(&s, 2, 199), 100.0, 1e-12);
	/* units = 0: 3 s / (1 ms * 2 tasks) = 1500 units make 100% */
	s.units = 0;
	assert_near(native_progress_pct(&s, 2, 1499), 100.0, 1e-9);
	assert_near(native_progress_pct(&s, 2, 749), 50.0, 1e-9);
	/* alone on its vCPU it would do 3000 */
	assert_near(native_progress_pct(&s, 1, 1499), 50.0, 1e-9);
}

/* Run @n units on a fake clock (each unit takes unit_work), record the task
 * of each unit in @order; returns the units run before every task finished. */
static int fake_run(struct native_rr *rr, int64_t unit_ns, int n, int *order)
{
	int64_t now = 0;
	int i, k = rr->cur;

	for (i = 0; i < n && k >= 0; i++) {
		order[i] = rr->task_id[k];
		now += unit_ns;
		k = native_rr_unit_done(rr, now);
	}
	return i;
}

static void test_backend_native_rr_slices(void **state)
{
	static const int want[16] = { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0 };
	struct spec s = base_spec(3, 0);
	struct native_rr rr;
	int order[16], i;

	(void)state;
	native_rr_init(&rr, &s, 0, 0);
	assert_int_equal(rr.ntasks, 3);
	/* 4 ms slices of 1 ms units: four units per task, then the next task */
	assert_int_equal(fake_run(&rr, MS, 16, order), 16);
	for (i = 0; i < 16; i++)
		if (order[i] != want[i])
			fail_msg("unit %d ran task %d, want %d", i, order[i], want[i]);
	assert_int_equal(rr.done[0], 8);
	assert_int_equal(rr.done[1], 4);
}

static void test_backend_native_rr_vcpu_tasks(void **state)
{
	struct spec s = base_spec(5, 0);
	struct native_rr rr;
	int order[8];

	(void)state;
	s.vcpus = 2;
	native_rr_init(&rr, &s, 1, 0);
	/* vCPU 1 runs tasks 1 and 3 */
	assert_int_equal(rr.ntasks, 2);
	fake_run(&rr, 2 * MS, 4, order);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 3);
	assert_int_equal(order[3], 3);
}

static void test_backend_native_rr_missed_ticks(void **state)
{
	struct spec s = base_spec(2, 0);
	struct native_rr rr;

	(void)state;
	native_rr_init(&rr, &s, 0, 100 * MS);
	assert_int_equal(native_rr_unit_done(&rr, 101 * MS), 0);
	/* descheduled for 19 ms: the slice is over, the next tick is the first
	 * boundary after now (120 ms), not a burst of the ticks it missed */
	assert_int_equal(native_rr_unit_done(&rr, 120 * MS), 1);
	assert_int_equal(rr.tick_ns, 124 * MS);
	assert_int_equal(native_rr_unit_done(&rr, 121 * MS), 1);
	assert_int_equal(native_rr_unit_done(&rr, 124 * MS), 0);
}

static void test_backend_native_rr_finite(void **state)
{
	struct spec s = base_spec(2, 3);
	struct native_rr rr;
	int order[16];

	(void)state;
	s.slice_ns = 100 * MS;         /* no tick in the way: tasks run to completion */
	native_rr_init(&rr, &s, 0, 0);
	assert_int_equal(fake_run(&rr, MS, 16, order), 6);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[2], 0);
	assert_int_equal(order[3], 1);
	assert_int_equal(order[5], 1);
	assert_int_equal(rr.cur, -1);
	assert_int_equal(native_rr_unit_done(&rr, 50 * MS), -1);
}

static void test_backend_native_rr_no_tasks(void **state)
{
	struct spec s = base_spec(1, 0);
	struct native_rr rr;

	(void)state;
	s.vcpus = 2;
	native_rr_init(&rr, &s, 1, 0);
	assert_int_equal(rr.ntasks, 0);
	assert_int_equal(rr.cur, -1);
	assert_int_equal(native_rr_unit_done(&rr, MS), -1);
}

/* ---- the threads ------------------------------------------------------------- */

#define TINY_UNIT_LOOPS 2000           /* a few us per work unit */

/* @vcpus unpinned vCPUs running @tasks tasks of @units units for @duration_ns. */
static struct spec thread_spec(int vcpus, int tasks, int64_t units, int64_t duration_ns)
{
	struct spec s = base_spec(tasks, units);
	int v;

	s.vcpus = vcpus;
	for (v = 0; v < vcpus; v++)
		s.pins[v] = SPEC_PIN_ANY;
	s.duration_ns = duration_ns;
	return s;
}

static void test_backend_native_run_stamps(void **state)
{
	struct spec s = thread_spec(2, 3, 40, 500 * MS);
	struct native_run *r;
	struct stampbuf b;
	int64_t t0;
	uint64_t next[3] = { 0, 0, 0 };
	size_t i;
	int v;

	(void)state;
	assert_int_equal(native_start(&s, TINY_UNIT_LOOPS, &r), 0);
	assert_non_null(r);
	assert_true(native_vcpu_tid(r, 0) > 0);
	assert_true(native_vcpu_tid(r, 1) > 0);
	assert_int_not_equal(native_vcpu_tid(r, 0), native_vcpu_tid(r, 1));
	assert_int_not_equal(native_vcpu_tid(r, 0), gettid());
	assert_int_equal(native_vcpu_tid(r, 2), 0);
	t0 = mono_ns() + 2 * MS;
	native_go(r, t0);
	while (sleep_until_ns(t0 + s.duration_ns) == -EINTR)
		;
	assert_int_equal(native_join(r), 0);
	for (v = 0; v < 2; v++) {
		int64_t last = 0;

		native_take_stamps(r, v, &b);
		/* vCPU 0 runs tasks 0 and 2, vCPU 1 task 1: every unit, in order */
		assert_int_equal(b.n, (size_t)(40 * native_tasks_on_vcpu(&s, v)));
		assert_int_equal(b.dropped, 0);
		for (i = 0; i < b.n; i++) {
			const struct native_stamp *st = &b.v[i];

			assert_int_equal(st->task % 2, v);
			assert_int_equal(st->unit, next[st->task]++);
			assert_true(st->t_ns >= last && st->t_ns < s.duration_ns);
			last = st->t_ns;
		}
		stampbuf_free(&b);
	}
	assert_int_equal(next[0], 40);
	assert_int_equal(next[1], 40);
	assert_int_equal(next[2], 40);
	/* the stamps were moved out: a second take is empty */
	native_take_stamps(r, 0, &b);
	assert_null(b.v);
	assert_int_equal(b.n, 0);
	native_free(r);
}

static void test_backend_native_stop_mid_run(void **state)
{
	struct spec s = thread_spec(1, 2, 0, 60000 * MS);
	struct spec_contention *c = &s.contention[0];
	struct native_run *r;
	struct stampbuf b;
	int64_t t0, stopped_at;

	(void)state;
	/* a hog beside it, half busy in 10 ms periods: both kinds of loop run */
	s.n_contention = 1;
	c->cpu = SPEC_PIN_ANY;
	c->end_ns = s.duration_ns;
	c->duty_pct = 50.0;
	c->period_ns = 10 * MS;
	assert_int_equal(native_start(&s, TINY_UNIT_LOOPS, &r), 0);
	t0 = mono_ns() + 2 * MS;
	native_go(r, t0);
	while (sleep_until_ns(t0 + 100 * MS) == -EINTR)
		;
	native_stop(r);
	assert_int_equal(native_join(r), 0);
	stopped_at = mono_ns() - t0;
	/* joined long before the minute the run was meant to last */
	assert_true(stopped_at < 30000 * MS);
	native_take_stamps(r, 0, &b);
	assert_true(b.n > 0);
	assert_true(b.v[b.n - 1].t_ns <= stopped_at);
	stampbuf_free(&b);
	native_free(r);
}

static void test_backend_native_abort_before_go(void **state)
{
	struct spec s = thread_spec(2, 2, 0, 60000 * MS);
	struct native_run *r;
	struct stampbuf b;

	(void)state;
	assert_int_equal(native_start(&s, TINY_UNIT_LOOPS, &r), 0);
	/* never released: stopping lets the waiting threads go without working */
	assert_int_equal(native_join(r), 0);
	assert_int_equal(native_join(r), 0);
	native_take_stamps(r, 1, &b);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.dropped, 0);
	stampbuf_free(&b);
	native_free(r);
}

/*
 * Add or remove CAP_SYS_NICE in this thread's effective set (threads
 * inherit it from their creator); the permitted set is left alone, so it
 * can be raised again. Returns the old state (0/1) or -errno.
 */
static int effective_sys_nice(int on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1u << CAP_SYS_NICE;
	int was;

	if (syscall(SYS_capget, &h, d))
		return -errno;
	was = !!(d[0].effective & bit);
	if (on)
		d[0].effective |= bit;
	else
		d[0].effective &= ~bit;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return was;
}

static void test_backend_native_setup_errors(void **state)
{
	struct spec s = thread_spec(1, 1, 0, 1000 * MS);
	struct native_run *r = (struct native_run *)&s;   /* must come back NULL */
	int i, rc, had;

	(void)state;
	/* three hogs that may not lower their nice value fail together */
	s.n_contention = 3;
	for (i = 0; i < s.n_contention; i++) {
		s.contention[i].cpu = SPEC_PIN_ANY;
		s.contention[i].end_ns = s.duration_ns;
		s.contention[i].nice = -5 - i;
		s.contention[i].duty_pct = 100.0;
		s.contention[i].period_ns = 100 * MS;
	}
	had = effective_sys_nice(0);
	if (had < 0) {
		print_message("skipped: cannot drop CAP_SYS_NICE: %s\n", strerror(-had));
		skip();
	}
	rc = native_start(&s, TINY_UNIT_LOOPS, &r);
	if (had)
		assert_int_equal(effective_sys_nice(1), 0);
	if (rc == 0) {
		native_free(r);
		/* RLIMIT_NICE may allow it without the capability */
		print_message("skipped: nice -5 is allowed here without CAP_SYS_NICE\n");
		skip();
	}
	assert_int_equal(rc, -EACCES);
	assert_null(r);
	/* logged by the main thread, in order: the last one is the third hog */
	assert_non_null(strstr(log_last_error(), "contention 2 (CPU -1): setpriority(nice -7)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_native_stampbuf_overflow),
		cmocka_unit_test(test_backend_native_stampbuf_empty),
		cmocka_unit_test(test_backend_native_tasks_on_vcpu),
		cmocka_unit_test(test_backend_native_capacity),
		cmocka_unit_test(test_backend_native_progress_pct),
		cmocka_unit_test(test_backend_native_rr_slices),
		cmocka_unit_test(test_backend_native_rr_vcpu_tasks),
		cmocka_unit_test(test_backend_native_rr_missed_ticks),
		cmocka_unit_test(test_backend_native_rr_finite),
		cmocka_unit_test(test_backend_native_rr_no_tasks),
		cmocka_unit_test(test_backend_native_run_stamps),
		cmocka_unit_test(test_backend_native_stop_mid_run),
		cmocka_unit_test(test_backend_native_abort_before_go),
		cmocka_unit_test(test_backend_native_setup_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
