/*
 * kmread: the files a kvm-mini run of the benchmark leaves, read back as
 * the figures need them: vcpu.csv into kvm-mini's own sample structs (so
 * kvm-mini/summary.h's kmini_window() derives the steal figures exactly as
 * kvm-mini's own summary does), a number of meta.json, the start-up line
 * of its stdout, and the progress digest of bench/kmplan.h. Readers only:
 * nothing here derives a percentage or writes a file.
 */
#ifndef STEALSCOPE_BENCH_KMREAD_H
#define STEALSCOPE_BENCH_KMREAD_H

#include <stdint.h>

#include "kvm-mini/vmm.h"

/*
 * <@dir>/vcpu.csv into @v[0..*@n) (@max vCPUs at most): per vCPU its
 * samples in file order, an empty guest_steal_ns as steal_valid 0.
 * Returns 0 or -errno (logged); free with kmread_vcpus_free() either way.
 */
int kmread_vcpus(const char *dir, struct kmini_vcpu_result *v, int max, int *n);
void kmread_vcpus_free(struct kmini_vcpu_result *v, int n);

/*
 * The number at @path (jsonget syntax: "startup_ns", "vcpus[0].boot_ns")
 * of <@dir>/meta.json. Returns 0 or -errno (logged).
 */
int kmread_meta(const char *dir, const char *path, double *out);

/*
 * The "startup_us X" line of kvm-mini's summary in the file @out_path (its
 * stdout). Returns 0 or -EINVAL/-errno (logged).
 */
int kmread_startup_us(const char *out_path, double *us);

/* One row of progress-digest.csv (bench/kmplan.h). */
struct kmread_digest {
	int64_t stamps;
	int64_t first_t_ns, first_unit;
	int64_t last_t_ns, last_unit;
	double span_ns;                /* NaN: no window of K units without a loss */
};

/*
 * Task @task's row of <@dir>/progress-digest.csv. Returns 0, -ENOENT when
 * the task made no stamp (logged), or -errno.
 */
int kmread_digest(const char *dir, int task, struct kmread_digest *d);

#endif
