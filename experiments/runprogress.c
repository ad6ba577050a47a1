/*
 * runprogress: see runprogress.h. The thread wakes at absolute deadlines
 * five times a second and prints one line with a carriage return; it
 * touches nothing the measurement shares but the terminal.
 */
#include "experiments/runprogress.h"

#include "common/timeutil.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PROGRESS_PERIOD_NS (200 * NS_PER_MS)
#define PROGRESS_BAR 20

static void progress_print(const struct runprogress *pg, int64_t el)
{
	char bar[PROGRESS_BAR + 1];
	int i, fill;

	if (el < 0)
		el = 0;
	if (el > pg->duration_ns)
		el = pg->duration_ns;
	fill = (int)(el * PROGRESS_BAR / (pg->duration_ns > 0 ? pg->duration_ns : 1));
	for (i = 0; i < PROGRESS_BAR; i++)
		bar[i] = i < fill ? '#' : ' ';
	bar[PROGRESS_BAR] = '\0';
	fprintf(stderr, "\rpolicy %s rep %d/%d [%s] %.1fs/%.1fs", pg->policy, pg->rep,
		pg->nreps, bar, (double)el / NS_PER_SEC, (double)pg->duration_ns / NS_PER_SEC);
	fflush(stderr);
}

static void *progress_main(void *arg)
{
	struct runprogress *pg = arg;
	int64_t next = pg->t0_ns;
	struct timespec ts;

	pthread_mutex_lock(&pg->mu);
	while (!pg->stop) {
		progress_print(pg, mono_ns() - pg->t0_ns);
		next += PROGRESS_PERIOD_NS;
		ts.tv_sec = next / NS_PER_SEC;
		ts.tv_nsec = next % NS_PER_SEC;
		while (!pg->stop && mono_ns() < next)
			pthread_cond_timedwait(&pg->cv, &pg->mu, &ts);
	}
	pthread_mutex_unlock(&pg->mu);
	progress_print(pg, mono_ns() - pg->t0_ns);
	fputc('\n', stderr);
	return NULL;
}

void runprogress_start(struct runprogress *pg, int wanted, const char *policy, int rep,
			   int nreps, int64_t t0_ns, int64_t duration_ns)
{
	pthread_condattr_t ca;
	sigset_t block, old;

	memset(pg, 0, sizeof(*pg));
	if (!wanted)
		return;
	pg->policy = policy;
	pg->rep = rep;
	pg->nreps = nreps;
	pg->t0_ns = t0_ns;
	pg->duration_ns = duration_ns;
	pthread_mutex_init(&pg->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pg->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* SIGINT/SIGTERM stay with the main thread */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pg->on = pthread_create(&pg->th, NULL, progress_main, pg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!pg->on) {
		pthread_cond_destroy(&pg->cv);
		pthread_mutex_destroy(&pg->mu);
	}
}

void runprogress_stop(struct runprogress *pg)
{
	if (!pg->on)
		return;
	pthread_mutex_lock(&pg->mu);
	pg->stop = 1;
	pthread_cond_broadcast(&pg->cv);
	pthread_mutex_unlock(&pg->mu);
	pthread_join(pg->th, NULL);
	pthread_cond_destroy(&pg->cv);
	pthread_mutex_destroy(&pg->mu);
	pg->on = 0;
}

