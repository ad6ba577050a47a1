/*
 * timeseries: lines from CSV columns on one time axis, e.g. "%steal and
 * %user over time, guest view and host view". Each series names its own CSV
 * file, x column (ns since the run's start, drawn as ms), y column, legend
 * label and an optional filter (only rows whose filter column equals a value,
 * such as cpu=0), so series from different files share the same axis.
 * Series from the same file are drawn solid, those of the second file dashed,
 * and so on. Empty y cells (NaN in our CSVs) break the line instead of
 * drawing through the gap. Data go inline into the script as in progress.h.
 * This module reads only the CSVs it is given and never exits.
 */
#ifndef STEALSCOPE_PLOTS_TIMESERIES_H
#define STEALSCOPE_PLOTS_TIMESERIES_H

#include <stddef.h>

#include "plots/gnuplot.h"

struct plot_series {
	const char *csv_path;
	const char *x_col;              /* NULL: "t_ns" */
	const char *y_col;
	const char *label;              /* legend text; NULL: y_col */
	const char *filter_col;         /* NULL: every row */
	const char *filter_val;
};

struct plot_timeseries_opts {
	const struct plot_series *series;
	size_t nseries;
	const char *out_base;           /* writes out_base.png and .svg */
	const char *title;              /* NULL: none */
	const char *ylabel;             /* NULL: "value" */
	int y_from_zero;                /* y axis starts at 0 (percentages); 0: autoscale */
	double y_top_min;               /* with y_from_zero: the autoscaled top reaches at
					   least this, so noise near 0 stays small */
	const struct gnuplot_window *windows;   /* shaded "host contention" */
	size_t nwindows;
	int width, height;              /* pixels; 0: 1000 x 600 */
	int save_script;                /* also write out_base.gp */
};

/*
 * Build the script plot_timeseries() would run, without running it.
 * *script is malloc'd, caller frees. Returns 0 or a negative code (logged):
 * a CSV that cannot be read, -EINVAL for a missing column (named), a bad
 * cell, a series with no rows (naming its filter) or a bad window.
 */
int plot_timeseries_script(const struct plot_timeseries_opts *o, char **script);

/* Draw out_base.png and .svg. 0 or a negative code; GNUPLOT_EMISSING. */
int plot_timeseries(const struct plot_timeseries_opts *o);

#endif
