/*
 * test_json: unit tests for common/json.c.
 *
 * Each test writes into an open_memstream buffer and compares the exact
 * text, indentation and final newline included. Misuse tests check the
 * return code of jsonw_finish() and the message in log_last_error(). These
 * tests must never write to stdout or to files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"

struct membuf {
	FILE *fp;
	char *text;
	size_t len;
};

static void membuf_open(struct membuf *m, struct jsonw *j)
{
	m->text = NULL;
	m->len = 0;
	m->fp = open_memstream(&m->text, &m->len);
	assert_non_null(m->fp);
	jsonw_init(j, m->fp);
}

/* Close the stream and return its text (owned by @m, freed by membuf_free). */
static const char *membuf_close(struct membuf *m)
{
	assert_int_equal(fclose(m->fp), 0);
	m->fp = NULL;
	return m->text;
}

static void membuf_free(struct membuf *m)
{
	free(m->text);
	m->text = NULL;
}

/* Write a lone double as a top-level value and compare. */
static void check_double(double v, const char *want)
{
	struct membuf m;
	struct jsonw j;

	membuf_open(&m, &j);
	jsonw_f(&j, v);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m), want);
	membuf_free(&m);
}

static void test_json_empty_containers(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_key(&j, "a");
	jsonw_arr_begin(&j);
	jsonw_arr_end(&j);
	jsonw_key(&j, "o");
	jsonw_obj_begin(&j);
	jsonw_obj_end(&j);
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m),
			    "{\n"
			    "  \"a\": [],\n"
			    "  \"o\": {}\n"
			    "}\n");
	membuf_free(&m);

	membuf_open(&m, &j);
	jsonw_arr_begin(&j);
	jsonw_arr_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m), "[]\n");
	membuf_free(&m);
}

static void test_json_nested_document(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_kv_str(&j, "tool", "cpu-sampler");
	jsonw_kv_i64(&j, "interval_ns", 100000000);
	jsonw_kv_f(&j, "steal_pct", 12.5);
	jsonw_kv_bool(&j, "guest", 1);
	jsonw_kv_bool(&j, "host", 0);
	jsonw_kv_str(&j, "note", NULL);
	jsonw_key(&j, "cpus");
	jsonw_arr_begin(&j);
	jsonw_obj_begin(&j);
	jsonw_kv_i64(&j, "cpu", 0);
	jsonw_kv_i64(&j, "steal_ticks", 42);
	jsonw_obj_end(&j);
	jsonw_i64(&j, -1);
	jsonw_arr_begin(&j);
	jsonw_str(&j, "x");
	jsonw_arr_end(&j);
	jsonw_arr_end(&j);
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m),
			    "{\n"
			    "  \"tool\": \"cpu-sampler\",\n"
			    "  \"interval_ns\": 100000000,\n"
			    "  \"steal_pct\": 12.5,\n"
			    "  \"guest\": true,\n"
			    "  \"host\": false,\n"
			    "  \"note\": null,\n"
			    "  \"cpus\": [\n"
			    "    {\n"
			    "      \"cpu\": 0,\n"
			    "      \"steal_ticks\": 42\n"
			    "    },\n"
			    "    -1,\n"
			    "    [\n"
			    "      \"x\"\n"
			    "    ]\n"
			    "  ]\n"
			    "}\n");
	membuf_free(&m);
}

static void test_json_top_level_values(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_i64(&j, 1);
	jsonw_str(&j, "two");
	jsonw_obj_begin(&j);
	jsonw_kv_i64(&j, "n", 3);
	jsonw_obj_end(&j);
	jsonw_bool(&j, 0);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m),
			    "1\n"
			    "\"two\"\n"
			    "{\n"
			    "  \"n\": 3\n"
			    "}\n"
			    "false\n");
	membuf_free(&m);
}

static void test_json_escapes_strings(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_kv_str(&j, "q\"k", "say \"hi\"");
	jsonw_kv_str(&j, "path", "C:\\dir/file");
	jsonw_kv_str(&j, "ctl", "a\nb\tc\r\x01\x1f");
	jsonw_kv_str(&j, "del", "\x7f");
	jsonw_kv_str(&j, "utf8", "\xc2\xb5s caf\xc3\xa9");
	jsonw_kv_str(&j, "empty", "");
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m),
			    "{\n"
			    "  \"q\\\"k\": \"say \\\"hi\\\"\",\n"
			    "  \"path\": \"C:\\\\dir/file\",\n"
			    "  \"ctl\": \"a\\u000ab\\u0009c\\u000d\\u0001\\u001f\",\n"
			    "  \"del\": \"\x7f\",\n"
			    "  \"utf8\": \"\xc2\xb5s caf\xc3\xa9\",\n"
			    "  \"empty\": \"\"\n"
			    "}\n");
	membuf_free(&m);
}

static void test_json_integers(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_arr_begin(&j);
	jsonw_i64(&j, 0);
	jsonw_i64(&j, INT64_MAX);
	jsonw_i64(&j, INT64_MIN);
	jsonw_arr_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m),
			    "[\n"
			    "  0,\n"
			    "  9223372036854775807,\n"
			    "  -9223372036854775808\n"
			    "]\n");
	membuf_free(&m);
}

static void test_json_doubles_short_and_exact(void **state)
{
	(void)state;
	check_double(12.5, "12.5\n");
	check_double(0.1, "0.1\n");
	check_double(3.0, "3\n");
	check_double(-0.0, "-0\n");
	check_double(100.0, "100\n");
	check_double(1234567.891234, "1234567.891234\n");   /* %.6g would say 1.23457e+06 */
	check_double(9007199254740993.0, "9007199254740992\n");
	check_double(0.1 + 0.2, "0.30000000000000004\n");
	check_double(1.0 / 3.0, "0.3333333333333333\n");
	check_double(1e21, "1e+21\n");
	check_double(1e-7, "1e-07\n");
	check_double(5e-324, "4.94065645841247e-324\n");   /* 15 digits suffice */
}

static void test_json_doubles_round_trip(void **state)
{
	static const double values[] = {
		0.1, 2.0 / 3.0, 1e300, -1.7976931348623157e308, 2.2250738585072014e-308,
		123456789.123456789, 99.99999999999999,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct membuf m;
		struct jsonw j;

		membuf_open(&m, &j);
		jsonw_f(&j, values[i]);
		assert_int_equal(jsonw_finish(&j), 0);
		assert_true(strtod(membuf_close(&m), NULL) == values[i]);
		membuf_free(&m);
	}
}

static void test_json_nonfinite_is_null(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_kv_f(&j, "nan", NAN);
	jsonw_kv_f(&j, "inf", INFINITY);
	jsonw_kv_f(&j, "ninf", -INFINITY);
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_string_equal(membuf_close(&m),
			    "{\n"
			    "  \"nan\": null,\n"
			    "  \"inf\": null,\n"
			    "  \"ninf\": null\n"
			    "}\n");
	membuf_free(&m);
}

static void test_json_misuse_value_without_key(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_i64(&j, 1);
	jsonw_kv_i64(&j, "later", 2);          /* ignored after the misuse */
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: value inside an object without a key");
	assert_string_equal(membuf_close(&m), "{");
	membuf_free(&m);
}

static void test_json_misuse_key_outside_object(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_arr_begin(&j);
	jsonw_key(&j, "k");
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: key outside an object");
	assert_string_equal(membuf_close(&m), "[");
	membuf_free(&m);

	membuf_open(&m, &j);
	jsonw_key(&j, "k");
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: key outside an object");
	assert_string_equal(membuf_close(&m), "");
	membuf_free(&m);
}

static void test_json_misuse_mismatched_end(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_arr_begin(&j);
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: object end without a matching begin");
	assert_string_equal(membuf_close(&m), "[");
	membuf_free(&m);

	membuf_open(&m, &j);
	jsonw_arr_end(&j);
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: array end without a matching begin");
	membuf_close(&m);
	membuf_free(&m);

	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_key(&j, "k");
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: key without a value at the end of an object");
	assert_string_equal(membuf_close(&m), "{\n  \"k\": ");
	membuf_free(&m);

	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_key(&j, "a");
	jsonw_key(&j, "b");
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: key after a key without a value");
	membuf_close(&m);
	membuf_free(&m);

	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_kv_i64(&j, NULL, 1);
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: NULL key");
	assert_string_equal(membuf_close(&m), "{");
	membuf_free(&m);
}

static void test_json_misuse_too_deep(void **state)
{
	struct membuf m;
	struct jsonw j;
	int i;

	(void)state;
	membuf_open(&m, &j);
	for (i = 0; i < JSON_MAX_DEPTH - 1; i++)
		jsonw_arr_begin(&j);
	assert_int_equal(j.err, 0);
	jsonw_arr_begin(&j);                   /* one too many */
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: nesting deeper than JSON_MAX_DEPTH");
	membuf_close(&m);
	membuf_free(&m);
}

static void test_json_finish_with_open_container(void **state)
{
	struct membuf m;
	struct jsonw j;

	(void)state;
	membuf_open(&m, &j);
	jsonw_obj_begin(&j);
	jsonw_key(&j, "a");
	jsonw_arr_begin(&j);
	assert_int_equal(jsonw_finish(&j), -EINVAL);
	assert_string_equal(log_last_error(), "json: finished with 2 container(s) still open");
	membuf_close(&m);
	membuf_free(&m);
}

static void test_json_finish_reports_write_error(void **state)
{
	struct jsonw j;
	FILE *fp;

	(void)state;
	fp = fopen("/dev/full", "w");
	if (!fp)
		skip();                /* no /dev/full in this sandbox */
	jsonw_init(&j, fp);
	jsonw_obj_begin(&j);
	jsonw_kv_str(&j, "k", "v");
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), -EIO);
	assert_string_equal(log_last_error(), "json: write failed");
	fclose(fp);
}

static int group_setup(void **state)
{
	(void)state;
	log_set_quiet(1);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_empty_containers),
		cmocka_unit_test(test_json_nested_document),
		cmocka_unit_test(test_json_top_level_values),
		cmocka_unit_test(test_json_escapes_strings),
		cmocka_unit_test(test_json_integers),
		cmocka_unit_test(test_json_doubles_short_and_exact),
		cmocka_unit_test(test_json_doubles_round_trip),
		cmocka_unit_test(test_json_nonfinite_is_null),
		cmocka_unit_test(test_json_misuse_value_without_key),
		cmocka_unit_test(test_json_misuse_key_outside_object),
		cmocka_unit_test(test_json_misuse_mismatched_end),
		cmocka_unit_test(test_json_misuse_too_deep),
		cmocka_unit_test(test_json_finish_with_open_container),
		cmocka_unit_test(test_json_finish_reports_write_error),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
