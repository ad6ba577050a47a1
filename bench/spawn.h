/*
 * spawn: run one program for a benchmark and measure it from the outside:
 * wall time from fork to exit (or to the first output line with a given
 * prefix), CPU time and peak RSS from wait4(2), and optionally the peak RSS
 * of that process alone (VmHWM in /proc/<pid>/status, read while it runs),
 * and its exact CPU time at chosen moments (schedstat run time), so that a
 * sampler's cost per sample can be taken between two of its samples,
 * leaving its start and exit out.
 *
 * Every program is started the same way (fork, execvp, stdin from
 * /dev/null), so the cost of starting it is the same for a figure and its
 * baseline, and ratios between them are fair. The child is always reaped
 * before a call returns; nothing here exits.
 */
#ifndef STEALSCOPE_BENCH_SPAWN_H
#define STEALSCOPE_BENCH_SPAWN_H

#include <stdint.h>

#define SPAWN_PROBES 2

struct spawn_opts {
	const char *stdout_path;       /* file for stdout; NULL: /dev/null */
	const char *stderr_path;       /* file for stderr; NULL: /dev/null */
	int poll_hwm;                  /* read VmHWM every HWM_POLL_MS while it runs */
	int poll_rss;                  /* read the Rss of /proc/<pid>/smaps_rollup as
					  often: it walks the page tables, so it is
					  exact where VmHWM lags (kernels before 6.2
					  batch a thread's RSS counts, 64 faults at a
					  time: a small process reads 4 kB) */
	const char *line_prefix;       /* end at the first stdout line starting with
					  this (stdout goes to a pipe, stdout_path
					  is ignored; the child is then SIGKILLed) */
	int64_t timeout_ns;            /* SIGKILL after this long; 0: no limit */
	int64_t probe_ns[SPAWN_PROBES]; /* read the child's schedstat run time this
					  long after the fork (0: no probe) */
};

struct spawn_result {
	int64_t wall_ns;               /* fork to exit, or to the prefixed line */
	int64_t cpu_ns;                /* user + system time (wait4), the child and the
					  children it reaped */
	long maxrss_kib;               /* ru_maxrss of wait4: the largest of the child
					  and the children it reaped */
	long hwm_kib;                  /* largest VmHWM of the child alone; -1 unless
					  poll_hwm (0 if it ended before a read) */
	long rss_peak_kib;             /* largest smaps_rollup Rss read; -1 unless
					  poll_rss (0 if it ended before a read) */
	int status;                    /* exit code, 128 + signal, -1 unknown */
	int timed_out;                 /* killed at timeout_ns */
	int line_seen;                 /* line_prefix was seen */
	int64_t probe_at_ns[SPAWN_PROBES];  /* when each probe read, from the fork; -1:
					       not read (the child had ended) */
	int64_t probe_run_ns[SPAWN_PROBES]; /* the main thread's schedstat run time
					       then (exact CPU time, ns) */
};

/* Milliseconds between two VmHWM reads with poll_hwm. */
#define SPAWN_HWM_POLL_MS 5

/*
 * Run @argv (argv[0] looked up in PATH when it has no '/') as @o says and
 * fill @r. Returns 0 when it ran (whatever its exit status), -errno when it
 * could not be started (the exec error included: "execvp X: No such file or
 * directory"), or -EINTR after SIGINT/SIGTERM (the child is killed and
 * reaped); logged.
 */
int spawn_run(const char *const argv[], const struct spawn_opts *o, struct spawn_result *r);

/*
 * Check the result of a program that must exit 0: 0 if it did, else log
 * "<what> exited N (see <stderr_path>)" (or "was killed by signal N", or
 * "timed out") and return -EIO.
 */
int spawn_check_ok(const struct spawn_result *r, const char *what, const char *stderr_path);

#endif
