/*
 * test_promcpu: unit tests for common/promcpu.c, the one writer of
 * stealscope_cpu_seconds_total: the exact text for a current kernel's ten
 * fields and an old kernel's four, the aggregate left out, and the clamp
 * that keeps a counter from going backwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/promcpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD "# HELP stealscope_cpu_seconds_total CPU time by mode from /proc/stat " \
	     "(ticks / USER_HZ), seconds. guest and guest_nice are already counted in " \
	     "user and nice, as the kernel counts them.\n"                             \
	     "# TYPE stealscope_cpu_seconds_total counter\n"
#define S(cpu, mode, v) "stealscope_cpu_seconds_total{cpu=\"" cpu "\",mode=\"" mode "\"} " v "\n"

/* The exposition of the CPU lines of @stat (text of /proc/stat), into a malloc'd string. */
static char *expose(const char *stat, long user_hz)
{
	static struct procstat_sample s;
	struct promexp p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	assert_int_equal(procstat_parse(stat, strlen(stat), &s), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	promexp_init(&p, f);
	assert_int_equal(promcpu_family(&p), 0);
	assert_int_equal(promcpu_cpu(&p, &s.all, user_hz), 0);
	for (i = 0; i < s.ncpus; i++)
		assert_int_equal(promcpu_cpu(&p, &s.cpu[i], user_hz), 0);
	assert_int_equal(promexp_finish(&p), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Ten fields, in seconds; the aggregate "cpu" line gives no series. */
static void test_promcpu_every_mode_in_seconds(void **state)
{
	char *text = expose("cpu  150 1 30 900 4 0 2 25 12 0\n"
			    "cpu3 150 1 30 900 4 0 2 25 12 0\n", 100);

	(void)state;
	assert_string_equal(text, HEAD
			    S("3", "user", "1.5") S("3", "nice", "0.01") S("3", "system", "0.3")
			    S("3", "idle", "9") S("3", "iowait", "0.04") S("3", "irq", "0")
			    S("3", "softirq", "0.02") S("3", "steal", "0.25")
			    S("3", "guest", "0.12") S("3", "guest_nice", "0"));
	free(text);
}

/* An old kernel prints four fields: four series per CPU, none written as 0. */
static void test_promcpu_old_kernel_fields_left_out(void **state)
{
	char *text = expose("cpu  20 0 20 200\ncpu0 10 0 10 100\ncpu1 10 0 10 100\n", 1000);

	(void)state;
	assert_string_equal(text, HEAD
			    S("0", "user", "0.01") S("0", "nice", "0") S("0", "system", "0.01")
			    S("0", "idle", "0.1")
			    S("1", "user", "0.01") S("1", "nice", "0") S("1", "system", "0.01")
			    S("1", "idle", "0.1"));
	free(text);
}

static void test_promcpu_clamp_keeps_the_floor(void **state)
{
	struct procstat_cpu prev = { .cpu = 0, .nfields = 10, .ticks = { 10, 0, 10, 100, 7 } };
	struct procstat_cpu cur = { .cpu = 0, .nfields = 10, .ticks = { 15, 0, 15, 95, 9 } };

	(void)state;
	promcpu_clamp(&cur, &prev);
	assert_int_equal(cur.ticks[PS_IDLE], 100);         /* stepped back: kept at 100 */
	assert_int_equal(cur.ticks[PS_USER], 15);          /* moved on */
	assert_int_equal(cur.ticks[PS_IOWAIT], 9);
	assert_int_equal(cur.ticks[PS_STEAL], 0);
	assert_int_equal(cur.nfields, 10);
	/* a fresh floor of zeros changes nothing */
	memset(&prev, 0, sizeof(prev));
	promcpu_clamp(&cur, &prev);
	assert_int_equal(cur.ticks[PS_IDLE], 100);
	assert_int_equal(cur.ticks[PS_SYSTEM], 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promcpu_every_mode_in_seconds),
		cmocka_unit_test(test_promcpu_old_kernel_fields_left_out),
		cmocka_unit_test(test_promcpu_clamp_keeps_the_floor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
