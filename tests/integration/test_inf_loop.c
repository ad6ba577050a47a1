/*
 * Integration tests for inf-loop: run the real binary with a timeout, stop
 * it with SIGTERM, and check its duty cycle from the CPU time the kernel
 * charged it (wait4 rusage), not from what it says about itself. The time
 * bounds here only catch hangs and gross errors; they are not perf claims.
 * Running and timing the binary is tests/support/run.h's job.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/run.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INF_LOOP TEST_BINDIR "/inf-loop"
#define RUN_TIMEOUT_MS 10000

static void test_inf_loop_duration_bounds_the_run(void **state)
{
	const char *argv[] = { INF_LOOP, "--duration", "300ms", "--cpu", "0", NULL };
	struct support_run r;

	(void)state;
	support_run(argv, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	print_message("300ms run took %.1f ms, %.1f ms CPU\n", r.elapsed_ms, r.cpu_ms);
	assert_true(r.elapsed_ms >= 250.0);
	assert_true(r.elapsed_ms <= 2000.0);
	/* it reports what it did on stderr, and stdout stays empty */
	assert_non_null(strstr(r.err, "inf-loop: info: ran "));
	assert_non_null(strstr(r.err, "busy"));
	/* without --t0 the start and stop it reports count from its own start */
	assert_non_null(strstr(r.err, "(ns from start-up)"));
	assert_string_equal(r.out, "");
	support_run_free(&r);
}

static void test_inf_loop_sigterm_stops_cleanly(void **state)
{
	const char *argv[] = { INF_LOOP, NULL };
	struct support_run r;

	(void)state;
	support_run_signal(argv, SIGTERM, 200, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	print_message("stopped %.1f ms after SIGTERM, ran %.1f ms\n", r.after_signal_ms,
		      r.elapsed_ms);
	assert_true(r.after_signal_ms >= 0);
	assert_true(r.after_signal_ms < 1000.0);
	assert_true(r.elapsed_ms >= 190.0);
	assert_non_null(strstr(r.err, "stopped by signal"));
	support_run_free(&r);
}

static void test_inf_loop_sigterm_while_sleeping(void **state)
{
	/* 1% of 10 s: the signal lands in the sleep, which must wake up */
	const char *argv[] = { INF_LOOP, "--duty", "1", "--period", "10s", NULL };
	struct support_run r;

	(void)state;
	support_run_signal(argv, SIGTERM, 300, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.after_signal_ms < 1000.0);
	support_run_free(&r);
}

/*
 * The share of wall time (spawn to exit, start-up included) that inf-loop
 * --duty @duty --period 20ms --duration @duration got as CPU time from the
 * kernel, in %. The machine is shared, so it is pinned to the CPU that was
 * the most idle and runs at nice -20 where allowed; a neighbour that gets a
 * share of that CPU anyway skews one attempt only, hence the callers'
 * retries.
 */
static double busy_pct(const char *duty, const char *duration, int attempt)
{
	char cpu_s[16];
	const char *argv[] = { INF_LOOP, "--duty", duty, "--period", "20ms", "--duration",
			       duration, "--cpu", cpu_s, NULL };
	struct support_run r;
	double busy;
	int prio;

	snprintf(cpu_s, sizeof(cpu_s), "%d", support_least_busy_cpu());
	prio = support_nice_boost();
	support_run(argv, RUN_TIMEOUT_MS, &r);
	support_nice_restore(prio);
	assert_int_equal(r.exit_code, 0);
	busy = 100.0 * r.cpu_ms / r.elapsed_ms;
	print_message("attempt %d, duty %s%% on CPU %s: %.1f ms CPU in %.1f ms: %.1f%% busy\n",
		      attempt + 1, duty, cpu_s, r.cpu_ms, r.elapsed_ms, busy);
	support_run_free(&r);
	return busy;
}

static void test_inf_loop_duty_cycle_half_busy(void **state)
{
	double busy = 0;
	int attempt;

	(void)state;
	for (attempt = 0; attempt < 3; attempt++) {
		busy = busy_pct("50", "1s", attempt);
		if (busy >= 30.0 && busy <= 70.0)
			break;
	}
	assert_true(busy >= 30.0);
	assert_true(busy <= 70.0);
}

/*
 * A busy loop gets CPU for nearly all of its run: at least 80% of the wall
 * time from spawn to exit, as the kernel charged it.
 */
static void test_inf_loop_full_duty_is_busy(void **state)
{
	double busy = 0;
	int attempt;

	(void)state;
	for (attempt = 0; attempt < 3 && busy < 80.0; attempt++)
		busy = busy_pct("100", "300ms", attempt);
	assert_true(busy >= 80.0);
}

/*
 * --delay sleeps before the work: the whole run takes the delay plus the
 * duration, but the CPU time is only the duration's (it did not spin while
 * waiting). Loose bounds: they catch a delay that is skipped or spun.
 */
static void test_inf_loop_delay_sleeps_first(void **state)
{
	const char *argv[] = { INF_LOOP, "--delay", "300ms", "--duration", "100ms", NULL };
	struct support_run r;

	(void)state;
	support_run(argv, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	print_message("300ms delay + 100ms run took %.1f ms, %.1f ms CPU\n", r.elapsed_ms,
		      r.cpu_ms);
	assert_true(r.elapsed_ms >= 380.0);
	assert_true(r.cpu_ms < 200.0);
	assert_non_null(strstr(r.err, "inf-loop: info: ran "));
	support_run_free(&r);
}

/*
 * A stop during an hour-long --delay ends it at once: the sleep wakes up
 * for the signal, and one that lands just before the sleep began is still
 * noticed within a 100 ms slice, not at the deadline.
 */
static void test_inf_loop_sigterm_during_delay(void **state)
{
	const char *argv[] = { INF_LOOP, "--delay", "3600s", NULL };
	struct support_run r;

	(void)state;
	support_run_signal(argv, SIGTERM, 200, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	assert_true(r.after_signal_ms >= 0);
	assert_true(r.after_signal_ms < 1000.0);
	assert_true(r.cpu_ms < 200.0);
	assert_non_null(strstr(r.err, "during --delay"));
	assert_string_equal(r.out, "");
	support_run_free(&r);
}

/* Field 19 of /proc/<pid>/stat (nice), or -100 when it cannot be read. */
static int proc_nice(pid_t pid)
{
	char path[64], *text, *p;
	int field, nice = -100;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = support_slurp(path);
	/* the command name (field 2) may hold blanks and ')': skip past its last ')' */
	p = strrchr(text, ')');
	for (field = 2; p && field < 19; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%d", &nice);
	free(text);
	return nice;
}

/* The Cpus_allowed_list of /proc/<pid>/status into @buf ("" if absent). */
static void proc_cpus_allowed(pid_t pid, char *buf, size_t len)
{
	char path[64], *text, *p;

	assert_true(len >= 64);         /* the %63[ below */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = support_slurp(path);
	buf[0] = '\0';
	p = strstr(text, "\nCpus_allowed_list:");
	if (p)
		sscanf(p + strlen("\nCpus_allowed_list:"), " %63[0-9,-]", buf);
	free(text);
}

/*
 * Start inf-loop with @opt @val and an hour of --delay (so it burns
 * nothing), wait up to 2 s for @check to see the setting on the live
 * process, stop it and return what @check saw last.
 */
static int setting_seen(const char *opt, const char *val, int (*check)(pid_t, const char *))
{
	const char *argv[] = { INF_LOOP, opt, val, "--delay", "3600s", NULL };
	struct support_child c;
	struct support_run r;
	double start = support_now_ms();
	int seen;

	support_spawn(argv, &c);
	while (!(seen = check(c.pid, val)) && support_now_ms() - start < 2000)
		support_sleep_ms(5);
	support_signal(&c, SIGTERM);
	support_wait(&c, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("%s %s: exit %d (signal %d): %s", opt, val, r.exit_code, r.term_signal,
			 r.err);
	support_run_free(&r);
	return seen;
}

static int nice_is(pid_t pid, const char *val)
{
	return proc_nice(pid) == (int)strtol(val, NULL, 10);
}

static int pinned_to(pid_t pid, const char *val)
{
	char list[64];

	proc_cpus_allowed(pid, list, sizeof(list));
	return !strcmp(list, val);
}

/* --nice really sets the nice value of the running process (field 19). */
static void test_inf_loop_nice_is_applied(void **state)
{
	(void)state;
	assert_int_not_equal(proc_nice(getpid()), 7);
	assert_true(setting_seen("--nice", "7", nice_is));
}

/* --cpu pins: Cpus_allowed_list of the running process is that one CPU. */
static void test_inf_loop_cpu_pins(void **state)
{
	char cpu_s[16];
	cpu_set_t mine;
	int cpu = CPU_SETSIZE - 1;

	(void)state;
	/* our last CPU: on a machine with two or more, not all it would inherit */
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	while (cpu > 0 && !CPU_ISSET(cpu, &mine))
		cpu--;
	snprintf(cpu_s, sizeof(cpu_s), "%d", cpu);
	assert_true(setting_seen("--cpu", cpu_s, pinned_to));
}

/*
 * Run inf-loop with --t0 taken 1 s before the spawn, --delay @delay and
 * --duration 100ms; expect exit 0 and return the "start t_ns A, stop t_ns
 * B" it reports on stderr.
 */
static void run_from_past_t0(const char *delay, struct support_run *r, long long *start,
			     long long *stop)
{
	char t0s[32];
	const char *argv[] = { INF_LOOP, "--t0", t0s, "--delay", delay, "--duration", "100ms",
			       NULL };
	const char *p;

	snprintf(t0s, sizeof(t0s), "%lld", (long long)(support_mono_ns() - 1000000000LL));
	support_run(argv, RUN_TIMEOUT_MS, r);
	if (r->exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r->exit_code, r->term_signal, r->err);
	p = strstr(r->err, "start t_ns ");
	if (!p || sscanf(p, "start t_ns %lld, stop t_ns %lld", start, stop) != 2)
		fail_msg("no start/stop t_ns on stderr: %s", r->err);
	print_message("--delay %s: took %.1f ms; start t_ns %lld, stop t_ns %lld\n", delay,
		      r->elapsed_ms, *start, *stop);
}

/*
 * --delay 1200ms from a --t0 1 s in the past ends 200 ms after the spawn
 * (from its own start it would end after 1200 ms): the loop starts at t_ns
 * 1.2 s or later, runs its 100 ms, and reports both ends relative to --t0.
 */
static void test_inf_loop_t0_is_the_delay_origin(void **state)
{
	struct support_run r;
	long long start, stop;

	(void)state;
	run_from_past_t0("1200ms", &r, &start, &stop);
	assert_true(r.elapsed_ms < 1000.0);
	assert_true(start >= 1200000000LL);
	assert_true(stop - start >= 90000000LL);
	assert_true(stop - start < 1000000000LL);
	assert_non_null(strstr(r.err, "(ns from --t0)"));
	assert_null(strstr(r.err, "warning"));
	support_run_free(&r);
}

/* A --delay deadline already past at start-up: say so, and run in full now. */
static void test_inf_loop_t0_late_deadline_warns(void **state)
{
	struct support_run r;
	long long start, stop;

	(void)state;
	run_from_past_t0("100ms", &r, &start, &stop);
	assert_true(start >= 1000000000LL);
	assert_true(stop - start >= 90000000LL);
	assert_int_equal(support_count_substr(r.err, "inf-loop: warning: "), 1);
	assert_non_null(strstr(r.err, "had passed"));
	support_run_free(&r);
}

static void expect_usage_error(const char *opt, const char *val, const char *needle)
{
	const char *argv[] = { INF_LOOP, opt, val, NULL };
	struct support_run r;

	support_run(argv, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 2 || !strstr(r.err, needle) || !strstr(r.err, "inf-loop: error: "))
		fail_msg("%s %s: exit %d, stderr '%s' (wanted exit 2 naming '%s')", opt, val,
			 r.exit_code, r.err, needle);
	assert_string_equal(r.out, "");
	support_run_free(&r);
}

static void test_inf_loop_rejects_bad_options(void **state)
{
	(void)state;
	expect_usage_error("--duty", "150", "--duty");
	expect_usage_error("--duty", "150", "150");
	expect_usage_error("--duty", "0", "--duty");
	expect_usage_error("--period", "5", "--period");
	expect_usage_error("--duration", "1y", "--duration");
	expect_usage_error("--nice", "20", "--nice");
	expect_usage_error("--cpu", "99", "not online");
	expect_usage_error("--bogus", "1", "--bogus");
	expect_usage_error("--delay", "5", "--delay");
	expect_usage_error("--delay", "-1s", "--delay");
	expect_usage_error("--t0", "soon", "--t0");
	expect_usage_error("--t0", "-1", "negative");
	/* -p and -n are --pid and --count in the samplers: not --period, --nice */
	expect_usage_error("-p", "20ms", "unknown option '-p'");
	expect_usage_error("-n", "5", "unknown option '-n'");
}

static void test_inf_loop_help_and_version(void **state)
{
	const char *help[] = { INF_LOOP, "--help", NULL };
	const char *version[] = { INF_LOOP, "--version", NULL };
	struct support_run r;

	(void)state;
	support_run(help, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "Usage: inf-loop"));
	assert_non_null(strstr(r.out, "--duty"));
	assert_non_null(strstr(r.out, "--delay DUR"));
	assert_non_null(strstr(r.out, "--t0 NS"));
	assert_non_null(strstr(r.out, "Short options mean the same"));
	assert_string_equal(r.err, "");
	support_run_free(&r);

	support_run(version, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "inf-loop (stealscope) "));
	support_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inf_loop_duration_bounds_the_run),
		cmocka_unit_test(test_inf_loop_sigterm_stops_cleanly),
		cmocka_unit_test(test_inf_loop_sigterm_while_sleeping),
		cmocka_unit_test(test_inf_loop_duty_cycle_half_busy),
		cmocka_unit_test(test_inf_loop_full_duty_is_busy),
		cmocka_unit_test(test_inf_loop_delay_sleeps_first),
		cmocka_unit_test(test_inf_loop_sigterm_during_delay),
		cmocka_unit_test(test_inf_loop_nice_is_applied),
		cmocka_unit_test(test_inf_loop_cpu_pins),
		cmocka_unit_test(test_inf_loop_t0_is_the_delay_origin),
		cmocka_unit_test(test_inf_loop_t0_late_deadline_warns),
		cmocka_unit_test(test_inf_loop_rejects_bad_options),
		cmocka_unit_test(test_inf_loop_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
