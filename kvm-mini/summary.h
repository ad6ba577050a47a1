/*
 * summary: the figures of a kvm-mini run, derived from its samples and
 * stamps (kvm-mini/vmm.h) by pure functions: per vCPU over the whole run or
 * a window, the guest's steal (exact, from its steal clock, and by its tick
 * accounting), the vCPU thread's run delay, their difference, progress
 * shares and the longest gap between stamps. Never reads a file or the
 * clock; a window without samples gives NaN, never a division by zero.
 */
#ifndef STEALSCOPE_KVM_MINI_SUMMARY_H
#define STEALSCOPE_KVM_MINI_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "kvm-mini/vmm.h"

struct kmini_window_figs {
	int64_t wall_ns;               /* between the samples that bound the window */
	double guest_steal_pct;        /* steal clock delta / wall */
	double tick_steal_pct;         /* steal ticks / all ticks in the window */
	double host_delay_pct;         /* schedstat run delay delta / wall */
	double diff_pct;               /* guest - host, in % of wall */
	uint64_t ticks;                /* user + system + idle + steal in the window */
	uint64_t tick_user, tick_system, tick_idle, tick_steal;
};

/*
 * Figures of vCPU result @v between the last sample at or before @from_ns
 * and the first at or after @to_ns (times from t0; use 0 and INT64_MAX for
 * the whole run; the run's start counts as a sample of zeros). Returns 0,
 * or -1 when no two samples bound the window (fields NaN / 0).
 */
int kmini_window(const struct kmini_vcpu_result *v, int64_t from_ns, int64_t to_ns,
		 struct kmini_window_figs *out);

/*
 * The longest gap between consecutive stamps of vCPU @vcpu (any task) whose
 * later stamp lies in [@from_ns, @to_ns). Stamps must be sorted by time
 * (vmm.c sorts them). Returns the gap in ns, 0 with fewer than two stamps.
 */
int64_t kmini_longest_gap(const struct kmini_stamp *s, size_t n, uint32_t vcpu, int64_t from_ns,
			  int64_t to_ns);

/* Stamps of task @task in [@from_ns, @to_ns). */
uint64_t kmini_task_units(const struct kmini_stamp *s, size_t n, uint32_t task, int64_t from_ns,
			  int64_t to_ns);

/*
 * progress_pct of unit @unit (0-based): 100 * (unit + 1) / units with
 * finite units, else relative to what the task would finish in the whole
 * run at the uncontended pace, duration / (unit_work * tasks_on_vcpu).
 */
double kmini_progress_pct(const struct kmini_config *cfg, int tasks_on_vcpu, uint64_t unit);

/* Tasks that run on vCPU @vcpu (task j on vCPU j % nvcpus). */
int kmini_tasks_on_vcpu(const struct kmini_config *cfg, int vcpu);

#endif
