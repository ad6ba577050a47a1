/*
 * Unit tests for experiments/specedit: the spec as run. Each test edits a
 * spec text in memory, checks the lines that changed (and that comments
 * stayed), and parses the result with spec_parse() to check the resolved
 * values the runner will use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "experiments/spec.h"
#include "experiments/specedit.h"

#define MS 1000000LL

static const char sched_virt[] =
	"; a comment\n"
	"[experiment]\n"
	"name = sched-virt\n"
	"description = d\n"
	"backend = kvm-mini\n"
	"duration = 3s\n"
	"repeat = 3\n"
	"\n"
	"[workload]\n"
	"units = 0          ; keep working\n"
	"\n"
	"[contention hog]\n"
	"cpu = 0\n"
	"start = 1s\n"
	"duration = 1s     # one second\n";

static char *edit(const char *text, const struct specedit *e)
{
	size_t len;
	char *out;

	assert_int_equal(specedit_apply(text, strlen(text), e, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

static void parse(const char *text, struct spec_set *set)
{
	if (spec_parse(text, strlen(text), "edited.ini", set))
		fail_msg("edited spec does not parse: %s\n%s", log_last_error(), text);
}

static void test_specedit_quick_duration(void **state)
{
	(void)state;
	assert_int_equal(specedit_quick_duration(3000 * MS), 1000 * MS);
	assert_int_equal(specedit_quick_duration(1200 * MS), 600 * MS);
	assert_int_equal(specedit_quick_duration(500 * MS), 500 * MS);
}

static void test_specedit_quick_scales_windows(void **state)
{
	struct specedit e = { .backend = "native", .quick = 1, .base_duration_ns = 3000 * MS };
	struct spec_set set;
	char *out;

	(void)state;
	out = edit(sched_virt, &e);
	assert_non_null(strstr(out, "backend = native\n"));
	assert_non_null(strstr(out, "\nduration = 1s\n"));
	assert_non_null(strstr(out, "repeat = 1\n"));
	assert_non_null(strstr(out, "start = 333.333ms\n"));
	/* the value changes, the inline comments stay */
	assert_non_null(strstr(out, "duration = 333.333ms     # one second\n"));
	assert_non_null(strstr(out, "units = 0          ; keep working\n"));
	assert_non_null(strstr(out, "; a comment\n"));
	parse(out, &set);
	assert_int_equal(set.base.backend, SPEC_BACKEND_NATIVE);
	assert_int_equal(set.base.duration_ns, 1000 * MS);
	assert_int_equal(set.base.repeat, 1);
	assert_int_equal(set.base.contention[0].start_ns, 333333 * 1000LL);
	assert_int_equal(set.base.contention[0].end_ns, 666666 * 1000LL);
	spec_free(&set);
	free(out);
}

static void test_specedit_adds_missing_keys(void **state)
{
	static const char text[] =
		"[experiment]\r\n"
		"name = x\r\n"
		"description = d\r\n"
		"[contention]\r\n"
		"cpu = 0\r\n";
	struct specedit e = { .backend = "native", .repeat = 4, .quick = 1,
			      .base_duration_ns = 3000 * MS };
	struct spec_set set;
	char *out;

	(void)state;
	out = edit(text, &e);
	parse(out, &set);
	/* default 3s becomes 1s, default start 0 and until-the-end stay so */
	assert_int_equal(set.base.backend, SPEC_BACKEND_NATIVE);
	assert_int_equal(set.base.duration_ns, 1000 * MS);
	assert_int_equal(set.base.repeat, 4);
	assert_int_equal(set.base.contention[0].start_ns, 0);
	assert_int_equal(set.base.contention[0].end_ns, 1000 * MS);
	spec_free(&set);
	free(out);
}

static void test_specedit_policy_overrides(void **state)
{
	static const char text[] =
		"[experiment]\n"
		"name = x\n"
		"description = d\n"
		"backend = native\n"
		"duration = 3s\n"
		"[contention]\n"
		"cpu = 0\n"
		"[policy late]\n"
		"contention.start = 1500ms\n"
		"experiment.repeat = 5\n"
		"experiment.backend = libvirt\n";
	struct specedit e = { .backend = "native", .quick = 1, .base_duration_ns = 3000 * MS };
	struct spec_set set;
	char *out;

	(void)state;
	out = edit(text, &e);
	parse(out, &set);
	assert_int_equal(set.n_policies, 1);
	assert_int_equal(set.policies[0].spec.contention[0].start_ns, 500 * MS);
	assert_int_equal(set.policies[0].spec.repeat, 1);
	assert_int_equal(set.policies[0].spec.backend, SPEC_BACKEND_NATIVE);
	spec_free(&set);
	free(out);
}

static void test_specedit_backend_only(void **state)
{
	struct specedit e = { .backend = "native", .base_duration_ns = 3000 * MS };
	struct spec_set set;
	char *out;

	(void)state;
	out = edit(sched_virt, &e);
	parse(out, &set);
	/* nothing but the backend changes */
	assert_int_equal(set.base.duration_ns, 3000 * MS);
	assert_int_equal(set.base.repeat, 3);
	assert_int_equal(set.base.contention[0].start_ns, 1000 * MS);
	assert_non_null(strstr(out, "duration = 1s     # one second\n"));
	spec_free(&set);
	free(out);
}

static void test_specedit_only_policy(void **state)
{
	static const char text[] =
		"[experiment]\n"
		"name = x\n"
		"description = d\n"
		"backend = native\n"
		"[policy one]\n"
		"vm.pin = 1\n"
		"[policy two]\n"
		"vm.pin = any\n"
		"[policy three]\n"
		"vm.slice = 8ms\n";
	struct specedit e = { .only_policy = "two", .base_duration_ns = 3000 * MS };
	struct spec_set set;
	char *out;

	(void)state;
	out = edit(text, &e);
	assert_null(strstr(out, "[policy one]"));
	assert_null(strstr(out, "vm.slice"));
	parse(out, &set);
	assert_int_equal(set.n_policies, 1);
	assert_string_equal(set.policies[0].name, "two");
	assert_int_equal(set.policies[0].spec.pins[0], SPEC_PIN_ANY);
	spec_free(&set);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specedit_quick_duration),
		cmocka_unit_test(test_specedit_quick_scales_windows),
		cmocka_unit_test(test_specedit_adds_missing_keys),
		cmocka_unit_test(test_specedit_policy_overrides),
		cmocka_unit_test(test_specedit_backend_only),
		cmocka_unit_test(test_specedit_only_policy),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
