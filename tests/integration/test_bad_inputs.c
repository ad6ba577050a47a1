/*
 * test_bad_inputs: every row of docs/bad-inputs.md, run for real. The page
 * is a table of bad inputs (a command, its exit code, a part of its stderr);
 * this test parses it, runs each command from the repository root without a
 * shell (bin/NAME becomes TEST_BINDIR/NAME, so the asan build tests its own
 * binaries) and checks the exit code, the message, that the error is logged
 * once, and that nothing was left behind in the repository.
 *
 * The document is the specification here: this file holds no list of
 * inputs of its own and never edits the page. Rows named under "Known
 * problems" record a wrong answer on purpose; they are checked like the
 * others except that they may have no error line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/run.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOC_PATH TEST_FIXTURES "/../../docs/bad-inputs.md"
#define REPO_ROOT TEST_FIXTURES "/../.."
#define MIN_ROWS 30
#define MAX_ARGS 32
/* A row is killed (and named) after ROW_KILL_MS; support_run's own limit is later. */
#define ROW_KILL_MS 30000
#define ROW_TIMEOUT_MS 40000
#define KNOWN_HEADING "## Known problems"
#define STDOUT_PREFIX "stdout: "
#define NO_STDERR "(none)"
#define ERROR_MARK ": error: "

/* One row of the table. Strings point into the document buffer. */
struct bad_row {
	int num;
	const char *cmd;               /* without backticks */
	int exit_code;
	const char *msg;               /* without backticks */
	int known;                     /* listed under "Known problems" */
};

struct bad_doc {
	char *text;                    /* the whole page, cut into cells in place */
	struct bad_row *rows;
	size_t nrows;
	int *known;                    /* row numbers named under "Known problems" */
	size_t nknown;
};

/* ---- parsing the page ---------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* "`text`" -> "text" in place; NULL when @s is not one code span. */
static char *unquote(char *s)
{
	size_t n = strlen(s);

	if (n < 2 || s[0] != '`' || s[n - 1] != '`')
		return NULL;
	s[n - 1] = '\0';
	s++;
	return strchr(s, '`') ? NULL : s;
}

/* A whole non-negative decimal number, else -1. */
static int whole_number(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > 100000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/*
 * One table line "| n | `cmd` | exit | `msg` | why |" into @row (cells cut
 * in place). Returns 1 for a row, 0 for any other line (headers, the exit
 * code table, prose), -1 for a line that looks like a row but is broken.
 */
static int parse_row(char *line, struct bad_row *row)
{
	char *cell[6], *p = line;
	int n = 0;

	if (line[0] != '|')
		return 0;
	p++;
	while (n < 6) {
		char *bar = strchr(p, '|');

		if (!bar)
			break;
		*bar = '\0';
		cell[n++] = trim(p);
		p = bar + 1;
	}
	if (n != 5 || *trim(p) != '\0')
		return 0;
	row->num = whole_number(cell[0]);
	if (row->num < 0 || cell[1][0] != '`')
		return 0;
	row->cmd = unquote(cell[1]);
	row->exit_code = whole_number(cell[2]);
	row->msg = unquote(cell[3]);
	row->known = 0;
	if (!row->cmd || !row->msg || row->exit_code < 0 || !row->msg[0])
		return -1;
	return 1;
}

/* "- Row 12: ..." or "- Rows 10, 38 and 47: ...": every number before the ':'. */
static void parse_known(struct bad_doc *d, const char *line)
{
	const char *p;

	if (!strncmp(line, "- Row ", 6))
		p = line + 6;
	else if (!strncmp(line, "- Rows ", 7))
		p = line + 7;
	else
		return;
	for (; *p && *p != ':'; p++) {
		int v = 0;

		if (!isdigit((unsigned char)*p))
			continue;
		while (isdigit((unsigned char)*p))
			v = v * 10 + (*p++ - '0');
		p--;
		d->known = realloc(d->known, (d->nknown + 1) * sizeof(*d->known));
		assert_non_null(d->known);
		d->known[d->nknown++] = v;
	}
}

static int doc_setup(void **state)
{
	struct bad_doc *d = calloc(1, sizeof(*d));
	char *line, *save = NULL;
	int in_known = 0;
	size_t i, k;

	assert_non_null(d);
	d->text = support_slurp(DOC_PATH);
	if (!d->text[0]) {
		print_error("cannot read %s\n", DOC_PATH);
		return -1;
	}
	for (line = strtok_r(d->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct bad_row row;
		int rc;

		if (!strncmp(line, "## ", 3))
			in_known = !strncmp(line, KNOWN_HEADING, strlen(KNOWN_HEADING));
		if (in_known) {
			parse_known(d, line);
			continue;
		}
		rc = parse_row(line, &row);
		if (rc < 0) {
			print_error("%s: malformed row %d: the command and the message must each "
				    "be one code span, the exit code a number\n", DOC_PATH, row.num);
			return -1;
		}
		if (rc == 0)
			continue;
		d->rows = realloc(d->rows, (d->nrows + 1) * sizeof(*d->rows));
		assert_non_null(d->rows);
		d->rows[d->nrows++] = row;
	}
	for (i = 0; i < d->nrows; i++)
		for (k = 0; k < d->nknown; k++)
			if (d->known[k] == d->rows[i].num)
				d->rows[i].known = 1;
	if (chdir(REPO_ROOT)) {
		print_error("chdir %s: %s\n", REPO_ROOT, strerror(errno));
		return -1;
	}
	*state = d;
	return 0;
}

static int doc_teardown(void **state)
{
	struct bad_doc *d = *state;

	if (d) {
		free(d->rows);
		free(d->known);
		free(d->text);
		free(d);
	}
	return 0;
}

/* ---- what a command leaves behind --------------------------------------- */

/*
 * The paths a bad input must never leave: temporary files of an atomic
 * write (NAME.tmp.PID) under tests/fixtures/ and results/, and anything
 * new in this test's own fixtures (tests/fixtures/bad-*). nftw() has no
 * context argument, so the list being built is file-static.
 */
struct path_list {
	char **paths;
	size_t n;
};

static struct path_list *walk_into;

static int is_watched(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (strstr(base, ".tmp."))
		return 1;
	return !strncmp(path, "tests/fixtures/bad-", strlen("tests/fixtures/bad-"));
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct path_list *l = walk_into;

	(void)st;
	(void)type;
	(void)ftw;
	if (!is_watched(path))
		return 0;
	l->paths = realloc(l->paths, (l->n + 1) * sizeof(*l->paths));
	assert_non_null(l->paths);
	l->paths[l->n] = strdup(path);
	assert_non_null(l->paths[l->n]);
	l->n++;
	return 0;
}

static void snapshot(struct path_list *l)
{
	memset(l, 0, sizeof(*l));
	walk_into = l;
	/* either may be missing (results/ before the first run): nothing to list */
	(void)nftw("tests/fixtures", walk_one, 16, FTW_PHYS);
	(void)nftw("results", walk_one, 16, FTW_PHYS);
	walk_into = NULL;
}

static int listed(const struct path_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->paths[i], path))
			return 1;
	return 0;
}

static void free_list(struct path_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

/* ---- running one row ---------------------------------------------------- */

static size_t error_lines(const char *err)
{
	size_t n = 0;

	while (*err) {
		const char *nl = strchr(err, '\n');
		size_t len = nl ? (size_t)(nl - err) : strlen(err);
		const char *hit = strstr(err, ERROR_MARK);

		if (hit && hit < err + len)
			n++;
		err += len + (nl ? 1 : 0);
	}
	return n;
}

/* The first line of @s (for failure messages), cut to fit @out. */
static void first_line(const char *s, char *out, size_t outlen)
{
	size_t n = strcspn(s, "\n");

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/*
 * Split @cmd on spaces into @argv (bin/NAME mapped to TEST_BINDIR/NAME);
 * @buf and @tool hold the strings. Returns argc, or -1 with @why set.
 */
static int split_command(const char *cmd, char *buf, size_t buflen, char *tool,
			 size_t toollen, const char *argv[], const char **why)
{
	char *tok, *save = NULL;
	int argc = 0;

	if (strlen(cmd) >= buflen) {
		*why = "command too long";
		return -1;
	}
	strcpy(buf, cmd);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (argc == MAX_ARGS) {
			*why = "too many words";
			return -1;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 0 || strncmp(argv[0], "bin/", 4) || strchr(argv[0] + 4, '/')) {
		*why = "the command must start with bin/NAME";
		return -1;
	}
	if ((size_t)snprintf(tool, toollen, "%s/%s", TEST_BINDIR, argv[0] + 4) >= toollen) {
		*why = "tool path too long";
		return -1;
	}
	if (access(tool, X_OK)) {
		*why = "no such tool (make tools?)";
		return -1;
	}
	argv[0] = tool;
	return argc;
}

/* Run @row; print one line per way it differs from the page. Returns 0 if none. */
static int check_row(const struct bad_row *row)
{
	const char *argv[MAX_ARGS + 1], *why = NULL, *where, *msg = row->msg;
	char buf[1024], tool[PATH_MAX], line[200];
	struct path_list before, after;
	struct support_run r;
	size_t nerr, i;
	int bad = 0;

	if (split_command(row->cmd, buf, sizeof(buf), tool, sizeof(tool), argv, &why) < 0) {
		print_error("row %d (%s): %s\n", row->num, row->cmd, why);
		return 1;
	}
	snapshot(&before);
	support_run_signal(argv, SIGKILL, ROW_KILL_MS, ROW_TIMEOUT_MS, &r);
	snapshot(&after);

	if (r.term_signal) {
		first_line(r.err, line, sizeof(line));
		print_error("row %d (%s): killed by signal %d%s; stderr: %s\n", row->num,
			    row->cmd, r.term_signal,
			    r.term_signal == SIGKILL ? " (timed out)" : "", line);
		bad = 1;
	} else if (r.exit_code != row->exit_code) {
		first_line(r.err, line, sizeof(line));
		print_error("row %d (%s): exit %d, documented %d; stderr: %s\n", row->num,
			    row->cmd, r.exit_code, row->exit_code, line);
		bad = 1;
	}

	nerr = error_lines(r.err);
	if (!strcmp(msg, NO_STDERR)) {
		if (r.err[0]) {
			first_line(r.err, line, sizeof(line));
			print_error("row %d (%s): stderr should be empty, has: %s\n", row->num,
				    row->cmd, line);
			bad = 1;
		}
	} else {
		int on_stdout = !strncmp(msg, STDOUT_PREFIX, strlen(STDOUT_PREFIX));

		if (on_stdout)
			msg += strlen(STDOUT_PREFIX);
		where = on_stdout ? r.out : r.err;
		if (!strstr(where, msg)) {
			first_line(r.err, line, sizeof(line));
			print_error("row %d (%s): %s lacks '%s'; stderr: %s\n", row->num, row->cmd,
				    on_stdout ? "stdout" : "stderr", msg, line);
			bad = 1;
		}
		if (on_stdout && nerr != 0) {
			print_error("row %d (%s): %zu error lines on stderr, expected none\n",
				    row->num, row->cmd, nerr);
			bad = 1;
		} else if (!on_stdout && (nerr > 1 || (nerr == 0 && !row->known))) {
			print_error("row %d (%s): %zu lines with '%s' on stderr, expected one\n",
				    row->num, row->cmd, nerr, ERROR_MARK);
			bad = 1;
		}
	}

	for (i = 0; i < after.n; i++) {
		if (listed(&before, after.paths[i]))
			continue;
		print_error("row %d (%s): left %s behind\n", row->num, row->cmd, after.paths[i]);
		bad = 1;
	}
	free_list(&before);
	free_list(&after);
	support_run_free(&r);
	return bad;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_bad_inputs_table_has_30_numbered_rows(void **state)
{
	const struct bad_doc *d = *state;
	size_t i;

	if (d->nrows < MIN_ROWS)
		fail_msg("%s has %zu rows, at least %d wanted", DOC_PATH, d->nrows, MIN_ROWS);
	for (i = 0; i < d->nrows; i++)
		if (d->rows[i].num != (int)i + 1)
			fail_msg("%s: row %zu is numbered %d", DOC_PATH, i + 1, d->rows[i].num);
}

static void test_bad_inputs_known_problems_name_rows(void **state)
{
	const struct bad_doc *d = *state;
	size_t k;

	assert_true(d->nknown > 0);
	for (k = 0; k < d->nknown; k++)
		if (d->known[k] < 1 || (size_t)d->known[k] > d->nrows)
			fail_msg("%s: \"Known problems\" names row %d; the table has %zu",
				 DOC_PATH, d->known[k], d->nrows);
}

static void test_bad_inputs_every_row_as_documented(void **state)
{
	const struct bad_doc *d = *state;
	size_t i, failed = 0;

	for (i = 0; i < d->nrows; i++)
		failed += (size_t)check_row(&d->rows[i]);
	if (failed)
		fail_msg("%zu of %zu rows of %s differ from what the tools do", failed, d->nrows,
			 DOC_PATH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs_table_has_30_numbered_rows),
		cmocka_unit_test(test_bad_inputs_known_problems_name_rows),
		cmocka_unit_test(test_bad_inputs_every_row_as_documented),
	};

	return cmocka_run_group_tests(tests, doc_setup, doc_teardown);
}
