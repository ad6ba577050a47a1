/*
 * chartdata: see chartdata.h. summary.csv holds one row per (policy, phase,
 * vcpu, rep), rep being a repetition's number or one of its spread rows
 * (mean, sd, min, max); this picks, per policy, the rows the chart shows.
 * Cells are read with rates.h's strict helpers, so its errors read like
 * those about vcpu.csv.
 */
#include "experiments/chartdata.h"
#include "experiments/rates.h"
#include "experiments/summary.h"
#include "common/csvio.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const enum summary_metric chart_metrics[CHARTDATA_NMETRICS] = {
	[CHARTDATA_WORK_FRAC] = SM_WORK_RATE_FRAC,
	[CHARTDATA_WORK_UPS] = SM_WORK_RATE_UPS,
	[CHARTDATA_DELAY_PCT] = SM_HOST_DELAY_PCT,
	[CHARTDATA_STEAL_PCT] = SM_GUEST_STEAL_PCT,
};

struct summary_cols {
	int policy, phase, vcpu, rep;
	int metric[CHARTDATA_NMETRICS];
};

static int summary_columns(const char *path, const struct csv_table *t, struct summary_cols *c)
{
	if ((c->policy = rates_csv_col(path, t, "policy")) < 0)
		return c->policy;
	if ((c->phase = rates_csv_col(path, t, "phase")) < 0)
		return c->phase;
	if ((c->vcpu = rates_csv_col(path, t, "vcpu")) < 0)
		return c->vcpu;
	if ((c->rep = rates_csv_col(path, t, "rep")) < 0)
		return c->rep;
	for (int m = 0; m < CHARTDATA_NMETRICS; m++) {
		c->metric[m] = rates_csv_col(path, t, summary_metrics[chart_metrics[m]].name);
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
 * One policy's figures (chartdata_load() says which rows). Returns 1 when
 * filled, 0 when summary.csv has nothing on the policy (it was not run), or
 * a negative errno (logged).
 */
static int summary_policy(const char *path, const struct csv_table *t,
			  const struct summary_cols *c, const char *policy,
			  struct chartdata_policy *out)
{
	const char *vcpu;
	int have_mean = 0, rc;

	memset(out, 0, sizeof(*out));
	out->name = policy;
	for (int m = 0; m < CHARTDATA_NMETRICS; m++)
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
		for (int m = 0; m < CHARTDATA_NMETRICS; m++) {
			rc = rates_csv_f(path, t, r, c->metric[m], &dst[m]);
			if (rc)
				return rc;
		}
	}
	if (!have_mean)
		return log_err(-EINVAL, "%s: policy %s, phase %s, vcpu %s: no 'mean' row", path,
			       policy, out->phase, vcpu);
	return 1;
}

int chartdata_load(const char *summary_csv, const struct spec_set *set,
		   const unsigned char *skipped, struct chartdata *out)
{
	struct summary_cols cols;
	struct csv_table t;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = csv_table_load(summary_csv, &t);
	if (rc)
		return rc;
	rc = summary_columns(summary_csv, &t, &cols);
	if (rc)
		goto out;
	out->pol = calloc(set->n_policies, sizeof(*out->pol));
	if (!out->pol) {
		rc = log_err(-ENOMEM, "%s: out of memory", summary_csv);
		goto out;
	}
	for (size_t i = 0; i < set->n_policies; i++) {
		struct chartdata_policy *cp = &out->pol[out->n];

		if (skipped[i])
			continue;              /* said once, by the caller */
		rc = summary_policy(summary_csv, &t, &cols, set->policies[i].name, cp);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			log_warn("%s: no rows for policy %s (not run?): left out of the chart",
				 summary_csv, set->policies[i].name);
			continue;
		}
		out->has_contended |= strcmp(cp->phase, "contended") == 0;
		out->has_whole |= strcmp(cp->phase, "all") == 0;
		out->n++;
	}
	rc = 0;
	if (out->n == 0)
		rc = log_err(-EINVAL, "%s: no rows for any policy of the spec", summary_csv);
out:
	csv_table_free(&t);
	if (rc)
		chartdata_free(out);
	return rc;
}

void chartdata_free(struct chartdata *cd)
{
	free(cd->pol);
	memset(cd, 0, sizeof(*cd));
}

enum plot_work_unit chartdata_work_unit(const struct chartdata *cd)
{
	int any_frac = 0;

	for (size_t i = 0; i < cd->n; i++) {
		const struct chartdata_policy *cp = &cd->pol[i];

		if (!isnan(cp->mean[CHARTDATA_WORK_UPS]) && isnan(cp->mean[CHARTDATA_WORK_FRAC]))
			return PLOT_WORK_UPS;
		any_frac |= !isnan(cp->mean[CHARTDATA_WORK_FRAC]);
	}
	return any_frac ? PLOT_WORK_FRAC : PLOT_WORK_UPS;
}
