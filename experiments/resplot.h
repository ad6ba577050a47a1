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
 *                               (see below)
 * and for a comparison (more than one policy), from summary.csv:
 *   policies.png/.svg           work rate, run delay and steal per policy
 *
 * spec.ini in the directory is the spec as run (a --quick run writes its
 * scaled windows there), so the windows and the sample interval come from
 * it, never from the experiments/ copy. A policy the runner skipped
 * (<policy>/SKIPPED, experiments/reportdata.h) is left out with an info
 * line saying why; one without a <policy>/ directory with a warning.
 *
 * rates.csv is a derived file, kept so the figure's numbers can be read:
 *   t_ns,vcpu,host_delay_pct,guest_steal_pct,guest_tick_steal_pct
 * one row per vCPU per window, in time order per vCPU. A window spans k
 * consecutive sample intervals, k = resplot_rate_window() of the spec's
 * sample_interval (5 at the default 10 ms: 50 ms), and slides one sample at
 * a time; t_ns is its midpoint (ns since the run's start) and each value
 * 100 * d(counter) / d(t_ns) of vcpu.csv's host_delay_ns or guest_steal_ns
 * over it, and guest_tick_steal_pct 100 * d(tick_steal) / d(all four tick_*
 * columns), the guest's own tick view; empty where a counter is (no guest
 * on the native backend, no steal ticks under TCG). The
 * window is needed because schedstat credits run delay only when the thread
 * gets the CPU back: a vCPU thread sharing a CPU half and half is credited
 * a few ms at a time, so single 10 ms intervals read 40% or 80% where
 * the truth is 50%. A vCPU with fewer samples than a window gets one
 * row over all it has. Written atomically and rewritten on every call.
 *
 * Nothing here reads /proc or measures; it only reads the results files and
 * writes plots and rates.csv into the same directory. It never exits.
 */
#ifndef STEALSCOPE_EXPERIMENTS_RESPLOT_H
#define STEALSCOPE_EXPERIMENTS_RESPLOT_H

#include <stdint.h>

#define RESPLOT_RATES_CSV "rates.csv"

/* The shortest span a rate of rates.csv is taken over. */
#define RESPLOT_RATE_WINDOW_NS (50 * 1000000LL)

/*
 * How many sample intervals of @sample_interval_ns one rate of rates.csv
 * spans: enough to cover RESPLOT_RATE_WINDOW_NS, at least one; i.e. a
 * window of max(sample_interval, 50 ms), rounded up to whole intervals.
 * 1 for an interval that is not positive.
 */
static inline int resplot_rate_window(int64_t sample_interval_ns)
{
	int64_t k;

	if (sample_interval_ns <= 0)
		return 1;
	k = (RESPLOT_RATE_WINDOW_NS + sample_interval_ns - 1) / sample_interval_ns;
	return k < 1 ? 1 : (int)k;
}

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

/*
 * The rate of a cumulative ns counter between two samples, as % of the
 * interval: 100 * (@v1_ns - @v0_ns) / (@t1_ns - @t0_ns). A counter that went
 * backwards gives 0 (an unlocked read or a reset loses that interval, not
 * the run). NaN when @t1_ns <= @t0_ns (no interval) or either value is NaN.
 */
double resplot_rate_pct(int64_t t0_ns, double v0_ns, int64_t t1_ns, double v1_ns);

/*
 * Derive @rates_csv (format above) from @vcpu_csv, each rate over @window
 * consecutive sample intervals (1: every interval on its own; the plots use
 * resplot_rate_window()). Rows may come in any order; they are grouped by
 * vCPU and sorted by time. Returns 0 or a negative errno, logged with the
 * file's name (a missing column, a bad cell, no vCPU with two samples,
 * @window below 1).
 */
int resplot_write_rates(const char *vcpu_csv, const char *rates_csv, int window);

#endif
