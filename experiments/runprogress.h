/*
 * runprogress: the progress line of `stealscope run` on a terminal,
 * "policy shared rep 1/3 [#####               ] 1.2s/3.0s", redrawn by a
 * thread of its own so that the sampling loop never prints. The thread
 * blocks SIGINT/SIGTERM (they stay with the main thread), and ends the line
 * when stopped. Nothing here measures, allocates after start or exits.
 */
#ifndef STEALSCOPE_RUNPROGRESS_H
#define STEALSCOPE_RUNPROGRESS_H

#include <pthread.h>
#include <stdint.h>

struct runprogress {
	pthread_t th;
	int on;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	const char *policy;
	int rep, nreps;
	int64_t t0_ns, duration_ns;
};

/*
 * Start drawing for repetition @rep of @nreps of policy @policy (kept by
 * pointer) of @duration_ns from @t0_ns (CLOCK_MONOTONIC). Does nothing
 * unless @wanted (cli_progress_wanted()), or when the thread cannot start.
 */
void runprogress_start(struct runprogress *pg, int wanted, const char *policy, int rep,
		       int nreps, int64_t t0_ns, int64_t duration_ns);

/* Stop and join the thread, ending the line. Safe when not started. */
void runprogress_stop(struct runprogress *pg);

#endif
