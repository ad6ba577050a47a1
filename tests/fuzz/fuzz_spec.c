/*
 * fuzz_spec: spec_parse() (ini_parse() + spec_resolve()) on arbitrary bytes.
 *
 * On success every resolved spec, the base and each policy's, must satisfy
 * the schema of experiments/spec.c as spec.h and experiments/README.md
 * state it: each value inside its range, enums known, the sample interval
 * within the run, pins valid for the vCPU count, contention windows inside
 * the run with unique names, `requires` matching the quota; spec_phases()
 * must tile [0, duration) with non-empty phases; policies must have valid,
 * unique names that spec_policy_find() finds; the origins of pin and of each
 * contention's cpu name a default or a section and key on a line of the
 * file. Parsing the same text twice must give the same bytes. On failure:
 * -EINVAL, -ERANGE (a value out of its range) or -ENOMEM with a message, and
 * @out left empty.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "experiments/spec.h"
#include "common/timeutil.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

/* A spec name: 1..SPEC_NAME_MAX-1 characters of [a-z0-9-]. */
static int is_spec_name(const char *s)
{
	size_t n = strnlen(s, SPEC_NAME_MAX);

	if (n == 0 || n >= SPEC_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

/* Lines in the text as ini_parse() counts them (a last line without '\n' counts). */
static int count_lines(const char *buf, size_t len)
{
	size_t i;
	int n = 0;

	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n + (len > 0 && buf[len - 1] != '\n');
}

#define IN_RANGE(v, lo, hi) ((v) >= (lo) && (v) <= (hi))

/*
 * Where a value was set: a default (line 0) is named @def_key; a written one
 * names its section and key, "[vm] pin" or "[policy fast] vm.pin", on a
 * line of the file.
 */
static void check_origin(const struct spec_origin *o, const char *def_key, int nlines)
{
	size_t n = strnlen(o->key, sizeof(o->key));

	FUZZ_CHECKF(n > 0 && n < sizeof(o->key), "origin key of %zu chars", n);
	FUZZ_CHECKF(IN_RANGE(o->line, 0, nlines), "origin '%s' on line %d of %d", o->key,
		    o->line, nlines);
	if (o->line == 0)
		FUZZ_CHECKF(!strcmp(o->key, def_key), "default origin '%s', not '%s'", o->key,
			    def_key);
	else
		FUZZ_CHECKF(o->key[0] == '[' && strchr(o->key, ']'), "origin '%s' on line %d",
			    o->key, o->line);
}

static void check_contention(const struct spec *s, int i, int nlines)
{
	const struct spec_contention *c = &s->contention[i];
	int j;

	FUZZ_CHECKF(c->name[0] == '\0' || is_spec_name(c->name), "contention %d name '%.64s'",
		    i, c->name);
	for (j = 0; j < i; j++)
		FUZZ_CHECKF(strcmp(s->contention[j].name, c->name),
			    "two [contention %s] sections", c->name);
	FUZZ_CHECKF(c->line > 0, "contention %d on line %d", i, c->line);
	FUZZ_CHECKF(IN_RANGE(c->cpu, 0, CPU_SETSIZE - 1), "contention cpu %d", c->cpu);
	check_origin(&c->cpu_origin, "cpu", nlines);
	FUZZ_CHECKF(c->start_ns >= 0 && c->start_ns < c->end_ns && c->end_ns <= s->duration_ns,
		    "contention window [%lld, %lld) in a run of %lld", (long long)c->start_ns,
		    (long long)c->end_ns, (long long)s->duration_ns);
	FUZZ_CHECK(c->until_end == 0 || c->until_end == 1);
	FUZZ_CHECK(!c->until_end || c->end_ns == s->duration_ns);
	FUZZ_CHECKF(IN_RANGE(c->nice, -20, 19), "nice %d", c->nice);
	FUZZ_CHECKF(c->duty_pct > 0 && c->duty_pct <= 100, "duty %g", c->duty_pct);
	FUZZ_CHECKF(IN_RANGE(c->period_ns, NS_PER_MS, 10 * NS_PER_SEC), "period %lld",
		    (long long)c->period_ns);
}

static void check_phases(const struct spec *s)
{
	struct spec_phase ph[SPEC_MAX_PHASES];
	int n, i;

	n = spec_phases(s, ph);
	FUZZ_CHECKF(n >= 1 && n <= SPEC_MAX_PHASES, "%d phases", n);
	FUZZ_CHECK(ph[0].start_ns == 0 && ph[n - 1].end_ns == s->duration_ns);
	for (i = 0; i < n; i++) {
		FUZZ_CHECKF(ph[i].name != NULL && ph[i].start_ns < ph[i].end_ns,
			    "phase %d '%s' [%lld, %lld)", i, ph[i].name ? ph[i].name : "(null)",
			    (long long)ph[i].start_ns, (long long)ph[i].end_ns);
		if (i > 0)
			FUZZ_CHECK(ph[i].start_ns == ph[i - 1].end_ns);
	}
	FUZZ_CHECK(s->n_contention > 0 || (n == 1 && !strcmp(ph[0].name, "all")));
}

static void check_spec(const struct spec *s, int nlines)
{
	int i;

	FUZZ_CHECKF(is_spec_name(s->name), "name '%.64s'", s->name);
	FUZZ_CHECKF(strnlen(s->description, SPEC_DESC_MAX) > 0 &&
		    strnlen(s->description, SPEC_DESC_MAX) < SPEC_DESC_MAX, "description");
	FUZZ_CHECK(strcmp(spec_backend_name(s->backend), "?"));
	FUZZ_CHECK(strcmp(spec_workload_name(s->workload), "?"));
	FUZZ_CHECKF(IN_RANGE(s->duration_ns, 100 * NS_PER_MS, 3600 * NS_PER_SEC), "duration %lld",
		    (long long)s->duration_ns);
	FUZZ_CHECKF(IN_RANGE(s->repeat, 1, 100), "repeat %d", s->repeat);
	FUZZ_CHECKF(IN_RANGE(s->sample_interval_ns, NS_PER_MS, 10 * NS_PER_SEC) &&
		    s->sample_interval_ns <= s->duration_ns, "sample interval %lld in %lld",
		    (long long)s->sample_interval_ns, (long long)s->duration_ns);
	FUZZ_CHECKF(IN_RANGE(s->vcpus, 1, SPEC_MAX_VCPUS), "vcpus %d", s->vcpus);
	for (i = 0; i < s->vcpus; i++) {
		FUZZ_CHECKF(s->pins[i] == SPEC_PIN_ANY || IN_RANGE(s->pins[i], 0, CPU_SETSIZE - 1),
			    "pin %d of vCPU %d", s->pins[i], i);
		/* "any" is for all vCPUs or none. */
		FUZZ_CHECK((s->pins[i] == SPEC_PIN_ANY) == (s->pins[0] == SPEC_PIN_ANY));
	}
	check_origin(&s->pin_origin, "[vm] pin", nlines);
	FUZZ_CHECKF(IN_RANGE(s->slice_ns, 200 * NS_PER_US, 100 * NS_PER_MS), "slice %lld",
		    (long long)s->slice_ns);
	FUZZ_CHECKF(s->quota_pct >= 0 && s->quota_pct <= 100, "quota %g", s->quota_pct);
	FUZZ_CHECKF(!!(s->requires & SPEC_REQ_CGROUP_CPU_MAX) == (s->quota_pct > 0),
		    "requires 0x%x with quota %g", s->requires, s->quota_pct);
	FUZZ_CHECK((s->requires & ~SPEC_REQ_CGROUP_CPU_MAX) == 0);
	FUZZ_CHECKF(IN_RANGE(s->tasks, 1, 64), "tasks %d", s->tasks);
	FUZZ_CHECKF(IN_RANGE(s->units, 0, 10000000), "units %lld", (long long)s->units);
	FUZZ_CHECKF(IN_RANGE(s->unit_work_ns, NS_PER_US, NS_PER_SEC), "unit_work %lld",
		    (long long)s->unit_work_ns);
	FUZZ_CHECKF(IN_RANGE(s->n_contention, 0, SPEC_MAX_CONTENTION), "%d contentions",
		    s->n_contention);
	for (i = 0; i < s->n_contention; i++)
		check_contention(s, i, nlines);
	check_phases(s);
}

static void check_set(const struct spec_set *set, int nlines)
{
	size_t i, j;

	FUZZ_CHECK(set->filename && !strcmp(set->filename, "fuzz.ini"));
	check_spec(&set->base, nlines);
	FUZZ_CHECKF(set->n_policies <= SPEC_MAX_POLICIES, "%zu policies", set->n_policies);
	FUZZ_CHECK(set->n_policies == 0 ? set->policies == NULL : set->policies != NULL);
	for (i = 0; i < set->n_policies; i++) {
		const struct spec_policy *p = &set->policies[i];

		FUZZ_CHECKF(is_spec_name(p->name), "policy name '%.64s'", p->name);
		for (j = 0; j < i; j++)
			FUZZ_CHECKF(strcmp(set->policies[j].name, p->name), "two policies '%s'",
				    p->name);
		FUZZ_CHECK(spec_policy_find(set, p->name) == p);
		FUZZ_CHECK(strnlen(p->description, SPEC_DESC_MAX) < SPEC_DESC_MAX);
		FUZZ_CHECK(p->line > 0);
		FUZZ_CHECKF((p->requires & p->spec.requires) == p->spec.requires,
			    "policy %s requires 0x%x, its spec 0x%x", p->name, p->requires,
			    p->spec.requires);
		FUZZ_CHECK((p->requires & ~SPEC_REQ_CGROUP_CPU_MAX) == 0);
		/* The texts of [experiment] exist only in the base. */
		FUZZ_CHECK(!strcmp(p->spec.name, set->base.name));
		FUZZ_CHECK(!strcmp(p->spec.description, set->base.description));
		check_spec(&p->spec, nlines);
	}
	FUZZ_CHECK(spec_policy_find(set, "NO-SUCH-POLICY") == NULL);
}

/* The same text parses to the same bytes (every struct is zeroed before it is filled). */
static void check_again(const char *buf, size_t len, const struct spec_set *set)
{
	struct spec_set again;
	size_t i;

	FUZZ_CHECK(spec_parse(buf, len, "fuzz.ini", &again) == 0);
	FUZZ_CHECK(!memcmp(&again.base, &set->base, sizeof(set->base)));
	FUZZ_CHECK(again.n_policies == set->n_policies);
	for (i = 0; i < set->n_policies; i++)
		FUZZ_CHECKF(!memcmp(&again.policies[i], &set->policies[i],
				    sizeof(set->policies[i])), "policy %zu differs", i);
	spec_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct spec_set set;
	int rc;

	fuzz_clear_last_error();
	rc = spec_parse(buf, size, "fuzz.ini", &set);
	if (rc) {
		FUZZ_CHECK_ERROR(rc, -EINVAL, -ERANGE, -ENOMEM);
		FUZZ_CHECK(!set.filename && !set.policies && set.n_policies == 0);
		spec_free(&set);
		return 0;
	}
	check_set(&set, count_lines(buf, size));
	check_again(buf, size, &set);
	spec_free(&set);
	return 0;
}
