/*
 * kmargs: a stealscope spec as a kvm-mini command line. It is the one
 * place where the runner's settings meet kvm-mini's options
 * (kvm-mini/options.h), and both routes of the kvm-mini backend run the
 * same words: in process through kmini_parse_args(), nested as the
 * command of the L1 guest.
 *
 * Pure: it fills a fixed buffer from the spec; it never opens a file, a
 * VM or a process, never allocates, and never exits.
 */
#ifndef STEALSCOPE_KMARGS_H
#define STEALSCOPE_KMARGS_H

#include "experiments/spec.h"

#define KMARGS_MAX 64                  /* arguments, kvm-mini's --hog ones included */
#define KMARGS_LEN 96                  /* bytes of one argument, its NUL included */

/* A kvm-mini command line, without the program name and without --out. */
struct kmargs {
	int argc;
	char *argv[KMARGS_MAX + 1];    /* NULL-terminated, into buf */
	char buf[KMARGS_MAX][KMARGS_LEN];
};

/*
 * The kvm-mini arguments for a run of @s into @out (cleared first):
 * --vcpus, --pin (one CPU, a list in vCPU order, or any), --workload,
 * --tasks, --units, --unit-work, --slice, --duration, --interval, and one
 * --hog CPU:START[:DURATION],nice=N,duty=PCT,period=DUR per [contention]
 * section (no DURATION for a window that lasts to the end), times in ns.
 * Returns 0, or -EINVAL (logged) for what kvm-mini cannot run: a
 * contention window shorter than its 1 ms minimum; -E2BIG (logged) when
 * the arguments do not fit @out.
 */
int kmargs_build(const struct spec *s, struct kmargs *out);

#endif
