/*
 * Integration tests of bin/vcpu-sampler against real threads: forked
 * spinners pinned to one CPU must show run delay (the host-side steal of a
 * vCPU thread), a spinner alone on its CPU much less; threads that exit are
 * reported and the run goes on or ends. Every run has a timeout
 * (tests/support/run.h). Prometheus output is read with the strict parser
 * of tests/support/promparse and, where installed, `promtool check metrics`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"
#include "common/schedstat.h"
#include "tests/support/promparse.h"
#include "tests/support/run.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOOL TEST_BINDIR "/vcpu-sampler"
#define RUN_TIMEOUT_MS 10000

/* Run vcpu-sampler with @argv (argv[0] is TOOL); its CSV goes to stdout. */
static void run_ok(const char *const argv[], struct support_run *r)
{
	support_run(argv, RUN_TIMEOUT_MS, r);
	if (support_status(r) != 0)
		fail_msg("vcpu-sampler: status %d, stderr '%s'", support_status(r), r->err);
}

static void *sleeper_thread(void *arg)
{
	support_sleep_ms((int)(intptr_t)arg);
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

/* Rows of @t for @tid. */
static size_t rows_of(const struct csv_table *t, pid_t tid)
{
	size_t i, n = 0;

	for (i = 0; i < t->nrows; i++)
		n += support_cell_i64(t, i, "tid") == tid;
	return n;
}

/* One sampled run of a thread, and of its competitor when there is one. */
struct delay_sample {
	double mean_delay_pct;          /* the thread's, over the 5 intervals */
	int64_t delay_ns;               /* its run delay, first row to last */
	int64_t other_run_ns;           /* the competitor's run time, same span */
};

/*
 * Sample @tid, and @other too when nonzero, 5 x 100 ms. Rows come one per
 * thread per interval, in the order of --tid.
 */
static void sample_delay(pid_t tid, pid_t other, struct delay_sample *ds)
{
	char tids[40];
	const char *argv[] = { TOOL, "--tid", tids, "--interval", "100ms", "--count", "5", NULL };
	size_t i, n = other ? 2 : 1, last = 4 * n;
	struct support_run r;
	struct csv_table t;
	double sum = 0;

	if (other)
		snprintf(tids, sizeof(tids), "%d,%d", (int)tid, (int)other);
	else
		snprintf(tids, sizeof(tids), "%d", (int)tid);
	run_ok(argv, &r);
	assert_int_equal(csv_table_parse(r.out, strlen(r.out), &t), 0);
	assert_int_equal(t.nrows, 5 * n);
	for (i = 0; i < t.nrows; i++) {
		assert_int_equal(support_cell_i64(&t, i, "tid"), i % n ? other : tid);
		assert_int_equal(support_cell_i64(&t, i, "seq"), (int64_t)(i / n) + 1);
		if (i % n == 0)
			sum += support_cell_f(&t, i, "delay_pct");
	}
	ds->mean_delay_pct = sum / 5;
	ds->delay_ns = support_cell_i64(&t, last, "delay_ns") - support_cell_i64(&t, 0, "delay_ns");
	ds->other_run_ns = other ? support_cell_i64(&t, last + 1, "run_ns") -
				   support_cell_i64(&t, 1, "run_ns") : 0;
	csv_table_free(&t);
	support_run_free(&r);
}

/* ---- tests ------------------------------------------------------------ */

/*
 * A spinner alone on a CPU waits little; with a second spinner pinned to
 * the same CPU each waits about half the time. And the physics holds: while
 * one waits the other runs, so the waiter's delay_ns over the run is the
 * competitor's run_ns over it, within 25%. Both cases run on the CPU that
 * was the most idle (or STEALSCOPE_TEST_CPU), one after the other, with the
 * spinners at nice -20 where allowed. A third party running there anyway
 * adds delay but no competitor run time, hence up to three attempts, each
 * on a CPU chosen afresh.
 */
static void test_vcpu_sampler_shared_cpu_shows_run_delay(void **state)
{
	struct delay_sample alone = { 0 }, shared = { 0 };
	double ratio = 0;
	int attempt, cpu, prio, ok = 0;
	pid_t a, b;

	(void)state;
	for (attempt = 0; attempt < 3 && !ok; attempt++) {
		cpu = support_least_busy_cpu();
		prio = support_nice_boost();
		b = support_spinner(cpu);
		support_sleep_ms(100);
		sample_delay(b, 0, &alone);
		a = support_spinner(cpu);
		support_sleep_ms(100);
		sample_delay(b, a, &shared);
		support_reap(a);
		support_reap(b);
		support_nice_restore(prio);
		ratio = shared.other_run_ns > 0 ?
			(double)shared.delay_ns / (double)shared.other_run_ns : 0;
		print_message("attempt %d on CPU %d: delay_pct %.1f%% alone, %.1f%% shared; "
			      "waited %.1f ms while the competitor ran %.1f ms (ratio %.2f)\n",
			      attempt + 1, cpu, alone.mean_delay_pct, shared.mean_delay_pct,
			      (double)shared.delay_ns / 1e6, (double)shared.other_run_ns / 1e6,
			      ratio);
		ok = shared.mean_delay_pct > 20.0 &&
		     alone.mean_delay_pct < shared.mean_delay_pct - 10.0 &&
		     ratio >= 0.75 && ratio <= 1.25;
	}
	if (shared.mean_delay_pct <= 20.0)
		fail_msg("mean delay_pct %.2f%% with a competitor on CPU %d",
			 shared.mean_delay_pct, cpu);
	if (alone.mean_delay_pct >= shared.mean_delay_pct - 10.0)
		fail_msg("delay_pct alone %.2f%% not clearly below shared %.2f%%",
			 alone.mean_delay_pct, shared.mean_delay_pct);
	if (ratio < 0.75 || ratio > 1.25)
		fail_msg("waited %.1f ms while the competitor ran %.1f ms: not within 25%%",
			 (double)shared.delay_ns / 1e6, (double)shared.other_run_ns / 1e6);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* The thread ids in /proc/<pid>/task, ascending, into @tids (at most @max). */
static size_t task_tids(pid_t pid, int64_t *tids, size_t max)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && n < max)
			tids[n++] = strtoll(de->d_name, NULL, 10);
	closedir(d);
	qsort(tids, n, sizeof(*tids), cmp_i64);
	return n;
}

/*
 * --pid samples exactly the threads /proc/<pid>/task lists (thread ids are
 * not ordered after the pid: they wrap around like pids).
 */
static void test_vcpu_sampler_pid_samples_every_thread(void **state)
{
	char pidbuf[16];
	const char *argv[] = { TOOL, "--pid", pidbuf, "--interval", "20ms", "--count", "3", NULL };
	int64_t listed[8], sampled[8];
	size_t i, nlisted, nsampled = 0;
	struct support_run r;
	struct csv_table t;
	pid_t child, other = 0;

	(void)state;
	child = two_thread_child(0);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)child);
	nlisted = task_tids(child, listed, 8);
	support_run(argv, RUN_TIMEOUT_MS, &r);
	support_reap(child);
	assert_int_equal(support_status(&r), 0);
	assert_int_equal(csv_table_parse(r.out, strlen(r.out), &t), 0);
	assert_int_equal(t.nrows, 6);
	for (i = 0; i < t.nrows; i++) {
		pid_t tid = (pid_t)support_cell_i64(&t, i, "tid");

		if (tid != child)
			other = tid;
		if (!bsearch(&(int64_t){ tid }, sampled, nsampled, sizeof(*sampled), cmp_i64)) {
			assert_true(nsampled < 8);
			sampled[nsampled++] = tid;
			qsort(sampled, nsampled, sizeof(*sampled), cmp_i64);
		}
		/* Sleeping threads: no run delay to speak of, pct within range. */
		assert_true(support_cell_f(&t, i, "run_pct") >= 0.0 &&
			    support_cell_f(&t, i, "run_pct") < 50.0);
	}
	assert_int_equal(rows_of(&t, child), 3);
	assert_true(other > 0 && other != child);
	assert_int_equal(rows_of(&t, other), 3);
	/* the same set of threads as the kernel lists */
	assert_int_equal(nlisted, 2);
	assert_int_equal(nsampled, nlisted);
	for (i = 0; i < nlisted; i++)
		assert_int_equal(sampled[i], listed[i]);
	csv_table_free(&t);
	support_run_free(&r);
}

static void test_vcpu_sampler_thread_exit_keeps_others(void **state)
{
	char pidbuf[16], needle[64];
	const char *argv[] = { TOOL, "--pid", pidbuf, "--interval", "50ms", "--count", "12", NULL };
	struct csv_table t;
	struct support_run r;
	pid_t child, other = 0;
	size_t i, n_other;

	(void)state;
	child = two_thread_child(300);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)child);
	support_run(argv, RUN_TIMEOUT_MS, &r);
	support_reap(child);
	assert_int_equal(support_status(&r), 0);
	assert_int_equal(csv_table_parse(r.out, strlen(r.out), &t), 0);
	for (i = 0; i < t.nrows; i++)
		if (support_cell_i64(&t, i, "tid") != child)
			other = (pid_t)support_cell_i64(&t, i, "tid");
	assert_true(other > 0);
	assert_int_equal(rows_of(&t, child), 12);
	n_other = rows_of(&t, other);
	if (n_other < 2 || n_other > 8)
		fail_msg("the thread that lived 300 ms of 600 has %zu rows", n_other);
	snprintf(needle, sizeof(needle), "thread %d exited", (int)other);
	assert_int_equal(support_count_substr(r.err, needle), 1);
	csv_table_free(&t);
	support_run_free(&r);
}

static void test_vcpu_sampler_all_threads_gone_ends_run(void **state)
{
	char tidbuf[16];
	const char *argv[] = { TOOL, "--tid", tidbuf, "--interval", "20ms", "--count", "250",
			       NULL };
	struct support_child sampler;
	struct support_run r;
	struct csv_table t;
	pid_t child;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		support_sleep_ms(200);
		_exit(0);
	}
	snprintf(tidbuf, sizeof(tidbuf), "%d", (int)child);
	support_spawn(argv, &sampler);
	/* Reap at once: a zombie's schedstat would stay readable. */
	waitpid(child, NULL, 0);
	support_wait(&sampler, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_true(r.elapsed_ms < 3000);	/* 250 x 20 ms would be 5 s */
	assert_non_null(strstr(r.err, "every sampled thread has exited"));
	assert_int_equal(csv_table_parse(r.out, strlen(r.out), &t), 0);
	assert_true(t.nrows >= 3 && t.nrows < 250);
	assert_int_equal(rows_of(&t, child), t.nrows);
	csv_table_free(&t);
	support_run_free(&r);
}

static void test_vcpu_sampler_sigterm_writes_what_was_measured(void **state)
{
	char tidbuf[16];
	const char *argv[] = { TOOL, "--tid", tidbuf, "--interval", "20ms", NULL };
	struct support_run r;
	struct csv_table t;
	size_t i;

	(void)state;
	snprintf(tidbuf, sizeof(tidbuf), "%d", (int)getpid());
	support_run_signal(argv, SIGTERM, 300, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_int_equal(csv_table_parse(r.out, strlen(r.out), &t), 0);
	assert_true(t.nrows >= 5);
	for (i = 1; i < t.nrows; i++)
		assert_true(support_cell_i64(&t, i, "seq") > support_cell_i64(&t, i - 1, "seq"));
	csv_table_free(&t);
	support_run_free(&r);
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
		{ { "--tid", "1", "--format", "table" }, "unknown format 'table' (csv or prometheus)" },
		{ { "--tid", "1", "--textfile", "v.prom" }, "--textfile needs --format prometheus" },
		{ { "--tid", "1", "--format", "prometheus", "--textfile", "v" }, "must end in .prom" },
	};
	size_t i;

	(void)state;
	snprintf(dead, sizeof(dead), "%d", (int)dead_pid());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[8] = { TOOL };
		struct support_run r;

		memcpy(argv + 1, cases[i].args, sizeof(cases[i].args));
		support_run(argv, RUN_TIMEOUT_MS, &r);
		if (r.exit_code != 2 || !strstr(r.err, cases[i].needle) ||
		    !strstr(r.err, "vcpu-sampler: error: "))
			fail_msg("case %zu (%s %s): exit %d, stderr '%s'", i, cases[i].args[0],
				 cases[i].args[1], r.exit_code, r.err);
		support_run_free(&r);
	}
}

/* ---- --format prometheus --------------------------------------------------- */

static void read_schedstat(pid_t pid, pid_t tid, struct schedstat *s)
{
	char path[64], *text;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	text = support_slurp(path);
	assert_int_equal(schedstat_parse(text, strlen(text), s), 0);
	free(text);
}

/*
 * --pid with --textfile: both threads' run time and run delay, in seconds,
 * labelled pid and tid, between what schedstat said before and after the
 * run; no wait family (schedstat has none) and no libvirt labels.
 */
static void test_vcpu_sampler_prometheus_threads(void **state)
{
	char pidbuf[16], path[PATH_MAX], dir[64], pidl[16], tidl[16], *text;
	const char *argv[] = { TOOL, "--pid", pidbuf, "--format", "prometheus", "--textfile", path,
			       "--interval", "20ms", "--count", "3", NULL };
	struct schedstat before[2], after[2];
	int64_t tids[2];
	struct promparse_doc doc;
	struct support_run r;
	pid_t child;
	size_t i;

	(void)state;
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "vcpu-prom"), 0);
	snprintf(path, sizeof(path), "%s/vcpu.prom", dir);
	child = two_thread_child(0);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)child);
	assert_int_equal(task_tids(child, tids, 2), 2);
	for (i = 0; i < 2; i++)
		read_schedstat(child, (pid_t)tids[i], &before[i]);
	run_ok(argv, &r);
	for (i = 0; i < 2; i++)
		read_schedstat(child, (pid_t)tids[i], &after[i]);
	support_reap(child);
	assert_string_equal(r.out, "");
	text = support_read_file(path);
	assert_non_null(text);
	promparse_ok(text, &doc);
	assert_int_equal(promparse_family(&doc, "stealscope_vcpu_run_seconds_total")->nsamples, 2);
	assert_int_equal(promparse_family(&doc, "stealscope_vcpu_delay_seconds_total")->nsamples,
			 2);
	assert_null(promparse_family(&doc, "stealscope_vcpu_wait_seconds_total"));
	for (i = 0; i < 2; i++) {
		const struct promparse_sample *run, *delay;

		snprintf(pidl, sizeof(pidl), "%d", (int)child);
		snprintf(tidl, sizeof(tidl), "%lld", (long long)tids[i]);
		run = promparse_find(&doc, "stealscope_vcpu_run_seconds_total", "pid", pidl, "tid",
				     tidl, NULL);
		delay = promparse_find(&doc, "stealscope_vcpu_delay_seconds_total", "pid", pidl,
				       "tid", tidl, NULL);
		assert_non_null(run);
		assert_non_null(delay);
		if (run->value < (double)before[i].run_ns / 1e9 ||
		    run->value > (double)after[i].run_ns / 1e9 ||
		    delay->value < (double)before[i].delay_ns / 1e9 ||
		    delay->value > (double)after[i].delay_ns / 1e9)
			fail_msg("tid %s: run %.9f s, delay %.9f s; schedstat said %llu..%llu ns and "
				 "%llu..%llu ns", tidl, run->value, delay->value,
				 (unsigned long long)before[i].run_ns,
				 (unsigned long long)after[i].run_ns,
				 (unsigned long long)before[i].delay_ns,
				 (unsigned long long)after[i].delay_ns);
	}
	assert_non_null(promparse_find(&doc, "stealscope_sampler_overruns_total", "sampler",
				       "vcpu-sampler", "file", "vcpu.prom", NULL));
	promparse_free(&doc);
	promparse_promtool_ok(text);
	free(text);
	support_run_free(&r);
	assert_int_equal(support_rmtree(dir), 0);
}

/*
 * On stdout, one exposition per sample (4 for --count 3), separated by empty
 * lines; the sampler's own thread keeps running, so its run time never
 * goes down from one to the next.
 */
static void test_vcpu_sampler_prometheus_stdout_per_sample(void **state)
{
	char tidbuf[16];
	const char *argv[] = { TOOL, "--tid", tidbuf, "--format", "prometheus", "--interval",
			       "20ms", "--count", "3", NULL };
	struct support_run r;
	char *parts[8];
	double prev = 0;
	size_t i, n;

	(void)state;
	snprintf(tidbuf, sizeof(tidbuf), "%d", (int)getpid());
	run_ok(argv, &r);
	n = promparse_split(r.out, parts, 8);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		const struct promparse_sample *run;
		struct promparse_doc doc;

		promparse_ok(parts[i], &doc);
		assert_int_equal(doc.nfamilies, 4);
		run = promparse_find(&doc, "stealscope_vcpu_run_seconds_total", "pid", tidbuf,
				     "tid", tidbuf, NULL);
		assert_non_null(run);
		assert_true(run->value >= prev && run->value > 0);
		prev = run->value;
		promparse_free(&doc);
	}
	promparse_promtool_ok(parts[0]);
	support_run_free(&r);
}

/*
 * libvirt's test driver reports no vcpu.* fields: no stealscope_vcpu_*
 * family at all (absent, never 0), and each missing field named once on
 * stderr with the family it leaves out.
 */
static void test_vcpu_sampler_prometheus_missing_fields_left_out(void **state)
{
	const char *argv[] = { TOOL, "--domain", "test", "--connect", "test:///default",
			       "--format", "prometheus", "--interval", "20ms", "--count", "2",
			       NULL };
	struct promparse_doc doc;
	struct support_run r;
	char *parts[4];
	size_t i;

	(void)state;
	run_ok(argv, &r);
	assert_int_equal(support_count_substr(r.err, "vcpu.N.time not reported by this driver; "
					      "left out of stealscope_vcpu_run_seconds_total"), 1);
	assert_int_equal(support_count_substr(r.err, "vcpu.N.delay not reported by this driver; "
					      "left out of stealscope_vcpu_delay_seconds_total"), 1);
	assert_int_equal(support_count_substr(r.err, "vcpu.N.wait not reported by this driver; "
					      "left out of stealscope_vcpu_wait_seconds_total"), 1);
	assert_int_equal(promparse_split(r.out, parts, 4), 3);
	for (i = 0; i < 3; i++) {
		promparse_ok(parts[i], &doc);
		assert_int_equal(doc.nfamilies, 2);
		assert_null(strstr(parts[i], "stealscope_vcpu_"));
		assert_non_null(promparse_find(&doc, "stealscope_sampler_overruns_total", "sampler",
					       "vcpu-sampler", NULL));
		promparse_free(&doc);
	}
	support_run_free(&r);
}

static void test_vcpu_sampler_help_and_version(void **state)
{
	const char *help[] = { TOOL, "--help", NULL }, *version[] = { TOOL, "--version", NULL };
	struct support_run r;

	(void)state;
	run_ok(help, &r);
	assert_non_null(strstr(r.out, "Usage: vcpu-sampler"));
	assert_non_null(strstr(r.out, "--pid"));
	assert_non_null(strstr(r.out, "stealscope_vcpu_delay_seconds_total"));
	assert_non_null(strstr(r.out, "--textfile PATH"));
	support_run_free(&r);

	run_ok(version, &r);
	assert_non_null(strstr(r.out, "vcpu-sampler (stealscope) "));
	support_run_free(&r);
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
		cmocka_unit_test(test_vcpu_sampler_prometheus_threads),
		cmocka_unit_test(test_vcpu_sampler_prometheus_stdout_per_sample),
		cmocka_unit_test(test_vcpu_sampler_prometheus_missing_fields_left_out),
		cmocka_unit_test(test_vcpu_sampler_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
