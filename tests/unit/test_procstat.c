/*
 * Unit tests for common/procstat: the /proc/stat reader against the fixture
 * trees under tests/fixtures/<case>/proc/stat and in-memory texts, and the
 * derivation against percentages worked out by hand from fixture deltas.
 *
 * Tests only read fixtures and the real /proc/stat; they never write outside
 * a mkdtemp() directory they remove again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/procstat.h"

#define EPS 1e-9

/* Samples are ~100 KB each: keep them off the stack. */
static struct procstat_sample sa, sb;

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", TEST_FIXTURES, name);
	return path;
}

static void read_fixture(const char *name, struct procstat_sample *s)
{
	assert_int_equal(procstat_read(fixture(name), s), 0);
}

static void assert_ticks(const struct procstat_cpu *c, const uint64_t *want)
{
	int i;

	for (i = 0; i < PS_NFIELDS; i++)
		assert_int_equal(c->ticks[i], want[i]);
}

static int parse_str(const char *text, struct procstat_sample *s)
{
	return procstat_parse(text, strlen(text), s);
}

static void assert_error_has(const char *needle)
{
	const char *msg = log_last_error();

	if (!strstr(msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", msg, needle);
}

static double pct_sum(const struct cpupct *p)
{
	double sum = 0;
	int i;

	for (i = 0; i < CP_NFIELDS; i++)
		sum += p->pct[i];
	return sum;
}

static void test_procstat_field_names(void **state)
{
	(void)state;
	assert_string_equal(procstat_field_names[PS_USER], "user");
	assert_string_equal(procstat_field_names[PS_SOFTIRQ], "softirq");
	assert_string_equal(procstat_field_names[PS_STEAL], "steal");
	assert_string_equal(procstat_field_names[PS_GUEST_NICE], "guest_nice");
	assert_string_equal(cpupct_field_names[CP_USR], "usr_pct");
	assert_string_equal(cpupct_field_names[CP_STEAL], "steal_pct");
	assert_string_equal(cpupct_field_names[CP_GNICE], "gnice_pct");
	assert_string_equal(cpupct_field_names[CP_IDLE], "idle_pct");
}

static void test_procstat_reads_normal_counters(void **state)
{
	static const uint64_t all[] = { 84312, 1203, 30941, 5123456, 2210, 0, 1573, 912, 4120, 37 };
	static const uint64_t c0[] = { 42001, 611, 15502, 2561034, 1102, 0, 1012, 455, 2050, 20 };
	static const uint64_t c1[] = { 42311, 592, 15439, 2562422, 1108, 0, 561, 457, 2070, 17 };

	(void)state;
	sa.t_ns = 12345;
	read_fixture("normal-2cpu", &sa);
	assert_int_equal(sa.t_ns, 12345);	/* the caller's to set */
	assert_int_equal(sa.all.cpu, PROCSTAT_CPU_ALL);
	assert_int_equal(sa.all.nfields, 10);
	assert_ticks(&sa.all, all);
	assert_int_equal(sa.ncpus, 2);
	assert_int_equal(sa.cpu[0].cpu, 0);
	assert_int_equal(sa.cpu[0].nfields, 10);
	assert_ticks(&sa.cpu[0], c0);
	assert_int_equal(sa.cpu[1].cpu, 1);
	assert_ticks(&sa.cpu[1], c1);
}

static void test_procstat_read_file_rereads_from_start(void **state)
{
	struct procstat_file f;

	(void)state;
	assert_int_equal(procstat_open(fixture("normal-2cpu"), &f), 0);
	assert_true(f.fd >= 0);
	assert_int_equal(procstat_read_file(&f, &sa), 0);
	assert_int_equal(procstat_read_file(&f, &sb), 0);
	procstat_close(&f);
	assert_int_equal(f.fd, -1);
	procstat_close(&f);	/* closing twice is harmless */
	assert_int_equal(sb.ncpus, 2);
	assert_int_equal(sb.cpu[1].ticks[PS_IDLE], 2562422);
	assert_memory_equal(&sa.all, &sb.all, sizeof(sa.all));
	assert_memory_equal(&sa.cpu[1], &sb.cpu[1], sizeof(sa.cpu[1]));
}

static void test_procstat_old_kernel_nfields(void **state)
{
	static const uint64_t all[] = { 2255, 34, 2290, 22625563, 6290, 127, 456, 0, 0, 0 };
	static const uint64_t c1[] = { 1123, 0, 849, 11313845, 0, 0, 0, 0, 0, 0 };

	(void)state;
	read_fixture("old-kernel", &sa);
	assert_int_equal(sa.all.nfields, 7);
	assert_ticks(&sa.all, all);
	assert_int_equal(sa.ncpus, 2);
	assert_int_equal(sa.cpu[0].nfields, 7);
	assert_int_equal(sa.cpu[0].ticks[PS_SOFTIRQ], 438);
	assert_int_equal(sa.cpu[0].ticks[PS_STEAL], 0);
	assert_int_equal(sa.cpu[1].nfields, 4);
	assert_ticks(&sa.cpu[1], c1);
}

/* cpu0 of backwards-a -> backwards-b: iowait steps back 10 -> 8. */
static void test_procstat_derive_backwards_clamps(void **state)
{
	struct cpupct p;

	(void)state;
	read_fixture("backwards-a", &sa);
	read_fixture("backwards-b", &sb);
	procstat_derive(procstat_find_cpu(&sa, 0), procstat_find_cpu(&sb, 0), &p);
	/* user 60 (guest 10) + sys 20 + idle 110 + iowait 0 (clamped) + steal 10 */
	assert_int_equal(p.total_ticks, 200);
	assert_float_equal(p.pct[CP_USR], 25.0, EPS);	/* (60 - 10) / 200 */
	assert_float_equal(p.pct[CP_GUEST], 5.0, EPS);
	assert_float_equal(p.pct[CP_SYS], 10.0, EPS);
	assert_float_equal(p.pct[CP_IDLE], 55.0, EPS);
	assert_float_equal(p.pct[CP_STEAL], 5.0, EPS);
	assert_float_equal(p.pct[CP_IOWAIT], 0.0, EPS);
	assert_float_equal(p.pct[CP_NICE], 0.0, EPS);
	assert_float_equal(p.pct[CP_IRQ], 0.0, EPS);
	assert_float_equal(p.pct[CP_SOFT], 0.0, EPS);
	assert_float_equal(p.pct[CP_GNICE], 0.0, EPS);
	assert_float_equal(pct_sum(&p), 100.0, EPS);
}

/* cpu1: steal steps back 50 -> 45, and guest (+40) runs ahead of user (+30). */
static void test_procstat_derive_guest_ahead_of_user(void **state)
{
	struct cpupct p;

	(void)state;
	read_fixture("backwards-a", &sa);
	read_fixture("backwards-b", &sb);
	procstat_derive(procstat_find_cpu(&sa, 1), procstat_find_cpu(&sb, 1), &p);
	/* user counts as 40 (all guest) + sys 10 + idle 150; steal clamped to 0 */
	assert_int_equal(p.total_ticks, 200);
	assert_float_equal(p.pct[CP_USR], 0.0, EPS);
	assert_float_equal(p.pct[CP_GUEST], 20.0, EPS);
	assert_float_equal(p.pct[CP_SYS], 5.0, EPS);
	assert_float_equal(p.pct[CP_IDLE], 75.0, EPS);
	assert_float_equal(p.pct[CP_STEAL], 0.0, EPS);
	assert_float_equal(pct_sum(&p), 100.0, EPS);
}

static void test_procstat_derive_aggregate_line(void **state)
{
	struct cpupct p;

	(void)state;
	read_fixture("backwards-a", &sa);
	read_fixture("backwards-b", &sb);
	procstat_derive(&sa.all, &sb.all, &p);
	/* user 90 (guest 50) + sys 30 + idle 260 + iowait 0 (20 -> 18) + steal 5 */
	assert_int_equal(p.total_ticks, 385);
	assert_float_equal(p.pct[CP_USR], 100.0 * 40 / 385, EPS);
	assert_float_equal(p.pct[CP_GUEST], 100.0 * 50 / 385, EPS);
	assert_float_equal(p.pct[CP_SYS], 100.0 * 30 / 385, EPS);
	assert_float_equal(p.pct[CP_IDLE], 100.0 * 260 / 385, EPS);
	assert_float_equal(p.pct[CP_STEAL], 100.0 * 5 / 385, EPS);
	assert_float_equal(p.pct[CP_IOWAIT], 0.0, EPS);
	assert_float_equal(pct_sum(&p), 100.0, EPS);
}

static void test_procstat_derive_guest_not_counted_twice(void **state)
{
	struct procstat_cpu prev = { .cpu = 0, .nfields = 10 }, cur;
	struct cpupct p;

	(void)state;
	prev.ticks[PS_USER] = 1000;
	prev.ticks[PS_NICE] = 500;
	prev.ticks[PS_SYSTEM] = 300;
	prev.ticks[PS_IDLE] = 9000;
	prev.ticks[PS_GUEST] = 200;
	prev.ticks[PS_GUEST_NICE] = 100;
	cur = prev;
	cur.ticks[PS_USER] += 100;	/* of which guest 40 */
	cur.ticks[PS_GUEST] += 40;
	cur.ticks[PS_NICE] += 30;	/* of which guest_nice 10 */
	cur.ticks[PS_GUEST_NICE] += 10;
	cur.ticks[PS_SYSTEM] += 20;
	cur.ticks[PS_IDLE] += 250;
	procstat_derive(&prev, &cur, &p);
	assert_int_equal(p.total_ticks, 400);	/* 100 + 30 + 20 + 250: no 40, no 10 */
	assert_float_equal(p.pct[CP_USR], 15.0, EPS);	/* 60 / 400 */
	assert_float_equal(p.pct[CP_GUEST], 10.0, EPS);	/* 40 / 400 */
	assert_float_equal(p.pct[CP_NICE], 5.0, EPS);	/* 20 / 400 */
	assert_float_equal(p.pct[CP_GNICE], 2.5, EPS);	/* 10 / 400 */
	assert_float_equal(p.pct[CP_SYS], 5.0, EPS);
	assert_float_equal(p.pct[CP_IDLE], 62.5, EPS);
	assert_float_equal(pct_sum(&p), 100.0, EPS);
}

static void test_procstat_derive_zero_interval(void **state)
{
	struct cpupct p;
	int i;

	(void)state;
	read_fixture("normal-2cpu", &sa);
	memset(&p, 0x7f, sizeof(p));
	procstat_derive(&sa.cpu[0], &sa.cpu[0], &p);
	assert_int_equal(p.total_ticks, 0);
	for (i = 0; i < CP_NFIELDS; i++)
		assert_float_equal(p.pct[i], 0.0, 0.0);
}

/* Every counter went backwards (e.g. samples swapped): nothing to divide by. */
static void test_procstat_derive_all_backwards_is_zero(void **state)
{
	struct cpupct p;
	int i;

	(void)state;
	read_fixture("hotplug-a", &sa);
	read_fixture("hotplug-b", &sb);
	procstat_derive(&sb.cpu[0], &sa.cpu[0], &p);
	assert_int_equal(p.total_ticks, 0);
	for (i = 0; i < CP_NFIELDS; i++)
		assert_float_equal(p.pct[i], 0.0, 0.0);
}

static void test_procstat_hotplug(void **state)
{
	const struct procstat_cpu *c;
	struct cpupct p;

	(void)state;
	read_fixture("hotplug-a", &sa);
	read_fixture("hotplug-b", &sb);
	assert_int_equal(sa.ncpus, 2);
	assert_int_equal(sb.ncpus, 2);
	assert_non_null(procstat_find_cpu(&sa, 1));
	assert_null(procstat_find_cpu(&sa, 2));
	assert_null(procstat_find_cpu(&sb, 1));	/* unplugged */
	c = procstat_find_cpu(&sb, 2);			/* plugged in */
	assert_non_null(c);
	assert_int_equal(c->cpu, 2);
	assert_int_equal(c->ticks[PS_USER], 50);
	assert_int_equal(c->ticks[PS_IDLE], 140);

	/* cpu0 stays: user +80, sys +10, idle +300, steal +10 */
	procstat_derive(procstat_find_cpu(&sa, 0), procstat_find_cpu(&sb, 0), &p);
	assert_int_equal(p.total_ticks, 400);
	assert_float_equal(p.pct[CP_USR], 20.0, EPS);
	assert_float_equal(p.pct[CP_SYS], 2.5, EPS);
	assert_float_equal(p.pct[CP_IDLE], 75.0, EPS);
	assert_float_equal(p.pct[CP_STEAL], 2.5, EPS);
}

static void test_procstat_find_cpu_unsorted(void **state)
{
	static const int order[] = { 5, 1, 3, 0, 7 };
	unsigned i;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.all.cpu = PROCSTAT_CPU_ALL;
	sa.ncpus = (int)(sizeof(order) / sizeof(order[0]));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		sa.cpu[i].cpu = order[i];
		sa.cpu[i].ticks[PS_USER] = 100 + (uint64_t)order[i];
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct procstat_cpu *c = procstat_find_cpu(&sa, order[i]);

		assert_non_null(c);
		assert_int_equal(c->ticks[PS_USER], 100 + order[i]);
	}
	assert_null(procstat_find_cpu(&sa, 2));
	assert_null(procstat_find_cpu(&sa, 4));
	assert_null(procstat_find_cpu(&sa, PROCSTAT_MAX_CPUS));
	assert_null(procstat_find_cpu(&sa, -2));
	assert_ptr_equal(procstat_find_cpu(&sa, PROCSTAT_CPU_ALL), &sa.all);
}

static void test_procstat_malformed_fixture(void **state)
{
	struct procstat_file f;

	(void)state;
	assert_int_equal(procstat_read(fixture("malformed"), &sa), -EINVAL);
	assert_error_has("malformed/proc/stat line 3");
	assert_error_has("field 4 '25x2422' is not an unsigned integer");
	/* Kept open for sampling, the file is still named by its path, not its fd. */
	assert_int_equal(procstat_open(fixture("malformed"), &f), 0);
	assert_int_equal(procstat_read_file(&f, &sa), -EINVAL);
	procstat_close(&f);
	assert_error_has("malformed/proc/stat line 3: field 4");
	assert_null(strstr(log_last_error(), "(fd "));
}

static void test_procstat_parse_too_few_fields(void **state)
{
	(void)state;
	assert_int_equal(parse_str("cpu  1 2 3 4\ncpu0 1 2 3\n", &sa), -EINVAL);
	assert_error_has("line 2: 3 fields, need at least 4");
}

static void test_procstat_parse_negative_field(void **state)
{
	(void)state;
	assert_int_equal(parse_str("intr 5\ncpu  1 2 3 4\ncpu0 1 -2 3 4\n", &sa), -EINVAL);
	assert_error_has("line 3: field 2 '-2' is not an unsigned integer");
	assert_int_equal(parse_str("cpu  1 +2 3 4\n", &sa), -EINVAL);
	assert_error_has("line 1: field 2 '+2'");
}

static void test_procstat_parse_u64_range(void **state)
{
	(void)state;
	assert_int_equal(parse_str("cpu  18446744073709551615 0 0 0\n", &sa), 0);
	assert_int_equal(sa.all.ticks[PS_USER], UINT64_MAX);
	assert_int_equal(parse_str("cpu  18446744073709551616 0 0 0\n", &sa), -EINVAL);
	assert_error_has("field 1 '18446744073709551616'");
}

static void test_procstat_parse_cpu_out_of_range(void **state)
{
	(void)state;
	assert_int_equal(parse_str("cpu  1 2 3 4\ncpu1024 1 2 3 4\n", &sa), -EINVAL);
	assert_error_has("line 2: CPU number 1024 out of range");
	assert_int_equal(parse_str("cpu  1 2 3 4\ncpu1023 1 2 3 4\n", &sa), 0);
	assert_int_equal(sa.cpu[0].cpu, 1023);
	assert_int_equal(parse_str("cpu  1 2 3 4\ncpu7x 1 2 3 4\n", &sa), -EINVAL);
	assert_error_has("line 2: bad CPU number '7x'");
}

static void test_procstat_parse_duplicate_cpu(void **state)
{
	(void)state;
	assert_int_equal(parse_str("cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu0 1 2 3 4\n", &sa), -EINVAL);
	assert_error_has("line 3: cpu0 listed twice");
	assert_int_equal(parse_str("cpu  1 2 3 4\ncpu  1 2 3 4\n", &sa), -EINVAL);
	assert_error_has("line 2: second aggregate");
}

static void test_procstat_parse_needs_aggregate(void **state)
{
	(void)state;
	assert_int_equal(parse_str("cpu0 1 2 3 4\nctxt 5\n", &sa), -EINVAL);
	assert_error_has("no aggregate \"cpu\" line");
	assert_int_equal(procstat_parse("", 0, &sa), -EINVAL);
}

/* The length bounds the parse: the digits after it are not part of the text. */
static void test_procstat_parse_respects_len(void **state)
{
	static const char text[] = "cpu  1 2 3 49999";

	(void)state;
	assert_int_equal(procstat_parse(text, 12, &sa), 0);
	assert_int_equal(sa.all.nfields, 4);
	assert_int_equal(sa.all.ticks[PS_IDLE], 4);
	assert_int_equal(sa.ncpus, 0);
}

static void test_procstat_parse_extra_fields_dropped(void **state)
{
	(void)state;
	assert_int_equal(parse_str("cpu  1 2 3 4 5 6 7 8 9 10 11 12\n", &sa), 0);
	assert_int_equal(sa.all.nfields, PS_NFIELDS);
	assert_int_equal(sa.all.ticks[PS_GUEST_NICE], 10);
	assert_int_equal(parse_str("cpu  1 2 3 4 5 6 7 8 9 10 x\n", &sa), -EINVAL);
	assert_error_has("field 11 'x'");
}

/* Lines that merely start with "cpu" letters are not CPU lines. */
static void test_procstat_parse_ignores_other_lines(void **state)
{
	(void)state;
	assert_int_equal(parse_str("cpufreq a b\ncpu\t1 2 3 4\n\nintr 1 2 3\n", &sa), 0);
	assert_int_equal(sa.all.ticks[PS_IDLE], 4);
	assert_int_equal(sa.ncpus, 0);
}

/* Write a /proc/stat for 1024 CPUs plus an intr line of @nirq counters. */
static void write_big_stat(const char *root, int nirq)
{
	char path[4096];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/proc/stat", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "cpu  %d 0 %d 1000000 0 0 0 %d 0 0\n", 1024 * 11, 1024 * 3, 1024 * 7);
	for (i = 0; i < PROCSTAT_MAX_CPUS; i++)
		fprintf(f, "cpu%d %d 0 3 1000 0 0 0 7 0 0\n", i, 10 + (i == 1023 ? 1024 : 1));
	fprintf(f, "intr 123456789");
	for (i = 0; i < nirq; i++)
		fprintf(f, " %d", i);
	fprintf(f, "\nctxt 1\nbtime 2\n");
	assert_int_equal(fclose(f), 0);
}

static void remove_big_stat(const char *root)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/proc/stat", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);
}

static void test_procstat_read_1024_cpus_large_file(void **state)
{
	char root[] = "/tmp/test_procstat.XXXXXX";
	struct procstat_file f;
	int round;

	(void)state;
	assert_non_null(mkdtemp(root));
	write_big_stat(root, 100000);	/* ~590 KB: several buffer doublings */
	assert_int_equal(procstat_open(root, &f), 0);
	for (round = 0; round < 2; round++) {
		memset(&sa, 0, sizeof(sa));
		assert_int_equal(procstat_read_file(&f, &sa), 0);
		assert_int_equal(sa.ncpus, PROCSTAT_MAX_CPUS);
		assert_int_equal(sa.all.ticks[PS_STEAL], 1024 * 7);
		assert_int_equal(sa.cpu[0].ticks[PS_USER], 11);
		assert_int_equal(sa.cpu[1023].cpu, 1023);
		assert_int_equal(sa.cpu[1023].ticks[PS_USER], 1034);
		assert_ptr_equal(procstat_find_cpu(&sa, 1023), &sa.cpu[1023]);
	}
	procstat_close(&f);
	remove_big_stat(root);
	procstat_release_buffer();
	procstat_release_buffer();	/* idempotent */
}

static void test_procstat_open_missing_root(void **state)
{
	struct procstat_file f;

	(void)state;
	assert_int_equal(procstat_open("/nonexistent-stealscope", &f), -ENOENT);
	assert_int_equal(f.fd, -1);
	assert_error_has("open /nonexistent-stealscope/proc/stat");
	assert_int_equal(procstat_read("/nonexistent-stealscope", &sa), -ENOENT);
}

static void test_procstat_real_proc_stat(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	assert_true(online > 0);
	assert_int_equal(procstat_read(NULL, &sa), 0);
	assert_int_equal(sa.ncpus, online);
	assert_true(sa.all.nfields >= 8);	/* steal exists since 2.6.11 */
	assert_true(sa.all.ticks[PS_IDLE] > 0);
	assert_int_equal(procstat_read("", &sb), 0);
	assert_int_equal(sb.ncpus, online);
	/* Cumulative: a later read is never behind in idle + user. */
	assert_true(sb.all.ticks[PS_IDLE] + sb.all.ticks[PS_USER] >=
		    sa.all.ticks[PS_IDLE] + sa.all.ticks[PS_USER]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procstat_field_names),
		cmocka_unit_test(test_procstat_reads_normal_counters),
		cmocka_unit_test(test_procstat_read_file_rereads_from_start),
		cmocka_unit_test(test_procstat_old_kernel_nfields),
		cmocka_unit_test(test_procstat_derive_backwards_clamps),
		cmocka_unit_test(test_procstat_derive_guest_ahead_of_user),
		cmocka_unit_test(test_procstat_derive_aggregate_line),
		cmocka_unit_test(test_procstat_derive_guest_not_counted_twice),
		cmocka_unit_test(test_procstat_derive_zero_interval),
		cmocka_unit_test(test_procstat_derive_all_backwards_is_zero),
		cmocka_unit_test(test_procstat_hotplug),
		cmocka_unit_test(test_procstat_find_cpu_unsorted),
		cmocka_unit_test(test_procstat_malformed_fixture),
		cmocka_unit_test(test_procstat_parse_too_few_fields),
		cmocka_unit_test(test_procstat_parse_negative_field),
		cmocka_unit_test(test_procstat_parse_u64_range),
		cmocka_unit_test(test_procstat_parse_cpu_out_of_range),
		cmocka_unit_test(test_procstat_parse_duplicate_cpu),
		cmocka_unit_test(test_procstat_parse_needs_aggregate),
		cmocka_unit_test(test_procstat_parse_respects_len),
		cmocka_unit_test(test_procstat_parse_extra_fields_dropped),
		cmocka_unit_test(test_procstat_parse_ignores_other_lines),
		cmocka_unit_test(test_procstat_read_1024_cpus_large_file),
		cmocka_unit_test(test_procstat_open_missing_root),
		cmocka_unit_test(test_procstat_real_proc_stat),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
