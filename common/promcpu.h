/*
 * promcpu: the /proc/stat counters as the Prometheus counter family
 * stealscope_cpu_seconds_total{cpu,mode}, written the same by every tool
 * that exposes them (cpu-sampler --format prometheus, stealscope watch
 * --listen): one name, one HELP, the same labels and values, so a scraper
 * that sees both sees one metric.
 *
 * A renderer on common/promexp: it never opens /proc and derives nothing
 * (no rates: Prometheus computes those with rate()). Values are seconds,
 * ticks / USER_HZ; guest and guest_nice are already inside user and nice,
 * as the kernel counts them, and are written as they are.
 */
#ifndef STEALSCOPE_PROMCPU_H
#define STEALSCOPE_PROMCPU_H

#include "common/procstat.h"
#include "common/promexp.h"

#define PROMCPU_FAMILY "stealscope_cpu_seconds_total"

/* Open the family on @p. Returns @p's sticky error (promexp_family()). */
int promcpu_family(struct promexp *p);

/*
 * The samples of CPU @c into the family open on @p: one per mode
 * (procstat_field_names: user ... guest_nice) among the @c->nfields the
 * kernel printed (a field an old kernel lacks is left out, never 0), with
 * labels cpu and mode and the value @c->ticks / @user_hz (ticks per
 * second, USER_HZ) in seconds. The aggregate line (PROCSTAT_CPU_ALL)
 * writes nothing: sum() gives it, and a series of its own would count
 * every CPU twice. Returns @p's sticky error.
 */
int promcpu_cpu(struct promexp *p, const struct procstat_cpu *c, long user_hz);

/*
 * Raise every counter of @cur that is below the same counter of @prev (an
 * earlier reading of the same CPU) to @prev's. The kernel moves idle and
 * iowait backwards on dyn-tick kernels; Prometheus would take any decrease
 * for a counter reset and count everything again. The counter then keeps
 * its last value until it passes it again.
 */
void promcpu_clamp(struct procstat_cpu *cur, const struct procstat_cpu *prev);

#endif
