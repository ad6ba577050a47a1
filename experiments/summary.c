/*
 * summary: see summary.h. Derives the per-phase figures of one vCPU from the
 * arrays the runner collected, aggregates repetitions, and renders rows.
 *
 * The derivation half is pure (its only allocation is the scratch copy of a
 * phase's gaps for the percentile) and never reads a file; the renderers
 * write only to the writer or stream they are given. Missing data is NaN all
 * the way through: a NaN is never turned into 0 on the way, because a 0%
 * steal is a claim and "-" is not.
 */
#include "experiments/summary.h"

#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000.0
#define NS_PER_MS 1000000.0

/* ---- stamps and gaps ---------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void summary_sort_ns(int64_t *t_ns, size_t n)
{
	if (n > 1)
		qsort(t_ns, n, sizeof(*t_ns), cmp_i64);
}

size_t summary_vcpu_stamps(const int64_t *t_ns, const int *vcpu, size_t n, int want,
			   int64_t *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!vcpu || vcpu[i] == want)
			out[k++] = t_ns[i];
	summary_sort_ns(out, k);
	return k;
}

/* First index whose time is >= @at (n if none); @t ascending. */
static size_t lower_bound(const int64_t *t, size_t n, int64_t at)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First index whose time is > @at (n if none). */
static size_t upper_bound(const int64_t *t, size_t n, int64_t at)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int check_ascending(const int64_t *t, size_t n, const char *what)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (t[i] < t[i - 1])
			return log_err(-EINVAL, "%s not in time order at index %zu (%" PRId64
				       " ns after %" PRId64 " ns)", what, i, t[i], t[i - 1]);
	return 0;
}

static void gap_stats_empty(struct gap_stats *out)
{
	out->count = 0;
	out->longest_ns = 0;
	out->p99_ns = 0;
	out->mean_ns = NAN;
}

int summary_gaps(const int64_t *t_ns, size_t n, int64_t from_ns, int64_t to_ns,
		 struct gap_stats *out)
{
	size_t first, last, i, m, rank;
	int64_t *gaps;
	double sum = 0;
	int ret;

	gap_stats_empty(out);
	ret = check_ascending(t_ns, n, "progress stamps");
	if (ret)
		return ret;
	if (to_ns <= from_ns || n < 2)
		return 0;
	/* gaps ending at stamps [first, last): the later stamp inside the window */
	first = lower_bound(t_ns, n, from_ns);
	if (first == 0)
		first = 1;
	last = lower_bound(t_ns, n, to_ns);
	if (last <= first)
		return 0;
	m = last - first;
	gaps = malloc(m * sizeof(*gaps));
	if (!gaps)
		return log_err(-ENOMEM, "summary: %zu gaps", m);
	for (i = 0; i < m; i++) {
		gaps[i] = t_ns[first + i] - t_ns[first + i - 1];
		sum += (double)gaps[i];
	}
	summary_sort_ns(gaps, m);
	/* nearest rank: ceil(99 m / 100), 1-based */
	rank = (99 * m + 99) / 100;
	out->count = m;
	out->longest_ns = gaps[m - 1];
	out->p99_ns = gaps[rank - 1];
	out->mean_ns = sum / (double)m;
	free(gaps);
	return 0;
}

/* ---- counters ---------------------------------------------------------------------- */

double summary_counter_at(const int64_t *t_ns, const double *v, size_t n, int64_t at_ns)
{
	size_t hi;
	double frac;

	if (!t_ns || !v || n == 0)
		return NAN;
	if (at_ns <= t_ns[0])
		return v[0];
	if (at_ns >= t_ns[n - 1])
		return v[n - 1];
	/* t[hi - 1] <= at < t[hi], so the interval has a nonzero length */
	hi = upper_bound(t_ns, n, at_ns);
	frac = (double)(at_ns - t_ns[hi - 1]) / (double)(t_ns[hi] - t_ns[hi - 1]);
	return v[hi - 1] + (v[hi] - v[hi - 1]) * frac;
}

/* An interval's increase; a counter that went backwards adds nothing. */
static double rise(double from, double to)
{
	double d = to - from;

	if (isnan(d))
		return NAN;
	return d > 0 ? d : 0;
}

double summary_counter_delta(const int64_t *t_ns, const double *v, size_t n,
			     int64_t from_ns, int64_t to_ns)
{
	double prev, sum = 0;
	size_t i;

	if (!t_ns || !v || n == 0 || to_ns < from_ns)
		return NAN;
	prev = summary_counter_at(t_ns, v, n, from_ns);
	if (isnan(prev))
		return NAN;
	for (i = upper_bound(t_ns, n, from_ns); i < n && t_ns[i] < to_ns; i++) {
		sum += rise(prev, v[i]);
		prev = v[i];
	}
	sum += rise(prev, summary_counter_at(t_ns, v, n, to_ns));
	return sum;
}

size_t summary_sum_cpus(const struct procstat_sample *s, const int *cpus, size_t ncpus,
			struct procstat_cpu *out)
{
	size_t i, found = 0;
	int f;

	memset(out, 0, sizeof(*out));
	out->cpu = PROCSTAT_CPU_ALL;
	for (i = 0; i < ncpus; i++) {
		const struct procstat_cpu *c = procstat_find_cpu(s, cpus[i]);

		if (!c)
			continue;
		for (f = 0; f < PS_NFIELDS; f++)
			out->ticks[f] += c->ticks[f];
		if (found == 0 || c->nfields < out->nfields)
			out->nfields = c->nfields;
		found++;
	}
	return found;
}

/* ---- one phase ------------------------------------------------------------------------ */

static void phase_summary_nan(struct phase_summary *s)
{
	s->units_done = NAN;
	s->work_rate_ups = NAN;
	s->work_rate_frac_of_baseline = NAN;
	s->completion_ns = NAN;
	s->longest_stall_ns = NAN;
	s->p99_gap_ns = NAN;
	s->guest_steal_pct = NAN;
	s->guest_tick_steal_pct = NAN;
	s->host_delay_pct = NAN;
	s->steal_diff_pct = NAN;
	s->host_usr_pct = NAN;
	s->host_sys_pct = NAN;
	s->host_steal_pct = NAN;
}

static void phase_work(const struct summary_input *in, int64_t start_ns, int64_t end_ns,
		       double wall_ns, struct phase_summary *out)
{
	const int64_t *t = in->stamp_t_ns;
	size_t n = t ? in->nstamps : 0;
	size_t a = lower_bound(t, n, start_ns), b = lower_bound(t, n, end_ns);

	out->units_done = (double)(b - a);
	if (wall_ns <= 0)
		return;
	out->work_rate_ups = out->units_done / (wall_ns / NS_PER_SEC);
	if (in->baseline_ups > 0)
		out->work_rate_frac_of_baseline = out->work_rate_ups / in->baseline_ups;
	/* the vCPU's very last stamp is its completion, reported in its phase */
	if (in->finite_units && n > 0 && t[n - 1] >= start_ns && t[n - 1] < end_ns)
		out->completion_ns = (double)t[n - 1];
}

static double pct_of(double part, double whole)
{
	if (isnan(part) || isnan(whole) || whole <= 0)
		return NAN;
	return 100.0 * part / whole;
}

static void phase_guest(const struct summary_vcpu_series *s, int64_t start_ns,
			int64_t end_ns, double wall_ns, struct phase_summary *out)
{
	const double *ticks[4] = { s->user_ticks, s->system_ticks, s->idle_ticks,
				   s->steal_ticks };
	double total = 0, steal = NAN;
	int i;

	out->guest_steal_pct = pct_of(summary_counter_delta(s->t_ns, s->guest_steal_ns, s->n,
							     start_ns, end_ns), wall_ns);
	out->host_delay_pct = pct_of(summary_counter_delta(s->t_ns, s->host_delay_ns, s->n,
							    start_ns, end_ns), wall_ns);
	out->steal_diff_pct = out->guest_steal_pct - out->host_delay_pct;

	for (i = 0; i < 4; i++) {
		double d = s->tick_t_ns ?
			summary_counter_delta(s->tick_t_ns, ticks[i], s->tick_n, start_ns, end_ns) :
			summary_counter_delta(s->t_ns, ticks[i], s->n, start_ns, end_ns);

		total += d;
		if (i == 3)
			steal = d;
	}
	out->guest_tick_steal_pct = pct_of(steal, total);
}

static void phase_host(const struct summary_host_series *h, int64_t start_ns,
		       int64_t end_ns, struct phase_summary *out)
{
	struct cpupct p;
	size_t a, b;

	if (!h->t_ns || !h->cpu || h->n < 2)
		return;
	a = lower_bound(h->t_ns, h->n, start_ns);
	b = upper_bound(h->t_ns, h->n, end_ns);
	if (b < a + 2 || h->t_ns[b - 1] <= h->t_ns[a])
		return;
	procstat_derive(&h->cpu[a], &h->cpu[b - 1], &p);
	if (p.total_ticks == 0)
		return;
	out->host_usr_pct = p.pct[CP_USR];
	out->host_sys_pct = p.pct[CP_SYS];
	out->host_steal_pct = p.pct[CP_STEAL];
}

int summary_phase(const struct summary_input *in, int64_t start_ns, int64_t end_ns,
		  struct phase_summary *out)
{
	struct gap_stats g;
	double wall_ns;
	int ret;

	phase_summary_nan(out);
	if (end_ns < start_ns)
		return log_err(-EINVAL, "summary: phase ends (%" PRId64 " ns) before it starts (%"
			       PRId64 " ns)", end_ns, start_ns);
	ret = summary_gaps(in->stamp_t_ns, in->stamp_t_ns ? in->nstamps : 0, start_ns,
			   end_ns, &g);
	if (ret)
		return ret;
	ret = check_ascending(in->vcpu.t_ns, in->vcpu.t_ns ? in->vcpu.n : 0, "vCPU samples");
	if (!ret)
		ret = check_ascending(in->vcpu.tick_t_ns, in->vcpu.tick_t_ns ? in->vcpu.tick_n : 0,
				      "guest tick samples");
	if (!ret)
		ret = check_ascending(in->host.t_ns, in->host.t_ns ? in->host.n : 0,
				      "host samples");
	if (ret)
		return ret;

	wall_ns = (double)(end_ns - start_ns);
	phase_work(in, start_ns, end_ns, wall_ns, out);
	if (g.count > 0) {
		out->longest_stall_ns = (double)g.longest_ns;
		out->p99_gap_ns = (double)g.p99_ns;
	}
	if (wall_ns <= 0)
		return 0;
	phase_guest(&in->vcpu, start_ns, end_ns, wall_ns, out);
	phase_host(&in->host, start_ns, end_ns, out);
	return 0;
}

/* ---- metrics and repetitions -------------------------------------------------------- */

#define METRIC(field, dec) { #field, dec, offsetof(struct phase_summary, field) }

const struct summary_metric_info summary_metrics[SUMMARY_NMETRICS] = {
	[SM_UNITS_DONE] = METRIC(units_done, 1),
	[SM_WORK_RATE_UPS] = METRIC(work_rate_ups, 3),
	[SM_WORK_RATE_FRAC] = METRIC(work_rate_frac_of_baseline, 4),
	[SM_COMPLETION_NS] = METRIC(completion_ns, 0),
	[SM_LONGEST_STALL_NS] = METRIC(longest_stall_ns, 0),
	[SM_P99_GAP_NS] = METRIC(p99_gap_ns, 0),
	[SM_GUEST_STEAL_PCT] = METRIC(guest_steal_pct, 3),
	[SM_GUEST_TICK_STEAL_PCT] = METRIC(guest_tick_steal_pct, 3),
	[SM_HOST_DELAY_PCT] = METRIC(host_delay_pct, 3),
	[SM_STEAL_DIFF_PCT] = METRIC(steal_diff_pct, 3),
	[SM_HOST_USR_PCT] = METRIC(host_usr_pct, 3),
	[SM_HOST_SYS_PCT] = METRIC(host_sys_pct, 3),
	[SM_HOST_STEAL_PCT] = METRIC(host_steal_pct, 3),
};

double summary_metric(const struct phase_summary *s, enum summary_metric m)
{
	double v;

	memcpy(&v, (const char *)s + summary_metrics[m].offset, sizeof(v));
	return v;
}

static void set_metric(struct phase_summary *s, enum summary_metric m, double v)
{
	memcpy((char *)s + summary_metrics[m].offset, &v, sizeof(v));
}

/* Spread of @n doubles found @stride bytes apart from @first (two passes:
 * the mean first, then squared deviations, which keeps sd accurate when
 * the values are large and close together, as ns counts are). */
static void spread_strided(const char *first, size_t n, size_t stride, struct stat_spread *out)
{
	double sum = 0, sq = 0, v;
	size_t i;
	int k = 0;

	out->mean = out->sd = out->min = out->max = NAN;
	for (i = 0; i < n; i++) {
		memcpy(&v, first + i * stride, sizeof(v));
		if (isnan(v))
			continue;
		if (k == 0 || v < out->min)
			out->min = v;
		if (k == 0 || v > out->max)
			out->max = v;
		sum += v;
		k++;
	}
	out->n = k;
	if (k == 0)
		return;
	out->mean = sum / k;
	if (k < 2)
		return;
	for (i = 0; i < n; i++) {
		memcpy(&v, first + i * stride, sizeof(v));
		if (!isnan(v))
			sq += (v - out->mean) * (v - out->mean);
	}
	out->sd = sqrt(sq / (k - 1));
}

void summary_spread(const double *v, size_t n, struct stat_spread *out)
{
	spread_strided((const char *)v, n, sizeof(*v), out);
}

void summary_aggregate(const struct phase_summary *reps, size_t nreps, struct phase_spread *out)
{
	int m;

	out->nreps = (int)nreps;
	for (m = 0; m < SUMMARY_NMETRICS; m++)
		spread_strided((const char *)reps + summary_metrics[m].offset, nreps,
			       sizeof(*reps), &out->m[m]);
}

void summary_spread_means(const struct phase_spread *sp, struct phase_summary *out)
{
	int m;

	for (m = 0; m < SUMMARY_NMETRICS; m++)
		set_metric(out, m, sp->m[m].mean);
}

/* ---- CSV ------------------------------------------------------------------------------- */

#define CSV_KEY_COLS 4

struct csvw *summary_csv_open(const char *path)
{
	const char *cols[CSV_KEY_COLS + SUMMARY_NMETRICS] = { "policy", "phase", "vcpu", "rep" };
	int m;

	for (m = 0; m < SUMMARY_NMETRICS; m++)
		cols[CSV_KEY_COLS + m] = summary_metrics[m].name;
	return csvw_open(path, cols, CSV_KEY_COLS + SUMMARY_NMETRICS);
}

static int csv_key(struct csvw *w, const struct summary_key *k, const char *rep)
{
	csvw_str(w, k->policy ? k->policy : "");
	csvw_str(w, k->phase ? k->phase : "");
	if (k->vcpu == SUMMARY_VCPU_ALL)
		csvw_str(w, "all");
	else
		csvw_i64(w, k->vcpu);
	return csvw_str(w, rep);       /* errors are sticky: the last call reports them */
}

int summary_csv_rep(struct csvw *w, const struct summary_key *k, int rep,
		    const struct phase_summary *s)
{
	char buf[16];
	int m;

	snprintf(buf, sizeof(buf), "%d", rep);
	csv_key(w, k, buf);
	for (m = 0; m < SUMMARY_NMETRICS; m++)
		csvw_f(w, summary_metric(s, m), summary_metrics[m].decimals);
	return csvw_end_row(w);
}

int summary_csv_spread(struct csvw *w, const struct summary_key *k,
		       const struct phase_spread *sp)
{
	static const char *const rows[] = { "mean", "sd", "min", "max" };
	size_t r;
	int m, ret = 0;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]) && !ret; r++) {
		csv_key(w, k, rows[r]);
		for (m = 0; m < SUMMARY_NMETRICS; m++) {
			const struct stat_spread *st = &sp->m[m];
			double v = r == 0 ? st->mean : r == 1 ? st->sd : r == 2 ? st->min : st->max;

			csvw_f(w, v, summary_metrics[m].decimals);
		}
		ret = csvw_end_row(w);
	}
	return ret;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void json_key(struct jsonw *j, const struct summary_key *k)
{
	jsonw_kv_str(j, "policy", k->policy);
	jsonw_kv_str(j, "phase", k->phase);
	if (k->vcpu == SUMMARY_VCPU_ALL)
		jsonw_kv_str(j, "vcpu", "all");
	else
		jsonw_kv_i64(j, "vcpu", k->vcpu);
}

void summary_json_rep(struct jsonw *j, const struct summary_key *k, int rep,
		      const struct phase_summary *s)
{
	int m;

	jsonw_obj_begin(j);
	json_key(j, k);
	jsonw_kv_i64(j, "rep", rep);
	for (m = 0; m < SUMMARY_NMETRICS; m++)
		jsonw_kv_f(j, summary_metrics[m].name, summary_metric(s, m));
	jsonw_obj_end(j);
}

void summary_json_spread(struct jsonw *j, const struct summary_key *k,
			 const struct phase_spread *sp)
{
	int m;

	jsonw_obj_begin(j);
	json_key(j, k);
	jsonw_kv_i64(j, "reps", sp->nreps);
	for (m = 0; m < SUMMARY_NMETRICS; m++) {
		const struct stat_spread *st = &sp->m[m];

		jsonw_key(j, summary_metrics[m].name);
		jsonw_obj_begin(j);
		jsonw_kv_f(j, "mean", st->mean);
		jsonw_kv_f(j, "sd", st->sd);
		jsonw_kv_f(j, "min", st->min);
		jsonw_kv_f(j, "max", st->max);
		jsonw_kv_i64(j, "n", st->n);
		jsonw_obj_end(j);
	}
	jsonw_obj_end(j);
}

/* ---- text table --------------------------------------------------------------------------- */

/* policy, phase, vcpu, then eight right-aligned numeric columns */
#define TABLE_FMT "%-16s %-10s %4s %10s %6s %9s %8s %8s %8s %8s %8s\n"

static int table_done(FILE *fp)
{
	if (ferror(fp))
		return log_err(-EIO, "summary table: write error");
	return 0;
}

/* @v scaled by @scale with @decimals, or "-" for NaN. */
static const char *cell(char *buf, size_t len, double v, double scale, int decimals)
{
	if (isnan(v))
		return "-";
	snprintf(buf, len, "%.*f", decimals, v * scale);
	return buf;
}

int summary_table_header(FILE *fp)
{
	fprintf(fp, TABLE_FMT, "policy", "phase", "vcpu", "rate_u/s", "frac", "stall_ms",
		"p99_ms", "steal%", "tick%", "delay%", "diff");
	return table_done(fp);
}

int summary_table_row(FILE *fp, const struct summary_key *k, const struct phase_summary *s)
{
	char vcpu[16], c[8][32];

	if (k->vcpu == SUMMARY_VCPU_ALL)
		snprintf(vcpu, sizeof(vcpu), "all");
	else
		snprintf(vcpu, sizeof(vcpu), "%d", k->vcpu);
	fprintf(fp, TABLE_FMT, k->policy ? k->policy : "", k->phase ? k->phase : "", vcpu,
		cell(c[0], sizeof(c[0]), s->work_rate_ups, 1, 1),
		cell(c[1], sizeof(c[1]), s->work_rate_frac_of_baseline, 1, 3),
		cell(c[2], sizeof(c[2]), s->longest_stall_ns, 1 / NS_PER_MS, 2),
		cell(c[3], sizeof(c[3]), s->p99_gap_ns, 1 / NS_PER_MS, 2),
		cell(c[4], sizeof(c[4]), s->guest_steal_pct, 1, 1),
		cell(c[5], sizeof(c[5]), s->guest_tick_steal_pct, 1, 1),
		cell(c[6], sizeof(c[6]), s->host_delay_pct, 1, 1),
		cell(c[7], sizeof(c[7]), s->steal_diff_pct, 1, 1));
	return table_done(fp);
}

int summary_baseline_noisy(const char *phase, const struct phase_summary *s, double limit_pct)
{
	return !strcmp(phase, "baseline") && !isnan(s->host_delay_pct) &&
	       s->host_delay_pct > limit_pct;
}
