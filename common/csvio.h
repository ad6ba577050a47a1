/*
 * csvio: CSV files on libcsv. Writing: a header row, then rows of fields,
 * quoted (by libcsv) only where needed: a comma, a quote, CR/LF, or a space or
 * tab at either end; numbers are never quoted. Rows go to a temporary file
 * (an afile, see fileio.h) that is renamed into place on commit (a reader
 * never sees a half-written file). Reading: a whole table into memory, with
 * strict numeric accessors. This module never exits and writes stdout only
 * for the path "-".
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

/*
 * Fields of the current row, in header order. Each returns 0 or -errno. The
 * first failure (a write error such as -ENOSPC, or a ragged row) is logged
 * once and is sticky: every later call, and csvw_commit(), returns it.
 */
int csvw_str(struct csvw *w, const char *s);
int csvw_i64(struct csvw *w, int64_t v);
int csvw_u64(struct csvw *w, uint64_t v);
/*
 * "%.*f" with @decimals clamped to [0, 17]; NaN is written as "" (not
 * measured), which csv_table_f() reads back as NaN.
 */
int csvw_f(struct csvw *w, double v, int decimals);
/* End the row: -EINVAL (logged) if the field count differs from the header. */
int csvw_end_row(struct csvw *w);

/* Flush the rows written so far to the temporary file (for long runs). */
int csvw_flush(struct csvw *w);

/*
 * Flush, fsync, rename into place, fsync the directory (afile_commit()),
 * free. Returns 0 or -errno, logged once (an earlier sticky error is returned
 * as it is); on error the temporary file is removed and @path is left as it
 * was. For "-" it only flushes stdout.
 */
int csvw_commit(struct csvw *w);

/* Discard: remove the temporary file, free. */
void csvw_abort(struct csvw *w);

struct csv_table {
	size_t ncols;
	size_t nrows;                  /* data rows, not counting the header */
	char **header;                 /* ncols names, no two alike */
	char **cells;                  /* nrows * ncols, row-major; never NULL */
	size_t *lines;                 /* nrows file lines (the header's is 1 or
					  more), where each data row begins */
	char *path;                    /* the file csv_table_load() read, for
					  messages; NULL after csv_table_parse() */
};

/*
 * Read a whole CSV file: the first row is the header, its names must differ,
 * and every row must have as many fields as the header. libcsv runs in
 * strict mode: a stray quote or an unterminated quoted field is an error.
 * Blank lines are skipped; spaces and tabs around unquoted fields are trimmed
 * (libcsv's behaviour). Returns 0 or -errno/-EINVAL (logged with path and
 * line: "line N: expected X fields, got Y", "line 1: duplicate column 'x'").
 * On error @t is left empty (safe to csv_table_free()).
 */
int csv_table_load(const char *path, struct csv_table *t);
int csv_table_parse(const char *buf, size_t len, struct csv_table *t);
void csv_table_free(struct csv_table *t);

/* Column index of @name, or -1. */
int csv_table_col(const struct csv_table *t, const char *name);

/* The cell text (never NULL; "" outside the table). */
const char *csv_table_cell(const struct csv_table *t, size_t row, size_t col);

/*
 * Strictly parsed numeric cells, plain decimal only: an optional '-', digits,
 * and for csv_table_f() an optional fraction (".5" needs its leading digit)
 * and exponent ("1.5e3", "2E-7"). Never a '+' sign, blanks, hex ("0x10",
 * "0x1p3"), or the words nan/inf. Returns 0, -EINVAL, or -ERANGE when out of
 * range (int64, or a double that overflows); logged like every other error
 * about the file: its path (when loaded from one), the file line of the row
 * (the header is line 1) and the column name, "x.csv: line 3, column t_ns:
 * invalid integer '20ms'". @out is written only on success.
 *
 * An empty cell means "not measured" (csvw_f() writes NaN as ""):
 * csv_table_f() returns 0 with NaN for it, csv_table_i64() -EINVAL ("empty
 * cell") since an integer has no NaN.
 */
int csv_table_i64(const struct csv_table *t, size_t row, size_t col, int64_t *out);
int csv_table_f(const struct csv_table *t, size_t row, size_t col, double *out);

#endif
