/*
 * sampler: what the host takes from a running guest every interval, per
 * vCPU: its thread's schedstat (host run and delay), the guest's steal
 * clock and tick counters, and the progress records of its ring (drained
 * without any exit). Everything lands in buffers allocated before the run;
 * a full buffer counts what it could not keep. Guest memory is read only
 * through kvm-mini/decode.h. Nothing here allocates, prints or logs while
 * the run is on (kmini_sampler_init() allocates, before it).
 */
#ifndef STEALSCOPE_KVM_MINI_SAMPLER_H
#define STEALSCOPE_KVM_MINI_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "common/schedstat.h"
#include "kvm-mini/decode.h"
#include "kvm-mini/vmm.h"

/* A stamp as drained: guest TSC, converted to host time after the run. */
struct kmini_raw_stamp {
	uint64_t tsc;
	uint32_t task;
	uint32_t unit;
	uint32_t vcpu;
	uint32_t pad;
};

struct kmini_stampbuf {
	struct kmini_raw_stamp *v;
	size_t n, cap;
	uint64_t dropped;              /* stamps that found the buffer full */
	uint32_t vcpu;                 /* the vCPU being drained */
};

struct kmini_sampler_vcpu {
	int schedstat_fd;              /* the vCPU thread's, not owned */
	struct schedstat base;         /* at t0 (kmini_sampler_rebase()) */
	struct kmini_ticks tick_base;  /* the guest's tick counters at t0 */
	volatile struct kmini_vcpu_area *area;
	const volatile struct kmini_record *recs;
	struct kmini_ring_state ring;
	struct kmini_ring_limits lim;
	uint64_t steal_base_ns;        /* the guest's steal clock at enable */
	uint64_t boot_tsc;             /* its first instruction, copied once it started */
	int have_base;
	struct kmini_sample *samples;
	size_t n, cap;
};

/* Room for @cap samples. Returns 0 or -ENOMEM (logged). */
int kmini_sampler_vcpu_init(struct kmini_sampler_vcpu *s, size_t cap);
void kmini_sampler_vcpu_free(struct kmini_sampler_vcpu *s);

/* Room for @cap stamps. Returns 0 or -ENOMEM (logged). */
int kmini_stampbuf_init(struct kmini_stampbuf *b, size_t cap);
void kmini_stampbuf_free(struct kmini_stampbuf *b);

/*
 * At t0: the vCPU thread's schedstat and the guest's tick counters now are
 * the zero of every later sample (the guest booted and calibrated before
 * t0, none of that belongs to the run). Returns 0 or -errno (logged).
 */
int kmini_sampler_rebase(struct kmini_sampler_vcpu *s);

/*
 * Take one sample of @s at @t_ns (from t0) and drain its ring into @b.
 * Returns KMINI_RING_OK or KMINI_RING_BAD_HEAD (the sample is still taken);
 * a schedstat read error is returned as -errno (logged).
 */
int kmini_sampler_take(struct kmini_sampler_vcpu *s, int64_t t_ns, struct kmini_stampbuf *b);

/* Only drain the ring of @s into @b (after the vCPU thread ended). Returns as above. */
int kmini_sampler_drain(struct kmini_sampler_vcpu *s, struct kmini_stampbuf *b);

/* /proc/stat kept open for kmini_cpustat_read(), with a sample to parse into. */
struct kmini_statfile {
	struct procstat_file file;
	struct procstat_sample *scratch;
};

/*
 * Room for @cap samples of the CPUs in @set in @cs (ncpus 0 and nothing
 * opened for an empty set), and /proc/stat opened in @f and read once (so
 * later reads allocate nothing). Returns 0 or -errno (logged); on error
 * everything is released.
 */
int kmini_cpustat_init(struct kmini_cpu_samples *cs, struct kmini_statfile *f,
		       const cpu_set_t *set, size_t cap);

/*
 * Read /proc/stat into @cs: into at_t0 when @at_t0, else as sample cs->n
 * stamped @t_ns (nothing when full). A failed read marks the CPUs missing
 * and counts it; it is never fatal. Nothing when cs->ncpus is 0.
 */
void kmini_cpustat_read(struct kmini_cpu_samples *cs, struct kmini_statfile *f, int64_t t_ns,
			int at_t0);

void kmini_statfile_close(struct kmini_statfile *f);
void kmini_cpustat_free(struct kmini_cpu_samples *cs);

/*
 * How many stamps a run of @cfg may produce: all units with finite units,
 * else per vCPU the run's duration in units plus half and 1024 (units may
 * come out faster than calibrated), at most 1 << 24.
 */
size_t kmini_stamp_capacity(const struct kmini_config *cfg);

#endif
