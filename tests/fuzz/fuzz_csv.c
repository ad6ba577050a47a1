/*
 * fuzz_csv: csv_table_parse() on arbitrary bytes, and the round trip
 * through the writer.
 *
 * On success the table keeps csvio.h's promises (a header of one or more
 * distinct columns, every row as wide as the header, cells never NULL, ""
 * outside the table, row lines inside the text), and the strict numeric
 * accessors either succeed or leave their output alone and log why. Then the table is written again with the real
 * writer (csvw, to "-" with stdout pointed at a memory stream for the
 * duration) and that text must parse back to the very same table: whatever
 * the reader accepts, the writer can reproduce. On failure: -EINVAL or
 * -ENOMEM with a message, and the table left empty. The input is passed as
 * it is (not NUL-terminated), so ASan sees any read past it.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "common/csvio.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numeric accessors are tried on this many cells (they are the same code for every cell). */
#define FUZZ_NUMERIC_CELLS 64

#define FUZZ_I64_SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define FUZZ_F_SENTINEL 12345.25

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

/* Lines in the text as the reader counts them (a last line without '\n' counts). */
static size_t count_lines(const char *buf, size_t len)
{
	size_t i, n = 0;

	/* Lines as csvio counts them: ended by "\n", "\r\n" or a lone "\r". */
	for (i = 0; i < len; i++)
		n += buf[i] == '\n' || (buf[i] == '\r' && (i + 1 == len || buf[i + 1] != '\n'));
	return n + (len > 0 && buf[len - 1] != '\n' && buf[len - 1] != '\r');
}

static void check_shape(const struct csv_table *t, const char *buf, size_t len)
{
	size_t i, j, nlines = count_lines(buf, len);

	FUZZ_CHECKF(t->ncols >= 1, "ncols %zu", t->ncols);
	FUZZ_CHECK(t->header != NULL && t->cells != NULL);
	FUZZ_CHECK(t->path == NULL);
	for (j = 0; j < t->ncols; j++) {
		FUZZ_CHECK(t->header[j] != NULL);
		/* Names differ, so each is found at its own column. */
		FUZZ_CHECKF(csv_table_col(t, t->header[j]) == (int)j,
			    "csv_table_col('%s') = %d for column %zu", t->header[j],
			    csv_table_col(t, t->header[j]), j);
	}
	/*
	 * Where each data row begins: inside the text, each row on a later line
	 * than the one before (a lone '\r' ends a line as it ends a record).
	 */
	FUZZ_CHECK(t->nrows == 0 || t->lines != NULL);
	for (i = 0; i < t->nrows; i++)
		FUZZ_CHECKF(t->lines[i] >= 1 && t->lines[i] <= nlines &&
			    (i == 0 || t->lines[i] > t->lines[i - 1]),
			    "data row %zu on line %zu (previous %zu, of %zu)", i, t->lines[i],
			    i ? t->lines[i - 1] : 0, nlines);
	for (i = 0; i < t->nrows; i++)
		for (j = 0; j < t->ncols; j++) {
			FUZZ_CHECK(t->cells[i * t->ncols + j] != NULL);
			FUZZ_CHECK(csv_table_cell(t, i, j) == t->cells[i * t->ncols + j]);
		}
	FUZZ_CHECK(!strcmp(csv_table_cell(t, t->nrows, 0), ""));
	FUZZ_CHECK(!strcmp(csv_table_cell(t, 0, t->ncols), ""));
}

static void check_numeric(const struct csv_table *t)
{
	size_t k, n = t->nrows * t->ncols;
	int64_t iv;
	double fv;
	int rc, irc;

	if (n > FUZZ_NUMERIC_CELLS)
		n = FUZZ_NUMERIC_CELLS;
	for (k = 0; k < n; k++) {
		size_t row = k / t->ncols, col = k % t->ncols;
		const char *s = t->cells[k];

		iv = FUZZ_I64_SENTINEL;
		fuzz_clear_last_error();
		irc = csv_table_i64(t, row, col, &iv);
		if (irc) {
			FUZZ_CHECK_ERROR(irc, -EINVAL, -ERANGE, -ERANGE);
			FUZZ_CHECKF(iv == FUZZ_I64_SENTINEL, "failed i64 wrote %lld", (long long)iv);
		}

		fv = FUZZ_F_SENTINEL;
		fuzz_clear_last_error();
		rc = csv_table_f(t, row, col, &fv);
		if (rc) {
			FUZZ_CHECK_ERROR(rc, -EINVAL, -ERANGE, -ERANGE);
			FUZZ_CHECK(fv == FUZZ_F_SENTINEL);
		} else if (!*s) {
			FUZZ_CHECKF(isnan(fv), "empty cell read as %g, not NaN", fv);
		} else {
			FUZZ_CHECKF(isfinite(fv), "cell '%s' read as %g", s, fv);
		}
		/* An integer cell is a number too, and the same one (both round correctly). */
		if (!irc)
			FUZZ_CHECKF(!rc && fv == (double)iv, "cell '%s': i64 %lld but double %g (%d)",
				    s, (long long)iv, fv, rc);
	}
	/* Outside the table: an error, never a read past it. */
	iv = FUZZ_I64_SENTINEL;
	fuzz_clear_last_error();
	rc = csv_table_i64(t, t->nrows, 0, &iv);
	FUZZ_CHECK_ERROR(rc, -EINVAL, -EINVAL, -EINVAL);
	FUZZ_CHECK(iv == FUZZ_I64_SENTINEL);
}

/*
 * Write @t with csvw to "-" while stdout is a memory stream (glibc lets a
 * program assign stdout). Returns the text (malloc'd) and its length.
 */
static char *write_table(const struct csv_table *t, size_t *len)
{
	FILE *mem, *saved = stdout;
	struct csvw *w;
	char *text = NULL;
	size_t i, j;
	int rc = 0;

	mem = open_memstream(&text, len);
	FUZZ_CHECK(mem != NULL);
	stdout = mem;
	w = csvw_open("-", (const char *const *)t->header, t->ncols);
	FUZZ_CHECKF(w != NULL, "csvw_open: %s", strerror(errno));
	for (i = 0; !rc && i < t->nrows; i++) {
		for (j = 0; !rc && j < t->ncols; j++)
			rc = csvw_str(w, t->cells[i * t->ncols + j]);
		if (!rc)
			rc = csvw_end_row(w);
	}
	if (rc)
		csvw_abort(w);
	else
		rc = csvw_commit(w);
	stdout = saved;
	FUZZ_CHECKF(rc == 0, "writing the table back failed: %d", rc);
	FUZZ_CHECK(fclose(mem) == 0);
	return text;
}

static void check_round_trip(const struct csv_table *t)
{
	struct csv_table back;
	size_t len, i;
	char *text;
	int rc;

	text = write_table(t, &len);
	rc = csv_table_parse(text, len, &back);
	FUZZ_CHECKF(rc == 0, "the written table does not parse back (%d):\n%s", rc, text);
	FUZZ_CHECKF(back.ncols == t->ncols && back.nrows == t->nrows,
		    "%zu x %zu table came back as %zu x %zu:\n%s", t->nrows, t->ncols,
		    back.nrows, back.ncols, text);
	for (i = 0; i < t->ncols; i++)
		FUZZ_CHECKF(!strcmp(back.header[i], t->header[i]),
			    "header %zu '%s' came back as '%s'", i, t->header[i], back.header[i]);
	for (i = 0; i < t->nrows * t->ncols; i++)
		FUZZ_CHECKF(!strcmp(back.cells[i], t->cells[i]),
			    "cell %zu '%s' came back as '%s'", i, t->cells[i], back.cells[i]);
	csv_table_free(&back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_table t;
	int rc;

	fuzz_clear_last_error();
	rc = csv_table_parse((const char *)data, size, &t);
	if (rc) {
		FUZZ_CHECK_ERROR(rc, -EINVAL, -ENOMEM, -ENOMEM);
		FUZZ_CHECK(t.ncols == 0 && t.nrows == 0 && !t.header && !t.cells && !t.lines &&
			   !t.path);
		csv_table_free(&t);
		return 0;
	}
	check_shape(&t, (const char *)data, size);
	check_numeric(&t);
	check_round_trip(&t);
	csv_table_free(&t);
	return 0;
}
