/*
 * Unit tests for the pure pieces of experiments/backend-native: the stamp
 * buffer (overflow is counted, never silent), which tasks run on which
 * vCPU, stamp capacity, progress_pct, and the user-space round-robin driven
 * by a fake clock (each unit advances it by unit_work). No thread is
 * started here; the threads are exercised by the stealscope integration
 * tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
