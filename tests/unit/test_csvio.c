/*
 * Unit tests for common/csvio: exact writer output, round trips through
 * libcsv, strict reading and error messages, temporary-file hygiene, and a
 * real disk-full case on a tiny tmpfs.
 *
 * Tests write only under a fresh mkdtemp() directory in /tmp and remove it;
 * they never touch the source tree. The tmpfs test mounts and unmounts its
 * own mount point and skips (with the reason) where mounting is not allowed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"
#include "common/log.h"
#include "tests/support/files.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define assert_contains(hay, needle)                                                    \
	do {                                                                            \
		if (!strstr((hay), (needle)))                                           \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));    \
	} while (0)

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
	(void)state;
	return support_mkdtemp(tmpdir, sizeof(tmpdir), "csvio");
}

static int teardown_tmpdir(void **state)
{
	char mnt[128];

	(void)state;
	/* A failed disk-full test may leave its tmpfs mounted: never recurse into it. */
	snprintf(mnt, sizeof(mnt), "%s/tiny", tmpdir);
	(void)umount2(mnt, MNT_DETACH);
	return support_rmtree(tmpdir);
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int parse_str(const char *s, struct csv_table *t)
{
	return csv_table_parse(s, strlen(s), t);
}

/* ---- writer ---------------------------------------------------------------- */

static void test_csvio_writer_exact_text(void **state)
{
	static const char *const cols[] = { "t_ns", "name", "value_pct", "count" };
	char path[256];
	struct csvw *w;
	char *text;

	(void)state;
	tmp_path(path, sizeof(path), "exact.csv");
	w = csvw_open(path, cols, 4);
	assert_non_null(w);
	assert_int_equal(csvw_i64(w, 1000), 0);
	assert_int_equal(csvw_str(w, "a,b"), 0);
	assert_int_equal(csvw_f(w, 1.5, 2), 0);
	assert_int_equal(csvw_u64(w, 7), 0);
	assert_int_equal(csvw_end_row(w), 0);
	assert_int_equal(csvw_i64(w, -5), 0);
	assert_int_equal(csvw_str(w, "plain text"), 0);
	assert_int_equal(csvw_f(w, NAN, 3), 0);
	assert_int_equal(csvw_u64(w, UINT64_MAX), 0);
	assert_int_equal(csvw_end_row(w), 0);
	assert_int_equal(csvw_commit(w), 0);

	text = support_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "t_ns,name,value_pct,count\n"
				  "1000,\"a,b\",1.50,7\n"
				  "-5,plain text,,18446744073709551615\n");
	free(text);
}

static void test_csvio_writer_quotes_only_when_needed(void **state)
{
	static const char *const cols[] = { "has space", "q\"h" };
	char path[256];
	struct csvw *w;
	char *text;

	(void)state;
	tmp_path(path, sizeof(path), "quotes.csv");
	w = csvw_open(path, cols, 2);
	assert_non_null(w);
	csvw_str(w, "say \"hi\"");
	csvw_str(w, " lead");
	csvw_end_row(w);
	csvw_str(w, "trail\t");
	csvw_str(w, "two\nlines");
	csvw_end_row(w);
	csvw_str(w, "");
	csvw_str(w, "cr\rx");
	csvw_end_row(w);
	csvw_f(w, 2.0 / 3.0, 0);
	csvw_f(w, -0.125, 3);
	assert_int_equal(csvw_end_row(w), 0);
	assert_int_equal(csvw_commit(w), 0);

	text = support_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "has space,\"q\"\"h\"\n"
				  "\"say \"\"hi\"\"\",\" lead\"\n"
				  "\"trail\t\",\"two\nlines\"\n"
				  ",\"cr\rx\"\n"
				  "1,-0.125\n");
	free(text);
}

static void test_csvio_round_trip(void **state)
{
	static const char *const cols[] = { "id", "text", "ratio", "big" };
	static const char *const texts[] = {
		"comma, inside", "say \"hi\"", "two\nlines", "", " padded ", "crlf\r\nend",
		"\ttab", "\"", ",,,",
	};
	const size_t n = sizeof(texts) / sizeof(texts[0]);
	struct csv_table t;
	char path[256];
	struct csvw *w;
	int64_t iv;
	double dv;
	size_t i;

	(void)state;
	tmp_path(path, sizeof(path), "round.csv");
	w = csvw_open(path, cols, 4);
	assert_non_null(w);
	for (i = 0; i < n; i++) {
		csvw_i64(w, (int64_t)i - 3);
		csvw_str(w, texts[i]);
		csvw_f(w, (double)i / 4.0, 2);
		csvw_i64(w, i == 0 ? INT64_MIN : INT64_MAX);
		assert_int_equal(csvw_end_row(w), 0);
	}
	assert_int_equal(csvw_commit(w), 0);

	assert_int_equal(csv_table_load(path, &t), 0);
	assert_int_equal(t.ncols, 4);
	assert_int_equal(t.nrows, n);
	assert_string_equal(t.header[1], "text");
	assert_int_equal(csv_table_col(&t, "ratio"), 2);
	assert_int_equal(csv_table_col(&t, "nope"), -1);
	for (i = 0; i < n; i++) {
		assert_string_equal(csv_table_cell(&t, i, 1), texts[i]);
		assert_int_equal(csv_table_i64(&t, i, 0, &iv), 0);
		assert_int_equal(iv, (int64_t)i - 3);
		assert_int_equal(csv_table_f(&t, i, 2, &dv), 0);
		assert_true(dv == (double)i / 4.0);
		assert_int_equal(csv_table_i64(&t, i, 3, &iv), 0);
		assert_true(iv == (i == 0 ? INT64_MIN : INT64_MAX));
	}
	assert_string_equal(csv_table_cell(&t, n, 0), "");
	csv_table_free(&t);
}

static void test_csvio_temp_gone_after_commit(void **state)
{
	static const char *const cols[] = { "a" };
	char path[256], tmp[300];
	struct csvw *w;

	(void)state;
	tmp_path(path, sizeof(path), "commit.csv");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	w = csvw_open(path, cols, 1);
	assert_non_null(w);
	csvw_i64(w, 1);
	csvw_end_row(w);
	assert_int_equal(csvw_flush(w), 0);
	assert_true(exists(tmp));
	assert_false(exists(path));
	assert_int_equal(csvw_commit(w), 0);
	assert_false(exists(tmp));
	assert_true(exists(path));
	assert_int_equal(support_count_entries(tmpdir, NULL), 1);
}

static void test_csvio_temp_gone_after_abort(void **state)
{
	static const char *const cols[] = { "a" };
	char path[256], tmp[300];
	struct csvw *w;

	(void)state;
	tmp_path(path, sizeof(path), "abort.csv");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	w = csvw_open(path, cols, 1);
	assert_non_null(w);
	csvw_i64(w, 1);
	csvw_end_row(w);
	assert_true(exists(tmp));
	csvw_abort(w);
	assert_false(exists(tmp));
	assert_false(exists(path));
	assert_int_equal(support_count_entries(tmpdir, NULL), 0);
}

static void test_csvio_ragged_row_refused(void **state)
{
	static const char *const cols[] = { "a", "b" };
	char path[256];
	struct csvw *w;

	(void)state;
	tmp_path(path, sizeof(path), "ragged.csv");
	w = csvw_open(path, cols, 2);
	assert_non_null(w);
	csvw_i64(w, 1);
	assert_int_equal(csvw_end_row(w), -EINVAL);
	assert_contains(log_last_error(), "row has 1 fields, header has 2");
	/* Sticky: the file would be unreadable, so it never appears. */
	assert_int_equal(csvw_i64(w, 2), -EINVAL);
	assert_int_equal(csvw_commit(w), -EINVAL);
	assert_false(exists(path));
	assert_int_equal(support_count_entries(tmpdir, NULL), 0);
}

static void test_csvio_open_missing_dir_fails(void **state)
{
	static const char *const cols[] = { "a" };
	char path[256];

	(void)state;
	tmp_path(path, sizeof(path), "no/such/dir.csv");
	errno = 0;
	assert_null(csvw_open(path, cols, 1));
	assert_int_equal(errno, ENOENT);
	/* The file asked for and its missing directory, never the temporary's name. */
	assert_contains(log_last_error(), "no/such/dir.csv: directory ");
	assert_contains(log_last_error(), "no/such: No such file or directory");
	assert_null(strstr(log_last_error(), ".tmp."));
}

static void test_csvio_stdout_dash(void **state)
{
	static const char *const cols[] = { "x", "y" };
	char path[256];
	struct csvw *w;
	char *text;
	int saved, fd;

	(void)state;
	tmp_path(path, sizeof(path), "stdout.txt");
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);

	w = csvw_open("-", cols, 2);
	assert_non_null(w);
	csvw_u64(w, 3);
	csvw_str(w, "x,y");
	csvw_end_row(w);
	assert_int_equal(csvw_commit(w), 0);

	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	text = support_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "x,y\n3,\"x,y\"\n");
	free(text);
	assert_false(exists("-"));
}

static void test_csvio_disk_full_enospc(void **state)
{
	static const char *const cols[] = { "t_ns", "filler" };
	char mnt[300], path[400];
	char filler[201];
	struct csvw *w;
	int i, rc, err = 0;

	(void)state;
	snprintf(mnt, sizeof(mnt), "%s/tiny", tmpdir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=16k") < 0) {
		int e = errno;

		rmdir(mnt);
		print_message("cannot mount a 16k tmpfs (%s): skipping the disk-full test\n",
			      strerror(e));
		skip();
	}
	snprintf(path, sizeof(path), "%s/big.csv", mnt);
	memset(filler, 'z', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = '\0';

	w = csvw_open(path, cols, 2);
	assert_non_null(w);
	/* ~80 KiB of rows into 16 KiB: some write must fail with ENOSPC. */
	for (i = 0; i < 400; i++) {
		csvw_i64(w, i);
		csvw_str(w, filler);
		rc = csvw_end_row(w);
		assert_true(rc == 0 || rc == -ENOSPC);
		if (rc && !err)
			err = rc;
	}
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(csvw_commit(w), -ENOSPC);
	assert_contains(log_last_error(), path);
	assert_contains(log_last_error(), "No space left on device");
	/* Neither the final file nor the temporary remains. */
	assert_int_equal(support_count_entries(mnt, NULL), 0);

	assert_int_equal(umount2(mnt, 0), 0);
	assert_int_equal(rmdir(mnt), 0);
}

/* ---- reader ---------------------------------------------------------------- */

static void test_csvio_parse_ragged_row_names_line(void **state)
{
	struct csv_table t;

	(void)state;
	assert_int_equal(parse_str("a,b\n1,2\n3\n4,5\n", &t), -EINVAL);
	assert_string_equal(log_last_error(), "line 3: expected 2 fields, got 1");
	assert_null(t.cells);

	assert_int_equal(parse_str("a,b\n1,2,3\n", &t), -EINVAL);
	assert_string_equal(log_last_error(), "line 2: expected 2 fields, got 3");
}

static void test_csvio_parse_line_after_multiline_field(void **state)
{
	struct csv_table t;

	(void)state;
	/* Line 2-3 hold one record with a quoted newline; the bad record is on line 4. */
	assert_int_equal(parse_str("a,b\n\"x\ny\",1\n2\n", &t), -EINVAL);
	assert_string_equal(log_last_error(), "line 4: expected 2 fields, got 1");
}

static void test_csvio_parse_unterminated_quote(void **state)
{
	struct csv_table t;

	(void)state;
	assert_int_equal(parse_str("a,b\n1,2\n3,\"open\nmore\n", &t), -EINVAL);
	assert_contains(log_last_error(), "line 3");
	assert_contains(log_last_error(), "unterminated");
}

static void test_csvio_parse_stray_quote(void **state)
{
	struct csv_table t;

	(void)state;
	assert_int_equal(parse_str("a,b\n1,2\n1,x\"y\"\n", &t), -EINVAL);
	assert_contains(log_last_error(), "line 3");
	assert_int_equal(parse_str("a,b\n\"q\"z,1\n", &t), -EINVAL);
	assert_contains(log_last_error(), "line 2");
}

static void test_csvio_parse_trailing_lines(void **state)
{
	struct csv_table t;

	(void)state;
	assert_int_equal(parse_str("a,b\n1,2\n\n", &t), 0);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(csv_table_cell(&t, 0, 1), "2");
	csv_table_free(&t);

	assert_int_equal(parse_str("a,b\n1,2", &t), 0);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(csv_table_cell(&t, 0, 1), "2");
	csv_table_free(&t);

	assert_int_equal(parse_str("a,b\r\n1,\r\n", &t), 0);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(t.header[1], "b");
	assert_string_equal(csv_table_cell(&t, 0, 0), "1");
	assert_string_equal(csv_table_cell(&t, 0, 1), "");
	csv_table_free(&t);
}

static void test_csvio_parse_header_only_and_empty(void **state)
{
	struct csv_table t;

	(void)state;
	assert_int_equal(parse_str("only,header\n", &t), 0);
	assert_int_equal(t.ncols, 2);
	assert_int_equal(t.nrows, 0);
	assert_non_null(t.cells);
	assert_int_equal(csv_table_col(&t, "header"), 1);
	csv_table_free(&t);

	assert_int_equal(parse_str("", &t), -EINVAL);
	assert_contains(log_last_error(), "no header row");
	assert_int_equal(parse_str("\n\n", &t), -EINVAL);
}

static void test_csvio_i64_strict(void **state)
{
	struct csv_table t;
	int64_t v = 99;

	(void)state;
	assert_int_equal(parse_str("n,m\n12x,\n-7,\" 12\"\n99999999999999999999,0\n", &t), 0);
	/* Cells are named by file line (the header is line 1), as parse errors are. */
	assert_int_equal(csv_table_i64(&t, 0, 0, &v), -EINVAL);
	assert_contains(log_last_error(), "line 2, column n");
	assert_contains(log_last_error(), "12x");
	assert_int_equal(csv_table_i64(&t, 0, 1, &v), -EINVAL);
	assert_string_equal(log_last_error(), "line 2, column m: empty cell");
	assert_int_equal(csv_table_i64(&t, 1, 1, &v), -EINVAL);
	assert_int_equal(csv_table_i64(&t, 2, 0, &v), -ERANGE);
	assert_contains(log_last_error(), "line 4, column n");
	assert_int_equal(v, 99);                /* untouched on error */
	assert_int_equal(csv_table_i64(&t, 1, 0, &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(csv_table_i64(&t, 5, 0, &v), -EINVAL);
	csv_table_free(&t);
}

static void test_csvio_f_strict(void **state)
{
	struct csv_table t;
	double v = 0;
	int64_t iv = 5;

	(void)state;
	assert_int_equal(parse_str("pct\n1.5e3\n12x\n\n1.5.2\n-0.25\n", &t), 0);
	/* The blank line is skipped by libcsv, so there are four rows. */
	assert_int_equal(t.nrows, 4);
	assert_int_equal(csv_table_f(&t, 0, 0, &v), 0);
	assert_true(v == 1500.0);
	assert_int_equal(csv_table_f(&t, 1, 0, &v), -EINVAL);
	assert_contains(log_last_error(), "line 3, column pct");
	/* The skipped blank line still counts: the third row is on line 5. */
	assert_int_equal(csv_table_f(&t, 2, 0, &v), -EINVAL);
	assert_contains(log_last_error(), "line 5, column pct");
	assert_int_equal(csv_table_f(&t, 3, 0, &v), 0);
	assert_true(v == -0.25);
	csv_table_free(&t);

	/* Empty is "not measured": NaN for a double, still an error for an integer. */
	assert_int_equal(parse_str("pct,x\n,1\n", &t), 0);
	assert_int_equal(csv_table_f(&t, 0, 0, &v), 0);
	assert_true(isnan(v));
	assert_int_equal(csv_table_i64(&t, 0, 0, &iv), -EINVAL);
	assert_string_equal(log_last_error(), "line 2, column pct: empty cell");
	assert_int_equal(iv, 5);
	csv_table_free(&t);
}

/* Parse a one-column table "<name>" with @cells quoted (so " 1" keeps its blank). */
static void one_column(const char *name, const char *const *cells, size_t n, struct csv_table *t)
{
	char text[512];
	size_t i, len;

	len = (size_t)snprintf(text, sizeof(text), "%s\n", name);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "\"%s\"\n", cells[i]);
	assert_true(len < sizeof(text));
	assert_int_equal(parse_str(text, t), 0);
	assert_int_equal(t->nrows, n);
}

static void test_csvio_f_rejects_non_decimal(void **state)
{
	static const char *const bad[] = {
		"nan", "NaN", "inf", "-inf", "infinity", "0x1p3", "0x10", "+5", " 1", "1 ",
		".5", "1.", "1e", "1e+", "-", "1,5",
	};
	static const char *const edge[] = { "1e999", "1e-3", "-2E+2" };
	struct csv_table t;
	char want[64];
	double v = 42.0;
	size_t i;

	(void)state;
	one_column("pct", bad, sizeof(bad) / sizeof(bad[0]), &t);
	for (i = 0; i < t.nrows; i++) {
		if (csv_table_f(&t, i, 0, &v) != -EINVAL)
			fail_msg("cell \"%s\" was not refused", csv_table_cell(&t, i, 0));
		snprintf(want, sizeof(want), "line %zu, column pct: ", i + 2);
		assert_contains(log_last_error(), want);
		assert_true(v == 42.0);         /* untouched on error */
	}
	csv_table_free(&t);

	one_column("pct", edge, sizeof(edge) / sizeof(edge[0]), &t);
	assert_int_equal(csv_table_f(&t, 0, 0, &v), -ERANGE);
	assert_contains(log_last_error(), "line 2, column pct");
	assert_true(v == 42.0);
	assert_int_equal(csv_table_f(&t, 1, 0, &v), 0);
	assert_true(v == 1e-3);
	assert_int_equal(csv_table_f(&t, 2, 0, &v), 0);
	assert_true(v == -200.0);
	csv_table_free(&t);
}

static void test_csvio_i64_rejects_sign_and_hex(void **state)
{
	static const char *const cells[] = {
		"+5", "0x10", "1e3", "1.0", "-", "nan", "--1", "-0", "0007",
	};
	const size_t nbad = 7;
	struct csv_table t;
	int64_t v = 42;
	size_t i;

	(void)state;
	one_column("n", cells, sizeof(cells) / sizeof(cells[0]), &t);
	for (i = 0; i < nbad; i++) {
		if (csv_table_i64(&t, i, 0, &v) != -EINVAL)
			fail_msg("cell \"%s\" was not refused", cells[i]);
		assert_contains(log_last_error(), "column n");
		assert_contains(log_last_error(), cells[i]);
		assert_int_equal(v, 42);
	}
	assert_int_equal(csv_table_i64(&t, nbad, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(csv_table_i64(&t, nbad + 1, 0, &v), 0);
	assert_int_equal(v, 7);
	csv_table_free(&t);
}

static void test_csvio_nan_round_trip(void **state)
{
	static const char *const cols[] = { "t_ns", "steal_pct", "delay_pct" };
	struct csv_table t;
	char path[256], msg[400];
	struct csvw *w;
	double v;
	int64_t iv = 5;

	(void)state;
	tmp_path(path, sizeof(path), "nan.csv");
	w = csvw_open(path, cols, 3);
	assert_non_null(w);
	csvw_i64(w, 100);
	csvw_f(w, NAN, 3);
	csvw_f(w, 12.5, 3);
	assert_int_equal(csvw_end_row(w), 0);
	csvw_i64(w, 200);
	csvw_f(w, 0.125, 3);
	csvw_f(w, NAN, 1);
	assert_int_equal(csvw_end_row(w), 0);
	assert_int_equal(csvw_commit(w), 0);

	assert_int_equal(csv_table_load(path, &t), 0);
	assert_int_equal(t.nrows, 2);
	assert_string_equal(csv_table_cell(&t, 0, 1), "");
	assert_int_equal(csv_table_f(&t, 0, 1, &v), 0);
	assert_true(isnan(v));
	assert_int_equal(csv_table_f(&t, 0, 2, &v), 0);
	assert_true(v == 12.5);
	assert_int_equal(csv_table_f(&t, 1, 1, &v), 0);
	assert_true(v == 0.125);
	assert_int_equal(csv_table_f(&t, 1, 2, &v), 0);
	assert_true(isnan(v));
	/* An integer column has no "not measured". */
	assert_int_equal(csv_table_i64(&t, 1, 2, &iv), -EINVAL);
	/* A loaded table names its file, like every other error about it. */
	snprintf(msg, sizeof(msg), "%s: line 3, column delay_pct: empty cell", path);
	assert_string_equal(log_last_error(), msg);
	assert_int_equal(iv, 5);
	csv_table_free(&t);
}

static void test_csvio_abort_keeps_old_file(void **state)
{
	static const char *const cols[] = { "a" };
	char path[256];
	struct csvw *w;
	char *text;
	FILE *fp;

	(void)state;
	tmp_path(path, sizeof(path), "keep.csv");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("a\n1\n", fp);
	assert_int_equal(fclose(fp), 0);

	/* A writer that fails (ragged row) or aborts leaves the old file as it was. */
	w = csvw_open(path, cols, 1);
	assert_non_null(w);
	csvw_i64(w, 2);
	csvw_i64(w, 3);
	assert_int_equal(csvw_end_row(w), -EINVAL);
	assert_int_equal(csvw_commit(w), -EINVAL);
	w = csvw_open(path, cols, 1);
	assert_non_null(w);
	csvw_i64(w, 4);
	csvw_end_row(w);
	csvw_abort(w);

	text = support_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "a\n1\n");
	free(text);
	assert_int_equal(support_count_entries(tmpdir, NULL), 1);
}

/* Write @text as the file @path. */
static void put_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_csvio_load_errors_name_path(void **state)
{
	char path[256], msg[600];
	struct csv_table t;

	(void)state;
	tmp_path(path, sizeof(path), "bad.csv");
	assert_int_equal(csv_table_load(path, &t), -ENOENT);
	assert_contains(log_last_error(), path);

	put_text(path, "a,b,c\n1,2,3\n4,5\n");
	assert_int_equal(csv_table_load(path, &t), -EINVAL);
	snprintf(msg, sizeof(msg), "%s: line 3: expected 3 fields, got 2", path);
	assert_string_equal(log_last_error(), msg);

	/* A bad cell names the file and its line too, past a quoted line break. */
	put_text(path, "a,b\n\"x\ny\",1\n\nz,20ms\n");
	assert_int_equal(csv_table_load(path, &t), 0);
	assert_string_equal(t.path, path);
	assert_int_equal(csv_table_i64(&t, 0, 1, &(int64_t){ 0 }), 0);
	assert_int_equal(csv_table_i64(&t, 1, 1, &(int64_t){ 0 }), -EINVAL);
	snprintf(msg, sizeof(msg), "%s: line 5, column b: invalid integer '20ms'", path);
	assert_contains(log_last_error(), msg);
	assert_int_equal(csv_table_i64(&t, 2, 1, &(int64_t){ 0 }), -EINVAL);
	snprintf(msg, sizeof(msg), "%s: data row 3, column 2: no such cell", path);
	assert_contains(log_last_error(), msg);
	csv_table_free(&t);
	assert_null(t.path);
	assert_null(t.lines);
}

/* Columns are found by name: a header that names one twice is refused. */
static void test_csvio_parse_duplicate_column(void **state)
{
	char path[256], msg[400];
	struct csv_table t;

	(void)state;
	assert_int_equal(parse_str("t_ns,pct,t_ns\n1,2,3\n", &t), -EINVAL);
	assert_string_equal(log_last_error(), "line 1: duplicate column 't_ns'");
	assert_null(t.header);
	assert_null(t.cells);
	/* after blank lines the header is further down; an empty name counts too */
	assert_int_equal(parse_str("\n\na,,b,\n1,2,3,4\n", &t), -EINVAL);
	assert_string_equal(log_last_error(), "line 3: duplicate column ''");
	/* names differing only in case are different columns */
	assert_int_equal(parse_str("a,A\n1,2\n", &t), 0);
	assert_int_equal(csv_table_col(&t, "A"), 1);
	csv_table_free(&t);

	tmp_path(path, sizeof(path), "dup.csv");
	put_text(path, "proc,unit,t_ns,progress_pct,t_ns\n0,1,10,10.0,90\n");
	assert_int_equal(csv_table_load(path, &t), -EINVAL);
	snprintf(msg, sizeof(msg), "%s: line 1: duplicate column 't_ns'", path);
	assert_string_equal(log_last_error(), msg);
	assert_null(t.path);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_tmpdir, teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_csvio_writer_exact_text),
		T(test_csvio_writer_quotes_only_when_needed),
		T(test_csvio_round_trip),
		T(test_csvio_temp_gone_after_commit),
		T(test_csvio_temp_gone_after_abort),
		T(test_csvio_ragged_row_refused),
		T(test_csvio_open_missing_dir_fails),
		T(test_csvio_stdout_dash),
		T(test_csvio_disk_full_enospc),
		T(test_csvio_parse_ragged_row_names_line),
		T(test_csvio_parse_line_after_multiline_field),
		T(test_csvio_parse_unterminated_quote),
		T(test_csvio_parse_stray_quote),
		T(test_csvio_parse_trailing_lines),
		T(test_csvio_parse_header_only_and_empty),
		T(test_csvio_i64_strict),
		T(test_csvio_f_strict),
		T(test_csvio_f_rejects_non_decimal),
		T(test_csvio_i64_rejects_sign_and_hex),
		T(test_csvio_nan_round_trip),
		T(test_csvio_abort_keeps_old_file),
		T(test_csvio_load_errors_name_path),
		T(test_csvio_parse_duplicate_column),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests_name("csvio", tests, NULL, NULL);
}
