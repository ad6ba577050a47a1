/*
 * hog: see hog.h. Two clock reads per window (its start and end, for
 * spun_ns); the spin itself only looks at two flags.
 */
#include "kvm-mini/hog.h"

#include "common/affinity.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "guest-tools/workunit.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define HOG_CHUNK 2000

static void *hog_main(void *arg)
{
	struct kmini_hog_thread *h = arg;
	sigset_t block;
	uint64_t x = 1;
	int64_t now, began;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	h->err = affinity_pin_self(h->cpu);
	if (h->err)
		return NULL;
	while (!__atomic_load_n(h->stop, __ATOMIC_ACQUIRE) && mono_ns() < h->start_ns)
		(void)sleep_until_ns(h->start_ns);
	began = mono_ns();
	while (!__atomic_load_n(h->stop, __ATOMIC_ACQUIRE) && !h->ended)
		x = workunit_spin(HOG_CHUNK, x);
	now = mono_ns();
	h->spun_ns = now - began;
	__asm__ volatile("" : : "r"(x));
	return NULL;
}

int kmini_hog_start(struct kmini_hog_thread *h)
{
	int e = pthread_create(&h->thread, NULL, hog_main, h);

	if (e)
		return log_err(-e, "hog on CPU %d: pthread_create: %s", h->cpu, strerror(e));
	h->started = 1;
	return 0;
}

void kmini_hog_end(struct kmini_hog_thread *h)
{
	h->ended = 1;
}

void kmini_hog_join(struct kmini_hog_thread *h)
{
	if (!h->started)
		return;
	pthread_join(h->thread, NULL);
	h->started = 0;
}
