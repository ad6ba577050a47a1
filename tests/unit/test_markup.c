/*
 * Unit tests for common/markup: what HTML and XML text becomes, escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "common/markup.h"

static char *escaped(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	markup_escape(fp, s);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static void test_markup_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain /path/serial.log", "plain /path/serial.log" },
		{ "a & b < c > d", "a &amp; b &lt; c &gt; d" },
		{ "it's \"quoted\"", "it&#39;s &quot;quoted&quot;" },
		{ "&amp;", "&amp;amp;" },
		{ "tab\tnew\nline\x01\x1b[0m\x7f", "tab\tnew\nline[0m\x7f" },
		{ "\xc2\xb5s", "\xc2\xb5s" },
		{ "", "" },
	};
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = escaped(cases[i].in);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
	got = escaped(NULL);
	assert_string_equal(got, "");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markup_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
