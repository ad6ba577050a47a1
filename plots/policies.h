/*
 * policies: the comparison chart of a results directory. One group of bars
 * per policy, side by side: the work rate (as % of the uncontended baseline,
 * or in units/s on a right-hand axis when no baseline is known), the host's
 * run delay of the vCPU threads (%) and the steal the guest was told (%).
 * Bars are the mean over repetitions; whiskers are mean +/- 1 sample sd
 * (none where sd is unknown, i.e. a single repetition), and the chart says so
 * in its x-axis label.
 *
 * Input is plain arrays the caller has already read (summary.csv in
 * practice); this module never opens a file except through gnuplot_render()
 * and never reads /proc. NaN means "not measured" (no guest on the native
 * backend, no work units under inf-loop): that bar is left out, never drawn
 * as 0.
 */
#ifndef STEALSCOPE_PLOTS_POLICIES_H
#define STEALSCOPE_PLOTS_POLICIES_H

#include <stddef.h>

#include "plots/gnuplot.h"

/* What plot_policy_row.work_mean/work_sd hold. */
enum plot_work_unit {
	PLOT_WORK_FRAC,                /* fraction of baseline (1.0 = uncontended), drawn as % */
	PLOT_WORK_UPS,                 /* work units per second, drawn on the right axis */
};

/* One policy. Every number may be NaN. */
struct plot_policy_row {
	const char *name;              /* x tick label */
	const char *note;              /* appended to the tick label as " [note]"; NULL: none */
	double work_mean, work_sd;     /* see plot_policies_opts.work_unit */
	double delay_mean_pct, delay_sd_pct;   /* host run delay, % of wall time */
	double steal_mean_pct, steal_sd_pct;   /* guest steal, % of wall time */
	int nreps;                     /* repetitions behind the means; 0: unknown */
};

struct plot_policies_opts {
	const struct plot_policy_row *rows;
	size_t nrows;
	enum plot_work_unit work_unit;
	const char *out_base;          /* writes out_base.png and .svg */
	const char *title;             /* NULL: "Policies compared: work rate and steal" */
	int width, height;             /* pixels; 0: 1000 x 600 */
	int save_script;               /* also write out_base.gp */
};

/*
 * Build the script plot_policies() would run (outputs out_base.png/.svg),
 * without running it. *script is malloc'd, caller frees. Returns 0 or
 * -EINVAL (no rows, a row without a name, nothing measured at all, a line
 * break in a name or title; logged) or -ENOMEM.
 */
int plot_policies_script(const struct plot_policies_opts *o, char **script);

/* Draw out_base.png and .svg. 0 or a negative code (logged); GNUPLOT_EMISSING. */
int plot_policies(const struct plot_policies_opts *o);

#endif
