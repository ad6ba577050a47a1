/*
 * policy: the [policy NAME] sections of an experiment spec, the part of
 * spec_resolve() that turns a comparison into one complete spec per policy.
 * A policy is the base's raw settings with some rows replaced by its own
 * "section.key = value" entries, optionally without any [contention]
 * (`contention = none`), plus the host features it `requires`; the result is
 * built by the same builder as the base, so every rule holds for both.
 *
 * This is a part of the spec module, called only by experiments/spec.c;
 * other code uses spec.h (spec_set.policies, spec_policy_find()). Like the
 * rest of it, it never looks at the machine, never exits and never prints to
 * stdout; each error is logged once, as "file:line: [policy NAME] ...".
 */
#ifndef STEALSCOPE_POLICY_H
#define STEALSCOPE_POLICY_H

struct ini_section;
struct spec_ctx;
struct spec_raws;
struct spec_set;

/*
 * Record the [policy NAME] section @sec in @raw->policy, after checking its
 * name (required, unique, a valid spec name) and the SPEC_MAX_POLICIES limit.
 * Its entries are checked later, by policy_resolve(). Returns 0 or -EINVAL.
 */
int policy_collect(const struct spec_ctx *c, const struct ini_section *sec,
		   struct spec_raws *raw);

/*
 * Resolve every policy recorded in @raw (the fully collected base settings,
 * not changed) into @out->policies, in file order, counting them in
 * @out->n_policies as they succeed. Returns 0, -EINVAL or -ENOMEM; on error
 * @out holds what was allocated so far, for spec_free().
 */
int policy_resolve(const struct spec_ctx *c, const struct spec_raws *raw, struct spec_set *out);

#endif
