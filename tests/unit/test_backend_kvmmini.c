/*
 * Unit tests for the kvm-mini backend's pure parts: a spec into kvm-mini's
 * arguments (exactly, and accepted by kvm-mini's own parser with the same
 * values), kvm-mini's results directory read back into the runner's arrays
 * (the t0 sample, the steal clock before and after the guest started, the
 * guest ticks, /proc/stat by seq, the stamps and what kvm-mini lost), the
 * errors of a bad file named by line, and the nested route's checks and
 * argument vector on a fake build tree and a fake QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cli.h"
#include "common/cpucsv.h"
#include "common/log.h"
#include "experiments/backend-kvmmini.h"
#include "kvm-mini/options.h"
#include "tests/support/files.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void assert_args(const struct kvmmini_args *a, const char *const *want)
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
	struct kvmmini_args a;
	struct spec_set set;

	(void)state;
	parse_spec(classic, &set);
	assert_int_equal(kvmmini_args(&set.base, &a), 0);
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
	struct kvmmini_args a;
	struct spec_set set;

	(void)state;
	parse_spec(text, &set);
	assert_int_equal(kvmmini_args(&set.base, &a), 0);
	assert_args(&a, want);
	/* unpinned, and one CPU per vCPU in the order written */
	set.base.pins[0] = set.base.pins[1] = SPEC_PIN_ANY;
	assert_int_equal(kvmmini_args(&set.base, &a), 0);
	assert_string_equal(a.argv[3], "any");
	set.base.pins[0] = 1;
	set.base.pins[1] = 0;
	assert_int_equal(kvmmini_args(&set.base, &a), 0);
	assert_string_equal(a.argv[3], "1,0");
	spec_free(&set);
}

/* A window shorter than kvm-mini's 1 ms minimum is refused, naming the section. */
static void test_backend_kvmmini_args_short_window(void **state)
{
	struct kvmmini_args a;
	struct spec_set set;

	(void)state;
	parse_spec(classic, &set);
	set.base.contention[0].end_ns = set.base.contention[0].start_ns + 999999;
	log_set_quiet(1);
	assert_int_equal(kvmmini_args(&set.base, &a), -EINVAL);
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
	char *argv[KVMMINI_MAX_ARGS + 2];
	struct kvmmini_args a;
	struct spec_set set;
	struct kmini_opts o;
	int i;

	(void)state;
	parse_spec(text, &set);
	assert_int_equal(kvmmini_args(&set.base, &a), 0);
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

/* ---- reading kvm-mini's files ------------------------------------------------ */

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

static struct spec two_on_cpu0(void)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.duration_ns = 30 * MS;
	s.sample_interval_ns = 10 * MS;
	s.vcpus = 2;
	s.pins[0] = s.pins[1] = 0;
	s.workload = SPEC_WORKLOAD_SCHED;
	s.tasks = 3;                   /* tasks 0 and 2 on vCPU 0, task 1 on vCPU 1 */
	s.unit_work_ns = MS;
	s.slice_ns = 4 * MS;
	s.n_contention = 1;
	s.contention[0].cpu = 0;
	s.contention[0].end_ns = 30 * MS;
	return s;
}

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
	return support_mkdtemp(dir, sizeof(dir), "kvmmini");
}

static int teardown_dir(void **state)
{
	(void)state;
	return support_rmtree(dir);
}

static void test_backend_kvmmini_read(void **state)
{
	struct spec s = two_on_cpu0();
	struct kvmmini_facts f;
	struct run_rep rep;
	const struct run_samples *sm = &rep.samples;

	(void)state;
	write_fixture(meta_ok);
	assert_int_equal(kvmmini_read(dir, &s, 1, &rep, &f), 0);
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
	assert_int_equal(kvmmini_read(dir, &s, 0, &rep, &f), 0);
	assert_int_equal(rep.tids[0], 0);
	assert_true(rep.measured);
	assert_false(rep.completed);
	assert_true(isnan(f.ns_per_loop));
	assert_int_equal(f.startup_ns, -1);
	rundata_rep_free(&rep);

	/* a run stopped early reaches not the end */
	s.duration_ns = 40 * MS;
	write_fixture(meta_ok);
	assert_int_equal(kvmmini_read(dir, &s, 1, &rep, &f), 0);
	assert_false(rep.completed);
	rundata_rep_free(&rep);
}

static void test_backend_kvmmini_read_errors(void **state)
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
	struct spec s = two_on_cpu0();
	struct kvmmini_facts f;
	struct run_rep rep;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		write_fixture(meta_ok);
		put(cases[i].file, cases[i].text);
		log_set_quiet(1);
		assert_int_equal(kvmmini_read(dir, &s, 1, &rep, &f), -EINVAL);
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
	assert_int_equal(kvmmini_read(dir, &s, 1, &rep, &f), -EINVAL);
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
	assert_int_equal(kvmmini_read(dir, &s, 1, &rep, &f), -ENOENT);
	log_set_quiet(0);
	assert_int_equal(rep.samples.n, 0);
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
		cmocka_unit_test_setup_teardown(test_backend_kvmmini_read, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_backend_kvmmini_read_errors, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_backend_kvmmini_nested_available, setup_dir,
						teardown_dir),
		cmocka_unit_test(test_backend_kvmmini_nested_argv),
		cmocka_unit_test(test_backend_kvmmini_route_names),
	};

	log_init("test_backend_kvmmini");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
