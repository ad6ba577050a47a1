/*
 * schedstat: reader for /proc/<pid>/task/<tid>/schedstat, the scheduler's
 * per-thread run time, run delay (time runnable but waiting for a CPU) and
 * timeslice count, and the derivation of per-interval percentages.
 *
 * Run delay of a vCPU thread is exactly what KVM reports to the guest as
 * steal (added to kvm_steal_time.steal on each vCPU re-entry): this is the
 * host-side ground truth. The reader never computes percentages and the
 * derivation never touches a file.
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

/*
 * Parse "run delay slices\n": exactly three unsigned decimals (blank
 * separated, one trailing newline allowed). Returns 0 or -EINVAL (logged).
 */
int schedstat_parse(const char *buf, size_t len, struct schedstat *out);

/*
 * Path of a thread's schedstat under @root ("" or NULL for the real /proc):
 * <root>/proc/<pid>/task/<tid>/schedstat. Returns 0, -EINVAL for pid or tid
 * not positive, -ENAMETOOLONG when it does not fit in @len (both logged).
 */
int schedstat_path(const char *root, pid_t pid, pid_t tid, char *buf, size_t len);

/* Open a schedstat file for repeated reads. Returns fd or -errno (logged). */
int schedstat_open(const char *root, pid_t pid, pid_t tid);

/* pread from offset 0 and parse. Returns 0 or -errno/-EINVAL (logged). */
int schedstat_read_fd(int fd, struct schedstat *out);

/* Open, read, close. */
int schedstat_read(const char *root, pid_t pid, pid_t tid, struct schedstat *out);

struct schedpct {
	uint64_t run_ns;               /* deltas, clamped at 0 */
	uint64_t delay_ns;
	double run_pct;                /* of wall time @wall_ns */
	double delay_pct;
};

/*
 * Interval figures between two samples @wall_ns apart (wall <= 0: pct 0).
 * Percentages are not clamped to 100: the kernel credits run time and delay
 * when they are accounted, not when they happen, so an interval may see more
 * than its own wall time, and that is reported as it is.
 */
void schedstat_derive(const struct schedstat *prev, const struct schedstat *cur,
		      int64_t wall_ns, struct schedpct *out);

#endif
