/*
 * rundata: what one repetition of a run measured, and the sampler that
 * fills it. The runner's main thread calls rundata_sample() at absolute
 * deadlines; it reads each vCPU thread's schedstat and /proc/stat into
 * arrays allocated beforehand, and never prints (a failed read is marked
 * and counted, and reported after the run), allocates or derives anything.
 * The renderers (runfiles) and the summary (runsum) read these arrays; they
 * never open /proc.
 */
#ifndef STEALSCOPE_RUNDATA_H
#define STEALSCOPE_RUNDATA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/procstat.h"
#include "common/schedstat.h"
#include "experiments/backend-native.h"
#include "experiments/cgquota.h"
#include "experiments/spec.h"
#include "guest-tools/calibrate.h"

#define RUN_MAX_REPEAT 100             /* the spec's limit on `repeat` */
#define RUN_GUEST_NOTES 8
#define RUN_GUEST_NOTE_MAX 192

/* Periodic samples of one repetition; entry [k * nvcpus + v] / [k * ncpus + c]. */
struct run_samples {
	size_t cap;                    /* samples allocated */
	size_t n;                      /* samples taken */
	int nvcpus;
	int ncpus;                     /* host CPUs involved (cpus[]) */
	int *cpus;                     /* ascending CPU numbers */
	int64_t *seq;                  /* deadline index of sample k */
	int64_t *t_ns;                 /* from t0 */
	struct schedstat *sched;       /* per vCPU thread */
	unsigned char *sched_ok;       /* 0: that read failed */
	struct procstat_cpu *cpu;      /* per involved CPU */
	unsigned char *cpu_ok;         /* 0: CPU absent (offline) or the read failed */
	int64_t read_errors;           /* failed reads, for the report after the run */
	/*
	 * The guest's own /proc/stat per vCPU (a real guest: libvirt), on the
	 * guest sampler's grid, entry [g * nvcpus + v]; gn is 0 without a guest
	 * (native). Guest CPU v is vCPU v.
	 */
	size_t gn;                     /* guest samples */
	int64_t *g_seq;                /* the guest sampler's deadline index */
	int64_t *g_t_ns;               /* from t0, as the guest measured it */
	struct procstat_cpu *g_cpu;
	unsigned char *g_ok;           /* 0: that guest CPU is missing from the sample */
	int guest_steal_ticks;         /* 1: the guest's steal ticks are real; 0: it has no
					  steal clock (TCG), so they are unavailable, not 0 */
	/*
	 * The guest's exact steal clock per vCPU (kvm-mini: KVM's paravirtual
	 * steal time), cumulative ns on the host's grid, entry [k * nvcpus + v];
	 * NULL where the backend has none (native; a Linux guest shows steal
	 * only as ticks). See rundata_steal_alloc().
	 */
	uint64_t *g_steal_ns;
	unsigned char *g_steal_ok;     /* 0: the guest's steal clock was unreadable */
};

/* A guest vCPU's ticks as vcpu.csv's tick_* columns (USER_HZ). */
struct run_guest_ticks {
	uint64_t user;                 /* user + nice */
	uint64_t system;               /* system + irq + softirq */
	uint64_t idle;                 /* idle + iowait */
	uint64_t steal;
};

/* What a repetition on a real guest (libvirt backend) learnt about it. */
struct run_guest {
	char domain[128];              /* the transient domain's name */
	char boot_id[24];              /* stealscope.id */
	int64_t boot_ns;               /* domain created -> `go` read; -1: no `go` */
	int64_t poll_ns;               /* the serial log was read this often while waiting */
	int64_t t0_guest_ns;           /* from `go` */
	int64_t margin_ns;
	char tools_version[64];        /* from `hello`; "" if none */
	char kernel_release[128];
	int exit_status;               /* from `exit`; -1: none arrived */
	char guest_error[256];         /* its `error` line, "" if none */
	int64_t serial_bytes;          /* size of the serial log */
	int64_t foreign_lines;         /* console lines that were not the protocol's */
	int64_t shutdown_ns;           /* end of the run -> domain gone; -1: destroyed */
	int nnotes;                    /* the guest tools' own diagnostics ("guest: " lines) */
	char notes[RUN_GUEST_NOTES][RUN_GUEST_NOTE_MAX];
};

/* One repetition of one policy. */
struct run_rep {
	int measured;                  /* threads ran (data below is valid) */
	int completed;                 /* ran the whole duration (not interrupted) */
	pid_t tids[SPEC_MAX_VCPUS];    /* vCPU thread ids */
	struct stampbuf stamps[SPEC_MAX_VCPUS];
	struct run_samples samples;
	struct run_guest guest;        /* libvirt backend only */
};

enum run_status { RUN_PENDING, RUN_OK, RUN_SKIPPED, RUN_INTERRUPTED, RUN_FAILED };

/* One policy of a run as it was run (for meta.json and the summary). */
struct run_policy {
	char name[SPEC_NAME_MAX];      /* "default" for a spec without policies */
	char description[SPEC_DESC_MAX];
	struct spec spec;              /* with --backend, --repeat and --quick applied */
	unsigned requires;             /* SPEC_REQ_* the policy needs */
	enum run_status status;
	char reason[CGQUOTA_REASON_LEN]; /* why it was skipped or failed */
	int calibrated;
	struct calib calib;            /* on the CPU of vCPU 0 */
	const char *calib_by;          /* who calibrated, when not this process ("the
					  kvm-mini guest"): only loops_per_unit and
					  ns_per_loop are then known */
	const char *quota_mechanism;   /* NULL without a quota */
	int nreps;                     /* repetitions measured */
	pid_t tids[RUN_MAX_REPEAT][SPEC_MAX_VCPUS];
	uint64_t dropped[RUN_MAX_REPEAT];  /* stamps that did not fit, all vCPUs */
	int completed[RUN_MAX_REPEAT];
	struct run_guest *guest;       /* per repetition on a real guest; NULL on native */
};

/* "pending", "ok", "skipped", "interrupted", "failed". */
const char *rundata_status_name(enum run_status st);

/*
 * The host CPUs a run of @s involves, ascending, into @out (room for
 * CPU_SETSIZE): every vCPU's pin and every contention CPU, or every online
 * CPU when a vCPU is unpinned. Returns how many, or -errno (logged) when
 * the online list cannot be read.
 */
int rundata_cpus_involved(const struct spec *s, int *out);

/*
 * Allocate and touch room for @cap samples of @nvcpus vCPUs and the @ncpus
 * CPUs @cpus (copied). 0 or -ENOMEM (logged); @s is then empty.
 */
int rundata_alloc(struct run_samples *s, size_t cap, int nvcpus, const int *cpus, int ncpus);
void rundata_free(struct run_samples *s);

/* Free everything @rep holds; it becomes empty. */
void rundata_rep_free(struct run_rep *rep);

/*
 * Allocate room for @n guest samples of s->nvcpus vCPUs (gn set to @n,
 * every entry zero, g_ok 0). 0 or -ENOMEM (logged).
 */
int rundata_guest_alloc(struct run_samples *s, size_t n);

/*
 * Allocate g_steal_ns/g_steal_ok for s->cap samples of s->nvcpus vCPUs
 * (every entry 0, missing). 0 or -ENOMEM (logged).
 */
int rundata_steal_alloc(struct run_samples *s);

/* Guest sample @g of vCPU @v as tick columns; 0, or -ENOENT when it is missing. */
int rundata_guest_ticks(const struct run_samples *s, size_t g, int v,
			struct run_guest_ticks *out);

/* Open files: the vCPU threads' schedstat and /proc/stat. */
struct run_sampler {
	struct procstat_file stat;     /* /proc/stat */
	int nvcpus;
	int sched_fd[SPEC_MAX_VCPUS];
	struct procstat_sample *scratch;
};

/* Open for @nvcpus threads @tids of this process. 0 or -errno (logged). */
int rundata_sampler_open(struct run_sampler *sm, const pid_t *tids, int nvcpus);
void rundata_sampler_close(struct run_sampler *sm);

/*
 * Take sample number s->n (when there is room) at deadline index @seq,
 * stamped @t_ns: the vCPU threads' schedstat and /proc/stat. The
 * timing-critical part: no allocation, no printing beyond the readers' own
 * error messages. Returns 0, or -ENOSPC when full.
 */
int rundata_sample(struct run_sampler *sm, struct run_samples *s, int64_t seq, int64_t t_ns);

/*
 * The same in three steps, for a backend whose vCPU counters come from
 * elsewhere (libvirt): begin sample s->n (returns its index, or -ENOSPC when
 * full), store each vCPU's counters, then read /proc/stat into it and count
 * it taken (a sampler opened for 0 threads reads only /proc/stat).
 */
int rundata_sample_begin(struct run_samples *s, int64_t seq, int64_t t_ns);
void rundata_sample_vcpu(struct run_samples *s, size_t k, int v, uint64_t run_ns,
			 uint64_t delay_ns, int ok);
void rundata_sample_end(struct run_sampler *sm, struct run_samples *s, size_t k);

#endif
