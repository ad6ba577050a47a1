/*
 * figures: the seven figures of the benchmark (issue 7), one function each.
 * A figure runs its measurements, adds its rows (measured, or not
 * measurable here with the reason) and its method paragraph to the table.
 * Each returns 0, or -errno when a tool it runs fails or the run is
 * interrupted (logged); a figure that this machine cannot measure is a row,
 * not an error.
 */
#ifndef STEALSCOPE_BENCH_FIGURES_H
#define STEALSCOPE_BENCH_FIGURES_H

#include "bench/bench.h"

int fig_startup(struct bench_ctx *c);          /* 1: start-up against `true` */
int fig_stamps(struct bench_ctx *c);           /* 2: progress stamp cost */
int fig_samplers(struct bench_ctx *c);         /* 3: sampler CPU cost against sadc */
int fig_steal(struct bench_ctx *c);            /* 4: steal accuracy */
int fig_slicing(struct bench_ctx *c);          /* 5: guest time slicing */
int fig_memory(struct bench_ctx *c);           /* 6: peak RSS */
int fig_scale(struct bench_ctx *c);            /* 7: 1..8 vCPUs on the CPUs there are */

/* One run's time slicing: share of progress per task, slice length p50/p99. */
#define BENCH_SLICE_TASKS 4
struct bench_slices {
	double share_pct[BENCH_SLICE_TASKS];
	double p50_ms, p99_ms;
};

/*
 * From one progress.csv (columns t_ns and task) of a single vCPU with
 * @ntasks (<= BENCH_SLICE_TASKS) tasks (bench/fig-native.c). A slice is a
 * stretch of consecutive stamps of one task; its length runs from the last
 * stamp before it (t0 for the first) to its own last stamp. The last slice
 * is cut by the end of the run and left out, and so is the first with
 * @skip_first (when the tasks started well after t0). Returns 0 or -errno
 * (logged).
 */
int bench_slice_figures(const char *path, int ntasks, int skip_first, struct bench_slices *out);

/*
 * kvm-mini's part of the figures, measured where kvm-mini runs
 * (bench/kmroute.h): each figure's runs for its group's plan, and its rows
 * (measured, or why not), which the figure above adds after its own. The
 * start-up rows compare with the QEMU boot times of figure 1 (@boot_ms,
 * NULL when that boot was not measured).
 */
struct kmplan;
int kmfig_plan_startup(struct bench_ctx *c, struct kmplan *p);  /* bench/fig-kmproc.c */
int kmfig_plan_memory(struct bench_ctx *c, struct kmplan *p);
int kmfig_plan_scale(struct bench_ctx *c, struct kmplan *p);
int kmfig_startup_rows(struct bench_ctx *c, const double *boot_ms, int nboot);
int kmfig_memory_rows(struct bench_ctx *c);
int kmfig_scale_rows(struct bench_ctx *c);
int kmfig_plan_stamps(struct bench_ctx *c, struct kmplan *p);   /* bench/fig-kmguest.c */
int kmfig_plan_steal(struct bench_ctx *c, struct kmplan *p);
int kmfig_plan_slicing(struct bench_ctx *c, struct kmplan *p);
int kmfig_stamps_rows(struct bench_ctx *c);
int kmfig_steal_rows(struct bench_ctx *c);
int kmfig_slicing_rows(struct bench_ctx *c);

#endif
