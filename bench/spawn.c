/*
 * spawn: see spawn.h. The exec error travels back on a close-on-exec pipe
 * (nothing arrives when execvp succeeds), so a missing program is an error
 * of the benchmark, never a run that "exited 127" quickly. A pidfd (Linux
 * 5.3+) tells when the child ends while the parent also waits for output
 * or for the next VmHWM read.
 */
#include "bench/spawn.h"

#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/schedstat.h"
#include "common/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

/* What the parent watches while the child runs. */
struct watch {
	pid_t pid;
	int pidfd;
	int out_fd;                    /* read end of the stdout pipe, or -1 */
	char line[LINE_MAX_BYTES];     /* the current stdout line so far */
	size_t len;
	int overlong;                  /* the current line did not fit: not a match */
	struct fileio_buf status;      /* /proc/<pid>/status, reused */
};

/* Open @path (NULL: /dev/null) as fd @target; in the child, so no logging. */
static int redirect(const char *path, int flags, int target)
{
	int fd = open(path ? path : "/dev/null", flags | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (dup2(fd, target) < 0)
		return -1;
	close(fd);
	return 0;
}

static void child_exec(const char *const argv[], const struct spawn_opts *o, int err_w,
		       int out_w)
{
	ssize_t n;
	int e;

	if (redirect(NULL, O_RDONLY, STDIN_FILENO) ||
	    (out_w >= 0 ? dup2(out_w, STDOUT_FILENO) < 0 :
	     redirect(o->stdout_path, O_WRONLY | O_CREAT | O_TRUNC, STDOUT_FILENO)) ||
	    redirect(o->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, STDERR_FILENO))
		goto fail;
	execvp(argv[0], (char *const *)argv);
fail:
	e = errno;
	/* if even this fails, the parent sees end of file and then exit status 127 */
	n = write(err_w, &e, sizeof(e));
	(void)n;
	_exit(127);
}

/*
 * The "@key: N kB" line of the child's /proc/<pid>/@file (not its first
 * line), in KiB, or -1 when it cannot be read (it has exited).
 */
static long read_kib(struct watch *w, const char *file, const char *key)
{
	char path[64], needle[32];
	const char *p, *end;
	uint64_t kib;
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)w->pid, file);
	snprintf(needle, sizeof(needle), "\n%s:", key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fileio_read_fd(fd, 0, 1 << 16, &w->status);
	close(fd);
	if (rc)
		return -1;
	p = strstr(w->status.data, needle);
	if (!p)
		return -1;             /* a zombie has no memory lines */
	p += strlen(needle);
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	p = parse_skip_blanks(p, end);
	if (parse_u64_token(&p, end, &kib))
		return -1;
	return (long)kib;
}

/*
 * Read what the child wrote to stdout; 1 when a line starting with @prefix
 * is complete, 0 otherwise (the pipe is closed at end of file).
 */
static int scan_output(struct watch *w, const char *prefix)
{
	char buf[4096];
	size_t plen = strlen(prefix);
	ssize_t n, i;

	n = read(w->out_fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || errno != EINTR) {
			close(w->out_fd);
			w->out_fd = -1;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!w->overlong && w->len >= plen && !memcmp(w->line, prefix, plen))
				return 1;
			w->len = 0;
			w->overlong = 0;
		} else if (w->len < sizeof(w->line)) {
			w->line[w->len++] = buf[i];
		} else {
			w->overlong = 1;
		}
	}
	return 0;
}

/*
 * Read the child's run time for every probe that is due (from @next on);
 * returns the first probe still ahead (SPAWN_PROBES: none left).
 */
static int take_probes(struct watch *w, const struct spawn_opts *o, int64_t start_ns, int next,
		       struct spawn_result *r)
{
	struct schedstat ss;
	char path[64];
	int fd;

	while (next < SPAWN_PROBES && o->probe_ns[next] > 0 &&
	       mono_ns() >= start_ns + o->probe_ns[next]) {
		/* schedstat_read() would log a child that has just ended */
		snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)w->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fileio_read_fd(fd, 0, 256, &w->status) == 0 &&
		    schedstat_parse(w->status.data, w->status.len, &ss) == 0) {
			r->probe_at_ns[next] = mono_ns() - start_ns;
			r->probe_run_ns[next] = (int64_t)ss.run_ns;
		}
		if (fd >= 0)
			close(fd);
		next++;
	}
	while (next < SPAWN_PROBES && o->probe_ns[next] <= 0)
		next++;
	return next;
}

/*
 * Wait for the child's end, its prefixed line, the timeout or a stop
 * request, reading VmHWM meanwhile. Returns the time the wait ended (ns);
 * kills the child unless it exited by itself. *@stopped is set on a stop
 * request.
 */
static int64_t watch_child(struct watch *w, const struct spawn_opts *o, int64_t start_ns,
			   struct spawn_result *r, int *stopped)
{
	int64_t deadline = o->timeout_ns > 0 ? start_ns + o->timeout_ns : 0, now;
	int next_probe = 0;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = w->pidfd, .events = POLLIN },
			{ .fd = w->out_fd, .events = POLLIN },
		};
		int64_t wake = deadline;
		int wait_ms = -1, rc;
		long kib;

		if (o->poll_hwm) {
			kib = read_kib(w, "status", "VmHWM");
			if (kib > r->hwm_kib)
				r->hwm_kib = kib;
			wait_ms = SPAWN_HWM_POLL_MS;
		}
		if (o->poll_rss) {
			kib = read_kib(w, "smaps_rollup", "Rss");
			if (kib > r->rss_peak_kib)
				r->rss_peak_kib = kib;
			wait_ms = SPAWN_HWM_POLL_MS;
		}
		next_probe = take_probes(w, o, start_ns, next_probe, r);
		if (next_probe < SPAWN_PROBES &&
		    (!wake || start_ns + o->probe_ns[next_probe] < wake))
			wake = start_ns + o->probe_ns[next_probe];
		if (wake) {
			int64_t left_ms = (wake - mono_ns() + NS_PER_MS - 1) / NS_PER_MS;

			if (wait_ms < 0 || left_ms < wait_ms)
				wait_ms = left_ms > 0 ? (int)left_ms : 0;
		}
		rc = poll(p, w->out_fd >= 0 ? 2 : 1, wait_ms);
		now = mono_ns();
		if (rc < 0 && errno != EINTR)
			break;
		if (cli_stop_requested()) {
			*stopped = 1;
			break;
		}
		if (rc > 0 && p[0].revents)
			return now;
		if (rc > 0 && w->out_fd >= 0 && p[1].revents && scan_output(w, o->line_prefix)) {
			r->line_seen = 1;
			break;
		}
		if (deadline && now >= deadline) {
			r->timed_out = 1;
			break;
		}
	}
	kill(w->pid, SIGKILL);
	return now;
}

static int has_probes(const struct spawn_opts *o)
{
	for (int i = 0; i < SPAWN_PROBES; i++)
		if (o->probe_ns[i] > 0)
			return 1;
	return 0;
}

int spawn_run(const char *const argv[], const struct spawn_opts *o, struct spawn_result *r)
{
	struct watch w = { .pid = -1, .pidfd = -1, .out_fd = -1 };
	int err_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
	int status, e = 0, stopped = 0, rc = 0;
	struct rusage ru;
	int64_t start, end = 0;
	ssize_t n;
	pid_t got;

	*r = (struct spawn_result){ .hwm_kib = o->poll_hwm ? 0 : -1,
				    .rss_peak_kib = o->poll_rss ? 0 : -1, .status = -1 };
	for (int i = 0; i < SPAWN_PROBES; i++)
		r->probe_at_ns[i] = -1;
	if (pipe2(err_pipe, O_CLOEXEC))
		return log_err(-errno, "pipe: %s", strerror(errno));
	if (o->line_prefix && pipe2(out_pipe, O_CLOEXEC)) {
		rc = log_err(-errno, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	start = mono_ns();
	w.pid = fork();
	if (w.pid < 0) {
		rc = log_err(-errno, "fork for %s: %s", argv[0], strerror(errno));
		goto out;
	}
	if (w.pid == 0)
		child_exec(argv, o, err_pipe[1], out_pipe[1]);
	close(err_pipe[1]);
	err_pipe[1] = -1;
	if (out_pipe[1] >= 0) {
		close(out_pipe[1]);
		out_pipe[1] = -1;
	}
	do
		n = read(err_pipe[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(w.pid, &status, 0);
		rc = log_err(-e, "execvp %s: %s", argv[0], strerror(e));
		goto out;
	}

	if (o->poll_hwm || o->poll_rss || o->line_prefix || o->timeout_ns > 0 || has_probes(o)) {
		w.out_fd = out_pipe[0];
		out_pipe[0] = -1;
		w.pidfd = pidfd_open(w.pid, 0);
		if (w.pidfd < 0) {
			rc = log_err(-errno, "pidfd_open: %s", strerror(errno));
			kill(w.pid, SIGKILL);
		} else {
			end = watch_child(&w, o, start, r, &stopped);
		}
	}
	for (;;) {
		got = wait4(w.pid, &status, 0, &ru);
		if (got >= 0 || errno != EINTR)
			break;
		if (cli_stop_requested() && !stopped) {
			stopped = 1;
			kill(w.pid, SIGKILL);
		}
	}
	if (!end)
		end = mono_ns();
	if (got < 0) {
		rc = rc ? rc : log_err(-errno, "wait4 %s: %s", argv[0], strerror(errno));
		goto out;
	}
	r->wall_ns = end - start;
	r->cpu_ns = (int64_t)ru.ru_utime.tv_sec * NS_PER_SEC + ru.ru_utime.tv_usec * NS_PER_US +
		    (int64_t)ru.ru_stime.tv_sec * NS_PER_SEC + ru.ru_stime.tv_usec * NS_PER_US;
	r->maxrss_kib = ru.ru_maxrss;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
	if (stopped && !rc)
		rc = log_err(-EINTR, "interrupted while %s ran", argv[0]);
out:
	if (w.pidfd >= 0)
		close(w.pidfd);
	if (w.out_fd >= 0)
		close(w.out_fd);
	for (int i = 0; i < 2; i++) {
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
	}
	fileio_buf_free(&w.status);
	return rc;
}

int spawn_check_ok(const struct spawn_result *r, const char *what, const char *stderr_path)
{
	const char *see = stderr_path ? stderr_path : "its stderr";

	if (r->timed_out)
		return log_err(-EIO, "%s timed out (see %s)", what, see);
	if (r->status == 0)
		return 0;
	if (r->status > 128)
		return log_err(-EIO, "%s was killed by signal %d (see %s)", what, r->status - 128,
			       see);
	return log_err(-EIO, "%s exited %d (see %s)", what, r->status, see);
}
