/*
 * Unit tests for kvm-mini/options: defaults, every option into the config,
 * --pin and --hog forms, and the usage errors with their exact messages
 * (logged once, exit code 2). CPU numbers are checked against the online
 * CPUs of this machine, which always has CPU 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "kvm-mini/options.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ARGV(...) ((char *[]){ "kvm-mini", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "kvm-mini", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) kmini_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))

static void test_kvm_mini_options_defaults(void **state)
{
	char *argv[] = { "kvm-mini", NULL };
	struct kmini_opts o;

	(void)state;
	assert_int_equal(kmini_parse_args(1, argv, &o), -1);
	assert_int_equal(o.cfg.nvcpus, 1);
	assert_int_equal(o.cfg.pins[0], 0);
	assert_int_equal(o.cfg.workload, KMINI_WL_SCHED);
	assert_int_equal(o.cfg.ntasks, 2);
	assert_int_equal(o.cfg.units, 0);
	assert_int_equal(o.cfg.unit_work_ns, 1000000);
	assert_int_equal(o.cfg.slice_ns, 4000000);
	assert_int_equal(o.cfg.duration_ns, 3000000000ll);
	assert_int_equal(o.cfg.interval_ns, 10000000);
	assert_int_equal(o.cfg.nhogs, 0);
	assert_null(o.out_dir);
	assert_null(o.cfg.kvm_dev);
}

static void test_kvm_mini_options_all(void **state)
{
	struct kmini_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "--vcpus", "2", "--pin", "any", "--workload", "inf-loop",
			       "--tasks", "5", "--units", "7", "--unit-work", "250us",
			       "--unit-loops", "1234", "--slice", "1ms", "-d", "2s", "-i", "5ms",
			       "--hog", "0:1s:500ms", "--hog", "0", "-o", "/tmp/x",
			       "--kvm-dev", "/dev/null"), -1);
	assert_int_equal(o.cfg.nvcpus, 2);
	assert_int_equal(o.cfg.pins[0], KMINI_PIN_ANY);
	assert_int_equal(o.cfg.pins[1], KMINI_PIN_ANY);
	assert_int_equal(o.cfg.workload, KMINI_WL_INF_LOOP);
	assert_int_equal(o.cfg.ntasks, 5);
	assert_int_equal(o.cfg.units, 7);
	assert_int_equal(o.cfg.unit_work_ns, 250000);
	assert_int_equal(o.cfg.loops_per_unit, 1234);
	assert_int_equal(o.cfg.slice_ns, 1000000);
	assert_int_equal(o.cfg.duration_ns, 2000000000ll);
	assert_int_equal(o.cfg.interval_ns, 5000000);
	assert_int_equal(o.cfg.nhogs, 2);
	assert_int_equal(o.cfg.hogs[0].cpu, 0);
	assert_int_equal(o.cfg.hogs[0].start_ns, 1000000000ll);
	assert_int_equal(o.cfg.hogs[0].duration_ns, 500000000ll);
	assert_int_equal(o.cfg.hogs[1].start_ns, 0);
	assert_int_equal(o.cfg.hogs[1].duration_ns, 0);
	assert_string_equal(o.out_dir, "/tmp/x");
	assert_string_equal(o.cfg.kvm_dev, "/dev/null");
	assert_string_equal(kmini_workload_name(o.cfg.workload), "inf-loop");
}

static void test_kvm_mini_options_pin_forms(void **state)
{
	int pins[KMINI_MAX_VCPUS];
	int two = sysconf(_SC_NPROCESSORS_ONLN) >= 2;

	(void)state;
	assert_int_equal(kmini_parse_pin("0", 4, pins), 0);
	assert_int_equal(pins[0], 0);
	assert_int_equal(pins[3], 0);
	if (two) {
		/* in the order written */
		assert_int_equal(kmini_parse_pin("1,0", 2, pins), 0);
		assert_int_equal(pins[0], 1);
		assert_int_equal(pins[1], 0);
		assert_int_equal(kmini_parse_pin("0-1", 2, pins), 0);
		assert_int_equal(pins[1], 1);
	}
	assert_int_equal(kmini_parse_pin("0,0,0", 3, pins), 0);
	assert_int_equal(pins[2], 0);
	assert_int_equal(kmini_parse_pin("any", 8, pins), 0);
	assert_int_equal(pins[7], KMINI_PIN_ANY);
}

static void test_kvm_mini_options_usage_errors(void **state)
{
	static const struct {
		const char *opt, *val, *msg;
	} bad[] = {
		{ "--vcpus", "9", "--vcpus: '9' is out of range [1, 8]" },
		{ "--vcpus", "0", "--vcpus: '0' is out of range [1, 8]" },
		{ "--pin", "0,0", "--pin: '0,0' names 2 CPUs for 1 vCPUs: give one CPU for all, "
				  "one per vCPU, or 'any'" },
		{ "--pin", "", "--pin: '' is not a CPU list or 'any'" },
		{ "--pin", "0,", "--pin: '0,' is not a CPU list or 'any'" },
		{ "--workload", "spin", "--workload: unknown workload 'spin' (sched, inf-loop, idle, "
					"test-fault, test-garbage, test-ring-corrupt, "
					"test-no-yield, test-ring0-loop, test-triple-fault, "
					"test-emulation, test-bad-opcode)" },
		{ "--slice", "100us", NULL },
		{ "--duration", "5", NULL },
		{ "--tasks", "65", "--tasks: '65' is out of range [1, 64]" },
		{ "--hog", "0:x", NULL },
		{ "--hog", "0:1s:0", NULL },
		{ "--interval", "20s", NULL },
	};
	struct kmini_opts o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "kvm-mini", (char *)bad[i].opt, (char *)bad[i].val, NULL };

		assert_int_equal(kmini_parse_args(3, argv, &o), EXIT_USAGE);
		if (bad[i].msg)
			assert_string_equal(log_last_error(), bad[i].msg);
		else
			assert_true(strlen(log_last_error()) > 0);
	}
	/* an operand */
	assert_int_equal(PARSE(&o, "extra"), EXIT_USAGE);
	assert_string_equal(log_last_error(), "unexpected argument 'extra'");
	/* interval longer than the run */
	assert_int_equal(PARSE(&o, "-d", "100ms", "-i", "200ms"), EXIT_USAGE);
	assert_string_equal(log_last_error(), "--interval is longer than --duration");
	/* a CPU that is not online */
	assert_int_equal(PARSE(&o, "--hog", "1000"), EXIT_USAGE);
	assert_non_null(strstr(log_last_error(), "CPU 1000 is not online"));
}

/* --hog's settings after the window: nice, duty, period; their defaults and errors. */
static void test_kvm_mini_options_hog_settings(void **state)
{
	static const struct {
		const char *arg, *msg;
	} bad[] = {
		{ "0,nice=20", "--hog nice: '20' is out of range [-20, 19]" },
		{ "0,nice=x", NULL },
		{ "0,duty=0", "--hog duty: '0' is out of range (0, 100]" },
		{ "0,duty=150", NULL },
		{ "0,period=500us", NULL },
		{ "0,speed=2", "--hog: unknown setting 'speed' (nice, duty or period)" },
		{ "0,nice", "--hog: 'nice' is not KEY=VALUE (nice, duty or period)" },
		{ "0,", "--hog: '' is not KEY=VALUE (nice, duty or period)" },
	};
	struct kmini_hog h;
	size_t i;

	(void)state;
	assert_int_equal(kmini_parse_hog("0:1s:500ms", 3000000000ll, &h), 0);
	assert_int_equal(h.nice, 0);
	assert_true(h.duty_pct == 100.0);
	assert_int_equal(h.period_ns, 100000000ll);
	assert_int_equal(kmini_parse_hog("0:250ms,nice=19,duty=12.5,period=20ms", 3000000000ll,
					 &h), 0);
	assert_int_equal(h.cpu, 0);
	assert_int_equal(h.start_ns, 250000000ll);
	assert_int_equal(h.duration_ns, 0);
	assert_int_equal(h.nice, 19);
	assert_true(h.duty_pct == 12.5);
	assert_int_equal(h.period_ns, 20000000ll);
	assert_int_equal(kmini_parse_hog("0,nice=-20", 3000000000ll, &h), 0);
	assert_int_equal(h.nice, -20);
	assert_int_equal(h.start_ns, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kmini_parse_hog(bad[i].arg, 3000000000ll, &h) != EXIT_USAGE)
			fail_msg("--hog %s was accepted", bad[i].arg);
		if (bad[i].msg)
			assert_string_equal(log_last_error(), bad[i].msg);
		else
			assert_true(strlen(log_last_error()) > 0);
	}
}

/* --out samples /proc/stat of the CPUs involved: pins and hogs, or all when unpinned. */
static void test_kvm_mini_options_involved_cpus(void **state)
{
	struct kmini_opts o;
	cpu_set_t online;

	(void)state;
	assert_int_equal(PARSE(&o, "--pin", "0", "--hog", "0:1s:1s"), -1);
	assert_int_equal(CPU_COUNT(&o.cfg.stat_cpus), 0);      /* no --out: none */
	assert_int_equal(PARSE(&o, "--pin", "0", "--hog", "0:1s:1s", "-o", "/tmp/x"), -1);
	assert_int_equal(CPU_COUNT(&o.cfg.stat_cpus), 1);
	assert_true(CPU_ISSET(0, &o.cfg.stat_cpus));
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		assert_int_equal(PARSE(&o, "--pin", "0", "--hog", "1", "-o", "/tmp/x"), -1);
		assert_int_equal(CPU_COUNT(&o.cfg.stat_cpus), 2);
		assert_true(CPU_ISSET(1, &o.cfg.stat_cpus));
	}
	assert_int_equal(PARSE(&o, "--pin", "any", "-o", "/tmp/x"), -1);
	assert_int_equal(cpus_online(NULL, &online), 0);
	assert_true(CPU_EQUAL(&online, &o.cfg.stat_cpus));
}

static void test_kvm_mini_options_help_version(void **state)
{
	struct kmini_opts o;

	(void)state;
	/* their text goes to stdout: the integration tests check it */
	assert_int_equal(PARSE(&o, "--version"), EXIT_OK);
	assert_int_equal(PARSE(&o, "-h"), EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_mini_options_defaults),
		cmocka_unit_test(test_kvm_mini_options_all),
		cmocka_unit_test(test_kvm_mini_options_pin_forms),
		cmocka_unit_test(test_kvm_mini_options_usage_errors),
		cmocka_unit_test(test_kvm_mini_options_hog_settings),
		cmocka_unit_test(test_kvm_mini_options_involved_cpus),
		cmocka_unit_test(test_kvm_mini_options_help_version),
	};

	log_init("kvm-mini");
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
