/*
 * fuzz_parse: the strict value parsers of common/parse.h on arbitrary text.
 *
 * The input, cut at its first NUL, goes to each of parse_i64(),
 * parse_f64(), parse_pct(), parse_pct_positive(), parse_duration_ns() and
 * parse_cpulist(), so coverage found for one feeds the others. Checked,
 * beyond "no crash":
 *   - a failure returns -EINVAL or -ERANGE, logs a message naming the value,
 *     and leaves the output alone (parse.h: outputs are written only on
 *     success);
 *   - a narrower range accepts exactly the values of the full range that lie
 *     inside it, and refuses the others with -ERANGE;
 *   - round trips: i64 -> "%lld" -> same; f64 -> "%.17g" -> same bits;
 *     duration -> duration_format() -> same ns; cpulist -> cpulist_format()
 *     -> same set, and the canonical text formats to itself;
 *   - a percentage is in [0, 100] and reads as the same number with
 *     parse_f64() (without its '%'); parse_pct_positive() accepts exactly
 *     the percentages above 0, and says why it refuses the others;
 *   - duration_format() of any non-negative int64 taken from the input bytes
 *     fits DURATION_FMT_LEN and parses back to the same ns.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "common/log.h"
#include "common/parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHAT "fuzz-value"
#define I64_SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define F_SENTINEL 12345.25

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

/* The error contract of parse.h: the code, and a message naming WHAT. */
static void check_failure(int rc)
{
	FUZZ_CHECK_ERROR(rc, -EINVAL, -ERANGE, -ERANGE);
	FUZZ_CHECKF(strstr(log_last_error(), WHAT) != NULL, "message '%s' does not name '%s'",
		    log_last_error(), WHAT);
}

static void fuzz_i64(const char *s)
{
	int64_t v = I64_SENTINEL, narrow = I64_SENTINEL, back = I64_SENTINEL;
	char text[32];
	int rc, nrc;

	fuzz_clear_last_error();
	rc = parse_i64(WHAT, s, INT64_MIN, INT64_MAX, &v);
	if (rc) {
		check_failure(rc);
		FUZZ_CHECK(v == I64_SENTINEL);
	} else {
		snprintf(text, sizeof(text), "%" PRId64, v);
		FUZZ_CHECKF(parse_i64(WHAT, text, INT64_MIN, INT64_MAX, &back) == 0 && back == v,
			    "'%s' -> %" PRId64 " -> '%s' -> %" PRId64, s, v, text, back);
	}

	fuzz_clear_last_error();
	nrc = parse_i64(WHAT, s, -1000, 1000, &narrow);
	if (!rc && v >= -1000 && v <= 1000)
		FUZZ_CHECKF(nrc == 0 && narrow == v, "'%s' in range but narrow parse gave %d", s,
			    nrc);
	else if (!rc)
		FUZZ_CHECKF(nrc == -ERANGE, "'%s' out of [-1000, 1000] but narrow parse gave %d",
			    s, nrc);
	else
		FUZZ_CHECKF(nrc == rc, "'%s': full range %d, narrow %d", s, rc, nrc);
	if (nrc) {
		check_failure(nrc);
		FUZZ_CHECK(narrow == I64_SENTINEL);
	}
}

static void fuzz_f64(const char *s)
{
	double v = F_SENTINEL, back = F_SENTINEL;
	char text[64];
	int rc;

	fuzz_clear_last_error();
	rc = parse_f64(WHAT, s, &v);
	if (rc) {
		check_failure(rc);
		FUZZ_CHECK(v == F_SENTINEL);
		return;
	}
	FUZZ_CHECKF(isfinite(v), "'%s' read as %g", s, v);
	snprintf(text, sizeof(text), "%.17g", v);
	FUZZ_CHECKF(parse_f64(WHAT, text, &back) == 0 && !memcmp(&back, &v, sizeof(v)),
		    "'%s' -> %.17g -> '%s' -> %.17g", s, v, text, back);
}

static void fuzz_pct(const char *s)
{
	double v = F_SENTINEL, f = F_SENTINEL;
	size_t n = strlen(s);
	char *plain;
	int rc;

	fuzz_clear_last_error();
	rc = parse_pct(WHAT, s, &v);
	if (rc) {
		check_failure(rc);
		FUZZ_CHECK(v == F_SENTINEL);
		return;
	}
	FUZZ_CHECKF(v >= 0 && v <= 100, "'%s' read as %g%%", s, v);
	/* The same number without its '%' is a plain decimal parse_f64() reads the same. */
	plain = strdup(s);
	FUZZ_CHECK(plain != NULL);
	if (n > 0 && plain[n - 1] == '%')
		plain[n - 1] = '\0';
	FUZZ_CHECKF(parse_f64(WHAT, plain, &f) == 0 && f == v, "'%s' is %g%% but parse_f64 %g",
		    s, v, f);
	free(plain);
}

/*
 * parse_pct_positive() is parse_pct() without 0: the same syntax, so the same
 * -EINVAL; a value parse_pct() refuses as out of range, or 0, is -ERANGE
 * with the caller's note at the end of the message.
 */
static void fuzz_pct_positive(const char *s)
{
	static const char note[] = " (fuzz-note)";
	double v = F_SENTINEL, p = F_SENTINEL;
	int rc, prc;

	fuzz_clear_last_error();
	prc = parse_pct(WHAT, s, &p);
	fuzz_clear_last_error();
	rc = parse_pct_positive(WHAT, s, note, &v);
	if (!rc) {
		FUZZ_CHECKF(!prc && p > 0 && v == p, "'%s': positive %g, parse_pct %d %g", s, v,
			    prc, p);
		return;
	}
	check_failure(rc);
	FUZZ_CHECK(v == F_SENTINEL);
	if (prc == -EINVAL) {
		FUZZ_CHECKF(rc == -EINVAL, "'%s': parse_pct -EINVAL, positive %d", s, rc);
		return;
	}
	FUZZ_CHECKF(rc == -ERANGE && (prc == -ERANGE || p == 0),
		    "'%s': positive %d, parse_pct %d %g", s, rc, prc, p);
	FUZZ_CHECKF(strstr(log_last_error(), note) != NULL, "'%s': message '%s' lacks the note",
		    s, log_last_error());
}

static void check_duration_round_trip(int64_t ns)
{
	char text[DURATION_FMT_LEN + 16];
	int64_t back = I64_SENTINEL;

	memset(text, 'x', sizeof(text));
	duration_format(ns, text, sizeof(text));
	FUZZ_CHECKF(strlen(text) < DURATION_FMT_LEN, "%" PRId64 " formats to %zu chars: '%s'",
		    ns, strlen(text), text);
	FUZZ_CHECKF(parse_duration_ns(WHAT, text, 0, INT64_MAX, &back) == 0 && back == ns,
		    "%" PRId64 " -> '%s' -> %" PRId64 " (%s)", ns, text, back, log_last_error());
}

static void fuzz_duration(const char *s)
{
	int64_t v = I64_SENTINEL, narrow = I64_SENTINEL;
	int rc, nrc;

	fuzz_clear_last_error();
	rc = parse_duration_ns(WHAT, s, 0, INT64_MAX, &v);
	if (rc) {
		check_failure(rc);
		FUZZ_CHECK(v == I64_SENTINEL);
	} else {
		FUZZ_CHECK(v >= 0);
		check_duration_round_trip(v);
	}

	fuzz_clear_last_error();
	nrc = parse_duration_ns(WHAT, s, 1000, 1000000000, &narrow);
	if (!rc && v >= 1000 && v <= 1000000000)
		FUZZ_CHECKF(nrc == 0 && narrow == v, "'%s' in range but narrow parse gave %d", s,
			    nrc);
	else if (!rc)
		FUZZ_CHECKF(nrc == -ERANGE, "'%s' out of [1us, 1s] but narrow parse gave %d", s,
			    nrc);
	else
		FUZZ_CHECKF(nrc == rc, "'%s': full range %d, narrow %d", s, rc, nrc);
	if (nrc) {
		check_failure(nrc);
		FUZZ_CHECK(narrow == I64_SENTINEL);
	}
}

static void fuzz_cpulist(const char *s)
{
	static char text[CPULIST_FMT_LEN], again[CPULIST_FMT_LEN];
	cpu_set_t set, sentinel, back;
	int rc;

	CPU_ZERO(&sentinel);
	CPU_SET(CPU_SETSIZE - 1, &sentinel);
	set = sentinel;
	fuzz_clear_last_error();
	rc = parse_cpulist(WHAT, s, &set);
	if (rc) {
		check_failure(rc);
		FUZZ_CHECK(CPU_EQUAL(&set, &sentinel));
		return;
	}
	FUZZ_CHECKF(CPU_COUNT(&set) > 0, "'%s' parsed to an empty set", s);
	cpulist_format(&set, text, sizeof(text));
	FUZZ_CHECKF(strlen(text) < sizeof(text) - 1, "'%s' formats to %zu chars", s,
		    strlen(text));
	CPU_ZERO(&back);
	FUZZ_CHECKF(parse_cpulist(WHAT, text, &back) == 0 && CPU_EQUAL(&back, &set),
		    "'%s' -> '%s' does not parse back to the same set", s, text);
	cpulist_format(&back, again, sizeof(again));
	FUZZ_CHECKF(!strcmp(text, again), "canonical '%s' formats as '%s'", text, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	uint64_t raw = 0;

	fuzz_i64(s);
	fuzz_f64(s);
	fuzz_pct(s);
	fuzz_pct_positive(s);
	fuzz_duration(s);
	fuzz_cpulist(s);

	/* duration_format() on a number straight from the bytes, sign bit cleared. */
	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	check_duration_round_trip((int64_t)(raw & (uint64_t)INT64_MAX));
	free(s);
	return 0;
}
