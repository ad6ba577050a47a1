/*
 * Unit tests for experiments/watchexec: the threshold action as a child
 * process. Its environment (our variables replacing inherited ones), its
 * exit status logged, at most WATCHEXEC_MAX_RUNNING at once, and one that
 * outlives its time limit killed with its process group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "experiments/watchexec.h"
#include "tests/support/files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return support_mkdtemp(dir, sizeof(dir), "watchexec");
}

static int teardown(void **state)
{
	(void)state;
	return support_rmtree(dir);
}

/* Reap until nothing runs (at most 5 s). */
static void reap_all(struct watchexec *x)
{
	int i;

	for (i = 0; i < 500 && x->nrunning; i++) {
		watchexec_reap(x, mono_ns());
		usleep(10000);
	}
	assert_int_equal(x->nrunning, 0);
}

static void test_watchexec_environment(void **state)
{
	char cmd[256], path[128], *text;
	struct watchexec x;
	struct watchexec_event ev = {
		.host = "qemu:///system", .domain = "web 1", .vcpu = 3, .cpu = -1,
		.value_pct = 52.25, .threshold_pct = 25, .wall_s = 1795000000,
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/env.txt", dir);
	snprintf(cmd, sizeof(cmd), "env | grep ^STEALSCOPE_ | sort > %s; exit 3", path);
	/* An inherited variable of ours is replaced, not doubled. */
	setenv("STEALSCOPE_HOST", "inherited", 1);
	watchexec_init(&x, cmd, 10 * NS_PER_SEC);
	log_set_quiet(1);
	assert_int_equal(watchexec_start(&x, &ev, mono_ns()), 0);
	unsetenv("STEALSCOPE_HOST");
	assert_int_equal(x.nrunning, 1);
	reap_all(&x);
	log_set_quiet(0);
	assert_int_equal(x.started, 1);
	assert_int_equal(x.failed, 1);          /* exit status 3 */
	text = support_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "STEALSCOPE_DOMAIN=web 1\n"
				  "STEALSCOPE_HOST=qemu:///system\n"
				  "STEALSCOPE_THRESHOLD_PCT=25\n"
				  "STEALSCOPE_TIME=2026-11-18T11:06:40Z\n"
				  "STEALSCOPE_VALUE_PCT=52.2\n"
				  "STEALSCOPE_VCPU=3\n");
	free(text);

	/* A CPU's steal: STEALSCOPE_CPU, no domain or vCPU. */
	ev.domain = NULL;
	ev.vcpu = -1;
	ev.cpu = 1;
	ev.host = "kvm1";
	snprintf(cmd, sizeof(cmd), "env | grep ^STEALSCOPE_ | sort > %s", path);
	watchexec_init(&x, cmd, 10 * NS_PER_SEC);
	log_set_quiet(1);
	assert_int_equal(watchexec_start(&x, &ev, mono_ns()), 0);
	reap_all(&x);
	log_set_quiet(0);
	assert_int_equal(x.failed, 0);
	text = support_read_file(path);
	assert_non_null(strstr(text, "STEALSCOPE_CPU=1\nSTEALSCOPE_HOST=kvm1\n"));
	assert_null(strstr(text, "STEALSCOPE_DOMAIN"));
	assert_null(strstr(text, "STEALSCOPE_VCPU"));
	free(text);
}

static void test_watchexec_bounded(void **state)
{
	struct watchexec x;
	struct watchexec_event ev = {
		.host = "h", .domain = "d", .vcpu = 0, .cpu = -1, .value_pct = 90,
		.threshold_pct = 50, .wall_s = 0,
	};
	int64_t t0 = mono_ns();
	int i;

	(void)state;
	/* Each would sleep 30 s (and its child too); the limit is 300 ms. */
	watchexec_init(&x, "sleep 30 & sleep 30", 300 * NS_PER_MS);
	log_set_quiet(1);
	for (i = 0; i < WATCHEXEC_MAX_RUNNING; i++)
		assert_int_equal(watchexec_start(&x, &ev, mono_ns()), 0);
	/* One more would pile up: not started. */
	assert_int_equal(watchexec_start(&x, &ev, mono_ns()), -EBUSY);
	assert_int_equal(x.skipped, 1);
	assert_int_equal(x.nrunning, WATCHEXEC_MAX_RUNNING);
	reap_all(&x);
	log_set_quiet(0);
	assert_int_equal(x.failed, WATCHEXEC_MAX_RUNNING);
	assert_true(mono_ns() - t0 < 3 * NS_PER_SEC);
	/* finish() with nothing running returns at once. */
	t0 = mono_ns();
	watchexec_finish(&x, 2 * NS_PER_SEC);
	assert_true(mono_ns() - t0 < NS_PER_SEC / 10);

	/* At the end, what still runs after the grace time is killed. */
	watchexec_init(&x, "sleep 30", 60 * NS_PER_SEC);
	log_set_quiet(1);
	assert_int_equal(watchexec_start(&x, &ev, mono_ns()), 0);
	t0 = mono_ns();
	watchexec_finish(&x, 200 * NS_PER_MS);
	log_set_quiet(0);
	assert_int_equal(x.nrunning, 0);
	assert_true(mono_ns() - t0 < 2 * NS_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchexec_environment),
		cmocka_unit_test(test_watchexec_bounded),
	};

	log_init("test_watchexec");
	return cmocka_run_group_tests(tests, setup, teardown);
}
