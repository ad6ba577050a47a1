/*
 * Unit tests of bench/stats.c: quantiles interpolated between ranks, NaN
 * values left out, and the spread of a benchmark's runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bench/stats.h"

#include <math.h>

/* @got within @eps of @want, saying both when not. */
static void assert_close(double got, double want, double eps)
{
	if (!(fabs(got - want) <= eps))
		fail_msg("got %.17g, want %.17g (within %g)", got, want, eps);
}

static void test_bench_stats_quantile_interpolates(void **state)
{
	const double v[] = { 10, 20, 30, 40 };

	(void)state;
	assert_close(bench_quantile_sorted(v, 4, 0.5), 25, 1e-12);
	assert_close(bench_quantile_sorted(v, 4, 0.25), 17.5, 1e-12);
	assert_close(bench_quantile_sorted(v, 4, 0.75), 32.5, 1e-12);
	assert_close(bench_quantile_sorted(v, 4, 0.99), 39.7, 1e-12);
	assert_close(bench_quantile_sorted(v, 4, 0), 10, 0);
	assert_close(bench_quantile_sorted(v, 4, 1), 40, 0);
	assert_close(bench_quantile_sorted(v, 1, 0.5), 10, 0);
	assert_true(isnan(bench_quantile_sorted(v, 0, 0.5)));
}

static void test_bench_stats_sort_moves_nan_last(void **state)
{
	double v[] = { 3, NAN, 1, 2, NAN };

	(void)state;
	assert_int_equal(bench_sort(v, 5), 3);
	assert_close(v[0], 1, 0);
	assert_close(v[1], 2, 0);
	assert_close(v[2], 3, 0);
	assert_true(isnan(v[3]) && isnan(v[4]));
}

static void test_bench_stats_dist_of_runs(void **state)
{
	const double v[] = { 5, 1, NAN, 4, 2, 3 };
	struct bench_dist d;

	(void)state;
	assert_int_equal(bench_dist_of(v, 6, &d), 0);
	assert_int_equal(d.n, 5);
	assert_close(d.median, 3, 0);
	assert_close(d.p25, 2, 0);
	assert_close(d.p75, 4, 0);
	assert_close(d.min, 1, 0);
	assert_close(d.max, 5, 0);
	/* the input is left as it was */
	assert_close(v[0], 5, 0);
	assert_true(isnan(v[2]));
}

static void test_bench_stats_dist_of_nothing_is_nan(void **state)
{
	const double v[] = { NAN, NAN };
	struct bench_dist d;

	(void)state;
	assert_int_equal(bench_dist_of(v, 2, &d), 0);
	assert_int_equal(d.n, 0);
	assert_true(isnan(d.median) && isnan(d.min) && isnan(d.max));
	assert_int_equal(bench_dist_of(v, 0, &d), 0);
	assert_int_equal(d.n, 0);
	assert_true(isnan(d.p25) && isnan(d.p75));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_stats_quantile_interpolates),
		cmocka_unit_test(test_bench_stats_sort_moves_nan_last),
		cmocka_unit_test(test_bench_stats_dist_of_runs),
		cmocka_unit_test(test_bench_stats_dist_of_nothing_is_nan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
