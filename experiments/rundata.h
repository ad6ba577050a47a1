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
};

/* One repetition of one policy. */
struct run_rep {
	int measured;                  /* threads ran (data below is valid) */
	int completed;                 /* ran the whole duration (not interrupted) */
	pid_t tids[SPEC_MAX_VCPUS];    /* vCPU thread ids */
	struct stampbuf stamps[SPEC_MAX_VCPUS];
	struct run_samples samples;
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
	const char *quota_mechanism;   /* NULL without a quota */
	int nreps;                     /* repetitions measured */
	pid_t tids[RUN_MAX_REPEAT][SPEC_MAX_VCPUS];
	uint64_t dropped[RUN_MAX_REPEAT];  /* stamps that did not fit, all vCPUs */
	int completed[RUN_MAX_REPEAT];
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
 * stamped @t_ns. The timing-critical part: no allocation, no printing
 * beyond the readers' own error messages. Returns 0, or -ENOSPC when full.
 */
int rundata_sample(struct run_sampler *sm, struct run_samples *s, int64_t seq, int64_t t_ns);

#endif
