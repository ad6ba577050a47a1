/*
 * Integration tests of bin/cpu-sampler: the real binary is run (through
 * tests/support/run.h, with a timeout, so a hang fails the test instead of
 * blocking the suite), its CSV is loaded back with csv_table_load() and
 * checked row by row. A forked spinner pinned to CPU 0, or bin/inf-loop on
 * the most idle CPU, provides a known busy CPU. Prometheus output is read
 * with the strict parser of tests/support/promparse and, where installed,
 * checked by `promtool check metrics`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"
#include "common/procstat.h"
#include "tests/support/promparse.h"
#include "tests/support/run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL TEST_BINDIR "/cpu-sampler"
#define INF_LOOP TEST_BINDIR "/inf-loop"
#define STATIC_ROOT TEST_FIXTURES "/sampler-static"
#define RUN_TIMEOUT_MS 10000
#define COARSE_WARNING "USER_HZ is 100: intervals under 100ms mostly see 0 or 1 tick; " \
	"percentages are coarse"

static char tmpdir[] = "/tmp/test_cpu_sampler.XXXXXX";

static void tmp_file(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);
}

/* Run cpu-sampler with @argv (argv[0] is TOOL) and expect exit 0. */
static void run_ok(const char *const argv[], struct support_run *r)
{
	support_run(argv, RUN_TIMEOUT_MS, r);
	if (support_status(r) != 0)
		fail_msg("cpu-sampler: status %d, stderr '%s'", support_status(r), r->err);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return support_rmtree(tmpdir);
}

/* ---- tests ------------------------------------------------------------ */

static void test_cpu_sampler_busy_cpu_is_user_time(void **state)
{
	char out[PATH_MAX];
	const char *argv[] = { TOOL, "--interval", "100ms", "--count", "5", "--cpus", "0",
			       "--out", out, NULL };
	struct csv_table t;
	struct support_run r;
	pid_t spin;
	size_t i;

	(void)state;
	tmp_file(out, "busy.csv");
	spin = support_spinner(0);
	support_sleep_ms(50);
	support_run(argv, RUN_TIMEOUT_MS, &r);
	support_reap(spin);
	assert_int_equal(support_status(&r), 0);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 5);
	for (i = 0; i < t.nrows; i++) {
		double busy = support_cell_f(&t, i, "usr_pct") + support_cell_f(&t, i, "sys_pct");

		assert_int_equal(support_cell_i64(&t, i, "cpu"), 0);
		assert_int_equal(support_cell_i64(&t, i, "seq"), (int64_t)i + 1);
		assert_true(support_cell_i64(&t, i, "interval_ticks") > 0);
		if (busy <= 80.0)
			fail_msg("row %zu: usr+sys %.2f%% on the spinning CPU 0", i, busy);
	}
	/* t_ns grows by about one interval per row. */
	assert_true(support_cell_i64(&t, 4, "t_ns") > support_cell_i64(&t, 0, "t_ns") + 300000000);
	csv_table_free(&t);
	support_run_free(&r);
}

/*
 * bin/inf-loop pinned to the most idle CPU C, sampled by cpu-sampler on C:
 * the CPU is busy, > 80% usr+sys on average over the rows. Retried, and C
 * chosen afresh each time: a niced neighbour on C would count as %nice.
 */
static void test_cpu_sampler_sees_inf_loop(void **state)
{
	char cpu_s[16], out[PATH_MAX];
	const char *loop[] = { INF_LOOP, "--cpu", cpu_s, "--duration", "2s", NULL };
	const char *argv[] = { TOOL, "--cpus", cpu_s, "--interval", "200ms", "--count", "5",
			       "--out", out, NULL };
	struct support_child hog;
	struct support_run r, hr;
	struct csv_table t;
	double mean = 0;
	int attempt, cpu;
	size_t i;

	(void)state;
	tmp_file(out, "inf-loop.csv");
	for (attempt = 0; attempt < 3; attempt++) {
		cpu = support_least_busy_cpu();
		snprintf(cpu_s, sizeof(cpu_s), "%d", cpu);
		support_spawn(loop, &hog);
		support_sleep_ms(100);
		run_ok(argv, &r);
		support_signal(&hog, SIGTERM);
		support_wait(&hog, RUN_TIMEOUT_MS, &hr);
		assert_int_equal(hr.exit_code, 0);
		assert_int_equal(csv_table_load(out, &t), 0);
		assert_int_equal(t.nrows, 5);
		mean = 0;
		for (i = 0; i < t.nrows; i++) {
			assert_int_equal(support_cell_i64(&t, i, "cpu"), cpu);
			mean += support_cell_f(&t, i, "usr_pct") + support_cell_f(&t, i, "sys_pct");
		}
		mean /= (double)t.nrows;
		print_message("attempt %d: CPU %s %.1f%% usr+sys under inf-loop\n", attempt + 1,
			      cpu_s, mean);
		csv_table_free(&t);
		support_run_free(&r);
		support_run_free(&hr);
		if (mean > 80.0)
			break;
	}
	if (mean <= 80.0)
		fail_msg("mean usr+sys %.2f%% on the CPU inf-loop spins on", mean);
}

/* Every percentage column of @t at @row is empty (a 0-tick interval). */
static void assert_pcts_empty(const struct csv_table *t, size_t row)
{
	static const char *const pcts[] = {
		"usr_pct", "nice_pct", "sys_pct", "iowait_pct", "irq_pct", "soft_pct",
		"steal_pct", "guest_pct", "gnice_pct", "idle_pct",
	};
	size_t j;

	for (j = 0; j < sizeof(pcts) / sizeof(pcts[0]); j++) {
		int c = csv_table_col(t, pcts[j]);

		assert_true(c >= 0);
		if (csv_table_cell(t, row, (size_t)c)[0])
			fail_msg("row %zu: %s is '%s' in a 0-tick interval", row, pcts[j],
				 csv_table_cell(t, row, (size_t)c));
	}
}

/*
 * A /proc/stat that never changes: every interval has 0 ticks. Decision:
 * such rows are written (the CPU was sampled), with interval_ticks 0 and
 * every percentage empty (no data is not 0% idle), and the raw columns
 * carry the counters.
 */
static void test_cpu_sampler_static_root_gives_zero_tick_rows(void **state)
{
	char out[PATH_MAX];
	const char *argv[] = { TOOL, "--root", STATIC_ROOT, "--interval", "20ms", "--count", "3",
			       "--out", out, NULL };
	struct csv_table t;
	struct support_run r;
	size_t i;

	(void)state;
	tmp_file(out, "static.csv");
	run_ok(argv, &r);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 6);	/* 3 intervals x CPUs 0 and 1, no aggregate */
	for (i = 0; i < t.nrows; i++) {
		assert_int_equal(support_cell_i64(&t, i, "seq"), (int64_t)(i / 2) + 1);
		assert_int_equal(support_cell_i64(&t, i, "cpu"), (int64_t)(i % 2));
		assert_int_equal(support_cell_i64(&t, i, "interval_ticks"), 0);
		assert_pcts_empty(&t, i);
		assert_int_equal(support_cell_i64(&t, i, "user_ticks"), 2100);
		assert_int_equal(support_cell_i64(&t, i, "steal_ticks"), 150);
	}
	assert_int_equal(support_cell_i64(&t, 1, "softirq_ticks"), 25);
	/* 20ms is under 100ms: warned once */
	assert_int_equal(support_count_substr(r.err, COARSE_WARNING), 1);
	csv_table_free(&t);
	support_run_free(&r);
}

/* The same 0-tick rows as a table: every percentage is "-", never 0.00. */
static void test_cpu_sampler_zero_tick_table_shows_dashes(void **state)
{
	const char *argv[] = { TOOL, "--root", STATIC_ROOT, "--interval", "20ms", "--count", "2",
			       "--format", "table", NULL };
	char *line, *save = NULL;
	struct support_run r;
	int rows = 0;

	(void)state;
	run_ok(argv, &r);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "%usr"))
			continue;
		rows++;
		assert_int_equal(support_count_substr(line, " -"), 10);
		assert_null(strstr(line, "0.00"));
	}
	assert_int_equal(rows, 4);
	support_run_free(&r);
}

/*
 * At 1 ms most intervals see no tick of USER_HZ. Those rows have empty
 * percentages (they used to say 0% idle and drag the mean down); rows
 * with ticks still add up to 100%. The warning comes once.
 */
static void test_cpu_sampler_one_ms_interval_leaves_no_data_empty(void **state)
{
	char out[PATH_MAX];
	const char *argv[] = { TOOL, "--cpus", "0", "--interval", "1ms", "--count", "300",
			       "--out", out, NULL };
	static const char *const pcts[] = {
		"usr_pct", "nice_pct", "sys_pct", "iowait_pct", "irq_pct", "soft_pct",
		"steal_pct", "idle_pct",
	};
	size_t i, j, empty = 0, with_ticks = 0;
	struct support_run r;
	struct csv_table t;

	(void)state;
	tmp_file(out, "1ms.csv");
	run_ok(argv, &r);
	assert_int_equal(support_count_substr(r.err, COARSE_WARNING), 1);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_true(t.nrows > 0);
	for (i = 0; i < t.nrows; i++) {
		double sum = 0;

		if (support_cell_i64(&t, i, "interval_ticks") == 0) {
			assert_pcts_empty(&t, i);
			empty++;
			continue;
		}
		with_ticks++;
		for (j = 0; j < sizeof(pcts) / sizeof(pcts[0]); j++)
			sum += support_cell_f(&t, i, pcts[j]);
		if (sum < 99.9 || sum > 100.1)
			fail_msg("row %zu: percentages add up to %.2f", i, sum);
	}
	print_message("%zu rows: %zu without a tick, %zu with\n", t.nrows, empty, with_ticks);
	/* 300 ms at USER_HZ 100 is ~30 ticks over 300 intervals */
	assert_true(empty > 0);
	csv_table_free(&t);
	support_run_free(&r);
}

static void test_cpu_sampler_cpus_all_adds_aggregate_row(void **state)
{
	char out[PATH_MAX];
	const char *argv[] = { TOOL, "--root", STATIC_ROOT, "--interval", "20ms", "--count", "2",
			       "--cpus", "all", "--out", out, NULL };
	struct csv_table t;
	struct support_run r;

	(void)state;
	tmp_file(out, "all.csv");
	run_ok(argv, &r);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 6);	/* 2 intervals x (aggregate, 0, 1) */
	assert_int_equal(support_cell_i64(&t, 0, "cpu"), -1);
	assert_int_equal(support_cell_i64(&t, 0, "user_ticks"), 4200);
	assert_int_equal(support_cell_i64(&t, 1, "cpu"), 0);
	assert_int_equal(support_cell_i64(&t, 2, "cpu"), 1);
	assert_int_equal(support_cell_i64(&t, 3, "cpu"), -1);
	csv_table_free(&t);
	support_run_free(&r);
}

/*
 * The table on stdout, at 100ms so that every interval has ticks (at 10ms
 * most would have none, shown as "-": see the dash test above).
 */
static void test_cpu_sampler_table_format(void **state)
{
	const char *argv[] = { TOOL, "--format", "table", "--interval", "100ms", "--count", "2",
			       "--cpus", "0,1", NULL };
	char *line, *save = NULL;
	int nlines = 0, cpu0 = 0, cpu1 = 0;
	struct support_run r;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	run_ok(argv, &r);
	/* 100ms is not coarse: no warning */
	assert_string_equal(r.err, "");
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char cpu[16];
		double t, pct[10];

		nlines++;
		if (nlines == 1) {
			assert_non_null(strstr(line, "CPU"));
			assert_non_null(strstr(line, "%usr"));
			assert_non_null(strstr(line, "%steal"));
			assert_non_null(strstr(line, "%idle"));
			continue;
		}
		assert_null(strstr(line, "%usr"));	/* the header comes once */
		assert_int_equal(sscanf(line, "%lf %15s %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf",
					&t, cpu, &pct[0], &pct[1], &pct[2], &pct[3], &pct[4],
					&pct[5], &pct[6], &pct[7], &pct[8], &pct[9]),
				 12);
		cpu0 += !strcmp(cpu, "0");
		cpu1 += !strcmp(cpu, "1");
		assert_true(t > 0.0 && t < 1.0);
	}
	assert_int_equal(nlines, 5);
	assert_int_equal(cpu0, 2);
	assert_int_equal(cpu1, 2);
	support_run_free(&r);
}

/*
 * --format table --out FILE: written atomically (resdir's afile), so the
 * file appears whole at the end and no temporary is left beside it.
 */
static void test_cpu_sampler_table_to_file(void **state)
{
	char out[PATH_MAX], *text;
	const char *argv[] = { TOOL, "--root", STATIC_ROOT, "--format", "table", "--interval",
			       "100ms", "--count", "1", "--out", out, NULL };
	const char *bad[] = { TOOL, "--root", STATIC_ROOT, "--format", "table", "--count", "1",
			      "--interval", "100ms", "--out", "/nonexistent/dir/t.txt", NULL };
	struct support_run r;

	(void)state;
	tmp_file(out, "table.txt");
	run_ok(argv, &r);
	assert_string_equal(r.out, "");
	support_run_free(&r);
	text = support_slurp(out);
	assert_non_null(strstr(text, "%idle"));
	assert_int_equal(support_count_substr(text, "\n"), 3);	/* header, CPUs 0 and 1 */
	free(text);
	assert_int_equal(support_count_entries(tmpdir, "table.txt.tmp."), 0);
	/* a directory that does not exist: a failure, said once, nothing written */
	support_run(bad, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 1);
	assert_int_equal(support_count_substr(r.err, "cpu-sampler: error: "), 1);
	assert_non_null(strstr(r.err, "/nonexistent/dir/t.txt"));
	support_run_free(&r);
}

/*
 * Usage errors exit 2 and name the problem. Decision: a --root that does not
 * exist is a usage error (2); a root that exists but has no proc/stat is a
 * run-time failure (1), see the next test.
 */
static void test_cpu_sampler_bad_inputs(void **state)
{
	static const struct {
		const char *args[6];
		const char *needle;
	} cases[] = {
		{ { "--interval", "0" }, "--interval" },
		{ { "--interval", "5" }, "unit" },
		{ { "--interval", "500us" }, "--interval" },
		{ { "--cpus", "7" }, "CPU 7 is not online" },
		{ { "--cpus", "0-" }, "--cpus" },
		{ { "--format", "xml" }, "xml" },
		{ { "--root", "/nonexistent" }, "/nonexistent" },
		{ { "--count", "0" }, "--count" },
		{ { "--count", "2", "--duration", "1s" }, "--duration" },
		{ { "--no-such-option" }, "--no-such-option" },
		{ { "extra" }, "extra" },
		{ { "--t0", "later" }, "--t0" },
		{ { "--t0", "-1" }, "negative" },
		{ { "--t0" }, "option '--t0' needs a value" },
		{ { "--format", "prometheus", "--textfile", "x.txt" }, "must end in .prom" },
		{ { "--textfile", "x.prom" }, "--textfile needs --format prometheus" },
		{ { "--format", "prometheus", "--out", "x.csv" }, "not to --out" },
		{ { "--format", "prometheus", "--textfile", "" }, "--textfile: empty file name" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[8] = { TOOL };
		struct support_run r;

		memcpy(argv + 1, cases[i].args, sizeof(cases[i].args));
		support_run(argv, RUN_TIMEOUT_MS, &r);
		if (r.exit_code != 2 || !strstr(r.err, cases[i].needle) ||
		    !strstr(r.err, "cpu-sampler: error: "))
			fail_msg("case %zu (%s): exit %d, stderr '%s'", i, cases[i].args[0],
				 r.exit_code, r.err);
		/* said once, then the hint once, and no warning about the interval */
		if (support_count_substr(r.err, "cpu-sampler: error: ") != 1 ||
		    support_count_substr(r.err, "Try 'cpu-sampler --help'") != 1 ||
		    strstr(r.err, "warning"))
			fail_msg("case %zu (%s): stderr '%s'", i, cases[i].args[0], r.err);
		support_run_free(&r);
	}
}

/* --t0 taken 300 ms before the run: every row's t_ns counts from it. */
static void test_cpu_sampler_t0_is_the_time_origin(void **state)
{
	char out[PATH_MAX], t0s[32];
	const char *argv[] = { TOOL, "--root", STATIC_ROOT, "--interval", "20ms", "--count", "2",
			       "--t0", t0s, "--out", out, NULL };
	struct csv_table t;
	struct support_run r;
	int64_t t0, first;

	(void)state;
	t0 = support_mono_ns() - 300LL * 1000000;
	snprintf(t0s, sizeof(t0s), "%lld", (long long)t0);
	tmp_file(out, "t0.csv");
	run_ok(argv, &r);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 4);
	first = support_cell_i64(&t, 0, "t_ns");
	print_message("first row at %.3f ms after --t0\n", (double)first / 1e6);
	assert_true(first >= 300LL * 1000000);
	assert_true(first < (int64_t)RUN_TIMEOUT_MS * 1000000);
	/* the second interval still ends about 20 ms after the first */
	assert_true(support_cell_i64(&t, 2, "t_ns") >= first + 15LL * 1000000);
	csv_table_free(&t);
	support_run_free(&r);
}

static void test_cpu_sampler_missing_proc_stat_fails(void **state)
{
	char root[PATH_MAX];
	const char *argv[] = { TOOL, "--root", root, "--count", "1", NULL };
	struct support_run r;

	(void)state;
	tmp_file(root, "emptyroot");
	assert_int_equal(mkdir(root, 0755), 0);
	support_run(argv, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "proc/stat"));
	support_run_free(&r);
}

/* Unbounded run ended by SIGINT: exit 0 and every measured interval written. */
static void test_cpu_sampler_sigint_writes_what_was_measured(void **state)
{
	char out[PATH_MAX];
	const char *argv[] = { TOOL, "--interval", "20ms", "--cpus", "0", "--out", out, NULL };
	struct support_child c;
	struct csv_table t;
	struct support_run r;
	size_t i;

	(void)state;
	tmp_file(out, "sigint.csv");
	support_spawn(argv, &c);
	support_sleep_ms(400);
	assert_int_equal(access(out, F_OK), -1);	/* nothing in place before the end */
	support_signal(&c, SIGINT);
	support_wait(&c, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_true(t.nrows >= 10);
	for (i = 1; i < t.nrows; i++)
		assert_true(support_cell_i64(&t, i, "seq") > support_cell_i64(&t, i - 1, "seq"));
	csv_table_free(&t);
	support_run_free(&r);
}

/*
 * A stop during a 10 s interval ends the run at once (the sleep is cut into
 * 100 ms slices, so even a signal that lands just before it is seen), and
 * the first sample, having no interval, gives no row.
 */
static void test_cpu_sampler_sigterm_during_long_interval(void **state)
{
	const char *argv[] = { TOOL, "--interval", "10s", "--cpus", "0", NULL };
	struct support_run r;

	(void)state;
	/* the first sample is taken at once, then the 10 s sleep begins */
	support_run_signal(argv, SIGTERM, 300, 5000, &r);
	if (support_status(&r) != 0 || r.after_signal_ms < 0 || r.after_signal_ms >= 1000.0)
		fail_msg("status %d %.1f ms after SIGTERM (wanted 0 within 1 s): %s",
			 support_status(&r), r.after_signal_ms, r.err);
	/* the header row and nothing else on stdout */
	assert_int_equal(support_count_substr(r.out, "\n"), 1);
	assert_non_null(strstr(r.out, "seq,t_ns,cpu,"));
	support_run_free(&r);
}

/*
 * CPU 1 disappears from a live fake /proc/stat for a while: its rows are
 * skipped meanwhile, CPU 0 keeps all its rows, and there is one warning.
 * The line is hidden by turning "cpu1" into "xpu1" with a one-byte write,
 * which a concurrent read sees whole.
 */
static void test_cpu_sampler_hotplug_skips_absent_cpu(void **state)
{
	char root[PATH_MAX], path[PATH_MAX], out[PATH_MAX], *text;
	const char *argv[] = { TOOL, "--root", root, "--interval", "50ms", "--count", "12",
			       "--out", out, NULL };
	size_t i, rows0 = 0, rows1 = 0;
	struct support_child c;
	struct csv_table t;
	struct support_run r;
	off_t off;
	int fd;

	(void)state;
	tmp_file(root, "hotroot");
	tmp_file(path, "hotroot/proc");
	tmp_file(out, "hotplug.csv");
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	tmp_file(path, "hotroot/proc/stat");
	write_file(path, "cpu  20 0 20 200 0 0 0 0 0 0\n"
			 "cpu0 10 0 10 100 0 0 0 0 0 0\n"
			 "cpu1 10 0 10 100 0 0 0 0 0 0\n"
			 "ctxt 1\n");
	text = support_slurp(path);
	off = strstr(text, "cpu1") - text;
	free(text);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);

	support_spawn(argv, &c);
	support_sleep_ms(175);
	assert_int_equal(pwrite(fd, "x", 1, off), 1);
	support_sleep_ms(200);
	assert_int_equal(pwrite(fd, "c", 1, off), 1);
	close(fd);
	support_wait(&c, RUN_TIMEOUT_MS, &r);

	assert_int_equal(support_status(&r), 0);
	assert_int_equal(support_count_substr(r.err, "cpu 1 is absent"), 1);
	assert_int_equal(csv_table_load(out, &t), 0);
	for (i = 0; i < t.nrows; i++) {
		if (support_cell_i64(&t, i, "cpu") == 0)
			assert_int_equal(support_cell_i64(&t, i, "seq"), (int64_t)++rows0);
		else
			rows1++;
	}
	assert_int_equal(rows0, 12);
	/* Absent for ~4 samples: each absence removes the rows on both sides. */
	if (rows1 < 4 || rows1 > 9)
		fail_msg("cpu 1 has %zu rows of 12", rows1);
	csv_table_free(&t);
	support_run_free(&r);
}

/* ---- --format prometheus --------------------------------------------------- */

#define CPU_FAMILY "stealscope_cpu_seconds_total"
#define USER_HZ 100.0

/* /proc/stat under @root ("" for the real one), read as the sampler reads it. */
static struct procstat_sample *read_stat(const char *root)
{
	struct procstat_sample *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(procstat_read(root, s), 0);
	return s;
}

/*
 * The value of CPU @cpu's @mode in @doc, in ticks (exact: the sampler
 * writes ticks / 100 in a form that reads back to the same double), or -1
 * when there is no such sample.
 */
static long long ticks_of(const struct promparse_doc *doc, int cpu, const char *mode)
{
	const struct promparse_sample *x;
	char cpus[16];

	snprintf(cpus, sizeof(cpus), "%d", cpu);
	x = promparse_find(doc, CPU_FAMILY, "cpu", cpus, "mode", mode, NULL);
	return x ? llround(x->value * USER_HZ) : -1;
}

/* What @doc holds for the CPUs and fields of @like, in ticks, as a sample. */
static struct procstat_sample *doc_ticks(const struct promparse_doc *doc,
					 const struct procstat_sample *like)
{
	struct procstat_sample *s = calloc(1, sizeof(*s));
	int k, f;

	assert_non_null(s);
	s->ncpus = like->ncpus;
	for (k = 0; k < like->ncpus; k++) {
		s->cpu[k] = like->cpu[k];
		for (f = 0; f < like->cpu[k].nfields; f++)
			s->cpu[k].ticks[f] = (uint64_t)ticks_of(doc, like->cpu[k].cpu,
							      procstat_field_names[f]);
	}
	return s;
}

/*
 * Every CPU of @s has one sample per field its line has, equal to ticks /
 * USER_HZ to the last bit, and none for a field it lacks; no other sample.
 */
static void expect_counters(const struct promparse_doc *doc, const struct procstat_sample *s)
{
	const struct promparse_family *f = promparse_family(doc, CPU_FAMILY);
	size_t want = 0;
	int i, k;

	assert_non_null(f);
	assert_int_equal(f->type, PROMPARSE_COUNTER);
	assert_non_null(strstr(f->help, "guest and guest_nice are already counted in user"));
	for (i = 0; i < s->ncpus; i++) {
		const struct procstat_cpu *c = &s->cpu[i];
		char cpus[16];

		snprintf(cpus, sizeof(cpus), "%d", c->cpu);
		for (k = 0; k < PS_NFIELDS; k++) {
			const struct promparse_sample *x = promparse_find(
				doc, CPU_FAMILY, "cpu", cpus, "mode", procstat_field_names[k], NULL);

			if (k >= c->nfields) {
				if (x)
					fail_msg("cpu %d %s: the line has no such field, yet %g",
						 c->cpu, procstat_field_names[k], x->value);
				continue;
			}
			want++;
			if (!x || x->value != (double)c->ticks[k] / USER_HZ)
				fail_msg("cpu %d %s: %g, wanted %llu ticks / 100", c->cpu,
					 procstat_field_names[k], x ? x->value : NAN,
					 (unsigned long long)c->ticks[k]);
		}
	}
	assert_int_equal(f->nsamples, want);
}

/* The loop's families, with the labels @file (NULL: none) and sampler="cpu-sampler". */
static void expect_loop_families(const struct promparse_doc *doc, const char *file)
{
	const struct promparse_sample *o, *ts;
	struct timespec now;

	if (file) {
		o = promparse_find(doc, "stealscope_sampler_overruns_total", "sampler",
				   "cpu-sampler", "file", file, NULL);
		ts = promparse_find(doc, "stealscope_sampler_sample_timestamp_seconds", "sampler",
				    "cpu-sampler", "file", file, NULL);
	} else {
		o = promparse_find(doc, "stealscope_sampler_overruns_total", "sampler",
				   "cpu-sampler", NULL);
		ts = promparse_find(doc, "stealscope_sampler_sample_timestamp_seconds", "sampler",
				    "cpu-sampler", NULL);
	}
	assert_non_null(o);
	assert_true(o->value >= 0 && o->value == floor(o->value));
	assert_non_null(ts);
	clock_gettime(CLOCK_REALTIME, &now);
	/* the sample was taken within the test's timeout, before now */
	if (ts->value > (double)now.tv_sec + 1 || ts->value < (double)now.tv_sec - 15)
		fail_msg("sample timestamp %.3f, now %lld", ts->value, (long long)now.tv_sec);
	assert_int_equal(promparse_family(doc, "stealscope_sampler_sample_timestamp_seconds")->type,
			 PROMPARSE_GAUGE);
}

/*
 * On stdout: one exposition per sample, the first included, separated by
 * an empty line; each holds exactly the fixture's ticks / 100 and passes
 * promtool. --cpus all adds no aggregate series (sum() gives it).
 */
static void test_cpu_sampler_prometheus_counters_are_ticks_over_user_hz(void **state)
{
	const char *argv[] = { TOOL, "--root", TEST_FIXTURES "/normal-2cpu", "--format",
			       "prometheus", "--cpus", "all", "--interval", "20ms", "--count", "2",
			       NULL };
	struct procstat_sample *s = read_stat(TEST_FIXTURES "/normal-2cpu");
	struct promparse_doc doc;
	struct support_run r;
	char *parts[8];
	size_t i, n;

	(void)state;
	run_ok(argv, &r);
	assert_string_equal(r.err, "");        /* no warning about coarse intervals either */
	n = promparse_split(r.out, parts, 8);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		promparse_ok(parts[i], &doc);
		assert_int_equal(doc.nfamilies, 3);
		expect_counters(&doc, s);
		/* spot checks against the fixture's text itself */
		assert_int_equal(ticks_of(&doc, 1, "idle"), 2562422);
		assert_int_equal(ticks_of(&doc, 0, "guest_nice"), 20);
		assert_null(promparse_find(&doc, CPU_FAMILY, "cpu", "-1", "mode", "user", NULL));
		expect_loop_families(&doc, NULL);
		promparse_free(&doc);
		promparse_promtool_ok(parts[i]);
	}
	free(s);
	support_run_free(&r);
}

/* A field an old kernel does not print is left out, not exposed as 0. */
static void test_cpu_sampler_prometheus_old_kernel_fields_left_out(void **state)
{
	const char *argv[] = { TOOL, "--root", TEST_FIXTURES "/old-kernel", "--format",
			       "prometheus", "--interval", "20ms", "--count", "1", NULL };
	struct procstat_sample *s = read_stat(TEST_FIXTURES "/old-kernel");
	struct promparse_doc doc;
	struct support_run r;
	char *parts[4];

	(void)state;
	run_ok(argv, &r);
	assert_int_equal(promparse_split(r.out, parts, 4), 2);
	promparse_ok(parts[1], &doc);
	expect_counters(&doc, s);
	assert_int_equal(promparse_family(&doc, CPU_FAMILY)->nsamples, 7 + 4);
	assert_int_equal(ticks_of(&doc, 0, "softirq"), 438);
	assert_int_equal(ticks_of(&doc, 0, "steal"), -1);
	assert_int_equal(ticks_of(&doc, 1, "iowait"), -1);
	promparse_free(&doc);
	free(s);
	support_run_free(&r);
}

/*
 * --textfile on the real /proc/stat: the file is rewritten every interval
 * (seen changing while the sampler runs), always whole (parses, passes
 * promtool), its counters never go backwards between two reads, and each
 * equals /proc/stat's ticks / 100 of a moment between the sampler's start
 * and the read of the file: at least what /proc/stat said before the
 * sampler started, at most what it says after the file was read. idle and
 * iowait get one tick of slack upwards: tickless kernels move them back a
 * little at times, and the sampler then holds the higher value it saw.
 */
static void test_cpu_sampler_prometheus_textfile_follows_proc_stat(void **state)
{
	char path[PATH_MAX], *text;
	const char *argv[] = { TOOL, "--format", "prometheus", "--textfile", path, "--interval",
			       "100ms", "--count", "12", NULL };
	struct procstat_sample *start, *after, *prev = NULL;
	double prev_ts = 0;
	int reads = 0, changes = 0, i, k;
	struct support_child c;
	struct support_run r;

	(void)state;
	tmp_file(path, "cpu.prom");
	start = read_stat("");
	support_spawn(argv, &c);
	support_sleep_ms(50);
	for (i = 0; i < 12; i++, support_sleep_ms(100)) {
		struct promparse_doc doc;
		const struct promparse_sample *ts;

		text = support_read_file(path);
		if (!text)
			continue;       /* not written yet */
		after = read_stat("");
		promparse_ok(text, &doc);
		expect_loop_families(&doc, "cpu.prom");
		ts = promparse_find(&doc, "stealscope_sampler_sample_timestamp_seconds", "sampler",
				    "cpu-sampler", "file", "cpu.prom", NULL);
		assert_true(ts->value >= prev_ts);
		changes += ts->value > prev_ts && prev_ts > 0;
		prev_ts = ts->value;
		for (k = 0; k < start->ncpus; k++) {
			int f, cpu = start->cpu[k].cpu;

			for (f = 0; f < start->cpu[k].nfields; f++) {
				long long v = ticks_of(&doc, cpu, procstat_field_names[f]);
				long long lo = (long long)start->cpu[k].ticks[f];
				long long hi = (long long)procstat_find_cpu(after, cpu)->ticks[f];

				hi += f == PS_IDLE || f == PS_IOWAIT;
				if (v < lo || v > hi)
					fail_msg("cpu %d %s: %lld ticks, not within [%lld, %lld]", cpu,
						 procstat_field_names[f], v, lo, hi);
				if (prev && v < (long long)prev->cpu[k].ticks[f])
					fail_msg("cpu %d %s went backwards", cpu,
						 procstat_field_names[f]);
			}
		}
		free(prev);
		prev = doc_ticks(&doc, start);
		free(after);
		promparse_free(&doc);
		if (reads++ == 0)
			promparse_promtool_ok(text);
		free(text);
	}
	support_wait(&c, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	print_message("read the textfile %d times, saw it change %d times\n", reads, changes);
	assert_true(reads >= 8);
	assert_true(changes >= 5);
	/* the last one stays, whole; no temporary beside it */
	text = support_read_file(path);
	assert_non_null(text);
	promparse_promtool_ok(text);
	free(text);
	assert_int_equal(support_count_entries(tmpdir, "cpu.prom.tmp."), 0);
	free(prev);
	free(start);
	support_run_free(&r);
}

/*
 * CPU @cpu's @mode in the textfile @path now, in ticks (-2 while there is
 * no file); the sample's Unix time into *@ts.
 */
static long long file_ticks(const char *path, int cpu, const char *mode, double *ts)
{
	const struct promparse_sample *t;
	struct promparse_doc doc;
	char *text = support_read_file(path);
	long long v;

	if (!text)
		return -2;
	promparse_ok(text, &doc);
	v = ticks_of(&doc, cpu, mode);
	t = promparse_find(&doc, "stealscope_sampler_sample_timestamp_seconds", "sampler",
			   "cpu-sampler", "file", "hold.prom", NULL);
	assert_non_null(t);
	*ts = t->value;
	promparse_free(&doc);
	free(text);
	return v;
}

/* The first sample of @path taken after now, in the textfile (waits up to 5 s). */
static long long next_file_ticks(const char *path, int cpu, const char *mode)
{
	struct timespec now;
	double ts = 0;
	long long v = -2;
	int i;

	clock_gettime(CLOCK_REALTIME, &now);
	for (i = 0; i < 500; i++, support_sleep_ms(10)) {
		v = file_ticks(path, cpu, mode, &ts);
		if (v != -2 && ts > (double)now.tv_sec + now.tv_nsec / 1e9)
			return v;
	}
	fail_msg("%s: no sample after %lld.%09ld s", path, (long long)now.tv_sec, now.tv_nsec);
	return v;
}

/*
 * A counter the kernel moves backwards (tickless idle accounting does)
 * keeps its last exposed value until the source passes it again:
 * Prometheus would take the decrease for a counter reset. cpu0's idle goes
 * 500 -> 400 -> 600 ticks in a live fake /proc/stat, by one-byte writes
 * that a concurrent read sees whole.
 */
static void test_cpu_sampler_prometheus_backwards_counter_holds(void **state)
{
	char root[PATH_MAX], path[PATH_MAX], prom[PATH_MAX], *text;
	const char *argv[] = { TOOL, "--root", root, "--format", "prometheus", "--textfile", prom,
			       "--interval", "20ms", NULL };
	struct support_child c;
	struct support_run r;
	off_t off;
	int fd;

	(void)state;
	tmp_file(root, "holdroot");
	tmp_file(prom, "hold.prom");
	assert_int_equal(mkdir(root, 0755), 0);
	tmp_file(path, "holdroot/proc");
	assert_int_equal(mkdir(path, 0755), 0);
	tmp_file(path, "holdroot/proc/stat");
	write_file(path, "cpu  10 0 10 500 0 0 0 0 0 0\n"
			 "cpu0 10 0 10 500 0 0 0 0 0 0\n");
	text = support_slurp(path);
	off = strstr(strstr(text, "cpu0"), "500") - text;
	free(text);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);

	support_spawn(argv, &c);
	assert_int_equal(next_file_ticks(prom, 0, "idle"), 500);
	assert_int_equal(pwrite(fd, "4", 1, off), 1);
	assert_int_equal(next_file_ticks(prom, 0, "idle"), 500);       /* not 400 */
	assert_int_equal(next_file_ticks(prom, 0, "user"), 10);
	assert_int_equal(pwrite(fd, "6", 1, off), 1);
	assert_int_equal(next_file_ticks(prom, 0, "idle"), 600);
	close(fd);
	support_signal(&c, SIGTERM);
	support_wait(&c, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	support_run_free(&r);
}

static void test_cpu_sampler_help_and_version(void **state)
{
	const char *help[] = { TOOL, "--help", NULL }, *version[] = { TOOL, "--version", NULL };
	struct support_run r;

	(void)state;
	run_ok(help, &r);
	assert_non_null(strstr(r.out, "Usage: cpu-sampler"));
	assert_non_null(strstr(r.out, "--interval"));
	assert_non_null(strstr(r.out, "--t0 NS"));
	assert_non_null(strstr(r.out, "percentages are left empty"));
	assert_non_null(strstr(r.out, "--textfile PATH"));
	assert_non_null(strstr(r.out, "stealscope_cpu_seconds_total{cpu=\"N\",mode="));
	assert_string_equal(r.err, "");
	support_run_free(&r);

	run_ok(version, &r);
	assert_non_null(strstr(r.out, "cpu-sampler (stealscope) "));
	support_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_sampler_busy_cpu_is_user_time),
		cmocka_unit_test(test_cpu_sampler_sees_inf_loop),
		cmocka_unit_test(test_cpu_sampler_static_root_gives_zero_tick_rows),
		cmocka_unit_test(test_cpu_sampler_zero_tick_table_shows_dashes),
		cmocka_unit_test(test_cpu_sampler_one_ms_interval_leaves_no_data_empty),
		cmocka_unit_test(test_cpu_sampler_cpus_all_adds_aggregate_row),
		cmocka_unit_test(test_cpu_sampler_table_format),
		cmocka_unit_test(test_cpu_sampler_table_to_file),
		cmocka_unit_test(test_cpu_sampler_bad_inputs),
		cmocka_unit_test(test_cpu_sampler_t0_is_the_time_origin),
		cmocka_unit_test(test_cpu_sampler_missing_proc_stat_fails),
		cmocka_unit_test(test_cpu_sampler_sigint_writes_what_was_measured),
		cmocka_unit_test(test_cpu_sampler_sigterm_during_long_interval),
		cmocka_unit_test(test_cpu_sampler_hotplug_skips_absent_cpu),
		cmocka_unit_test(test_cpu_sampler_prometheus_counters_are_ticks_over_user_hz),
		cmocka_unit_test(test_cpu_sampler_prometheus_old_kernel_fields_left_out),
		cmocka_unit_test(test_cpu_sampler_prometheus_textfile_follows_proc_stat),
		cmocka_unit_test(test_cpu_sampler_prometheus_backwards_counter_holds),
		cmocka_unit_test(test_cpu_sampler_help_and_version),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
