/*
 * hog: kvm-mini's built-in host contender (--hog CPU[:START[:DURATION]]
 * [,nice=N][,duty=PCT][,period=DUR]): a thread pinned to a CPU, at a nice
 * value, that sleeps (clock_nanosleep TIMER_ABSTIME, never a polling usleep:
 * KVM-NOTES.md) until its window opens and spins until the owner ends it
 * (kmini_hog_end() at end_ns) or tells it to stop. At full duty it does not
 * read the clock while it spins: where the clock is not a vDSO read (nested
 * under QEMU TCG the clocksource is the HPET, an emulated MMIO access under
 * QEMU's global lock) a spinning clock reader cost the vCPU on the other CPU
 * up to ~90 ms of run delay. With a duty cycle it must know when its busy
 * share of a period is over, so it reads the clock only every
 * KMINI_HOG_DUTY_CHUNKS spin chunks (~0.1-0.3 ms apart), and sleeps to the
 * next period's absolute start. It never allocates or prints once started.
 */
#ifndef STEALSCOPE_KVM_MINI_HOG_H
#define STEALSCOPE_KVM_MINI_HOG_H

#include <pthread.h>
#include <stdint.h>

#define KMINI_HOG_DUTY_CHUNKS 64       /* spin chunks between clock reads, duty < 100% */

struct kmini_hog_thread {
	int cpu;
	int64_t start_ns;              /* CLOCK_MONOTONIC, absolute */
	int64_t end_ns;                /* absolute; INT64_MAX: until stopped */
	int nice;                      /* set on the thread after pinning */
	double duty_pct;               /* (0, 100]; 100: busy the whole window */
	int64_t period_ns;             /* of the duty cycle; unused at 100% */
	volatile int *stop;
	volatile int ended;            /* set by kmini_hog_end() */
	pthread_t thread;
	int started;
	int err;                       /* pinning or nice failed (-errno, logged), set by the
					  thread before its window */
	int nice_failed;               /* @err is setpriority's (not logged yet) */
	int64_t spun_ns;               /* wall time it actually spun */
};

/* Start @h's thread. Returns 0 or -errno (logged). */
int kmini_hog_start(struct kmini_hog_thread *h);

/* End @h's window now (the owner calls it at end_ns). */
void kmini_hog_end(struct kmini_hog_thread *h);

/* Join @h (after *stop was set or its window ended). */
void kmini_hog_join(struct kmini_hog_thread *h);

#endif
