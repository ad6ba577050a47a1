/*
 * test_parse: unit tests for common/parse.c.
 *
 * Every rejected input asserts both the return code and the exact message
 * left in log_last_error(), and that the output argument was not touched.
 * The online-CPU tests read fixture trees under TEST_FIXTURES/cpus-<case>;
 * only one test looks at the real /sys, and it skips when /sys is absent.
 * These tests must never depend on the machine's CPU count for pass/fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#define SENTINEL 777

#define I64_OK(s, min, max, want) do {                                          \
	int64_t v_ = SENTINEL;                                                  \
	assert_int_equal(parse_i64("--procs", (s), (min), (max), &v_), 0);      \
	assert_int_equal(v_, (want));                                           \
} while (0)

#define I64_BAD(s, min, max, rc, msg) do {                                      \
	int64_t v_ = SENTINEL;                                                  \
	assert_int_equal(parse_i64("--procs", (s), (min), (max), &v_), (rc));   \
	assert_string_equal(log_last_error(), (msg));                           \
	assert_int_equal(v_, SENTINEL);                                         \
} while (0)

#define DUR_OK(s, want) do {                                                    \
	int64_t v_ = SENTINEL;                                                  \
	assert_int_equal(parse_duration_ns("--interval", (s), 0, INT64_MAX, &v_), 0); \
	assert_int_equal(v_, (want));                                           \
} while (0)

#define DUR_BAD_RANGE(s, min, max, rc, msg) do {                                \
	int64_t v_ = SENTINEL;                                                  \
	assert_int_equal(parse_duration_ns("--interval", (s), (min), (max), &v_), (rc)); \
	assert_string_equal(log_last_error(), (msg));                           \
	assert_int_equal(v_, SENTINEL);                                         \
} while (0)

#define DUR_BAD(s, msg) DUR_BAD_RANGE((s), 0, INT64_MAX, -EINVAL, (msg))

/* @fn is parse_pct or parse_f64: the double parsers share these checks. */
#define DBL_OK(fn, what, s, want) do {                                          \
	double v_ = -1.0;                                                       \
	assert_int_equal(fn((what), (s), &v_), 0);                              \
	assert_true(v_ == (want));                                              \
} while (0)

#define DBL_BAD(fn, what, s, rc, msg) do {                                      \
	double v_ = -1.0;                                                       \
	assert_int_equal(fn((what), (s), &v_), (rc));                           \
	assert_string_equal(log_last_error(), (msg));                           \
	assert_true(v_ == -1.0);                                                \
} while (0)

#define PCT_OK(s, want) DBL_OK(parse_pct, "--load", (s), (want))
#define PCT_BAD(s, rc, msg) DBL_BAD(parse_pct, "--load", (s), (rc), (msg))
#define F64_OK(s, want) DBL_OK(parse_f64, "pct", (s), (want))
#define F64_BAD(s, rc, msg) DBL_BAD(parse_f64, "pct", (s), (rc), (msg))

/* Parse @s and compare its canonical form with @want. */
#define CPUS_OK(s, want) do {                                                   \
	cpu_set_t set_;                                                         \
	char buf_[CPULIST_FMT_LEN];                                             \
	assert_int_equal(parse_cpulist("--cpus", (s), &set_), 0);               \
	assert_string_equal(cpulist_format(&set_, buf_, sizeof(buf_)), (want)); \
} while (0)

#define CPUS_BAD(s, rc, msg) do {                                               \
	cpu_set_t set_;                                                         \
	CPU_ZERO(&set_);                                                        \
	CPU_SET(42, &set_);                                                     \
	assert_int_equal(parse_cpulist("--cpus", (s), &set_), (rc));            \
	assert_string_equal(log_last_error(), (msg));                           \
	assert_int_equal(CPU_COUNT(&set_), 1);                                  \
	assert_true(CPU_ISSET(42, &set_));                                      \
} while (0)

/* parse_u64_token() over all of @s: its return, and where it stopped. */
#define TOK_OK(s, want, stop) do {                                              \
	const char *t_ = (s), *p_ = t_;                                         \
	uint64_t v_ = SENTINEL;                                                 \
	assert_int_equal(parse_u64_token(&p_, t_ + strlen(t_), &v_), 0);        \
	assert_true(v_ == (uint64_t)(want));                                    \
	assert_int_equal(p_ - t_, (stop));                                      \
} while (0)

#define TOK_BAD(s, rc, stop) do {                                               \
	const char *t_ = (s), *p_ = t_;                                         \
	uint64_t v_ = SENTINEL;                                                 \
	assert_int_equal(parse_u64_token(&p_, t_ + strlen(t_), &v_), (rc));     \
	assert_int_equal(v_, SENTINEL);                                         \
	assert_int_equal(p_ - t_, (stop));                                      \
} while (0)

#define FIXTURE(name) TEST_FIXTURES "/" name

/* ---- parse_i64 ----------------------------------------------------------- */

static void test_parse_i64_accepts_in_range(void **state)
{
	(void)state;
	I64_OK("1", 1, 1024, 1);
	I64_OK("1024", 1, 1024, 1024);
	I64_OK("0", 0, 10, 0);
	I64_OK("007", 0, 10, 7);
	I64_OK("-5", -10, 10, -5);
	I64_OK("-0", 0, 0, 0);
	I64_OK("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
	I64_OK("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
}

static void test_parse_i64_rejects_malformed(void **state)
{
	(void)state;
	I64_BAD("", 1, 1024, -EINVAL, "--procs: invalid integer '': empty");
	I64_BAD(NULL, 1, 1024, -EINVAL, "--procs: invalid integer '': empty");
	I64_BAD(" 5", 1, 1024, -EINVAL, "--procs: invalid integer ' 5': contains whitespace");
	I64_BAD("5\n", 1, 1024, -EINVAL, "--procs: invalid integer '5\n': contains whitespace");
	I64_BAD("+5", 1, 1024, -EINVAL, "--procs: invalid integer '+5': a '+' sign is not allowed");
	I64_BAD("abc", 1, 1024, -EINVAL, "--procs: invalid integer 'abc': not a number");
	I64_BAD("-", 1, 1024, -EINVAL, "--procs: invalid integer '-': not a number");
	I64_BAD("--5", -10, 10, -EINVAL, "--procs: invalid integer '--5': not a number");
	I64_BAD("10x", 1, 1024, -EINVAL, "--procs: invalid integer '10x': trailing characters 'x'");
	I64_BAD("0x10", 0, 1024, -EINVAL,
		"--procs: invalid integer '0x10': trailing characters 'x10'");
	I64_BAD("1.5", 1, 1024, -EINVAL, "--procs: invalid integer '1.5': trailing characters '.5'");
}

static void test_parse_i64_rejects_out_of_range(void **state)
{
	(void)state;
	I64_BAD("0", 1, 1024, -ERANGE, "--procs: '0' is out of range [1, 1024]");
	I64_BAD("1025", 1, 1024, -ERANGE, "--procs: '1025' is out of range [1, 1024]");
	I64_BAD("-1", 0, 1024, -ERANGE, "--procs: '-1' is out of range [0, 1024]");
	I64_BAD("9223372036854775808", INT64_MIN, INT64_MAX, -ERANGE,
		"--procs: '9223372036854775808' is out of range "
		"[-9223372036854775808, 9223372036854775807]");
	I64_BAD("-99999999999999999999", INT64_MIN, INT64_MAX, -ERANGE,
		"--procs: '-99999999999999999999' is out of range "
		"[-9223372036854775808, 9223372036854775807]");
}

/* ---- parse_f64 ----------------------------------------------------------- */

static void test_parse_f64_accepts_decimal(void **state)
{
	(void)state;
	F64_OK("0", 0.0);
	F64_OK("12", 12.0);
	F64_OK("-0.25", -0.25);
	F64_OK("1.5e3", 1500.0);
	F64_OK("2E-2", 0.02);
	F64_OK("1e+21", 1e21);
	F64_OK("007.50", 7.5);
	/* Too small for a double is not an error: it reads as (nearly) zero. */
	F64_OK("1e-400", 0.0);
}

static void test_parse_f64_rejects_non_decimal(void **state)
{
	(void)state;
	F64_BAD("", -EINVAL, "pct: invalid number '': empty");
	F64_BAD(NULL, -EINVAL, "pct: invalid number '': empty");
	F64_BAD("nan", -EINVAL, "pct: invalid number 'nan': not a number");
	F64_BAD("NaN", -EINVAL, "pct: invalid number 'NaN': not a number");
	F64_BAD("inf", -EINVAL, "pct: invalid number 'inf': not a number");
	F64_BAD("-inf", -EINVAL, "pct: invalid number '-inf': not a number");
	F64_BAD("infinity", -EINVAL, "pct: invalid number 'infinity': not a number");
	F64_BAD("0x1p3", -EINVAL, "pct: invalid number '0x1p3': trailing characters 'x1p3'");
	F64_BAD("0x10", -EINVAL, "pct: invalid number '0x10': trailing characters 'x10'");
	F64_BAD("+5", -EINVAL, "pct: invalid number '+5': a '+' sign is not allowed");
	F64_BAD(" 1", -EINVAL, "pct: invalid number ' 1': contains whitespace");
	F64_BAD("1 ", -EINVAL, "pct: invalid number '1 ': contains whitespace");
	F64_BAD(".5", -EINVAL, "pct: invalid number '.5': not a number");
	F64_BAD("-", -EINVAL, "pct: invalid number '-': not a number");
	F64_BAD("1.", -EINVAL, "pct: invalid number '1.': expected digits after '.'");
	F64_BAD("1e", -EINVAL, "pct: invalid number '1e': expected digits in the exponent");
	F64_BAD("1e+", -EINVAL, "pct: invalid number '1e+': expected digits in the exponent");
	F64_BAD("1.5.2", -EINVAL, "pct: invalid number '1.5.2': trailing characters '.2'");
	F64_BAD("12%", -EINVAL, "pct: invalid number '12%': trailing characters '%'");
	F64_BAD("1e999", -ERANGE, "pct: '1e999' is out of range for a double");
	F64_BAD("-1e999", -ERANGE, "pct: '-1e999' is out of range for a double");
}

/* ---- counter tokens and deltas -------------------------------------------- */

static void test_parse_u64_token_strict(void **state)
{
	static const char line[] = "  12\t34 x";
	const char *p = line, *end = line + strlen(line);
	uint64_t v = 0;

	(void)state;
	TOK_OK("0", 0, 1);
	TOK_OK("42 7", 42, 2);                 /* stops at the blank */
	TOK_OK("18446744073709551615", UINT64_MAX, 20);
	TOK_OK("000000000000000000000001", 1, 24);
	TOK_BAD("18446744073709551616", -ERANGE, 20);
	TOK_BAD("99999999999999999999999", -ERANGE, 23);
	TOK_BAD("-1", -EINVAL, 2);             /* strtoull would wrap it */
	TOK_BAD("+1", -EINVAL, 2);
	TOK_BAD("12x3 4", -EINVAL, 4);         /* the whole token, for the message */
	TOK_BAD("0x10", -EINVAL, 4);
	TOK_BAD("", -EINVAL, 0);
	TOK_BAD(" 1", -EINVAL, 0);             /* blanks are the caller's to skip */

	/* The text need not be NUL-terminated: @end bounds the token. */
	p = line + 2;
	assert_int_equal(parse_u64_token(&p, line + 3, &v), 0);
	assert_true(v == 1);
	assert_true(p == line + 3);
	p = parse_skip_blanks(line, end);
	assert_true(p == line + 2);
	assert_int_equal(parse_u64_token(&p, end, &v), 0);
	assert_true(v == 12);
	p = parse_skip_blanks(p, end);
	assert_int_equal(parse_u64_token(&p, end, &v), 0);
	assert_true(v == 34);
	p = parse_skip_blanks(p, end);
	assert_int_equal(parse_u64_token(&p, end, &v), -EINVAL);
	assert_true(p == end);
	assert_true(parse_skip_blanks(end, end) == end);
}

static void test_parse_counter_delta_clamps(void **state)
{
	(void)state;
	assert_true(parse_counter_delta(10, 25) == 15);
	assert_true(parse_counter_delta(7, 7) == 0);
	assert_true(parse_counter_delta(25, 10) == 0);          /* went backwards */
	assert_true(parse_counter_delta(1, 0) == 0);            /* never UINT64_MAX */
	assert_true(parse_counter_delta(0, UINT64_MAX) == UINT64_MAX);
}

/* ---- parse_duration_ns --------------------------------------------------- */

static void test_parse_duration_accepts_units(void **state)
{
	(void)state;
	DUR_OK("250ns", 250);
	DUR_OK("500us", 500000);
	DUR_OK("100ms", 100000000);
	DUR_OK("2s", 2000000000);
	DUR_OK("0", 0);
	DUR_OK("0ms", 0);
	DUR_OK("0.0", 0);
	DUR_OK("9223372036854775807ns", INT64_MAX);
	DUR_OK("9223372036s", 9223372036000000000LL);
}

static void test_parse_duration_accepts_exact_decimals(void **state)
{
	(void)state;
	DUR_OK("1.5ms", 1500000);
	DUR_OK("1.5s", 1500000000);
	DUR_OK("0.1s", 100000000);
	DUR_OK("0.000000001s", 1);
	DUR_OK("2.500us", 2500);
	DUR_OK("1.000000000000s", 1000000000);   /* extra zeros are still exact */
	DUR_OK("3.0ns", 3);
}

static void test_parse_duration_rejects_malformed(void **state)
{
	(void)state;
	DUR_BAD("", "--interval: invalid duration '': empty (use e.g. 500us, 100ms, 2s)");
	DUR_BAD(NULL, "--interval: invalid duration '': empty (use e.g. 500us, 100ms, 2s)");
	DUR_BAD("10 ms", "--interval: invalid duration '10 ms': contains whitespace");
	DUR_BAD("-5ms", "--interval: invalid duration '-5ms': a sign is not allowed");
	DUR_BAD("+5ms", "--interval: invalid duration '+5ms': a sign is not allowed");
	DUR_BAD("ms", "--interval: invalid duration 'ms': expected a number");
	DUR_BAD(".5ms", "--interval: invalid duration '.5ms': expected a number");
	DUR_BAD("1.ms", "--interval: invalid duration '1.ms': expected digits after '.'");
	DUR_BAD("10x", "--interval: invalid duration '10x': unknown unit 'x' (use ns, us, ms, s)");
	DUR_BAD("10MS", "--interval: invalid duration '10MS': unknown unit 'MS' (use ns, us, ms, s)");
	DUR_BAD("10ms5",
		"--interval: invalid duration '10ms5': unknown unit 'ms5' (use ns, us, ms, s)");
	DUR_BAD("1e3ms",
		"--interval: invalid duration '1e3ms': unknown unit 'e3ms' (use ns, us, ms, s)");
}

static void test_parse_duration_rejects_bare_number(void **state)
{
	(void)state;
	DUR_BAD("10", "--interval: invalid duration '10': missing unit (use ns, us, ms, s)");
	DUR_BAD("0.5", "--interval: invalid duration '0.5': missing unit (use ns, us, ms, s)");
}

static void test_parse_duration_rejects_fractional_ns(void **state)
{
	(void)state;
	DUR_BAD("1.5ns", "--interval: invalid duration '1.5ns': not a whole number of nanoseconds");
	DUR_BAD("0.0001us",
		"--interval: invalid duration '0.0001us': not a whole number of nanoseconds");
	DUR_BAD("1.0000000001s",
		"--interval: invalid duration '1.0000000001s': not a whole number of nanoseconds");
}

static void test_parse_duration_rejects_out_of_range(void **state)
{
	(void)state;
	DUR_BAD_RANGE("2s", NS_PER_US, 1000000000, -ERANGE,
		      "--interval: '2s' is out of range [1us, 1s]");
	DUR_BAD_RANGE("500ns", NS_PER_US, 1000000000, -ERANGE,
		      "--interval: '500ns' is out of range [1us, 1s]");
	DUR_BAD_RANGE("0", 1500000, 1000000000, -ERANGE,
		      "--interval: '0' is out of range [1.5ms, 1s]");
	DUR_BAD_RANGE("9223372037s", 0, INT64_MAX, -ERANGE,
		      "--interval: '9223372037s' is out of range [0ns, 9223372036854775.807us]");
	DUR_BAD_RANGE("99999999999999999999ns", 0, INT64_MAX, -ERANGE,
		      "--interval: '99999999999999999999ns' is out of range "
		      "[0ns, 9223372036854775.807us]");
}

static void test_parse_duration_format_picks_unit(void **state)
{
	char buf[DURATION_FMT_LEN];

	(void)state;
	assert_string_equal(duration_format(0, buf, sizeof(buf)), "0ns");
	assert_string_equal(duration_format(250, buf, sizeof(buf)), "250ns");
	assert_string_equal(duration_format(1500, buf, sizeof(buf)), "1.5us");
	assert_string_equal(duration_format(250000, buf, sizeof(buf)), "250us");
	assert_string_equal(duration_format(1500000, buf, sizeof(buf)), "1.5ms");
	assert_string_equal(duration_format(1234567, buf, sizeof(buf)), "1234.567us");
	assert_string_equal(duration_format(2000000000, buf, sizeof(buf)), "2s");
	assert_string_equal(duration_format(2050000000, buf, sizeof(buf)), "2.05s");
	assert_string_equal(duration_format(90000000000LL, buf, sizeof(buf)), "90s");
	assert_string_equal(duration_format(-1500000, buf, sizeof(buf)), "-1.5ms");
	assert_string_equal(duration_format(INT64_MIN, buf, sizeof(buf)),
			    "-9223372036854775.808us");
	assert_string_equal(duration_format(1500000, buf, 4), "1.5");   /* truncated */
}

static void test_parse_duration_format_round_trips(void **state)
{
	static const int64_t values[] = {
		0, 1, 999, 1000, 1001, 1500, 999999, 1000000, 1234567, 1500000000,
		86400000000000LL, INT64_MAX,
	};
	char buf[DURATION_FMT_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int64_t back = -1;

		duration_format(values[i], buf, sizeof(buf));
		assert_int_equal(parse_duration_ns("t", buf, 0, INT64_MAX, &back), 0);
		assert_int_equal(back, values[i]);
	}
}

/* ---- parse_pct ----------------------------------------------------------- */

static void test_parse_pct_accepts_forms(void **state)
{
	(void)state;
	PCT_OK("50", 50.0);
	PCT_OK("50%", 50.0);
	PCT_OK("12.5", 12.5);
	PCT_OK("12.5%", 12.5);
	PCT_OK("0", 0.0);
	PCT_OK("100", 100.0);
	PCT_OK("100.0%", 100.0);
	PCT_OK("0.000001", 0.000001);
}

static void test_parse_pct_rejects_malformed(void **state)
{
	(void)state;
	PCT_BAD("", -EINVAL, "--load: invalid percentage '': empty");
	PCT_BAD(NULL, -EINVAL, "--load: invalid percentage '': empty");
	PCT_BAD("50 %", -EINVAL, "--load: invalid percentage '50 %': contains whitespace");
	PCT_BAD("-5", -EINVAL, "--load: invalid percentage '-5': a sign is not allowed");
	PCT_BAD("+5", -EINVAL, "--load: invalid percentage '+5': a sign is not allowed");
	PCT_BAD("abc", -EINVAL, "--load: invalid percentage 'abc': not a number");
	PCT_BAD("nan", -EINVAL, "--load: invalid percentage 'nan': not a number");
	PCT_BAD("inf", -EINVAL, "--load: invalid percentage 'inf': not a number");
	PCT_BAD(".5", -EINVAL, "--load: invalid percentage '.5': not a number");
	PCT_BAD("%", -EINVAL, "--load: invalid percentage '%': not a number");
	PCT_BAD("5.", -EINVAL, "--load: invalid percentage '5.': expected digits after '.'");
	PCT_BAD("50%%", -EINVAL, "--load: invalid percentage '50%%': trailing characters '%%'");
	PCT_BAD("50x", -EINVAL, "--load: invalid percentage '50x': trailing characters 'x'");
	PCT_BAD("1e2", -EINVAL, "--load: invalid percentage '1e2': trailing characters 'e2'");
	PCT_BAD("0x10", -EINVAL, "--load: invalid percentage '0x10': trailing characters 'x10'");
}

static void test_parse_pct_rejects_out_of_range(void **state)
{
	(void)state;
	PCT_BAD("100.5", -ERANGE, "--load: '100.5' is out of range [0, 100]");
	PCT_BAD("150%", -ERANGE, "--load: '150%' is out of range [0, 100]");
	PCT_BAD("1000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000",
		-ERANGE,
		"--load: '1000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000"
		"' is out of range [0, 100]");
}

/* A duty cycle or a quota: above 0, and the message says so for both ends. */
static void test_parse_pct_positive_excludes_zero(void **state)
{
	double v = 7.0;

	(void)state;
	assert_int_equal(parse_pct_positive("--duty", "0.5%", NULL, &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(parse_pct_positive("--duty", "100", NULL, &v), 0);
	assert_true(v == 100.0);
	v = 7.0;
	assert_int_equal(parse_pct_positive("--duty", "0", NULL, &v), -ERANGE);
	assert_string_equal(log_last_error(), "--duty: '0' is out of range (0, 100]");
	assert_int_equal(parse_pct_positive("--duty", "0.0%", NULL, &v), -ERANGE);
	assert_int_equal(parse_pct_positive("--duty", "150", NULL, &v), -ERANGE);
	assert_string_equal(log_last_error(), "--duty: '150' is out of range (0, 100]");
	assert_int_equal(parse_pct_positive("quota", "100.01", " (or 'none')", &v), -ERANGE);
	assert_string_equal(log_last_error(), "quota: '100.01' is out of range (0, 100] (or 'none')");
	/* far past a double: still the range, not "inf" */
	assert_int_equal(parse_pct_positive("--duty", "1" "000000000000000000000000000000"
					    "0000000000000000000000000000000000000000000000000"
					    "0000000000000000000000000000000000000000000000000"
					    "0000000000000000000000000000000000000000000000000"
					    "0000000000000000000000000000000000000000000000000"
					    "0000000000000000000000000000000000000000000000000"
					    "0000000000000000000000000000000000000000000000000",
					    NULL, &v), -ERANGE);
	assert_non_null(strstr(log_last_error(), "is out of range (0, 100]"));
	/* the syntax is parse_pct()'s */
	assert_int_equal(parse_pct_positive("--duty", "-5", NULL, &v), -EINVAL);
	assert_string_equal(log_last_error(), "--duty: invalid percentage '-5': a sign is not allowed");
	assert_int_equal(parse_pct_positive("--duty", "half", NULL, &v), -EINVAL);
	assert_true(v == 7.0);                  /* untouched on error */
}

/* ---- parse_cpulist / cpulist_format -------------------------------------- */

static void test_parse_cpulist_accepts_lists(void **state)
{
	(void)state;
	CPUS_OK("0", "0");
	CPUS_OK("0,2-3", "0,2-3");
	CPUS_OK("1-1", "1");
	CPUS_OK("3,0,1", "0-1,3");
	CPUS_OK("0-3,2-5", "0-5");        /* overlaps: the union */
	CPUS_OK("1,1,1", "1");
	CPUS_OK("007", "7");
	CPUS_OK("1023", "1023");
	CPUS_OK("0-1023", "0-1023");
}

static void test_parse_cpulist_rejects_malformed(void **state)
{
	(void)state;
	CPUS_BAD("", -EINVAL, "--cpus: invalid CPU list '': empty");
	CPUS_BAD(NULL, -EINVAL, "--cpus: invalid CPU list '': empty");
	CPUS_BAD(",", -EINVAL, "--cpus: invalid CPU list ',': empty entry");
	CPUS_BAD("1,", -EINVAL, "--cpus: invalid CPU list '1,': empty entry");
	CPUS_BAD(",1", -EINVAL, "--cpus: invalid CPU list ',1': empty entry");
	CPUS_BAD("1,,2", -EINVAL, "--cpus: invalid CPU list '1,,2': empty entry");
	CPUS_BAD("0, 1", -EINVAL, "--cpus: invalid CPU list '0, 1': contains whitespace");
	CPUS_BAD("-1", -EINVAL, "--cpus: invalid CPU list '-1': expected a CPU number at '-1'");
	CPUS_BAD("a", -EINVAL, "--cpus: invalid CPU list 'a': expected a CPU number at 'a'");
	CPUS_BAD("+1", -EINVAL, "--cpus: invalid CPU list '+1': expected a CPU number at '+1'");
	CPUS_BAD("1-a", -EINVAL, "--cpus: invalid CPU list '1-a': expected a CPU number at 'a'");
	CPUS_BAD("1-", -EINVAL, "--cpus: invalid CPU list '1-': range has no end");
	CPUS_BAD("1-,2", -EINVAL, "--cpus: invalid CPU list '1-,2': range has no end");
	CPUS_BAD("3-1", -EINVAL, "--cpus: invalid CPU list '3-1': range goes backwards");
	CPUS_BAD("1-2-3", -EINVAL, "--cpus: invalid CPU list '1-2-3': unexpected text '-3'");
	CPUS_BAD("1a", -EINVAL, "--cpus: invalid CPU list '1a': unexpected text 'a'");
	CPUS_BAD("0x1", -EINVAL, "--cpus: invalid CPU list '0x1': unexpected text 'x1'");
}

static void test_parse_cpulist_rejects_cpu_past_setsize(void **state)
{
	(void)state;
	CPUS_BAD("1024", -ERANGE, "--cpus: invalid CPU list '1024': CPU 1024 is out of range [0, 1023]");
	CPUS_BAD("0-1024", -ERANGE,
		 "--cpus: invalid CPU list '0-1024': CPU 1024 is out of range [0, 1023]");
	CPUS_BAD("99999999999999999999", -ERANGE,
		 "--cpus: invalid CPU list '99999999999999999999': "
		 "CPU 99999999999999999999 is out of range [0, 1023]");
}

static void test_parse_cpulist_format_canonical(void **state)
{
	char buf[CPULIST_FMT_LEN];
	cpu_set_t set;
	int cpu;

	(void)state;
	CPU_ZERO(&set);
	assert_string_equal(cpulist_format(&set, buf, sizeof(buf)), "");

	CPU_SET(0, &set);
	CPU_SET(2, &set);
	CPU_SET(3, &set);
	assert_string_equal(cpulist_format(&set, buf, sizeof(buf)), "0,2-3");
	assert_string_equal(cpulist_format(&set, buf, 5), "0");       /* whole entries only */
	assert_string_equal(cpulist_format(&set, buf, 6), "0,2-3");

	/* The longest list: every other CPU; it must fit CPULIST_FMT_LEN. */
	CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu += 2)
		CPU_SET(cpu, &set);
	cpulist_format(&set, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "0,2,4,", 6), 0);
	assert_non_null(strstr(buf, ",1020,1022"));
	assert_int_equal(buf[strlen(buf) - 1], '2');
	assert_true(strlen(buf) < sizeof(buf) - 1);
}

/* ---- cpus_online / cpulist_check_online ---------------------------------- */

static void test_parse_cpus_online_reads_fixtures(void **state)
{
	char buf[CPULIST_FMT_LEN];
	cpu_set_t set;

	(void)state;
	assert_int_equal(cpus_online(FIXTURE("cpus-two"), &set), 0);
	assert_string_equal(cpulist_format(&set, buf, sizeof(buf)), "0-1");
	assert_int_equal(cpus_online(FIXTURE("cpus-sparse"), &set), 0);
	assert_string_equal(cpulist_format(&set, buf, sizeof(buf)), "0,2-3,8");
	assert_int_equal(cpus_online(FIXTURE("cpus-single"), &set), 0);
	assert_string_equal(cpulist_format(&set, buf, sizeof(buf)), "0");
}

static void test_parse_cpus_online_rejects_bad_files(void **state)
{
	cpu_set_t set;

	(void)state;
	assert_int_equal(cpus_online(FIXTURE("cpus-none"), &set), -ENOENT);
	assert_string_equal(log_last_error(),
			    "open " FIXTURE("cpus-none") "/sys/devices/system/cpu/online: "
			    "No such file or directory");
	assert_int_equal(cpus_online(FIXTURE("cpus-empty"), &set), -EINVAL);
	assert_string_equal(log_last_error(),
			    FIXTURE("cpus-empty") "/sys/devices/system/cpu/online: "
			    "invalid CPU list '': empty");
	assert_int_equal(cpus_online(FIXTURE("cpus-garbage"), &set), -EINVAL);
	assert_string_equal(log_last_error(),
			    FIXTURE("cpus-garbage") "/sys/devices/system/cpu/online: "
			    "invalid CPU list '0-x': expected a CPU number at 'x'");
	assert_int_equal(cpus_online(FIXTURE("cpus-backwards"), &set), -EINVAL);
	assert_string_equal(log_last_error(),
			    FIXTURE("cpus-backwards") "/sys/devices/system/cpu/online: "
			    "invalid CPU list '3-1': range goes backwards");
}

static void test_parse_cpus_online_real_system(void **state)
{
	cpu_set_t set;
	long n;

	(void)state;
	if (access("/sys/devices/system/cpu/online", R_OK))
		skip();                /* no sysfs here (minimal container) */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(cpus_online(NULL, &set), 0);
	assert_true(CPU_COUNT(&set) >= 1);
	/* glibc answers _SC_NPROCESSORS_ONLN from the same sysfs file. */
	if (n > 0)
		assert_int_equal(CPU_COUNT(&set), n);
	assert_int_equal(cpus_online("", &set), 0);
	assert_true(CPU_COUNT(&set) >= 1);
}

static void test_parse_cpulist_check_online(void **state)
{
	cpu_set_t set;

	(void)state;
	assert_int_equal(parse_cpulist("--cpu", "0-1", &set), 0);
	assert_int_equal(cpulist_check_online("--cpu", &set, FIXTURE("cpus-two")), 0);

	assert_int_equal(parse_cpulist("--cpu", "1,5,7", &set), 0);
	assert_int_equal(cpulist_check_online("--cpu", &set, FIXTURE("cpus-two")), -EINVAL);
	assert_string_equal(log_last_error(), "--cpu: CPU 5 is not online (online: 0-1)");

	assert_int_equal(parse_cpulist("--cpu", "0,1", &set), 0);
	assert_int_equal(cpulist_check_online("--cpu", &set, FIXTURE("cpus-sparse")), -EINVAL);
	assert_string_equal(log_last_error(), "--cpu: CPU 1 is not online (online: 0,2-3,8)");

	assert_int_equal(cpulist_check_online("--cpu", &set, FIXTURE("cpus-none")), -ENOENT);
	assert_string_equal(log_last_error(),
			    "open " FIXTURE("cpus-none") "/sys/devices/system/cpu/online: "
			    "No such file or directory");
}

static int group_setup(void **state)
{
	(void)state;
	log_set_quiet(1);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_i64_accepts_in_range),
		cmocka_unit_test(test_parse_i64_rejects_malformed),
		cmocka_unit_test(test_parse_i64_rejects_out_of_range),
		cmocka_unit_test(test_parse_f64_accepts_decimal),
		cmocka_unit_test(test_parse_f64_rejects_non_decimal),
		cmocka_unit_test(test_parse_u64_token_strict),
		cmocka_unit_test(test_parse_counter_delta_clamps),
		cmocka_unit_test(test_parse_duration_accepts_units),
		cmocka_unit_test(test_parse_duration_accepts_exact_decimals),
		cmocka_unit_test(test_parse_duration_rejects_malformed),
		cmocka_unit_test(test_parse_duration_rejects_bare_number),
		cmocka_unit_test(test_parse_duration_rejects_fractional_ns),
		cmocka_unit_test(test_parse_duration_rejects_out_of_range),
		cmocka_unit_test(test_parse_duration_format_picks_unit),
		cmocka_unit_test(test_parse_duration_format_round_trips),
		cmocka_unit_test(test_parse_pct_accepts_forms),
		cmocka_unit_test(test_parse_pct_rejects_malformed),
		cmocka_unit_test(test_parse_pct_rejects_out_of_range),
		cmocka_unit_test(test_parse_pct_positive_excludes_zero),
		cmocka_unit_test(test_parse_cpulist_accepts_lists),
		cmocka_unit_test(test_parse_cpulist_rejects_malformed),
		cmocka_unit_test(test_parse_cpulist_rejects_cpu_past_setsize),
		cmocka_unit_test(test_parse_cpulist_format_canonical),
		cmocka_unit_test(test_parse_cpus_online_reads_fixtures),
		cmocka_unit_test(test_parse_cpus_online_rejects_bad_files),
		cmocka_unit_test(test_parse_cpus_online_real_system),
		cmocka_unit_test(test_parse_cpulist_check_online),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
