/*
 * timeseries: see timeseries.h. Load every series into a list of
 * (ms, value) points first (each CSV file read once, however many series
 * come from it), then render the lists into a script; gnuplot_render() runs
 * it. The renderer never touches a file.
 */
#include "plots/timeseries.h"
#include "common/csvio.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ts_source {
	const char *path;
	struct csv_table table;
};

struct ts_line {
	int64_t *x_ns;
	double *y;                      /* NAN: a gap (empty cell) */
	size_t n;
	size_t source;                  /* index into ts_data.sources: the dash type */
};

struct ts_data {
	const struct plot_timeseries_opts *opts;
	struct ts_source *sources;
	size_t nsources;
	struct ts_line *lines;          /* one per series */
};

static void ts_data_free(struct ts_data *d)
{
	for (size_t i = 0; i < d->nsources; i++)
		csv_table_free(&d->sources[i].table);
	free(d->sources);
	if (d->lines) {
		for (size_t i = 0; i < d->opts->nseries; i++) {
			free(d->lines[i].x_ns);
			free(d->lines[i].y);
		}
	}
	free(d->lines);
}

/* The loaded table of @path, loading it on first use. */
static int ts_source_get(struct ts_data *d, const char *path, size_t *idx)
{
	int rc;

	for (size_t i = 0; i < d->nsources; i++) {
		if (strcmp(d->sources[i].path, path) == 0) {
			*idx = i;
			return 0;
		}
	}
	rc = csv_table_load(path, &d->sources[d->nsources].table);
	if (rc)
		return rc;
	d->sources[d->nsources].path = path;
	*idx = d->nsources++;
	return 0;
}

static int ts_col(const struct csv_table *t, const char *path, const char *name,
		  const char *role)
{
	int c = csv_table_col(t, name);

	if (c < 0)
		return log_err(-EINVAL, "%s: missing column '%s' (%s)", path, name, role);
	return c;
}

static int ts_load_series(struct ts_data *d, size_t si)
{
	const struct plot_series *ps = &d->opts->series[si];
	const char *x_name = ps->x_col ? ps->x_col : "t_ns";
	struct ts_line *ln = &d->lines[si];
	const struct csv_table *t;
	int cx, cy, cf = -1, rc;

	if (!ps->csv_path || !ps->y_col)
		return log_err(-EINVAL, "series %zu: CSV path and y column are required", si);
	if (ps->filter_col && !ps->filter_val)
		return log_err(-EINVAL, "series %zu: filter column '%s' without a value", si,
			       ps->filter_col);
	rc = ts_source_get(d, ps->csv_path, &ln->source);
	if (rc)
		return rc;
	t = &d->sources[ln->source].table;
	cx = ts_col(t, ps->csv_path, x_name, "x axis");
	if (cx < 0)
		return cx;
	cy = ts_col(t, ps->csv_path, ps->y_col, "series value");
	if (cy < 0)
		return cy;
	if (ps->filter_col) {
		cf = ts_col(t, ps->csv_path, ps->filter_col, "filter");
		if (cf < 0)
			return cf;
	}

	ln->x_ns = calloc(t->nrows ? t->nrows : 1, sizeof(*ln->x_ns));
	ln->y = calloc(t->nrows ? t->nrows : 1, sizeof(*ln->y));
	if (!ln->x_ns || !ln->y)
		return log_err(-ENOMEM, "%s: out of memory", ps->csv_path);
	for (size_t r = 0; r < t->nrows; r++) {
		const char *ycell;

		if (cf >= 0 && strcmp(csv_table_cell(t, r, (size_t)cf), ps->filter_val) != 0)
			continue;
		rc = csv_table_i64(t, r, (size_t)cx, &ln->x_ns[ln->n]);
		if (rc)
			return rc;
		ycell = csv_table_cell(t, r, (size_t)cy);
		if (ycell[0] == '\0') {
			ln->y[ln->n] = NAN;
		} else {
			rc = csv_table_f(t, r, (size_t)cy, &ln->y[ln->n]);
			if (rc)
				return rc;
		}
		ln->n++;
	}
	if (ln->n == 0) {
		if (ps->filter_col)
			return log_err(-EINVAL, "%s: no rows with %s=%s for series '%s'",
				       ps->csv_path, ps->filter_col, ps->filter_val, ps->y_col);
		return log_err(-EINVAL, "%s: no data rows for series '%s'", ps->csv_path,
			       ps->y_col);
	}
	return 0;
}

static int ts_prepare(const struct plot_timeseries_opts *o, struct ts_data *d)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->opts = o;
	if (!o->out_base || !o->series || o->nseries == 0)
		return log_err(-EINVAL, "plot_timeseries: output name and series are required");
	if (gnuplot_windows_check(o->windows, o->nwindows))
		return -EINVAL;
	d->sources = calloc(o->nseries, sizeof(*d->sources));
	d->lines = calloc(o->nseries, sizeof(*d->lines));
	if (!d->sources || !d->lines)
		return log_err(-ENOMEM, "plot_timeseries: out of memory");
	for (size_t i = 0; i < o->nseries; i++) {
		rc = ts_load_series(d, i);
		if (rc)
			return rc;
	}
	return 0;
}

static int ts_build(struct gnuplot_script *s, const void *ctx, const char *png,
		    const char *svg)
{
	const struct ts_data *d = ctx;
	const struct plot_timeseries_opts *o = d->opts;
	int width = o->width > 0 ? o->width : GNUPLOT_DEFAULT_WIDTH;
	int height = o->height > 0 ? o->height : GNUPLOT_DEFAULT_HEIGHT;
	int64_t x_min = INT64_MAX, x_max = INT64_MIN;

	gnuplot_script_add(s, "# stealscope: time series\n");
	for (size_t i = 0; i < o->nseries; i++) {
		const struct ts_line *ln = &d->lines[i];
		int gap = 1;               /* no blank line before the first point */

		gnuplot_script_add(s, "# series %zu from ", i);
		gnuplot_script_quoted(s, o->series[i].csv_path);
		gnuplot_script_add(s, "\n$series%zu << EOD\n", i);
		for (size_t k = 0; k < ln->n; k++) {
			if (ln->x_ns[k] < x_min)
				x_min = ln->x_ns[k];
			if (ln->x_ns[k] > x_max)
				x_max = ln->x_ns[k];
			if (isnan(ln->y[k])) {
				/* A blank line ends the segment: no line across the gap. */
				if (!gap)
					gnuplot_script_add(s, "\n");
				gap = 1;
				continue;
			}
			gnuplot_script_add(s, "%.3f %.6g\n", (double)ln->x_ns[k] / 1e6, ln->y[k]);
			gap = 0;
		}
		gnuplot_script_add(s, "EOD\n");
	}

	if (o->title) {
		gnuplot_script_add(s, "set title ");
		gnuplot_script_quoted(s, o->title);
		gnuplot_script_add(s, "\n");
	}
	gnuplot_script_add(s, "set xlabel 'time since start (ms)'\nset ylabel ");
	gnuplot_script_quoted(s, o->ylabel ? o->ylabel : "value");
	/* Headroom above the highest value, so a line at 100 % is not the frame. */
	gnuplot_script_add(s, "\nset grid\nset key below\nset offsets 0, 0, graph 0.05, 0\n");
	/* "[0:10<*]": autoscale the top, but never below 10 (gnuplot >= 5.0). */
	if (o->y_from_zero && o->y_top_min > 0)
		gnuplot_script_add(s, "set yrange [0:%.6g<*]\n", o->y_top_min);
	else if (o->y_from_zero)
		gnuplot_script_add(s, "set yrange [0:*]\n");
	for (size_t i = 0; i < o->nwindows; i++) {
		if (o->windows[i].end_ns > x_max)
			x_max = o->windows[i].end_ns;
	}
	if (x_min >= 0)
		gnuplot_script_add(s, "set xrange [0:%.3f]\n", (double)x_max / 1e6);
	gnuplot_script_windows(s, o->windows, o->nwindows, "host contention");

	gnuplot_script_png(s, png, width, height);
	gnuplot_script_add(s, "plot ");
	for (size_t i = 0; i < o->nseries; i++) {
		const struct plot_series *ps = &o->series[i];

		gnuplot_script_add(s, "%s$series%zu using 1:2 with lines linewidth 2"
				   " linecolor rgb '%s' dashtype %zu title ",
				   i ? ", \\\n     " : "", i, gnuplot_color(i),
				   d->lines[i].source % 5 + 1);
		gnuplot_script_quoted(s, ps->label ? ps->label : ps->y_col);
	}
	gnuplot_script_add(s, "\n");
	gnuplot_script_svg_replot(s, svg, width, height);
	return 0;
}

int plot_timeseries_script(const struct plot_timeseries_opts *o, char **script)
{
	struct ts_data d;
	int rc;

	*script = NULL;
	rc = ts_prepare(o, &d);
	if (!rc)
		rc = gnuplot_script_text(o->out_base, "time series", ts_build, &d, script);
	ts_data_free(&d);
	return rc;
}

int plot_timeseries(const struct plot_timeseries_opts *o)
{
	struct ts_data d;
	int rc;

	rc = ts_prepare(o, &d);
	if (!rc)
		rc = gnuplot_render(o->out_base, o->save_script, ts_build, &d);
	ts_data_free(&d);
	return rc;
}
