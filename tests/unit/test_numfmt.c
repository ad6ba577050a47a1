/*
 * test_numfmt: unit tests for common/numfmt.c: the exact text of values
 * that need 15, 16 and 17 significant digits, the longest finite values
 * within NUMFMT_DOUBLE_LEN, and a round trip over many bit patterns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_text(double v, const char *want)
{
	char buf[NUMFMT_DOUBLE_LEN];

	if (strcmp(numfmt_double(v, buf, sizeof(buf)), want))
		fail_msg("%a: got '%s', want '%s'", v, buf, want);
}

static void test_numfmt_shortest_text(void **state)
{
	(void)state;
	expect_text(0.1, "0.1");                          /* 15 digits */
	expect_text(12.5, "12.5");
	expect_text(3.0, "3");
	expect_text(-0.0, "-0");
	expect_text(1e21, "1e+21");
	expect_text(1e-7, "1e-07");
	expect_text(1234567.891234, "1234567.891234");
	expect_text(5e-324, "4.94065645841247e-324");     /* 15 suffice for the smallest */
	expect_text(1.0 / 3.0, "0.3333333333333333");     /* 16 */
	expect_text(0.07 * 100, "7.000000000000001");     /* 16 */
	expect_text(0.1 + 0.2, "0.30000000000000004");    /* 17 */
	expect_text(9007199254740993.0, "9007199254740992");
}

/* The longest texts a finite double gives fit, NUL included. */
static void test_numfmt_longest_fit(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ -1.7976931348623157e308, "-1.7976931348623157e+308" },
		{ -2.2250738585072014e-308, "-2.2250738585072014e-308" },
	};
	char buf[NUMFMT_DOUBLE_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(numfmt_double(cases[i].v, buf, sizeof(buf)), cases[i].want);
		assert_true(strlen(buf) < sizeof(buf));
	}
}

/* Any bit pattern of a finite double reads back to itself, as short as it can. */
static void test_numfmt_round_trips(void **state)
{
	char buf[NUMFMT_DOUBLE_LEN], shorter[NUMFMT_DOUBLE_LEN];
	uint64_t bits = 0x9e3779b97f4a7c15ull;
	unsigned i, checked = 0;
	double v;
	int p;

	(void)state;
	for (i = 0; i < 200000; i++) {
		bits ^= bits << 13;
		bits ^= bits >> 7;
		bits ^= bits << 17;
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		numfmt_double(v, buf, sizeof(buf));
		if (strtod(buf, NULL) != v)
			fail_msg("%a: '%s' reads back as %a", v, buf, strtod(buf, NULL));
		/* the first of 15 and 16 digits that reads back is the text given */
		for (p = 15; p < 17; p++) {
			snprintf(shorter, sizeof(shorter), "%.*g", p, v);
			if (strtod(shorter, NULL) == v)
				break;
		}
		if (p < 17 && strcmp(shorter, buf))
			fail_msg("%a: '%s' (%d digits) would do, got '%s'", v, shorter, p, buf);
		checked++;
	}
	assert_true(checked > 190000);
}

/* Non-finite values come out as printf spells them; callers spell their own. */
static void test_numfmt_nonfinite(void **state)
{
	char buf[NUMFMT_DOUBLE_LEN];

	(void)state;
	assert_string_equal(numfmt_double(INFINITY, buf, sizeof(buf)), "inf");
	assert_string_equal(numfmt_double(-INFINITY, buf, sizeof(buf)), "-inf");
	assert_non_null(strstr(numfmt_double(NAN, buf, sizeof(buf)), "nan"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numfmt_shortest_text),
		cmocka_unit_test(test_numfmt_longest_fit),
		cmocka_unit_test(test_numfmt_round_trips),
		cmocka_unit_test(test_numfmt_nonfinite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
