/*
 * watchsrc: the libvirt reader of `stealscope watch`. Each --connect URI is
 * sampled by a child process of its own, which connects (read-only), lists
 * the running domains, takes their per-vCPU statistics every interval and
 * sends the raw cumulative counters up a pipe; the watch process only reads
 * the newest sample from the pipe and never calls libvirt itself.
 *
 * Why processes and not threads: a remote host that stops answering can
 * block a libvirt call for minutes (TCP timeouts, a hung ssh); in its own
 * process it stalls only its own URI, never the others, the host CPUs or
 * the /metrics server, and libvirt's per-call errors (and log_err()'s
 * last error, which watchsrc passes on) stay with their URI.
 *
 * A host that cannot be reached, or that is lost, is retried with an
 * exponential backoff (watchsrc_backoff_ns()). The samplers never exit on
 * their own; they die with the watch process (PR_SET_PDEATHSIG) and ignore
 * SIGINT from the terminal, so that the watch process decides the end.
 *
 * Readers only: nothing here computes a rate or renders anything.
 */
#ifndef STEALSCOPE_WATCHSRC_H
#define STEALSCOPE_WATCHSRC_H

#include "experiments/watchdata.h"
#include "host-tools/virt.h"

#include <stdint.h>

#define WATCHSRC_BACKOFF_FIRST_NS 1000000000LL   /* 1 s after the first failure */
#define WATCHSRC_BACKOFF_MAX_NS 30000000000LL    /* doubling up to 30 s */
#define WATCHSRC_STALE_MIN_NS 2000000000LL       /* see watchsrc_stale_ns() */

/*
 * The wait before connection attempt number @attempt + 1 after @attempt
 * consecutive failures (1 or more): 1 s, 2 s, 4 s, ... capped at 30 s.
 */
int64_t watchsrc_backoff_ns(unsigned attempt);

/*
 * How long an up host's sampler may send nothing before the host is shown
 * as lost (a libvirt call that hangs): 3 intervals, at least 2 s.
 */
int64_t watchsrc_stale_ns(int64_t interval_ns);

/*
 * The sampling of one URI, step by step: what the child process runs, and
 * what the unit tests drive with a fake struct virt_ops.
 */
struct watchsrc_sampler {
	const struct virt_ops *ops;
	const char *uri;
	int64_t interval_ns;
	struct virt_conn *conn;        /* NULL while not connected */
	int ever_up;
	int64_t next_ns;               /* next sampling deadline while up */
	struct watch_host host;        /* what the next frame says */
	struct virtstats_vcpu *buf;    /* statistics scratch of one domain */
	size_t buf_cap;
};

/* Set up @s for @uri (kept, not copied), sampled every @interval_ns. */
void watchsrc_sampler_init(struct watchsrc_sampler *s, const struct virt_ops *ops,
			   const char *uri, int64_t interval_ns);

/*
 * One step at CLOCK_MONOTONIC @now_ns: connect if it is time to try, else
 * or then take a sample of every running domain into s->host. A failure
 * to connect or to list the domains closes the connection and sets the
 * state (unreachable, or lost after it has been up) with libvirt's message
 * and the time of the next attempt. A domain that vanishes between listing
 * and sampling is left out. Returns the CLOCK_MONOTONIC time of the next
 * step. State changes are logged (as warnings or info, once each).
 */
int64_t watchsrc_sampler_step(struct watchsrc_sampler *s, int64_t now_ns);

/* Close the connection and free the buffers. */
void watchsrc_sampler_fini(struct watchsrc_sampler *s);

/* One URI's sampler process, seen from the watch process. */
struct watchsrc;

/*
 * Fork the sampler of @uri (kept, not copied) with @ops, sampling every
 * @interval_ns. Call before starting any thread. Returns 0 and *@out, or
 * -errno (logged).
 */
int watchsrc_start(const struct virt_ops *ops, const char *uri, int64_t interval_ns,
		   struct watchsrc **out);

/*
 * Take what the sampler sent since the last call, without blocking. When a
 * new sample arrived, the sample in @cur moves to @prev and the new one
 * fills @cur; the state fields of @cur (up, lost, the error, the next
 * attempt) are always the newest. A sampler that ended turns @cur into
 * WATCH_HOST_DEAD, saying how it ended. Returns 1 when a new sample
 * arrived, 0 when not, or -ENOMEM (logged). An up host whose sampler sent
 * nothing for watchsrc_stale_ns() becomes WATCH_HOST_LOST (attempt 0: no
 * retry is scheduled, the hanging call still waits) until a frame comes.
 */
int watchsrc_update(struct watchsrc *s, struct watch_host *prev, struct watch_host *cur);

/* Stop the sampler (SIGTERM, then SIGKILL after 1 s), reap it, free @s (NULL is fine). */
void watchsrc_stop(struct watchsrc *s);

#endif
