/*
 * decode: the host's reading of guest-written shared memory, as pure
 * functions over a view of it (a fuzzer and the unit tests feed them
 * arbitrary bytes). The guest is never trusted: every index is checked
 * against the ring's size before use, every loop is bounded, nothing
 * outside the view is ever read or written. Also the guest-TSC to host-ns
 * conversion. Nothing here logs, allocates or makes a system call.
 */
#ifndef STEALSCOPE_KVM_MINI_DECODE_H
#define STEALSCOPE_KVM_MINI_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "kvm-mini/abi.h"
#include "kvm-mini/tickacct.h"   /* kmini_steal_read() */

/* The host's side of one vCPU's ring: its own copy of the tail, and counts. */
struct kmini_ring_state {
	uint64_t tail;                 /* next record to read (authoritative) */
	uint64_t taken;                /* records delivered */
	uint64_t overwritten;          /* slots found overwritten by a later lap */
	uint64_t rejected;             /* published records with a task or unit out of range */
	uint64_t bad_head;             /* drains that found an impossible head */
	uint64_t last_bad_head;        /* the head value of the last of those */
};

/* What a record must look like to be delivered. */
struct kmini_ring_limits {
	uint32_t ntasks;               /* task < ntasks */
	uint32_t nvcpus;               /* task % nvcpus == the ring's vCPU */
	uint32_t vcpu;
	uint64_t units;                /* unit < units, 0: any */
};

/* Called for each valid record, in ring order. */
typedef void (*kmini_record_fn)(void *arg, const struct kmini_record *r);

/* kmini_ring_drain() results */
#define KMINI_RING_OK 0
#define KMINI_RING_BAD_HEAD 1          /* head behind the tail or more than a ring ahead */

/*
 * Take the published records of a ring: @hdr its header, @recs its
 * KMINI_RING_SLOTS records (both guest memory). Reads at most
 * KMINI_RING_SLOTS records, stops at the first one not yet published
 * (seq != index + 1), counts a slot a later lap has overwritten
 * (seq > index + 1) and skips it, validates each record against @lim,
 * then writes the new tail into hdr->tail for the guest's fullness check.
 * Returns KMINI_RING_OK, or KMINI_RING_BAD_HEAD: the head is behind the
 * tail or more than a ring ahead of it (a guest that scribbled on its ring);
 * then nothing is read and st->bad_head / last_bad_head say so.
 */
int kmini_ring_drain(volatile struct kmini_ring_hdr *hdr, const volatile struct kmini_record *recs,
		     const struct kmini_ring_limits *lim, struct kmini_ring_state *st,
		     kmini_record_fn fn, void *arg);

/*
 * Whether a vCPU stopped taking timer ticks while it kept running: a kernel
 * that spins with interrupts off. While interrupts are on a tick comes
 * every slice, even to an idle vCPU (it halts until the tick), so tick
 * totals that stand still while the vCPU thread runs on are a hung kernel.
 * Feed the samples of one vCPU in order: @t_ns, the guest's tick total
 * (user + system + idle + steal) and its thread's host run time. Returns 1
 * once the thread has run more than @limit_ns since the total last changed
 * (w->since_ns: the sample where it last did), else 0. Zero-initialise @w.
 */
struct kmini_tick_watch {
	uint64_t ticks;                /* the total at the last change */
	uint64_t run_ns;               /* the thread's run time then */
	int64_t since_ns;              /* t_ns then */
	int have;
};
int kmini_tick_watch(struct kmini_tick_watch *w, int64_t t_ns, uint64_t ticks, uint64_t run_ns,
		     uint64_t limit_ns);

/* A copy of a tick table (each field one aligned 64-bit load). */
void kmini_ticks_read(const volatile struct kmini_ticks *src, struct kmini_ticks *out);

/*
 * Guest TSC to host CLOCK_MONOTONIC ns: the guest TSC @ref_tsc was seen at
 * host time @ref_ns, and the TSC runs at @khz kHz (KVM_GET_TSC_KHZ). Exact
 * integer arithmetic (128-bit), a TSC before the reference gives an
 * earlier time; @khz 0 gives @ref_ns. A TSC a guest made up can be any
 * 64-bit value: results are clamped to +-KMINI_TSC_NS_LIMIT (73 years), so
 * that the difference of any two results, or of one and a real timestamp,
 * cannot overflow.
 */
#define KMINI_TSC_NS_LIMIT ((int64_t)1 << 61)
struct kmini_tsc_conv {
	uint64_t ref_tsc;
	int64_t ref_ns;
	uint64_t khz;
};
int64_t kmini_tsc_to_ns(const struct kmini_tsc_conv *c, uint64_t tsc);

#endif
