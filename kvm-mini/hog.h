/*
 * hog: kvm-mini's built-in host contender (--hog CPU[:START[:DURATION]]):
 * a thread pinned to a CPU that sleeps (clock_nanosleep TIMER_ABSTIME, never
 * a polling usleep: KVM-NOTES.md) until its window opens and spins until the
 * owner ends it (kmini_hog_end() at end_ns) or tells it to stop. It does not
 * read the clock while it spins: where the clock is not a vDSO read (nested
 * under QEMU TCG the clocksource is the HPET, an emulated MMIO access under
 * QEMU's global lock) a spinning clock reader cost the vCPU on the other CPU
 * up to ~90 ms of run delay. It never allocates or prints once started.
 */
#ifndef STEALSCOPE_KVM_MINI_HOG_H
#define STEALSCOPE_KVM_MINI_HOG_H

#include <pthread.h>
#include <stdint.h>

struct kmini_hog_thread {
	int cpu;
	int64_t start_ns;              /* CLOCK_MONOTONIC, absolute */
	int64_t end_ns;                /* absolute; INT64_MAX: until stopped */
	volatile int *stop;
	volatile int ended;            /* set by kmini_hog_end() */
	pthread_t thread;
	int started;
	int err;                       /* pinning failed (-errno), set by the thread */
	int64_t spun_ns;               /* wall time it actually spun */
};

/* Start @h's thread. Returns 0 or -errno (logged). */
int kmini_hog_start(struct kmini_hog_thread *h);

/* End @h's window now (the owner calls it at end_ns). */
void kmini_hog_end(struct kmini_hog_thread *h);

/* Join @h (after *stop was set or its window ended). */
void kmini_hog_join(struct kmini_hog_thread *h);

#endif
