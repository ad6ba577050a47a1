/*
 * spec: see spec.h. Resolution runs in two steps. First every INI entry is
 * sorted into a table of "raw" settings (the entry plus the section it came
 * from), which is where unknown sections and keys are caught. Then one
 * builder turns a raw table into a struct spec: defaults for what is absent,
 * strict parsing of what is present, cross checks last. A policy is the base
 * table with some rows replaced by the policy's own entries, fed to the same
 * builder, so a base spec and a policy can never disagree on a rule. Because
 * every raw row remembers its entry, each message points at the line that
 * holds the bad value, whether it sits in [vm] or in [policy NAME].
 *
 * This file owns the schema (the key tables), the raw table and the builder;
 * experiments/policy.c does the [policy NAME] part and reaches the schema
 * only through the lookups of spec-internal.h.
 *
 * Value errors come from common/parse.c, which logs them with the "what"
 * text built here ("file:line: [vm] pin"); this file then passes the code up
 * without logging again. No machine state is consulted here.
 */
#include "experiments/spec.h"
#include "experiments/policy.h"
#include "experiments/spec-internal.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the schema ----------------------------------------------------------- */

static const char *const spec_single_sections[SEC_SINGLE_N] = {
	[SEC_EXPERIMENT] = "experiment",
	[SEC_VM] = "vm",
	[SEC_WORKLOAD] = "workload",
};

static const char *const spec_backends[] = {
	[SPEC_BACKEND_KVM_MINI] = "kvm-mini",
	[SPEC_BACKEND_NATIVE] = "native",
	[SPEC_BACKEND_LIBVIRT] = "libvirt",
};

static const char *const spec_workloads[] = {
	[SPEC_WORKLOAD_SCHED] = "sched",
	[SPEC_WORKLOAD_INF_LOOP] = "inf-loop",
	[SPEC_WORKLOAD_IDLE] = "idle",
};

#define SPEC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Enum fields are written through an int (KIND_ENUM below). */
_Static_assert(sizeof(enum spec_backend) == sizeof(int) &&
	       sizeof(enum spec_workload) == sizeof(int), "enums must be int-sized");

/* How a key's text becomes a value; KIND_SPECIAL keys are handled by hand. */
enum spec_kind {
	KIND_SPECIAL, KIND_INT, KIND_I64, KIND_DUR, KIND_PCT, KIND_PCT_OR_NONE, KIND_ENUM
};

/*
 * One key: its kind, default and range in its unit (ns for KIND_DUR, % for
 * the percentages, an index for KIND_ENUM), and the field it fills. These
 * tables are the schema; experiments/README.md documents the same values.
 */
struct spec_field {
	const char *key;
	enum spec_kind kind;
	int64_t def, min, max;
	size_t offset;                 /* into struct spec or struct spec_contention */
	const char *const *names;      /* KIND_ENUM */
	size_t n_names;
};

struct spec_key {
	enum spec_section_id section;
	int policy_ok;                 /* may a [policy] override it? */
	struct spec_field f;
};

/* A key of struct spec: section, policy_ok, name, kind, default, min, max, field. */
#define SPEC_KEY(sec, pol, name, kind, def, min, max, field) \
	{ sec, pol, { name, kind, def, min, max, offsetof(struct spec, field), NULL, 0 } }
#define SPEC_ENUM_KEY(sec, name, def, field, names) \
	{ sec, 1, { name, KIND_ENUM, def, 0, 0, offsetof(struct spec, field), names, \
		    SPEC_ARRAY_LEN(names) } }
#define SPEC_TEXT_KEY(sec, pol, name) { sec, pol, { name, KIND_SPECIAL, 0, 0, 0, 0, NULL, 0 } }
#define MS NS_PER_MS
#define SEC NS_PER_SEC

static const struct spec_key spec_keys[KEY_N] = {
	[KEY_EXP_NAME] = SPEC_TEXT_KEY(SEC_EXPERIMENT, 0, "name"),
	[KEY_EXP_DESCRIPTION] = SPEC_TEXT_KEY(SEC_EXPERIMENT, 0, "description"),
	[KEY_EXP_BACKEND] = SPEC_ENUM_KEY(SEC_EXPERIMENT, "backend", SPEC_BACKEND_KVM_MINI,
					  backend, spec_backends),
	[KEY_EXP_DURATION] = SPEC_KEY(SEC_EXPERIMENT, 1, "duration", KIND_DUR,
				      3 * SEC, 100 * MS, 3600 * SEC, duration_ns),
	[KEY_EXP_REPEAT] = SPEC_KEY(SEC_EXPERIMENT, 1, "repeat", KIND_INT, 1, 1, 100, repeat),
	[KEY_EXP_SAMPLE_INTERVAL] = SPEC_KEY(SEC_EXPERIMENT, 1, "sample_interval", KIND_DUR,
					     10 * MS, 1 * MS, 10 * SEC, sample_interval_ns),
	[KEY_VM_VCPUS] = SPEC_KEY(SEC_VM, 1, "vcpus", KIND_INT, 1, 1, SPEC_MAX_VCPUS, vcpus),
	[KEY_VM_PIN] = SPEC_TEXT_KEY(SEC_VM, 1, "pin"),
	[KEY_VM_SLICE] = SPEC_KEY(SEC_VM, 1, "slice", KIND_DUR,
				  4 * MS, 200 * NS_PER_US, 100 * MS, slice_ns),
	[KEY_VM_QUOTA] = SPEC_KEY(SEC_VM, 1, "quota", KIND_PCT_OR_NONE, 0, 0, 100, quota_pct),
	[KEY_VM_WORKLOAD] = SPEC_ENUM_KEY(SEC_VM, "workload", SPEC_WORKLOAD_SCHED,
					  workload, spec_workloads),
	[KEY_WL_TASKS] = SPEC_KEY(SEC_WORKLOAD, 1, "tasks", KIND_INT, 2, 1, 64, tasks),
	[KEY_WL_UNITS] = SPEC_KEY(SEC_WORKLOAD, 1, "units", KIND_I64, 0, 0, 10000000, units),
	[KEY_WL_UNIT_WORK] = SPEC_KEY(SEC_WORKLOAD, 1, "unit_work", KIND_DUR,
				      1 * MS, NS_PER_US, 1 * SEC, unit_work_ns),
};

/* A key of struct spec_contention: name, kind, default, min, max, field. */
#define SPEC_CKEY(name, kind, def, min, max, field) \
	{ name, kind, def, min, max, offsetof(struct spec_contention, field), NULL, 0 }

/* "duration" lands in end_ns first; spec_build_contention() turns it into the end. */
static const struct spec_field spec_cfields[CKEY_N] = {
	[CKEY_CPU] = SPEC_CKEY("cpu", KIND_INT, 0, 0, CPU_SETSIZE - 1, cpu),
	[CKEY_START] = SPEC_CKEY("start", KIND_DUR, 0, 0, 3600 * SEC, start_ns),
	[CKEY_DURATION] = SPEC_CKEY("duration", KIND_DUR, 0, 1 * MS, 3600 * SEC, end_ns),
	[CKEY_NICE] = SPEC_CKEY("nice", KIND_INT, 0, -20, 19, nice),
	[CKEY_DUTY] = SPEC_CKEY("duty", KIND_PCT, 100, 0, 100, duty_pct),
	[CKEY_PERIOD] = SPEC_CKEY("period", KIND_DUR, 100 * MS, 1 * MS, 10 * SEC, period_ns),
};

#undef MS
#undef SEC

/* ---- messages -------------------------------------------------------------- */

static const char *spec_label(const struct ini_section *sec, char *buf, size_t len)
{
	if (sec->name)
		snprintf(buf, len, "[%s %s]", sec->type, sec->name);
	else
		snprintf(buf, len, "[%s]", sec->type);
	return buf;
}

/* "file:line: [section] key", the prefix of every message about a value. */
static const char *spec_what(const struct spec_ctx *c, const struct spec_raw *r, char *buf,
			     size_t len)
{
	char label[SPEC_LABEL_LEN];

	snprintf(buf, len, "%s:%d: %s %s", c->fname, r->e->line,
		 spec_label(r->sec, label, sizeof(label)), r->e->key);
	return buf;
}

/* Record where @r was written ("[vm] pin" on its line), or @def_key with line 0. */
static void spec_origin_set(const struct spec_raw *r, const char *def_key, struct spec_origin *o)
{
	size_t n;

	o->line = r->e ? r->e->line : 0;
	if (!r->e) {
		snprintf(o->key, sizeof(o->key), "%s", def_key);
		return;
	}
	n = strlen(spec_label(r->sec, o->key, sizeof(o->key)));
	snprintf(o->key + n, sizeof(o->key) - n, " %s", r->e->key);
}

/* "a, b, c" from a table of names, for "(use ...)" hints. */
static const char *spec_join(const char *const *names, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
	return buf;
}

/* ---- value getters: default when absent, strict parse when present --------- */

static int spec_get_i64(const struct spec_ctx *c, const struct spec_raw *r, int64_t def,
			int64_t min, int64_t max, int64_t *out)
{
	char what[SPEC_WHAT_LEN];

	if (!r->e) {
		*out = def;
		return 0;
	}
	return parse_i64(spec_what(c, r, what, sizeof(what)), r->e->value, min, max, out);
}

static int spec_get_dur(const struct spec_ctx *c, const struct spec_raw *r, int64_t def_ns,
			int64_t min_ns, int64_t max_ns, int64_t *out_ns)
{
	char what[SPEC_WHAT_LEN];

	if (!r->e) {
		*out_ns = def_ns;
		return 0;
	}
	return parse_duration_ns(spec_what(c, r, what, sizeof(what)), r->e->value, min_ns,
				 max_ns, out_ns);
}

/* A percentage in (0, 100]; @none_ok also accepts "none", read as 0. */
static int spec_get_pct(const struct spec_ctx *c, const struct spec_raw *r, double def_pct,
			int none_ok, double *out_pct)
{
	char what[SPEC_WHAT_LEN];

	if (!r->e) {
		*out_pct = def_pct;
		return 0;
	}
	spec_what(c, r, what, sizeof(what));
	if (none_ok && !strcmp(r->e->value, "none")) {
		*out_pct = 0;
		return 0;
	}
	return parse_pct_positive(what, r->e->value, none_ok ? " (or 'none' for no limit)" : NULL,
				  out_pct);
}

static int spec_get_enum(const struct spec_ctx *c, const struct spec_raw *r,
			 const char *const *names, size_t n, int def, int *out)
{
	char what[SPEC_WHAT_LEN], list[128];
	size_t i;

	if (!r->e) {
		*out = def;
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(r->e->value, names[i])) {
			*out = (int)i;
			return 0;
		}
	return log_err(-EINVAL, "%s: unknown value '%s' (use %s)",
		       spec_what(c, r, what, sizeof(what)), r->e->value,
		       spec_join(names, n, list, sizeof(list)));
}

/* Fill the field @f describes inside @obj (a struct spec or spec_contention). */
static int spec_get_field(const struct spec_ctx *c, const struct spec_field *f,
			  const struct spec_raw *r, void *obj)
{
	void *dst = (char *)obj + f->offset;
	int64_t v;
	int rc = 0;

	switch (f->kind) {
	case KIND_INT:
		rc = spec_get_i64(c, r, f->def, f->min, f->max, &v);
		if (!rc)
			*(int *)dst = (int)v;
		break;
	case KIND_I64:
		rc = spec_get_i64(c, r, f->def, f->min, f->max, dst);
		break;
	case KIND_DUR:
		rc = spec_get_dur(c, r, f->def, f->min, f->max, dst);
		break;
	case KIND_PCT:
	case KIND_PCT_OR_NONE:
		rc = spec_get_pct(c, r, (double)f->def, f->kind == KIND_PCT_OR_NONE, dst);
		break;
	case KIND_ENUM:
		rc = spec_get_enum(c, r, f->names, f->n_names, (int)f->def, dst);
		break;
	case KIND_SPECIAL:
		break;
	}
	return rc;
}

/* Names end up in directory and file names: [a-z0-9-], 1..SPEC_NAME_MAX-1. */
static int spec_check_name(const char *what, const char *s)
{
	const char *p;

	if (strlen(s) >= SPEC_NAME_MAX)
		return log_err(-EINVAL, "%s: name '%.20s...' is longer than %d characters", what,
			       s, SPEC_NAME_MAX - 1);
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return log_err(-EINVAL, "%s: invalid name '%s': use only a-z, 0-9 and '-'",
				       what, s);
	return 0;
}

int spec_copy_text(const char *what, const char *s, char *dst, size_t len)
{
	if (strlen(s) >= len)
		return log_err(-EINVAL, "%s: longer than %zu characters", what, len - 1);
	strcpy(dst, s);
	return 0;
}

/*
 * The CPUs of a pin list in the order written ("2,0-1" -> 2 0 1), so that
 * "vCPU i on the i-th CPU" means what the user typed. @text has already
 * passed parse_cpulist(). Stores at most @max CPUs, returns how many the list
 * names in all (which may be more).
 */
static int spec_pin_expand(const char *text, int *cpus, int max)
{
	const char *p = text;
	int n = 0;

	while (*p) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo, cpu;

		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (cpu = lo; cpu <= hi; cpu++, n++)
			if (n < max)
				cpus[n] = (int)cpu;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

static int spec_get_pins(const struct spec_ctx *c, const struct spec_raw *r, int vcpus,
			 int *pins)
{
	char what[SPEC_WHAT_LEN];
	int cpus[SPEC_MAX_VCPUS];
	cpu_set_t set;
	int i, n, rc;

	if (r->e && !strcmp(r->e->value, "any")) {
		for (i = 0; i < vcpus; i++)
			pins[i] = SPEC_PIN_ANY;
		return 0;
	}
	if (!r->e) {
		for (i = 0; i < vcpus; i++)
			pins[i] = 0;
		return 0;
	}
	spec_what(c, r, what, sizeof(what));
	rc = parse_cpulist(what, r->e->value, &set);
	if (rc)
		return rc;
	n = spec_pin_expand(r->e->value, cpus, SPEC_MAX_VCPUS);
	if (n != 1 && n != vcpus)
		return log_err(-EINVAL,
			       "%s: '%s' names %d CPUs for %d vCPU%s (give one CPU for all, one CPU per vCPU, or 'any')%s",
			       what, r->e->value, n, vcpus, vcpus == 1 ? "" : "s", c->suffix);
	for (i = 0; i < vcpus; i++)
		pins[i] = cpus[n == 1 ? 0 : i];
	return 0;
}

/* ---- the builder ----------------------------------------------------------- */

/* The two required texts of [experiment]; they exist only in the base. */
static int spec_build_texts(const struct spec_ctx *c, const struct spec_raws *raw,
			    struct spec *s)
{
	const struct ini_section *sec = raw->sec[SEC_EXPERIMENT];
	const struct spec_raw *name = &raw->key[KEY_EXP_NAME];
	const struct spec_raw *desc = &raw->key[KEY_EXP_DESCRIPTION];
	char what[SPEC_WHAT_LEN];
	int rc;

	if (!sec)
		return log_err(-EINVAL,
			       "%s: missing [experiment] section (name and description are required)",
			       c->fname);
	if (!name->e)
		return log_err(-EINVAL, "%s:%d: [experiment] missing required key 'name'", c->fname,
			       sec->line);
	if (!desc->e)
		return log_err(-EINVAL, "%s:%d: [experiment] missing required key 'description'",
			       c->fname, sec->line);
	rc = spec_check_name(spec_what(c, name, what, sizeof(what)), name->e->value);
	if (rc)
		return rc;
	strcpy(s->name, name->e->value);
	return spec_copy_text(spec_what(c, desc, what, sizeof(what)), desc->e->value,
			      s->description, sizeof(s->description));
}

static int spec_build_contention(const struct spec_ctx *c, const struct spec_raw_contention *rawc,
				 const struct spec *s, struct spec_contention *out)
{
	const struct spec_raw *k = rawc->key;
	char what[SPEC_WHAT_LEN], label[SPEC_LABEL_LEN];
	char a[DURATION_FMT_LEN], b[DURATION_FMT_LEN];
	int64_t dur_ns;
	int i, rc;

	memset(out, 0, sizeof(*out));
	if (rawc->sec->name)
		strcpy(out->name, rawc->sec->name);   /* checked against SPEC_NAME_MAX */
	out->line = rawc->sec->line;
	if (!k[CKEY_CPU].e)
		return log_err(-EINVAL, "%s:%d: %s missing required key 'cpu'", c->fname,
			       rawc->sec->line, spec_label(rawc->sec, label, sizeof(label)));
	for (i = 0; i < CKEY_N; i++) {
		rc = spec_get_field(c, &spec_cfields[i], &k[i], out);
		if (rc)
			return rc;
	}
	spec_origin_set(&k[CKEY_CPU], "cpu", &out->cpu_origin);
	/* A start of 0 (the default) is always inside the 100ms minimum run. */
	if (out->start_ns >= s->duration_ns)
		return log_err(-EINVAL, "%s: %s is not before the end of the run (duration %s)%s",
			       spec_what(c, &k[CKEY_START], what, sizeof(what)),
			       duration_format(out->start_ns, a, sizeof(a)),
			       duration_format(s->duration_ns, b, sizeof(b)), c->suffix);
	dur_ns = out->end_ns;
	out->until_end = !k[CKEY_DURATION].e;
	if (out->until_end || dur_ns > s->duration_ns - out->start_ns)
		out->end_ns = s->duration_ns;
	else
		out->end_ns = out->start_ns + dur_ns;
	return 0;
}

int spec_build(const struct spec_ctx *c, const struct spec_raws *raw, struct spec *s)
{
	const struct spec_raw *interval = &raw->key[KEY_EXP_SAMPLE_INTERVAL];
	char what[SPEC_WHAT_LEN], a[DURATION_FMT_LEN], b[DURATION_FMT_LEN];
	int i, rc;

	memset(s, 0, sizeof(*s));
	rc = spec_build_texts(c, raw, s);
	for (i = 0; !rc && i < KEY_N; i++)
		rc = spec_get_field(c, &spec_keys[i].f, &raw->key[i], s);
	if (!rc)
		rc = spec_get_pins(c, &raw->key[KEY_VM_PIN], s->vcpus, s->pins);
	if (rc)
		return rc;
	spec_origin_set(&raw->key[KEY_VM_PIN], "[vm] pin", &s->pin_origin);
	/* Only a given interval can exceed the 100ms minimum duration. */
	if (s->sample_interval_ns > s->duration_ns)
		return log_err(-EINVAL, "%s: %s is longer than the run (duration %s)%s",
			       spec_what(c, interval, what, sizeof(what)),
			       duration_format(s->sample_interval_ns, a, sizeof(a)),
			       duration_format(s->duration_ns, b, sizeof(b)), c->suffix);
	if (s->quota_pct > 0)
		s->requires |= SPEC_REQ_CGROUP_CPU_MAX;
	for (i = 0; i < raw->n_contention; i++) {
		rc = spec_build_contention(c, &raw->contention[i], s, &s->contention[i]);
		if (rc)
			return rc;
	}
	s->n_contention = raw->n_contention;
	return 0;
}

/* ---- sorting the INI into raw settings ------------------------------------ */

int spec_single_find(const char *type)
{
	int i;

	for (i = 0; i < SEC_SINGLE_N; i++)
		if (!strcmp(spec_single_sections[i], type))
			return i;
	return -1;
}

int spec_key_find(int section, const char *key)
{
	int i;

	for (i = 0; i < KEY_N; i++)
		if ((int)spec_keys[i].section == section && !strcmp(spec_keys[i].f.key, key))
			return i;
	return -1;
}

int spec_key_policy_ok(int key)
{
	return key >= 0 && key < KEY_N && spec_keys[key].policy_ok;
}

int spec_ckey_find(const char *key)
{
	int i;

	for (i = 0; i < CKEY_N; i++)
		if (!strcmp(spec_cfields[i].key, key))
			return i;
	return -1;
}

/* "vcpus, pin, slice, quota, workload": the keys of one single section. */
const char *spec_keys_of(int section, char *buf, size_t len)
{
	const char *names[KEY_N];
	size_t i, n = 0;

	for (i = 0; i < KEY_N; i++)
		if ((int)spec_keys[i].section == section)
			names[n++] = spec_keys[i].f.key;
	return spec_join(names, n, buf, len);
}

/* "cpu, start, duration, nice, duty, period". */
const char *spec_cfield_names(char *buf, size_t len)
{
	const char *names[CKEY_N];
	int i;

	for (i = 0; i < CKEY_N; i++)
		names[i] = spec_cfields[i].key;
	return spec_join(names, CKEY_N, buf, len);
}

static int spec_same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int spec_check_instance(const struct spec_ctx *c, const struct ini_section *sec,
			const struct ini_section *const *seen, size_t n, size_t max)
{
	char what[SPEC_WHAT_LEN], label[SPEC_LABEL_LEN];
	size_t i;
	int rc;

	spec_label(sec, label, sizeof(label));
	snprintf(what, sizeof(what), "%s:%d: %s", c->fname, sec->line, label);
	rc = sec->name ? spec_check_name(what, sec->name) : 0;
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		if (spec_same_name(seen[i]->name, sec->name))
			return log_err(-EINVAL, "%s:%d: duplicate section %s (first on line %d)",
				       c->fname, sec->line, label, seen[i]->line);
	if (n == max)
		return log_err(-EINVAL, "%s:%d: more than %zu [%s] sections", c->fname, sec->line,
			       max, sec->type);
	return 0;
}

static int spec_collect_single(const struct spec_ctx *c, const struct ini_section *sec, int id,
			       struct spec_raws *raw)
{
	char label[SPEC_LABEL_LEN], keys[256];
	size_t i;

	if (sec->name)
		return log_err(-EINVAL, "%s:%d: section [%s] takes no name (found %s)", c->fname,
			       sec->line, sec->type, spec_label(sec, label, sizeof(label)));
	if (raw->sec[id])
		return log_err(-EINVAL, "%s:%d: duplicate section [%s] (first on line %d)",
			       c->fname, sec->line, sec->type, raw->sec[id]->line);
	raw->sec[id] = sec;
	for (i = 0; i < sec->n_entries; i++) {
		const struct ini_entry *e = &sec->entries[i];
		int k = spec_key_find(id, e->key);

		if (k < 0)
			return log_err(-EINVAL, "%s:%d: [%s] unknown key '%s' (known: %s)", c->fname,
				       e->line, sec->type, e->key,
				       spec_keys_of(id, keys, sizeof(keys)));
		raw->key[k].sec = sec;
		raw->key[k].e = e;
	}
	return 0;
}

static int spec_collect_contention(const struct spec_ctx *c, const struct ini_section *sec,
				   struct spec_raws *raw)
{
	const struct ini_section *seen[SPEC_MAX_CONTENTION];
	struct spec_raw_contention *rawc;
	char label[SPEC_LABEL_LEN], keys[128];
	int i, rc;

	for (i = 0; i < raw->n_contention; i++)
		seen[i] = raw->contention[i].sec;
	rc = spec_check_instance(c, sec, seen, (size_t)raw->n_contention, SPEC_MAX_CONTENTION);
	if (rc)
		return rc;
	rawc = &raw->contention[raw->n_contention++];
	memset(rawc, 0, sizeof(*rawc));
	rawc->sec = sec;
	for (i = 0; i < (int)sec->n_entries; i++) {
		const struct ini_entry *e = &sec->entries[i];
		int k = spec_ckey_find(e->key);

		if (k < 0)
			return log_err(-EINVAL, "%s:%d: %s unknown key '%s' (known: %s)", c->fname,
				       e->line, spec_label(sec, label, sizeof(label)), e->key,
				       spec_cfield_names(keys, sizeof(keys)));
		rawc->key[k].sec = sec;
		rawc->key[k].e = e;
	}
	return 0;
}

static int spec_collect(const struct spec_ctx *c, const struct ini *ini, struct spec_raws *raw)
{
	size_t i;
	int rc = 0;

	memset(raw, 0, sizeof(*raw));
	for (i = 0; !rc && i < ini->n_sections; i++) {
		const struct ini_section *sec = &ini->sections[i];
		int id = spec_single_find(sec->type);

		if (id >= 0)
			rc = spec_collect_single(c, sec, id, raw);
		else if (!strcmp(sec->type, "contention"))
			rc = spec_collect_contention(c, sec, raw);
		else if (!strcmp(sec->type, "policy"))
			rc = policy_collect(c, sec, raw);
		else
			rc = log_err(-EINVAL,
				     "%s:%d: unknown section [%s] (known: experiment, vm, workload, contention, policy)",
				     c->fname, sec->line, sec->type);
	}
	return rc;
}

/* ---- the public API -------------------------------------------------------- */

int spec_resolve(const struct ini *ini, struct spec_set *out)
{
	struct spec_ctx c = { .fname = ini->filename ? ini->filename : "<buffer>" };
	struct spec_raws *raw;
	int rc;

	memset(out, 0, sizeof(*out));
	raw = malloc(sizeof(*raw));
	out->filename = strdup(c.fname);
	if (!raw || !out->filename) {
		rc = log_err(-ENOMEM, "%s: out of memory", c.fname);
		goto fail;
	}
	rc = spec_collect(&c, ini, raw);
	if (rc)
		goto fail;
	rc = spec_build(&c, raw, &out->base);
	if (rc)
		goto fail;
	rc = policy_resolve(&c, raw, out);
	if (rc)
		goto fail;
	free(raw);
	return 0;

fail:
	free(raw);
	spec_free(out);
	return rc;
}

int spec_parse(const char *buf, size_t len, const char *filename, struct spec_set *out)
{
	struct ini ini;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ini_parse(buf, len, filename, &ini);
	if (rc)
		return rc;
	rc = spec_resolve(&ini, out);
	ini_free(&ini);
	return rc;
}

int spec_load(const char *path, struct spec_set *out)
{
	struct ini ini;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ini_load(path, &ini);
	if (rc)
		return rc;
	rc = spec_resolve(&ini, out);
	ini_free(&ini);
	return rc;
}

void spec_free(struct spec_set *set)
{
	free(set->policies);
	free(set->filename);
	memset(set, 0, sizeof(*set));
}

const struct spec_policy *spec_policy_find(const struct spec_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n_policies; i++)
		if (!strcmp(set->policies[i].name, name))
			return &set->policies[i];
	return NULL;
}

int spec_phases(const struct spec *spec, struct spec_phase out[SPEC_MAX_PHASES])
{
	int64_t first = spec->duration_ns, last = 0;
	int i, n = 0;

	if (!spec->n_contention) {
		out[0] = (struct spec_phase){ "all", 0, spec->duration_ns };
		return 1;
	}
	for (i = 0; i < spec->n_contention; i++) {
		if (spec->contention[i].start_ns < first)
			first = spec->contention[i].start_ns;
		if (spec->contention[i].end_ns > last)
			last = spec->contention[i].end_ns;
	}
	if (first > 0)
		out[n++] = (struct spec_phase){ "baseline", 0, first };
	out[n++] = (struct spec_phase){ "contended", first, last };
	if (last < spec->duration_ns)
		out[n++] = (struct spec_phase){ "recovery", last, spec->duration_ns };
	return n;
}

const char *spec_backend_name(enum spec_backend backend)
{
	if ((unsigned)backend >= SPEC_ARRAY_LEN(spec_backends))
		return "?";
	return spec_backends[backend];
}

const char *spec_workload_name(enum spec_workload workload)
{
	if ((unsigned)workload >= SPEC_ARRAY_LEN(spec_workloads))
		return "?";
	return spec_workloads[workload];
}

const char *spec_requirement_name(unsigned bit)
{
	return bit == SPEC_REQ_CGROUP_CPU_MAX ? "cgroup-cpu-max" : NULL;
}
