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

#endif
