/*
 * test_rates: the steal figure's numbers (experiments/rates.c), vcpu.csv ->
 * rates.csv, against hand-worked series: per interval, windowed, clamped,
 * per vCPU, and the errors that name their file. Reads
 * tests/fixtures/results-mini in place; everything it writes goes into a
 * fresh mkdtemp directory, removed afterwards. Needs no gnuplot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/csvio.h"
#include "common/log.h"
#include "experiments/rates.h"
#include "tests/support/files.h"

#define MINI TEST_FIXTURES "/results-mini"

struct fixture {
	char dir[64];                  /* scratch: v.csv in, r.csv out */
	char vcpu[PATH_MAX], rates[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (support_mkdtemp(f->dir, sizeof(f->dir), "rates") != 0) {
		free(f);
		return -1;
	}
	snprintf(f->vcpu, sizeof(f->vcpu), "%s/v.csv", f->dir);
	snprintf(f->rates, sizeof(f->rates), "%s/r.csv", f->dir);
	log_set_quiet(1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (support_rmtree(f->dir) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* ---- rates_pct, rates_window -------------------------------------------------------- */

#define MS 1000000.0

static void test_rates_pct_clamps_and_guards(void **state)
{
	(void)state;
	/* 5 ms of run delay in 10 ms of wall time. */
	assert_float_equal(rates_pct(50000000, 183412, 60000000, 5183412), 50.0, 1e-9);
	assert_float_equal(rates_pct(0, 0, 10000000, 10000000), 100.0, 1e-9);
	assert_float_equal(rates_pct(0, 7, 10000000, 7), 0.0, 0);
	/* A counter that went backwards loses the interval: 0, never negative. */
	assert_float_equal(rates_pct(0, 9000000, 10000000, 1000000), 0.0, 0);
	/* No interval, or no value: NaN, not a division by zero. */
	assert_true(isnan(rates_pct(10, 0, 10, 5)));
	assert_true(isnan(rates_pct(20, 0, 10, 5)));
	assert_true(isnan(rates_pct(0, NAN, 10, 5)));
	assert_true(isnan(rates_pct(0, 0, 10, NAN)));
}

static void test_rates_window_covers_fifty_ms(void **state)
{
	(void)state;
	/* max(sample_interval, 50 ms) in whole sample intervals */
	assert_int_equal(rates_window(10000000), 5);
	assert_int_equal(rates_window(1000000), 50);
	assert_int_equal(rates_window(30000000), 2);
	assert_int_equal(rates_window(50000000), 1);
	assert_int_equal(rates_window(100000000), 1);
	assert_int_equal(rates_window(0), 1);
	assert_int_equal(rates_window(-5), 1);
}

/* ---- rates_write -------------------------------------------------------------------- */

static void test_rates_fixture_fifty_percent(void **state)
{
	struct fixture *f = *state;
	struct rates_info info;
	struct csv_table t;
	int c_t, c_v, c_d, c_s;

	assert_int_equal(rates_write(MINI "/shared/rep-1/vcpu.csv", f->rates, 1, &info), 0);
	/* one vCPU, with run delay, steal and tick figures */
	assert_int_equal(info.n, 1);
	assert_int_equal(info.v[0].vcpu, 0);
	assert_int_equal(info.v[0].has_delay, 1);
	assert_int_equal(info.v[0].has_steal, 1);
	assert_int_equal(info.v[0].has_tick, 1);

	assert_int_equal(csv_table_load(f->rates, &t), 0);
	assert_int_equal(t.ncols, 5);
	c_t = csv_table_col(&t, "t_ns");
	c_v = csv_table_col(&t, "vcpu");
	c_d = csv_table_col(&t, "host_delay_pct");
	c_s = csv_table_col(&t, "guest_steal_pct");
	assert_true(c_t == 0 && c_v == 1 && c_d == 2 && c_s == 3);
	assert_int_equal(csv_table_col(&t, "guest_tick_steal_pct"), 4);
	/* 21 samples 10 ms apart: 20 intervals, each at its midpoint. */
	assert_int_equal(t.nrows, 20);
	for (size_t r = 0; r < t.nrows; r++) {
		int64_t mid = 5000000 + (int64_t)r * 10000000;
		int in_window = mid > 50000000 && mid < 150000000;
		char want[32];

		snprintf(want, sizeof(want), "%lld", (long long)mid);
		assert_string_equal(csv_table_cell(&t, r, c_t), want);
		assert_string_equal(csv_table_cell(&t, r, c_v), "0");
		/* host_delay_ns rises 5 ms per 10 ms inside the hog's window. */
		assert_string_equal(csv_table_cell(&t, r, c_d), in_window ? "50.000" : "0.000");
		assert_string_equal(csv_table_cell(&t, r, c_s), in_window ? "49.000" : "0.000");
	}
	csv_table_free(&t);
}

static void test_rates_vcpus_sorted_native_and_odd_samples(void **state)
{
	struct fixture *f = *state;
	struct rates_info info;
	struct csv_table t;

	/* Two vCPUs interleaved out of order, native (no guest columns), one
	 * repeated timestamp and one counter going backwards. */
	write_text(f->vcpu, "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,"
			    "tick_user,tick_system,tick_idle,tick_steal\n"
			    "20000000,1,1,,20000000,4000000,,,,\n"
			    "0,0,0,,0,0,,,,\n"
			    "0,1,1,,0,0,,,,\n"
			    "10000000,0,0,,9000000,1000000,,,,\n"
			    "10000000,1,1,,8000000,2000000,,,,\n"
			    "10000000,0,0,,9000000,1000000,,,,\n"
			    "20000000,0,0,,19000000,500000,,,,\n");
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, &info), 0);
	/* both vCPUs, in order; run delay only (no guest) */
	assert_int_equal(info.n, 2);
	assert_int_equal(info.v[0].vcpu, 0);
	assert_int_equal(info.v[1].vcpu, 1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(info.v[i].has_delay, 1);
		assert_int_equal(info.v[i].has_steal, 0);
		assert_int_equal(info.v[i].has_tick, 0);
	}
	assert_int_equal(csv_table_load(f->rates, &t), 0);
	assert_int_equal(t.nrows, 4);
	assert_string_equal(csv_table_cell(&t, 0, 0), "5000000");
	assert_string_equal(csv_table_cell(&t, 0, 1), "0");
	assert_string_equal(csv_table_cell(&t, 0, 2), "10.000");
	assert_string_equal(csv_table_cell(&t, 0, 3), "");
	/* 1 ms -> 0.5 ms: backwards, clamped to 0. */
	assert_string_equal(csv_table_cell(&t, 1, 0), "15000000");
	assert_string_equal(csv_table_cell(&t, 1, 2), "0.000");
	assert_string_equal(csv_table_cell(&t, 2, 1), "1");
	assert_string_equal(csv_table_cell(&t, 2, 2), "20.000");
	assert_string_equal(csv_table_cell(&t, 3, 0), "15000000");
	assert_string_equal(csv_table_cell(&t, 3, 2), "20.000");
	assert_string_equal(csv_table_cell(&t, 3, 3), "");
	assert_string_equal(csv_table_cell(&t, 3, 4), "");    /* no guest ticks either */
	csv_table_free(&t);
}

/* A guest with tick accounting (kvm-mini): the share of its ticks charged to steal. */
static void test_rates_guest_tick_steal(void **state)
{
	struct fixture *f = *state;
	struct csv_table t;

	write_text(f->vcpu, "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,"
			    "tick_user,tick_system,tick_idle,tick_steal\n"
			    "0,0,0,0,0,0,0,0,0,0\n"
			    "10000000,0,0,0,10000000,0,2,0,0,0\n"
			    "20000000,0,0,5000000,15000000,5000000,2,1,0,1\n"
			    "30000000,0,0,5000000,25000000,5000000,,,,\n");
	/* no info wanted: NULL is fine */
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, NULL), 0);
	assert_int_equal(csv_table_load(f->rates, &t), 0);
	assert_int_equal(t.nrows, 3);
	assert_string_equal(csv_table_cell(&t, 0, 4), "0.000");
	assert_string_equal(csv_table_cell(&t, 1, 3), "50.000");
	assert_string_equal(csv_table_cell(&t, 1, 4), "50.000");    /* 1 steal tick of 2 */
	assert_string_equal(csv_table_cell(&t, 2, 4), "");          /* a sample without ticks */
	csv_table_free(&t);
}

static void test_rates_errors_name_the_file(void **state)
{
	struct fixture *f = *state;
	struct rates_info info;
	char none[PATH_MAX];
	struct stat st;

	write_text(f->vcpu, "t_ns,vcpu,guest_steal_ns\n0,0,0\n");
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, NULL), -EINVAL);
	assert_non_null(strstr(log_last_error(), f->vcpu));
	assert_non_null(strstr(log_last_error(), "missing column 'host_delay_ns'"));

	write_text(f->vcpu, "t_ns,vcpu,guest_steal_ns,host_delay_ns\n0,0,0,0\n"
			    "10000000,0,0,5ms\n");
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, NULL), -EINVAL);
	assert_non_null(strstr(log_last_error(), f->vcpu));
	assert_non_null(strstr(log_last_error(), "data row 2, column host_delay_ns"));

	write_text(f->vcpu, "t_ns,vcpu,guest_steal_ns,host_delay_ns\n0,0,0,0\n"
			    "1e7,0,0,0\n");
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, NULL), -EINVAL);
	assert_non_null(strstr(log_last_error(), "data row 2, column t_ns: not an integer: "
			       "\"1e7\""));

	write_text(f->vcpu, "t_ns,vcpu,guest_steal_ns,host_delay_ns\n0,0,0,0\n0,1,0,0\n");
	memset(&info, 0xff, sizeof(info));
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, &info), -EINVAL);
	assert_non_null(strstr(log_last_error(), "no vCPU has two samples"));
	assert_int_equal(info.n, 0);   /* zeroed, whatever the outcome */
	/* Nothing half-written is left under the final name. */
	assert_int_equal(stat(f->rates, &st), -1);

	snprintf(none, sizeof(none), "%s/none.csv", f->dir);
	assert_int_equal(rates_write(none, f->rates, 1, NULL), -ENOENT);
	assert_non_null(strstr(log_last_error(), none));
}

/* 65 vCPUs with two samples each: one more than the figure can take. */
static void test_rates_too_many_vcpus(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	FILE *fp;

	fp = fopen(f->vcpu, "w");
	assert_non_null(fp);
	fputs("t_ns,vcpu,guest_steal_ns,host_delay_ns\n", fp);
	for (int v = 0; v <= RATES_MAX_VCPUS; v++)
		fprintf(fp, "0,%d,0,0\n10000000,%d,0,1000000\n", v, v);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, NULL), -EINVAL);
	assert_non_null(strstr(log_last_error(), "more than 64 vCPUs"));
	assert_int_equal(stat(f->rates, &st), -1);
}

/*
 * schedstat credits run delay when the thread gets the CPU back, in lumps:
 * a vCPU thread on half a CPU reads 80, 20, 80, 20, 50 % per 10 ms interval
 * here (25 ms in every 50 ms). A 50 ms window reads a steady 50 %.
 */
static void test_rates_windowed_over_lumpy_delay(void **state)
{
	static const int lump_ms[5] = { 8, 2, 8, 2, 5 };
	struct fixture *f = *state;
	struct csv_table t;
	FILE *fp;
	int64_t delay = 0;

	fp = fopen(f->vcpu, "w");
	assert_non_null(fp);
	fputs("t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,"
	      "tick_user,tick_system,tick_idle,tick_steal\n", fp);
	for (int k = 0; k <= 20; k++) {
		fprintf(fp, "%lld,0,0,,0,%lld,,,,\n", (long long)k * 10000000, (long long)delay);
		delay += (int64_t)lump_ms[k % 5] * 1000000;
	}
	assert_int_equal(fclose(fp), 0);

	/* per interval: lumpy */
	assert_int_equal(rates_write(f->vcpu, f->rates, 1, NULL), 0);
	assert_int_equal(csv_table_load(f->rates, &t), 0);
	assert_int_equal(t.nrows, 20);
	assert_string_equal(csv_table_cell(&t, 0, 2), "80.000");
	assert_string_equal(csv_table_cell(&t, 1, 2), "20.000");
	assert_string_equal(csv_table_cell(&t, 4, 2), "50.000");
	csv_table_free(&t);

	/* over 5 intervals (50 ms), sliding one sample: 50 % throughout */
	assert_int_equal(rates_write(f->vcpu, f->rates, rates_window(10000000), NULL), 0);
	assert_int_equal(csv_table_load(f->rates, &t), 0);
	assert_int_equal(t.nrows, 16);
	for (size_t r = 0; r < t.nrows; r++) {
		char want[32];

		/* the window's midpoint: 25 ms, 35 ms, ... */
		snprintf(want, sizeof(want), "%lld", 25000000LL + (long long)r * 10000000);
		assert_string_equal(csv_table_cell(&t, r, 0), want);
		assert_string_equal(csv_table_cell(&t, r, 2), "50.000");
		assert_string_equal(csv_table_cell(&t, r, 3), "");
	}
	csv_table_free(&t);

	/* a window longer than the series: one rate over all of it */
	assert_int_equal(rates_write(f->vcpu, f->rates, 50, NULL), 0);
	assert_int_equal(csv_table_load(f->rates, &t), 0);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(csv_table_cell(&t, 0, 0), "100000000");
	assert_string_equal(csv_table_cell(&t, 0, 2), "50.000");
	csv_table_free(&t);

	assert_int_equal(rates_write(f->vcpu, f->rates, 0, NULL), -EINVAL);
	assert_non_null(strstr(log_last_error(), "a rate window of 0 sample intervals"));
}

/*
 * A sampler held off for 50 ms takes its late samples back to back: the
 * windows over the bunch reach back to span the usual 50 ms, instead of
 * dividing the wait credited in it by a few microseconds.
 */
static void test_rates_bunched_samples_keep_their_span(void **state)
{
	struct fixture *f = *state;
	struct csv_table t;
	FILE *fp;
	int64_t at = 0, delay = 0;
	double v;

	fp = fopen(f->vcpu, "w");
	assert_non_null(fp);
	fputs("t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,"
	      "tick_user,tick_system,tick_idle,tick_steal\n", fp);
	/* 10 samples 10 ms apart at 50% delay */
	for (int k = 0; k < 10; k++, at += 10000000, delay += 5000000)
		fprintf(fp, "%lld,0,0,,0,%lld,,,,\n", (long long)at, (long long)delay);
	/*
	 * then 50 ms without a sample, and 12 late samples 10 us apart; the
	 * last 25 ms of waiting is credited between the 6th and the 7th
	 */
	at += 40000000;
	for (int k = 0; k < 12; k++, at += 10000) {
		if (k == 6)
			delay += 25000000;
		fprintf(fp, "%lld,0,0,,0,%lld,,,,\n", (long long)at, (long long)delay);
	}
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(rates_write(f->vcpu, f->rates, rates_window(10000000), NULL), 0);
	assert_int_equal(csv_table_load(f->rates, &t), 0);
	for (size_t r = 0; r < t.nrows; r++) {
		v = strtod(csv_table_cell(&t, r, 2), NULL);
		if (v < 0 || v > 100)
			fail_msg("row %zu: %s%% run delay", r, csv_table_cell(&t, r, 2));
	}
	/* the last window reaches back before the gap: the 25 ms over more than 37.5 ms */
	v = strtod(csv_table_cell(&t, t.nrows - 1, 2), NULL);
	assert_true(v >= 25 && v <= 67);
	csv_table_free(&t);
}

/* Waits credited late go back to where they happened; nothing else moves. */
static void test_rates_place_waits(void **state)
{
	const int64_t t[6] = { 0, 10000000, 20000000, 30000000, 40000000, 50000000 };
	double half[6] = { 0, 5 * MS, 10 * MS, 15 * MS, 20 * MS, 25 * MS };
	double late[6] = { 0, 0, 0, 0, 0, 45 * MS };
	double mixed[6] = { 0, 5 * MS, 10 * MS, 15 * MS, 20 * MS, 38 * MS };
	double early[2] = { 0, 30 * MS }, nan_v[3] = { 0, NAN, 40 * MS };
	double back[4] = { 7 * MS, 9 * MS, 8 * MS, 12 * MS };
	const double want_late[6] = { 0, 5 * MS, 15 * MS, 25 * MS, 35 * MS, 45 * MS };
	const double want_mixed[6] = { 0, 5 * MS, 10 * MS, 18 * MS, 28 * MS, 38 * MS };
	const double want_back[4] = { 7 * MS, 9 * MS, 9 * MS, 13 * MS };
	int i;

	(void)state;
	/* usual contention: 5 ms of every 10, nothing moves */
	rates_place_waits(t, half, 6);
	for (i = 0; i < 6; i++)
		assert_float_equal(half[i], 5.0 * MS * i, 1e-6);
	/* 45 ms credited in the last 10 ms: 10 ms each back to where it began */
	rates_place_waits(t, late, 6);
	for (i = 0; i < 6; i++)
		assert_float_equal(late[i], want_late[i], 1e-6);
	/* 18 ms in the last interval: 8 ms go to the two before it, up to their length */
	rates_place_waits(t, mixed, 6);
	for (i = 0; i < 6; i++)
		assert_float_equal(mixed[i], want_mixed[i], 1e-6);
	/* longer than the series so far: left where it was credited */
	rates_place_waits(t, early, 2);
	assert_float_equal(early[1], 30.0 * MS, 1e-6);
	/* a step backwards counts as nothing; the rest is kept */
	rates_place_waits(t, back, 4);
	for (i = 0; i < 4; i++)
		assert_float_equal(back[i], want_back[i], 1e-6);
	/* no counter (NaN): left alone */
	rates_place_waits(t, nan_v, 3);
	assert_true(isnan(nan_v[1]));
	assert_float_equal(nan_v[2], 40.0 * MS, 0);
}

/* ---- the strict cells chartdata.c shares ---------------------------------------------- */

static void test_rates_csv_cells(void **state)
{
	static const char text[] = "a,b\n12.5,\ninf,+3\n";
	struct csv_table t;
	double v = -1;

	(void)state;
	assert_int_equal(csv_table_parse(text, sizeof(text) - 1, &t), 0);
	assert_int_equal(rates_csv_col("x.csv", &t, "b"), 1);
	assert_int_equal(rates_csv_col("x.csv", &t, "c"), -EINVAL);
	assert_string_equal(log_last_error(), "x.csv: missing column 'c'");

	assert_int_equal(rates_csv_f("x.csv", &t, 0, 0, &v), 0);
	assert_float_equal(v, 12.5, 0);
	assert_int_equal(rates_csv_f("x.csv", &t, 0, 1, &v), 0);
	assert_true(isnan(v));                         /* empty: unknown */
	assert_int_equal(rates_csv_f("x.csv", &t, 1, 1, &v), 0);
	assert_float_equal(v, 3.0, 0);                 /* strtod takes a '+' */
	v = 7;
	assert_int_equal(rates_csv_f("x.csv", &t, 1, 0, &v), -EINVAL);
	assert_string_equal(log_last_error(),
			    "x.csv: data row 2, column a: not a number: \"inf\"");
	assert_float_equal(v, 7.0, 0);                 /* untouched on error */
	csv_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_pct_clamps_and_guards),
		cmocka_unit_test(test_rates_window_covers_fifty_ms),
		cmocka_unit_test_setup_teardown(test_rates_fixture_fifty_percent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_vcpus_sorted_native_and_odd_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_guest_tick_steal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_errors_name_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_too_many_vcpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_windowed_over_lumpy_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_bunched_samples_keep_their_span, setup,
						teardown),
		cmocka_unit_test(test_rates_place_waits),
		cmocka_unit_test(test_rates_csv_cells),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
