/*
 * resplot: see resplot.h. Three independent figures per results directory,
 * each read -> derive -> render: the progress figure straight from
 * progress.csv (plots/progress.c), the steal figure from rates.csv, which
 * experiments/rates.c derives from vcpu.csv (plots/timeseries.c), and the
 * policy chart from the mean/sd rows of summary.csv that
 * experiments/chartdata.c reads (plots/policies.c). This file only finds the
 * files, names the figures and hands them on: it parses no CSV and never
 * writes a gnuplot command, and the plots modules never see a results
 * directory.
 */
#include "experiments/resplot.h"
#include "experiments/chartdata.h"
#include "experiments/rates.h"
#include "experiments/spec.h"
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Titles longer than this drop the policy description (one line at 1000 px). */
#define TITLE_MAX 110

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
	struct plot_series ser[3 * RATES_MAX_VCPUS];
	char vals[RATES_MAX_VCPUS][24], labels[3 * RATES_MAX_VCPUS][72];
	char vcpu_csv[PATH_MAX], rates[PATH_MAX], base[PATH_MAX], title[256];
	char span[DURATION_FMT_LEN], ylabel[96];
	int window = rates_window(pol->spec->sample_interval_ns), rc;
	struct plot_timeseries_opts o;
	struct rates_info *info;
	size_t ns = 0;

	if ((rc = path_fmt(vcpu_csv, sizeof(vcpu_csv), "%s/%s/rep-1/vcpu.csv", dir, pol->name)) ||
	    (rc = path_fmt(rates, sizeof(rates), "%s/%s/rep-1/" RATES_CSV, dir,
			   pol->name)) ||
	    (rc = path_fmt(base, sizeof(base), "%s/steal-%s", dir, pol->name)))
		return rc;
	info = malloc(sizeof(*info));
	if (!info)
		return log_err(-ENOMEM, "%s: out of memory", vcpu_csv);
	rc = rates_write(vcpu_csv, rates, window, info);
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
	/* The rates are windowed (rates.h): the axis says over how long. */
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

/* The chart of the policies that ran; @skipped[i] marks the i-th one the run skipped. */
static int plot_comparison(const char *dir, const struct spec_set *set,
			   const unsigned char *skipped, int *drawn)
{
	struct plot_policy_row *rows = NULL;
	struct plot_policies_opts o;
	struct chartdata cd;
	char path[PATH_MAX], base[PATH_MAX], title[256];
	int rc, w;

	if ((rc = path_fmt(path, sizeof(path), "%s/summary.csv", dir)) ||
	    (rc = path_fmt(base, sizeof(base), "%s/policies", dir)))
		return rc;
	/* skipped policies were said once, in results_plot_all() */
	rc = chartdata_load(path, set, skipped, &cd);
	if (rc)
		return rc;
	rows = calloc(cd.n, sizeof(*rows));
	if (!rows) {
		rc = log_err(-ENOMEM, "%s: out of memory", path);
		goto out;
	}

	memset(&o, 0, sizeof(o));
	o.work_unit = chartdata_work_unit(&cd);
	w = o.work_unit == PLOT_WORK_FRAC ? CHARTDATA_WORK_FRAC : CHARTDATA_WORK_UPS;
	for (size_t i = 0; i < cd.n; i++) {
		const struct chartdata_policy *cp = &cd.pol[i];

		rows[i].name = cp->name;
		/* Mixed phases: say which bars cover the whole run, without a hog. */
		rows[i].note = cd.has_contended && strcmp(cp->phase, "all") == 0 ? "no hog" : NULL;
		rows[i].work_mean = cp->mean[w];
		rows[i].work_sd = cp->sd[w];
		rows[i].delay_mean_pct = cp->mean[CHARTDATA_DELAY_PCT];
		rows[i].delay_sd_pct = cp->sd[CHARTDATA_DELAY_PCT];
		rows[i].steal_mean_pct = cp->mean[CHARTDATA_STEAL_PCT];
		rows[i].steal_sd_pct = cp->sd[CHARTDATA_STEAL_PCT];
		rows[i].nreps = cp->nreps;
	}
	if (cd.has_contended && cd.has_whole)
		snprintf(title, sizeof(title), "%s: policies compared over the contended phase "
			 "([no hog]: whole run)", set->base.name);
	else if (cd.has_contended)
		snprintf(title, sizeof(title), "%s: policies compared over the contended phase",
			 set->base.name);
	else
		snprintf(title, sizeof(title), "%s: policies compared over the whole run",
			 set->base.name);
	o.rows = rows;
	o.nrows = cd.n;
	o.out_base = base;
	o.title = title;
	rc = plot_policies(&o);
	if (!rc)
		(*drawn)++;
out:
	free(rows);
	chartdata_free(&cd);
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
