/*
 * Unit tests for kvm-mini/summary: windows over cumulative samples (steal
 * exact and by ticks, run delay, their difference; NaN where nothing was
 * measured), the longest gap between stamps, per-task units and the
 * progress percentage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kvm-mini/summary.h"

#include <math.h>
#include <string.h>

#define MS 1000000ll

static struct kmini_sample S(int64_t t_ms, uint64_t steal_ms, uint64_t delay_ms, uint64_t user,
			     uint64_t stealt)
{
	struct kmini_sample s;

	memset(&s, 0, sizeof(s));
	s.t_ns = t_ms * MS;
	s.guest_steal_ns = steal_ms * MS;
	s.host_delay_ns = delay_ms * MS;
	s.tick_user = user;
	s.tick_steal = stealt;
	s.steal_valid = 1;
	return s;
}

static void test_kvm_mini_summary_window(void **state)
{
	struct kmini_sample s[] = {
		S(1000, 10, 10, 245, 2), S(2000, 510, 505, 370, 127), S(3000, 520, 515, 615, 129),
	};
	struct kmini_vcpu_result v = { .nsamples = 3, .samples = s };
	struct kmini_window_figs f;

	(void)state;
	assert_int_equal(kmini_window(&v, 1000 * MS, 2000 * MS, &f), 0);
	assert_int_equal(f.wall_ns, 1000 * MS);
	assert_float_equal(f.guest_steal_pct, 50.0, 1e-9);
	assert_float_equal(f.host_delay_pct, 49.5, 1e-9);
	assert_float_equal(f.diff_pct, 0.5, 1e-9);
	assert_int_equal(f.ticks, 250);
	assert_float_equal(f.tick_steal_pct, 50.0, 1e-9);
	/* the whole run starts from zeros */
	assert_int_equal(kmini_window(&v, 0, INT64_MAX, &f), 0);
	assert_int_equal(f.wall_ns, 3000 * MS);
	assert_float_equal(f.guest_steal_pct, 520.0 / 30.0, 1e-9);
	/* an invalid steal reading: no guest figure, the host one stays */
	s[2].steal_valid = 0;
	assert_int_equal(kmini_window(&v, 2000 * MS, 3000 * MS, &f), 0);
	assert_true(isnan(f.guest_steal_pct));
	assert_true(isnan(f.diff_pct));
	assert_float_equal(f.host_delay_pct, 1.0, 1e-9);
	/* backwards counters count as 0 */
	s[2].host_delay_ns = 0;
	assert_int_equal(kmini_window(&v, 2000 * MS, 3000 * MS, &f), 0);
	assert_float_equal(f.host_delay_pct, 0.0, 1e-9);
	/* no samples: NaN, -1 */
	v.nsamples = 0;
	assert_int_equal(kmini_window(&v, 0, INT64_MAX, &f), -1);
	assert_true(isnan(f.host_delay_pct));
	assert_int_equal(f.wall_ns, 0);
}

static void test_kvm_mini_summary_gap_and_units(void **state)
{
	struct kmini_stamp st[] = {
		{ .t_ns = 1 * MS, .task = 0, .vcpu = 0 }, { .t_ns = 2 * MS, .task = 1, .vcpu = 0 },
		{ .t_ns = 3 * MS, .task = 2, .vcpu = 1 }, { .t_ns = 9 * MS, .task = 0, .vcpu = 0 },
		{ .t_ns = 10 * MS, .task = 1, .vcpu = 0 }, { .t_ns = 30 * MS, .task = 2, .vcpu = 1 },
	};

	(void)state;
	assert_int_equal(kmini_longest_gap(st, 6, 0, 0, INT64_MAX), 7 * MS);
	assert_int_equal(kmini_longest_gap(st, 6, 1, 0, INT64_MAX), 27 * MS);
	/* only gaps that end inside the window */
	assert_int_equal(kmini_longest_gap(st, 6, 0, 10 * MS, INT64_MAX), 1 * MS);
	assert_int_equal(kmini_longest_gap(st, 1, 0, 0, INT64_MAX), 0);
	assert_int_equal(kmini_task_units(st, 6, 0, 0, INT64_MAX), 2);
	assert_int_equal(kmini_task_units(st, 6, 1, 5 * MS, INT64_MAX), 1);
}

static void test_kvm_mini_summary_progress_pct(void **state)
{
	struct kmini_config c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.nvcpus = 2;
	c.ntasks = 5;
	c.units = 200;
	c.unit_work_ns = MS;
	c.duration_ns = 1000 * MS;
	assert_int_equal(kmini_tasks_on_vcpu(&c, 0), 3);
	assert_int_equal(kmini_tasks_on_vcpu(&c, 1), 2);
	assert_float_equal(kmini_progress_pct(&c, 3, 99), 50.0, 1e-9);
	/* units 0: of what the task does in the whole run uncontended (1000 ms / 2 ms) */
	c.units = 0;
	assert_float_equal(kmini_progress_pct(&c, 2, 249), 50.0, 1e-9);
	assert_true(isnan(kmini_progress_pct(&c, 0, 1)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_mini_summary_window),
		cmocka_unit_test(test_kvm_mini_summary_gap_and_units),
		cmocka_unit_test(test_kvm_mini_summary_progress_pct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
