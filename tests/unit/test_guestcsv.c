/*
 * Unit tests for experiments/guestcsv: a real guest's progress.csv into
 * per-vCPU stamps (merged across tasks and sorted: the guest writes them
 * task by task) and its cpu.csv into per-vCPU guest ticks on the guest's
 * own grid; and each kind of bad input, named by line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/csvio.h"
#include "common/log.h"
#include "experiments/guestcsv.h"

#define MS 1000000LL

static struct spec two_vcpus(void)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.duration_ns = 1000 * MS;
	s.sample_interval_ns = 10 * MS;
	s.vcpus = 2;
	s.workload = SPEC_WORKLOAD_SCHED;
	s.tasks = 3;                   /* tasks 0 and 2 on vCPU 0, task 1 on vCPU 1 */
	s.unit_work_ns = MS;
	return s;
}

static void parse(const char *text, struct csv_table *t)
{
	assert_int_equal(csv_table_parse(text, strlen(text), t), 0);
}

static void test_guestcsv_progress_sorted_per_vcpu(void **state)
{
	static const char text[] =
		"vcpu,proc,unit,t_ns,progress_pct\n"
		"0,0,0,3000000,1\n"
		"0,0,1,7000000,2\n"
		"1,1,0,2500000,1\n"
		"0,2,0,1000000,1\n"
		"0,2,1,5000000,2\n";
	struct stampbuf b[SPEC_MAX_VCPUS];
	struct spec s = two_vcpus();
	struct csv_table t;

	(void)state;
	parse(text, &t);
	assert_int_equal(guestcsv_progress(&t, &s, b), 0);
	assert_int_equal(b[0].n, 4);
	assert_int_equal(b[0].dropped, 0);
	assert_true(b[0].v[0].t_ns == 1000000 && b[0].v[0].task == 2 && b[0].v[0].unit == 0);
	assert_true(b[0].v[1].t_ns == 3000000 && b[0].v[1].task == 0 && b[0].v[1].unit == 0);
	assert_true(b[0].v[2].t_ns == 5000000 && b[0].v[2].task == 2 && b[0].v[2].unit == 1);
	assert_true(b[0].v[3].t_ns == 7000000 && b[0].v[3].task == 0 && b[0].v[3].unit == 1);
	assert_int_equal(b[1].n, 1);
	assert_true(b[1].v[0].t_ns == 2500000 && b[1].v[0].task == 1);
	stampbuf_free(&b[0]);
	stampbuf_free(&b[1]);
	csv_table_free(&t);
}

static void test_guestcsv_progress_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "vcpu,proc,unit,t_ns\n2,1,0,5\n", "guest progress.csv: line 2: vcpu 2: the guest has 2" },
		{ "vcpu,proc,unit,t_ns\n1,3,0,5\n", "guest progress.csv: line 2: proc 3: the run has 3 tasks" },
		{ "vcpu,proc,unit,t_ns\n1,2,0,5\n",
		  "guest progress.csv: line 2: proc 2 on vcpu 1: task j runs on vCPU j % 2" },
		{ "vcpu,proc,unit,t_ns\n0,0,-1,5\n", "guest progress.csv: line 2: unit -1 out of range" },
		{ "vcpu,proc,t_ns\n0,0,5\n", "guest progress.csv: no column 'unit'" },
		{ "vcpu,proc,unit,t_ns\n0,0,0,5ms\n", "line 2, column t_ns: invalid integer '5ms'" },
	};
	struct stampbuf b[SPEC_MAX_VCPUS];
	struct spec s = two_vcpus();
	struct csv_table t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(cases[i].text, &t);
		log_set_quiet(1);
		assert_int_equal(guestcsv_progress(&t, &s, b), -EINVAL);
		log_set_quiet(0);
		if (!strstr(log_last_error(), cases[i].msg))
			fail_msg("case %zu: '%s' does not say '%s'", i, log_last_error(), cases[i].msg);
		assert_null(b[0].v);
		assert_int_equal(b[0].n, 0);
		csv_table_free(&t);
	}
}

/* cpu-sampler's header, with made-up counters: user nice system idle iowait irq softirq steal. */
#define CPU_HEADER "seq,t_ns,cpu,user_ticks,nice_ticks,system_ticks,idle_ticks,iowait_ticks," \
		   "irq_ticks,softirq_ticks,steal_ticks,guest_ticks,guest_nice_ticks,usr_pct\n"

static void test_guestcsv_cpu(void **state)
{
	static const char text[] = CPU_HEADER
		"1,-990000000,-1,9,0,9,9,0,0,0,0,0,0,1\n"
		"1,-990000000,0,1,2,3,4,5,6,7,8,0,0,1\n"
		"1,-990000000,1,10,0,30,40,0,0,0,0,0,0,1\n"
		"3,-970000000,1,11,0,30,41,0,0,0,1,0,0,1\n";
	struct run_samples sm;
	struct run_guest_ticks gt;
	struct csv_table t;

	(void)state;
	memset(&sm, 0, sizeof(sm));
	sm.nvcpus = 2;
	parse(text, &t);
	assert_int_equal(guestcsv_cpu(&t, &sm), 0);
	assert_int_equal(sm.gn, 2);
	assert_true(sm.g_seq[0] == 1 && sm.g_seq[1] == 3);
	assert_true(sm.g_t_ns[0] == -990000000 && sm.g_t_ns[1] == -970000000);
	assert_int_equal(rundata_guest_ticks(&sm, 0, 0, &gt), 0);
	/* user+nice, system+irq+softirq, idle+iowait, steal */
	assert_true(gt.user == 3 && gt.system == 16 && gt.idle == 9 && gt.steal == 8);
	assert_int_equal(rundata_guest_ticks(&sm, 0, 1, &gt), 0);
	assert_true(gt.user == 10 && gt.system == 30 && gt.idle == 40 && gt.steal == 0);
	/* vCPU 0 is missing at seq 3 (a skipped deadline of its own) */
	assert_int_equal(rundata_guest_ticks(&sm, 1, 0, &gt), -ENOENT);
	assert_int_equal(rundata_guest_ticks(&sm, 1, 1, &gt), 0);
	assert_true(gt.user == 11 && gt.steal == 1);
	assert_int_equal(rundata_guest_ticks(&sm, 2, 1, &gt), -ENOENT);
	csv_table_free(&t);
	rundata_free(&sm);
}

static void test_guestcsv_cpu_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ CPU_HEADER "1,0,2,1,1,1,1,1,1,1,1,1,1,1\n",
		  "guest cpu.csv: line 2: cpu 2: the guest has 2 vCPUs" },
		{ CPU_HEADER "2,0,0,1,1,1,1,1,1,1,1,1,1,1\n1,0,0,1,1,1,1,1,1,1,1,1,1,1\n",
		  "guest cpu.csv: line 3: seq 1 after 2 (rows must come in time order)" },
		{ CPU_HEADER "1,0,0,1,1,1,1,1,1,1,1,1,1,1\n1,0,0,1,1,1,1,1,1,1,1,1,1,1\n",
		  "guest cpu.csv: line 3: cpu 0 twice at seq 1" },
		{ CPU_HEADER "1,0,0,1,1,1,-1,1,1,1,1,1,1,1\n",
		  "guest cpu.csv: line 2: negative idle_ticks" },
		{ "seq,t_ns,cpu,user_ticks\n1,0,0,1\n", "guest cpu.csv: no column 'nice_ticks'" },
	};
	struct run_samples sm;
	struct csv_table t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&sm, 0, sizeof(sm));
		sm.nvcpus = 2;
		parse(cases[i].text, &t);
		log_set_quiet(1);
		assert_int_equal(guestcsv_cpu(&t, &sm), -EINVAL);
		log_set_quiet(0);
		if (strcmp(log_last_error(), cases[i].msg))
			fail_msg("case %zu: '%s', want '%s'", i, log_last_error(), cases[i].msg);
		assert_int_equal(sm.gn, 0);
		csv_table_free(&t);
		rundata_free(&sm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guestcsv_progress_sorted_per_vcpu),
		cmocka_unit_test(test_guestcsv_progress_errors),
		cmocka_unit_test(test_guestcsv_cpu),
		cmocka_unit_test(test_guestcsv_cpu_errors),
	};

	log_init("test_guestcsv");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
