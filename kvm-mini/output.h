/*
 * output: renders a kvm-mini run: progress.csv, vcpu.csv and meta.json in
 * the results-directory columns of experiments/README.md, each written
 * atomically (common/csvio.h, common/fileio.h), and the per-vCPU summary
 * table for stdout. Renders only: never reads /proc or guest memory.
 */
#ifndef STEALSCOPE_KVM_MINI_OUTPUT_H
#define STEALSCOPE_KVM_MINI_OUTPUT_H

#include <stdio.h>

#include "kvm-mini/options.h"
#include "kvm-mini/vmm.h"

/* Create @dir if it does not exist (its parent must). Returns 0 or -errno (logged). */
int kmini_out_dir(const char *dir);

/*
 * Write <dir>/progress.csv, vcpu.csv and meta.json (with @argc/@argv as the
 * command line, and @status "ok" or the error). Returns 0 or the first
 * -errno (logged).
 */
int kmini_write_results(const char *dir, const struct kmini_opts *o, const struct kmini_result *r,
			int argc, char **argv);

/* The summary table, one line per vCPU, and the start-up latency. */
void kmini_print_summary(FILE *fp, const struct kmini_opts *o, const struct kmini_result *r);

#endif
