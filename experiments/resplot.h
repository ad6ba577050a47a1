/*
 * resplot: every plot of a results directory (experiments/README.md,
 * "Results directory"), drawn from the files in it and nothing else, so a
 * run can be redrawn (`stealscope plot DIR`) without measuring again.
 *
 * For each policy, from <policy>/rep-1/ (the first repetition):
 *   progress-<policy>.png/.svg  progress.csv, the contention windows of the
 *                               policy's resolved spec shaded (sched workload
 *                               only: inf-loop and idle finish no work units)
 *   steal-<policy>.png/.svg     per vCPU, host run delay %, guest steal %
 *                               and guest tick steal % (where there are
 *                               such figures) over a sliding window of samples, derived
 *                               from vcpu.csv into <policy>/rep-1/rates.csv
 *                               (experiments/rates.h)
 * and for a comparison (more than one policy), from summary.csv as
 * experiments/chartdata.h reads it:
 *   policies.png/.svg           work rate, run delay and steal per policy
 *
 * spec.ini in the directory is the spec as run (a --quick run writes its
 * scaled windows there), so the windows and the sample interval come from
 * it, never from the experiments/ copy. A policy the runner skipped
 * (<policy>/SKIPPED, experiments/reportdata.h) is left out with an info
 * line saying why; one without a <policy>/ directory with a warning.
 *
 * The driver of the three figures: it finds the files, names and titles
 * each figure and hands it to plots/; rates.c and chartdata.c do the
 * reading and deriving. Nothing here reads /proc or measures; it only reads
 * the results files and writes plots and rates.csv into the same
 * directory. It never exits.
 */
#ifndef STEALSCOPE_EXPERIMENTS_RESPLOT_H
#define STEALSCOPE_EXPERIMENTS_RESPLOT_H

/*
 * Draw every plot of the results directory @dir. Carries on past a failed
 * plot so that one bad file costs only its own figure, and returns the first
 * error. Returns 0; GNUPLOT_EMISSING (plots/gnuplot.h) when gnuplot is not
 * installed, logged once with the install hint, before anything is read;
 * or another negative errno, logged with the file it is about (-ENOENT for
 * a missing spec.ini, progress.csv, vcpu.csv or summary.csv, -EINVAL for a
 * malformed one).
 */
int results_plot_all(const char *dir);

#endif
