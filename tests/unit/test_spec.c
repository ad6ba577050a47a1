/*
 * test_spec: unit tests for experiments/spec.c and policy.c.
 *
 * The two shipped specs (experiments/sched-virt.ini and pinning.ini) are
 * loaded from the source tree and checked value by value, so editing them
 * means editing this test too. Defaults and validation errors use fixtures
 * under TEST_FIXTURES/specs/ and small buffers named "t.ini"; every error
 * asserts the return code and the exact "file:line: ..." message. Nothing
 * here depends on the machine (specs are not checked against online CPUs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "experiments/spec.h"

#define SPECS_DIR TEST_FIXTURES "/specs"
#define SHIPPED_DIR TEST_FIXTURES "/../../experiments"

#define MS 1000000LL
#define SEC 1000000000LL

/* The smallest valid [experiment], three lines: what follows is line 4. */
#define BASE "[experiment]\nname = t\ndescription = d\n"

static int parse_str(const char *text, struct spec_set *out)
{
	return spec_parse(text, strlen(text), "t.ini", out);
}

#define SPEC_BAD(text, rc, msg) do {                                            \
	struct spec_set set_;                                                   \
	assert_int_equal(parse_str((text), &set_), (rc));                       \
	assert_string_equal(log_last_error(), (msg));                           \
	assert_null(set_.filename);                                             \
	assert_null(set_.policies);                                             \
	spec_free(&set_);                                                       \
} while (0)

/* A fixture file that must fail with "<path>:<msg>". */
static void fixture_bad(const char *name, int rc, const char *msg)
{
	char path[PATH_MAX], want[PATH_MAX + 256];
	struct spec_set set;

	snprintf(path, sizeof(path), "%s/%s", SPECS_DIR, name);
	snprintf(want, sizeof(want), "%s:%s", path, msg);
	assert_int_equal(spec_load(path, &set), rc);
	assert_string_equal(log_last_error(), want);
	assert_null(set.filename);
	spec_free(&set);
}

static int quiet_setup(void **state)
{
	(void)state;
	log_set_quiet(1);
	return 0;
}

static void assert_phase(const struct spec_phase *p, const char *name, int64_t start_ns,
			 int64_t end_ns)
{
	assert_string_equal(p->name, name);
	assert_int_equal(p->start_ns, start_ns);
	assert_int_equal(p->end_ns, end_ns);
}

/* ---- the shipped specs ------------------------------------------------------ */

static void test_spec_sched_virt_resolves(void **state)
{
	const struct spec *s;
	const struct spec_contention *c;
	struct spec_set set;

	(void)state;
	assert_int_equal(spec_load(SHIPPED_DIR "/sched-virt.ini", &set), 0);
	assert_int_equal(set.n_policies, 0);
	assert_null(set.policies);
	s = &set.base;
	assert_string_equal(s->name, "sched-virt");
	assert_true(strlen(s->description) > 0);
	assert_int_equal(s->backend, SPEC_BACKEND_KVM_MINI);
	assert_int_equal(s->duration_ns, 3000000000LL);
	assert_int_equal(s->repeat, 1);
	assert_int_equal(s->sample_interval_ns, 10 * MS);
	assert_int_equal(s->vcpus, 1);
	assert_int_equal(s->pins[0], 0);
	assert_int_equal(s->slice_ns, 4 * MS);
	assert_true(s->quota_pct == 0);
	assert_int_equal(s->workload, SPEC_WORKLOAD_SCHED);
	assert_int_equal(s->tasks, 2);
	assert_int_equal(s->units, 0);
	assert_int_equal(s->unit_work_ns, 1 * MS);
	assert_int_equal(s->requires, 0);

	assert_int_equal(s->n_contention, 1);
	c = &s->contention[0];
	assert_string_equal(c->name, "hog");
	assert_int_equal(c->cpu, 0);
	assert_int_equal(c->start_ns, 1 * SEC);
	assert_int_equal(c->end_ns, 2 * SEC);
	assert_int_equal(c->until_end, 0);
	assert_int_equal(c->nice, 0);
	assert_true(c->duty_pct == 100);
	assert_int_equal(c->period_ns, 100 * MS);
	spec_free(&set);
}

static void test_spec_sched_virt_phases(void **state)
{
	struct spec_phase ph[SPEC_MAX_PHASES];
	struct spec_set set;

	(void)state;
	assert_int_equal(spec_load(SHIPPED_DIR "/sched-virt.ini", &set), 0);
	assert_int_equal(spec_phases(&set.base, ph), 3);
	assert_phase(&ph[0], "baseline", 0, 1 * SEC);
	assert_phase(&ph[1], "contended", 1 * SEC, 2 * SEC);
	assert_phase(&ph[2], "recovery", 2 * SEC, 3 * SEC);
	spec_free(&set);
}

static void test_spec_pinning_policies(void **state)
{
	static const char *const names[] = {
		"dedicated", "shared", "floating", "overcommit", "shared-niced", "quota",
	};
	const struct spec_policy *p;
	struct spec_phase ph[SPEC_MAX_PHASES];
	struct spec_set set;
	size_t i;

	(void)state;
	assert_int_equal(spec_load(SHIPPED_DIR "/pinning.ini", &set), 0);
	assert_string_equal(set.base.name, "pinning");
	assert_int_equal(set.n_policies, 6);
	for (i = 0; i < 6; i++) {
		p = &set.policies[i];
		assert_string_equal(p->name, names[i]);
		assert_true(strlen(p->description) > 0);
		/* The guest load and the run are the same under every policy. */
		assert_string_equal(p->spec.name, "pinning");
		assert_int_equal(p->spec.duration_ns, 3 * SEC);
		assert_int_equal(p->spec.tasks, 2);
		assert_int_equal(p->spec.units, 0);
		assert_int_equal(p->spec.unit_work_ns, 1 * MS);
	}
	/* The hog runs the whole run. */
	assert_int_equal(set.base.contention[0].start_ns, 0);
	assert_int_equal(set.base.contention[0].end_ns, 3 * SEC);
	assert_int_equal(set.base.contention[0].until_end, 1);
	assert_int_equal(spec_phases(&set.base, ph), 1);
	assert_phase(&ph[0], "contended", 0, 3 * SEC);

	p = spec_policy_find(&set, "dedicated");
	assert_ptr_equal(p, &set.policies[0]);
	assert_int_equal(p->spec.vcpus, 1);
	assert_int_equal(p->spec.pins[0], 1);
	assert_int_equal(p->spec.n_contention, 1);
	assert_int_equal(p->spec.contention[0].cpu, 0);
	assert_int_equal(p->spec.contention[0].nice, 0);
	assert_int_equal(p->requires, 0);

	p = spec_policy_find(&set, "shared");
	assert_int_equal(p->spec.pins[0], 0);
	assert_int_equal(p->spec.n_contention, 1);
	assert_int_equal(p->spec.contention[0].cpu, 0);
	assert_int_equal(p->spec.workload, SPEC_WORKLOAD_SCHED);

	p = spec_policy_find(&set, "floating");
	assert_int_equal(p->spec.pins[0], SPEC_PIN_ANY);
	assert_int_equal(p->spec.n_contention, 1);

	p = spec_policy_find(&set, "overcommit");
	assert_int_equal(p->spec.vcpus, 2);
	assert_int_equal(p->spec.pins[0], 0);
	assert_int_equal(p->spec.pins[1], 0);
	assert_int_equal(p->spec.workload, SPEC_WORKLOAD_INF_LOOP);
	assert_int_equal(p->spec.n_contention, 0);
	assert_int_equal(spec_phases(&p->spec, ph), 1);
	assert_phase(&ph[0], "all", 0, 3 * SEC);

	p = spec_policy_find(&set, "shared-niced");
	assert_int_equal(p->spec.pins[0], 0);
	assert_int_equal(p->spec.n_contention, 1);
	assert_int_equal(p->spec.contention[0].nice, 19);
	assert_int_equal(p->spec.contention[0].cpu, 0);

	p = spec_policy_find(&set, "quota");
	assert_int_equal(p->spec.pins[0], 0);
	assert_true(p->spec.quota_pct == 50);
	assert_int_equal(p->spec.n_contention, 0);
	assert_int_equal(p->requires, SPEC_REQ_CGROUP_CPU_MAX);
	assert_string_equal(spec_requirement_name(p->requires), "cgroup-cpu-max");

	/* The base is untouched by the policies. */
	assert_int_equal(set.base.pins[0], 0);
	assert_int_equal(set.base.contention[0].nice, 0);
	assert_null(spec_policy_find(&set, "none-such"));
	spec_free(&set);
}

/* ---- defaults and resolution rules --------------------------------------- */

static void test_spec_defaults(void **state)
{
	const struct spec *s;
	struct spec_phase ph[SPEC_MAX_PHASES];
	struct spec_set set;

	(void)state;
	assert_int_equal(spec_load(SPECS_DIR "/minimal.ini", &set), 0);
	assert_string_equal(set.filename, SPECS_DIR "/minimal.ini");
	s = &set.base;
	assert_string_equal(s->name, "minimal");
	assert_string_equal(s->description, "defaults everywhere");
	assert_int_equal(s->backend, SPEC_BACKEND_KVM_MINI);
	assert_int_equal(s->duration_ns, 3 * SEC);
	assert_int_equal(s->repeat, 1);
	assert_int_equal(s->sample_interval_ns, 10 * MS);
	assert_int_equal(s->vcpus, 1);
	assert_int_equal(s->pins[0], 0);
	assert_int_equal(s->slice_ns, 4 * MS);
	assert_true(s->quota_pct == 0);
	assert_int_equal(s->workload, SPEC_WORKLOAD_SCHED);
	assert_int_equal(s->tasks, 2);
	assert_int_equal(s->units, 0);
	assert_int_equal(s->unit_work_ns, 1 * MS);
	assert_int_equal(s->n_contention, 0);
	assert_int_equal(s->requires, 0);
	assert_int_equal(set.n_policies, 0);
	assert_int_equal(spec_phases(s, ph), 1);
	assert_phase(&ph[0], "all", 0, 3 * SEC);
	spec_free(&set);
}

static void test_spec_contention_defaults(void **state)
{
	struct spec_set set;
	const struct spec_contention *c;

	(void)state;
	assert_int_equal(parse_str(BASE "[contention]\ncpu = 1\n", &set), 0);
	c = &set.base.contention[0];
	assert_string_equal(c->name, "");
	assert_int_equal(c->line, 4);
	assert_int_equal(c->cpu, 1);
	assert_int_equal(c->start_ns, 0);
	assert_int_equal(c->end_ns, 3 * SEC);
	assert_int_equal(c->until_end, 1);
	assert_int_equal(c->nice, 0);
	assert_true(c->duty_pct == 100);
	assert_int_equal(c->period_ns, 100 * MS);
	spec_free(&set);
}

static void test_spec_every_value_set(void **state)
{
	const char *text =
		"[experiment]\nname = all-set-2\ndescription = every key; none defaulted\n"
		"backend = libvirt\nduration = 1.5s\nrepeat = 100\nsample_interval = 1ms\n"
		"[vm]\nvcpus = 8\npin = any\nslice = 200us\nquota = 12.5%\nworkload = idle\n"
		"[workload]\ntasks = 64\nunits = 10000000\nunit_work = 1us\n"
		"[contention a]\ncpu = 1023\nstart = 500ms\nduration = 10s\nnice = -20\n"
		"duty = 25\nperiod = 10s\n";
	const struct spec *s;
	struct spec_set set;
	int i;

	(void)state;
	assert_int_equal(parse_str(text, &set), 0);
	s = &set.base;
	assert_string_equal(s->description, "every key; none defaulted");
	assert_int_equal(s->backend, SPEC_BACKEND_LIBVIRT);
	assert_int_equal(s->duration_ns, 1500 * MS);
	assert_int_equal(s->repeat, 100);
	assert_int_equal(s->sample_interval_ns, 1 * MS);
	assert_int_equal(s->vcpus, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(s->pins[i], SPEC_PIN_ANY);
	assert_int_equal(s->slice_ns, 200000);
	assert_true(s->quota_pct == 12.5);
	assert_int_equal(s->requires, SPEC_REQ_CGROUP_CPU_MAX);
	assert_int_equal(s->workload, SPEC_WORKLOAD_IDLE);
	assert_int_equal(s->tasks, 64);
	assert_int_equal(s->units, 10000000);
	assert_int_equal(s->unit_work_ns, 1000);
	assert_int_equal(s->contention[0].cpu, 1023);
	assert_int_equal(s->contention[0].nice, -20);
	assert_true(s->contention[0].duty_pct == 25);
	assert_int_equal(s->contention[0].period_ns, 10 * SEC);
	/* A window running past the end is cut at the end. */
	assert_int_equal(s->contention[0].start_ns, 500 * MS);
	assert_int_equal(s->contention[0].end_ns, 1500 * MS);
	assert_int_equal(s->contention[0].until_end, 0);
	assert_string_equal(spec_backend_name(s->backend), "libvirt");
	assert_string_equal(spec_workload_name(s->workload), "idle");
	spec_free(&set);
}

static void test_spec_pins(void **state)
{
	struct spec_set set;

	(void)state;
	/* One CPU: every vCPU goes there. */
	assert_int_equal(parse_str(BASE "[vm]\nvcpus = 3\npin = 1\n", &set), 0);
	assert_int_equal(set.base.pins[0], 1);
	assert_int_equal(set.base.pins[1], 1);
	assert_int_equal(set.base.pins[2], 1);
	spec_free(&set);
	/* One per vCPU, in the order written, ranges expanded, repeats kept. */
	assert_int_equal(parse_str(BASE "[vm]\nvcpus = 4\npin = 3,0-1,0\n", &set), 0);
	assert_int_equal(set.base.pins[0], 3);
	assert_int_equal(set.base.pins[1], 0);
	assert_int_equal(set.base.pins[2], 1);
	assert_int_equal(set.base.pins[3], 0);
	spec_free(&set);
	/* No pin: CPU 0 for all. */
	assert_int_equal(parse_str(BASE "[vm]\nvcpus = 2\n", &set), 0);
	assert_int_equal(set.base.pins[0], 0);
	assert_int_equal(set.base.pins[1], 0);
	spec_free(&set);
}

/* Where pin and each contention cpu were written, for the runner's online-CPU check. */
static void test_spec_cpu_origins(void **state)
{
	const char *text = BASE
		"[vm]\nvcpus = 2\npin = 2,3\n"          /* pin on line 6 */
		"[contention hog]\ncpu = 1\n"            /* cpu on line 8 */
		"[contention]\ncpu = 0\n"                /* cpu on line 10 */
		"[policy moved]\nvm.pin = 5\ncontention.cpu = 4\n"
		"[policy same]\ndescription = d\n";
	struct spec_set set;

	(void)state;
	assert_int_equal(parse_str(text, &set), 0);
	assert_int_equal(set.base.pin_origin.line, 6);
	assert_string_equal(set.base.pin_origin.key, "[vm] pin");
	assert_int_equal(set.base.contention[0].cpu_origin.line, 8);
	assert_string_equal(set.base.contention[0].cpu_origin.key, "[contention hog] cpu");
	assert_int_equal(set.base.contention[1].cpu_origin.line, 10);
	assert_string_equal(set.base.contention[1].cpu_origin.key, "[contention] cpu");
	/* a policy's override points at its own line */
	assert_int_equal(set.policies[0].spec.pin_origin.line, 12);
	assert_string_equal(set.policies[0].spec.pin_origin.key, "[policy moved] vm.pin");
	assert_int_equal(set.policies[0].spec.contention[1].cpu_origin.line, 13);
	assert_string_equal(set.policies[0].spec.contention[1].cpu_origin.key,
			    "[policy moved] contention.cpu");
	/* ...and one without overrides keeps the base's */
	assert_int_equal(set.policies[1].spec.pin_origin.line, 6);
	assert_string_equal(set.policies[1].spec.contention[0].cpu_origin.key,
			    "[contention hog] cpu");
	spec_free(&set);

	/* no pin written: the default, with no line */
	assert_int_equal(parse_str(BASE "[vm]\nvcpus = 2\n", &set), 0);
	assert_int_equal(set.base.pin_origin.line, 0);
	assert_string_equal(set.base.pin_origin.key, "[vm] pin");
	spec_free(&set);
}

static void test_spec_policy_overrides(void **state)
{
	const char *text = BASE
		"[vm]\nquota = 30\n"
		"[contention a]\ncpu = 0\n"
		"[contention b]\ncpu = 1\nstart = 1s\nduration = 500ms\n"
		"[policy p]\n"
		"contention.cpu = 1\ncontention.nice = 5\nvm.quota = none\n"
		"experiment.duration = 2s\nworkload.tasks = 4\n"
		"[policy q]\nrequires = cgroup-cpu-max\n";
	const struct spec_policy *p;
	struct spec_set set;

	(void)state;
	assert_int_equal(parse_str(text, &set), 0);
	assert_int_equal(set.n_policies, 2);
	p = &set.policies[0];
	assert_string_equal(p->description, "");
	assert_int_equal(p->line, 12);
	assert_int_equal(p->spec.n_contention, 2);
	/* contention.* reaches every contention section. */
	assert_int_equal(p->spec.contention[0].cpu, 1);
	assert_int_equal(p->spec.contention[1].cpu, 1);
	assert_int_equal(p->spec.contention[0].nice, 5);
	assert_int_equal(p->spec.contention[1].nice, 5);
	assert_int_equal(p->spec.contention[0].end_ns, 2 * SEC);
	assert_int_equal(p->spec.contention[1].end_ns, 1500 * MS);
	assert_true(p->spec.quota_pct == 0);
	assert_int_equal(p->requires, 0);
	assert_int_equal(p->spec.duration_ns, 2 * SEC);
	assert_int_equal(p->spec.tasks, 4);

	/* The base keeps its quota, which implies cgroup-cpu-max. */
	assert_true(set.base.quota_pct == 30);
	assert_int_equal(set.base.requires, SPEC_REQ_CGROUP_CPU_MAX);
	p = &set.policies[1];
	assert_int_equal(p->requires, SPEC_REQ_CGROUP_CPU_MAX);
	assert_int_equal(p->spec.contention[1].cpu, 1);
	assert_int_equal(p->spec.contention[0].cpu, 0);
	spec_free(&set);
}

/* Each policy starts from the base: nothing one policy sets leaks into the next. */
static void test_spec_policy_starts_from_base(void **state)
{
	static const char text[] = BASE
		"[vm]\nvcpus = 2\npin = 1\n"
		"[contention]\ncpu = 1\nnice = 3\n"
		"[policy a]\ndescription = alone\nvm.pin = any\nvm.quota = 40\ncontention = none\n"
		"[policy b]\ncontention.nice = -5\n"
		"[policy c]\n";
	struct spec_set set;
	const struct spec_policy *p;

	(void)state;
	assert_int_equal(spec_parse(text, sizeof(text) - 1, "t.ini", &set), 0);
	p = spec_policy_find(&set, "a");
	assert_ptr_equal(p, &set.policies[0]);
	assert_int_equal(set.n_policies, 3);
	assert_string_equal(p->description, "alone");
	assert_int_equal(p->spec.pins[0], SPEC_PIN_ANY);
	assert_int_equal(p->spec.pins[1], SPEC_PIN_ANY);
	assert_int_equal(p->spec.n_contention, 0);
	/* A quota implies cgroup-cpu-max even when the policy does not say so. */
	assert_true(p->spec.quota_pct == 40);
	assert_int_equal(p->requires, SPEC_REQ_CGROUP_CPU_MAX);

	p = spec_policy_find(&set, "b");
	assert_string_equal(p->description, "");
	assert_int_equal(p->spec.pins[0], 1);
	assert_int_equal(p->spec.pins[1], 1);
	assert_true(p->spec.quota_pct == 0);
	assert_int_equal(p->requires, 0);
	assert_int_equal(p->spec.n_contention, 1);
	assert_int_equal(p->spec.contention[0].nice, -5);

	/* An empty policy is the base, name and all. */
	p = spec_policy_find(&set, "c");
	assert_int_equal(p->line, 17);
	assert_string_equal(p->spec.name, "t");
	assert_int_equal(p->spec.vcpus, 2);
	assert_int_equal(p->spec.pins[1], 1);
	assert_int_equal(p->spec.n_contention, 1);
	assert_int_equal(p->spec.contention[0].nice, 3);
	assert_int_equal(set.base.contention[0].nice, 3);
	spec_free(&set);
}

static void test_spec_phases_shapes(void **state)
{
	struct spec_phase ph[SPEC_MAX_PHASES];
	struct spec_set set;

	(void)state;
	/* From 0 for a while: contended, then recovery. */
	assert_int_equal(parse_str(BASE "[contention]\ncpu = 0\nduration = 1s\n", &set), 0);
	assert_int_equal(spec_phases(&set.base, ph), 2);
	assert_phase(&ph[0], "contended", 0, 1 * SEC);
	assert_phase(&ph[1], "recovery", 1 * SEC, 3 * SEC);
	spec_free(&set);

	/* Late start to the end: baseline, then contended. */
	assert_int_equal(parse_str(BASE "[contention]\ncpu = 0\nstart = 2s\n", &set), 0);
	assert_int_equal(spec_phases(&set.base, ph), 2);
	assert_phase(&ph[0], "baseline", 0, 2 * SEC);
	assert_phase(&ph[1], "contended", 2 * SEC, 3 * SEC);
	spec_free(&set);

	/* Two windows: one contended span from the first start to the last end. */
	assert_int_equal(parse_str(BASE "[contention a]\ncpu = 0\nstart = 1500ms\nduration = 1s\n"
				   "[contention b]\ncpu = 1\nstart = 500ms\nduration = 100ms\n",
				   &set), 0);
	assert_int_equal(spec_phases(&set.base, ph), 3);
	assert_phase(&ph[0], "baseline", 0, 500 * MS);
	assert_phase(&ph[1], "contended", 500 * MS, 2500 * MS);
	assert_phase(&ph[2], "recovery", 2500 * MS, 3 * SEC);
	spec_free(&set);
}

/* ---- validation errors, fixture files ---------------------------------------- */

static void test_spec_error_unknown_section(void **state)
{
	(void)state;
	fixture_bad("unknown-section.ini", -EINVAL,
		    "5: unknown section [host] (known: experiment, vm, workload, contention, policy)");
}

static void test_spec_error_unknown_key(void **state)
{
	(void)state;
	fixture_bad("unknown-key.ini", -EINVAL,
		    "7: [vm] unknown key 'pinning' (known: vcpus, pin, slice, quota, workload)");
	SPEC_BAD(BASE "[contention]\ncpu = 0\ncpus = 1\n", -EINVAL,
		 "t.ini:6: [contention] unknown key 'cpus' (known: cpu, start, duration, nice, duty, period)");
}

static void test_spec_error_bad_duration_unit(void **state)
{
	(void)state;
	fixture_bad("bad-duration-unit.ini", -EINVAL,
		    "4: [experiment] duration: invalid duration '3sec': unknown unit 'sec' (use ns, us, ms, s)");
	SPEC_BAD(BASE "[vm]\nslice = 4\n", -EINVAL,
		 "t.ini:5: [vm] slice: invalid duration '4': missing unit (use ns, us, ms, s)");
}

static void test_spec_error_pin_list_mismatch(void **state)
{
	(void)state;
	fixture_bad("pin-mismatch.ini", -EINVAL,
		    "7: [vm] pin: '0-2' names 3 CPUs for 2 vCPUs (give one CPU for all, one CPU per vCPU, or 'any')");
	SPEC_BAD(BASE "[vm]\npin = 0,1\n", -EINVAL,
		 "t.ini:5: [vm] pin: '0,1' names 2 CPUs for 1 vCPU (give one CPU for all, one CPU per vCPU, or 'any')");
	SPEC_BAD(BASE "[vm]\npin = 0-\n", -EINVAL,
		 "t.ini:5: [vm] pin: invalid CPU list '0-': range has no end");
	/* The count comes from the policy, the list from the base. */
	SPEC_BAD(BASE "[vm]\npin = 0,1\nvcpus = 2\n[policy p]\nvm.vcpus = 3\n", -EINVAL,
		 "t.ini:5: [vm] pin: '0,1' names 2 CPUs for 3 vCPUs (give one CPU for all, one CPU per vCPU, or 'any') (policy 'p')");
}

static void test_spec_error_contention_after_end(void **state)
{
	(void)state;
	fixture_bad("contention-after-end.ini", -EINVAL,
		    "8: [contention late] start: 2.5s is not before the end of the run (duration 2s)");
	SPEC_BAD(BASE "[contention]\ncpu = 0\nstart = 3s\n", -EINVAL,
		 "t.ini:6: [contention] start: 3s is not before the end of the run (duration 3s)");
	/* A policy that shortens the run moves the end before the start. */
	SPEC_BAD(BASE "[contention]\ncpu = 0\nstart = 2s\n[policy short]\nexperiment.duration = 1s\n",
		 -EINVAL,
		 "t.ini:6: [contention] start: 2s is not before the end of the run (duration 1s) (policy 'short')");
}

static void test_spec_error_policy_unknown_key(void **state)
{
	(void)state;
	fixture_bad("policy-unknown-key.ini", -EINVAL,
		    "7: [policy dedicated] unknown key 'vm.pinning' (vm has vcpus, pin, slice, quota, workload)");
	SPEC_BAD(BASE "[contention]\ncpu = 0\n[policy p]\ncontention.cpus = 1\n", -EINVAL,
		 "t.ini:7: [policy p] unknown key 'contention.cpus' (contention has cpu, start, duration, nice, duty, period)");
	SPEC_BAD(BASE "[policy p]\nhost.cpu = 1\n", -EINVAL,
		 "t.ini:5: [policy p] unknown key 'host.cpu' (use description, requires, contention = none, or experiment.*, vm.*, workload.*, contention.* overrides)");
	SPEC_BAD(BASE "[policy p]\npin = 1\n", -EINVAL,
		 "t.ini:5: [policy p] unknown key 'pin' (use description, requires, contention = none, or experiment.*, vm.*, workload.*, contention.* overrides)");
}

/* ---- validation errors, buffers ---------------------------------------------- */

static void test_spec_error_experiment_section(void **state)
{
	(void)state;
	SPEC_BAD("[vm]\nvcpus = 1\n", -EINVAL,
		 "t.ini: missing [experiment] section (name and description are required)");
	SPEC_BAD("[experiment]\ndescription = d\n", -EINVAL,
		 "t.ini:1: [experiment] missing required key 'name'");
	SPEC_BAD("[experiment]\nname = t\n", -EINVAL,
		 "t.ini:1: [experiment] missing required key 'description'");
	SPEC_BAD("[experiment]\nname = Sched_Virt\ndescription = d\n", -EINVAL,
		 "t.ini:2: [experiment] name: invalid name 'Sched_Virt': use only a-z, 0-9 and '-'");
	SPEC_BAD("[experiment]\nname = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		 "description = d\n", -EINVAL,
		 "t.ini:2: [experiment] name: name 'aaaaaaaaaaaaaaaaaaaa...' is longer than 63 characters");
	SPEC_BAD(BASE "backend = qemu\n", -EINVAL,
		 "t.ini:4: [experiment] backend: unknown value 'qemu' (use kvm-mini, native, libvirt)");
	SPEC_BAD(BASE "duration = 50ms\n", -ERANGE,
		 "t.ini:4: [experiment] duration: '50ms' is out of range [100ms, 3600s]");
	SPEC_BAD(BASE "repeat = 0\n", -ERANGE,
		 "t.ini:4: [experiment] repeat: '0' is out of range [1, 100]");
	SPEC_BAD(BASE "duration = 1s\nsample_interval = 2s\n", -EINVAL,
		 "t.ini:5: [experiment] sample_interval: 2s is longer than the run (duration 1s)");
}

static void test_spec_error_values(void **state)
{
	(void)state;
	SPEC_BAD(BASE "[vm]\nvcpus = 9\n", -ERANGE, "t.ini:5: [vm] vcpus: '9' is out of range [1, 8]");
	SPEC_BAD(BASE "[vm]\nworkload = spin\n", -EINVAL,
		 "t.ini:5: [vm] workload: unknown value 'spin' (use sched, inf-loop, idle)");
	/* A quota is above 0: the range says so, for 0 and for too much alike. */
	SPEC_BAD(BASE "[vm]\nquota = 0\n", -ERANGE,
		 "t.ini:5: [vm] quota: '0' is out of range (0, 100] (or 'none' for no limit)");
	SPEC_BAD(BASE "[vm]\nquota = 150\n", -ERANGE,
		 "t.ini:5: [vm] quota: '150' is out of range (0, 100] (or 'none' for no limit)");
	SPEC_BAD(BASE "[workload]\ntasks = 65\n", -ERANGE,
		 "t.ini:5: [workload] tasks: '65' is out of range [1, 64]");
	SPEC_BAD(BASE "[workload]\nunits = 10000001\n", -ERANGE,
		 "t.ini:5: [workload] units: '10000001' is out of range [0, 10000000]");
	SPEC_BAD(BASE "[workload]\nunit_work = 2s\n", -ERANGE,
		 "t.ini:5: [workload] unit_work: '2s' is out of range [1us, 1s]");
	SPEC_BAD(BASE "[contention]\nstart = 1s\n", -EINVAL,
		 "t.ini:4: [contention] missing required key 'cpu'");
	SPEC_BAD(BASE "[contention]\ncpu = 0\nnice = 20\n", -ERANGE,
		 "t.ini:6: [contention] nice: '20' is out of range [-20, 19]");
	SPEC_BAD(BASE "[contention x]\ncpu = 0\nduty = 0\n", -ERANGE,
		 "t.ini:6: [contention x] duty: '0' is out of range (0, 100]");
	SPEC_BAD(BASE "[contention x]\ncpu = 0\nduty = 101\n", -ERANGE,
		 "t.ini:6: [contention x] duty: '101' is out of range (0, 100]");
	SPEC_BAD(BASE "[contention]\ncpu = 1024\n", -ERANGE,
		 "t.ini:5: [contention] cpu: '1024' is out of range [0, 1023]");
}

static void test_spec_error_sections(void **state)
{
	(void)state;
	SPEC_BAD(BASE "[vm]\n[vm]\n", -EINVAL, "t.ini:5: duplicate section [vm] (first on line 4)");
	SPEC_BAD(BASE "[experiment]\n", -EINVAL,
		 "t.ini:4: duplicate section [experiment] (first on line 1)");
	SPEC_BAD(BASE "[vm x]\n", -EINVAL, "t.ini:4: section [vm] takes no name (found [vm x])");
	SPEC_BAD(BASE "[policy]\n", -EINVAL, "t.ini:4: [policy] needs a name, e.g. [policy dedicated]");
	SPEC_BAD(BASE "[policy a]\n[policy a]\n", -EINVAL,
		 "t.ini:5: duplicate section [policy a] (first on line 4)");
	SPEC_BAD(BASE "[contention]\ncpu = 0\n[contention]\ncpu = 1\n", -EINVAL,
		 "t.ini:6: duplicate section [contention] (first on line 4)");
	SPEC_BAD(BASE "[policy Big]\n", -EINVAL,
		 "t.ini:4: [policy Big]: invalid name 'Big': use only a-z, 0-9 and '-'");
}

static void test_spec_error_policies(void **state)
{
	(void)state;
	SPEC_BAD(BASE "[contention]\ncpu = 0\n[policy p]\ncontention = none\ncontention.nice = 19\n",
		 -EINVAL,
		 "t.ini:8: [policy p] contention.nice: conflicts with 'contention = none' on line 7");
	SPEC_BAD(BASE "[policy p]\ncontention.nice = 19\n", -EINVAL,
		 "t.ini:5: [policy p] contention.nice: the spec has no [contention] section to override");
	SPEC_BAD(BASE "[policy p]\ncontention = all\n", -EINVAL,
		 "t.ini:5: [policy p] contention: unknown value 'all' (use none)");
	SPEC_BAD(BASE "[policy p]\nexperiment.name = other\n", -EINVAL,
		 "t.ini:5: [policy p] experiment.name cannot be overridden by a policy");
	SPEC_BAD(BASE "[policy p]\nrequires = cgroup-cpu-max,root\n", -EINVAL,
		 "t.ini:5: [policy p] requires: unknown requirement 'root' (known: cgroup-cpu-max)");
	SPEC_BAD(BASE "[policy p]\nvm.slice = 50us\n", -ERANGE,
		 "t.ini:5: [policy p] vm.slice: '50us' is out of range [200us, 100ms]");
	SPEC_BAD(BASE "[policy p]\nvm.pin = 0-\n", -EINVAL,
		 "t.ini:5: [policy p] vm.pin: invalid CPU list '0-': range has no end");
}

/* One more section than allowed: "[TYPE nN]\n" + @body, n = 0..max, after BASE. */
static void assert_too_many(const char *type, const char *body, int max, int line,
			    const char *msg)
{
	char text[4096], want[128];
	size_t used;
	int i;

	used = (size_t)snprintf(text, sizeof(text), "%s", BASE);
	for (i = 0; i <= max; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "[%s n%d]\n%s", type, i,
					 body);
	assert_true(used < sizeof(text));
	snprintf(want, sizeof(want), "t.ini:%d: %s", line, msg);
	SPEC_BAD(text, -EINVAL, want);
}

static void test_spec_error_policy_limits(void **state)
{
	char text[512];

	(void)state;
	/* The 65th [policy] header is on line 4 + 64. */
	assert_too_many("policy", "", SPEC_MAX_POLICIES, 4 + SPEC_MAX_POLICIES,
			"more than 64 [policy] sections");
	/* The 9th [contention] header is on line 4 + 2 * 8. */
	assert_too_many("contention", "cpu = 0\n", SPEC_MAX_CONTENTION,
			4 + 2 * SPEC_MAX_CONTENTION, "more than 8 [contention] sections");

	snprintf(text, sizeof(text), BASE "[policy p]\ndescription = %0256d\n", 0);
	SPEC_BAD(text, -EINVAL, "t.ini:5: [policy p] description: longer than 255 characters");
	SPEC_BAD(BASE "[policy p]\nexperiment.description = other\n", -EINVAL,
		 "t.ini:5: [policy p] experiment.description cannot be overridden by a policy");
	SPEC_BAD(BASE "[policy p]\nrequires = cgroup-cpu-max,\n", -EINVAL,
		 "t.ini:5: [policy p] requires: unknown requirement '' (known: cgroup-cpu-max)");
	SPEC_BAD(BASE "[policy p]\nexperimentexperimentexperiment12.duration = 1s\n", -EINVAL,
		 "t.ini:5: [policy p] unknown key 'experimentexperimentexperiment12.duration' (use description, requires, contention = none, or experiment.*, vm.*, workload.*, contention.* overrides)");
	/* The first bad policy stops the run; the good one before it is not kept. */
	SPEC_BAD(BASE "[policy ok]\nvm.vcpus = 2\n[policy bad]\nvm.vcpus = 0\n", -ERANGE,
		 "t.ini:7: [policy bad] vm.vcpus: '0' is out of range [1, 8]");
}

static void test_spec_error_ini_syntax_passes_through(void **state)
{
	(void)state;
	SPEC_BAD(BASE "[vm]\npin = 0\npin = 1\n", -EINVAL, "t.ini:6: duplicate key 'pin' in [vm]");
	SPEC_BAD("vcpus = 1\n", -EINVAL, "t.ini:1: key 'vcpus' outside any section");
}

static void test_spec_error_missing_file(void **state)
{
	struct spec_set set;

	(void)state;
	assert_int_equal(spec_load(SPECS_DIR "/missing.ini", &set), -ENOENT);
	assert_string_equal(log_last_error(),
			    "open " SPECS_DIR "/missing.ini: No such file or directory");
	assert_null(set.filename);
	spec_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_sched_virt_resolves),
		cmocka_unit_test(test_spec_sched_virt_phases),
		cmocka_unit_test(test_spec_pinning_policies),
		cmocka_unit_test(test_spec_defaults),
		cmocka_unit_test(test_spec_contention_defaults),
		cmocka_unit_test(test_spec_every_value_set),
		cmocka_unit_test(test_spec_pins),
		cmocka_unit_test(test_spec_cpu_origins),
		cmocka_unit_test(test_spec_policy_overrides),
		cmocka_unit_test(test_spec_policy_starts_from_base),
		cmocka_unit_test(test_spec_phases_shapes),
		cmocka_unit_test(test_spec_error_unknown_section),
		cmocka_unit_test(test_spec_error_unknown_key),
		cmocka_unit_test(test_spec_error_bad_duration_unit),
		cmocka_unit_test(test_spec_error_pin_list_mismatch),
		cmocka_unit_test(test_spec_error_contention_after_end),
		cmocka_unit_test(test_spec_error_policy_unknown_key),
		cmocka_unit_test(test_spec_error_experiment_section),
		cmocka_unit_test(test_spec_error_values),
		cmocka_unit_test(test_spec_error_sections),
		cmocka_unit_test(test_spec_error_policies),
		cmocka_unit_test(test_spec_error_policy_limits),
		cmocka_unit_test(test_spec_error_ini_syntax_passes_through),
		cmocka_unit_test(test_spec_error_missing_file),
	};

	return cmocka_run_group_tests(tests, quiet_setup, NULL);
}
