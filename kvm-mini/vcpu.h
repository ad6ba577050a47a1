/*
 * vcpu: one kvm-mini vCPU: its KVM fd and kvm_run page, the register state
 * of the guest's first instruction (64-bit long mode, ring 0, set by the
 * VMM: see KVM-NOTES.md "Long mode set up by the VMM"), and the host thread
 * that runs it, pinned as asked, until told to stop or until the guest
 * reports an exception or a panic. It never reads guest memory beyond the
 * exception record's fixed fields, never prints, never exits.
 */
#ifndef STEALSCOPE_KVM_MINI_VCPU_H
#define STEALSCOPE_KVM_MINI_VCPU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/schedstat.h"
#include "kvm-mini/decode.h"

struct kvm_cpuid2;
struct kvm_run;

enum kmini_vcpu_outcome {
	KMINI_VCPU_RUNNING = 0,
	KMINI_VCPU_STOPPED,            /* the host stopped it */
	KMINI_VCPU_EXCEPTION,          /* the guest reported an exception */
	KMINI_VCPU_PANIC,              /* the guest refused to run (enum kmini_panic) */
	KMINI_VCPU_FAILED,             /* an unexpected exit or a failed KVM_RUN */
};

/* What the vCPU threads of a VM share with the main thread. */
struct kmini_vcpu_sync {
	pthread_barrier_t ready;       /* every thread has done its setup */
	pthread_barrier_t go;          /* the main thread lets them run (or gave up) */
	volatile int stop;             /* set by the main thread */
	volatile int guest_failed;     /* set by a vCPU thread: its outcome says why */
};

struct kmini_vcpu {
	int index;
	int fd;
	int pin;                       /* host CPU, -1 unpinned */
	struct kvm_run *run;
	size_t run_size;
	struct kmini_vcpu_sync *sync;
	pthread_t thread;
	int thread_started;
	/* set by the thread before the ready barrier */
	pid_t tid;
	int schedstat_fd;
	struct schedstat base;         /* schedstat before its first KVM_RUN */
	int setup_err;
	/* set by the thread when it stops */
	enum kmini_vcpu_outcome outcome;
	uint32_t io_value;             /* vector or panic code */
	char why[256];
	uint64_t exits;
	struct kmini_tsc_conv conv;    /* guest TSC of this vCPU -> host ns */
};

/*
 * Create vCPU @index of @vm_fd: KVM_CREATE_VCPU, map its kvm_run
 * (@run_size from KVM_GET_VCPU_MMAP_SIZE), KVM_SET_CPUID2 from @supported
 * with this vCPU's APIC ID, and the registers of the first instruction:
 * RIP the guest entry, RSP the top of its per-CPU block, RDI @index.
 * Returns 0 or -errno (logged with the ioctl's name); @v->fd is -1 after
 * a failure.
 */
int kmini_vcpu_create(int vm_fd, int index, const struct kvm_cpuid2 *supported, size_t run_size,
		      uint64_t entry, struct kmini_vcpu *v);

/*
 * The guest TSC now on @v (KVM_GET_MSRS of IA32_TSC) and the host
 * CLOCK_MONOTONIC ns at the middle of that call, into @v->conv (with @khz).
 * Returns 0 or -errno (logged).
 */
int kmini_vcpu_tsc_ref(struct kmini_vcpu *v, uint64_t khz);

/* KVM_GET_TSC_KHZ of @v: kHz, or -errno (logged). */
long kmini_vcpu_tsc_khz(const struct kmini_vcpu *v);

/* Start the thread of @v (it pins itself, then waits at sync->ready and sync->go). */
int kmini_vcpu_start(struct kmini_vcpu *v);

/* Make the thread leave KVM_RUN and stop (sync->stop must be set first). */
void kmini_vcpu_kick(struct kmini_vcpu *v);

/* Join the thread (if started). */
void kmini_vcpu_join(struct kmini_vcpu *v);

/* Unmap and close. */
void kmini_vcpu_destroy(struct kmini_vcpu *v);

/* Install the no-op SIGUSR1 handler that kicks vCPU threads out of KVM_RUN. */
int kmini_vcpu_signals_init(void);

#endif
