/*
 * Integration tests of the benchmark driver (bench/stealbench): its command
 * line, and a smoke pass of two cheap figures (--quick --only 2,4) whose
 * output files must have the promised structure: the CSV's columns, every
 * row of a figure that ran, every measured row with a spread, a baseline,
 * a ratio and where it was measured, every other row with its reason, and
 * RESULTS.md carrying the machine and each row. kvm-mini's rows must be
 * measured wherever kvm-mini can run (/dev/kvm, or QEMU for the nested
 * route, whose static binaries the Makefile builds before this test), and
 * say why not elsewhere. No timing is asserted: timing claims belong in
 * bench/RESULTS.md, not in a test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"

#include "tests/support/files.h"
#include "tests/support/run.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH TEST_BENCH_BIN
#define SMOKE_TIMEOUT_MS 300000        /* the nested route boots an L1 guest once */
#define CLI_TIMEOUT_MS 10000

static const char *const expected_cols[] = {
	"date_utc", "mode", "cpu_model", "kernel", "cpus_online", "kvm_module",
	"figure", "id", "what", "unit", "status", "where", "n", "median", "p25", "p75", "min",
	"max",
	"baseline", "baseline_n", "baseline_median", "baseline_p25", "baseline_p75",
	"baseline_min", "baseline_max", "ratio", "note",
};
#define NCOLS (sizeof(expected_cols) / sizeof(expected_cols[0]))

static const char *cell(const struct csv_table *t, size_t row, const char *col)
{
	int c = csv_table_col(t, col);

	if (c < 0)
		fail_msg("no column %s", col);
	return csv_table_cell(t, row, (size_t)c);
}

static double number(const struct csv_table *t, size_t row, const char *col)
{
	double v;

	assert_int_equal(csv_table_f(t, row, (size_t)csv_table_col(t, col), &v), 0);
	return v;
}

/* ---- the command line ---------------------------------------------------- */

static void test_bench_help_and_version(void **state)
{
	const char *help[] = { BENCH, "--help", NULL };
	const char *version[] = { BENCH, "--version", NULL };
	struct support_run r;

	(void)state;
	support_run(help, CLI_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_non_null(strstr(r.out, "Usage: stealbench [OPTION]..."));
	assert_non_null(strstr(r.out, "--quick"));
	assert_string_equal(r.err, "");
	support_run_free(&r);

	support_run(version, CLI_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_string_equal(r.out, "stealbench (stealscope) " STEALSCOPE_VERSION "\n");
	support_run_free(&r);
}

static void test_bench_rejects_bad_options(void **state)
{
	const char *fig9[] = { BENCH, "--only", "2,9", NULL };
	const char *fig0[] = { BENCH, "--only", "0", NULL };
	const char *bad[] = { BENCH, "--fast", NULL };
	const char *operand[] = { BENCH, "extra", NULL };
	struct support_run r;

	(void)state;
	support_run(fig9, CLI_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 2);
	assert_non_null(strstr(r.err, "stealbench: error: --only: no figure 9 (figures are 1-7)"));
	support_run_free(&r);

	support_run(fig0, CLI_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 2);
	assert_non_null(strstr(r.err, "no figure 0"));
	support_run_free(&r);

	support_run(bad, CLI_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 2);
	assert_non_null(strstr(r.err, "unknown option '--fast'"));
	support_run_free(&r);

	support_run(operand, CLI_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 2);
	assert_non_null(strstr(r.err, "unexpected argument 'extra'"));
	support_run_free(&r);
}

/* A work directory that holds something is refused before anything runs. */
static void test_bench_refuses_a_used_work_dir(void **state)
{
	char dir[256], keep[300], out[300];
	const char *argv[] = { BENCH, "--quick", "--only", "2", "--bindir", TEST_BINDIR,
			       "--work", dir, "--out-dir", out, NULL };
	struct support_run r;
	FILE *fp;

	(void)state;
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "bench-used"), 0);
	snprintf(keep, sizeof(keep), "%s/keep", dir);
	snprintf(out, sizeof(out), "%s", dir);
	fp = fopen(keep, "w");
	assert_non_null(fp);
	fclose(fp);
	support_run(argv, CLI_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 1);
	assert_non_null(strstr(r.err, "not empty (give a new directory)"));
	/* nothing was written beside it */
	snprintf(keep, sizeof(keep), "%s/results.csv", dir);
	assert_null(fopen(keep, "r"));
	support_run_free(&r);
	support_rmtree(dir);
}

/* ---- the smoke pass -------------------------------------------------------- */

/* kvm-mini's rows of figures 2 and 4 in quick mode (2 steal runs). */
static const char *const kvm_ids[] = {
	"stamps.kvm-mini.wall.1ms", "stamps.kvm-mini.wall.100us", "stamps.kvm-mini.wall.10us",
	"stamps.kvm-mini.window.100us", "stamps.kvm-mini.window.10us",
	"steal.kvm-mini.contended", "steal.kvm-mini.exact-minus-delay.run-us",
	"steal.kvm-mini.exact-minus-delay.run-pct", "steal.kvm-mini.exact-minus-delay.window",
	"steal.kvm-mini.tick-minus-exact.run", "steal.kvm-mini.tick-minus-exact.window",
	"steal.kvm-mini.run-1", "steal.kvm-mini.run-2",
};
#define NKVM (sizeof(kvm_ids) / sizeof(kvm_ids[0]))
/* What stealbench writes for them where kvm-mini cannot run at all. */
static const char *const kvm_missing_ids[] = {
	"stamps.kvm-mini.wall.1ms", "stamps.kvm-mini.wall.100us", "stamps.kvm-mini.wall.10us",
	"stamps.kvm-mini.window.100us", "stamps.kvm-mini.window.10us",
	"steal.kvm-mini.contended", "steal.kvm-mini.exact-minus-delay.run-us",
	"steal.kvm-mini.exact-minus-delay.run-pct", "steal.kvm-mini.exact-minus-delay.window",
	"steal.kvm-mini.tick-minus-exact.run", "steal.kvm-mini.tick-minus-exact.window",
};
#define NKVM_MISSING (sizeof(kvm_missing_ids) / sizeof(kvm_missing_ids[0]))

static int is_kvm_row(const char *id)
{
	return strstr(id, ".kvm-mini.") != NULL;
}

static int kvm_dev_opens(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int qemu_in_path(void)
{
	const char *path = getenv("PATH");
	char dir[4096], file[4200], *save = NULL, *d;

	snprintf(dir, sizeof(dir), "%s", path ? path : "/usr/bin:/bin");
	for (d = strtok_r(dir, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/qemu-system-x86_64", d);
		if (access(file, X_OK) == 0)
			return 1;
	}
	return 0;
}

/*
 * Every row: a known figure, a known status, and what its status promises;
 * `where` is "host" for the host's own rows, the route for kvm-mini's.
 */
static void check_rows(const struct csv_table *t, const char *route, int *measured,
		       int *missing)
{
	size_t i, j;

	for (i = 0; i < t->nrows; i++) {
		const char *id = cell(t, i, "id"), *status = cell(t, i, "status");
		const char *where = cell(t, i, "where");
		int64_t fig;

		assert_int_equal(csv_table_i64(t, i, (size_t)csv_table_col(t, "figure"), &fig), 0);
		if (fig != 2 && fig != 4)
			fail_msg("row %s of figure %lld, which did not run", id, (long long)fig);
		for (j = 0; j < i; j++)
			if (!strcmp(cell(t, j, "id"), id))
				fail_msg("id %s twice", id);
		assert_string_equal(cell(t, i, "mode"), "quick");
		assert_int_equal(strlen(cell(t, i, "date_utc")), 20);
		assert_true(cell(t, i, "what")[0] != '\0');
		if (!strcmp(status, "measured")) {
			double med = number(t, i, "median"), lo = number(t, i, "min");
			double hi = number(t, i, "max"), base = number(t, i, "baseline_median");

			(*measured)++;
			assert_false(isnan(med));
			assert_true(lo <= med && med <= hi);
			assert_true(number(t, i, "p25") <= med && med <= number(t, i, "p75"));
			assert_true(number(t, i, "n") >= 1);
			assert_true(number(t, i, "baseline_n") >= 1);
			assert_true(cell(t, i, "baseline")[0] != '\0');
			assert_false(isnan(base));
			if (is_kvm_row(id))
				assert_string_equal(where, route);
			else
				assert_string_equal(where, "host");
			/* the ratio is the medians' quotient wherever the baseline is not 0 */
			if (base != 0)
				assert_true(fabs(number(t, i, "ratio") - med / base) <=
					    1e-3 * fabs(med / base) + 1e-6);
			else
				assert_true(isnan(number(t, i, "ratio")));
		} else {
			(*missing)++;
			if (!is_kvm_row(id) || strcmp(status, "not measurable here"))
				fail_msg("row %s: %s (%s)", id, status, cell(t, i, "note"));
			assert_string_equal(where, "");
			assert_true(isnan(number(t, i, "median")));
			assert_non_null(strstr(cell(t, i, "note"), "kvm-mini needs /dev/kvm"));
		}
	}
}

static size_t row_of(const struct csv_table *t, const char *id)
{
	size_t i;

	for (i = 0; i < t->nrows; i++)
		if (!strcmp(cell(t, i, "id"), id))
			return i;
	fail_msg("no row %s", id);
	return 0;
}

static void test_bench_quick_smoke_files(void **state)
{
	char dir[256], work[300], out[300], csv[320], md[320];
	const char *argv[] = { BENCH, "--quick", "--only", "2,4", "--bindir", TEST_BINDIR,
			       "--work", work, "--out-dir", out, NULL };
	static const char *const want[] = {
		"stamps.wall.1ms", "stamps.wall.10us", "stamps.window.10us",
		"stamps.clock-read", "stamps.kvm-mini.wall.10us", "steal.native.contended",
		"steal.native.contended-same-run", "steal.native.run-1", "steal.native.run-3",
		"steal.kvm-mini.exact-minus-delay.window",
	};
	struct support_run r;
	struct csv_table t;
	int measured = 0, missing = 0, can_kvm = kvm_dev_opens() || qemu_in_path();
	const char *route = kvm_dev_opens() ? "kvm" : "nested-tcg";
	size_t i, k;
	char *text;

	(void)state;
	print_message("kvm-mini's rows: %s\n", can_kvm ? route : "not measurable (no /dev/kvm, "
		      "no QEMU)");
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "bench-smoke"), 0);
	snprintf(work, sizeof(work), "%s/work", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(csv, sizeof(csv), "%s/results.csv", out);
	snprintf(md, sizeof(md), "%s/RESULTS.md", out);
	support_run(argv, SMOKE_TIMEOUT_MS, &r);
	if (support_status(&r) != 0)
		fail_msg("stealbench exited %d: %s", support_status(&r), r.err);

	assert_int_equal(csv_table_load(csv, &t), 0);
	assert_int_equal(t.ncols, NCOLS);
	for (i = 0; i < NCOLS; i++)
		assert_string_equal(t.header[i], expected_cols[i]);
	check_rows(&t, route, &measured, &missing);
	/*
	 * The host: 3 wall, 2 window, clock read; the contended median twice and
	 * 3 runs. kvm-mini: 3 wall, 2 window; 6 steal rows and 2 runs.
	 */
	if (can_kvm) {
		assert_int_equal(measured, 11 + (int)NKVM);
		assert_int_equal(missing, 0);
		for (i = 0; i < NKVM; i++) {
			k = row_of(&t, kvm_ids[i]);
			assert_string_equal(cell(&t, k, "status"), "measured");
		}
		k = row_of(&t, "stamps.kvm-mini.wall.10us");
		assert_string_equal(cell(&t, k, "unit"), "Mloop/s");
		assert_non_null(strstr(cell(&t, k, "baseline"), "a stamp every 50 ms"));
		k = row_of(&t, "steal.kvm-mini.exact-minus-delay.window");
		assert_true(number(&t, k, "n") == 20);  /* 10 windows of 100 ms, 2 runs */
		/* guest steal and run delay share one base: they agree over a whole run */
		k = row_of(&t, "steal.kvm-mini.exact-minus-delay.run-pct");
		assert_true(fabs(number(&t, k, "median")) < 0.05);
		assert_string_equal(cell(&t, k, "baseline"), "host run delay, % of the run's wall");
	} else {
		assert_int_equal(measured, 11);
		assert_int_equal(missing, (int)NKVM_MISSING);
		for (i = 0; i < NKVM_MISSING; i++)
			row_of(&t, kvm_missing_ids[i]);
	}

	text = support_read_file(md);
	assert_non_null(text);
	assert_non_null(strstr(text, "## 2. Progress stamp cost"));
	assert_non_null(strstr(text, "## 4. Steal accuracy"));
	assert_null(strstr(text, "## 1."));
	assert_non_null(strstr(text, "| KVM module | "));
	assert_non_null(strstr(text, cell(&t, 0, "date_utc")));
	assert_non_null(strstr(text, "quick mode"));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char needle[80];

		snprintf(needle, sizeof(needle), "| %s |", want[i]);
		if (!strstr(text, needle))
			fail_msg("RESULTS.md has no row %s", want[i]);
	}
	for (i = 0; i < t.nrows; i++) {
		char needle[80];

		snprintf(needle, sizeof(needle), "| %s |", cell(&t, i, "id"));
		if (!strstr(text, needle))
			fail_msg("RESULTS.md lacks the row %s of results.csv", cell(&t, i, "id"));
	}
	/* kvm-mini's rows say where in RESULTS.md too */
	if (can_kvm) {
		char needle[80];

		snprintf(needle, sizeof(needle), "| steal.kvm-mini.contended | *%s:* kvm-mini",
			 route);
		assert_non_null(strstr(text, needle));
	}
	/* the same table on stdout */
	assert_non_null(strstr(r.out, "| steal.native.contended |"));
	free(text);
	csv_table_free(&t);
	support_run_free(&r);
	support_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_help_and_version),
		cmocka_unit_test(test_bench_rejects_bad_options),
		cmocka_unit_test(test_bench_refuses_a_used_work_dir),
		cmocka_unit_test(test_bench_quick_smoke_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
