/*
 * Integration tests of bin/host-facts: readable lines and JSON, against
 * fixture roots (tests/fixtures/sampler-host-*) and the real machine, run
 * through tests/support/run.h. JSON is compared with whitespace removed, so
 * only content matters, not layout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL TEST_BINDIR "/host-facts"
#define PVM_ROOT TEST_FIXTURES "/sampler-host-pvm"
#define KVM_ROOT TEST_FIXTURES "/sampler-host-kvm"
#define RUN_TIMEOUT_MS 10000

/* @s without blanks and newlines, in place. */
static char *squeeze(char *s)
{
	char *d = s, *p;

	for (p = s; *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\t')
			*d++ = *p;
	*d = '\0';
	return s;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in '%s'", needle, hay);
}

/* ---- tests ------------------------------------------------------------ */

static void test_host_facts_json_matches_pvm_fixture(void **state)
{
	const char *args[] = { TOOL, "--json", "--root", PVM_ROOT, NULL };
	struct support_run r;
	char *json;

	(void)state;
	support_run(args, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_string_equal(r.err, "");
	json = squeeze(r.out);
	assert_true(json[0] == '{' && json[strlen(json) - 1] == '}');
	assert_contains(json, "\"host\":{");
	assert_contains(json, "\"kvm_module\":\"kvm_pvm\"");
	assert_contains(json, "\"kvm_dev_usable\":false");
	assert_contains(json, "\"kvm_dev_error\":\"Nosuchfileordirectory\"");
	assert_contains(json, "\"cpus_online\":\"0-3\"");
	assert_contains(json, "\"ncpus_online\":4");
	assert_contains(json, "\"cpu_model\":\"SamplerFixtureCPU@1.23GHz\"");
	assert_contains(json, "\"kernel\":\"Linux");
	support_run_free(&r);
}

static void test_host_facts_json_usable_kvm_fixture(void **state)
{
	const char *args[] = { TOOL, "--root", KVM_ROOT, "--json", NULL };
	struct support_run r;
	char *json;

	(void)state;
	support_run(args, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	json = squeeze(r.out);
	assert_contains(json, "\"kvm_module\":\"kvm_intel\"");
	assert_contains(json, "\"kvm_dev_usable\":true");
	assert_contains(json, "\"kvm_dev_error\":null");
	assert_contains(json, "\"cpus_online\":\"0\"");
	assert_contains(json, "\"ncpus_online\":1");
	support_run_free(&r);
}

static void test_host_facts_lines_name_every_fact(void **state)
{
	const char *args[] = { TOOL, "--root", PVM_ROOT, NULL };
	struct support_run r;

	(void)state;
	support_run(args, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_contains(r.out, "kernel:");
	assert_contains(r.out, "cpu_model:      Sampler Fixture CPU @ 1.23GHz\n");
	assert_contains(r.out, "cpus_online:    0-3 (4)\n");
	assert_contains(r.out, "kvm_module:     kvm_pvm\n");
	assert_contains(r.out, "kvm_dev:        not usable (/dev/kvm: No such file or directory)\n");
	support_run_free(&r);
}

/* The real machine: whatever it has, every fact is printed and exit is 0. */
static void test_host_facts_real_host(void **state)
{
	const char *lines[] = { TOOL, NULL }, *json[] = { TOOL, "--json", NULL };
	struct support_run r;

	(void)state;
	support_run(lines, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_contains(r.out, "kvm_module:");
	assert_contains(r.out, "kvm_dev:");
	support_run_free(&r);

	support_run(json, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_contains(r.out, "\"kvm_module\"");
	assert_contains(r.out, "\"kvm_dev_usable\"");
	support_run_free(&r);
}

static void test_host_facts_bad_inputs(void **state)
{
	static const struct {
		const char *args[4];
		const char *needle;
	} cases[] = {
		{ { "--root", "/nonexistent" }, "/nonexistent" },
		{ { "--root", "/etc/passwd" }, "not a directory" },
		{ { "--yaml" }, "--yaml" },
		{ { "--root" }, "--root" },
		{ { "extra" }, "extra" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[6] = { TOOL };
		struct support_run r;

		memcpy(argv + 1, cases[i].args, sizeof(cases[i].args));
		support_run(argv, RUN_TIMEOUT_MS, &r);
		if (support_status(&r) != 2 || !strstr(r.err, cases[i].needle) ||
		    !strstr(r.err, "host-facts: error: ") || r.out[0])
			fail_msg("case %zu (%s): exit %d, stderr '%s'", i, cases[i].args[0],
				 support_status(&r), r.err);
		support_run_free(&r);
	}
}

/* One line, one number: CLOCK_MONOTONIC read between our two readings. */
static void test_host_facts_monotonic_ns(void **state)
{
	const char *args[] = { TOOL, "--monotonic-ns", NULL };
	int64_t before, after;
	long long v;
	char *end;
	struct support_run r;

	(void)state;
	before = support_mono_ns();
	support_run(args, RUN_TIMEOUT_MS, &r);
	after = support_mono_ns();
	assert_int_equal(support_status(&r), 0);
	assert_string_equal(r.err, "");
	errno = 0;
	v = strtoll(r.out, &end, 10);
	assert_int_equal(errno, 0);
	assert_true(end != r.out);
	assert_string_equal(end, "\n");
	if (v < before || v > after)
		fail_msg("--monotonic-ns printed %lld, not within [%lld, %lld]", v,
			 (long long)before, (long long)after);
	support_run_free(&r);
}

static void test_host_facts_help_and_version(void **state)
{
	const char *help[] = { TOOL, "--help", NULL }, *version[] = { TOOL, "--version", NULL };
	struct support_run r;

	(void)state;
	support_run(help, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_contains(r.out, "Usage: host-facts");
	assert_contains(r.out, "--json");
	assert_contains(r.out, "--monotonic-ns");
	support_run_free(&r);

	support_run(version, RUN_TIMEOUT_MS, &r);
	assert_int_equal(support_status(&r), 0);
	assert_contains(r.out, "host-facts (stealscope) ");
	support_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_facts_json_matches_pvm_fixture),
		cmocka_unit_test(test_host_facts_json_usable_kvm_fixture),
		cmocka_unit_test(test_host_facts_lines_name_every_fact),
		cmocka_unit_test(test_host_facts_real_host),
		cmocka_unit_test(test_host_facts_bad_inputs),
		cmocka_unit_test(test_host_facts_monotonic_ns),
		cmocka_unit_test(test_host_facts_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
