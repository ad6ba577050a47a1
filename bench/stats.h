/*
 * stats: the spread of a benchmark's repeated measurements: median,
 * quartiles, extremes. Pure functions over arrays; they never read a file
 * or a clock, and never decide pass or fail.
 */
#ifndef STEALSCOPE_BENCH_STATS_H
#define STEALSCOPE_BENCH_STATS_H

#include <stddef.h>

struct bench_dist {
	int n;                         /* values that were not NaN */
	double median;                 /* all NaN when n is 0 */
	double p25, p75;
	double min, max;
};

/*
 * The quantile @q (0..1) of @n values sorted ascending, interpolated
 * linearly between the two nearest ranks (rank q * (n - 1), 0-based), so
 * the median of an even count is the mean of the middle two. NaN when @n
 * is 0.
 */
double bench_quantile_sorted(const double *sorted, size_t n, double q);

/*
 * Sort @v in place, NaN values moved past the end: returns how many are
 * not NaN (they are then v[0..ret) ascending).
 */
size_t bench_sort(double *v, size_t n);

/*
 * The spread of @n values (NaN values are ignored; @v is left as it was).
 * Returns 0 or -ENOMEM (logged).
 */
int bench_dist_of(const double *v, size_t n, struct bench_dist *out);

#endif
