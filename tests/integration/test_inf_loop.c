/*
 * Integration tests for inf-loop: run the real binary with a timeout, stop
 * it with SIGTERM, and check its duty cycle from the CPU time the kernel
 * charged it (wait4 rusage), not from what it says about itself. The time
 * bounds here only catch hangs and gross errors; they are not perf claims.
 * Helpers stay static here (host-tools tests have their own).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define INF_LOOP TEST_BINDIR "/inf-loop"
#define RUN_TIMEOUT_MS 10000

extern char **environ;

struct tool_run {
	int exit_code;                  /* -1 unless it exited normally */
	int term_signal;                /* 0 unless killed by a signal */
	int timed_out;
	double elapsed_ms;              /* spawn to exit */
	double after_signal_ms;         /* signal sent to exit, -1 if none sent */
	double cpu_ms;                  /* user + system time of the child */
	char *out;
	char *err;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static int temp_fd(void)
{
	char path[] = "/tmp/test_inf_loop.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static char *slurp_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;

	assert_true(len >= 0);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
	buf[len] = '\0';
	return buf;
}

/*
 * Run argv (argv[0] is the path), send SIGTERM after @signal_after_ms
 * (negative: never), wait at most timeout_ms, capture stdout, stderr and the
 * CPU time the child used.
 */
static void run_tool(char *const argv[], int signal_after_ms, int timeout_ms,
		     struct tool_run *r)
{
	posix_spawn_file_actions_t fa;
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	struct rusage ru;
	int out_fd = temp_fd(), err_fd = temp_fd(), status = 0;
	double start, sent = -1;
	pid_t pid, w;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	r->after_signal_ms = -1;
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	start = now_ms();
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);

	memset(&ru, 0, sizeof(ru));
	for (;;) {
		double now;

		w = wait4(pid, &status, WNOHANG, &ru);
		if (w == pid)
			break;
		assert_true(w == 0 || errno == EINTR);
		now = now_ms();
		if (signal_after_ms >= 0 && sent < 0 && now - start >= signal_after_ms) {
			kill(pid, SIGTERM);
			sent = now;
		}
		if (now - start > timeout_ms) {
			kill(pid, SIGKILL);
			wait4(pid, &status, 0, &ru);
			r->timed_out = 1;
			break;
		}
		nanosleep(&nap, NULL);
	}
	r->elapsed_ms = now_ms() - start;
	if (sent >= 0)
		r->after_signal_ms = now_ms() - sent;
	r->cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->term_signal = WTERMSIG(status);
	r->out = slurp_fd(out_fd);
	r->err = slurp_fd(err_fd);
	close(out_fd);
	close(err_fd);
	if (r->timed_out)
		fail_msg("%s timed out after %d ms; stderr: %s", argv[0], timeout_ms, r->err);
}

static void tool_run_free(struct tool_run *r)
{
	free(r->out);
	free(r->err);
}

static void test_inf_loop_duration_bounds_the_run(void **state)
{
	char *argv[] = { INF_LOOP, "--duration", "300ms", "--cpu", "0", NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, -1, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	print_message("300ms run took %.1f ms, %.1f ms CPU\n", r.elapsed_ms, r.cpu_ms);
	assert_true(r.elapsed_ms >= 250.0);
	assert_true(r.elapsed_ms <= 2000.0);
	/* it reports what it did on stderr, and stdout stays empty */
	assert_non_null(strstr(r.err, "inf-loop: info: ran "));
	assert_non_null(strstr(r.err, "busy"));
	assert_string_equal(r.out, "");
	tool_run_free(&r);
}

static void test_inf_loop_sigterm_stops_cleanly(void **state)
{
	char *argv[] = { INF_LOOP, NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, 200, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	print_message("stopped %.1f ms after SIGTERM, ran %.1f ms\n", r.after_signal_ms,
		      r.elapsed_ms);
	assert_true(r.after_signal_ms >= 0);
	assert_true(r.after_signal_ms < 1000.0);
	assert_true(r.elapsed_ms >= 190.0);
	assert_non_null(strstr(r.err, "stopped by signal"));
	tool_run_free(&r);
}

static void test_inf_loop_sigterm_while_sleeping(void **state)
{
	/* 1% of 10 s: the signal lands in the sleep, which must wake up */
	char *argv[] = { INF_LOOP, "--duty", "1", "--period", "10s", NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, 300, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.after_signal_ms < 1000.0);
	tool_run_free(&r);
}

static void test_inf_loop_duty_cycle_half_busy(void **state)
{
	char *argv[] = { INF_LOOP, "--duty", "50", "--period", "20ms", "--duration", "1s",
			 NULL };
	struct tool_run r;
	double busy = 0;
	int attempt;

	(void)state;
	/* a retry: a neighbour on the same CPU can eat one run's busy share */
	for (attempt = 0; attempt < 3; attempt++) {
		run_tool(argv, -1, RUN_TIMEOUT_MS, &r);
		assert_int_equal(r.exit_code, 0);
		busy = 100.0 * r.cpu_ms / r.elapsed_ms;
		print_message("attempt %d: %.1f ms CPU in %.1f ms: %.1f%% busy\n", attempt + 1,
			      r.cpu_ms, r.elapsed_ms, busy);
		tool_run_free(&r);
		if (busy >= 30.0 && busy <= 70.0)
			break;
	}
	assert_true(busy >= 30.0);
	assert_true(busy <= 70.0);
}

static void test_inf_loop_full_duty_is_busy(void **state)
{
	char *argv[] = { INF_LOOP, "--duration", "300ms", NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, -1, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 0);
	/* a busy loop uses CPU for most of its run (loose: the machine is shared) */
	assert_true(r.cpu_ms > 0.3 * r.elapsed_ms);
	tool_run_free(&r);
}

/*
 * --delay sleeps before the work: the whole run takes the delay plus the
 * duration, but the CPU time is only the duration's (it did not spin while
 * waiting). Loose bounds: they catch a delay that is skipped or spun.
 */
static void test_inf_loop_delay_sleeps_first(void **state)
{
	char *argv[] = { INF_LOOP, "--delay", "300ms", "--duration", "100ms", NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, -1, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	print_message("300ms delay + 100ms run took %.1f ms, %.1f ms CPU\n", r.elapsed_ms,
		      r.cpu_ms);
	assert_true(r.elapsed_ms >= 380.0);
	assert_true(r.cpu_ms < 200.0);
	assert_non_null(strstr(r.err, "inf-loop: info: ran "));
	tool_run_free(&r);
}

static void test_inf_loop_sigterm_during_delay(void **state)
{
	char *argv[] = { INF_LOOP, "--delay", "10s", NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, 200, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("exit %d (signal %d): %s", r.exit_code, r.term_signal, r.err);
	assert_true(r.after_signal_ms >= 0);
	assert_true(r.after_signal_ms < 1000.0);
	assert_true(r.cpu_ms < 200.0);
	assert_non_null(strstr(r.err, "during --delay"));
	assert_string_equal(r.out, "");
	tool_run_free(&r);
}

static void expect_usage_error(const char *opt, const char *val, const char *needle)
{
	char *argv[] = { INF_LOOP, (char *)opt, (char *)val, NULL };
	struct tool_run r;

	run_tool(argv, -1, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 2 || !strstr(r.err, needle) || !strstr(r.err, "inf-loop: error: "))
		fail_msg("%s %s: exit %d, stderr '%s' (wanted exit 2 naming '%s')", opt, val,
			 r.exit_code, r.err, needle);
	assert_string_equal(r.out, "");
	tool_run_free(&r);
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
}

static void test_inf_loop_help_and_version(void **state)
{
	char *help[] = { INF_LOOP, "--help", NULL };
	char *version[] = { INF_LOOP, "--version", NULL };
	struct tool_run r;

	(void)state;
	run_tool(help, -1, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "Usage: inf-loop"));
	assert_non_null(strstr(r.out, "--duty"));
	assert_non_null(strstr(r.out, "--delay DUR"));
	assert_string_equal(r.err, "");
	tool_run_free(&r);

	run_tool(version, -1, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "inf-loop (stealscope) "));
	tool_run_free(&r);
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
		cmocka_unit_test(test_inf_loop_rejects_bad_options),
		cmocka_unit_test(test_inf_loop_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
