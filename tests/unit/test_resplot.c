/*
 * test_resplot: the plots of a results directory, on a copy of
 * tests/fixtures/results-mini (two policies, 200 ms; see its README) made in
 * a mkdtemp directory, never in the tree. The rate derivation runs without
 * gnuplot; drawing every plot, and the errors that name their file, need
 * gnuplot and skip without it. The missing-gnuplot path runs everywhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/csvio.h"
#include "common/log.h"
#include "experiments/resplot.h"
#include "plots/gnuplot.h"

#define MINI TEST_FIXTURES "/results-mini"

/* results-mini's spec.ini up to its [policy] sections, for specs as run that differ. */
#define MINI_SPEC_HEAD                                                                  \
	"[experiment]\nname = results-mini\ndescription = d\nduration = 200ms\n"         \
	"repeat = 2\n[workload]\nunit_work = 5ms\n"                                      \
	"[contention hog]\ncpu = 0\nstart = 50ms\nduration = 100ms\n"

struct fixture {
	char dir[64];                  /* the copy of results-mini */
};

/* ---- copying the fixture, cleaning up ------------------------------------------- */

static const char *copy_dst;           /* nftw has no user pointer */

static int copy_file(const char *from, const char *to)
{
	char buf[8192];
	ssize_t n;
	int in, out, rc = 0;

	in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	}
	if (n < 0)
		rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

static int copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char to[PATH_MAX];

	(void)st;
	(void)ftw;
	if (snprintf(to, sizeof(to), "%s%s", copy_dst, path + strlen(MINI)) >= (int)sizeof(to))
		return -1;
	if (flag == FTW_D)
		return strcmp(path, MINI) == 0 ? 0 : mkdir(to, 0755);
	return flag == FTW_F ? copy_file(path, to) : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_resplot.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	copy_dst = f->dir;
	if (nftw(MINI, copy_entry, 8, FTW_PHYS) != 0) {
		fprintf(stderr, "could not copy %s to %s\n", MINI, f->dir);
		free(f);
		return -1;
	}
	log_set_quiet(1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- small helpers ------------------------------------------------------------------ */

static void path_in(const struct fixture *f, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static int exists(const struct fixture *f, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	path_in(f, name, path, sizeof(path));
	return stat(path, &st) == 0;
}

static int have_gnuplot(void)
{
	char exe[PATH_MAX];

	return gnuplot_find(exe, sizeof(exe)) == 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* BASE.png is a 1000 x 600 PNG and BASE.svg an SVG (mentioning @svg_text, if set). */
static void assert_plot(const struct fixture *f, const char *base, const char *svg_text)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	char path[PATH_MAX], *text;
	unsigned char head[24];
	struct stat st;
	FILE *fp;

	path_in(f, base, path, sizeof(path));
	strcat(path, ".png");
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(head, 1, sizeof(head), fp), sizeof(head));
	fclose(fp);
	assert_memory_equal(head, sig, sizeof(sig));
	assert_memory_equal(head + 12, "IHDR", 4);
	assert_int_equal(be32(head + 16), GNUPLOT_DEFAULT_WIDTH);
	assert_int_equal(be32(head + 20), GNUPLOT_DEFAULT_HEIGHT);

	path_in(f, base, path, sizeof(path));
	strcat(path, ".svg");
	assert_int_equal(stat(path, &st), 0);
	text = calloc(1, (size_t)st.st_size + 1);
	assert_non_null(text);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fread(text, 1, (size_t)st.st_size, fp), (size_t)st.st_size);
	fclose(fp);
	assert_non_null(strstr(text, "<svg"));
	if (svg_text)
		assert_non_null(strstr(text, svg_text));
	free(text);
}

/* ---- the derivation ---------------------------------------------------------------- */

static void test_resplot_rate_pct_clamps_and_guards(void **state)
{
	(void)state;
	/* 5 ms of run delay in 10 ms of wall time. */
	assert_float_equal(resplot_rate_pct(50000000, 183412, 60000000, 5183412), 50.0, 1e-9);
	assert_float_equal(resplot_rate_pct(0, 0, 10000000, 10000000), 100.0, 1e-9);
	assert_float_equal(resplot_rate_pct(0, 7, 10000000, 7), 0.0, 0);
	/* A counter that went backwards loses the interval: 0, never negative. */
	assert_float_equal(resplot_rate_pct(0, 9000000, 10000000, 1000000), 0.0, 0);
	/* No interval, or no value: NaN, not a division by zero. */
	assert_true(isnan(resplot_rate_pct(10, 0, 10, 5)));
	assert_true(isnan(resplot_rate_pct(20, 0, 10, 5)));
	assert_true(isnan(resplot_rate_pct(0, NAN, 10, 5)));
	assert_true(isnan(resplot_rate_pct(0, 0, 10, NAN)));
}

static void test_resplot_rates_fixture_fifty_percent(void **state)
{
	struct fixture *f = *state;
	char vcpu[PATH_MAX], rates[PATH_MAX];
	struct csv_table t;
	int c_t, c_v, c_d, c_s;

	path_in(f, "shared/rep-1/vcpu.csv", vcpu, sizeof(vcpu));
	path_in(f, "shared/rep-1/" RESPLOT_RATES_CSV, rates, sizeof(rates));
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), 0);

	assert_int_equal(csv_table_load(rates, &t), 0);
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

static void test_resplot_rates_vcpus_sorted_native_and_odd_samples(void **state)
{
	struct fixture *f = *state;
	char vcpu[PATH_MAX], rates[PATH_MAX];
	struct csv_table t;

	/* Two vCPUs interleaved out of order, native (no guest columns), one
	 * repeated timestamp and one counter going backwards. */
	path_in(f, "v.csv", vcpu, sizeof(vcpu));
	path_in(f, "r.csv", rates, sizeof(rates));
	write_text(vcpu, "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,"
			 "tick_user,tick_system,tick_idle,tick_steal\n"
			 "20000000,1,1,,20000000,4000000,,,,\n"
			 "0,0,0,,0,0,,,,\n"
			 "0,1,1,,0,0,,,,\n"
			 "10000000,0,0,,9000000,1000000,,,,\n"
			 "10000000,1,1,,8000000,2000000,,,,\n"
			 "10000000,0,0,,9000000,1000000,,,,\n"
			 "20000000,0,0,,19000000,500000,,,,\n");
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), 0);
	assert_int_equal(csv_table_load(rates, &t), 0);
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
static void test_resplot_rates_guest_tick_steal(void **state)
{
	struct fixture *f = *state;
	char vcpu[PATH_MAX], rates[PATH_MAX];
	struct csv_table t;

	path_in(f, "v.csv", vcpu, sizeof(vcpu));
	path_in(f, "r.csv", rates, sizeof(rates));
	write_text(vcpu, "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,"
			 "tick_user,tick_system,tick_idle,tick_steal\n"
			 "0,0,0,0,0,0,0,0,0,0\n"
			 "10000000,0,0,0,10000000,0,2,0,0,0\n"
			 "20000000,0,0,5000000,15000000,5000000,2,1,0,1\n"
			 "30000000,0,0,5000000,25000000,5000000,,,,\n");
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), 0);
	assert_int_equal(csv_table_load(rates, &t), 0);
	assert_int_equal(t.nrows, 3);
	assert_string_equal(csv_table_cell(&t, 0, 4), "0.000");
	assert_string_equal(csv_table_cell(&t, 1, 3), "50.000");
	assert_string_equal(csv_table_cell(&t, 1, 4), "50.000");    /* 1 steal tick of 2 */
	assert_string_equal(csv_table_cell(&t, 2, 4), "");          /* a sample without ticks */
	csv_table_free(&t);
}

static void test_resplot_rates_errors_name_the_file(void **state)
{
	struct fixture *f = *state;
	char vcpu[PATH_MAX], rates[PATH_MAX];
	struct stat st;

	path_in(f, "v.csv", vcpu, sizeof(vcpu));
	path_in(f, "r.csv", rates, sizeof(rates));

	write_text(vcpu, "t_ns,vcpu,guest_steal_ns\n0,0,0\n");
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), -EINVAL);
	assert_non_null(strstr(log_last_error(), vcpu));
	assert_non_null(strstr(log_last_error(), "missing column 'host_delay_ns'"));

	write_text(vcpu, "t_ns,vcpu,guest_steal_ns,host_delay_ns\n0,0,0,0\n"
			 "10000000,0,0,5ms\n");
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), -EINVAL);
	assert_non_null(strstr(log_last_error(), vcpu));
	assert_non_null(strstr(log_last_error(), "data row 2, column host_delay_ns"));

	write_text(vcpu, "t_ns,vcpu,guest_steal_ns,host_delay_ns\n0,0,0,0\n0,1,0,0\n");
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), -EINVAL);
	assert_non_null(strstr(log_last_error(), "no vCPU has two samples"));
	/* Nothing half-written is left under the final name. */
	assert_int_equal(stat(rates, &st), -1);

	path_in(f, "none.csv", vcpu, sizeof(vcpu));
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), -ENOENT);
	assert_non_null(strstr(log_last_error(), vcpu));
}

/*
 * schedstat credits run delay when the thread gets the CPU back, in lumps:
 * a vCPU thread on half a CPU reads 80, 20, 80, 20, 50 % per 10 ms interval
 * here (25 ms in every 50 ms). A 50 ms window reads a steady 50 %.
 */
static void test_resplot_rates_windowed_over_lumpy_delay(void **state)
{
	static const int lump_ms[5] = { 8, 2, 8, 2, 5 };
	struct fixture *f = *state;
	char vcpu[PATH_MAX], rates[PATH_MAX], line[128];
	struct csv_table t;
	FILE *fp;
	int64_t delay = 0;
	int k;

	/* the window: max(sample_interval, 50 ms) in whole sample intervals */
	assert_int_equal(resplot_rate_window(10000000), 5);
	assert_int_equal(resplot_rate_window(1000000), 50);
	assert_int_equal(resplot_rate_window(30000000), 2);
	assert_int_equal(resplot_rate_window(50000000), 1);
	assert_int_equal(resplot_rate_window(100000000), 1);
	assert_int_equal(resplot_rate_window(0), 1);

	path_in(f, "v.csv", vcpu, sizeof(vcpu));
	path_in(f, "r.csv", rates, sizeof(rates));
	fp = fopen(vcpu, "w");
	assert_non_null(fp);
	fputs("t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,"
	      "tick_user,tick_system,tick_idle,tick_steal\n", fp);
	for (k = 0; k <= 20; k++) {
		snprintf(line, sizeof(line), "%lld,0,0,,0,%lld,,,,\n",
			 (long long)k * 10000000, (long long)delay);
		fputs(line, fp);
		delay += (int64_t)lump_ms[k % 5] * 1000000;
	}
	assert_int_equal(fclose(fp), 0);

	/* per interval: lumpy */
	assert_int_equal(resplot_write_rates(vcpu, rates, 1), 0);
	assert_int_equal(csv_table_load(rates, &t), 0);
	assert_int_equal(t.nrows, 20);
	assert_string_equal(csv_table_cell(&t, 0, 2), "80.000");
	assert_string_equal(csv_table_cell(&t, 1, 2), "20.000");
	assert_string_equal(csv_table_cell(&t, 4, 2), "50.000");
	csv_table_free(&t);

	/* over 5 intervals (50 ms), sliding one sample: 50 % throughout */
	assert_int_equal(resplot_write_rates(vcpu, rates, resplot_rate_window(10000000)), 0);
	assert_int_equal(csv_table_load(rates, &t), 0);
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
	assert_int_equal(resplot_write_rates(vcpu, rates, 50), 0);
	assert_int_equal(csv_table_load(rates, &t), 0);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(csv_table_cell(&t, 0, 0), "100000000");
	assert_string_equal(csv_table_cell(&t, 0, 2), "50.000");
	csv_table_free(&t);

	assert_int_equal(resplot_write_rates(vcpu, rates, 0), -EINVAL);
}

/* ---- every plot --------------------------------------------------------------------- */

static void test_resplot_plot_all_draws_every_plot(void **state)
{
	struct fixture *f = *state;

	if (!have_gnuplot())
		skip();
	assert_int_equal(results_plot_all(f->dir), 0);
	/* The hog's window is shaded for shared; alone has none. */
	assert_plot(f, "progress-shared", "host contention");
	assert_plot(f, "progress-alone", NULL);
	assert_plot(f, "steal-shared", "host contention");
	assert_plot(f, "steal-alone", NULL);
	/* alone has only the phase "all": marked in the chart; repeat = 2. */
	assert_plot(f, "policies", "alone [no hog]");
	assert_plot(f, "policies", "mean of 2 runs");
	assert_true(exists(f, "shared/rep-1/" RESPLOT_RATES_CSV));
	assert_true(exists(f, "alone/rep-1/" RESPLOT_RATES_CSV));
	assert_false(exists(f, "progress-alone.gp"));

	/* Drawing again replaces everything and still succeeds. */
	assert_int_equal(results_plot_all(f->dir), 0);
	assert_plot(f, "steal-shared", NULL);
}

static void test_resplot_windows_come_from_the_results_spec(void **state)
{
	struct fixture *f = *state;
	char spec[PATH_MAX];

	if (!have_gnuplot())
		skip();
	/*
	 * The spec as run, in the results directory: here alone keeps the hog
	 * (no "contention = none"), and a policy late never ran (no directory).
	 */
	path_in(f, "spec.ini", spec, sizeof(spec));
	write_text(spec, MINI_SPEC_HEAD "[policy shared]\n[policy alone]\n[policy late]\n");
	assert_int_equal(results_plot_all(f->dir), 0);
	assert_plot(f, "progress-alone", "host contention");
	assert_plot(f, "steal-alone", "host contention");
	/* late is left out with a warning, of the figures and of the chart. */
	assert_false(exists(f, "progress-late.png"));
	assert_false(exists(f, "steal-late.png"));
	assert_plot(f, "policies", "shared");
}

/*
 * A policy the run skipped (a missing host feature) has <policy>/SKIPPED and
 * no rep-1/: it is left out, not an error, and the chart has the others.
 */
static void test_resplot_skipped_policy_left_out(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	if (!have_gnuplot())
		skip();
	path_in(f, "spec.ini", path, sizeof(path));
	write_text(path, MINI_SPEC_HEAD "[policy shared]\n[policy alone]\ncontention = none\n"
			 "[policy quota]\nvm.quota = 50\ncontention = none\n");
	path_in(f, "quota", path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	path_in(f, "quota/SKIPPED", path, sizeof(path));
	write_text(path, "requires cgroup-cpu-max: cgroup v2 has no cpu controller here\n");

	assert_int_equal(results_plot_all(f->dir), 0);
	assert_false(exists(f, "progress-quota.png"));
	assert_false(exists(f, "steal-quota.png"));
	assert_false(exists(f, "quota/rep-1"));
	assert_plot(f, "progress-shared", "host contention");
	assert_plot(f, "steal-alone", NULL);
	assert_plot(f, "policies", "shared");

	/* every policy skipped: nothing to draw, and nothing wrong */
	path_in(f, "spec.ini", path, sizeof(path));
	write_text(path, "[experiment]\nname = results-mini\ndescription = d\n"
			 "duration = 200ms\n[policy quota]\nvm.quota = 50\n");
	assert_int_equal(results_plot_all(f->dir), 0);
}

static void test_resplot_missing_input_named(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	if (!have_gnuplot())
		skip();
	path_in(f, "shared/rep-1/vcpu.csv", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(results_plot_all(f->dir), -ENOENT);
	assert_non_null(strstr(log_last_error(), path));
	/* One missing file costs only its own figure. */
	assert_false(exists(f, "steal-shared.png"));
	assert_plot(f, "progress-shared", NULL);
	assert_plot(f, "steal-alone", NULL);
	assert_plot(f, "policies", NULL);

	path_in(f, "alone/rep-1/progress.csv", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_true(results_plot_all(f->dir) < 0);

	path_in(f, "spec.ini", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(results_plot_all(f->dir), -ENOENT);
	assert_non_null(strstr(log_last_error(), path));
	assert_non_null(strstr(log_last_error(), "not a results directory"));
}

static void test_resplot_malformed_summary_named(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	if (!have_gnuplot())
		skip();
	path_in(f, "summary.csv", path, sizeof(path));
	write_text(path, "policy,phase,vcpu,rep,units_done\nshared,contended,0,mean,9.5\n");
	assert_int_equal(results_plot_all(f->dir), -EINVAL);
	assert_non_null(strstr(log_last_error(), path));
	assert_non_null(strstr(log_last_error(), "missing column 'work_rate_frac_of_baseline'"));
	assert_false(exists(f, "policies.png"));

	write_text(path, "policy,phase,vcpu,rep,work_rate_ups,work_rate_frac_of_baseline,"
			 "host_delay_pct,guest_steal_pct\n"
			 "shared,contended,0,mean,95.000,0.4750,lots,49.700\n");
	assert_int_equal(results_plot_all(f->dir), -EINVAL);
	assert_non_null(strstr(log_last_error(), path));
	assert_non_null(strstr(log_last_error(), "column host_delay_pct: not a number"));

	/* Only repetitions, no mean row: said, with the policy. */
	write_text(path, "policy,phase,vcpu,rep,work_rate_ups,work_rate_frac_of_baseline,"
			 "host_delay_pct,guest_steal_pct\n"
			 "shared,contended,0,0,95.000,0.4750,50,49.700\n");
	assert_int_equal(results_plot_all(f->dir), -EINVAL);
	assert_non_null(strstr(log_last_error(), "policy shared, phase contended, vcpu 0: "
			       "no 'mean' row"));
}

static void test_resplot_gnuplot_missing_said_once(void **state)
{
	struct fixture *f = *state;
	char *old, *saved = NULL;

	old = getenv("PATH");
	if (old)
		saved = strdup(old);
	assert_int_equal(setenv("PATH", f->dir, 1), 0);
	assert_int_equal(results_plot_all(f->dir), GNUPLOT_EMISSING);
	assert_true(GNUPLOT_EMISSING != -ENOENT);
	assert_non_null(strstr(log_last_error(), "install gnuplot-nox"));
	/* Found out before anything was read or written. */
	assert_false(exists(f, "shared/rep-1/" RESPLOT_RATES_CSV));
	assert_false(exists(f, "progress-shared.png"));
	if (saved) {
		setenv("PATH", saved, 1);
		free(saved);
	} else {
		unsetenv("PATH");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resplot_rate_pct_clamps_and_guards),
		cmocka_unit_test_setup_teardown(test_resplot_rates_fixture_fifty_percent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_rates_vcpus_sorted_native_and_odd_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_rates_guest_tick_steal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_rates_errors_name_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_rates_windowed_over_lumpy_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_plot_all_draws_every_plot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_windows_come_from_the_results_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_skipped_policy_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_missing_input_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_malformed_summary_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_gnuplot_missing_said_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
