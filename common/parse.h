/*
 * parse: strict parsing of command-line and spec values, of CSV cells, and
 * of the counters in kernel text (/proc/stat, schedstat).
 *
 * Every function rejects empty strings, whitespace, signs where none is
 * allowed, trailing garbage, out-of-range values and unknown units; on failure
 * it logs one error naming the value and the problem (see log_last_error())
 * and returns -EINVAL (malformed text) or -ERANGE (well formed but outside the
 * allowed range, including int64 overflow). @what names the thing being
 * parsed in that message ("--interval", "units"). Outputs are written only on
 * success. Nothing here calls atoi or exits. The counter helpers at the end
 * are the exception to the logging: they are silent, because their callers
 * know the line and file to name.
 */
#ifndef STEALSCOPE_PARSE_H
#define STEALSCOPE_PARSE_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

/* Buffer sizes that always hold cpulist_format() / duration_format() output. */
#define CPULIST_FMT_LEN 4096
#define DURATION_FMT_LEN 32

/*
 * Decimal integer in [min, max]. A leading '-' is accepted (the range decides
 * whether it is allowed), a leading '+' is not. Returns 0, -EINVAL or -ERANGE.
 */
int parse_i64(const char *what, const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Decimal number: an optional '-', digits, an optional fraction ('.' and
 * digits) and an optional exponent ('e' or 'E', an optional sign, digits):
 * "12", "-0.25", "1.5e3", "2E-7". No '+' sign, no leading '.', no hex, no
 * nan/inf words, no whitespace. Returns 0, -EINVAL, or -ERANGE when the value
 * overflows a double (one too small to represent reads as 0 or a denormal).
 */
int parse_f64(const char *what, const char *s, double *out);

/*
 * Duration with a unit: "500us", "100ms", "2s", "1.5s", "250ns"; units are
 * ns, us, ms, s. A bare number is an error (ambiguous), except zero ("0").
 * Decimals are allowed but the value must be a whole number of ns ("1.5ns"
 * is rejected); no sign. Result in ns, within [min_ns, max_ns].
 * Returns 0, -EINVAL or -ERANGE.
 */
int parse_duration_ns(const char *what, const char *s, int64_t min_ns, int64_t max_ns,
		      int64_t *out_ns);

/*
 * Percentage "50", "50%", "12.5" in [0, 100]: digits with an optional
 * fraction and an optional trailing '%'; no sign, exponent, nan or inf.
 * Returns 0, -EINVAL or -ERANGE.
 */
int parse_pct(const char *what, const char *s, double *out_pct);

/*
 * A percentage above 0, in (0, 100] (a duty cycle, a CPU quota): the syntax
 * of parse_pct(), and "0" is out of range too, said as "'0' is out of range
 * (0, 100]". @note (NULL: none) ends that message, for a caller that also
 * takes a word: " (or 'none' for no limit)". Returns 0, -EINVAL or -ERANGE.
 */
int parse_pct_positive(const char *what, const char *s, const char *note, double *out_pct);

/*
 * CPU list "0", "0,2-3", "1-1". Ranges must ascend, CPUs must be below
 * CPU_SETSIZE (else -ERANGE). Duplicates are allowed (the set is the union).
 */
int parse_cpulist(const char *what, const char *s, cpu_set_t *out);

/*
 * The online CPUs from <root>/sys/devices/system/cpu/online (root "" or NULL
 * for the real system). Returns 0, -errno when the file cannot be read
 * (-EFBIG past CPULIST_FMT_LEN bytes), or a parse_cpulist() error (the
 * message names the file).
 */
int cpus_online(const char *root, cpu_set_t *out);

/*
 * Check that every CPU in @set is online under @root; the error names the
 * first one that is not and lists the online ones:
 * "--cpu: CPU 5 is not online (online: 0-1)". Returns 0, -EINVAL, or a
 * cpus_online() error.
 */
int cpulist_check_online(const char *what, const cpu_set_t *set, const char *root);

/*
 * Format @set as a canonical list "0,2-3" into @buf ("" for an empty set).
 * CPULIST_FMT_LEN always suffices; a shorter buffer gets only the entries
 * that fit whole (still terminated). Returns @buf.
 */
char *cpulist_format(const cpu_set_t *set, char *buf, size_t len);

/*
 * Format a duration in ns with the largest unit that shows it exactly with
 * at most three decimals ("1500us" -> "1.5ms", 2000000000 -> "2s",
 * 1234567 -> "1234.567us", 0 -> "0ns"). The text parses back to the same
 * value with parse_duration_ns(). DURATION_FMT_LEN always suffices. Returns @buf.
 */
char *duration_format(int64_t ns, char *buf, size_t len);

/* ---- cumulative kernel counters (silent) ------------------------------- */

/* The first byte in [@p, @end) that is not a space or tab (@end if none). */
const char *parse_skip_blanks(const char *p, const char *end);

/*
 * The unsigned decimal token at *@p: the bytes up to the next space, tab or
 * @end (the text need not be NUL-terminated). It must be 1 or more digits
 * with no sign ("-1" would wrap through strtoull) and at most UINT64_MAX.
 * *@p moves to the end of the token whether or not it parses, so the caller
 * can quote it. Returns 0, -EINVAL (empty or not all digits) or -ERANGE.
 * Logs nothing.
 */
int parse_u64_token(const char **p, const char *end, uint64_t *out);

/*
 * @cur - @prev for a cumulative counter, 0 when it went backwards: dyn-tick
 * kernels let /proc/stat idle and iowait step back, and two unlocked reads
 * can disagree by a tick. A step back is never a huge unsigned delta.
 */
static inline uint64_t parse_counter_delta(uint64_t prev, uint64_t cur)
{
	return cur >= prev ? cur - prev : 0;
}

#endif
