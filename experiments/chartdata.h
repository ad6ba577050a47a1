/*
 * chartdata: the policy comparison chart's numbers, read from a results
 * directory's summary.csv (experiments/summary.h writes it): per policy of
 * the spec, the mean and sd of work rate, host run delay and guest steal
 * over one phase and one vCPU row, and how many repetitions are behind
 * them. The read step of policies.png; experiments/resplot.c turns it into
 * chart rows and draws them (plots/policies.c).
 *
 * Strict, unlike the report's reading of the same file (reportdata.c): a
 * missing column, a bad number or a policy without a mean row is an error
 * naming the file, since the chart would otherwise be wrong in silence.
 * This module only reads summary.csv; it never writes, draws or exits.
 */
#ifndef STEALSCOPE_EXPERIMENTS_CHARTDATA_H
#define STEALSCOPE_EXPERIMENTS_CHARTDATA_H

#include <stddef.h>

#include "experiments/spec.h"
#include "plots/policies.h"

/* The figures of one policy, each a column of summary.csv (summary_metrics[]). */
enum chartdata_metric {
	CHARTDATA_WORK_FRAC,           /* work_rate_frac_of_baseline */
	CHARTDATA_WORK_UPS,            /* work_rate_ups */
	CHARTDATA_DELAY_PCT,           /* host_delay_pct */
	CHARTDATA_STEAL_PCT,           /* guest_steal_pct */
	CHARTDATA_NMETRICS
};

/* One policy as summary.csv has it. */
struct chartdata_policy {
	const char *name;              /* the spec's policy name (points into the spec_set) */
	const char *phase;             /* "contended" or "all" (a constant) */
	double mean[CHARTDATA_NMETRICS], sd[CHARTDATA_NMETRICS];   /* NaN: empty cell */
	int nreps;                     /* repetition rows behind the mean */
};

struct chartdata {
	struct chartdata_policy *pol;  /* the policies found, in spec order */
	size_t n;
	int has_contended;             /* some policy's figures are over phase "contended" */
	int has_whole;                 /* some policy's are over phase "all" (no hog) */
};

/*
 * Read @summary_csv for the policies of @set, leaving out those with
 * @skipped[i] set (the run skipped them; said elsewhere). Per policy: phase
 * "contended" where it has one, else "all" (a policy without contention has
 * only that); the whole-VM row (vcpu "all") where there is one, else vCPU 0;
 * its "mean" and "sd" rows, and the count of repetition rows. A policy
 * summary.csv has no rows on is left out with a warning (not run?).
 * Returns 0 with at least one policy in *@out (chartdata_free() it), or a
 * negative errno logged with the file's name (-ENOENT: no such file;
 * -EINVAL: a missing column, a bad number, no vcpu 'all' or 0 row, no
 * 'mean' row, no rows for any policy); then *@out is empty.
 */
int chartdata_load(const char *summary_csv, const struct spec_set *set,
		   const unsigned char *skipped, struct chartdata *out);

void chartdata_free(struct chartdata *cd);

/*
 * The chart's work scale: a fraction of baseline when every policy that has
 * a work rate also has its fraction (one scale for all bars), else units/s.
 */
enum plot_work_unit chartdata_work_unit(const struct chartdata *cd);

#endif
