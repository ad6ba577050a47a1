/*
 * test_ini: unit tests for common/ini.c.
 *
 * Most cases parse small buffers named "t.ini" so the expected messages are
 * short literals; two cases read fixture files under
 * TEST_FIXTURES/specs/ to cover ini_load(). Every rejected input asserts the
 * return code, the exact "file:line: problem" message and that the output was
 * left empty. Nothing here depends on the machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/ini.h"
#include "common/log.h"

#define SPECS_DIR TEST_FIXTURES "/specs"

static int parse_str(const char *text, struct ini *out)
{
	return ini_parse(text, strlen(text), "t.ini", out);
}

/* The text must be rejected with -EINVAL and exactly @msg, @out left empty. */
#define INI_BAD(text, msg) do {                                                 \
	struct ini ini_;                                                        \
	assert_int_equal(parse_str((text), &ini_), -EINVAL);                    \
	assert_string_equal(log_last_error(), (msg));                           \
	assert_null(ini_.sections);                                             \
	assert_int_equal(ini_.n_sections, 0);                                   \
	ini_free(&ini_);                                                        \
} while (0)

static int quiet_setup(void **state)
{
	(void)state;
	log_set_quiet(1);
	return 0;
}

static void test_ini_sections_and_names(void **state)
{
	const char *text =
		"[experiment]\n"
		"name = demo\n"
		"[contention hog]\n"
		"cpu = 0\n"
		"start = 1s\n"
		"[contention]\n"
		"cpu = 1\n"
		"[policy  shared-niced ]\n";
	struct ini ini;

	(void)state;
	assert_int_equal(parse_str(text, &ini), 0);
	assert_string_equal(ini.filename, "t.ini");
	assert_int_equal(ini.n_sections, 4);

	assert_string_equal(ini.sections[0].type, "experiment");
	assert_null(ini.sections[0].name);
	assert_int_equal(ini.sections[0].n_entries, 1);
	assert_string_equal(ini.sections[0].entries[0].key, "name");
	assert_string_equal(ini.sections[0].entries[0].value, "demo");

	assert_string_equal(ini.sections[1].type, "contention");
	assert_string_equal(ini.sections[1].name, "hog");
	assert_int_equal(ini.sections[1].n_entries, 2);
	assert_string_equal(ini.sections[1].entries[1].key, "start");
	assert_string_equal(ini.sections[1].entries[1].value, "1s");

	assert_string_equal(ini.sections[2].type, "contention");
	assert_null(ini.sections[2].name);
	assert_string_equal(ini.sections[2].entries[0].value, "1");

	/* Blanks inside the brackets are trimmed; a section may be empty. */
	assert_string_equal(ini.sections[3].type, "policy");
	assert_string_equal(ini.sections[3].name, "shared-niced");
	assert_int_equal(ini.sections[3].n_entries, 0);
	ini_free(&ini);
	assert_null(ini.sections);
	assert_int_equal(ini.n_sections, 0);
}

static void test_ini_comments_and_whitespace(void **state)
{
	const char *text =
		"; a comment\n"
		"# another\n"
		"   ; indented comment\n"
		"\n"
		"\t[ vm ]   ; after a header\n"
		"  pin\t=\t0,1   \n"
		"desc = a;b and c#d   # inline\n"
		"quota = 50 ;tight\n"
		"workload=sched\r\n"
		"last = no newline at the end";
	struct ini ini;

	(void)state;
	assert_int_equal(parse_str(text, &ini), 0);
	assert_int_equal(ini.n_sections, 1);
	assert_string_equal(ini.sections[0].type, "vm");
	assert_int_equal(ini.sections[0].n_entries, 5);
	assert_string_equal(ini_get(&ini, "vm", NULL, "pin"), "0,1");
	/* ';' and '#' start a comment only after a blank. */
	assert_string_equal(ini_get(&ini, "vm", NULL, "desc"), "a;b and c#d");
	assert_string_equal(ini_get(&ini, "vm", NULL, "quota"), "50");
	assert_string_equal(ini_get(&ini, "vm", NULL, "workload"), "sched");
	assert_string_equal(ini_get(&ini, "vm", NULL, "last"), "no newline at the end");
	ini_free(&ini);
}

static void test_ini_line_numbers(void **state)
{
	const char *text =
		"\xef\xbb\xbf; a BOM, then a comment on line 1\n"
		"\n"
		"[a]\r\n"
		"x = 1\r\n"
		"; line 5\n"
		"\n"
		"[b name]\n"
		"\n"
		"y = 2\n";
	struct ini ini;

	(void)state;
	assert_int_equal(parse_str(text, &ini), 0);
	assert_int_equal(ini.n_sections, 2);
	assert_int_equal(ini.sections[0].line, 3);
	assert_int_equal(ini.sections[0].entries[0].line, 4);
	assert_int_equal(ini.sections[1].line, 7);
	assert_int_equal(ini.sections[1].entries[0].line, 9);
	ini_free(&ini);
}

static void test_ini_lookups(void **state)
{
	const char *text =
		"[contention]\ncpu = 0\n"
		"[contention hog]\ncpu = 1\n"
		"[contention]\ncpu = 2\n"
		"[vm]\npin = any\n";
	const struct ini_section *sec;
	const struct ini_entry *e;
	struct ini ini;

	(void)state;
	assert_int_equal(parse_str(text, &ini), 0);
	assert_int_equal(ini_count_sections(&ini, "contention"), 3);
	assert_int_equal(ini_count_sections(&ini, "vm"), 1);
	assert_int_equal(ini_count_sections(&ini, "policy"), 0);

	sec = ini_section_find(&ini, "contention", NULL);
	assert_ptr_equal(sec, &ini.sections[0]);
	sec = ini_section_find(&ini, "contention", "hog");
	assert_ptr_equal(sec, &ini.sections[1]);
	e = ini_entry_find(sec, "cpu");
	assert_non_null(e);
	assert_string_equal(e->value, "1");
	assert_int_equal(e->line, 4);
	assert_null(ini_entry_find(sec, "start"));
	assert_null(ini_section_find(&ini, "contention", "other"));
	assert_null(ini_section_find(&ini, "vm", "named"));

	assert_string_equal(ini_get(&ini, "vm", NULL, "pin"), "any");
	assert_null(ini_get(&ini, "vm", NULL, "vcpus"));
	assert_null(ini_get(&ini, "workload", NULL, "tasks"));
	ini_free(&ini);
}

static void test_ini_empty_input(void **state)
{
	struct ini ini;

	(void)state;
	assert_int_equal(ini_parse("", 0, NULL, &ini), 0);
	assert_int_equal(ini.n_sections, 0);
	assert_string_equal(ini.filename, "<buffer>");
	ini_free(&ini);
	assert_int_equal(parse_str("\n; only a comment\n\n", &ini), 0);
	assert_int_equal(ini.n_sections, 0);
	ini_free(&ini);
}

static void test_ini_length_bounds_the_buffer(void **state)
{
	/* Only the first 16 bytes count: the rest would be a duplicate key. */
	const char *text = "[a]\nk = 1\nj = 2\nk = 3\n";
	struct ini ini;

	(void)state;
	assert_int_equal(ini_parse(text, 16, "t.ini", &ini), 0);
	assert_int_equal(ini.sections[0].n_entries, 2);
	assert_string_equal(ini_get(&ini, "a", NULL, "j"), "2");
	ini_free(&ini);
}

static void test_ini_error_duplicate_key(void **state)
{
	(void)state;
	INI_BAD("[contention]\ncpu = 0\nstart = 1s\ncpu = 1\n",
		"t.ini:4: duplicate key 'cpu' in [contention]");
	INI_BAD("[policy x]\nvm.pin = 0\nvm.pin = 1\n",
		"t.ini:3: duplicate key 'vm.pin' in [policy x]");
}

static void test_ini_error_key_outside_section(void **state)
{
	(void)state;
	INI_BAD("; comment\nname = x\n[experiment]\n", "t.ini:2: key 'name' outside any section");
}

static void test_ini_error_empty_value(void **state)
{
	(void)state;
	INI_BAD("[vm]\npin =\n", "t.ini:2: empty value for key 'pin' in [vm]");
	INI_BAD("[vm]\npin =    ; nothing\n", "t.ini:2: empty value for key 'pin' in [vm]");
}

static void test_ini_error_malformed_line(void **state)
{
	(void)state;
	INI_BAD("[vm]\npin 0\n",
		"t.ini:2: malformed line 'pin 0': expected 'key = value', '[section]' or a comment");
	INI_BAD("[vm]\n= 0\n", "t.ini:2: missing key before '='");
	INI_BAD("[vm]\nmy pin = 0\n",
		"t.ini:2: invalid character ' ' in key 'my pin' (use letters, digits, '_', '.', '-')");
}

static void test_ini_error_bad_headers(void **state)
{
	(void)state;
	INI_BAD("[vm\n", "t.ini:1: malformed section header '[vm': missing ']'");
	INI_BAD("[vm] pin = 0\n", "t.ini:1: unexpected text 'pin = 0' after section header");
	INI_BAD("[ ]\n", "t.ini:1: empty section header '[]'");
	INI_BAD("[policy a b]\n",
		"t.ini:1: section header '[policy a b]': expected [type] or [type NAME]");
	INI_BAD("[v/m]\n",
		"t.ini:1: invalid character '/' in section type 'v/m' (use letters, digits, '_', '.', '-')");
	INI_BAD("[policy sh@red]\n",
		"t.ini:1: invalid character '@' in section name 'sh@red' (use letters, digits, '_', '.', '-')");
	INI_BAD("[[vm]]\n", "t.ini:1: unexpected text ']' after section header");
}

static void test_ini_error_control_bytes(void **state)
{
	static const char nul[] = "[vm]\npin = 0\0\n";
	struct ini ini;

	(void)state;
	assert_int_equal(ini_parse(nul, sizeof(nul) - 1, "t.ini", &ini), -EINVAL);
	assert_string_equal(log_last_error(), "t.ini:2: NUL byte");
	assert_null(ini.sections);
	INI_BAD("[vm]\npin = 0\x1b[1m\n", "t.ini:2: control character 0x1b");
	INI_BAD("[vm]\rpin = 0\n", "t.ini:1: control character 0x0d");
}

static void test_ini_error_after_sections_frees_all(void **state)
{
	/* Fails late, with sections and entries already built (ASan checks leaks). */
	(void)state;
	INI_BAD("[a]\nx = 1\ny = 2\n[b n]\nz = 3\n[c]\nbad line\n",
		"t.ini:7: malformed line 'bad line': expected 'key = value', '[section]' or a comment");
}

static void test_ini_load_file(void **state)
{
	struct ini ini;

	(void)state;
	assert_int_equal(ini_load(SPECS_DIR "/ini-basic.ini", &ini), 0);
	assert_string_equal(ini.filename, SPECS_DIR "/ini-basic.ini");
	assert_int_equal(ini.n_sections, 2);
	assert_int_equal(ini.sections[0].line, 3);
	assert_string_equal(ini_get(&ini, "alpha", NULL, "one"), "1");
	assert_string_equal(ini_get(&ini, "alpha", NULL, "two"), "two words");
	assert_int_equal(ini.sections[0].entries[1].line, 5);
	assert_string_equal(ini.sections[1].name, "second");
	assert_int_equal(ini.sections[1].line, 8);
	assert_string_equal(ini_get(&ini, "beta", "second", "key.with-dots_ok"), "x;y#z");
	ini_free(&ini);
}

static void test_ini_load_errors_name_the_path(void **state)
{
	const char *path = SPECS_DIR "/ini-duplicate.ini";
	const char *missing = SPECS_DIR "/no-such-file.ini";
	char want[PATH_MAX + 64];
	struct ini ini;

	(void)state;
	assert_int_equal(ini_load(path, &ini), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: duplicate key 'cpu' in [contention]", path);
	assert_string_equal(log_last_error(), want);
	assert_null(ini.sections);

	assert_int_equal(ini_load(missing, &ini), -ENOENT);
	snprintf(want, sizeof(want), "open %s: No such file or directory", missing);
	assert_string_equal(log_last_error(), want);
	assert_null(ini.filename);

	assert_int_equal(ini_load(SPECS_DIR, &ini), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", SPECS_DIR);
	assert_string_equal(log_last_error(), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_sections_and_names),
		cmocka_unit_test(test_ini_comments_and_whitespace),
		cmocka_unit_test(test_ini_line_numbers),
		cmocka_unit_test(test_ini_lookups),
		cmocka_unit_test(test_ini_empty_input),
		cmocka_unit_test(test_ini_length_bounds_the_buffer),
		cmocka_unit_test(test_ini_error_duplicate_key),
		cmocka_unit_test(test_ini_error_key_outside_section),
		cmocka_unit_test(test_ini_error_empty_value),
		cmocka_unit_test(test_ini_error_malformed_line),
		cmocka_unit_test(test_ini_error_bad_headers),
		cmocka_unit_test(test_ini_error_control_bytes),
		cmocka_unit_test(test_ini_error_after_sections_frees_all),
		cmocka_unit_test(test_ini_load_file),
		cmocka_unit_test(test_ini_load_errors_name_the_path),
	};

	return cmocka_run_group_tests(tests, quiet_setup, NULL);
}
