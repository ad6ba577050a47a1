/*
 * hog: see hog.h. At full duty two clock reads per window (its start and
 * end, for spun_ns); the spin itself only looks at two flags.
 */
#include "kvm-mini/hog.h"

#include "common/affinity.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "guest-tools/workunit.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define HOG_CHUNK 2000

static int hog_done(const struct kmini_hog_thread *h)
{
	return *h->stop || h->ended;
}

/*
 * Busy for duty_pct of each period on a fixed grid from the window's start
 * (as inf-loop and the runner's native hogs do it), asleep to the next
 * period's start otherwise; a period it fell behind on is skipped. The
 * window's end comes from the owner (h->ended), as at full duty.
 */
static uint64_t spin_duty(struct kmini_hog_thread *h, int64_t began, uint64_t x)
{
	int64_t period = h->period_ns > 0 ? h->period_ns : 100 * NS_PER_MS;
	int64_t busy = (int64_t)((double)period * h->duty_pct / 100.0 + 0.5);
	int64_t k = 0, pstart, now = began;
	int i;

	while (!hog_done(h)) {
		pstart = began + k * period;
		while (!hog_done(h) && now < pstart + busy) {
			for (i = 0; i < KMINI_HOG_DUTY_CHUNKS && !hog_done(h); i++)
				x = workunit_spin(HOG_CHUNK, x);
			now = mono_ns();
		}
		k = (now - began) / period + 1;
		if (!hog_done(h))
			(void)sleep_until_ns(began + k * period);
		now = mono_ns();
	}
	return x;
}

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
	/* nice is per thread on Linux: PRIO_PROCESS with a tid sets this one only */
	if (h->nice && setpriority(PRIO_PROCESS, (id_t)gettid(), h->nice)) {
		h->err = -errno;       /* logged by the owner: threads never log at once */
		h->nice_failed = 1;
		return NULL;
	}
	while (!*h->stop && mono_ns() < h->start_ns)
		(void)sleep_until_ns(h->start_ns);
	began = mono_ns();
	if (h->duty_pct > 0 && h->duty_pct < 100.0)
		x = spin_duty(h, began, x);
	else
		while (!hog_done(h))
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
