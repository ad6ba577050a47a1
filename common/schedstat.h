/*
 * schedstat: reader for /proc/<pid>/task/<tid>/schedstat, the scheduler's
 * per-thread run time, run delay (time runnable but waiting for a CPU) and
 * timeslice count, and the derivation of per-interval percentages.
 *
 * Run delay of a vCPU thread is exactly what KVM reports to the guest as
 * steal (added to kvm_steal_time.steal on each vCPU re-entry): this is the
 * host-side ground truth.
 */
#ifndef STEALSCOPE_SCHEDSTAT_H
#define STEALSCOPE_SCHEDSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct schedstat {
	uint64_t run_ns;
	uint64_t delay_ns;
	uint64_t slices;
};

/* Parse "run delay slices\n". Returns 0 or -EINVAL (logged). */
int schedstat_parse(const char *buf, size_t len, struct schedstat *out);

/*
 * Path of a thread's schedstat under @root ("" or NULL for the real /proc):
 * <root>/proc/<pid>/task/<tid>/schedstat.
 */
int schedstat_path(const char *root, pid_t pid, pid_t tid, char *buf, size_t len);

/* Open a schedstat file for repeated reads. Returns fd or -errno (logged). */
int schedstat_open(const char *root, pid_t pid, pid_t tid);

/* pread from offset 0 and parse. */
int schedstat_read_fd(int fd, struct schedstat *out);

/* Open, read, close. */
int schedstat_read(const char *root, pid_t pid, pid_t tid, struct schedstat *out);

struct schedpct {
	uint64_t run_ns;               /* deltas, clamped at 0 */
	uint64_t delay_ns;
	double run_pct;                /* of wall time @wall_ns */
	double delay_pct;
};

/* Interval figures between two samples @wall_ns apart (0 wall: pct 0). */
void schedstat_derive(const struct schedstat *prev, const struct schedstat *cur,
		      int64_t wall_ns, struct schedpct *out);

#endif
