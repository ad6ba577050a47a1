/*
 * table: see table.h. Renderers only: results.csv through csvio, RESULTS.md
 * through an afile, both written whole under a temporary name.
 */
#include "bench/table.h"

#include "common/csvio.h"
#include "common/fileio.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

const char *const bench_csv_cols[] = {
	"date_utc", "mode", "cpu_model", "kernel", "cpus_online", "kvm_module",
	"figure", "id", "what", "unit", "status", "where",
	"n", "median", "p25", "p75", "min", "max",
	"baseline", "baseline_n", "baseline_median", "baseline_p25", "baseline_p75",
	"baseline_min", "baseline_max", "ratio", "note",
};
const size_t bench_csv_ncols = sizeof(bench_csv_cols) / sizeof(bench_csv_cols[0]);

static struct bench_row *new_row(struct bench_table *t, int figure, const char *id,
				 const char *what)
{
	struct bench_row *r;

	if (t->n >= BENCH_MAX_ROWS) {
		log_err(-ENOSPC, "more than %d benchmark rows", BENCH_MAX_ROWS);
		return NULL;
	}
	r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	r->figure = figure;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->value = r->base = (struct bench_dist){ 0, NAN, NAN, NAN, NAN, NAN };
	r->ratio = NAN;
	return r;
}

struct bench_row *bench_add(struct bench_table *t, int figure, const char *id,
			    const char *what, const char *unit, const double *v, size_t nv,
			    const char *baseline, const double *b, size_t nb)
{
	struct bench_row *r = new_row(t, figure, id, what);

	if (!r)
		return NULL;
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	snprintf(r->baseline, sizeof(r->baseline), "%s", baseline);
	if (bench_dist_of(v, nv, &r->value) || bench_dist_of(b, nb, &r->base)) {
		t->n--;
		return NULL;
	}
	r->status = BENCH_MEASURED;
	if (r->value.n > 0 && r->base.n > 0 && r->base.median != 0)
		r->ratio = r->value.median / r->base.median;
	return r;
}

struct bench_row *bench_add_missing(struct bench_table *t, int figure, const char *id,
				    const char *what, enum bench_status status,
				    const char *reason)
{
	struct bench_row *r = new_row(t, figure, id, what);

	if (!r)
		return NULL;
	r->status = status;
	snprintf(r->note, sizeof(r->note), "%s", reason);
	return r;
}

void bench_method(struct bench_table *t, int figure, const char *fmt, ...)
{
	char *m = t->method[figure - 1];
	size_t len = strlen(m);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m + len, BENCH_METHOD_LEN - len, fmt, ap);
	va_end(ap);
}

const char *bench_status_name(enum bench_status s)
{
	switch (s) {
	case BENCH_MEASURED:
		return "measured";
	case BENCH_UNMEASURABLE:
		return "not measurable here";
	default:
		return "not measured";
	}
}

/* ---- results.csv ----------------------------------------------------------------- */

static int csv_dist(struct csvw *w, const struct bench_dist *d, int with_n)
{
	int rc = 0;

	if (with_n)
		rc = d->n ? csvw_i64(w, d->n) : csvw_str(w, "");
	rc = rc ? rc : csvw_f(w, d->median, 4);
	rc = rc ? rc : csvw_f(w, d->p25, 4);
	rc = rc ? rc : csvw_f(w, d->p75, 4);
	rc = rc ? rc : csvw_f(w, d->min, 4);
	rc = rc ? rc : csvw_f(w, d->max, 4);
	return rc;
}

int bench_write_csv(const struct bench_table *t, const char *path)
{
	struct csvw *w = csvw_open(path, bench_csv_cols, bench_csv_ncols);
	size_t i;
	int rc = 0;

	if (!w)
		return -errno;
	for (i = 0; i < t->n && !rc; i++) {
		const struct bench_row *r = &t->rows[i];

		rc = csvw_str(w, t->date_utc);
		rc = rc ? rc : csvw_str(w, t->mode);
		rc = rc ? rc : csvw_str(w, t->host.cpu_model);
		rc = rc ? rc : csvw_str(w, t->host.kernel);
		rc = rc ? rc : csvw_str(w, t->host.cpus_online);
		rc = rc ? rc : csvw_str(w, t->host.kvm_module);
		rc = rc ? rc : csvw_i64(w, r->figure);
		rc = rc ? rc : csvw_str(w, r->id);
		rc = rc ? rc : csvw_str(w, r->what);
		rc = rc ? rc : csvw_str(w, r->unit);
		rc = rc ? rc : csvw_str(w, bench_status_name(r->status));
		rc = rc ? rc : csvw_str(w, r->where);
		rc = rc ? rc : csv_dist(w, &r->value, 1);
		rc = rc ? rc : csvw_str(w, r->baseline);
		rc = rc ? rc : csv_dist(w, &r->base, 1);
		rc = rc ? rc : csvw_f(w, r->ratio, 6);
		rc = rc ? rc : csvw_str(w, r->note);
		rc = rc ? rc : csvw_end_row(w);
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

/* ---- RESULTS.md ------------------------------------------------------------------ */

/* A number for people: about four significant digits, "-" for NaN. */
static const char *num(double v, char *buf, size_t len)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (a >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.4g", v);
	return buf;
}

/* "a..b" of two numbers. */
static const char *span(double a, double b, char *buf, size_t len)
{
	char x[32], y[32];

	if (isnan(a))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s..%s", num(a, x, sizeof(x)), num(b, y, sizeof(y)));
	return buf;
}

/* Markdown table cells must not contain '|' or line breaks. */
static void cell(FILE *fp, const char *s)
{
	for (; *s; s++)
		fputc(*s == '|' ? '/' : *s == '\n' ? ' ' : *s, fp);
}

void bench_md_rows(const struct bench_table *t, int figure, FILE *fp)
{
	char a[32], b[64], c[64], d[32], e[32];
	size_t i;

	fprintf(fp, "| id | figure | unit | n | median | p25..p75 | min..max | baseline "
		"| baseline median (p25..p75, n) | ratio |\n");
	fprintf(fp, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (i = 0; i < t->n; i++) {
		const struct bench_row *r = &t->rows[i];

		if (figure && r->figure != figure)
			continue;
		fprintf(fp, "| %s | ", r->id);
		/* where it was measured, unless on this machine itself */
		if (r->where[0] && strcmp(r->where, "host"))
			fprintf(fp, "*%s:* ", r->where);
		cell(fp, r->what);
		if (r->status != BENCH_MEASURED) {
			fprintf(fp, " | | | *%s* | ", bench_status_name(r->status));
			cell(fp, r->note);
			fprintf(fp, " | | | | |\n");
			continue;
		}
		fprintf(fp, " | %s | %d | %s | %s | %s | ", r->unit, r->value.n,
			num(r->value.median, a, sizeof(a)),
			span(r->value.p25, r->value.p75, b, sizeof(b)),
			span(r->value.min, r->value.max, c, sizeof(c)));
		cell(fp, r->baseline);
		fprintf(fp, " | %s (%s, %d) | %s |\n", num(r->base.median, d, sizeof(d)),
			span(r->base.p25, r->base.p75, b, sizeof(b)), r->base.n,
			num(r->ratio, e, sizeof(e)));
	}
}

/* The remarks of @figure's measured rows, as a list under its table. */
static void md_notes(const struct bench_table *t, int figure, FILE *fp)
{
	int any = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct bench_row *r = &t->rows[i];

		if (r->figure != figure || r->status != BENCH_MEASURED || !r->note[0])
			continue;
		fprintf(fp, "%s- `%s`: %s\n", any ? "" : "\n", r->id, r->note);
		any = 1;
	}
}

int bench_write_md(const struct bench_table *t, const char *path)
{
	struct afile *f = afile_open_path(path);
	FILE *fp;
	int fig;

	if (!f)
		return -errno;
	fp = afile_fp(f);
	fprintf(fp, "# stealscope benchmarks\n\n"
		"Written by `make bench%s` (bench/stealbench) on %s, %s mode, in %.0f s.\n\n",
		strcmp(t->mode, "quick") ? "" : " BENCH_QUICK=1", t->date_utc, t->mode,
		t->elapsed_s);
	fprintf(fp, "| machine | |\n| --- | --- |\n"
		"| CPU model | %s |\n| kernel | %s |\n| online CPUs | %s (%d) |\n"
		"| KVM module | %s |\n| /dev/kvm | %s%s |\n"
		"| load average (1, 5, 15 min) | %s at the start, %s at the end |\n"
		"| scheduler autogroup | %s |\n\n",
		t->host.cpu_model, t->host.kernel, t->host.cpus_online, t->host.ncpus_online,
		t->host.kvm_module, t->host.kvm_dev_usable ? "usable" : "not usable: ",
		t->host.kvm_dev_usable ? "" : t->host.kvm_dev_error, t->load_before,
		t->load_after,
		t->autogroup < 0 ? "unknown" : t->autogroup ? "on: CPU time is shared between "
		"sessions first, so another session's load takes its share whatever the nice "
		"values" : "off");
	fprintf(fp,
		"How to read it: every figure is the median of n repeated runs with its spread\n"
		"(p25..p75 and min..max). Its baseline is measured in the same run, interleaved\n"
		"with it where that matters, and `ratio` is the figure's median over the\n"
		"baseline's median. Nothing here is pass or fail. The machine is shared with\n"
		"other builds and tests (see the load average): absolute times are noisy, the\n"
		"ratios less so. `results.csv` beside this file has every number, with the\n"
		"date and the machine on each row.\n");
	for (fig = 1; fig <= BENCH_FIGURES; fig++) {
		if (!t->ran[fig - 1])
			continue;
		fprintf(fp, "\n## %d. %s\n\n%s\n\n", fig, t->title[fig - 1], t->method[fig - 1]);
		bench_md_rows(t, fig, fp);
		md_notes(t, fig, fp);
	}
	return afile_commit(f);
}
