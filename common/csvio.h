/*
 * csvio: CSV files on libcsv. Writing: a header row, then rows of fields,
 * quoted where needed by libcsv, to a temporary file that is renamed into
 * place on commit (a reader never sees a half-written file). Reading: a whole
 * table into memory, with strict numeric accessors.
 */
#ifndef STEALSCOPE_CSVIO_H
#define STEALSCOPE_CSVIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct csvw;

/*
 * Start writing @path (via "<path>.tmp.<pid>"), "-" for stdout (no rename).
 * @cols/@ncols is the header row, written at once. NULL + errno on error
 * (logged).
 */
struct csvw *csvw_open(const char *path, const char *const *cols, size_t ncols);

/* Fields of the current row, in header order. */
int csvw_str(struct csvw *w, const char *s);
int csvw_i64(struct csvw *w, int64_t v);
int csvw_u64(struct csvw *w, uint64_t v);
int csvw_f(struct csvw *w, double v, int decimals);   /* NaN is written as "" */
/* End the row: -EINVAL (logged) if the field count differs from the header. */
int csvw_end_row(struct csvw *w);

/* Flush the rows written so far to the temporary file (for long runs). */
int csvw_flush(struct csvw *w);

/* Flush, fsync, rename into place, free. Returns 0 or -errno (logged); on
 * error the temporary file is removed. */
int csvw_commit(struct csvw *w);

/* Discard: remove the temporary file, free. */
void csvw_abort(struct csvw *w);

struct csv_table {
	size_t ncols;
	size_t nrows;                  /* data rows, not counting the header */
	char **header;                 /* ncols names */
	char **cells;                  /* nrows * ncols, row-major; never NULL */
};

/*
 * Read a whole CSV file: the first row is the header, every row must have
 * as many fields as the header. Returns 0 or -errno/-EINVAL (logged with
 * path and line).
 */
int csv_table_load(const char *path, struct csv_table *t);
int csv_table_parse(const char *buf, size_t len, struct csv_table *t);
void csv_table_free(struct csv_table *t);

/* Column index of @name, or -1. */
int csv_table_col(const struct csv_table *t, const char *name);

/* The cell text (never NULL). */
const char *csv_table_cell(const struct csv_table *t, size_t row, size_t col);

/* Strictly parsed numeric cells: -EINVAL (logged with row and column). */
int csv_table_i64(const struct csv_table *t, size_t row, size_t col, int64_t *out);
int csv_table_f(const struct csv_table *t, size_t row, size_t col, double *out);

#endif
