/*
 * Integration tests of bin/vcpu-sampler against real threads: forked
 * spinners pinned to one CPU must show run delay (the host-side steal of a
 * vCPU thread), a spinner alone on its CPU much less; threads that exit are
 * reported and the run goes on or ends. Every run has a timeout.
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
#include <pthread.h>
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

#define TOOL TEST_BINDIR "/vcpu-sampler"
#define RUN_TIMEOUT_MS 10000

static char tmpdir[] = "/tmp/test_vcpu_sampler.XXXXXX";

struct run {
	int status;                    /* exit code, 128 + signal, -1 on timeout */
	char out_path[PATH_MAX];
	char err_path[PATH_MAX];
	char *err;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static pid_t spawn(const char *const *args, struct run *r, const char *tag)
{
	const char *argv[32];
	pid_t pid;
	int n = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->out_path, sizeof(r->out_path), "%s/%s.csv", tmpdir, tag);
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

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(1);
}

/* A child pinned to @cpu spinning until killed. */
static pid_t spinner(int cpu)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin_self(cpu);
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

static void *sleeper_thread(void *arg)
{
	sleep_ms((int)(intptr_t)arg);
	return NULL;
}

/*
 * A child process with a second thread that lives @thread_ms (forever when
 * 0); the main thread sleeps until killed. Returns once both threads exist.
 */
static pid_t two_thread_child(int thread_ms)
{
	int fds[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t th;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[0]);
		if (pthread_create(&th, NULL, sleeper_thread,
				   (void *)(intptr_t)(thread_ms ? thread_ms : 1000000)))
			_exit(1);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

/* A pid that no process has right now: a child that exited and was reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
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

/* Rows of @t for @tid. */
static size_t rows_of(const struct csv_table *t, pid_t tid)
{
	size_t i, n = 0;

	for (i = 0; i < t->nrows; i++)
		n += cell_i64(t, i, "tid") == tid;
	return n;
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

/* Sample @tid 5 x 100 ms and return its mean delay_pct. */
static double mean_delay_pct(pid_t tid, const char *tag)
{
	char tidbuf[16];
	const char *args[] = { "--tid", tidbuf, "--interval", "100ms", "--count", "5", NULL };
	struct csv_table t;
	struct run r;
	double sum = 0;
	size_t i;

	snprintf(tidbuf, sizeof(tidbuf), "%d", (int)tid);
	run_tool(args, &r, tag);
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(r.out_path, &t), 0);
	assert_int_equal(t.nrows, 5);
	for (i = 0; i < t.nrows; i++) {
		assert_int_equal(cell_i64(&t, i, "tid"), tid);
		assert_int_equal(cell_i64(&t, i, "seq"), (int64_t)i + 1);
		sum += cell_f(&t, i, "delay_pct");
	}
	csv_table_free(&t);
	run_free(&r);
	return sum / 5;
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

/*
 * Two spinners pinned to CPU 0 share it: each waits about half the time.
 * The same spinner alone on CPU 1 waits much less.
 */
static void test_vcpu_sampler_shared_cpu_shows_run_delay(void **state)
{
	double shared, alone;
	pid_t a, b;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	a = spinner(0);
	b = spinner(0);
	sleep_ms(100);
	shared = mean_delay_pct(b, "shared");
	reap(a);
	reap(b);

	b = spinner(1);
	sleep_ms(100);
	alone = mean_delay_pct(b, "alone");
	reap(b);

	print_message("delay_pct: %.1f%% sharing CPU 0, %.1f%% alone on CPU 1\n", shared,
		      alone);
	if (shared <= 20.0)
		fail_msg("mean delay_pct %.2f%% with a competitor on CPU 0", shared);
	if (alone >= shared - 10.0)
		fail_msg("delay_pct alone %.2f%% not clearly below shared %.2f%%", alone, shared);
}

static void test_vcpu_sampler_pid_samples_every_thread(void **state)
{
	char pidbuf[16];
	const char *args[] = { "--pid", pidbuf, "--interval", "20ms", "--count", "3", NULL };
	struct csv_table t;
	struct run r;
	pid_t child, other = 0;
	size_t i;

	(void)state;
	child = two_thread_child(0);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)child);
	run_tool(args, &r, "pid");
	reap(child);
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(r.out_path, &t), 0);
	assert_int_equal(t.nrows, 6);
	for (i = 0; i < t.nrows; i++) {
		pid_t tid = (pid_t)cell_i64(&t, i, "tid");

		if (tid != child)
			other = tid;
		/* Sleeping threads: no run delay to speak of, pct within range. */
		assert_true(cell_f(&t, i, "run_pct") >= 0.0 && cell_f(&t, i, "run_pct") < 50.0);
	}
	assert_int_equal(rows_of(&t, child), 3);
	assert_true(other > child);
	assert_int_equal(rows_of(&t, other), 3);
	csv_table_free(&t);
	run_free(&r);
}

static void test_vcpu_sampler_thread_exit_keeps_others(void **state)
{
	char pidbuf[16], needle[64];
	const char *args[] = { "--pid", pidbuf, "--interval", "50ms", "--count", "12", NULL };
	struct csv_table t;
	struct run r;
	pid_t child, other = 0;
	size_t i, n_other;

	(void)state;
	child = two_thread_child(300);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)child);
	run_tool(args, &r, "texit");
	reap(child);
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(r.out_path, &t), 0);
	for (i = 0; i < t.nrows; i++)
		if (cell_i64(&t, i, "tid") != child)
			other = (pid_t)cell_i64(&t, i, "tid");
	assert_true(other > 0);
	assert_int_equal(rows_of(&t, child), 12);
	n_other = rows_of(&t, other);
	if (n_other < 2 || n_other > 8)
		fail_msg("the thread that lived 300 ms of 600 has %zu rows", n_other);
	snprintf(needle, sizeof(needle), "thread %d exited", (int)other);
	assert_int_equal(count_substr(r.err, needle), 1);
	csv_table_free(&t);
	run_free(&r);
}

static void test_vcpu_sampler_all_threads_gone_ends_run(void **state)
{
	char tidbuf[16];
	const char *args[] = { "--tid", tidbuf, "--interval", "20ms", "--count", "250", NULL };
	struct csv_table t;
	struct run r;
	int64_t start;
	pid_t child, sampler;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		sleep_ms(200);
		_exit(0);
	}
	snprintf(tidbuf, sizeof(tidbuf), "%d", (int)child);
	start = now_ms();
	sampler = spawn(args, &r, "gone");
	/* Reap at once: a zombie's schedstat would stay readable. */
	waitpid(child, NULL, 0);
	finish(sampler, &r, RUN_TIMEOUT_MS);
	assert_int_equal(r.status, 0);
	assert_true(now_ms() - start < 3000);	/* 250 x 20 ms would be 5 s */
	assert_non_null(strstr(r.err, "every sampled thread has exited"));
	assert_int_equal(csv_table_load(r.out_path, &t), 0);
	assert_true(t.nrows >= 3 && t.nrows < 250);
	assert_int_equal(rows_of(&t, child), t.nrows);
	csv_table_free(&t);
	run_free(&r);
}

static void test_vcpu_sampler_sigterm_writes_what_was_measured(void **state)
{
	char tidbuf[16];
	const char *args[] = { "--tid", tidbuf, "--interval", "20ms", NULL };
	struct csv_table t;
	struct run r;
	pid_t sampler;
	size_t i;

	(void)state;
	snprintf(tidbuf, sizeof(tidbuf), "%d", (int)getpid());
	sampler = spawn(args, &r, "sigterm");
	sleep_ms(300);
	kill(sampler, SIGTERM);
	finish(sampler, &r, RUN_TIMEOUT_MS);
	assert_int_equal(r.status, 0);
	assert_int_equal(csv_table_load(r.out_path, &t), 0);
	assert_true(t.nrows >= 5);
	for (i = 1; i < t.nrows; i++)
		assert_true(cell_i64(&t, i, "seq") > cell_i64(&t, i - 1, "seq"));
	csv_table_free(&t);
	run_free(&r);
}

static void test_vcpu_sampler_bad_inputs(void **state)
{
	char dead[16];
	struct {
		const char *args[6];
		const char *needle;
	} cases[] = {
		{ { "--tid", "0" }, "--tid" },
		{ { "--tid", "abc" }, "abc" },
		{ { "--tid", "1,,2" }, "--tid" },
		{ { "--pid", dead }, "no such process" },
		{ { "--tid", dead }, "no such thread" },
		{ { "--pid", "-3" }, "--pid" },
		{ { "--interval", "10ms" }, "--tid" },
		{ { "--tid", "1", "--pid", "1" }, "exclude" },
		{ { "--tid", "1", "--interval", "0" }, "--interval" },
		{ { "--tid", "1", "--t0", "x" }, "--t0" },
	};
	size_t i;

	(void)state;
	snprintf(dead, sizeof(dead), "%d", (int)dead_pid());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_tool(cases[i].args, &r, "bad");
		if (r.status != 2 || !strstr(r.err, cases[i].needle) ||
		    !strstr(r.err, "vcpu-sampler: error: "))
			fail_msg("case %zu (%s %s): exit %d, stderr '%s'", i, cases[i].args[0],
				 cases[i].args[1], r.status, r.err);
		run_free(&r);
	}
}

static void test_vcpu_sampler_help_and_version(void **state)
{
	const char *help[] = { "--help", NULL }, *version[] = { "--version", NULL };
	struct run r;
	char *text;

	(void)state;
	run_tool(help, &r, "help");
	assert_int_equal(r.status, 0);
	text = slurp(r.out_path);
	assert_non_null(strstr(text, "Usage: vcpu-sampler"));
	assert_non_null(strstr(text, "--pid"));
	free(text);
	run_free(&r);

	run_tool(version, &r, "version");
	assert_int_equal(r.status, 0);
	text = slurp(r.out_path);
	assert_non_null(strstr(text, "vcpu-sampler (stealscope) "));
	free(text);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_sampler_shared_cpu_shows_run_delay),
		cmocka_unit_test(test_vcpu_sampler_pid_samples_every_thread),
		cmocka_unit_test(test_vcpu_sampler_thread_exit_keeps_others),
		cmocka_unit_test(test_vcpu_sampler_all_threads_gone_ends_run),
		cmocka_unit_test(test_vcpu_sampler_sigterm_writes_what_was_measured),
		cmocka_unit_test(test_vcpu_sampler_bad_inputs),
		cmocka_unit_test(test_vcpu_sampler_help_and_version),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
