/*
 * csvio: CSV writing and reading on libcsv (see csvio.h).
 *
 * The writer quotes a field only when it must (a comma, a quote, CR/LF, or
 * blank space at either end, which libcsv would otherwise trim on reading),
 * so numeric columns stay plain; quoted fields go through libcsv's
 * csv_fwrite(). Rows go to "<path>.tmp.<pid>" and reach <path> only through
 * fsync + rename in csvw_commit(). The reader runs libcsv in strict mode and
 * keeps the whole table in memory.
 *
 * This file must never leave a partial file under the final name, never
 * write to stdout except for the "-" path, and never exit.
 */
#include "common/csvio.h"

#include "common/log.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct csvw {
	FILE *fp;
	char *path;                    /* final name, "-" for stdout */
	char *tmp;                     /* NULL when writing stdout */
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
	if (field_needs_quotes(s, len)) {
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
	free(w->tmp);
	free(w);
}

struct csvw *csvw_open(const char *path, const char *const *cols, size_t ncols)
{
	struct csvw *w;
	int fd, e;
	size_t i;

	if (!path || !*path || !cols || ncols == 0) {
		errno = -log_err(-EINVAL, "csvw_open: need a path and at least one column");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto nomem;
	w->ncols = ncols;
	w->path = strdup(path);
	if (!w->path)
		goto nomem_w;

	if (strcmp(path, "-") == 0) {
		w->fp = stdout;
	} else {
		if (asprintf(&w->tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
			w->tmp = NULL;
			goto nomem_w;
		}
		fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			e = errno;
			log_err(-e, "open %s: %s", w->tmp, strerror(e));
			goto fail_free;
		}
		w->fp = fdopen(fd, "w");
		if (!w->fp) {
			e = errno;
			log_err(-e, "fdopen %s: %s", w->tmp, strerror(e));
			close(fd);
			unlink(w->tmp);
			goto fail_free;
		}
	}

	for (i = 0; i < ncols; i++)
		csvw_put(w, cols[i] ? cols[i] : "");
	if (csvw_end_row(w) < 0) {
		e = -w->err;
		if (w->tmp) {
			fclose(w->fp);
			unlink(w->tmp);
		}
		goto fail_free;
	}
	return w;

nomem_w:
	csvw_free(w);
nomem:
	errno = -log_err(-ENOMEM, "csvw_open %s: out of memory", path);
	return NULL;
fail_free:
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
	int err, e;

	if (!w->tmp) {                 /* stdout: nothing to rename */
		err = csvw_flush(w);
		csvw_free(w);
		return err;
	}

	err = csvw_flush(w);
	if (!err && fsync(fileno(w->fp)) < 0) {
		e = errno;
		err = log_err(-e, "fsync %s: %s", w->tmp, strerror(e));
	}
	/* fclose() after a failed write may fail again; only the first error counts. */
	if (fclose(w->fp) == EOF && !err) {
		e = errno;
		err = log_err(-e, "close %s: %s", w->tmp, strerror(e));
	}
	if (!err && rename(w->tmp, w->path) < 0) {
		e = errno;
		err = log_err(-e, "rename %s to %s: %s", w->tmp, w->path, strerror(e));
	}
	if (err)
		unlink(w->tmp);
	csvw_free(w);
	return err;
}

void csvw_abort(struct csvw *w)
{
	if (!w)
		return;
	if (w->tmp) {
		fclose(w->fp);
		unlink(w->tmp);
	} else {
		fflush(w->fp);
	}
	csvw_free(w);
}

/* ---- reader ---------------------------------------------------------------- */

struct csv_ptrvec {
	char **v;
	size_t n, cap;
};

static int ptrvec_push(struct csv_ptrvec *pv, char *s)
{
	char **nv;
	size_t ncap;

	if (pv->n == pv->cap) {
		ncap = pv->cap ? pv->cap * 2 : 16;
		nv = realloc(pv->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		pv->v = nv;
		pv->cap = ncap;
	}
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

struct csv_parse_ctx {
	const char *name;              /* path for messages, or NULL */
	struct csv_ptrvec row;         /* fields of the row being read */
	struct csv_ptrvec header;
	struct csv_ptrvec cells;
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
		return;
	}
	if (c->row.n != c->header.n) {
		ctx_err(c, -EINVAL, NULL, c->row_line, c->header.n, c->row.n);
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
	const char *nl;

	memset(t, 0, sizeof(*t));
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return log_err(-ENOMEM, "csv parser: out of memory");

	/*
	 * Feed one physical line at a time so that every callback knows its
	 * line number; a record starts on the first non-blank line fed while no
	 * record is open (libcsv skips blank lines between records).
	 */
	while (off < len && !c.err) {
		nl = memchr(buf + off, '\n', len - off);
		n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;
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
		return c.err;
	}
	t->ncols = c.header.n;
	t->header = c.header.v;
	t->nrows = c.cells.n / c.header.n;
	t->cells = c.cells.v;
	return 0;
}

int csv_table_parse(const char *buf, size_t len, struct csv_table *t)
{
	return csv_parse_named(NULL, buf, len, t);
}

int csv_table_load(const char *path, struct csv_table *t)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd, e, err;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return log_err(-e, "open %s: %s", path, strerror(e));
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				err = log_err(-ENOMEM, "read %s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			err = log_err(-e, "read %s: %s", path, strerror(e));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	err = csv_parse_named(path, buf, len, t);
out:
	free(buf);
	close(fd);
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

/* The cell to parse, or NULL after logging why there is nothing to parse. */
static const char *numeric_cell(const struct csv_table *t, size_t row, size_t col, int *err)
{
	const char *s;

	if (row >= t->nrows || col >= t->ncols) {
		*err = log_err(-EINVAL, "row %zu, column %zu: no such cell (%zu rows, %zu columns)",
			       row + 1, col + 1, t->nrows, t->ncols);
		return NULL;
	}
	s = t->cells[row * t->ncols + col];
	if (!*s) {
		*err = log_err(-EINVAL, "row %zu, column %s: empty cell", row + 1, t->header[col]);
		return NULL;
	}
	return s;
}

int csv_table_i64(const struct csv_table *t, size_t row, size_t col, int64_t *out)
{
	const char *s;
	char *end;
	long long v;
	int err = 0;

	s = numeric_cell(t, row, col, &err);
	if (!s)
		return err;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (isspace((unsigned char)*s) || end == s || *end)
		return log_err(-EINVAL, "row %zu, column %s: not an integer: \"%s\"",
			       row + 1, t->header[col], s);
	if (errno == ERANGE)
		return log_err(-ERANGE, "row %zu, column %s: out of range: \"%s\"",
			       row + 1, t->header[col], s);
	*out = v;
	return 0;
}

int csv_table_f(const struct csv_table *t, size_t row, size_t col, double *out)
{
	const char *s;
	char *end;
	double v;
	int err = 0;

	s = numeric_cell(t, row, col, &err);
	if (!s)
		return err;
	errno = 0;
	v = strtod(s, &end);
	if (isspace((unsigned char)*s) || end == s || *end)
		return log_err(-EINVAL, "row %zu, column %s: not a number: \"%s\"",
			       row + 1, t->header[col], s);
	/* ERANGE on underflow still yields a usable (tiny) value; overflow does not. */
	if (errno == ERANGE && isinf(v))
		return log_err(-ERANGE, "row %zu, column %s: out of range: \"%s\"",
			       row + 1, t->header[col], s);
	*out = v;
	return 0;
}
