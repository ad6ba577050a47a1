/*
 * resplot: see resplot.h. Three independent figures per results directory,
 * each read -> derive -> render: the progress figure straight from
 * progress.csv (plots/progress.c), the steal figure from rates.csv, which is
 * derived here from vcpu.csv (plots/timeseries.c), and the policy chart from
 * the mean/sd rows of summary.csv (plots/policies.c). The plots modules never
 * see a results directory; this file never writes a gnuplot command.
 */
#include "experiments/resplot.h"
#include "experiments/spec.h"
#include "experiments/summary.h"
#include "common/csvio.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/parse.h"
#include "experiments/reportdata.h"
#include "plots/gnuplot.h"
#include "plots/policies.h"
#include "plots/progress.h"
#include "plots/timeseries.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Titles longer than this drop the policy description (one line at 1000 px). */
#define TITLE_MAX 110

/* The steal figure draws at most this many vCPUs (two lines each). */
#define STEAL_MAX_VCPUS 64

/* ---- small helpers ----------------------------------------------------------- */

static int path_fmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "path too long: %s...", buf);
	return 0;
}

/* Like csv_table_i64(), but the message names the file. */
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

/* A finite number, or NaN for an empty cell (how our CSVs write "unknown"). */
static int cell_f(const char *path, const struct csv_table *t, size_t row, int col,
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

static int need_col(const char *path, const struct csv_table *t, const char *name)
{
	int c = csv_table_col(t, name);

	if (c < 0)
		return log_err(-EINVAL, "%s: missing column '%s'", path, name);
	return c;
}

/* "name, policy p: what (description)", the description only if it fits. */
static void make_title(char *buf, size_t len, const struct spec_set *set, const char *policy,
		       const char *desc, const char *what)
{
	size_t n;

	if (set->n_policies)
		snprintf(buf, len, "%s, policy %s: %s", set->base.name, policy, what);
	else
		snprintf(buf, len, "%s: %s", set->base.name, what);
	n = strlen(buf);
	if (desc && *desc && n + strlen(desc) + 3 <= TITLE_MAX && n + strlen(desc) + 4 <= len)
		snprintf(buf + n, len - n, " (%s)", desc);
}

/* ---- rates: derive -------------------------------------------------------------- */

double resplot_rate_pct(int64_t t0_ns, double v0_ns, int64_t t1_ns, double v1_ns)
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

/* What rates.csv holds per vCPU, for choosing the lines to draw. */
struct rates_vcpu {
	int64_t vcpu;
	int has_delay;                 /* some interval has a host run delay rate */
	int has_steal;                 /* some interval has a guest steal rate */
	int has_tick;                  /* some interval has a guest tick-steal share */
};

struct rates_info {
	struct rates_vcpu v[STEAL_MAX_VCPUS];
	size_t n;
};

static int sample_cmp(const void *a, const void *b)
{
	const struct vcpu_sample *x = a, *y = b;

	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

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
	if ((rc = c_t = need_col(path, &t, "t_ns")) < 0 ||
	    (rc = c_v = need_col(path, &t, "vcpu")) < 0 ||
	    (rc = c_d = need_col(path, &t, "host_delay_ns")) < 0 ||
	    (rc = c_s = need_col(path, &t, "guest_steal_ns")) < 0)
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
		    (rc = cell_f(path, &t, r, c_d, &s[r].delay_ns)) ||
		    (rc = cell_f(path, &t, r, c_s, &s[r].steal_ns)))
			goto out;
		s[r].tick_all = 0;
		for (int k = 0; k < 4; k++) {
			double v = NAN;

			if (c_tick[k] >= 0 && (rc = cell_f(path, &t, r, c_tick[k], &v)))
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
		if (info->n == STEAL_MAX_VCPUS)
			return NULL;
		info->v[info->n].vcpu = vcpu;
		info->n++;
	}
	return &info->v[info->n - 1];
}

/*
 * The rows of one vCPU's samples @s[0..@n), sorted by time: the rate over
 * each run of @window intervals (fewer when the vCPU has fewer), sliding
 * one sample at a time. Adds the rows written to *@rows.
 */
static int write_vcpu_rates(struct csvw *w, const struct vcpu_sample *s, size_t n, int window,
			    struct rates_vcpu *rv, size_t *rows)
{
	size_t k = (size_t)window < n - 1 ? (size_t)window : n - 1;
	int rc;

	for (size_t i = k; i < n; i++) {
		const struct vcpu_sample *a = &s[i - k], *b = &s[i];
		double delay, steal, ticks, tick = NAN;

		/* A repeated timestamp: no interval to take a rate over. */
		if (b->t_ns <= a->t_ns)
			continue;
		delay = resplot_rate_pct(a->t_ns, a->delay_ns, b->t_ns, b->delay_ns);
		steal = resplot_rate_pct(a->t_ns, a->steal_ns, b->t_ns, b->steal_ns);
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
			return rc;
		(*rows)++;
	}
	return 0;
}

static int write_rates(const char *vcpu_csv, const char *rates_csv, int window,
		       struct rates_info *info)
{
	static const char *const cols[] = { "t_ns", "vcpu", "host_delay_pct", "guest_steal_pct",
					    "guest_tick_steal_pct" };
	struct vcpu_sample *s;
	struct csvw *w;
	size_t n, rows = 0, first, end;
	int rc = 0;

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
			rc = log_err(-EINVAL, "%s: more than %d vCPUs", vcpu_csv, STEAL_MAX_VCPUS);
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

int resplot_write_rates(const char *vcpu_csv, const char *rates_csv, int window)
{
	struct rates_info info;

	return write_rates(vcpu_csv, rates_csv, window, &info);
}

/* ---- one policy: progress and steal ---------------------------------------------- */

struct policy_ref {
	const char *name;
	const char *description;
	const struct spec *spec;
};

static int window_cmp(const void *a, const void *b)
{
	const struct gnuplot_window *x = a, *y = b;

	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/*
 * The policy's contention windows, overlapping ones merged (two hogs at
 * once are one shaded span, not a darker double shade). Returns the count.
 */
static size_t spec_windows(const struct spec *sp, struct gnuplot_window w[SPEC_MAX_CONTENTION])
{
	size_t n = 0, k = 0;

	for (int i = 0; i < sp->n_contention && i < SPEC_MAX_CONTENTION; i++) {
		w[n].start_ns = sp->contention[i].start_ns;
		w[n].end_ns = sp->contention[i].end_ns;
		n++;
	}
	qsort(w, n, sizeof(*w), window_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && w[i].start_ns <= w[k - 1].end_ns) {
			if (w[i].end_ns > w[k - 1].end_ns)
				w[k - 1].end_ns = w[i].end_ns;
			continue;
		}
		w[k++] = w[i];
	}
	return k;
}

static int plot_policy_progress(const char *dir, const struct spec_set *set,
				const struct policy_ref *pol, int *drawn)
{
	struct gnuplot_window win[SPEC_MAX_CONTENTION];
	char csv[PATH_MAX], base[PATH_MAX], title[256];
	struct plot_progress_opts o;
	int rc;

	/* inf-loop and idle guests finish no work units: nothing to draw. */
	if (pol->spec->workload != SPEC_WORKLOAD_SCHED) {
		log_debug("%s: workload %s: no progress figure", pol->name,
			  spec_workload_name(pol->spec->workload));
		return 0;
	}
	if ((rc = path_fmt(csv, sizeof(csv), "%s/%s/rep-1/progress.csv", dir, pol->name)) ||
	    (rc = path_fmt(base, sizeof(base), "%s/progress-%s", dir, pol->name)))
		return rc;
	make_title(title, sizeof(title), set, pol->name, pol->description, "progress per task");
	memset(&o, 0, sizeof(o));
	o.in_csv = csv;
	o.out_base = base;
	o.title = title;
	o.windows = win;
	o.nwindows = spec_windows(pol->spec, win);
	rc = plot_progress(&o);
	if (!rc)
		(*drawn)++;
	return rc;
}

/*
 * Nonzero when meta.json says the guest's steal is unavailable (a TCG guest
 * of the libvirt backend): the steal figure then says so in its title
 * rather than leave the reader to wonder where the guest line went.
 */
static int guest_steal_unavailable(const char *dir)
{
	struct jsonget_doc doc;
	char path[PATH_MAX], why[8];
	struct stat st;
	int rc;

	if (path_fmt(path, sizeof(path), "%s/meta.json", dir) || stat(path, &st) != 0 ||
	    jsonget_load(path, &doc))
		return 0;
	rc = jsonget_str(&doc, "libvirt.guest_steal", why, sizeof(why));
	jsonget_free(&doc);
	return rc == 0 || rc == -ERANGE;
}

static int plot_policy_steal(const char *dir, const struct spec_set *set,
			     const struct policy_ref *pol, int *drawn)
{
	struct gnuplot_window win[SPEC_MAX_CONTENTION];
	struct plot_series ser[3 * STEAL_MAX_VCPUS];
	char vals[STEAL_MAX_VCPUS][24], labels[3 * STEAL_MAX_VCPUS][72];
	char vcpu_csv[PATH_MAX], rates[PATH_MAX], base[PATH_MAX], title[256];
	char span[DURATION_FMT_LEN], ylabel[96];
	int window = resplot_rate_window(pol->spec->sample_interval_ns), rc;
	struct plot_timeseries_opts o;
	struct rates_info *info;
	size_t ns = 0;

	if ((rc = path_fmt(vcpu_csv, sizeof(vcpu_csv), "%s/%s/rep-1/vcpu.csv", dir, pol->name)) ||
	    (rc = path_fmt(rates, sizeof(rates), "%s/%s/rep-1/" RESPLOT_RATES_CSV, dir,
			   pol->name)) ||
	    (rc = path_fmt(base, sizeof(base), "%s/steal-%s", dir, pol->name)))
		return rc;
	info = malloc(sizeof(*info));
	if (!info)
		return log_err(-ENOMEM, "%s: out of memory", vcpu_csv);
	rc = write_rates(vcpu_csv, rates, window, info);
	if (rc)
		goto out;

	memset(ser, 0, sizeof(ser));
	for (size_t i = 0; i < info->n; i++) {
		const struct rates_vcpu *rv = &info->v[i];
		/* One vCPU: say what each line is; several: which vCPU it is. */
		static const char *const what[3] = { "host: run delay of the vCPU thread",
						     "guest: steal time it was told",
						     "guest: steal by its tick accounting" };
		static const char *const short_what[3] = { "host run delay", "guest steal",
							   "guest tick steal" };
		static const char *const col[3] = { "host_delay_pct", "guest_steal_pct",
						    "guest_tick_steal_pct" };
		int has[3] = { rv->has_delay, rv->has_steal, rv->has_tick };

		snprintf(vals[i], sizeof(vals[i]), "%" PRId64, rv->vcpu);
		for (int k = 0; k < 3; k++) {
			if (!has[k])
				continue;
			if (info->n == 1)
				snprintf(labels[ns], sizeof(labels[ns]), "%.40s", what[k]);
			else
				snprintf(labels[ns], sizeof(labels[ns]), "vCPU %" PRId64 ": %.40s",
					 rv->vcpu, short_what[k]);
			ser[ns].csv_path = rates;
			ser[ns].y_col = col[k];
			ser[ns].label = labels[ns];
			ser[ns].filter_col = "vcpu";
			ser[ns].filter_val = vals[i];
			ns++;
		}
	}
	if (ns == 0) {
		rc = log_err(-EINVAL, "%s: host_delay_ns and guest_steal_ns are empty in every "
			     "row: nothing to draw", vcpu_csv);
		goto out;
	}
	make_title(title, sizeof(title), set, pol->name, pol->description,
		   guest_steal_unavailable(dir) ?
		   "host run delay per vCPU; guest steal unavailable (TCG: no steal clock)" :
		   "steal per vCPU, host and guest view");
	memset(&o, 0, sizeof(o));
	o.series = ser;
	o.nseries = ns;
	o.out_base = base;
	o.title = title;
	/* The rates are windowed (resplot.h): the axis says over how long. */
	duration_format(window * pol->spec->sample_interval_ns, span, sizeof(span));
	snprintf(ylabel, sizeof(ylabel), "%% of wall time, sliding %s window (%d sample%s)",
		 span, window, window == 1 ? "" : "s");
	o.ylabel = ylabel;
	/* From 0 and at least to 10 %: a 0.2 % wobble must not fill the figure. */
	o.y_from_zero = 1;
	o.y_top_min = 10.0;
	o.windows = win;
	o.nwindows = spec_windows(pol->spec, win);
	rc = plot_timeseries(&o);
	if (!rc)
		(*drawn)++;
out:
	free(info);
	return rc;
}

/* ---- the comparison: summary.csv -> policies chart --------------------------------- */

enum { CM_FRAC, CM_UPS, CM_DELAY, CM_STEAL, CM_N };

static const enum summary_metric chart_metrics[CM_N] = {
	[CM_FRAC] = SM_WORK_RATE_FRAC,
	[CM_UPS] = SM_WORK_RATE_UPS,
	[CM_DELAY] = SM_HOST_DELAY_PCT,
	[CM_STEAL] = SM_GUEST_STEAL_PCT,
};

struct summary_cols {
	int policy, phase, vcpu, rep;
	int metric[CM_N];
};

/* One policy as summary.csv has it. */
struct chart_policy {
	const char *name;
	const char *phase;             /* "contended" or "all" */
	double mean[CM_N], sd[CM_N];
	int nreps;
};

static int summary_columns(const char *path, const struct csv_table *t, struct summary_cols *c)
{
	if ((c->policy = need_col(path, t, "policy")) < 0)
		return c->policy;
	if ((c->phase = need_col(path, t, "phase")) < 0)
		return c->phase;
	if ((c->vcpu = need_col(path, t, "vcpu")) < 0)
		return c->vcpu;
	if ((c->rep = need_col(path, t, "rep")) < 0)
		return c->rep;
	for (int m = 0; m < CM_N; m++) {
		c->metric[m] = need_col(path, t, summary_metrics[chart_metrics[m]].name);
		if (c->metric[m] < 0)
			return c->metric[m];
	}
	return 0;
}

static int row_is(const struct csv_table *t, size_t r, int col, const char *want)
{
	return strcmp(csv_table_cell(t, r, (size_t)col), want) == 0;
}

/* A repetition's own row: rep is a number, not "mean", "sd", "min" or "max". */
static int row_is_rep(const struct csv_table *t, size_t r, int col)
{
	const char *s = csv_table_cell(t, r, (size_t)col);

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
	}
	return 1;
}

/* Does some row have this policy and phase (and vcpu, unless @vcpu is NULL)? */
static int have_rows(const struct csv_table *t, const struct summary_cols *c,
		     const char *policy, const char *phase, const char *vcpu)
{
	for (size_t r = 0; r < t->nrows; r++) {
		if (row_is(t, r, c->policy, policy) && row_is(t, r, c->phase, phase) &&
		    (!vcpu || row_is(t, r, c->vcpu, vcpu)))
			return 1;
	}
	return 0;
}

/*
 * One policy's figures: phase "contended" where it has one, else "all" (a
 * policy without contention has only that); the whole-VM row (vcpu "all")
 * where there is one, else vCPU 0; the "mean" and "sd" rows, and the count
 * of repetition rows. Returns 1 when filled, 0 when summary.csv has nothing
 * on the policy (it was not run), or a negative errno (logged).
 */
static int summary_policy(const char *path, const struct csv_table *t,
			  const struct summary_cols *c, const char *policy,
			  struct chart_policy *out)
{
	const char *vcpu;
	int have_mean = 0, rc;

	memset(out, 0, sizeof(*out));
	out->name = policy;
	for (int m = 0; m < CM_N; m++)
		out->mean[m] = out->sd[m] = NAN;
	if (have_rows(t, c, policy, "contended", NULL))
		out->phase = "contended";
	else if (have_rows(t, c, policy, "all", NULL))
		out->phase = "all";
	else
		return 0;
	if (have_rows(t, c, policy, out->phase, "all"))
		vcpu = "all";
	else if (have_rows(t, c, policy, out->phase, "0"))
		vcpu = "0";
	else
		return log_err(-EINVAL, "%s: policy %s, phase %s: no row for vcpu 'all' or 0",
			       path, policy, out->phase);

	for (size_t r = 0; r < t->nrows; r++) {
		double *dst;

		if (!row_is(t, r, c->policy, policy) || !row_is(t, r, c->phase, out->phase) ||
		    !row_is(t, r, c->vcpu, vcpu))
			continue;
		if (row_is_rep(t, r, c->rep)) {
			out->nreps++;
			continue;
		}
		if (row_is(t, r, c->rep, "mean")) {
			dst = out->mean;
			have_mean = 1;
		} else if (row_is(t, r, c->rep, "sd")) {
			dst = out->sd;
		} else {
			continue;              /* min, max */
		}
		for (int m = 0; m < CM_N; m++) {
			rc = cell_f(path, t, r, c->metric[m], &dst[m]);
			if (rc)
				return rc;
		}
	}
	if (!have_mean)
		return log_err(-EINVAL, "%s: policy %s, phase %s, vcpu %s: no 'mean' row", path,
			       policy, out->phase, vcpu);
	return 1;
}

/*
 * Work as a fraction of baseline when every policy that has a work rate
 * also has its fraction (one scale for all bars), else in units/s.
 */
static enum plot_work_unit chart_work_unit(const struct chart_policy *cp, size_t n)
{
	int any_frac = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isnan(cp[i].mean[CM_UPS]) && isnan(cp[i].mean[CM_FRAC]))
			return PLOT_WORK_UPS;
		any_frac |= !isnan(cp[i].mean[CM_FRAC]);
	}
	return any_frac ? PLOT_WORK_FRAC : PLOT_WORK_UPS;
}

/* The chart of the policies that ran; @skipped[i] marks the i-th one the run skipped. */
static int plot_comparison(const char *dir, const struct spec_set *set,
			   const unsigned char *skipped, int *drawn)
{
	struct chart_policy *cp = NULL;
	struct plot_policy_row *rows = NULL;
	struct plot_policies_opts o;
	struct summary_cols cols;
	struct csv_table t;
	char path[PATH_MAX], base[PATH_MAX], title[256];
	size_t n = 0;
	int rc, contended = 0, whole = 0;

	if ((rc = path_fmt(path, sizeof(path), "%s/summary.csv", dir)) ||
	    (rc = path_fmt(base, sizeof(base), "%s/policies", dir)))
		return rc;
	rc = csv_table_load(path, &t);
	if (rc)
		return rc;
	rc = summary_columns(path, &t, &cols);
	if (rc)
		goto out;
	cp = calloc(set->n_policies, sizeof(*cp));
	rows = calloc(set->n_policies, sizeof(*rows));
	if (!cp || !rows) {
		rc = log_err(-ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (size_t i = 0; i < set->n_policies; i++) {
		if (skipped[i])
			continue;              /* said once, in results_plot_all() */
		rc = summary_policy(path, &t, &cols, set->policies[i].name, &cp[n]);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			log_warn("%s: no rows for policy %s (not run?): left out of the chart",
				 path, set->policies[i].name);
			continue;
		}
		contended |= strcmp(cp[n].phase, "contended") == 0;
		whole |= strcmp(cp[n].phase, "all") == 0;
		n++;
	}
	if (n == 0) {
		rc = log_err(-EINVAL, "%s: no rows for any policy of the spec", path);
		goto out;
	}

	memset(&o, 0, sizeof(o));
	o.work_unit = chart_work_unit(cp, n);
	for (size_t i = 0; i < n; i++) {
		int w = o.work_unit == PLOT_WORK_FRAC ? CM_FRAC : CM_UPS;

		rows[i].name = cp[i].name;
		/* Mixed phases: say which bars cover the whole run, without a hog. */
		rows[i].note = contended && strcmp(cp[i].phase, "all") == 0 ? "no hog" : NULL;
		rows[i].work_mean = cp[i].mean[w];
		rows[i].work_sd = cp[i].sd[w];
		rows[i].delay_mean_pct = cp[i].mean[CM_DELAY];
		rows[i].delay_sd_pct = cp[i].sd[CM_DELAY];
		rows[i].steal_mean_pct = cp[i].mean[CM_STEAL];
		rows[i].steal_sd_pct = cp[i].sd[CM_STEAL];
		rows[i].nreps = cp[i].nreps;
	}
	if (contended && whole)
		snprintf(title, sizeof(title), "%s: policies compared over the contended phase "
			 "([no hog]: whole run)", set->base.name);
	else if (contended)
		snprintf(title, sizeof(title), "%s: policies compared over the contended phase",
			 set->base.name);
	else
		snprintf(title, sizeof(title), "%s: policies compared over the whole run",
			 set->base.name);
	o.rows = rows;
	o.nrows = n;
	o.out_base = base;
	o.title = title;
	rc = plot_policies(&o);
	if (!rc)
		(*drawn)++;
out:
	free(rows);
	free(cp);
	csv_table_free(&t);
	return rc;
}

/* ---- everything ----------------------------------------------------------------------- */

/* Keep the first error; a missing gnuplot ends the whole job. */
static int keep_first(int *first, int rc)
{
	if (rc && !*first)
		*first = rc;
	return rc == GNUPLOT_EMISSING;
}

/*
 * Is the policy @name one to draw? 1 yes; 0 no, said why (skipped by the
 * run, or never run), with *@skipped set for a skipped one; or -errno.
 */
static int policy_ran(const char *dir, const char *name, unsigned char *skipped)
{
	char path[PATH_MAX], *reason;
	struct stat st;
	int rc;

	rc = reportdata_skipped(dir, name, &reason);
	if (rc < 0)
		return rc;
	if (rc) {
		log_info("policy %s was skipped by the run (%s): no plots", name,
			 reason[0] ? reason : "no reason recorded");
		free(reason);
		*skipped = 1;
		return 0;
	}
	if ((rc = path_fmt(path, sizeof(path), "%s/%s", dir, name)))
		return rc;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_warn("%s: no results for policy %s (skipped by the run?): no plots", path,
			 name);
		return 0;
	}
	return 1;
}

int results_plot_all(const char *dir)
{
	char exe[PATH_MAX], path[PATH_MAX];
	struct spec_set set;
	struct policy_ref *pols;
	unsigned char *skipped;
	size_t npols, ran = 0, nskipped = 0;
	int rc, first = 0, drawn = 0;
	struct stat st;

	/* Once, up front: the install hint, not one failure per figure. */
	rc = gnuplot_find(exe, sizeof(exe));
	if (rc)
		return rc;
	if ((rc = path_fmt(path, sizeof(path), "%s/spec.ini", dir)))
		return rc;
	if (stat(path, &st) != 0)
		return log_err(-errno, "%s: %s (not a results directory?)", path, strerror(errno));
	rc = spec_load(path, &set);
	if (rc)
		return rc;

	npols = set.n_policies ? set.n_policies : 1;
	pols = calloc(npols, sizeof(*pols));
	skipped = calloc(npols, sizeof(*skipped));
	if (!pols || !skipped) {
		free(pols);
		free(skipped);
		spec_free(&set);
		return log_err(-ENOMEM, "%s: out of memory", dir);
	}
	if (set.n_policies == 0) {
		/* A spec without [policy] sections runs one policy named "default". */
		pols[0] = (struct policy_ref){ "default", set.base.description, &set.base };
	}
	for (size_t i = 0; i < set.n_policies; i++)
		pols[i] = (struct policy_ref){ set.policies[i].name, set.policies[i].description,
					       &set.policies[i].spec };

	for (size_t i = 0; i < npols; i++) {
		rc = policy_ran(dir, pols[i].name, &skipped[i]);
		nskipped += skipped[i];
		if (rc <= 0) {
			keep_first(&first, rc);
			continue;
		}
		ran++;
		if (keep_first(&first, plot_policy_progress(dir, &set, &pols[i], &drawn)) ||
		    keep_first(&first, plot_policy_steal(dir, &set, &pols[i], &drawn)))
			goto out;
	}
	if (ran == 0 && nskipped == npols) {
		log_info("%s: every policy was skipped by the run: nothing to plot", dir);
		goto out;
	}
	if (ran == 0) {
		keep_first(&first, log_err(-ENOENT, "%s: no policy has a results directory: "
					   "nothing to plot", dir));
		goto out;
	}
	if (set.n_policies > 1)
		keep_first(&first, plot_comparison(dir, &set, skipped, &drawn));
out:
	if (drawn)
		log_info("%s: drew %d plot%s (PNG and SVG)", dir, drawn, drawn == 1 ? "" : "s");
	free(skipped);
	free(pols);
	spec_free(&set);
	return first;
}
