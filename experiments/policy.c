/*
 * policy: see policy.h. Each [policy NAME] starts from a copy of the base's
 * raw table (spec-internal.h); an override replaces one row of it with the
 * policy's own entry, so a bad value is reported at the policy's line, and
 * then spec_build() resolves the copy exactly as it resolved the base. Keys
 * are looked up through spec.c, which owns the only copy of the schema.
 * Nothing here looks at the machine.
 */
#include "experiments/policy.h"
#include "experiments/spec-internal.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prefix of overrides that reach every [contention] section. */
#define POLICY_CONTENTION_PREFIX "contention."

int policy_collect(const struct spec_ctx *c, const struct ini_section *sec,
		   struct spec_raws *raw)
{
	int rc;

	if (!sec->name)
		return log_err(-EINVAL, "%s:%d: [policy] needs a name, e.g. [policy dedicated]",
			       c->fname, sec->line);
	rc = spec_check_instance(c, sec, raw->policy, raw->n_policies, SPEC_MAX_POLICIES);
	if (rc)
		return rc;
	raw->policy[raw->n_policies++] = sec;
	return 0;
}

/* "requires = a,b": every item must name a SPEC_REQ_* bit. */
static int policy_parse_requires(const char *what, const char *text, unsigned *out)
{
	const char *known = spec_requirement_name(SPEC_REQ_CGROUP_CPU_MAX);
	const char *p = text;
	unsigned mask = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n != strlen(known) || strncmp(p, known, n))
			return log_err(-EINVAL, "%s: unknown requirement '%.*s' (known: %s)", what,
				       (int)n, p, known);
		mask |= SPEC_REQ_CGROUP_CPU_MAX;
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = mask;
	return 0;
}

/* "contention.KEY = VALUE": one override reaches every contention section. */
static int policy_override_contention(const struct spec_ctx *c, const struct ini_section *psec,
				      const struct ini_entry *e, const char *key,
				      struct spec_raws *raw)
{
	char keys[128];
	int k = spec_ckey_find(key), i;

	if (k < 0)
		return log_err(-EINVAL, "%s:%d: [policy %s] unknown key '%s' (contention has %s)",
			       c->fname, e->line, psec->name, e->key,
			       spec_cfield_names(keys, sizeof(keys)));
	if (!raw->n_contention)
		return log_err(-EINVAL,
			       "%s:%d: [policy %s] %s: the spec has no [contention] section to override",
			       c->fname, e->line, psec->name, e->key);
	for (i = 0; i < raw->n_contention; i++) {
		raw->contention[i].key[k].sec = psec;
		raw->contention[i].key[k].e = e;
	}
	return 0;
}

/* Replace the row(s) of @raw that the policy entry @e ("section.key") overrides. */
static int policy_override(const struct spec_ctx *c, const struct ini_section *psec,
			   const struct ini_entry *e, struct spec_raws *raw)
{
	const char *dot = strchr(e->key, '.');
	char section[32], keys[256];
	int id, k;

	if (!dot || (size_t)(dot - e->key) >= sizeof(section))
		goto unknown;
	memcpy(section, e->key, (size_t)(dot - e->key));
	section[dot - e->key] = '\0';

	if (!strcmp(section, "contention"))
		return policy_override_contention(c, psec, e, dot + 1, raw);
	id = spec_single_find(section);
	if (id < 0)
		goto unknown;
	k = spec_key_find(id, dot + 1);
	if (k < 0)
		return log_err(-EINVAL, "%s:%d: [policy %s] unknown key '%s' (%s has %s)", c->fname,
			       e->line, psec->name, e->key, section,
			       spec_keys_of(id, keys, sizeof(keys)));
	if (!spec_key_policy_ok(k))
		return log_err(-EINVAL, "%s:%d: [policy %s] %s cannot be overridden by a policy",
			       c->fname, e->line, psec->name, e->key);
	raw->key[k].sec = psec;
	raw->key[k].e = e;
	return 0;

unknown:
	return log_err(-EINVAL,
		       "%s:%d: [policy %s] unknown key '%s' (use description, requires, contention = none, or experiment.*, vm.*, workload.*, contention.* overrides)",
		       c->fname, e->line, psec->name, e->key);
}

/*
 * Apply the entries of @psec to @raw (a copy of the base) and to @out's
 * description and requires. @none is set to the `contention = none` entry,
 * if any; `contention.*` overrides cannot go with it.
 */
static int policy_apply(const struct spec_ctx *c, const struct ini_section *psec,
			struct spec_raws *raw, struct spec_policy *out)
{
	const struct ini_entry *none = NULL, *first_override = NULL;
	char what[SPEC_WHAT_LEN];
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < psec->n_entries; i++) {
		const struct ini_entry *e = &psec->entries[i];

		snprintf(what, sizeof(what), "%s:%d: [policy %s] %s", c->fname, e->line, psec->name,
			 e->key);
		if (!strcmp(e->key, "description")) {
			rc = spec_copy_text(what, e->value, out->description,
					    sizeof(out->description));
		} else if (!strcmp(e->key, "requires")) {
			rc = policy_parse_requires(what, e->value, &out->requires);
		} else if (!strcmp(e->key, "contention")) {
			if (strcmp(e->value, "none"))
				rc = log_err(-EINVAL, "%s: unknown value '%s' (use none)", what,
					     e->value);
			none = e;
		} else {
			rc = policy_override(c, psec, e, raw);
			if (!rc && !first_override &&
			    !strncmp(e->key, POLICY_CONTENTION_PREFIX,
				     strlen(POLICY_CONTENTION_PREFIX)))
				first_override = e;
		}
	}
	if (rc || !none)
		return rc;
	if (first_override)
		return log_err(-EINVAL,
			       "%s:%d: [policy %s] %s: conflicts with 'contention = none' on line %d",
			       c->fname, first_override->line, psec->name, first_override->key,
			       none->line);
	raw->n_contention = 0;
	return 0;
}

static int policy_build(const struct spec_ctx *base_ctx, const struct spec_raws *base,
			const struct ini_section *psec, struct spec_policy *out)
{
	struct spec_ctx c = *base_ctx;
	struct spec_raws *raw;
	int rc;

	memset(out, 0, sizeof(*out));
	strcpy(out->name, psec->name);       /* checked against SPEC_NAME_MAX */
	out->line = psec->line;
	snprintf(c.suffix, sizeof(c.suffix), " (policy '%s')", psec->name);

	/* The raw table is a few KiB: keep it off the stack. */
	raw = malloc(sizeof(*raw));
	if (!raw)
		return log_err(-ENOMEM, "%s: out of memory", c.fname);
	*raw = *base;
	rc = policy_apply(&c, psec, raw, out);
	if (!rc)
		rc = spec_build(&c, raw, &out->spec);
	if (!rc)
		out->requires |= out->spec.requires;
	free(raw);
	return rc;
}

int policy_resolve(const struct spec_ctx *c, const struct spec_raws *raw, struct spec_set *out)
{
	size_t i;
	int rc;

	if (!raw->n_policies)
		return 0;
	out->policies = calloc(raw->n_policies, sizeof(*out->policies));
	if (!out->policies)
		return log_err(-ENOMEM, "%s: out of memory", c->fname);
	for (i = 0; i < raw->n_policies; i++) {
		rc = policy_build(c, raw, raw->policy[i], &out->policies[i]);
		if (rc)
			return rc;
		out->n_policies++;
	}
	return 0;
}
