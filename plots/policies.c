/*
 * policies: see policies.h. The bars are drawn as boxes at computed x
 * positions rather than with gnuplot's histogram style, because histograms
 * cannot put one series on the right-hand axis (work in units/s) and cannot
 * skip a single missing bar without shifting its neighbours. Values go
 * inline into the script as data blocks, so a saved BASE.gp redraws the
 * chart on its own. Nothing here reads a file.
 */
#include "plots/policies.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SER_WORK, SER_DELAY, SER_STEAL, SER_N };

/* The bars of a group fill this share of the space between two policies. */
#define GROUP_WIDTH 0.8

/* Above this many bars the value labels would collide: leave them out. */
#define VALUE_LABELS_MAX 24

/* Rough width of a tick-label character in pixels: when to stand the labels up. */
#define CHAR_PX 8

struct pol_prep {
	const struct plot_policies_opts *o;
	int present[SER_N];            /* the series has at least one finite mean */
	int ser_slot[SER_N];           /* its position in the group, -1 when absent */
	int nser;
	int work_right;                /* work drawn on the y2 axis (units/s next to %) */
	double ymax_pct, ymax_work;    /* tops of bar + whisker, for the ranges */
	int nmin, nmax;                /* repetitions, over rows that know theirs */
	int any_sd;                    /* some whisker is drawn */
};

/* Mean and sd of series @k of @r, in the unit drawn (work fraction as %). */
static void row_value(const struct pol_prep *p, const struct plot_policy_row *r, int k,
		      double *mean, double *sd)
{
	switch (k) {
	case SER_WORK:
		*mean = r->work_mean;
		*sd = r->work_sd;
		if (p->o->work_unit == PLOT_WORK_FRAC) {
			*mean *= 100.0;
			*sd *= 100.0;
		}
		break;
	case SER_DELAY:
		*mean = r->delay_mean_pct;
		*sd = r->delay_sd_pct;
		break;
	default:
		*mean = r->steal_mean_pct;
		*sd = r->steal_sd_pct;
		break;
	}
	/* A negative spread cannot happen; treat it like an unknown one. */
	if (!isfinite(*sd) || *sd < 0)
		*sd = NAN;
}

static int pol_prepare(const struct plot_policies_opts *o, struct pol_prep *p)
{
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->nmin = -1;
	if (!o->out_base || !*o->out_base)
		return log_err(-EINVAL, "plot_policies: no output name given");
	if (!o->rows || o->nrows == 0)
		return log_err(-EINVAL, "plot_policies: no policies to draw");
	for (size_t i = 0; i < o->nrows; i++) {
		const struct plot_policy_row *r = &o->rows[i];

		if (!r->name || !*r->name)
			return log_err(-EINVAL, "plot_policies: policy %zu has no name", i);
		if (r->nreps > 0) {
			if (p->nmin < 0 || r->nreps < p->nmin)
				p->nmin = r->nreps;
			if (r->nreps > p->nmax)
				p->nmax = r->nreps;
		}
		for (int k = 0; k < SER_N; k++) {
			double mean, sd, top;

			row_value(p, r, k, &mean, &sd);
			if (!isfinite(mean))
				continue;
			p->present[k] = 1;
			top = mean + (isfinite(sd) ? sd : 0);
			if (isfinite(sd))
				p->any_sd = 1;
			if (k == SER_WORK && o->work_unit == PLOT_WORK_UPS) {
				if (top > p->ymax_work)
					p->ymax_work = top;
			} else if (top > p->ymax_pct) {
				p->ymax_pct = top;
			}
		}
	}
	for (int k = 0; k < SER_N; k++)
		p->ser_slot[k] = p->present[k] ? p->nser++ : -1;
	if (p->nser == 0)
		return log_err(-EINVAL, "plot_policies: no policy has a work rate, run delay "
			       "or steal value to draw");
	/* units/s and % cannot share an axis; alone, units/s takes the left one. */
	p->work_right = o->work_unit == PLOT_WORK_UPS && p->present[SER_WORK] &&
			(p->present[SER_DELAY] || p->present[SER_STEAL]);
	if (o->work_unit == PLOT_WORK_UPS && !p->work_right)
		p->ymax_pct = p->ymax_work;
	return 0;
}

/* The upper end of an axis: headroom above the tallest bar for its label. */
static double axis_top(double ymax, double floor_top)
{
	double top = ymax * 1.15;

	return top > floor_top ? top : floor_top;
}

static const char *series_title(const struct pol_prep *p, int k)
{
	switch (k) {
	case SER_WORK:
		if (p->o->work_unit == PLOT_WORK_FRAC)
			return "work rate (% of baseline)";
		return p->work_right ? "work rate (units/s, right axis)" : "work rate (units/s)";
	case SER_DELAY:
		return "host run delay (% of wall time)";
	default:
		return "guest steal (% of wall time)";
	}
}

/* "12%", "3.4%", "250 u/s": a bar's value, short enough to sit on top of it. */
static void value_text(char *buf, size_t len, double v, int is_ups)
{
	if (is_ups)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 9.95)
		snprintf(buf, len, "%.0f%%", v);
	else
		snprintf(buf, len, "%.1f%%", v);
}

/* One series: "$barsK" (x, mean, label y, label) and "$errK" (x, mean, sd). */
static void emit_series_data(struct gnuplot_script *s, const struct pol_prep *p, int k)
{
	const struct plot_policies_opts *o = p->o;
	double bw = GROUP_WIDTH / p->nser;
	double off = (p->ser_slot[k] - (p->nser - 1) / 2.0) * bw;
	int is_ups = k == SER_WORK && o->work_unit == PLOT_WORK_UPS;

	gnuplot_script_add(s, "# %s: x, mean, label y, label\n$bars%d << EOD\n",
			   series_title(p, k), k);
	for (size_t i = 0; i < o->nrows; i++) {
		double mean, sd;
		char text[32];

		row_value(p, &o->rows[i], k, &mean, &sd);
		if (!isfinite(mean))
			continue;
		value_text(text, sizeof(text), mean, is_ups);
		gnuplot_script_add(s, "%.4f %.6g %.6g \"%s\"\n", (double)i + off, mean,
				   mean + (isfinite(sd) ? sd : 0), text);
	}
	gnuplot_script_add(s, "EOD\n$err%d << EOD\n", k);
	for (size_t i = 0; i < o->nrows; i++) {
		double mean, sd;

		row_value(p, &o->rows[i], k, &mean, &sd);
		if (isfinite(mean) && isfinite(sd))
			gnuplot_script_add(s, "%.4f %.6g %.6g\n", (double)i + off, mean, sd);
	}
	gnuplot_script_add(s, "EOD\n");
}

/* The x axis label: what the bars and whiskers are, in words. */
static void emit_xlabel(struct gnuplot_script *s, const struct pol_prep *p, int upright)
{
	char text[160];

	if (p->nmax == 1 && p->nmin == 1)
		snprintf(text, sizeof(text), "policy (one run each: bars are that run, "
			 "no spread to show)");
	else if (p->nmin > 0 && p->nmin == p->nmax)
		snprintf(text, sizeof(text), "policy (bars: mean of %d runs; whiskers: "
			 "mean +/- 1 sd)", p->nmax);
	else if (p->nmin > 0)
		snprintf(text, sizeof(text), "policy (bars: mean of %d to %d runs; whiskers: "
			 "mean +/- 1 sd where there are 2 or more)", p->nmin, p->nmax);
	else
		snprintf(text, sizeof(text), "policy (bars: mean; whiskers: mean +/- 1 sd)");
	gnuplot_script_add(s, "set xlabel ");
	gnuplot_script_quoted(s, text);
	/* Below upright tick labels gnuplot sets it down onto the key: lift it. */
	gnuplot_script_add(s, "%s\n", upright ? " offset 0,1.5" : "");
}

/*
 * Tick labels, turned upright when they would not fit side by side (a slant
 * would push the first one off the left edge). Returns the text lines the
 * upright labels take below the axis (0 when level).
 */
static int emit_xtics(struct gnuplot_script *s, const struct pol_prep *p, int width)
{
	const struct plot_policies_opts *o = p->o;
	size_t chars = 0, longest = 0;
	int upright;

	for (size_t i = 0; i < o->nrows; i++) {
		size_t len = strlen(o->rows[i].name) + 2;

		if (o->rows[i].note)
			len += strlen(o->rows[i].note) + 3;
		chars += len;
		if (len > longest)
			longest = len;
	}
	upright = chars * CHAR_PX > (size_t)width * 8 / 10;
	gnuplot_script_add(s, "set xtics nomirror scale 0%s (", upright ? " rotate by 90 right" : "");
	for (size_t i = 0; i < o->nrows; i++) {
		const struct plot_policy_row *r = &o->rows[i];
		char label[256];

		if (r->note && *r->note)
			snprintf(label, sizeof(label), "%s [%s]", r->name, r->note);
		else
			snprintf(label, sizeof(label), "%s", r->name);
		gnuplot_script_add(s, "%s", i ? ", " : "");
		gnuplot_script_quoted(s, label);
		gnuplot_script_add(s, " %zu", i);
	}
	gnuplot_script_add(s, ")\n");
	/*
	 * The longest label standing upright, in text lines: a character is
	 * about 0.43 of a line high (measured: 7.6 px wide, 17.8 px a line, Sans
	 * 11). gnuplot does not grow a fixed bottom margin by itself.
	 */
	return upright ? (int)((longest * 3 + 6) / 7) : 0;
}

static void emit_axes(struct gnuplot_script *s, const struct pol_prep *p)
{
	const struct plot_policies_opts *o = p->o;
	const char *ylabel;

	if (o->work_unit == PLOT_WORK_UPS && !p->work_right)
		ylabel = p->present[SER_WORK] ? "work rate (units/s)" : "% of wall time";
	else if (p->present[SER_WORK] && o->work_unit == PLOT_WORK_FRAC)
		ylabel = "percent (of what: see the key)";
	else
		ylabel = "% of wall time";
	gnuplot_script_add(s, "set ylabel ");
	gnuplot_script_quoted(s, ylabel);
	/* From 0, with room above the tallest whisker; at least 0..10 % (noise stays low). */
	gnuplot_script_add(s, "\nset yrange [0:%.6g]\nset ytics nomirror\nset grid ytics\n",
			   axis_top(p->ymax_pct, 10.0));
	if (p->work_right)
		gnuplot_script_add(s, "set y2label 'work rate (units/s)'\n"
				   "set y2range [0:%.6g]\nset y2tics\n",
				   axis_top(p->ymax_work, 1.0));
	gnuplot_script_add(s, "set xrange [-0.6:%.1f]\n", (double)o->nrows - 0.4);
}

static void emit_plot(struct gnuplot_script *s, const struct pol_prep *p)
{
	const struct plot_policies_opts *o = p->o;
	int labels = o->nrows * (size_t)p->nser <= VALUE_LABELS_MAX;
	const char *sep = "plot ";

	for (int k = 0; k < SER_N; k++) {
		const char *axes = k == SER_WORK && p->work_right ? " axes x1y2" : "";

		if (!p->present[k])
			continue;
		gnuplot_script_add(s, "%s$bars%d using 1:2%s with boxes fillstyle solid 0.85"
				   " border rgb '#404040' linecolor rgb '%s' title ", sep, k, axes,
				   gnuplot_color((size_t)k));
		gnuplot_script_quoted(s, series_title(p, k));
		sep = ", \\\n     ";
		if (p->any_sd)
			gnuplot_script_add(s, "%s$err%d using 1:2:3%s with yerrorbars pointtype 7"
					   " pointsize 0 linewidth 1.5 linecolor rgb '#202020'"
					   " notitle", sep, k, axes);
		if (labels)
			gnuplot_script_add(s, "%s$bars%d using 1:3:4%s with labels offset 0,0.7"
					   " font ',9' textcolor rgb '#202020' notitle", sep, k, axes);
	}
	gnuplot_script_add(s, "\n");
}

static int pol_build(struct gnuplot_script *s, const void *ctx, const char *png,
		     const char *svg)
{
	const struct pol_prep *p = ctx;
	const struct plot_policies_opts *o = p->o;
	int width = o->width > 0 ? o->width : GNUPLOT_DEFAULT_WIDTH;
	int height = o->height > 0 ? o->height : GNUPLOT_DEFAULT_HEIGHT;
	int upright_rows;

	gnuplot_script_add(s, "# stealscope: policies compared, %zu policies\n", o->nrows);
	for (int k = 0; k < SER_N; k++) {
		if (p->present[k])
			emit_series_data(s, p, k);
	}
	gnuplot_script_add(s, "set title ");
	gnuplot_script_quoted(s, o->title ? o->title : "Policies compared: work rate and steal");
	gnuplot_script_add(s, "\n");
	upright_rows = emit_xtics(s, p, width);
	emit_xlabel(s, p, upright_rows > 0);
	emit_axes(s, p);
	gnuplot_script_add(s, "set boxwidth %.4f absolute\n"
			   "set errorbars 0.6\n"
			   /* else each whisker has a hole where its (invisible) point is */
			   "set pointintervalbox 0.0001\n"
			   "set key below center horizontal maxcols 3 samplen 2 reverse Left\n"
			   /* room for the tick labels, the x label and the key below */
			   "set bmargin %d\n", GROUP_WIDTH / p->nser * 0.9,
			   upright_rows ? 5 + upright_rows : 7);
	gnuplot_script_png(s, png, width, height);
	emit_plot(s, p);
	gnuplot_script_svg_replot(s, svg, width, height);
	return 0;
}

int plot_policies_script(const struct plot_policies_opts *o, char **script)
{
	struct pol_prep p;
	int rc;

	*script = NULL;
	rc = pol_prepare(o, &p);
	if (rc)
		return rc;
	return gnuplot_script_text(o->out_base, "policies", pol_build, &p, script);
}

int plot_policies(const struct plot_policies_opts *o)
{
	struct pol_prep p;
	int rc;

	rc = pol_prepare(o, &p);
	if (rc)
		return rc;
	return gnuplot_render(o->out_base, o->save_script, pol_build, &p);
}
