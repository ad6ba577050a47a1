/*
 * spec: experiment specs. An INI file (see experiments/README.md for every
 * key, unit and default) becomes a struct spec_set: a fully resolved base
 * spec plus, when the file has [policy NAME] sections, one fully resolved
 * spec per policy (the base with that policy's overrides applied).
 *
 * Everything here is pure parsing and validation: values, ranges and the
 * relations between them (pin list length vs vCPUs, contention windows vs
 * the run). Every error names "file:line", the section and the key, and is
 * logged once. Nothing here looks at the machine (no online-CPU or cgroup
 * checks; the runner does those), so a spec parses the same anywhere. This
 * module never exits and never prints to stdout.
 */
#ifndef STEALSCOPE_SPEC_H
#define STEALSCOPE_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/ini.h"

#define SPEC_NAME_MAX 64               /* names: 1..63 chars of [a-z0-9-] */
#define SPEC_DESC_MAX 256              /* descriptions: 1..255 chars */
#define SPEC_MAX_VCPUS 8
#define SPEC_MAX_CONTENTION 8          /* [contention] sections per spec */
#define SPEC_MAX_POLICIES 64           /* [policy NAME] sections per spec */
#define SPEC_MAX_PHASES 3

/* pins[i] for a vCPU the scheduler may place on any host CPU. */
#define SPEC_PIN_ANY (-1)

enum spec_backend { SPEC_BACKEND_KVM_MINI, SPEC_BACKEND_NATIVE, SPEC_BACKEND_LIBVIRT };

enum spec_workload { SPEC_WORKLOAD_SCHED, SPEC_WORKLOAD_INF_LOOP, SPEC_WORKLOAD_IDLE };

/* Host features a run may need (bits of spec_policy.requires, spec.requires). */
#define SPEC_REQ_CGROUP_CPU_MAX 0x1u   /* cgroup v2 cpu.max for the vCPU threads */

/*
 * Where a value was written, for the checks the runner makes later against
 * the machine (a CPU that is not online): "spec.ini:10: [vm] pin: ...".
 */
struct spec_origin {
	int line;                      /* its line in the file; 0: not written, a default */
	char key[SPEC_NAME_MAX + 32];  /* "[vm] pin", "[policy fast] vm.pin",
					  "[contention hog] cpu" */
};

/* One host busy loop ("inf-loop") pinned to a CPU for a window of the run. */
struct spec_contention {
	char name[SPEC_NAME_MAX];      /* "hog" for [contention hog], "" for [contention] */
	int line;                      /* line of its section header */
	int cpu;                       /* host CPU it is pinned to */
	struct spec_origin cpu_origin; /* where cpu was set (a policy may override it) */
	int64_t start_ns;              /* from the run's start; always < spec.duration_ns */
	int64_t end_ns;                /* start + duration, clamped to spec.duration_ns */
	int until_end;                 /* 1 when no duration was given */
	int nice;                      /* -20..19 */
	double duty_pct;               /* busy share of each period, (0, 100] */
	int64_t period_ns;             /* duty-cycle period */
};

/* A fully resolved spec: every value set, defaults applied, units in names. */
struct spec {
	/* [experiment] */
	char name[SPEC_NAME_MAX];
	char description[SPEC_DESC_MAX];
	enum spec_backend backend;
	int64_t duration_ns;           /* one run */
	int repeat;                    /* runs per spec (or per policy) */
	int64_t sample_interval_ns;
	/* [vm] */
	int vcpus;
	int pins[SPEC_MAX_VCPUS];      /* host CPU of vCPU i, or SPEC_PIN_ANY; [vcpus..) unused */
	struct spec_origin pin_origin; /* where pin was set ("[vm] pin", line 0: the default) */
	int64_t slice_ns;              /* guest scheduler tick */
	double quota_pct;              /* cpu.max limit in % of one CPU; 0 = no limit */
	enum spec_workload workload;
	/* [workload] */
	int tasks;
	int64_t units;                 /* per task; 0 = work until the run ends */
	int64_t unit_work_ns;
	/* [contention ...], in file order */
	int n_contention;
	struct spec_contention contention[SPEC_MAX_CONTENTION];
	/* Features these values need: SPEC_REQ_CGROUP_CPU_MAX when quota_pct > 0. */
	unsigned requires;
};

struct spec_policy {
	char name[SPEC_NAME_MAX];
	char description[SPEC_DESC_MAX];   /* "" when the policy has none */
	unsigned requires;             /* its `requires` plus spec.requires */
	int line;                      /* line of its [policy NAME] header */
	struct spec spec;              /* base + this policy's overrides */
};

struct spec_set {
	char *filename;                /* as loaded, for messages */
	struct spec base;
	struct spec_policy *policies;  /* in file order; NULL when there are none */
	size_t n_policies;             /* 0: a single experiment, else a comparison */
};

/* One interval of a run, [start_ns, end_ns), times from the run's start. */
struct spec_phase {
	const char *name;              /* "baseline", "contended", "recovery" or "all" */
	int64_t start_ns;
	int64_t end_ns;
};

/*
 * Resolve a parsed INI into @out: validate the schema, apply defaults,
 * resolve each policy. Returns 0, -EINVAL (logged: "file:line: [section]
 * key: problem"), or -ENOMEM. On error @out is left empty (spec_free() is
 * safe). @ini is not kept: @out owns copies of everything it needs.
 */
int spec_resolve(const struct ini *ini, struct spec_set *out);

/* ini_parse() @len bytes of @buf (@filename for messages) + spec_resolve(). */
int spec_parse(const char *buf, size_t len, const char *filename, struct spec_set *out);

/* ini_load() @path + spec_resolve(). Returns 0 or the first error, logged. */
int spec_load(const char *path, struct spec_set *out);

/* Release what spec_resolve() allocated; @set becomes empty. */
void spec_free(struct spec_set *set);

/* The policy called @name, NULL when there is none. */
const struct spec_policy *spec_policy_find(const struct spec_set *set, const char *name);

/*
 * The phases of a run of @spec, written to @out in time order, only the
 * non-empty ones: "baseline" [0, first contention start), "contended"
 * [first start, last end), "recovery" [last end, duration). Several
 * contention windows count as one contended span from the earliest start to
 * the latest end. With no contention: one phase "all" [0, duration).
 * Returns how many phases were written (1..SPEC_MAX_PHASES).
 */
int spec_phases(const struct spec *spec, struct spec_phase out[SPEC_MAX_PHASES]);

/* "kvm-mini", "native", "libvirt"; "?" for a value out of the enum. */
const char *spec_backend_name(enum spec_backend backend);

/* "sched", "inf-loop", "idle"; "?" for a value out of the enum. */
const char *spec_workload_name(enum spec_workload workload);

/*
 * The spec name of one SPEC_REQ_* bit ("cgroup-cpu-max"), NULL for an
 * unknown or combined value.
 */
const char *spec_requirement_name(unsigned bit);

#endif
