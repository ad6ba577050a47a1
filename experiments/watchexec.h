/*
 * watchexec: the threshold action of `stealscope watch --exec CMD`, run as
 * a child process (/bin/sh -c CMD) that never blocks the sampling.
 *
 * - Its environment is the watch's plus STEALSCOPE_HOST, STEALSCOPE_DOMAIN
 *   and STEALSCOPE_VCPU (a vCPU's run delay) or STEALSCOPE_CPU (a host CPU's
 *   steal), STEALSCOPE_VALUE_PCT (the figure of the interval that fired,
 *   "52.3"), STEALSCOPE_THRESHOLD_PCT and STEALSCOPE_TIME (UTC, ISO 8601:
 *   "2026-11-03T14:05:09Z").
 * - stdin is /dev/null and its stdout goes to the watch's stderr, so that
 *   it never mixes into the view or the data on stdout. It runs in a
 *   process group of its own: Ctrl-C on the watch does not reach it.
 * - At most WATCHEXEC_MAX_RUNNING actions run at once; one more is not
 *   started but logged as skipped, so actions cannot pile up. One that
 *   runs longer than its time limit is killed with its process group.
 * - Every end is logged with what fired it: an exit status of 0 as info,
 *   anything else as a warning.
 *
 * posix_spawn(), so that it is safe while the HTTP server's thread runs.
 * Only the watch's main thread calls this module.
 */
#ifndef STEALSCOPE_WATCHEXEC_H
#define STEALSCOPE_WATCHEXEC_H

#include <stdint.h>
#include <sys/types.h>

#define WATCHEXEC_MAX_RUNNING 4
#define WATCHEXEC_WHAT_MAX 512
#define WATCHEXEC_TIMEOUT_NS (30LL * 1000000000LL)    /* default time limit */

/* What fired: the figures handed to the action. */
struct watchexec_event {
	const char *host;              /* URI, or this host's name for a CPU */
	const char *domain;            /* NULL for a CPU */
	int vcpu;                      /* -1 for a CPU */
	int cpu;                       /* -1 for a vCPU */
	double value_pct;
	double threshold_pct;
	int64_t wall_s;                /* seconds since the epoch, for STEALSCOPE_TIME */
};

struct watchexec_child {
	pid_t pid;
	int64_t deadline_ns;           /* killed past this (CLOCK_MONOTONIC) */
	int killed;
	char what[WATCHEXEC_WHAT_MAX]; /* "qemu:///system vm1 vCPU 0 delay 52.3% > 25%" */
};

struct watchexec {
	const char *cmd;
	int64_t timeout_ns;
	unsigned nrunning;
	struct watchexec_child run[WATCHEXEC_MAX_RUNNING];
	unsigned long started, skipped, failed;
};

/* Set up @x to run @cmd (kept, not copied) with @timeout_ns as time limit. */
void watchexec_init(struct watchexec *x, const char *cmd, int64_t timeout_ns);

/*
 * Start the action for @ev at CLOCK_MONOTONIC @now_ns. Returns 0, -EBUSY
 * when WATCHEXEC_MAX_RUNNING already run (logged as a warning), or -errno
 * when it cannot be started (logged as a warning too: the watch goes on).
 */
int watchexec_start(struct watchexec *x, const struct watchexec_event *ev, int64_t now_ns);

/*
 * Reap the actions that ended (logging each exit status) and kill those
 * past their time limit, without blocking. Call once per interval.
 */
void watchexec_reap(struct watchexec *x, int64_t now_ns);

/*
 * At the end of the watch: wait up to @grace_ns for the running actions,
 * then kill (SIGKILL, the process group) and reap what is left.
 */
void watchexec_finish(struct watchexec *x, int64_t grace_ns);

#endif
