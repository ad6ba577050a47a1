/*
 * options: the `kvm-mini` command line into a struct kmini_config (no
 * globals), strictly: numbers and durations through common/parse.h, CPUs
 * checked against the online ones, every option with a long form. Pure
 * apart from reading the online CPU list; never exits (returns the exit code
 * for main()).
 */
#ifndef STEALSCOPE_KVM_MINI_OPTIONS_H
#define STEALSCOPE_KVM_MINI_OPTIONS_H

#include "kvm-mini/vmm.h"

struct kmini_opts {
	struct kmini_config cfg;
	const char *out_dir;           /* --out, NULL: no files */
	const char *pin_arg;           /* --pin as given ("0" by default) */
	const char *workload_arg;
};

/* Print the --help text to stdout. */
void kmini_usage(void);

/*
 * Parse @argv into @o. Returns -1 to go on with the run, or the exit code
 * for main(): EXIT_OK after --help/--version, EXIT_USAGE after a usage
 * error (logged once, with the hint).
 */
int kmini_parse_args(int argc, char **argv, struct kmini_opts *o);

/*
 * "0" (every vCPU on CPU 0), "0,1" / "3,0-1" (vCPU i on the i-th CPU in the
 * order written; exactly @nvcpus of them) or "any" (KMINI_PIN_ANY) into
 * @pins. Returns 0 or EXIT_USAGE (logged, with the hint).
 */
int kmini_parse_pin(const char *arg, int nvcpus, int pins[KMINI_MAX_VCPUS]);

/*
 * "CPU[:START[:DURATION]][,nice=N][,duty=PCT][,period=DUR]" into @h (nice
 * -20..19, default 0; duty in (0, 100], default 100; period 1ms..10s,
 * default 100ms). Returns 0 or EXIT_USAGE (logged, with the hint).
 */
int kmini_parse_hog(const char *arg, int64_t max_ns, struct kmini_hog *h);

/*
 * The host CPUs a run of @c involves, into @out: every vCPU's pin and every
 * hog's CPU, or every online CPU when a vCPU is unpinned (the set cpu.csv
 * covers). Returns 0 or -errno (logged) when the online list cannot be read.
 */
int kmini_involved_cpus(const struct kmini_config *c, cpu_set_t *out);

/* The workload's name ("sched", "inf-loop", ...), or NULL for an unknown value. */
const char *kmini_workload_name(enum kmini_workload w);

#endif
