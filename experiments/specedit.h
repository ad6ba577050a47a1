/*
 * specedit: the spec as run. `stealscope run` options that change a spec
 * (--backend, --repeat, --quick) are applied to the spec's text, key by
 * key, and the runner then parses that text: so the spec.ini it saves in
 * the results directory is exactly what ran (the plots and the report read
 * the contention windows from it), and the two can never disagree.
 *
 * Only the values of the keys concerned change; every other line, comment
 * and inline comment stays as it was. Keys that are missing from
 * [experiment] and must change are added after its header, below a comment
 * line that says what was changed. Pure text in, text out: nothing here
 * reads files, and nothing exits.
 */
#ifndef STEALSCOPE_SPECEDIT_H
#define STEALSCOPE_SPECEDIT_H

#include <stddef.h>
#include <stdint.h>

#define SPECEDIT_QUICK_MIN_NS 600000000LL  /* --quick never shortens a run below 600 ms */

struct specedit {
	const char *backend;           /* NULL: keep; else "native", ... */
	int repeat;                    /* 0: keep */
	int quick;                     /* shorten: see specedit_quick_duration() */
	const char *only_policy;       /* NULL: keep every [policy]; else drop the others */
	int64_t base_duration_ns;      /* the resolved [experiment] duration */
};

/*
 * A --quick run's duration for a spec's @duration_ns: a third, but not
 * below 600 ms (and never longer than it was).
 */
int64_t specedit_quick_duration(int64_t duration_ns);

/*
 * Rewrite @len bytes of spec text @text per @e into *@out (malloc'd,
 * NUL-terminated, length in *@outlen). With quick: every run duration
 * (experiment.duration, also in [policy] overrides) becomes its quick
 * duration, contention start and duration scale by the base's factor
 * (quick / base duration; starts rounded down, durations to the nearest
 * microsecond, at least 1 ms), a sample_interval longer than the quick base
 * duration is cut to it, and repeat becomes 1 (unless @e->repeat says
 * otherwise). With only_policy, every [policy NAME] section of another name
 * is left out, from its header to the next header. Returns 0, -EINVAL for a value that does not parse as a
 * duration (logged) or -ENOMEM.
 */
int specedit_apply(const char *text, size_t len, const struct specedit *e, char **out,
		   size_t *outlen);

#endif
