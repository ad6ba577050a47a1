/*
 * test_resplot: the plots of a results directory, on a copy of
 * tests/fixtures/results-mini (two policies, 200 ms; see its README) made in
 * a mkdtemp directory, never in the tree. The chart's reading of
 * summary.csv (chartdata.c) runs without gnuplot; drawing every plot, and
 * the errors that name their file, need gnuplot and skip without it. The
 * missing-gnuplot path runs everywhere. The rates behind the steal figure
 * are tested on their own in test_rates.c.
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

#include "common/log.h"
#include "experiments/chartdata.h"
#include "experiments/rates.h"
#include "experiments/resplot.h"
#include "experiments/spec.h"
#include "plots/gnuplot.h"
#include "plots/policies.h"

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

/* ---- the chart's numbers (chartdata.c) ---------------------------------------------- */

/*
 * results-mini's summary.csv, read without gnuplot: shared over its
 * contended phase, alone over "all" (it has no hog); vcpu 0 rows (no "all"
 * rows in the fixture); the mean and sd cells, two repetitions each.
 */
static void test_resplot_chartdata_reads_summary(void **state)
{
	struct fixture *f = *state;
	char spec[PATH_MAX], summary[PATH_MAX];
	unsigned char skipped[2] = { 0, 0 };
	struct spec_set set;
	struct chartdata cd;

	path_in(f, "spec.ini", spec, sizeof(spec));
	path_in(f, "summary.csv", summary, sizeof(summary));
	assert_int_equal(spec_load(spec, &set), 0);
	assert_int_equal(set.n_policies, 2);
	assert_int_equal(chartdata_load(summary, &set, skipped, &cd), 0);
	assert_int_equal(cd.n, 2);
	assert_int_equal(cd.has_contended, 1);
	assert_int_equal(cd.has_whole, 1);
	assert_string_equal(cd.pol[0].name, "shared");
	assert_string_equal(cd.pol[0].phase, "contended");
	assert_int_equal(cd.pol[0].nreps, 2);
	assert_float_equal(cd.pol[0].mean[CHARTDATA_WORK_FRAC], 0.475, 1e-12);
	assert_float_equal(cd.pol[0].mean[CHARTDATA_WORK_UPS], 95.0, 1e-12);
	assert_float_equal(cd.pol[0].mean[CHARTDATA_DELAY_PCT], 50.6, 1e-12);
	assert_float_equal(cd.pol[0].mean[CHARTDATA_STEAL_PCT], 49.7, 1e-12);
	assert_float_equal(cd.pol[0].sd[CHARTDATA_DELAY_PCT], 0.849, 1e-12);
	assert_string_equal(cd.pol[1].name, "alone");
	assert_string_equal(cd.pol[1].phase, "all");
	assert_float_equal(cd.pol[1].mean[CHARTDATA_WORK_FRAC], 0.9875, 1e-12);
	assert_float_equal(cd.pol[1].sd[CHARTDATA_STEAL_PCT], 0.035, 1e-12);
	assert_int_equal(chartdata_work_unit(&cd), PLOT_WORK_FRAC);
	chartdata_free(&cd);
	assert_null(cd.pol);

	/* a skipped policy is left out, silently; the other stays */
	skipped[0] = 1;
	assert_int_equal(chartdata_load(summary, &set, skipped, &cd), 0);
	assert_int_equal(cd.n, 1);
	assert_string_equal(cd.pol[0].name, "alone");
	assert_int_equal(cd.has_contended, 0);
	chartdata_free(&cd);

	/* a work rate without its fraction of baseline: the chart's scale is units/s */
	write_text(summary, "policy,phase,vcpu,rep,work_rate_ups,work_rate_frac_of_baseline,"
			    "host_delay_pct,guest_steal_pct\n"
			    "shared,contended,all,mean,95.000,,50,49.7\n"
			    "alone,all,all,mean,197.5,0.9875,0.2,0.1\n");
	skipped[0] = 0;
	assert_int_equal(chartdata_load(summary, &set, skipped, &cd), 0);
	assert_int_equal(cd.n, 2);
	assert_int_equal(cd.pol[0].nreps, 0);
	assert_true(isnan(cd.pol[0].sd[CHARTDATA_WORK_UPS]));   /* no sd row */
	assert_int_equal(chartdata_work_unit(&cd), PLOT_WORK_UPS);
	chartdata_free(&cd);

	/* no rows for any policy: an error naming the file, nothing to free */
	write_text(summary, "policy,phase,vcpu,rep,work_rate_ups,work_rate_frac_of_baseline,"
			    "host_delay_pct,guest_steal_pct\n"
			    "other,all,0,mean,1,1,1,1\n");
	assert_int_equal(chartdata_load(summary, &set, skipped, &cd), -EINVAL);
	assert_non_null(strstr(log_last_error(), summary));
	assert_non_null(strstr(log_last_error(), "no rows for any policy of the spec"));
	assert_null(cd.pol);
	assert_int_equal(cd.n, 0);
	spec_free(&set);
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
	assert_true(exists(f, "shared/rep-1/" RATES_CSV));
	assert_true(exists(f, "alone/rep-1/" RATES_CSV));
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
	assert_false(exists(f, "shared/rep-1/" RATES_CSV));
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
		cmocka_unit_test_setup_teardown(test_resplot_chartdata_reads_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_plot_all_draws_every_plot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_windows_come_from_the_results_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_skipped_policy_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_missing_input_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_malformed_summary_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplot_gnuplot_missing_said_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
