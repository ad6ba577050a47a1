/*
 * progress: see progress.h. Three steps kept apart: load the CSV into
 * per-task point lists (sorted by time), then render those lists into a
 * gnuplot script, then let gnuplot_render() run it into PNG and SVG. The
 * renderer never touches a file.
 */
#include "plots/progress.h"
#include "common/csvio.h"
#include "common/log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many points per task the points are marked; beyond, lines only. */
#define MARK_POINTS_MAX 60

struct progress_point {
	int64_t t_ns;
	double pct;
};

struct progress_task {
	const char *vcpu;               /* cell text in the table ("" if no column) */
	const char *task;
	struct progress_point *pts;
	size_t npts;
};

struct progress_data {
	const struct plot_progress_opts *opts;
	struct csv_table table;         /* keeps the cell strings alive */
	struct progress_task *tasks;
	size_t ntasks;
	int multi_vcpu;                 /* more than one vcpu value: label both */
};

static void progress_data_free(struct progress_data *d)
{
	for (size_t i = 0; i < d->ntasks; i++)
		free(d->tasks[i].pts);
	free(d->tasks);
	csv_table_free(&d->table);
}

static int point_cmp(const void *a, const void *b)
{
	const struct progress_point *pa = a, *pb = b;

	if (pa->t_ns != pb->t_ns)
		return pa->t_ns < pb->t_ns ? -1 : 1;
	return (pa->pct > pb->pct) - (pa->pct < pb->pct);
}

/* Natural order, so task 10 comes after task 9. */
static int task_cmp(const void *a, const void *b)
{
	const struct progress_task *ta = a, *tb = b;
	int c = strverscmp(ta->vcpu, tb->vcpu);

	return c ? c : strverscmp(ta->task, tb->task);
}

static struct progress_task *task_lookup(struct progress_data *d, const char *vcpu,
					 const char *task)
{
	for (size_t i = 0; i < d->ntasks; i++) {
		if (strcmp(d->tasks[i].vcpu, vcpu) == 0 && strcmp(d->tasks[i].task, task) == 0)
			return &d->tasks[i];
	}
	return NULL;
}

static int require_col(const struct csv_table *t, const char *path, const char *name)
{
	int c = csv_table_col(t, name);

	if (c < 0)
		return log_err(-EINVAL, "%s: missing column '%s' (a progress CSV needs "
			       "t_ns, progress_pct and task or proc)", path, name);
	return c;
}

static int progress_load(struct progress_data *d)
{
	const char *path = d->opts->in_csv;
	struct csv_table *t = &d->table;
	int c_t, c_pct, c_task, c_vcpu, rc;

	rc = csv_table_load(path, t);
	if (rc)
		return rc;
	c_t = require_col(t, path, "t_ns");
	if (c_t < 0)
		return c_t;
	c_pct = require_col(t, path, "progress_pct");
	if (c_pct < 0)
		return c_pct;
	c_task = csv_table_col(t, "task");
	if (c_task < 0)
		c_task = csv_table_col(t, "proc");
	if (c_task < 0)
		return log_err(-EINVAL, "%s: missing column 'task' or 'proc' (a progress CSV "
			       "needs t_ns, progress_pct and task or proc)", path);
	c_vcpu = csv_table_col(t, "vcpu");
	if (t->nrows == 0)
		return log_err(-EINVAL, "%s: no progress rows after the header", path);

	/* Pass 1: the distinct tasks and their point counts. */
	d->tasks = calloc(t->nrows, sizeof(*d->tasks));
	if (!d->tasks)
		return log_err(-ENOMEM, "%s: out of memory", path);
	for (size_t r = 0; r < t->nrows; r++) {
		const char *vcpu = c_vcpu >= 0 ? csv_table_cell(t, r, (size_t)c_vcpu) : "";
		const char *task = csv_table_cell(t, r, (size_t)c_task);
		struct progress_task *pt = task_lookup(d, vcpu, task);

		if (!pt) {
			pt = &d->tasks[d->ntasks++];
			pt->vcpu = vcpu;
			pt->task = task;
			if (d->ntasks > 1 && strcmp(vcpu, d->tasks[0].vcpu) != 0)
				d->multi_vcpu = 1;
		}
		pt->npts++;
	}
	for (size_t i = 0; i < d->ntasks; i++) {
		d->tasks[i].pts = calloc(d->tasks[i].npts, sizeof(*d->tasks[i].pts));
		if (!d->tasks[i].pts)
			return log_err(-ENOMEM, "%s: out of memory", path);
		d->tasks[i].npts = 0;
	}

	/* Pass 2: the points. */
	for (size_t r = 0; r < t->nrows; r++) {
		const char *vcpu = c_vcpu >= 0 ? csv_table_cell(t, r, (size_t)c_vcpu) : "";
		struct progress_task *pt = task_lookup(d, vcpu, csv_table_cell(t, r, (size_t)c_task));
		struct progress_point *p = &pt->pts[pt->npts++];

		rc = csv_table_i64(t, r, (size_t)c_t, &p->t_ns);
		if (rc)
			return rc;
		rc = csv_table_f(t, r, (size_t)c_pct, &p->pct);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < d->ntasks; i++)
		qsort(d->tasks[i].pts, d->tasks[i].npts, sizeof(struct progress_point), point_cmp);
	qsort(d->tasks, d->ntasks, sizeof(*d->tasks), task_cmp);
	return 0;
}

static int progress_build(struct gnuplot_script *s, const void *ctx, const char *png,
			  const char *svg)
{
	const struct progress_data *d = ctx;
	const struct plot_progress_opts *o = d->opts;
	int width = o->width > 0 ? o->width : GNUPLOT_DEFAULT_WIDTH;
	int height = o->height > 0 ? o->height : GNUPLOT_DEFAULT_HEIGHT;
	int64_t t_min = INT64_MAX, t_max = INT64_MIN;
	size_t most = 0;

	gnuplot_script_add(s, "# stealscope: progress per task from ");
	gnuplot_script_quoted(s, o->in_csv);
	gnuplot_script_add(s, "\n# x: ms since the run's start, y: progress (%%)\n");

	for (size_t i = 0; i < d->ntasks; i++) {
		const struct progress_task *pt = &d->tasks[i];

		gnuplot_script_add(s, "$task%zu << EOD\n", i);
		/* Every task has done nothing at the run's start. */
		if (pt->npts && pt->pts[0].t_ns > 0 && pt->pts[0].pct > 0)
			gnuplot_script_add(s, "0.000 0.000\n");
		for (size_t k = 0; k < pt->npts; k++)
			gnuplot_script_add(s, "%.3f %.3f\n", (double)pt->pts[k].t_ns / 1e6,
					   pt->pts[k].pct);
		gnuplot_script_add(s, "EOD\n");
		if (pt->npts > most)
			most = pt->npts;
		if (pt->npts && pt->pts[0].t_ns < t_min)
			t_min = pt->pts[0].t_ns;
		if (pt->npts && pt->pts[pt->npts - 1].t_ns > t_max)
			t_max = pt->pts[pt->npts - 1].t_ns;
	}

	gnuplot_script_add(s, "set title ");
	gnuplot_script_quoted(s, o->title ? o->title : "Progress per task");
	gnuplot_script_add(s, "\nset xlabel 'time since start (ms)'\n"
			   "set ylabel 'progress (%%)'\n"
			   "set yrange [0:105]\nset ytics 0,20,100\n"
			   "set grid\nset key left top opaque box\n");
	/* Windows do not autoscale the axis: make room for one past the data. */
	for (size_t i = 0; i < o->nwindows; i++) {
		if (o->windows[i].end_ns > t_max)
			t_max = o->windows[i].end_ns;
	}
	if (t_min >= 0)
		gnuplot_script_add(s, "set xrange [0:%.3f]\n", (double)t_max / 1e6);
	gnuplot_script_windows(s, o->windows, o->nwindows, "host contention");

	gnuplot_script_png(s, png, width, height);
	gnuplot_script_add(s, "plot ");
	for (size_t i = 0; i < d->ntasks; i++) {
		const struct progress_task *pt = &d->tasks[i];
		char label[256];

		if (d->multi_vcpu)
			snprintf(label, sizeof(label), "vcpu %s task %s", pt->vcpu, pt->task);
		else
			snprintf(label, sizeof(label), "task %s", pt->task);
		/*
		 * A stamp is written when a unit completes, so progress holds its
		 * last value until the next stamp: steps, not a slope drawn
		 * through a stall.
		 */
		gnuplot_script_add(s, "%s$task%zu using 1:2 with steps linewidth 2"
				   " linecolor rgb '%s' title ", i ? ", \\\n     " : "", i,
				   gnuplot_color(i));
		gnuplot_script_quoted(s, label);
		if (most <= MARK_POINTS_MAX)
			gnuplot_script_add(s, ", \\\n     $task%zu using 1:2 with points pointtype 7"
					   " pointsize 0.8 linecolor rgb '%s' notitle", i,
					   gnuplot_color(i));
	}
	gnuplot_script_add(s, "\n");
	gnuplot_script_svg_replot(s, svg, width, height);
	return 0;
}

static int progress_prepare(const struct plot_progress_opts *o, struct progress_data *d)
{
	memset(d, 0, sizeof(*d));
	d->opts = o;
	if (!o->in_csv || !o->out_base)
		return log_err(-EINVAL, "plot_progress: input CSV and output name are required");
	if (gnuplot_windows_check(o->windows, o->nwindows))
		return -EINVAL;
	return progress_load(d);
}

int plot_progress_script(const struct plot_progress_opts *o, char **script)
{
	struct progress_data d;
	int rc;

	*script = NULL;
	rc = progress_prepare(o, &d);
	if (!rc)
		rc = gnuplot_script_text(o->out_base, "progress", progress_build, &d, script);
	progress_data_free(&d);
	return rc;
}

int plot_progress(const struct plot_progress_opts *o)
{
	struct progress_data d;
	int rc;

	rc = progress_prepare(o, &d);
	if (!rc)
		rc = gnuplot_render(o->out_base, o->save_script, progress_build, &d);
	progress_data_free(&d);
	return rc;
}
