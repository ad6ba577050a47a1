/*
 * rates: the steal figure's numbers, derived from a repetition's vcpu.csv
 * into rates.csv beside it (experiments/README.md, "Results directory").
 * The derive step of the steal figure: experiments/resplot.c draws from
 * the file this writes, and the HTML report's caption (report.c) quotes
 * the window it uses.
 *
 * rates.csv is a derived file, kept so the figure's numbers can be read:
 *   t_ns,vcpu,host_delay_pct,guest_steal_pct,guest_tick_steal_pct
 * one row per vCPU per window, in time order per vCPU. A window spans k
 * consecutive sample intervals, k = rates_window() of the spec's
 * sample_interval (5 at the default 10 ms: 50 ms), and slides one sample at
 * a time; where samples came bunched (the sampler itself was held off and
 * caught up), a window reaches further back until it spans at least 3/4
 * of k usual intervals (the mean gap of the series); waits are first
 * placed where they happened (rates_place_waits()); t_ns is its midpoint (ns since the run's start) and each value
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
 * Nothing here reads /proc, measures or draws; it reads vcpu.csv and writes
 * rates.csv. It never exits.
 */
#ifndef STEALSCOPE_EXPERIMENTS_RATES_H
#define STEALSCOPE_EXPERIMENTS_RATES_H

#include <stddef.h>
#include <stdint.h>

#include "common/csvio.h"

#define RATES_CSV "rates.csv"

/* The shortest span a rate of rates.csv is taken over. */
#define RATES_WINDOW_NS (50 * 1000000LL)

/* rates_write() takes at most this many vCPUs (the steal figure: three lines each). */
#define RATES_MAX_VCPUS 64

/*
 * How many sample intervals of @sample_interval_ns one rate of rates.csv
 * spans: enough to cover RATES_WINDOW_NS, at least one; i.e. a window of
 * max(sample_interval, 50 ms), rounded up to whole intervals. 1 for an
 * interval that is not positive.
 */
static inline int rates_window(int64_t sample_interval_ns)
{
	int64_t k;

	if (sample_interval_ns <= 0)
		return 1;
	k = (RATES_WINDOW_NS + sample_interval_ns - 1) / sample_interval_ns;
	return k < 1 ? 1 : (int)k;
}

/*
 * The rate of a cumulative ns counter between two samples, as % of the
 * interval: 100 * (@v1_ns - @v0_ns) / (@t1_ns - @t0_ns). A counter that went
 * backwards gives 0 (an unlocked read or a reset loses that interval, not
 * the run). NaN when @t1_ns <= @t0_ns (no interval) or either value is NaN.
 */
double rates_pct(int64_t t0_ns, double v0_ns, int64_t t1_ns, double v1_ns);

/*
 * Place each wait where it happened. Run delay (schedstat) and KVM's steal
 * clock are both credited when a wait ends, so under heavy load one sample
 * interval can gain more than its own length (a 78 ms wait credited in a
 * 25 ms interval reads 312%), which no vCPU can wait. The excess belongs to
 * the intervals just before, where the wait began: it is moved there,
 * latest first, each filled at most to its length; what no earlier
 * interval can take (a wait longer than the series so far) stays where it
 * was credited. @v (@n cumulative ns values at times @t, sorted) is
 * rewritten as the cumulative counter of the placed waits, from the same
 * first value; a step backwards counts as 0 (as rates_pct()). A series with
 * a NaN, or memory short, is left as it is. Usual contention (waits of a
 * few ms, shorter than an interval) moves nothing.
 */
void rates_place_waits(const int64_t *t, double *v, size_t n);

/* What rates.csv holds for one vCPU: which lines the steal figure can draw. */
struct rates_vcpu {
	int64_t vcpu;
	int has_delay;                 /* some window has a host run delay rate */
	int has_steal;                 /* some window has a guest steal rate */
	int has_tick;                  /* some window has a guest tick-steal share */
};

/* The vCPUs of rates.csv, in ascending order (those with two samples or more). */
struct rates_info {
	struct rates_vcpu v[RATES_MAX_VCPUS];
	size_t n;
};

/*
 * Derive @rates_csv (format above) from @vcpu_csv, each rate over @window
 * consecutive sample intervals (1: every interval on its own; the plots use
 * rates_window()). Rows may come in any order; they are grouped by vCPU and
 * sorted by time. Fills *@info (unless NULL) with what was written; it is
 * zeroed first, whatever the outcome. Returns 0 or a negative errno, logged
 * with the file's name (a missing column, a bad cell, more than
 * RATES_MAX_VCPUS vCPUs, no vCPU with two samples, @window below 1); on
 * error @rates_csv is left as it was.
 */
int rates_write(const char *vcpu_csv, const char *rates_csv, int window,
		struct rates_info *info);

/*
 * Strict cells of a results CSV @t loaded from @path, with errors that name
 * the file, the data row (1 = the first after the header) and the column.
 * The plots' readers of vcpu.csv (here) and of summary.csv (chartdata.c)
 * share them, so their messages read alike.
 *
 * rates_csv_col(): the index of column @name, or -EINVAL logged as
 * "<path>: missing column '<name>'".
 * rates_csv_f(): the number in row @row, column @col (strtod, finite) into
 * *@out, NaN for an empty cell (how our CSVs write "unknown"); 0, or
 * -EINVAL logged as "<path>: data row N, column C: not a number: \"<cell>\""
 * (*@out untouched).
 */
int rates_csv_col(const char *path, const struct csv_table *t, const char *name);
int rates_csv_f(const char *path, const struct csv_table *t, size_t row, int col,
		double *out);

#endif
