/*
 * support/run: see run.h. Children are started with posix_spawn (no shell)
 * and polled with wait4(WNOHANG) every 2 ms, so a timeout or a signal due
 * mid-run is acted on promptly and the child's rusage comes with its status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/run.h"

#include "common/affinity.h"
#include "common/parse.h"
#include "common/procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/*
 * support_least_busy_cpu() watches /proc/stat for windows of this long, up
 * to LEAST_BUSY_WINDOWS of them until some CPU was at least
 * LEAST_BUSY_QUIET_PCT idle (a burst of other work often passes in a
 * second); then it takes the best CPU of the last window.
 */
#define LEAST_BUSY_SAMPLE_MS 200
#define LEAST_BUSY_WINDOWS 5
#define LEAST_BUSY_QUIET_PCT 75.0
#define POLL_MS 2

double support_now_ms(void)
{
	return (double)support_mono_ns() / 1e6;
}

int64_t support_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void support_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

size_t support_count_substr(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* An unlinked temporary file, closed on exec (the dup2 in the child is not). */
static int temp_fd(void)
{
	char path[] = "/tmp/stealscope-test.XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

/*
 * Everything in @fd from offset 0 to EOF, NUL-terminated ("" after a read
 * error). pread() in a loop rather than the file size: /proc files have
 * none, and a tool's output file is read whole whatever its offset.
 */
static char *slurp_fd(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n = 0;

	assert_non_null(buf);
	while ((n = pread(fd, buf + len, cap - len - 1, (off_t)len)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n < 0 ? 0 : len] = '\0';
	return buf;
}

char *support_slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0) {
		buf = strdup("");
		assert_non_null(buf);
		return buf;
	}
	buf = slurp_fd(fd);
	close(fd);
	return buf;
}

void support_spawn(const char *const argv[], struct support_child *c)
{
	posix_spawn_file_actions_t fa;
	int rc;

	memset(c, 0, sizeof(*c));
	c->path = argv[0];
	c->out_fd = temp_fd();
	c->err_fd = temp_fd();
	c->signal_ms = -1;
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, c->out_fd, 1), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, c->err_fd, 2), 0);
	c->start_ms = support_now_ms();
	/* posix_spawn() does not write to argv; its prototype predates const */
	rc = posix_spawn(&c->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		fail_msg("posix_spawn %s: %s", argv[0], strerror(rc));
}

void support_signal(struct support_child *c, int sig)
{
	assert_int_equal(kill(c->pid, sig), 0);
	if (c->signal_ms < 0)
		c->signal_ms = support_now_ms();
}

static double tv_ms(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

/*
 * Poll @c until it exits; send @sig once @after_ms have passed since the
 * spawn (never when @sig is 0); kill it at @timeout_ms.
 */
static void wait_child(struct support_child *c, int sig, int after_ms, int timeout_ms,
		       struct support_run *r)
{
	struct rusage ru;
	int status = 0, timed_out = 0;
	double now;
	pid_t w;

	memset(r, 0, sizeof(*r));
	memset(&ru, 0, sizeof(ru));
	for (;;) {
		w = wait4(c->pid, &status, WNOHANG, &ru);
		if (w == c->pid)
			break;
		assert_true(w == 0 || errno == EINTR);
		now = support_now_ms();
		if (sig && c->signal_ms < 0 && now - c->start_ms >= after_ms)
			support_signal(c, sig);
		if (now - c->start_ms > timeout_ms) {
			kill(c->pid, SIGKILL);
			wait4(c->pid, &status, 0, &ru);
			timed_out = 1;
			break;
		}
		support_sleep_ms(POLL_MS);
	}
	now = support_now_ms();
	r->elapsed_ms = now - c->start_ms;
	r->after_signal_ms = c->signal_ms < 0 ? -1 : now - c->signal_ms;
	r->cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r->out = slurp_fd(c->out_fd);
	r->err = slurp_fd(c->err_fd);
	close(c->out_fd);
	close(c->err_fd);
	c->pid = 0;
	if (timed_out)
		fail_msg("%s timed out after %d ms; stderr: %s", c->path, timeout_ms, r->err);
}

void support_wait(struct support_child *c, int timeout_ms, struct support_run *r)
{
	wait_child(c, 0, 0, timeout_ms, r);
}

void support_run(const char *const argv[], int timeout_ms, struct support_run *r)
{
	struct support_child c;

	support_spawn(argv, &c);
	wait_child(&c, 0, 0, timeout_ms, r);
}

void support_run_signal(const char *const argv[], int sig, int after_ms, int timeout_ms,
			struct support_run *r)
{
	struct support_child c;

	support_spawn(argv, &c);
	wait_child(&c, sig, after_ms, timeout_ms, r);
}

int support_status(const struct support_run *r)
{
	return r->term_signal ? 128 + r->term_signal : r->exit_code;
}

void support_run_free(struct support_run *r)
{
	free(r->out);
	free(r->err);
	r->out = NULL;
	r->err = NULL;
}

int support_nice_boost(void)
{
	int old;

	errno = 0;
	old = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(errno, 0);
	if (setpriority(PRIO_PROCESS, 0, -20))
		print_message("nice -20 not allowed (%s): running at nice %d\n", strerror(errno),
			      old);
	return old;
}

void support_nice_restore(int nice)
{
	/* raising the nice value back needs no privilege */
	assert_int_equal(setpriority(PRIO_PROCESS, 0, nice), 0);
}

pid_t support_spinner(int cpu)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (affinity_pin_self(cpu))
			_exit(1);
		for (;;)
			__asm__ volatile("");
	}
	return pid;
}

void support_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* STEALSCOPE_TEST_CPU, checked: a number of an online CPU. */
static int forced_cpu(const char *env)
{
	cpu_set_t set;
	int64_t v;

	if (parse_i64("STEALSCOPE_TEST_CPU", env, 0, CPU_SETSIZE - 1, &v))
		fail_msg("STEALSCOPE_TEST_CPU='%s': not a CPU number", env);
	CPU_ZERO(&set);
	CPU_SET((int)v, &set);
	if (cpulist_check_online("STEALSCOPE_TEST_CPU", &set, NULL))
		fail_msg("STEALSCOPE_TEST_CPU=%s: not an online CPU", env);
	print_message("using CPU %d (STEALSCOPE_TEST_CPU)\n", (int)v);
	return (int)v;
}

/*
 * The CPU in @allowed that was idle the most between samples @a and @b,
 * its idle share in *@idle_pct (-1 when no CPU saw a tick), or -1.
 */
static int most_idle_cpu(const struct procstat_sample *a, const struct procstat_sample *b,
			 const cpu_set_t *allowed, double *idle_pct)
{
	int i, best = -1;

	*idle_pct = -1;
	for (i = 0; i < b->ncpus; i++) {
		const struct procstat_cpu *now = &b->cpu[i];
		const struct procstat_cpu *then = procstat_find_cpu(a, now->cpu);
		struct cpupct pct;

		if (!then || now->cpu >= CPU_SETSIZE || !CPU_ISSET(now->cpu, allowed))
			continue;
		procstat_derive(then, now, &pct);
		/* no tick, no evidence: such a CPU is taken only if nothing else is */
		if (best < 0 || (pct.total_ticks && pct.pct[CP_IDLE] > *idle_pct)) {
			best = now->cpu;
			*idle_pct = pct.total_ticks ? pct.pct[CP_IDLE] : -1;
		}
	}
	return best;
}

int support_least_busy_cpu(void)
{
	const char *env = getenv("STEALSCOPE_TEST_CPU");
	struct procstat_sample *a, *b, *tmp;
	cpu_set_t allowed;
	double idle = -1;
	int best = -1, w;

	if (env && *env)
		return forced_cpu(env);
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	a = malloc(sizeof(*a));
	b = malloc(sizeof(*b));
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(procstat_read(NULL, a), 0);
	for (w = 1; w <= LEAST_BUSY_WINDOWS; w++) {
		support_sleep_ms(LEAST_BUSY_SAMPLE_MS);
		assert_int_equal(procstat_read(NULL, b), 0);
		best = most_idle_cpu(a, b, &allowed, &idle);
		if (best < 0 || idle >= LEAST_BUSY_QUIET_PCT)
			break;
		tmp = a;
		a = b;
		b = tmp;
	}
	free(a);
	free(b);
	if (best < 0)
		fail_msg("no online CPU in this process's affinity mask in /proc/stat");
	print_message("least-busy CPU %d: %.0f%% idle over %d ms (window %d)\n", best, idle,
		      LEAST_BUSY_SAMPLE_MS, w > LEAST_BUSY_WINDOWS ? LEAST_BUSY_WINDOWS : w);
	return best;
}

/* The index of column @col, which must exist. */
static size_t column(const struct csv_table *t, const char *col)
{
	int c = csv_table_col(t, col);

	if (c < 0)
		fail_msg("no column '%s'", col);
	return (size_t)c;
}

int64_t support_cell_i64(const struct csv_table *t, size_t row, const char *col)
{
	int64_t v = 0;

	assert_int_equal(csv_table_i64(t, row, column(t, col), &v), 0);
	return v;
}

double support_cell_f(const struct csv_table *t, size_t row, const char *col)
{
	double v = 0;

	assert_int_equal(csv_table_f(t, row, column(t, col), &v), 0);
	return v;
}
