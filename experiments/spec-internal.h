/*
 * spec-internal: what experiments/spec.c shares with experiments/policy.c
 * and with nobody else. spec.c owns the schema (the key tables), the raw
 * settings and the builder; policy.c turns [policy NAME] sections into
 * edits of a copy of the base's raw settings and hands them back to the
 * same builder. The tables stay private to spec.c: policy.c reaches them
 * only through the lookups below, so there is one schema, not two.
 *
 * Include this only from experiments/spec.c and experiments/policy.c.
 * Every function here follows spec.h's rules: 0 or -errno, logged once
 * where the error is found, never exits, never prints to stdout.
 */
#ifndef STEALSCOPE_SPEC_INTERNAL_H
#define STEALSCOPE_SPEC_INTERNAL_H

#include <limits.h>
#include <stddef.h>

#include "common/ini.h"
#include "experiments/spec.h"

#define SPEC_WHAT_LEN (PATH_MAX + 200)   /* "file:line: [section NAME] key" */
#define SPEC_LABEL_LEN 160               /* "[section NAME]" */

/* The sections that appear at most once and take no name. */
enum spec_section_id { SEC_EXPERIMENT, SEC_VM, SEC_WORKLOAD, SEC_SINGLE_N };

/* The keys of those sections: rows of struct spec_raws.key. */
enum spec_key_id {
	KEY_EXP_NAME, KEY_EXP_DESCRIPTION, KEY_EXP_BACKEND, KEY_EXP_DURATION, KEY_EXP_REPEAT,
	KEY_EXP_SAMPLE_INTERVAL,
	KEY_VM_VCPUS, KEY_VM_PIN, KEY_VM_SLICE, KEY_VM_QUOTA, KEY_VM_WORKLOAD,
	KEY_WL_TASKS, KEY_WL_UNITS, KEY_WL_UNIT_WORK,
	KEY_N
};

/* The keys of a [contention] section: rows of struct spec_raw_contention.key. */
enum spec_ckey_id {
	CKEY_CPU, CKEY_START, CKEY_DURATION, CKEY_NICE, CKEY_DUTY, CKEY_PERIOD, CKEY_N
};

/* A value as written, and where: @e NULL means "not given, use the default". */
struct spec_raw {
	const struct ini_section *sec;
	const struct ini_entry *e;
};

struct spec_raw_contention {
	const struct ini_section *sec;
	struct spec_raw key[CKEY_N];
};

/* Every setting of a file, sorted by key; a policy edits a copy of it. */
struct spec_raws {
	const struct ini_section *sec[SEC_SINGLE_N];
	struct spec_raw key[KEY_N];
	int n_contention;
	struct spec_raw_contention contention[SPEC_MAX_CONTENTION];
	size_t n_policies;
	const struct ini_section *policy[SPEC_MAX_POLICIES];
};

struct spec_ctx {
	const char *fname;
	/* " (policy 'x')" while resolving a policy, else "": cross checks add it,
	 * since one of the two values they compare may come from the base. */
	char suffix[SPEC_NAME_MAX + 16];
};

/* The enum spec_section_id of a section type, -1 for none of them. */
int spec_single_find(const char *type);

/* The enum spec_key_id of @key in single section @section, -1 when unknown. */
int spec_key_find(int section, const char *key);

/* 1 when a [policy] may override key @key (an enum spec_key_id), else 0. */
int spec_key_policy_ok(int key);

/* The enum spec_ckey_id of a [contention] key, -1 when unknown. */
int spec_ckey_find(const char *key);

/* "vcpus, pin, slice, quota, workload": the keys of @section, in @buf. */
const char *spec_keys_of(int section, char *buf, size_t len);

/* "cpu, start, duration, nice, duty, period", in @buf. */
const char *spec_cfield_names(char *buf, size_t len);

/* Copy one line of text @s into @dst of @len bytes; -EINVAL when too long. */
int spec_copy_text(const char *what, const char *s, char *dst, size_t len);

/*
 * Checks for one more named section @sec ([contention x], [policy x]) after
 * the @n of its type already in @seen: a valid name, not used before, and no
 * more than @max sections. Returns 0 or -EINVAL, logged.
 */
int spec_check_instance(const struct spec_ctx *c, const struct ini_section *sec,
			const struct ini_section *const *seen, size_t n, size_t max);

/* Resolve @raw into @s: defaults, strict parsing, cross checks. 0 or -errno. */
int spec_build(const struct spec_ctx *c, const struct spec_raws *raw, struct spec *s);

#endif
