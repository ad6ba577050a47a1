/*
 * Unit tests for the kvm-mini backend's pure parts: a spec into kvm-mini's
 * arguments (kmargs: exactly, and accepted by kvm-mini's own parser with
 * the same values), the nested route's checks and argument vector on a
 * fake build tree and a fake QEMU (kmnested), and the route names. The
 * reading of kvm-mini's results directory is tested in test_kmresult.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "experiments/backend-kvmmini.h"
#include "experiments/kmargs.h"
#include "kvm-mini/options.h"
#include "tests/support/files.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MS 1000000LL

static const char classic[] =
	"[experiment]\n"
	"name = sched-virt\n"
	"description = the classic\n"
	"duration = 3s\n"
	"sample_interval = 10ms\n"
	"[vm]\n"
	"vcpus = 1\n"
	"pin = 0\n"
	"slice = 4ms\n"
	"[workload]\n"
	"tasks = 2\n"
	"units = 0\n"
	"unit_work = 1ms\n"
	"[contention hog]\n"
	"cpu = 0\n"
	"start = 1s\n"
	"duration = 1s\n";

static void parse_spec(const char *text, struct spec_set *set)
{
	assert_int_equal(spec_parse(text, strlen(text), "t.ini", set), 0);
}

static void assert_args(const struct kmargs *a, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		if (i >= a->argc)
			fail_msg("argument %d missing, want '%s'", i, want[i]);
		if (strcmp(a->argv[i], want[i]))
			fail_msg("argument %d is '%s', want '%s'", i, a->argv[i], want[i]);
	}
	assert_int_equal(a->argc, i);
	assert_null(a->argv[i]);
}

static void test_backend_kvmmini_args_classic(void **state)
{
	static const char *const want[] = {
		"--vcpus", "1", "--pin", "0", "--workload", "sched", "--tasks", "2", "--units", "0",
		"--unit-work", "1000000ns", "--slice", "4000000ns", "--duration", "3000000000ns",
		"--interval", "10000000ns", "--hog",
		"0:1000000000ns:1000000000ns,nice=0,duty=100.000000,period=100000000ns", NULL,
	};
	struct kmargs a;
	struct spec_set set;

	(void)state;
	parse_spec(classic, &set);
	assert_int_equal(kmargs_build(&set.base, &a), 0);
	assert_args(&a, want);
	spec_free(&set);
}

/* Two vCPUs in written order, two hogs (one to the end, niced, half duty), inf-loop. */
static void test_backend_kvmmini_args_forms(void **state)
{
	static const char text[] =
		"[experiment]\nname = x\ndescription = x\nduration = 2s\nsample_interval = 5ms\n"
		"[vm]\nvcpus = 2\npin = 0,0\nworkload = inf-loop\nslice = 1ms\n"
		"[workload]\ntasks = 4\nunits = 50\nunit_work = 250us\n"
		"[contention a]\ncpu = 0\nstart = 500ms\nnice = 19\nduty = 50\nperiod = 20ms\n"
		"[contention b]\ncpu = 0\nstart = 0\nduration = 3s\n";
	static const char *const want[] = {
		"--vcpus", "2", "--pin", "0", "--workload", "inf-loop", "--tasks", "4", "--units",
		"50", "--unit-work", "250000ns", "--slice", "1000000ns", "--duration", "2000000000ns",
		"--interval", "5000000ns",
		"--hog", "0:500000000ns,nice=19,duty=50.000000,period=20000000ns",
		"--hog", "0:0ns:2000000000ns,nice=0,duty=100.000000,period=100000000ns", NULL,
	};
	struct kmargs a;
	struct spec_set set;

	(void)state;
	parse_spec(text, &set);
	assert_int_equal(kmargs_build(&set.base, &a), 0);
	assert_args(&a, want);
	/* unpinned, and one CPU per vCPU in the order written */
	set.base.pins[0] = set.base.pins[1] = SPEC_PIN_ANY;
	assert_int_equal(kmargs_build(&set.base, &a), 0);
	assert_string_equal(a.argv[3], "any");
	set.base.pins[0] = 1;
	set.base.pins[1] = 0;
	assert_int_equal(kmargs_build(&set.base, &a), 0);
	assert_string_equal(a.argv[3], "1,0");
	spec_free(&set);
}

/* A window shorter than kvm-mini's 1 ms minimum is refused, naming the section. */
static void test_backend_kvmmini_args_short_window(void **state)
{
	struct kmargs a;
	struct spec_set set;

	(void)state;
	parse_spec(classic, &set);
	set.base.contention[0].end_ns = set.base.contention[0].start_ns + 999999;
	log_set_quiet(1);
	assert_int_equal(kmargs_build(&set.base, &a), -EINVAL);
	log_set_quiet(0);
	assert_string_equal(log_last_error(), "[contention hog] (line 14): its window of 999999 ns "
			    "is shorter than kvm-mini's 1 ms minimum");
	spec_free(&set);
}

/* kvm-mini's own parser takes the arguments and lands on the spec's values. */
static void test_backend_kvmmini_args_round_trip(void **state)
{
	static const char text[] =
		"[experiment]\nname = x\ndescription = x\nduration = 2500ms\nsample_interval = 20ms\n"
		"[vm]\nvcpus = 3\npin = 0\nslice = 2ms\n"
		"[workload]\ntasks = 5\nunits = 7\nunit_work = 3ms\n"
		"[contention a]\ncpu = 0\nstart = 1200ms\nduration = 300ms\nnice = 5\nduty = 37.5\n"
		"period = 40ms\n";
	char *argv[KMARGS_MAX + 2];
	struct kmargs a;
	struct spec_set set;
	struct kmini_opts o;
	int i;

	(void)state;
	parse_spec(text, &set);
	assert_int_equal(kmargs_build(&set.base, &a), 0);
	argv[0] = "kvm-mini";
	for (i = 0; i < a.argc; i++)
		argv[i + 1] = a.argv[i];
	argv[a.argc + 1] = NULL;
	assert_int_equal(kmini_parse_args(a.argc + 1, argv, &o), -1);
	assert_int_equal(o.cfg.nvcpus, 3);
	assert_int_equal(o.cfg.pins[2], 0);
	assert_int_equal(o.cfg.workload, KMINI_WL_SCHED);
	assert_int_equal(o.cfg.ntasks, 5);
	assert_int_equal(o.cfg.units, 7);
	assert_int_equal(o.cfg.unit_work_ns, 3 * MS);
	assert_int_equal(o.cfg.slice_ns, 2 * MS);
	assert_int_equal(o.cfg.duration_ns, 2500 * MS);
	assert_int_equal(o.cfg.interval_ns, 20 * MS);
	assert_int_equal(o.cfg.nhogs, 1);
	assert_int_equal(o.cfg.hogs[0].start_ns, 1200 * MS);
	assert_int_equal(o.cfg.hogs[0].duration_ns, 300 * MS);
	assert_int_equal(o.cfg.hogs[0].nice, 5);
	assert_true(o.cfg.hogs[0].duty_pct == 37.5);
	assert_int_equal(o.cfg.hogs[0].period_ns, 40 * MS);
	spec_free(&set);
}

/* ---- a temporary directory per test ----------------------------------------- */

static char dir[PATH_MAX];

static int setup_dir(void **state)
{
	(void)state;
	return support_mkdtemp(dir, sizeof(dir), "kvmmini");
}

static int teardown_dir(void **state)
{
	(void)state;
	return support_rmtree(dir);
}

/* ---- the nested route's checks and arguments ------------------------------------ */

static void touch_exec(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void mkdirs(const char *base, const char *rel)
{
	char path[PATH_MAX + 64], *p;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	for (p = path + strlen(base) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static void test_backend_kvmmini_nested_available(void **state)
{
	char path[PATH_MAX + 64], why[512], *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;
	struct kmnested n;

	(void)state;
	/* no QEMU on PATH */
	setenv("PATH", dir, 1);
	assert_int_equal(kmnested_available(&n, dir, 0, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no qemu-system-x86_64 on PATH for the nested route "
			    "(apt-get install qemu-system-x86)");
	/* a QEMU, but no harness */
	snprintf(path, sizeof(path), "%s/qemu-system-x86_64", dir);
	touch_exec(path);
	assert_int_equal(kmnested_available(&n, dir, 0, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "scripts/kvm-nested.sh is missing"));
	/* the harness, but no static kvm-mini */
	mkdirs(dir, "scripts");
	snprintf(path, sizeof(path), "%s/scripts/kvm-nested.sh", dir);
	touch_exec(path);
	assert_int_equal(kmnested_available(&n, dir, 0, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "the static kvm-mini for the nested route is not built (make "
			    "build/nested/bin/kvm-mini)");
	/* everything but the image: enough when the harness may build it */
	mkdirs(dir, "build/nested/bin");
	snprintf(path, sizeof(path), "%s/build/nested/bin/kvm-mini", dir);
	touch_exec(path);
	assert_int_equal(kmnested_available(&n, dir, 0, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/scripts/kvm-nested.sh", dir);
	assert_string_equal(n.harness, path);
	assert_true(n.smp >= 1 && n.smp <= KMNESTED_MAX_SMP);
	/* --backend auto never downloads: it wants the image or a kernel .deb at hand */
	assert_int_equal(kmnested_available(&n, dir, 1, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "the nested guest's image is not built"));
	mkdirs(dir, "build/guest/debs");
	snprintf(path, sizeof(path), "%s/build/guest/debs/linux-image-6.1.0-9-amd64_6.1_amd64.deb",
		 dir);
	touch_exec(path);
	assert_int_equal(kmnested_available(&n, dir, 1, why, sizeof(why)), 0);
	if (saved)
		setenv("PATH", saved, 1);
	else
		unsetenv("PATH");
	free(saved);
}

static void test_backend_kvmmini_nested_argv(void **state)
{
	static const char *const want[] = {
		"/t/scripts/kvm-nested.sh", "--timeout", "88", "--smp", "2", "--file",
		"/t/build/nested/bin/kvm-mini", "--collect", "/tmp/km:/r/rep-1/kvm-mini.tmp.x", "--",
		"kvm-mini", "--vcpus", "1", "--out", "/tmp/km", NULL,
	};
	char *args[] = { "--vcpus", "1", NULL }, *argv[32], buf[2 * PATH_MAX];
	struct kmnested n;
	int k, i;

	(void)state;
	memset(&n, 0, sizeof(n));
	snprintf(n.harness, sizeof(n.harness), "/t/scripts/kvm-nested.sh");
	snprintf(n.kmini, sizeof(n.kmini), "/t/build/nested/bin/kvm-mini");
	n.smp = 2;
	/* 3 s of run, ~10 s of boot, 45 s for a first image build, 30 s of margin */
	assert_int_equal(kmnested_timeout_s(3000 * MS), 88);
	assert_int_equal(kmnested_timeout_s(3600000 * MS), 3600);
	k = kmnested_argv(&n, args, 3000 * MS, "/r/rep-1/kvm-mini.tmp.x", buf, sizeof(buf), argv,
			  32);
	assert_int_equal(k, 15);
	for (i = 0; want[i]; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[k]);
	assert_int_equal(kmnested_argv(&n, args, 3000 * MS, "/r", buf, sizeof(buf), argv, 8),
			 -E2BIG);
}

static void test_backend_kvmmini_route_names(void **state)
{
	(void)state;
	assert_string_equal(kvmmini_route_name(KVMMINI_ROUTE_IN_PROCESS), "in-process");
	assert_string_equal(kvmmini_route_name(KVMMINI_ROUTE_NESTED), "nested-tcg");
	assert_string_equal(kvmmini_route_name(KVMMINI_ROUTE_NONE), "none");
	assert_non_null(strstr(kvmmini_nested_caveat, "not representative"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_kvmmini_args_classic),
		cmocka_unit_test(test_backend_kvmmini_args_forms),
		cmocka_unit_test(test_backend_kvmmini_args_short_window),
		cmocka_unit_test(test_backend_kvmmini_args_round_trip),
		cmocka_unit_test_setup_teardown(test_backend_kvmmini_nested_available, setup_dir,
						teardown_dir),
		cmocka_unit_test(test_backend_kvmmini_nested_argv),
		cmocka_unit_test(test_backend_kvmmini_route_names),
	};

	log_init("test_backend_kvmmini");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
