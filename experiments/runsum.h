/*
 * runsum: the summary of a whole run: for each policy, phase and vCPU, the
 * figures of every repetition (experiments/summary.h) and their spread,
 * kept until the end and then written as summary.csv and summary.json and
 * printed as the table. Derivation over arrays the runner measured: it never
 * opens /proc.
 */
#ifndef STEALSCOPE_RUNSUM_H
#define STEALSCOPE_RUNSUM_H

#include <stddef.h>
#include <stdio.h>

#include "experiments/rundata.h"
#include "experiments/summary.h"

struct runsum_row {
	const char *policy;            /* the run_policy's name (not owned) */
	const char *phase;             /* spec_phases() name */
	int64_t start_ns, end_ns;      /* the phase */
	int vcpu;
	int nreps;
	struct phase_summary *reps;    /* nreps */
	struct phase_spread spread;
};

struct runsum {
	struct runsum_row *rows;
	size_t n, cap;
};

/*
 * Summarise repetitions @reps[0..@nreps) of policy @p (only those that ran
 * to the end count; an interrupted one is left out) and append one row per
 * phase and vCPU. The work rate of the 'baseline' phase of the same
 * repetition is the reference of work_rate_frac_of_baseline (NaN without
 * such a phase). A policy without a complete repetition adds no row.
 * Returns 0 or -errno (logged). @p must outlive @acc.
 */
int runsum_add_policy(struct runsum *acc, const struct run_policy *p,
		      const struct run_rep *reps, int nreps);

/*
 * Write <dir>/summary.csv (per row: every repetition, then mean/sd/min/max)
 * and <dir>/summary.json: {"experiment", "policies": [{"name", "status",
 * "reason"}], "rows": [spread objects], "reps": [repetition objects]}.
 * Skipped policies have no rows. 0 or -errno (logged).
 */
int runsum_write(const struct runsum *acc, const char *dir, const char *experiment,
		 const struct run_policy *policies, size_t npolicies);

/* The table on @fp: one line per row with the means. 0 or -EIO. */
int runsum_table(const struct runsum *acc, FILE *fp);

void runsum_free(struct runsum *acc);

/*
 * Warn on stderr about every baseline phase whose mean host run delay is
 * above @limit_pct (see summary_baseline_noisy()). Returns how many.
 */
size_t runsum_warn_noisy_baselines(const struct runsum *acc, double limit_pct);

#endif
