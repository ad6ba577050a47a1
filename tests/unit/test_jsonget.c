/*
 * Unit tests for common/jsonget: path lookups (members, array elements,
 * escapes decoded), the strict grammar with its messages, and a round trip
 * through the project's own writer (meta_write() into a mkdtemp directory,
 * read back here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/hostinfo.h"
#include "common/jsonget.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char doc_text[] =
	"{\n"
	"  \"tool\": \"stealscope\",\n"
	"  \"n\": -12.5e+3,\n"
	"  \"ok\": true,\n"
	"  \"bad\": false,\n"
	"  \"none\": null,\n"
	"  \"empty\": {},\n"
	"  \"host\": {\"kernel\": \"Linux 6.1\", \"cpu\": {\"model\": \"Xeon\"}},\n"
	"  \"command_line\": [\"stealscope\", \"run\", \"a b\", [1, {\"x\": 2}], \"end\"],\n"
	"  \"esc\": \"q\\\" b\\\\ s\\/ \\t\\n \\u00e9 \\ud83d\\ude00\",\n"
	"  \"tool\": \"second\"\n"
	"}\n";

static void parse_doc(struct jsonget_doc *doc)
{
	assert_int_equal(jsonget_parse(doc_text, strlen(doc_text), "doc", doc), 0);
}

static void test_jsonget_members_and_elements(void **state)
{
	struct jsonget_doc doc;
	char buf[64];

	(void)state;
	parse_doc(&doc);
	/* the first of two equal names counts */
	assert_int_equal(jsonget_str(&doc, "tool", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "stealscope");
	assert_int_equal(jsonget_str(&doc, "host.kernel", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Linux 6.1");
	assert_int_equal(jsonget_str(&doc, "host.cpu.model", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Xeon");
	assert_int_equal(jsonget_str(&doc, "command_line[2]", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a b");
	/* elements after a nested array are still found */
	assert_int_equal(jsonget_str(&doc, "command_line[4]", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "end");
	assert_int_equal(jsonget_count(&doc, "command_line"), 5);
	assert_int_equal(jsonget_count(&doc, "command_line[3]"), 2);
	assert_int_equal(jsonget_count(&doc, "empty"), 0);
	assert_int_equal(jsonget_count(&doc, "host"), 2);
	assert_int_equal(jsonget_type(&doc, "command_line[3][1]"), JSONGET_OBJECT);
	assert_int_equal(jsonget_type(&doc, "n"), JSONGET_NUMBER);
	assert_int_equal(jsonget_type(&doc, "none"), JSONGET_NULL);
	assert_int_equal(jsonget_type(&doc, ""), JSONGET_OBJECT);
	jsonget_free(&doc);
}

static void test_jsonget_escapes_decoded(void **state)
{
	struct jsonget_doc doc;
	char buf[64];

	(void)state;
	parse_doc(&doc);
	assert_int_equal(jsonget_str(&doc, "esc", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "q\" b\\ s/ \t\n \xc3\xa9 \xf0\x9f\x98\x80");
	jsonget_free(&doc);
}

static void test_jsonget_bool_and_misses(void **state)
{
	struct jsonget_doc doc;
	char buf[8];
	int v = -1;

	(void)state;
	parse_doc(&doc);
	assert_int_equal(jsonget_bool(&doc, "ok", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(jsonget_bool(&doc, "bad", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(jsonget_bool(&doc, "none", &v), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "none", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "n", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "missing", buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	assert_int_equal(jsonget_str(&doc, "host.missing", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(jsonget_str(&doc, "tool.x", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(jsonget_str(&doc, "command_line[5]", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(jsonget_str(&doc, "empty.x", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(jsonget_count(&doc, "tool"), -EINVAL);
	/* too small: as much as fits, and -ERANGE */
	assert_int_equal(jsonget_str(&doc, "host.kernel", buf, sizeof(buf)), -ERANGE);
	assert_string_equal(buf, "Linux 6");
	jsonget_free(&doc);
}

static void test_jsonget_bad_paths(void **state)
{
	struct jsonget_doc doc;
	char buf[8];

	(void)state;
	parse_doc(&doc);
	assert_int_equal(jsonget_str(&doc, "host.", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, ".host", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "host..kernel", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "command_line[x]", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "command_line[-1]", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "command_line[1", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonget_str(&doc, "command_line[1]x", buf, sizeof(buf)), -EINVAL);
	jsonget_free(&doc);
}

struct bad_case {
	const char *text;
	const char *msg;               /* log_last_error() */
};

static void test_jsonget_strict_grammar(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "t: byte 0: unexpected end of the document" },
		{ "{\"a\": 1,}", "t: byte 8: expected a string" },
		{ "{a: 1}", "t: byte 1: expected a string" },
		{ "{\"a\" 1}", "t: byte 5: expected ':'" },
		{ "[1 2]", "t: byte 3: expected ',' or ']'" },
		{ "{\"a\": 01}", "t: byte 7: expected ',' or '}'" },
		{ "[1.]", "t: byte 3: expected a digit" },
		{ "[-]", "t: byte 2: expected a digit" },
		{ "[tru]", "t: byte 1: invalid literal" },
		{ "[\"a\tb\"]", "t: byte 3: control character in a string" },
		{ "[\"\\x\"]", "t: byte 3: invalid escape" },
		{ "[\"\\u12g4\"]", "t: byte 4: \\u needs four hex digits" },
		{ "[\"\\udc00\"]", "t: byte 8: lone low surrogate in \\u escape" },
		{ "[\"\\ud83dx\"]", "t: byte 8: high surrogate without its low half" },
		{ "[\"abc", "t: byte 5: unterminated string" },
		{ "{} {}", "t: byte 3: text after the document" },
		{ "'a'", "t: byte 0: expected a value" },
	};
	struct jsonget_doc doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (jsonget_parse(cases[i].text, strlen(cases[i].text), "t", &doc) != -EINVAL)
			fail_msg("case %zu (%s) was accepted", i, cases[i].text);
		assert_null(doc.text);
		if (strcmp(log_last_error(), cases[i].msg))
			fail_msg("case %zu: \"%s\", want \"%s\"", i, log_last_error(), cases[i].msg);
	}
	/* a NUL byte inside the buffer */
	assert_int_equal(jsonget_parse("[1]\0", 4, "t", &doc), -EINVAL);
	assert_string_equal(log_last_error(), "t: byte 3: NUL byte in the document");
}

static void test_jsonget_depth_limit(void **state)
{
	char text[2 * JSONGET_MAX_DEPTH + 8];
	struct jsonget_doc doc;
	int i, n = 0;

	(void)state;
	/* exactly JSONGET_MAX_DEPTH nested arrays are fine, one more is not */
	for (i = 0; i < JSONGET_MAX_DEPTH; i++)
		text[n++] = '[';
	for (i = 0; i < JSONGET_MAX_DEPTH; i++)
		text[n++] = ']';
	assert_int_equal(jsonget_parse(text, (size_t)n, "t", &doc), 0);
	jsonget_free(&doc);
	n = 0;
	for (i = 0; i <= JSONGET_MAX_DEPTH; i++)
		text[n++] = '[';
	for (i = 0; i <= JSONGET_MAX_DEPTH; i++)
		text[n++] = ']';
	assert_int_equal(jsonget_parse(text, (size_t)n, "t", &doc), -EINVAL);
	assert_string_equal(log_last_error(), "t: byte 64: nested too deep");
}

static void test_jsonget_reads_meta_write_output(void **state)
{
	char dir[] = "/tmp/stealscope-jsonget-XXXXXX", path[128], buf[256];
	char *argv[] = { "stealscope", "run", "q\"uote \\ back\nslash", "caf\xc3\xa9", NULL };
	struct jsonget_doc doc;
	struct hostinfo h;
	int v;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(meta_write(dir, "stealscope", 4, argv), 0);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	assert_int_equal(jsonget_load(path, &doc), 0);
	assert_int_equal(jsonget_str(&doc, "tool", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "stealscope");
	assert_int_equal(jsonget_count(&doc, "command_line"), 4);
	assert_int_equal(jsonget_str(&doc, "command_line[2]", buf, sizeof(buf)), 0);
	assert_string_equal(buf, argv[2]);
	assert_int_equal(jsonget_str(&doc, "command_line[3]", buf, sizeof(buf)), 0);
	assert_string_equal(buf, argv[3]);
	assert_int_equal(hostinfo_gather("", &h), 0);
	assert_int_equal(jsonget_str(&doc, "host.kernel", buf, sizeof(buf)), 0);
	assert_string_equal(buf, h.kernel);
	assert_int_equal(jsonget_bool(&doc, "host.kvm_dev_usable", &v), 0);
	assert_int_equal(v, h.kvm_dev_usable);
	jsonget_free(&doc);
	unlink(path);
	rmdir(dir);
}

static void test_jsonget_load_missing_file(void **state)
{
	struct jsonget_doc doc;

	(void)state;
	assert_int_equal(jsonget_load("/nonexistent-stealscope/meta.json", &doc), -ENOENT);
	assert_null(doc.text);
	assert_string_equal(log_last_error(),
			    "open /nonexistent-stealscope/meta.json: No such file or directory");
	jsonget_free(&doc);
}

static void test_jsonget_numbers(void **state)
{
	static const char text[] =
		"{\"i\": -42, \"big\": 9223372036854775807, \"over\": 9223372036854775808,"
		" \"f\": 1.5e3, \"z\": 0, \"s\": \"7\", \"n\": null, \"a\": [3, 0.25]}";
	struct jsonget_doc doc;
	long long v;
	double d;

	(void)state;
	assert_int_equal(jsonget_parse(text, sizeof(text) - 1, "n.json", &doc), 0);
	assert_int_equal(jsonget_i64(&doc, "i", &v), 0);
	assert_int_equal(v, -42);
	assert_int_equal(jsonget_i64(&doc, "big", &v), 0);
	assert_true(v == 9223372036854775807LL);
	assert_int_equal(jsonget_i64(&doc, "over", &v), -ERANGE);
	assert_int_equal(jsonget_i64(&doc, "f", &v), -EINVAL);     /* not an integer */
	assert_int_equal(jsonget_i64(&doc, "s", &v), -EINVAL);     /* a string */
	assert_int_equal(jsonget_i64(&doc, "n", &v), -EINVAL);     /* null */
	assert_int_equal(jsonget_i64(&doc, "none", &v), -ENOENT);
	assert_int_equal(jsonget_i64(&doc, "a[0]", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(jsonget_f64(&doc, "f", &d), 0);
	assert_true(d == 1500.0);
	assert_int_equal(jsonget_f64(&doc, "a[1]", &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(jsonget_f64(&doc, "z", &d), 0);
	assert_true(d == 0.0);
	assert_int_equal(jsonget_f64(&doc, "n", &d), -EINVAL);
	jsonget_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonget_members_and_elements),
		cmocka_unit_test(test_jsonget_escapes_decoded),
		cmocka_unit_test(test_jsonget_bool_and_misses),
		cmocka_unit_test(test_jsonget_bad_paths),
		cmocka_unit_test(test_jsonget_strict_grammar),
		cmocka_unit_test(test_jsonget_depth_limit),
		cmocka_unit_test(test_jsonget_reads_meta_write_output),
		cmocka_unit_test(test_jsonget_load_missing_file),
		cmocka_unit_test(test_jsonget_numbers),
	};

	log_init("test_jsonget");
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
