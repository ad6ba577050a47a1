/*
 * rates: see rates.h. Read vcpu.csv whole, group its samples by vCPU in
 * time order, and write one windowed rate per vCPU per window. Pure
 * arithmetic on the counters the samplers wrote; never /proc, never gnuplot.
 */
#include "experiments/rates.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- strict cells --------------------------------------------------------------- */

/* Like csv_table_i64(), but the message names the data row as the plots' files do. */
static int cell_i64(const char *path, const struct csv_table *t, size_t row, int col,
		    int64_t *out)
{
	const char *s = csv_table_cell(t, row, (size_t)col);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return log_err(errno == ERANGE ? -ERANGE : -EINVAL,
			       "%s: data row %zu, column %s: not an integer: \"%s\"", path,
			       row + 1, t->header[col], s);
	*out = v;
	return 0;
}

int rates_csv_f(const char *path, const struct csv_table *t, size_t row, int col,
		double *out)
{
	const char *s = csv_table_cell(t, row, (size_t)col);
	char *end;
	double v;

	if (!*s) {
		*out = NAN;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v))
		return log_err(-EINVAL, "%s: data row %zu, column %s: not a number: \"%s\"",
			       path, row + 1, t->header[col], s);
	*out = v;
	return 0;
}

int rates_csv_col(const char *path, const struct csv_table *t, const char *name)
{
	int c = csv_table_col(t, name);

	if (c < 0)
		return log_err(-EINVAL, "%s: missing column '%s'", path, name);
	return c;
}

/* ---- derive ------------------------------------------------------------------------ */

double rates_pct(int64_t t0_ns, double v0_ns, int64_t t1_ns, double v1_ns)
{
	double d;

	if (t1_ns <= t0_ns || isnan(v0_ns) || isnan(v1_ns))
		return NAN;
	d = v1_ns - v0_ns;
	if (d < 0)
		d = 0;                 /* backwards: clamp, as summary_counter_delta() does */
	return 100.0 * d / (double)(t1_ns - t0_ns);
}

struct vcpu_sample {
	int64_t t_ns;
	int64_t vcpu;
	double delay_ns;               /* NaN: empty cell */
	double steal_ns;
	double tick_steal, tick_all;   /* the guest's steal ticks and all four; NaN: none */
};

static int sample_cmp(const void *a, const void *b)
{
	const struct vcpu_sample *x = a, *y = b;

	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

/* vcpu.csv's samples into *@out (malloc'ed, *@n of them), sorted by vCPU, then time. */
static int load_vcpu_samples(const char *path, struct vcpu_sample **out, size_t *n)
{
	struct csv_table t;
	static const char *const tick_cols[4] = { "tick_user", "tick_system", "tick_idle",
						  "tick_steal" };
	struct vcpu_sample *s = NULL;
	int c_t, c_v, c_d, c_s, c_tick[4], rc;

	*out = NULL;
	*n = 0;
	rc = csv_table_load(path, &t);
	if (rc)
		return rc;
	if ((rc = c_t = rates_csv_col(path, &t, "t_ns")) < 0 ||
	    (rc = c_v = rates_csv_col(path, &t, "vcpu")) < 0 ||
	    (rc = c_d = rates_csv_col(path, &t, "host_delay_ns")) < 0 ||
	    (rc = c_s = rates_csv_col(path, &t, "guest_steal_ns")) < 0)
		goto out;
	/* the guest's tick accounting is optional (older files lack it) */
	for (int k = 0; k < 4; k++)
		c_tick[k] = csv_table_col(&t, tick_cols[k]);
	if (t.nrows == 0) {
		rc = log_err(-EINVAL, "%s: no samples after the header", path);
		goto out;
	}
	s = calloc(t.nrows, sizeof(*s));
	if (!s) {
		rc = log_err(-ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (size_t r = 0; r < t.nrows; r++) {
		if ((rc = cell_i64(path, &t, r, c_t, &s[r].t_ns)) ||
		    (rc = cell_i64(path, &t, r, c_v, &s[r].vcpu)) ||
		    (rc = rates_csv_f(path, &t, r, c_d, &s[r].delay_ns)) ||
		    (rc = rates_csv_f(path, &t, r, c_s, &s[r].steal_ns)))
			goto out;
		s[r].tick_all = 0;
		for (int k = 0; k < 4; k++) {
			double v = NAN;

			if (c_tick[k] >= 0 && (rc = rates_csv_f(path, &t, r, c_tick[k], &v)))
				goto out;
			s[r].tick_all += v;
			if (k == 3)
				s[r].tick_steal = v;
		}
	}
	qsort(s, t.nrows, sizeof(*s), sample_cmp);
	*out = s;
	*n = t.nrows;
	s = NULL;
	rc = 0;
out:
	free(s);
	csv_table_free(&t);
	return rc;
}

/* Note vCPU @vcpu in @info (once, in order) and return its entry; NULL when full. */
static struct rates_vcpu *rates_vcpu_of(struct rates_info *info, int64_t vcpu)
{
	if (info->n == 0 || info->v[info->n - 1].vcpu != vcpu) {
		if (info->n == RATES_MAX_VCPUS)
			return NULL;
		info->v[info->n].vcpu = vcpu;
		info->n++;
	}
	return &info->v[info->n - 1];
}

void rates_place_waits(const int64_t *t, double *v, size_t n)
{
	size_t *room = n ? malloc(n * sizeof(*room)) : NULL; /* intervals with room, latest on top */
	double *inc = n ? malloc(n * sizeof(*inc)) : NULL, prev, e;
	size_t i, top = 0;

	if (!room || !inc)
		goto out;
	for (i = 0; i < n; i++)
		if (isnan(v[i]))
			goto out;
	for (i = 1; i < n; i++) {
		double cap = t[i] > t[i - 1] ? (double)(t[i] - t[i - 1]) : 0;

		inc[i] = v[i] > v[i - 1] ? v[i] - v[i - 1] : 0;
		e = inc[i] - cap;
		if (e > 0) {
			inc[i] = cap;
			/* back into the intervals before, latest first */
			while (e > 0 && top > 0) {
				size_t j = room[top - 1];
				double cj = (double)(t[j] - t[j - 1]), take = cj - inc[j];

				if (take > e)
					take = e;
				inc[j] += take;
				e -= take;
				if (inc[j] >= cj)
					top--;
			}
			inc[i] += e;   /* longer than the series so far: left where credited */
		}
		if (inc[i] < cap)
			room[top++] = i;
	}
	prev = v[0];
	for (i = 1; i < n; i++) {
		prev += inc[i];
		v[i] = prev;
	}
out:
	free(room);
	free(inc);
}

/*
 * The rows of one vCPU's samples @s[0..@n), sorted by time: the rate over
 * each run of @window intervals (fewer when the vCPU has fewer), sliding
 * one sample at a time. A window whose samples came bunched (a sampler
 * that was itself held off takes its late samples back to back) reaches
 * further back, until it spans at least 3/4 of @window usual intervals:
 * otherwise a wait credited in the bunch would be divided by almost no
 * time. The usual interval is the mean gap over the whole series: a sampler
 * that catches up keeps its average pace, where a median would be one of
 * the bunch's gaps. Adds the rows written to *@rows.
 */
static int write_vcpu_rates(struct csvw *w, const struct vcpu_sample *s, size_t n, int window,
			    struct rates_vcpu *rv, size_t *rows)
{
	size_t k = (size_t)window < n - 1 ? (size_t)window : n - 1;
	int64_t mean_gap = (s[n - 1].t_ns - s[0].t_ns) / (int64_t)(n - 1);
	int64_t min_span = mean_gap * (int64_t)k * 3 / 4;
	int64_t *t = malloc(n * sizeof(*t));
	double *delay_ns = malloc(n * sizeof(*delay_ns)), *steal_ns = malloc(n * sizeof(*steal_ns));
	int rc = 0;

	if (!t || !delay_ns || !steal_ns) {
		rc = log_err(-ENOMEM, "rates: %s", strerror(ENOMEM));
		goto out;
	}
	/* both counters are credited when a wait ends: place each wait where it was */
	for (size_t i = 0; i < n; i++) {
		t[i] = s[i].t_ns;
		delay_ns[i] = s[i].delay_ns;
		steal_ns[i] = s[i].steal_ns;
	}
	rates_place_waits(t, delay_ns, n);
	rates_place_waits(t, steal_ns, n);

	for (size_t i = k; i < n; i++) {
		const struct vcpu_sample *a, *b = &s[i];
		double delay, steal, ticks, tick = NAN;
		size_t j = i - k;

		/* a repeated timestamp adds no time: no new row */
		if (s[i].t_ns <= s[i - 1].t_ns)
			continue;
		while (j > 0 && s[i].t_ns - s[j].t_ns < min_span)
			j--;
		a = &s[j];

		/* A repeated timestamp: no interval to take a rate over. */
		if (b->t_ns <= a->t_ns)
			continue;
		delay = rates_pct(a->t_ns, delay_ns[j], b->t_ns, delay_ns[i]);
		steal = rates_pct(a->t_ns, steal_ns[j], b->t_ns, steal_ns[i]);
		/* the guest's own view: the share of its ticks charged to steal */
		ticks = b->tick_all - a->tick_all;
		if (ticks > 0 && b->tick_steal >= a->tick_steal)
			tick = 100.0 * (b->tick_steal - a->tick_steal) / ticks;
		rv->has_delay |= !isnan(delay);
		rv->has_steal |= !isnan(steal);
		rv->has_tick |= !isnan(tick);
		/*
		 * At the window's midpoint: drawn as a line, a rise then
		 * straddles the instant the hog started instead of trailing it
		 * by half a window.
		 */
		csvw_i64(w, a->t_ns + (b->t_ns - a->t_ns) / 2);
		csvw_i64(w, b->vcpu);
		csvw_f(w, delay, 3);
		csvw_f(w, steal, 3);
		csvw_f(w, tick, 3);
		if ((rc = csvw_end_row(w)))
			goto out;
		(*rows)++;
	}
out:
	free(t);
	free(delay_ns);
	free(steal_ns);
	return rc;
}

int rates_write(const char *vcpu_csv, const char *rates_csv, int window,
		struct rates_info *info)
{
	static const char *const cols[] = { "t_ns", "vcpu", "host_delay_pct", "guest_steal_pct",
					    "guest_tick_steal_pct" };
	struct rates_info scratch;
	struct vcpu_sample *s;
	struct csvw *w;
	size_t n, rows = 0, first, end;
	int rc = 0;

	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	if (window < 1)
		return log_err(-EINVAL, "%s: a rate window of %d sample intervals", vcpu_csv,
			       window);
	rc = load_vcpu_samples(vcpu_csv, &s, &n);
	if (rc)
		return rc;
	w = csvw_open(rates_csv, cols, sizeof(cols) / sizeof(cols[0]));
	if (!w) {
		free(s);
		return -errno;
	}
	for (first = 0; first < n && !rc; first = end) {
		struct rates_vcpu *rv;

		for (end = first + 1; end < n && s[end].vcpu == s[first].vcpu; end++)
			;
		if (end - first < 2)
			continue;              /* one sample: no interval */
		rv = rates_vcpu_of(info, s[first].vcpu);
		if (!rv)
			rc = log_err(-EINVAL, "%s: more than %d vCPUs", vcpu_csv, RATES_MAX_VCPUS);
		else
			rc = write_vcpu_rates(w, s + first, end - first, window, rv, &rows);
	}
	free(s);
	if (!rc && rows == 0)
		rc = log_err(-EINVAL, "%s: no vCPU has two samples at different times: "
			     "no rate to derive", vcpu_csv);
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}
