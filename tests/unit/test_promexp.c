/*
 * Unit tests for common/promexp: what it writes is compared byte for byte
 * where the format fixes the bytes, and read back with the strict parser of
 * tests/support/promparse (written apart from promexp, from the format's
 * description) everywhere: HELP and TYPE before samples, no family twice,
 * escapes that round-trip, names, NaN/Inf spelling, counters ending in
 * _total. Every refusal is checked to be -EINVAL, sticky, logged once and
 * to leave no partial line. The parser's own strictness is tested too, on
 * bad texts it must refuse. Textfiles go under a fresh mkdtemp() directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/promexp.h"
#include "tests/support/files.h"
#include "tests/support/promparse.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static int group_setup(void **state)
{
	(void)state;
	return support_mkdtemp(tmpdir, sizeof(tmpdir), "promexp");
}

static int group_teardown(void **state)
{
	(void)state;
	return support_rmtree(tmpdir);
}

/* An exposition written into memory. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
	struct promexp p;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	promexp_init(&m->p, m->f);
}

/* Finish: promexp_finish()'s result; the text stays in m->buf. */
static int mem_close(struct mem *m)
{
	int rc = promexp_finish(&m->p);

	assert_int_equal(fclose(m->f), 0);
	return rc;
}

/* ---- what is written ---------------------------------------------------- */

static void test_promexp_help_and_type_before_samples(void **state)
{
	const struct promexp_label cpu0[] = { { "cpu", "0" }, { "mode", "steal" } };
	const struct promexp_label cpu1[] = { { "cpu", "1" }, { "mode", "steal" } };
	const struct promparse_family *f;
	struct promparse_doc doc;
	struct mem m;

	(void)state;
	mem_open(&m);
	assert_int_equal(promexp_family(&m.p, "x_cpu_seconds_total", PROMEXP_COUNTER,
					"CPU time, seconds."), 0);
	assert_int_equal(promexp_sample(&m.p, cpu0, 2, 12.5), 0);
	assert_int_equal(promexp_sample(&m.p, cpu1, 2, 0.01), 0);
	assert_int_equal(promexp_family(&m.p, "x_up", PROMEXP_GAUGE, "Up."), 0);
	assert_int_equal(promexp_sample(&m.p, NULL, 0, 1), 0);
	assert_int_equal(mem_close(&m), 0);
	assert_string_equal(m.buf,
			    "# HELP x_cpu_seconds_total CPU time, seconds.\n"
			    "# TYPE x_cpu_seconds_total counter\n"
			    "x_cpu_seconds_total{cpu=\"0\",mode=\"steal\"} 12.5\n"
			    "x_cpu_seconds_total{cpu=\"1\",mode=\"steal\"} 0.01\n"
			    "# HELP x_up Up.\n"
			    "# TYPE x_up gauge\n"
			    "x_up 1\n");
	promparse_ok(m.buf, &doc);
	assert_int_equal(doc.nfamilies, 2);
	f = promparse_family(&doc, "x_cpu_seconds_total");
	assert_non_null(f);
	assert_int_equal(f->type, PROMPARSE_COUNTER);
	assert_string_equal(f->help, "CPU time, seconds.");
	assert_int_equal(f->nsamples, 2);
	assert_true(promparse_find(&doc, "x_cpu_seconds_total", "mode", "steal", "cpu", "1",
				   NULL)->value == 0.01);
	assert_int_equal(promparse_family(&doc, "x_up")->type, PROMPARSE_GAUGE);
	promparse_free(&doc);
	free(m.buf);
}

/* Backslash, quote, newline and UTF-8 come back exactly as given. */
static void test_promexp_escaping_round_trips(void **state)
{
	static const char *const values[] = {
		"back\\slash", "say \"hi\"", "two\nlines", "Z\xc3\xbcrich \xe2\x9c\x93",
		"\\\"\n\\n", "trailing\\",
	};
	const char *help = "Line one\nline two with a \\ and \"quotes\".";
	struct promexp_label l[] = { { "domain", NULL }, { "vcpu", "0" } };
	const struct promparse_family *f;
	struct promparse_doc doc;
	struct mem m;
	size_t i;

	(void)state;
	mem_open(&m);
	assert_int_equal(promexp_family(&m.p, "x_esc", PROMEXP_GAUGE, help), 0);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		l[0].value = values[i];
		assert_int_equal(promexp_sample(&m.p, l, 2, (double)i), 0);
	}
	assert_int_equal(mem_close(&m), 0);
	/* the escapes as the format spells them: HELP does not escape quotes */
	assert_non_null(strstr(m.buf, "# HELP x_esc Line one\\nline two with a \\\\ and "
				      "\"quotes\".\n"));
	assert_non_null(strstr(m.buf, "x_esc{domain=\"say \\\"hi\\\"\",vcpu=\"0\"} 1\n"));
	assert_non_null(strstr(m.buf, "x_esc{domain=\"two\\nlines\",vcpu=\"0\"} 2\n"));
	assert_non_null(strstr(m.buf, "x_esc{domain=\"trailing\\\\\",vcpu=\"0\"} 5\n"));
	promparse_ok(m.buf, &doc);
	f = promparse_family(&doc, "x_esc");
	assert_non_null(f);
	assert_string_equal(f->help, help);
	assert_int_equal(f->nsamples, 6);
	for (i = 0; i < f->nsamples; i++) {
		assert_string_equal(promparse_label(&f->samples[i], "domain"), values[i]);
		assert_true(f->samples[i].value == (double)i);
	}
	promparse_free(&doc);
	free(m.buf);
}

/* Every value is spelled so that it reads back to the same double. */
static void test_promexp_values_round_trip(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0.1, "0.1" },
		{ 12345.67, "12345.67" },
		{ 1e21, "1e+21" },
		{ 9007199254740993.0, "9007199254740992" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 5e-324, "4.94065645841247e-324" },   /* subnormal: 15 digits do */
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ -0.0, "0" },
		{ -2.5, "-2.5" },
		{ NAN, "NaN" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};
	const struct promparse_family *f;
	struct promexp_label l = { "case", NULL };
	struct promparse_doc doc;
	char name[8], want[96];
	struct mem m;
	size_t i;

	(void)state;
	mem_open(&m);
	assert_int_equal(promexp_family(&m.p, "x_value", PROMEXP_GAUGE, "Values."), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%zu", i);
		l.value = name;
		assert_int_equal(promexp_sample(&m.p, &l, 1, cases[i].v), 0);
	}
	assert_int_equal(mem_close(&m), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "x_value{case=\"%zu\"} %s\n", i, cases[i].text);
		if (!strstr(m.buf, want))
			fail_msg("no line '%s' in:\n%s", want, m.buf);
	}
	promparse_ok(m.buf, &doc);
	f = promparse_family(&doc, "x_value");
	assert_int_equal(f->nsamples, sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < f->nsamples; i++) {
		double got = f->samples[i].value, v = cases[i].v;

		if (isnan(v))
			assert_true(isnan(got));
		else
			assert_true(got == v);
	}
	promparse_free(&doc);
	free(m.buf);
}

/* A label whose value is empty (or NULL) is no label; no labels, no braces. */
static void test_promexp_empty_label_is_left_out(void **state)
{
	const struct promexp_label some[] = { { "a", "" }, { "b", "x" }, { "c", NULL } };
	const struct promexp_label none[] = { { "a", "" }, { "c", NULL } };
	struct mem m;

	(void)state;
	mem_open(&m);
	assert_int_equal(promexp_family(&m.p, "x_total", PROMEXP_COUNTER, "X."), 0);
	assert_int_equal(promexp_sample(&m.p, some, 3, 3), 0);
	assert_int_equal(promexp_sample(&m.p, none, 2, 4), 0);
	assert_int_equal(mem_close(&m), 0);
	assert_string_equal(m.buf, "# HELP x_total X.\n# TYPE x_total counter\n"
				   "x_total{b=\"x\"} 3\nx_total 4\n");
	free(m.buf);
}

/* ---- what is refused ------------------------------------------------------ */

enum bad_step { BAD_FAMILY, BAD_SAMPLE };

/*
 * One refusal: after a valid family "x_ok_total" with one sample, a call
 * that must fail with -EINVAL saying @needle; then the error is sticky and
 * nothing of the refused call, or after it, was written.
 */
struct bad_case {
	enum bad_step step;
	const char *name;               /* BAD_FAMILY: the family's name */
	enum promexp_type type;
	const char *help;
	struct promexp_label labels[2]; /* BAD_SAMPLE: of a sample of x_ok_total or x_gauge */
	size_t nlabels;
	double value;
	int gauge;                      /* BAD_SAMPLE: in gauge family x_gauge */
	const char *needle;
};

static void run_bad_case(const struct bad_case *c)
{
	const struct promexp_label ok = { "a", "1" };
	const char *before;
	struct mem m;
	int rc;

	mem_open(&m);
	assert_int_equal(promexp_family(&m.p, "x_ok_total", PROMEXP_COUNTER, "Ok."), 0);
	assert_int_equal(promexp_sample(&m.p, &ok, 1, 1), 0);
	if (c->step == BAD_SAMPLE && c->gauge)
		assert_int_equal(promexp_family(&m.p, "x_gauge", PROMEXP_GAUGE, "G."), 0);
	before = c->step == BAD_SAMPLE && c->gauge ?
		 "# HELP x_ok_total Ok.\n# TYPE x_ok_total counter\nx_ok_total{a=\"1\"} 1\n"
		 "# HELP x_gauge G.\n# TYPE x_gauge gauge\n" :
		 "# HELP x_ok_total Ok.\n# TYPE x_ok_total counter\nx_ok_total{a=\"1\"} 1\n";
	if (c->step == BAD_FAMILY)
		rc = promexp_family(&m.p, c->name, c->type, c->help);
	else
		rc = promexp_sample(&m.p, c->labels, c->nlabels, c->value);
	if (rc != -EINVAL || !strstr(log_last_error(), c->needle))
		fail_msg("case '%s': rc %d, message '%s'", c->needle, rc, log_last_error());
	/* sticky: a valid call now fails the same way and writes nothing */
	assert_int_equal(promexp_sample(&m.p, &ok, 1, 2), -EINVAL);
	assert_int_equal(promexp_family(&m.p, "x_later", PROMEXP_GAUGE, "L."), -EINVAL);
	assert_int_equal(mem_close(&m), -EINVAL);
	assert_string_equal(m.buf, before);
	free(m.buf);
}

static void test_promexp_refuses_bad_families(void **state)
{
	char longname[PROMEXP_NAME_MAX + 1];
	const struct bad_case cases[] = {
		{ BAD_FAMILY, "1abc", PROMEXP_GAUGE, "H.", .needle = "'1abc' is not a metric name" },
		{ BAD_FAMILY, "a-b", PROMEXP_GAUGE, "H.", .needle = "'a-b' is not a metric name" },
		{ BAD_FAMILY, "", PROMEXP_GAUGE, "H.", .needle = "'' is not a metric name" },
		{ BAD_FAMILY, longname, PROMEXP_GAUGE, "H.", .needle = "is not a metric name" },
		{ BAD_FAMILY, "x_seconds", PROMEXP_COUNTER, "H.",
		  .needle = "counter x_seconds does not end in _total" },
		{ BAD_FAMILY, "_total", PROMEXP_COUNTER, "H.",
		  .needle = "counter _total does not end in _total" },
		{ BAD_FAMILY, "x_ok_total", PROMEXP_COUNTER, "H.",
		  .needle = "family x_ok_total written twice" },
		{ BAD_FAMILY, "x_g", PROMEXP_GAUGE, "", .needle = "x_g: HELP text is empty" },
		{ BAD_FAMILY, "x_g", PROMEXP_GAUGE, "bad \xc3", .needle = "HELP text is not UTF-8" },
	};
	size_t i;

	(void)state;
	memset(longname, 'a', PROMEXP_NAME_MAX);
	longname[PROMEXP_NAME_MAX] = '\0';
	log_set_quiet(1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_bad_case(&cases[i]);
	log_set_quiet(0);
}

static void test_promexp_refuses_bad_samples(void **state)
{
	const struct bad_case cases[] = {
		{ BAD_SAMPLE, .labels = { { "__name", "x" } }, .nlabels = 1,
		  .needle = "'__name' is not a label name" },
		{ BAD_SAMPLE, .labels = { { "a:b", "x" } }, .nlabels = 1,
		  .needle = "'a:b' is not a label name" },
		{ BAD_SAMPLE, .labels = { { "9a", "x" } }, .nlabels = 1,
		  .needle = "'9a' is not a label name" },
		{ BAD_SAMPLE, .labels = { { "a", "x" }, { "a", "y" } }, .nlabels = 2,
		  .needle = "label a given twice" },
		{ BAD_SAMPLE, .labels = { { "a", "\xff" } }, .nlabels = 1,
		  .needle = "the value of label a is not UTF-8" },
		{ BAD_SAMPLE, .labels = { { "a", "\xed\xa0\x80" } }, .nlabels = 1,
		  .needle = "is not UTF-8" },                      /* a surrogate */
		{ BAD_SAMPLE, .labels = { { "a", "\xc0\xaf" } }, .nlabels = 1,
		  .needle = "is not UTF-8" },                      /* overlong '/' */
		{ BAD_SAMPLE, .labels = { { "a", "\xe2\x9c" } }, .nlabels = 1,
		  .needle = "is not UTF-8" },                      /* cut short */
		{ BAD_SAMPLE, .value = -1, .needle = "counter x_ok_total: -1 is not a count" },
		{ BAD_SAMPLE, .value = INFINITY, .needle = "counter x_ok_total: inf is not a count" },
		{ BAD_SAMPLE, .value = -INFINITY, .needle = "is not a count" },
	};
	size_t i;

	(void)state;
	log_set_quiet(1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_bad_case(&cases[i]);
	log_set_quiet(0);
}

/* What counters and gauges may hold, and the family limit. */
static void test_promexp_counter_nan_gauge_negative_and_family_limit(void **state)
{
	char name[32];
	struct mem m;
	unsigned i;

	(void)state;
	mem_open(&m);
	assert_int_equal(promexp_family(&m.p, "x_total", PROMEXP_COUNTER, "X."), 0);
	assert_int_equal(promexp_sample(&m.p, NULL, 0, NAN), 0);
	assert_int_equal(promexp_family(&m.p, "x_g", PROMEXP_GAUGE, "G."), 0);
	assert_int_equal(promexp_sample(&m.p, NULL, 0, -INFINITY), 0);
	for (i = 2; i < PROMEXP_MAX_FAMILIES; i++) {
		snprintf(name, sizeof(name), "x_f%u", i);
		assert_int_equal(promexp_family(&m.p, name, PROMEXP_GAUGE, "F."), 0);
	}
	log_set_quiet(1);
	assert_int_equal(promexp_family(&m.p, "x_one_more", PROMEXP_GAUGE, "F."), -EINVAL);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "more than 64 families"));
	assert_int_equal(mem_close(&m), -EINVAL);
	assert_non_null(strstr(m.buf, "x_total NaN\n# HELP x_g G.\n# TYPE x_g gauge\nx_g -Inf\n"));
	free(m.buf);

	/* a sample before any family */
	mem_open(&m);
	log_set_quiet(1);
	assert_int_equal(promexp_sample(&m.p, NULL, 0, 1), -EINVAL);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "a sample before any family"));
	assert_int_equal(mem_close(&m), -EINVAL);
	assert_int_equal(m.len, 0);
	free(m.buf);
}

/* A stream that cannot be written gives -EIO, once. */
static void test_promexp_write_error_is_eio(void **state)
{
	struct promexp p;
	FILE *f = fopen("/dev/full", "w");
	int i;

	(void)state;
	assert_non_null(f);
	promexp_init(&p, f);
	assert_int_equal(promexp_family(&p, "x_total", PROMEXP_COUNTER, "X."), 0);
	log_set_quiet(1);
	/* fill the stream's buffer until a write reaches the device */
	for (i = 0; i < 100000 && !p.err; i++)
		promexp_sample(&p, NULL, 0, i);
	assert_int_equal(promexp_finish(&p), -EIO);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "write failed: No space left on device"));
	assert_int_equal(promexp_sample(&p, NULL, 0, 1), -EIO);
	fclose(f);
}

/* ---- textfiles ---------------------------------------------------------- */

static void tmp_path(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);
}

static void test_promexp_textfile_check(void **state)
{
	char path[PATH_MAX];

	(void)state;
	log_set_quiet(1);
	tmp_path(path, "x.txt");
	assert_int_equal(promexp_textfile_check(path), -EINVAL);
	assert_non_null(strstr(log_last_error(), "x.txt: the name must end in .prom"));
	tmp_path(path, ".prom");
	assert_int_equal(promexp_textfile_check(path), -EINVAL);
	assert_int_equal(promexp_textfile_check("dir.prom/x"), -EINVAL);
	tmp_path(path, "missing/x.prom");
	assert_int_equal(promexp_textfile_check(path), -ENOENT);
	assert_non_null(strstr(log_last_error(), "missing: No such file or directory"));
	tmp_path(path, "sub.prom");
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(promexp_textfile_check(path), -EISDIR);
	log_set_quiet(0);
	tmp_path(path, "x.prom");
	assert_int_equal(promexp_textfile_check(path), 0);
	assert_int_equal(access(path, F_OK), -1);      /* looks only */
}

/* Files in @dir with ".tmp." in their name: afile temporaries left behind. */
static int temp_files_in(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

/*
 * Commit puts the whole exposition in place; an exposition with an error,
 * or one aborted, leaves the previous file as it was and no temporary.
 */
static void test_promexp_textfile_replaces_atomically(void **state)
{
	char path[PATH_MAX], *text;
	struct promexp_textfile t;
	struct promparse_doc doc;

	(void)state;
	tmp_path(path, "node.prom");
	assert_int_equal(promexp_textfile_open(&t, path), 0);
	assert_int_equal(access(path, F_OK), -1);      /* nothing in place before commit */
	promexp_family(&t.p, "x_total", PROMEXP_COUNTER, "X.");
	promexp_sample(&t.p, NULL, 0, 7);
	assert_int_equal(promexp_textfile_commit(&t), 0);
	assert_null(t.af);
	text = support_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "# HELP x_total X.\n# TYPE x_total counter\nx_total 7\n");
	promparse_ok(text, &doc);
	promparse_free(&doc);
	free(text);

	/* an exposition that went wrong is not committed */
	assert_int_equal(promexp_textfile_open(&t, path), 0);
	promexp_family(&t.p, "x_total", PROMEXP_COUNTER, "X.");
	log_set_quiet(1);
	promexp_sample(&t.p, NULL, 0, -3);
	assert_int_equal(promexp_textfile_commit(&t), -EINVAL);
	log_set_quiet(0);
	/* nor is an aborted one */
	assert_int_equal(promexp_textfile_open(&t, path), 0);
	promexp_family(&t.p, "x_total", PROMEXP_COUNTER, "X.");
	promexp_sample(&t.p, NULL, 0, 9);
	promexp_textfile_abort(&t);
	text = support_read_file(path);
	assert_string_equal(text, "# HELP x_total X.\n# TYPE x_total counter\nx_total 7\n");
	free(text);
	assert_int_equal(temp_files_in(tmpdir), 0);

	log_set_quiet(1);
	tmp_path(path, "node.txt");
	assert_int_equal(promexp_textfile_open(&t, path), -EINVAL);
	assert_null(t.af);
	log_set_quiet(0);
}

/* promtool, where installed, finds nothing to say about what promexp writes. */
static void test_promexp_output_passes_promtool(void **state)
{
	const struct promexp_label l[] = { { "host", "h\"1\\" }, { "vcpu", "0" } };
	char msg[4096];
	struct mem m;
	int rc;

	(void)state;
	mem_open(&m);
	promexp_family(&m.p, "x_vcpu_delay_seconds_total", PROMEXP_COUNTER,
		       "Delay\nwith a \\ in it.");
	promexp_sample(&m.p, l, 2, 1e-9);
	promexp_family(&m.p, "x_temp_celsius", PROMEXP_GAUGE, "A gauge.");
	promexp_sample(&m.p, NULL, 0, NAN);
	assert_int_equal(mem_close(&m), 0);
	rc = promparse_promtool(m.buf, msg, sizeof(msg));
	if (rc < 0) {
		free(m.buf);
		print_message("promtool is not installed (Debian package prometheus; "
			      "scripts/deps.sh installs it)\n");
		skip();
	}
	if (rc != 0)
		fail_msg("promtool check metrics: exit %d: %s\non:\n%s", rc, msg, m.buf);
	/* and promtool does object where it should: a counter without _total */
	rc = promparse_promtool("# HELP x_c C.\n# TYPE x_c counter\nx_c 1\n", msg, sizeof(msg));
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(msg, "_total"));
	free(m.buf);
}

/* ---- the parser's own strictness ------------------------------------------ */

static void test_promexp_parser_refuses_bad_text(void **state)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
		{ "x 1\n", "line 1: sample x has no # TYPE" },
		{ "# TYPE x gauge\nx 1\n", "line 2: sample x has no # HELP" },
		{ "# HELP x X.\n# TYPE x gauge\nx 1\n# HELP y Y.\n# TYPE y gauge\ny 1\nx 2\n",
		  "line 7: family x comes back" },
		{ "# HELP x X.\n# TYPE x gauge\n# HELP x again\n", "line 3: a second # HELP" },
		{ "# HELP x X.\n# TYPE x gauge\nx 1\n# TYPE x gauge\n", "# TYPE x after its samples" },
		{ "# HELP x X.\n# TYPE x gauge\nx{a=\"1\",b=\"2\"} 1\nx{b=\"2\",a=\"1\"} 2\n",
		  "line 4: x: the same series as line 3" },
		{ "# HELP x X.\n# TYPE x gauge\nx{a=\"\\t\"} 1\n", "escape '\\t'" },
		{ "# HELP x X \\t.\n# TYPE x gauge\n", "escape '\\t'" },
		{ "# HELP x X.\n# TYPE x gauge\nx nan\n", "'nan' is not a value" },
		{ "# HELP x X.\n# TYPE x gauge\nx Inf\n", "'Inf' is not a value" },
		{ "# HELP x X.\n# TYPE x gauge\nx 0x10\n", "'0x10' is not a value" },
		{ "# HELP x X.\n# TYPE x gauge\nx 1 \n", "'' is not a timestamp" },
		{ "# HELP x X.\n# TYPE x gauge\nx  1\n", "the value must follow after one space" },
		{ "# HELP x X.\n# TYPE x gauge\nx 1", "does not end in a newline" },
		{ "# HELP x X.\n# TYPE x gauge\nx 1\r\n", "carriage return" },
		{ "# HELP x X.\n# TYPE x counter\n", "counter x does not end in _total" },
		{ "# HELP x_total X.\n# TYPE x_total counter\nx_total -1\n", "negative value" },
		{ "# HELP x X.\n# TYPE x gauge\nx{__a=\"1\"} 1\n", "reserved __" },
		{ "# HELP x X.\n# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n", "label a given twice" },
		{ "# HELP x X.\n# TYPE x gauge\nx{a=\"1} 1\n", "no closing quote" },
		{ "# HELP x X.\n# TYPE x gauge\nx{a=\"1\" b=\"2\"} 1\n", "neither ',' nor '}'" },
		{ "# HELP x X.\n# TYPE x gauge\nx{a=\"\xff\"} 1\n", "line 3: not UTF-8" },
		{ "# HELP x X.\n# TYPE x gauge\ny 1\n", "sample y has no # TYPE" },
		{ "# HELP x X.\n# TYPE x nonsense\n", "unknown type 'nonsense'" },
		{ "-x 1\n", "neither a comment nor a sample" },
	};
	struct promparse_doc doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = promparse(cases[i].text, strlen(cases[i].text), &doc);

		if (rc != -1 || !strstr(doc.err, cases[i].needle))
			fail_msg("case %zu: rc %d, '%s' (wanted '%s')", i, rc, doc.err,
				 cases[i].needle);
		promparse_free(&doc);
	}
}

/* What the format allows and the parser must take. */
static void test_promexp_parser_takes_valid_text(void **state)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"# TYPE h histogram\n"
		"# HELP h A histogram.\n"
		"h_bucket{le=\"1\"} 2\n"
		"h_bucket{le=\"+Inf\",} 3\n"
		"h_sum 4.5\n"
		"h_count 3\n"
		"# HELP e_total Empty family.\n"
		"# TYPE e_total counter\n"
		"# HELP t Timestamped.\n"
		"# TYPE t untyped\n"
		"t{} -1.5e-3 1700000000000\n";
	const struct promparse_sample *s;
	struct promparse_doc doc;

	(void)state;
	promparse_ok(text, &doc);
	assert_int_equal(doc.nfamilies, 3);
	assert_int_equal(doc.ncomments, 1);
	assert_int_equal(promparse_family(&doc, "h")->nsamples, 4);
	assert_int_equal(promparse_family(&doc, "e_total")->nsamples, 0);
	s = promparse_find(&doc, "h_bucket", "le", "+Inf", NULL);
	assert_non_null(s);
	assert_true(s->value == 3);
	assert_int_equal(s->line, 6);
	s = promparse_find(&doc, "t", NULL);
	assert_non_null(s);
	assert_true(s->value == -1.5e-3);
	assert_int_equal(s->has_timestamp, 1);
	assert_int_equal(s->timestamp_ms, 1700000000000LL);
	assert_null(promparse_find(&doc, "h_bucket", NULL));
	promparse_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promexp_help_and_type_before_samples),
		cmocka_unit_test(test_promexp_escaping_round_trips),
		cmocka_unit_test(test_promexp_values_round_trip),
		cmocka_unit_test(test_promexp_empty_label_is_left_out),
		cmocka_unit_test(test_promexp_refuses_bad_families),
		cmocka_unit_test(test_promexp_refuses_bad_samples),
		cmocka_unit_test(test_promexp_counter_nan_gauge_negative_and_family_limit),
		cmocka_unit_test(test_promexp_write_error_is_eio),
		cmocka_unit_test(test_promexp_textfile_check),
		cmocka_unit_test(test_promexp_textfile_replaces_atomically),
		cmocka_unit_test(test_promexp_output_passes_promtool),
		cmocka_unit_test(test_promexp_parser_refuses_bad_text),
		cmocka_unit_test(test_promexp_parser_takes_valid_text),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
