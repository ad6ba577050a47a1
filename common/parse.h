/*
 * parse: strict parsing of command-line and spec values.
 *
 * Every function rejects empty strings, trailing garbage, out-of-range values
 * and unknown units; on failure it logs one error naming the value and the
 * problem (see log_last_error()) and returns -EINVAL or -ERANGE. @what names
 * the thing being parsed in that message ("--interval", "units"). Nothing
 * here calls atoi or exits.
 */
#ifndef STEALSCOPE_PARSE_H
#define STEALSCOPE_PARSE_H

#include <sched.h>
#include <stdint.h>

/* Decimal integer in [min, max]. */
int parse_i64(const char *what, const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Duration with a unit: "500us", "100ms", "2s", "1.5s", "250ns". A bare
 * number is an error (ambiguous), except "0". Result in ns, within
 * [min_ns, max_ns].
 */
int parse_duration_ns(const char *what, const char *s, int64_t min_ns, int64_t max_ns,
		      int64_t *out_ns);

/* Percentage "50", "50%", "12.5" in [0, 100]. */
int parse_pct(const char *what, const char *s, double *out_pct);

/*
 * CPU list "0", "0,2-3", "1-1". Ranges must ascend, CPUs must be below
 * CPU_SETSIZE. Duplicates are allowed (the set is the union).
 */
int parse_cpulist(const char *what, const char *s, cpu_set_t *out);

/*
 * The online CPUs from <root>/sys/devices/system/cpu/online (root "" or NULL
 * for the real system).
 */
int cpus_online(const char *root, cpu_set_t *out);

/*
 * Check that every CPU in @set is online under @root; the error names the
 * first one that is not and lists the online ones.
 */
int cpulist_check_online(const char *what, const cpu_set_t *set, const char *root);

/* Format @set as a canonical list "0,2-3" into @buf. Returns @buf. */
char *cpulist_format(const cpu_set_t *set, char *buf, size_t len);

/* Format a duration in ns with the largest exact unit ("1500us" -> "1.5ms"). */
char *duration_format(int64_t ns, char *buf, size_t len);

#endif
