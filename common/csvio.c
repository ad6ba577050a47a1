/*
 * csvio: CSV writing and reading on libcsv (see csvio.h).
 *
 * The writer quotes a field only when it must (a comma, a quote, CR/LF, or
 * blank space at either end, which libcsv would otherwise trim on reading),
 * so numeric columns stay plain; quoted fields go through libcsv's
 * csv_fwrite(). Rows go to an afile (fileio.h): "<path>.tmp.<pid>", which
 * reaches <path> only through fsync + rename in csvw_commit(). The reader
 * runs libcsv in strict mode and keeps the whole table in memory; numeric
 * cells go through parse.c's strict parsers, never bare strtod/strtoll.
 *
 * This file must never leave a partial file under the final name, never
 * write to stdout except for the "-" path, and never exit.
 */
#include "common/csvio.h"

#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct csvw {
	FILE *fp;                      /* afile_fp(af), or stdout */
	struct afile *af;              /* NULL when writing stdout */
	char *path;                    /* final name, "-" for stdout */
	size_t ncols;
	size_t nfields;                /* fields in the current row */
	int err;                       /* sticky: first failure, already logged */
};

/* ---- writer ---------------------------------------------------------------- */

static int field_needs_quotes(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	/* libcsv's reader trims unquoted spaces and tabs at both ends. */
	if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
		return 1;
	return strpbrk(s, ",\"\r\n") != NULL;
}

/* Record the first write failure; every later call returns it silently. */
static int csvw_fail(struct csvw *w, int e)
{
	if (e <= 0)
		e = EIO;
	w->err = log_err(-e, "write %s: %s", w->path, strerror(e));
	return w->err;
}

static int csvw_put(struct csvw *w, const char *s)
{
	size_t len = strlen(s);

	if (w->err)
		return w->err;
	errno = 0;
	if (w->nfields > 0 && fputc(',', w->fp) == EOF)
		return csvw_fail(w, errno);
	/*
	 * An empty field alone on its row would be a blank line, which readers
	 * skip: quote it so a one-column table keeps the row.
	 */
	if (field_needs_quotes(s, len) || (len == 0 && w->ncols == 1)) {
		if (csv_fwrite(w->fp, s, len) != 0)
			return csvw_fail(w, errno);
	} else if (len > 0 && fputs(s, w->fp) == EOF) {
		return csvw_fail(w, errno);
	}
	w->nfields++;
	return 0;
}

static void csvw_free(struct csvw *w)
{
	free(w->path);
	free(w);
}

struct csvw *csvw_open(const char *path, const char *const *cols, size_t ncols)
{
	struct csvw *w;
	size_t i;
	int e;

	if (!path || !*path || !cols || ncols == 0) {
		errno = -log_err(-EINVAL, "csvw_open: need a path and at least one column");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		e = -log_err(-ENOMEM, "csvw_open %s: out of memory", path);
		goto fail;
	}
	w->ncols = ncols;
	if (strcmp(path, "-") == 0) {
		w->fp = stdout;
	} else {
		w->af = afile_open_path(path);
		if (!w->af) {
			e = errno;     /* logged by afile */
			goto fail;
		}
		w->fp = afile_fp(w->af);
	}

	for (i = 0; i < ncols; i++)
		csvw_put(w, cols[i] ? cols[i] : "");
	if (csvw_end_row(w) == 0)
		return w;
	e = -w->err;                   /* logged by csvw_put()/csvw_end_row() */
	afile_abort(w->af);
fail:
	if (w)
		csvw_free(w);
	errno = e;
	return NULL;
}

int csvw_str(struct csvw *w, const char *s)
{
	return csvw_put(w, s ? s : "");
}

int csvw_i64(struct csvw *w, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return csvw_put(w, buf);
}

int csvw_u64(struct csvw *w, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return csvw_put(w, buf);
}

int csvw_f(struct csvw *w, double v, int decimals)
{
	char buf[384];                 /* DBL_MAX with 17 decimals fits */

	if (isnan(v))
		return csvw_put(w, "");
	if (decimals < 0)
		decimals = 0;
	if (decimals > 17)
		decimals = 17;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return csvw_put(w, buf);
}

int csvw_end_row(struct csvw *w)
{
	if (w->err)
		return w->err;
	if (w->nfields != w->ncols) {
		/* A ragged row would make the file unreadable: refuse to commit it. */
		w->err = log_err(-EINVAL, "%s: row has %zu fields, header has %zu",
				 w->path, w->nfields, w->ncols);
		return w->err;
	}
	w->nfields = 0;
	errno = 0;
	if (fputc('\n', w->fp) == EOF)
		return csvw_fail(w, errno);
	return 0;
}

int csvw_flush(struct csvw *w)
{
	if (w->err)
		return w->err;
	errno = 0;
	if (fflush(w->fp) == EOF)
		return csvw_fail(w, errno);
	return 0;
}

int csvw_commit(struct csvw *w)
{
	int err;

	/* csvw_flush() returns a sticky error as it is, or logs a new one: never twice. */
	err = csvw_flush(w);
	if (!w->af) {                  /* stdout: nothing to rename */
		csvw_free(w);
		return err;
	}
	if (err)
		afile_abort(w->af);
	else
		err = afile_commit(w->af);
	csvw_free(w);
	return err;
}

void csvw_abort(struct csvw *w)
{
	if (!w)
		return;
	if (w->af)
		afile_abort(w->af);
	else
		fflush(w->fp);
	csvw_free(w);
}

/* ---- reader ---------------------------------------------------------------- */

struct csv_ptrvec {
	char **v;
	size_t n, cap;
};

/*
 * Room for one more element of @size bytes in the array @v holding @n of
 * *@cap: @v itself, or @v grown (doubled; *@cap updated), or NULL when out
 * of memory (@v is then still valid and unchanged).
 */
static void *vec_room(void *v, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

static int ptrvec_push(struct csv_ptrvec *pv, char *s)
{
	char **nv = vec_room(pv->v, pv->n, &pv->cap, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	pv->v = nv;
	pv->v[pv->n++] = s;
	return 0;
}

static void ptrvec_free(struct csv_ptrvec *pv)
{
	size_t i;

	for (i = 0; i < pv->n; i++)
		free(pv->v[i]);
	free(pv->v);
	pv->v = NULL;
	pv->n = pv->cap = 0;
}

/* The file line of every data row, for messages about its cells. */
struct csv_linevec {
	size_t *v;
	size_t n, cap;
};

static int linevec_push(struct csv_linevec *lv, size_t line)
{
	size_t *nv = vec_room(lv->v, lv->n, &lv->cap, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	lv->v = nv;
	lv->v[lv->n++] = line;
	return 0;
}

struct csv_parse_ctx {
	const char *name;              /* path for messages, or NULL */
	struct csv_ptrvec row;         /* fields of the row being read */
	struct csv_ptrvec header;
	struct csv_ptrvec cells;
	struct csv_linevec lines;      /* where each data row began */
	int have_header;
	size_t line;                   /* physical line being fed, from 1 */
	size_t row_line;               /* line where the current record began */
	int in_row;
	int err;                       /* first error, logged */
};

static int ctx_err(struct csv_parse_ctx *c, int code, const char *what, size_t line, size_t want,
		   size_t got)
{
	if (c->err)
		return c->err;
	if (what)
		c->err = log_err(code, "%s%sline %zu: %s", c->name ? c->name : "",
				 c->name ? ": " : "", line, what);
	else
		c->err = log_err(code, "%s%sline %zu: expected %zu fields, got %zu",
				 c->name ? c->name : "", c->name ? ": " : "", line, want, got);
	return c->err;
}

static void on_field(void *s, size_t len, void *data)
{
	struct csv_parse_ctx *c = data;
	char *copy;

	if (c->err)
		return;
	if (!c->in_row) {
		c->in_row = 1;
		c->row_line = c->line;
	}
	copy = malloc(len + 1);
	if (!copy || ptrvec_push(&c->row, copy) < 0) {
		free(copy);
		ctx_err(c, -ENOMEM, "out of memory", c->line, 0, 0);
		return;
	}
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
}

/* Columns are found by name: a name given twice would hide one of them. */
static void check_header(struct csv_parse_ctx *c)
{
	char what[128];
	size_t i, j;

	for (i = 1; i < c->header.n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(c->header.v[i], c->header.v[j]))
				continue;
			snprintf(what, sizeof(what), "duplicate column '%.64s'", c->header.v[i]);
			ctx_err(c, -EINVAL, what, c->row_line, 0, 0);
			return;
		}
	}
}

static void on_row(int term, void *data)
{
	struct csv_parse_ctx *c = data;
	size_t i;

	(void)term;
	if (c->err)
		return;
	c->in_row = 0;
	if (!c->have_header) {
		c->header = c->row;
		memset(&c->row, 0, sizeof(c->row));
		c->have_header = 1;
		check_header(c);
		return;
	}
	if (c->row.n != c->header.n) {
		ctx_err(c, -EINVAL, NULL, c->row_line, c->header.n, c->row.n);
		return;
	}
	if (linevec_push(&c->lines, c->row_line) < 0) {
		ctx_err(c, -ENOMEM, "out of memory", c->row_line, 0, 0);
		return;
	}
	for (i = 0; i < c->row.n; i++) {
		if (ptrvec_push(&c->cells, c->row.v[i]) < 0) {
			ctx_err(c, -ENOMEM, "out of memory", c->row_line, 0, 0);
			return;
		}
		c->row.v[i] = NULL;
	}
	c->row.n = 0;
}

/*
 * Length of the physical line at @p, its terminator included: "\n", "\r\n"
 * or a lone "\r" (libcsv ends a record at a lone CR too, so counting it as a
 * line keeps the line numbers in messages right).
 */
static size_t line_span(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			return i + 1;
		if (p[i] == '\r')
			return (i + 1 < len && p[i + 1] == '\n') ? i + 2 : i + 1;
	}
	return len;
}

static int span_is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

static int csv_parse_named(const char *name, const char *buf, size_t len, struct csv_table *t)
{
	struct csv_parse_ctx c = { .name = name, .line = 1 };
	struct csv_parser p;
	size_t off = 0, n, done;

	memset(t, 0, sizeof(*t));
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return log_err(-ENOMEM, "csv parser: out of memory");

	/*
	 * Feed one physical line at a time so that every callback knows its
	 * line number; a record starts on the first non-blank line fed while no
	 * record is open (libcsv skips blank lines between records).
	 */
	while (off < len && !c.err) {
		n = line_span(buf + off, len - off);
		if (!c.in_row && !span_is_blank(buf + off, n)) {
			c.in_row = 1;
			c.row_line = c.line;
		}
		done = csv_parse(&p, buf + off, n, on_field, on_row, &c);
		if (done != n && !c.err) {
			if (csv_error(&p) == CSV_EPARSE)
				ctx_err(&c, -EINVAL, "misplaced quote (a quote inside an unquoted field, "
					"or text after a closing quote)", c.line, 0, 0);
			else
				ctx_err(&c, -ENOMEM, csv_strerror(csv_error(&p)), c.line, 0, 0);
		}
		off += n;
		c.line++;
	}
	if (!c.err && csv_fini(&p, on_field, on_row, &c) != 0)
		ctx_err(&c, -EINVAL, "unterminated quoted field", c.row_line, 0, 0);
	csv_free(&p);

	if (!c.err && !c.have_header)
		ctx_err(&c, -EINVAL, "no header row", 1, 0, 0);
	if (!c.err && c.cells.n == 0) {
		/* "cells is never NULL", even for a header-only table. */
		c.cells.v = malloc(sizeof(char *));
		if (!c.cells.v)
			ctx_err(&c, -ENOMEM, "out of memory", c.line, 0, 0);
	}
	ptrvec_free(&c.row);
	if (c.err) {
		ptrvec_free(&c.header);
		ptrvec_free(&c.cells);
		free(c.lines.v);
		return c.err;
	}
	t->ncols = c.header.n;
	t->header = c.header.v;
	t->nrows = c.cells.n / c.header.n;
	t->cells = c.cells.v;
	t->lines = c.lines.v;
	return 0;
}

int csv_table_parse(const char *buf, size_t len, struct csv_table *t)
{
	return csv_parse_named(NULL, buf, len, t);
}

int csv_table_load(const char *path, struct csv_table *t)
{
	struct fileio_buf b = { 0 };
	int err;

	memset(t, 0, sizeof(*t));
	err = fileio_load(path, 0, 0, &b);
	if (!err)
		err = csv_parse_named(path, b.data, b.len, t);
	fileio_buf_free(&b);
	if (!err && !(t->path = strdup(path))) {
		csv_table_free(t);
		err = log_err(-ENOMEM, "%s: out of memory", path);
	}
	return err;
}

void csv_table_free(struct csv_table *t)
{
	size_t i;

	if (!t)
		return;
	if (t->header)
		for (i = 0; i < t->ncols; i++)
			free(t->header[i]);
	if (t->cells)
		for (i = 0; i < t->nrows * t->ncols; i++)
			free(t->cells[i]);
	free(t->header);
	free(t->cells);
	free(t->lines);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

int csv_table_col(const struct csv_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->header[i], name) == 0)
			return (int)i;
	return -1;
}

const char *csv_table_cell(const struct csv_table *t, size_t row, size_t col)
{
	if (row >= t->nrows || col >= t->ncols)
		return "";
	return t->cells[row * t->ncols + col];
}

/*
 * The cell to parse, or NULL after logging why there is nothing to parse (an
 * empty cell is reported only when @empty_ok is 0). @what gets the cell's
 * name for parse.c's messages, as the parser names its own errors: "x.csv:
 * line 3, column steal_pct" (no path after csv_table_parse()).
 */
static const char *numeric_cell(const struct csv_table *t, size_t row, size_t col, int empty_ok,
				char *what, size_t whatlen, int *err)
{
	const char *s, *path = t->path ? t->path : "";
	const char *sep = t->path ? ": " : "";

	*err = 0;
	if (row >= t->nrows || col >= t->ncols) {
		*err = log_err(-EINVAL, "%s%sdata row %zu, column %zu: no such cell (%zu rows, "
			       "%zu columns)", path, sep, row + 1, col + 1, t->nrows, t->ncols);
		return NULL;
	}
	/* A table from the parser knows its lines; else the header is line 1, no blanks. */
	snprintf(what, whatlen, "%s%sline %zu, column %s", path, sep,
		 t->lines ? t->lines[row] : row + 2, t->header[col]);
	s = t->cells[row * t->ncols + col];
	if (!*s) {
		if (!empty_ok)
			*err = log_err(-EINVAL, "%s: empty cell", what);
		return NULL;
	}
	return s;
}

int csv_table_i64(const struct csv_table *t, size_t row, size_t col, int64_t *out)
{
	char what[PATH_MAX + 160];
	const char *s;
	int err;

	s = numeric_cell(t, row, col, 0, what, sizeof(what), &err);
	if (!s)
		return err;
	return parse_i64(what, s, INT64_MIN, INT64_MAX, out);
}

int csv_table_f(const struct csv_table *t, size_t row, size_t col, double *out)
{
	char what[PATH_MAX + 160];
	const char *s;
	int err;

	s = numeric_cell(t, row, col, 1, what, sizeof(what), &err);
	if (!s) {
		if (!err)
			*out = NAN;     /* empty: not measured, as csvw_f() writes NaN */
		return err;
	}
	return parse_f64(what, s, out);
}
