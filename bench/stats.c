/*
 * stats: see stats.h.
 */
#include "bench/stats.h"

#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double bench_quantile_sorted(const double *sorted, size_t n, double q)
{
	double rank, frac;
	size_t lo;

	if (n == 0)
		return NAN;
	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	rank = q * (double)(n - 1);
	lo = (size_t)rank;
	frac = rank - (double)lo;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/* NaN sorts after every number, so the numbers form a prefix. */
static int cmp_nan_last(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (x > y) - (x < y);
}

size_t bench_sort(double *v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), cmp_nan_last);
	while (k < n && !isnan(v[k]))
		k++;
	return k;
}

int bench_dist_of(const double *v, size_t n, struct bench_dist *out)
{
	double *s = NULL;
	size_t k = 0;

	*out = (struct bench_dist){ 0, NAN, NAN, NAN, NAN, NAN };
	if (n == 0)
		return 0;
	s = malloc(n * sizeof(*s));
	if (!s)
		return log_err(-ENOMEM, "out of memory");
	memcpy(s, v, n * sizeof(*s));
	k = bench_sort(s, n);
	if (k > 0) {
		out->n = (int)k;
		out->median = bench_quantile_sorted(s, k, 0.5);
		out->p25 = bench_quantile_sorted(s, k, 0.25);
		out->p75 = bench_quantile_sorted(s, k, 0.75);
		out->min = s[0];
		out->max = s[k - 1];
	}
	free(s);
	return 0;
}
