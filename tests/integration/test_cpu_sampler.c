/*
 * Integration tests of bin/cpu-sampler: the real binary is run with
 * fork/exec, its CSV is loaded back with csv_table_load() and checked row by
 * row. Every run has a timeout, so a hang fails the test instead of blocking
 * the suite. A forked spinner pinned to CPU 0 provides a known busy CPU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL TEST_BINDIR "/cpu-sampler"
#define STATIC_ROOT TEST_FIXTURES "/sampler-static"
#define RUN_TIMEOUT_MS 10000

static char tmpdir[] = "/tmp/test_cpu_sampler.XXXXXX";

struct run {
	int status;                    /* exit code, 128 + signal, -1 on timeout */
	char out_path[PATH_MAX];
	char err_path[PATH_MAX];
	char *err;                     /* stderr text */
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void tmp_file(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);
}

/* Start the tool with stdout and stderr in files under tmpdir. */
static pid_t spawn(const char *const *args, struct run *r, const char *tag)
{
	const char *argv[32];
	pid_t pid;
	int n = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->out_path, sizeof(r->out_path), "%s/%s.out", tmpdir, tag);
	snprintf(r->err_path, sizeof(r->err_path), "%s/%s.err", tmpdir, tag);
	argv[n++] = TOOL;
	while (args[n - 1] && n < 31) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int out = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(127);
		execv(TOOL, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long len;

	if (!fp)
		return strdup("");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (buf && len > 0 && fread(buf, 1, (size_t)len, fp) != (size_t)len)
		buf[0] = '\0';
	fclose(fp);
	return buf;
}

/* Wait for @pid at most @timeout_ms; on timeout kill it. Fills r->status, r->err. */
static void finish(pid_t pid, struct run *r, int timeout_ms)
{
	int waited = 0, st = 0;
	pid_t w;

	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && waited < timeout_ms) {
		sleep_ms(5);
		waited += 5;
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		r->status = -1;
	} else if (WIFEXITED(st)) {
		r->status = WEXITSTATUS(st);
	} else {
		r->status = 128 + WTERMSIG(st);
	}
	r->err = slurp(r->err_path);
}

static void run_tool(const char *const *args, struct run *r, const char *tag)
{
	finish(spawn(args, r, tag), r, RUN_TIMEOUT_MS);
}

static void run_free(struct run *r)
{
	free(r->err);
	r->err = NULL;
}

/* A child that pins itself to @cpu and spins until killed. */
static pid_t spinner(int cpu)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		cpu_set_t set;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			_exit(1);
		for (;;)
			__asm__ volatile("");
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int64_t cell_i64(const struct csv_table *t, size_t row, const char *col)
{
	int c = csv_table_col(t, col);
	int64_t v = 0;

	assert_true(c >= 0);
	assert_int_equal(csv_table_i64(t, row, (size_t)c, &v), 0);
	return v;
}

static double cell_f(const struct csv_table *t, size_t row, const char *col)
{
	int c = csv_table_col(t, col);
	double v = 0;

	assert_true(c >= 0);
	assert_int_equal(csv_table_f(t, row, (size_t)c, &v), 0);
	return v;
}

static size_t count_substr(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- tests ------------------------------------------------------------ */

static void test_cpu_sampler_busy_cpu_is_user_time(void **state)
{
	const char *args[] = { "--interval", "100ms", "--count", "5", "--cpus", "0",
			       "--out", NULL, NULL };
	char out[PATH_MAX];
	struct csv_table t;
	struct run r;
	pid_t spin;
	size_t i;

	(void)state;
	tmp_file(out, "busy.csv");
	args[7] = out;
	spin = spinner(0);
	sleep_ms(50);
	run_tool(args, &r, "busy");
	reap(spin);
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 5);
	for (i = 0; i < t.nrows; i++) {
		double busy = cell_f(&t, i, "usr_pct") + cell_f(&t, i, "sys_pct");

		assert_int_equal(cell_i64(&t, i, "cpu"), 0);
		assert_int_equal(cell_i64(&t, i, "seq"), (int64_t)i + 1);
		assert_true(cell_i64(&t, i, "interval_ticks") > 0);
		if (busy <= 80.0)
			fail_msg("row %zu: usr+sys %.2f%% on the spinning CPU 0", i, busy);
	}
	/* t_ns grows by about one interval per row. */
	assert_true(cell_i64(&t, 4, "t_ns") > cell_i64(&t, 0, "t_ns") + 300000000);
	csv_table_free(&t);
	run_free(&r);
}

/*
 * A /proc/stat that never changes: every interval has 0 ticks. Decision:
 * such rows are written (the CPU was sampled), with interval_ticks 0 and
 * every percentage 0, and the raw columns carry the counters.
 */
static void test_cpu_sampler_static_root_gives_zero_tick_rows(void **state)
{
	const char *args[] = { "--root", STATIC_ROOT, "--interval", "20ms", "--count", "3",
			       "--out", NULL, NULL };
	char out[PATH_MAX];
	struct csv_table t;
	struct run r;
	size_t i, j;

	(void)state;
	tmp_file(out, "static.csv");
	args[7] = out;
	run_tool(args, &r, "static");
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 6);	/* 3 intervals x CPUs 0 and 1, no aggregate */
	for (i = 0; i < t.nrows; i++) {
		static const char *const pcts[] = { "usr_pct", "sys_pct", "steal_pct", "idle_pct" };

		assert_int_equal(cell_i64(&t, i, "seq"), (int64_t)(i / 2) + 1);
		assert_int_equal(cell_i64(&t, i, "cpu"), (int64_t)(i % 2));
		assert_int_equal(cell_i64(&t, i, "interval_ticks"), 0);
		for (j = 0; j < 4; j++)
			assert_true(cell_f(&t, i, pcts[j]) == 0.0);
		assert_int_equal(cell_i64(&t, i, "user_ticks"), 2100);
		assert_int_equal(cell_i64(&t, i, "steal_ticks"), 150);
	}
	assert_int_equal(cell_i64(&t, 1, "softirq_ticks"), 25);
	csv_table_free(&t);
	run_free(&r);
}

static void test_cpu_sampler_cpus_all_adds_aggregate_row(void **state)
{
	const char *args[] = { "--root", STATIC_ROOT, "--interval", "20ms", "--count", "2",
			       "--cpus", "all", "--out", NULL, NULL };
	char out[PATH_MAX];
	struct csv_table t;
	struct run r;

	(void)state;
	tmp_file(out, "all.csv");
	args[9] = out;
	run_tool(args, &r, "all");
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 6);	/* 2 intervals x (aggregate, 0, 1) */
	assert_int_equal(cell_i64(&t, 0, "cpu"), -1);
	assert_int_equal(cell_i64(&t, 0, "user_ticks"), 4200);
	assert_int_equal(cell_i64(&t, 1, "cpu"), 0);
	assert_int_equal(cell_i64(&t, 2, "cpu"), 1);
	assert_int_equal(cell_i64(&t, 3, "cpu"), -1);
	csv_table_free(&t);
	run_free(&r);
}

static void test_cpu_sampler_table_format(void **state)
{
	const char *args[] = { "--format", "table", "--interval", "10ms", "--count", "2",
			       "--cpus", "0,1", NULL };
	char *text, *line, *save = NULL;
	int nlines = 0, cpu0 = 0, cpu1 = 0;
	struct run r;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	run_tool(args, &r, "table");
	assert_int_equal(r.status, 0);
	text = slurp(r.out_path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
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
	free(text);
	run_free(&r);
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
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_tool(cases[i].args, &r, "bad");
		if (r.status != 2 || !strstr(r.err, cases[i].needle) ||
		    !strstr(r.err, "cpu-sampler: error: "))
			fail_msg("case %zu (%s): exit %d, stderr '%s'", i, cases[i].args[0],
				 r.status, r.err);
		/* said once, then the hint once */
		if (count_substr(r.err, "cpu-sampler: error: ") != 1 ||
		    count_substr(r.err, "Try 'cpu-sampler --help'") != 1)
			fail_msg("case %zu (%s): stderr '%s'", i, cases[i].args[0], r.err);
		run_free(&r);
	}
}

/* --t0 taken 300 ms before the run: every row's t_ns counts from it. */
static void test_cpu_sampler_t0_is_the_time_origin(void **state)
{
	const char *args[] = { "--root", STATIC_ROOT, "--interval", "20ms", "--count", "2",
			       "--t0", NULL, "--out", NULL, NULL };
	char out[PATH_MAX], t0s[32];
	struct timespec ts;
	struct csv_table t;
	struct run r;
	int64_t t0, first;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - 300LL * 1000000;
	snprintf(t0s, sizeof(t0s), "%lld", (long long)t0);
	args[7] = t0s;
	tmp_file(out, "t0.csv");
	args[9] = out;
	run_tool(args, &r, "t0");
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_int_equal(t.nrows, 4);
	first = cell_i64(&t, 0, "t_ns");
	print_message("first row at %.3f ms after --t0\n", (double)first / 1e6);
	assert_true(first >= 300LL * 1000000);
	assert_true(first < (int64_t)RUN_TIMEOUT_MS * 1000000);
	/* the second interval still ends about 20 ms after the first */
	assert_true(cell_i64(&t, 2, "t_ns") >= first + 15LL * 1000000);
	csv_table_free(&t);
	run_free(&r);
}

static void test_cpu_sampler_missing_proc_stat_fails(void **state)
{
	const char *args[] = { "--root", NULL, "--count", "1", NULL };
	char root[PATH_MAX];
	struct run r;

	(void)state;
	tmp_file(root, "emptyroot");
	assert_int_equal(mkdir(root, 0755), 0);
	args[1] = root;
	run_tool(args, &r, "noproc");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "proc/stat"));
	run_free(&r);
}

/* Unbounded run ended by SIGINT: exit 0 and every measured interval written. */
static void test_cpu_sampler_sigint_writes_what_was_measured(void **state)
{
	const char *args[] = { "--interval", "20ms", "--cpus", "0", "--out", NULL, NULL };
	char out[PATH_MAX];
	struct csv_table t;
	struct run r;
	pid_t pid;
	size_t i;

	(void)state;
	tmp_file(out, "sigint.csv");
	args[5] = out;
	pid = spawn(args, &r, "sigint");
	sleep_ms(400);
	assert_int_equal(access(out, F_OK), -1);	/* nothing in place before the end */
	kill(pid, SIGINT);
	finish(pid, &r, RUN_TIMEOUT_MS);
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(out, &t), 0);
	assert_true(t.nrows >= 10);
	for (i = 1; i < t.nrows; i++)
		assert_true(cell_i64(&t, i, "seq") > cell_i64(&t, i - 1, "seq"));
	csv_table_free(&t);
	run_free(&r);
}

/*
 * CPU 1 disappears from a live fake /proc/stat for a while: its rows are
 * skipped meanwhile, CPU 0 keeps all its rows, and there is one warning.
 * The line is hidden by turning "cpu1" into "xpu1" with a one-byte write,
 * which a concurrent read sees whole.
 */
static void test_cpu_sampler_hotplug_skips_absent_cpu(void **state)
{
	const char *args[] = { "--root", NULL, "--interval", "50ms", "--count", "12",
			       "--out", NULL, NULL };
	char root[PATH_MAX], path[PATH_MAX], out[PATH_MAX], *text;
	size_t i, rows0 = 0, rows1 = 0;
	struct csv_table t;
	struct run r;
	off_t off;
	pid_t pid;
	int fd;

	(void)state;
	tmp_file(root, "hotroot");
	args[1] = root;
	tmp_file(path, "hotroot/proc");
	tmp_file(out, "hotplug.csv");
	args[7] = out;
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	tmp_file(path, "hotroot/proc/stat");
	write_file(path, "cpu  20 0 20 200 0 0 0 0 0 0\n"
			 "cpu0 10 0 10 100 0 0 0 0 0 0\n"
			 "cpu1 10 0 10 100 0 0 0 0 0 0\n"
			 "ctxt 1\n");
	text = slurp(path);
	off = strstr(text, "cpu1") - text;
	free(text);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);

	pid = spawn(args, &r, "hotplug");
	sleep_ms(175);
	assert_int_equal(pwrite(fd, "x", 1, off), 1);
	sleep_ms(200);
	assert_int_equal(pwrite(fd, "c", 1, off), 1);
	close(fd);
	finish(pid, &r, RUN_TIMEOUT_MS);

	assert_int_equal(r.status, 0);
	assert_int_equal(count_substr(r.err, "cpu 1 is absent"), 1);
	assert_int_equal(csv_table_load(out, &t), 0);
	for (i = 0; i < t.nrows; i++) {
		if (cell_i64(&t, i, "cpu") == 0)
			assert_int_equal(cell_i64(&t, i, "seq"), (int64_t)++rows0);
		else
			rows1++;
	}
	assert_int_equal(rows0, 12);
	/* Absent for ~4 samples: each absence removes the rows on both sides. */
	if (rows1 < 4 || rows1 > 9)
		fail_msg("cpu 1 has %zu rows of 12", rows1);
	csv_table_free(&t);
	run_free(&r);
}

static void test_cpu_sampler_help_and_version(void **state)
{
	const char *help[] = { "--help", NULL }, *version[] = { "--version", NULL };
	struct run r;
	char *text;

	(void)state;
	run_tool(help, &r, "help");
	assert_int_equal(r.status, 0);
	text = slurp(r.out_path);
	assert_non_null(strstr(text, "Usage: cpu-sampler"));
	assert_non_null(strstr(text, "--interval"));
	assert_non_null(strstr(text, "--t0 NS"));
	assert_string_equal(r.err, "");
	free(text);
	run_free(&r);

	run_tool(version, &r, "version");
	assert_int_equal(r.status, 0);
	text = slurp(r.out_path);
	assert_non_null(strstr(text, "cpu-sampler (stealscope) "));
	free(text);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_sampler_busy_cpu_is_user_time),
		cmocka_unit_test(test_cpu_sampler_static_root_gives_zero_tick_rows),
		cmocka_unit_test(test_cpu_sampler_cpus_all_adds_aggregate_row),
		cmocka_unit_test(test_cpu_sampler_table_format),
		cmocka_unit_test(test_cpu_sampler_bad_inputs),
		cmocka_unit_test(test_cpu_sampler_t0_is_the_time_origin),
		cmocka_unit_test(test_cpu_sampler_missing_proc_stat_fails),
		cmocka_unit_test(test_cpu_sampler_sigint_writes_what_was_measured),
		cmocka_unit_test(test_cpu_sampler_hotplug_skips_absent_cpu),
		cmocka_unit_test(test_cpu_sampler_help_and_version),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
