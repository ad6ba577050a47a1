/*
 * kmresult: the reader of kvm-mini's results directory (kvm-mini/output.h
 * writes it: progress.csv, vcpu.csv, cpu.csv, meta.json) for the kvm-mini
 * backend of the runner. It fills one repetition's struct run_rep (the
 * vCPU threads' schedstat pairs, the guest's steal clock and tick samples,
 * the host's /proc/stat of the CPUs involved, the progress stamps) and the
 * facts meta.json adds beyond those arrays (struct kmresult_facts).
 *
 * Both routes of the backend end in this directory, so the in-process one
 * (which cannot run on a host without /dev/kvm) shares every line of its
 * reading with the nested one that can. A reader: it turns counters into
 * arrays and never derives percentages; it opens only the four files in
 * the directory it is given, never /dev/kvm or a process. Nothing here
 * exits.
 */
#ifndef STEALSCOPE_KMRESULT_H
#define STEALSCOPE_KMRESULT_H

#include <stdint.h>
#include <sys/types.h>

#include "experiments/rundata.h"

/* What a repetition's kvm-mini meta.json says beyond the arrays. */
struct kmresult_facts {
	char status[512];              /* "ok", or why the run ended early */
	char kvm_module[32];           /* of the host kvm-mini ran on (L1's when nested) */
	int64_t startup_ns;            /* process start to vCPU 0's first instruction; -1 unknown */
	int64_t wall_ns;               /* t0 to the last sample; -1 unknown */
	uint64_t loops_per_unit;       /* vCPU 0's calibration; 0 unknown */
	double ns_per_loop;            /* NaN unknown */
	pid_t tids[SPEC_MAX_VCPUS];    /* kvm-mini's vCPU thread ids; 0 unknown */
};

/*
 * Read kvm-mini's results directory @dir (progress.csv, vcpu.csv, cpu.csv,
 * meta.json) of a run of @s into @rep (cleared first; free with
 * rundata_rep_free()) and @facts. Samples: number 0 at t0 with every vCPU
 * counter 0 (kvm-mini counts from there) and cpu.csv's seq-0 read, then
 * one per t_ns of vcpu.csv (number k: cpu.csv's seq k), with
 * host_run_ns/host_delay_ns as the schedstat pair, guest_steal_ns as the
 * exact steal clock (0 before a vCPU's first reading: its guest had not
 * started, so it had been told none), tick_* as the guest's tick samples
 * (steal ticks real), and cpu.csv's counters of the CPUs
 * rundata_cpus_involved() names. Stamps per vCPU, with the records
 * kvm-mini lost counted as dropped. rep->tids are the facts' tids when
 * @host_tids, else 0 (a nested run's threads are not this host's).
 * rep->measured is set when kvm-mini took a sample, rep->completed when its
 * last one reaches the run's end and its status is "ok". Returns 0, or
 * -EINVAL/-ENOENT/-ENOMEM (logged, naming the file and line); @rep then
 * holds nothing.
 */
int kmresult_read(const char *dir, const struct spec *s, int host_tids, struct run_rep *rep,
		  struct kmresult_facts *facts);

#endif
