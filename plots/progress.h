/*
 * progress: the textbook figure. Work progress (%) of each task over time
 * (ms since the run's start), one coloured staircase per task (progress
 * holds between stamps; a point marks each stamp when there are few), with
 * the intervals when the host was contended shaded behind the lines.
 *
 * Input is a progress CSV with a header row, columns found by name:
 * t_ns, progress_pct, and task (kvm-mini: t_ns,vcpu,task,unit,progress_pct)
 * or proc (sched-load: proc,unit,t_ns,progress_pct). When a vcpu column holds
 * more than one value, lines are per (vcpu, task). Other columns are ignored.
 * The data are written into the script as inline data blocks ($task0 << EOD),
 * so a saved script (BASE.gp) redraws the figure on its own, and no data
 * files are left next to the plot. This module reads only the CSV it is
 * given and never exits.
 */
#ifndef STEALSCOPE_PLOTS_PROGRESS_H
#define STEALSCOPE_PLOTS_PROGRESS_H

#include <stddef.h>

#include "plots/gnuplot.h"

struct plot_progress_opts {
	const char *in_csv;                     /* progress CSV */
	const char *out_base;                   /* writes out_base.png and .svg */
	const char *title;                      /* NULL: "Progress per task" */
	const struct gnuplot_window *windows;   /* shaded "host contention" */
	size_t nwindows;
	int width, height;                      /* pixels; 0: 1000 x 600 */
	int save_script;                        /* also write out_base.gp */
};

/*
 * Build the gnuplot script that plot_progress() would run (output names
 * out_base.png/.svg) without running it. *script is malloc'd, caller frees.
 * Returns 0 or a negative code (logged): -ENOENT and friends for the CSV,
 * -EINVAL for a missing column (named in the message), a bad cell, no rows
 * or a bad window.
 */
int plot_progress_script(const struct plot_progress_opts *o, char **script);

/*
 * Draw out_base.png and out_base.svg with gnuplot. Returns 0 or a negative
 * code (logged); GNUPLOT_EMISSING when gnuplot is not installed.
 */
int plot_progress(const struct plot_progress_opts *o);

#endif
