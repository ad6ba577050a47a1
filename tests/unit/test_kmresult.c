/*
 * Unit tests for kmresult, the reader of kvm-mini's results directory:
 * the files read back into the runner's arrays (the t0 sample, the steal
 * clock before and after the guest started, the guest ticks, /proc/stat
 * by seq, the stamps and what kvm-mini lost), the facts of meta.json, and
 * the errors of a bad or missing file named by path and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cpucsv.h"
#include "common/log.h"
#include "experiments/kmresult.h"
#include "tests/support/files.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000LL

static char dir[PATH_MAX];

static void put(const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A cpu.csv row: seq, t, cpu, user ticks, system ticks; the rest 0, no percentages. */
static void cpu_row(char *buf, size_t len, int seq, long long t, int cpu, int user, int sys)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%d,%lld,%d,%d,0,%d,100,0,0,0,0,0,0,,,,,,,,,,,0\n", seq, t, cpu,
		 user, sys);
}

static const char vcpu_csv[] =
	"t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,tick_user,tick_system,"
	"tick_idle,tick_steal\n"
	"10000000,0,0,,9000000,100000,0,0,0,0\n"
	"10000000,1,0,,8000000,200000,0,0,0,0\n"
	"20000000,0,0,300000,18000000,300000,1,0,0,0\n"
	"20000000,1,0,,16000000,400000,1,0,0,0\n"
	"30000000,0,0,,27000000,500000,2,1,0,1\n"
	"30000000,1,0,600000,24000000,600000,2,0,1,0\n";

static const char progress_csv[] =
	"t_ns,vcpu,task,unit,progress_pct\n"
	"2000000,0,0,0,1\n"
	"3000000,1,1,0,1\n"
	"4000000,0,2,0,1\n"
	"5000000,0,0,1,2\n";

static const char meta_ok[] =
	"{\"tool\": \"kvm-mini\", \"status\": \"ok\", \"kvm\": {\"module\": \"kvm_amd\"},"
	" \"startup_ns\": 123456, \"wall_ns\": 30000000, \"vcpus\": ["
	"{\"vcpu\": 0, \"tid\": 4242, \"loops_per_unit\": 1000, \"ns_per_loop\": 1.5,"
	" \"dropped_guest\": 2, \"dropped_host\": 1, \"overwritten\": 0, \"rejected\": 0},"
	"{\"vcpu\": 1, \"tid\": 4243, \"loops_per_unit\": 900, \"dropped_guest\": 0,"
	" \"dropped_host\": 0, \"overwritten\": 3, \"rejected\": 0}]}\n";

/* Two vCPUs on CPU 0 with a hog there for the whole 30 ms run. */
static const struct spec two_on_cpu0 = {
	.duration_ns = 30 * MS,
	.sample_interval_ns = 10 * MS,
	.vcpus = 2,
	.pins = { 0, 0 },
	.workload = SPEC_WORKLOAD_SCHED,
	.tasks = 3,                    /* tasks 0 and 2 on vCPU 0, task 1 on vCPU 1 */
	.unit_work_ns = MS,
	.slice_ns = 4 * MS,
	.n_contention = 1,
	.contention = { { .cpu = 0, .end_ns = 30 * MS } },
};

static void write_fixture(const char *meta)
{
	char cpu[4096];
	int i;

	cpu[0] = '\0';
	for (i = 0; i < CPUCSV_NCOLS; i++)
		snprintf(cpu + strlen(cpu), sizeof(cpu) - strlen(cpu), "%s%s", i ? "," : "",
			 cpucsv_col_name(i));
	snprintf(cpu + strlen(cpu), sizeof(cpu) - strlen(cpu), "\n");
	cpu_row(cpu, sizeof(cpu), 0, 0, 0, 10, 5);
	cpu_row(cpu, sizeof(cpu), 1, 10000000, 0, 11, 5);
	cpu_row(cpu, sizeof(cpu), 1, 10000000, 1, 50, 50);   /* not involved: left out */
	cpu_row(cpu, sizeof(cpu), 3, 30000000, 0, 13, 6);    /* seq 2 missing */
	put("vcpu.csv", vcpu_csv);
	put("cpu.csv", cpu);
	put("progress.csv", progress_csv);
	put("meta.json", meta);
}

static int setup_dir(void **state)
{
	(void)state;
	return support_mkdtemp(dir, sizeof(dir), "kmresult");
}

static int teardown_dir(void **state)
{
	(void)state;
	return support_rmtree(dir);
}

static void test_kmresult_read(void **state)
{
	struct spec s = two_on_cpu0;
	struct kmresult_facts f;
	struct run_rep rep;
	const struct run_samples *sm = &rep.samples;

	(void)state;
	write_fixture(meta_ok);
	assert_int_equal(kmresult_read(dir, &s, 1, &rep, &f), 0);
	assert_true(rep.measured);
	assert_true(rep.completed);
	/* sample 0 at t0 with every counter 0, then kvm-mini's three */
	assert_int_equal(sm->n, 4);
	assert_int_equal(sm->t_ns[0], 0);
	assert_int_equal(sm->t_ns[1], 10 * MS);
	assert_int_equal(sm->t_ns[3], 30 * MS);
	assert_int_equal(sm->seq[3], 3);
	assert_true(sm->sched_ok[0] && sm->sched[0].delay_ns == 0 && sm->sched[1].run_ns == 0);
	assert_int_equal(sm->sched[2 * 2 + 1].run_ns, 16000000);
	assert_int_equal(sm->sched[3 * 2 + 0].delay_ns, 500000);
	assert_int_equal(sm->read_errors, 0);
	/* the steal clock: 0 until a vCPU's first reading, missing when absent later */
	assert_non_null(sm->g_steal_ns);
	assert_true(sm->g_steal_ok[1 * 2 + 0] && sm->g_steal_ns[1 * 2 + 0] == 0);
	assert_true(sm->g_steal_ok[2 * 2 + 0] && sm->g_steal_ns[2 * 2 + 0] == 300000);
	assert_false(sm->g_steal_ok[3 * 2 + 0]);
	assert_true(sm->g_steal_ok[2 * 2 + 1] && sm->g_steal_ns[2 * 2 + 1] == 0);
	assert_true(sm->g_steal_ok[3 * 2 + 1] && sm->g_steal_ns[3 * 2 + 1] == 600000);
	/* the guest's ticks on the same grid, its steal ticks real */
	assert_int_equal(sm->gn, 4);
	assert_int_equal(sm->g_t_ns[2], 20 * MS);
	assert_true(sm->guest_steal_ticks);
	{
		struct run_guest_ticks gt;

		assert_int_equal(rundata_guest_ticks(sm, 3, 0, &gt), 0);
		assert_true(gt.user == 2 && gt.system == 1 && gt.idle == 0 && gt.steal == 1);
		assert_int_equal(rundata_guest_ticks(sm, 0, 1, &gt), 0);
		assert_true(gt.user == 0 && gt.steal == 0);
	}
	/* /proc/stat of CPU 0 only (the one involved), by seq; seq 2 is missing */
	assert_int_equal(sm->ncpus, 1);
	assert_int_equal(sm->cpus[0], 0);
	assert_true(sm->cpu_ok[0] && sm->cpu[0].ticks[PS_USER] == 10);
	assert_true(sm->cpu_ok[1] && sm->cpu[1].ticks[PS_USER] == 11);
	assert_false(sm->cpu_ok[2]);
	assert_true(sm->cpu_ok[3] && sm->cpu[3].ticks[PS_SYSTEM] == 6);
	/* stamps per vCPU, and the records kvm-mini lost */
	assert_int_equal(rep.stamps[0].n, 3);
	assert_int_equal(rep.stamps[0].v[1].task, 2);
	assert_int_equal(rep.stamps[0].v[2].unit, 1);
	assert_int_equal(rep.stamps[1].n, 1);
	assert_int_equal(rep.stamps[0].dropped, 3);
	assert_int_equal(rep.stamps[1].dropped, 3);
	/* facts, and the tids as this host's */
	assert_string_equal(f.status, "ok");
	assert_string_equal(f.kvm_module, "kvm_amd");
	assert_int_equal(f.startup_ns, 123456);
	assert_int_equal(f.loops_per_unit, 1000);
	assert_true(f.ns_per_loop == 1.5);
	assert_int_equal(rep.tids[0], 4242);
	assert_int_equal(rep.tids[1], 4243);
	rundata_rep_free(&rep);

	/* a nested run's tids are not this host's; a failed run is not complete */
	write_fixture("{\"status\": \"guest exception on vCPU 0: #PF\", \"vcpus\": []}\n");
	assert_int_equal(kmresult_read(dir, &s, 0, &rep, &f), 0);
	assert_int_equal(rep.tids[0], 0);
	assert_true(rep.measured);
	assert_false(rep.completed);
	assert_true(isnan(f.ns_per_loop));
	assert_int_equal(f.startup_ns, -1);
	rundata_rep_free(&rep);

	/* a run stopped early reaches not the end */
	s.duration_ns = 40 * MS;
	write_fixture(meta_ok);
	assert_int_equal(kmresult_read(dir, &s, 1, &rep, &f), 0);
	assert_false(rep.completed);
	rundata_rep_free(&rep);
}

static void test_kmresult_read_errors(void **state)
{
	static const struct {
		const char *file, *text, *msg;
	} cases[] = {
		{ "vcpu.csv", "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,tick_user,"
			      "tick_system,tick_idle,tick_steal\n10,2,0,,1,1,0,0,0,0\n",
		  "vcpu.csv: line 2: vcpu 2: the run has 2" },
		{ "vcpu.csv", "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,tick_user,"
			      "tick_system,tick_idle,tick_steal\n20,0,0,,1,1,0,0,0,0\n"
			      "10,1,0,,1,1,0,0,0,0\n",
		  "vcpu.csv: line 3: t_ns 10 after 20 (rows must come in time order)" },
		{ "vcpu.csv", "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,tick_user,"
			      "tick_system,tick_idle,tick_steal\n10,0,0,,1,1,0,0,0,0\n"
			      "10,0,0,,1,1,0,0,0,0\n",
		  "vcpu.csv: line 3: vcpu 0 twice at t_ns 10" },
		{ "vcpu.csv", "t_ns,vcpu,pcpu,host_run_ns,host_delay_ns\n10,0,0,1,1\n",
		  "vcpu.csv: no column 'guest_steal_ns'" },
		{ "vcpu.csv", "t_ns,vcpu,pcpu,guest_steal_ns,host_run_ns,host_delay_ns,tick_user,"
			      "tick_system,tick_idle,tick_steal\n10,0,0,-5,1,1,0,0,0,0\n",
		  "vcpu.csv: line 2: negative guest_steal_ns" },
		{ "progress.csv", "t_ns,vcpu,task,unit,progress_pct\n5,1,0,0,1\n",
		  "progress.csv: line 2: proc 0 on vcpu 1: task j runs on vCPU j % 2" },
		{ "cpu.csv", "seq,t_ns,cpu\n0,0,0\n", "cpu.csv: no column 'user_ticks'" },
	};
	struct spec s = two_on_cpu0;
	struct kmresult_facts f;
	struct run_rep rep;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		write_fixture(meta_ok);
		put(cases[i].file, cases[i].text);
		log_set_quiet(1);
		assert_int_equal(kmresult_read(dir, &s, 1, &rep, &f), -EINVAL);
		log_set_quiet(0);
		got = log_last_error();
		/* messages name the file by its path in the temporary directory */
		if (strncmp(got, dir, strlen(dir)) || strcmp(got + strlen(dir) + 1, cases[i].msg))
			fail_msg("case %zu: '%s', want '%s/%s'", i, got, dir, cases[i].msg);
		assert_int_equal(rep.samples.n, 0);
		assert_int_equal(rep.stamps[0].n, 0);
	}
	/* a cpu.csv seq that is no sample of vcpu.csv */
	write_fixture(meta_ok);
	{
		char cpu[2048] = "";
		int k;

		for (k = 0; k < CPUCSV_NCOLS; k++)
			snprintf(cpu + strlen(cpu), sizeof(cpu) - strlen(cpu), "%s%s", k ? "," : "",
				 cpucsv_col_name(k));
		snprintf(cpu + strlen(cpu), sizeof(cpu) - strlen(cpu), "\n");
		cpu_row(cpu, sizeof(cpu), 2, 25000000, 0, 1, 1);
		put("cpu.csv", cpu);
	}
	log_set_quiet(1);
	assert_int_equal(kmresult_read(dir, &s, 1, &rep, &f), -EINVAL);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "cpu.csv: line 2: seq 2 at t_ns 25000000 is no "
				"sample of vcpu.csv"));
	/* a file that is not there */
	write_fixture(meta_ok);
	{
		char path[PATH_MAX + 16];

		snprintf(path, sizeof(path), "%s/progress.csv", dir);
		unlink(path);
	}
	log_set_quiet(1);
	assert_int_equal(kmresult_read(dir, &s, 1, &rep, &f), -ENOENT);
	log_set_quiet(0);
	assert_int_equal(rep.samples.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kmresult_read, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_kmresult_read_errors, setup_dir, teardown_dir),
	};

	log_init("test_kmresult");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
