/*
 * parse: see parse.h. Turns user text (options, spec values, CSV cells, the
 * sysfs online mask) into numbers, durations and CPU sets, and kernel
 * counter tokens into u64, strictly.
 *
 * Each parser first checks the shape of the text by hand (digits, one
 * optional fraction, the exponent or suffix it allows) and only then hands
 * the digits to strtoll/strtod, so the C library's leniency (leading blanks,
 * signs, hex, "nan", "inf") never leaks through. Every failure of a
 * parse_<value>() is logged exactly once here, with @what, the offending text
 * and the problem; callers pass the code up without logging again. The
 * counter token parser is silent instead (its callers name the line). This
 * file must never exit, never print to stdout, and never write an output
 * argument on failure.
 */
#include "common/parse.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_ONLINE_PATH "/sys/devices/system/cpu/online"

static const char *parse_name(const char *what)
{
	return what && *what ? what : "value";
}

static int parse_has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return 1;
	return 0;
}

static const char *parse_skip_digits(const char *p)
{
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

static int parse_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- integers ------------------------------------------------------------ */

int parse_i64(const char *what, const char *s, int64_t min, int64_t max, int64_t *out)
{
	const char *w = parse_name(what);
	const char *digits;
	char *end;
	long long v;

	if (!s || !*s)
		return log_err(-EINVAL, "%s: invalid integer '': empty", w);
	if (parse_has_space(s))
		return log_err(-EINVAL, "%s: invalid integer '%s': contains whitespace", w, s);
	if (*s == '+')
		return log_err(-EINVAL, "%s: invalid integer '%s': a '+' sign is not allowed",
			       w, s);
	digits = *s == '-' ? s + 1 : s;
	if (!parse_is_digit(*digits))
		return log_err(-EINVAL, "%s: invalid integer '%s': not a number", w, s);

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return log_err(-EINVAL, "%s: invalid integer '%s': trailing characters '%s'",
			       w, s, end);
	if (errno == ERANGE || v < min || v > max)
		return log_err(-ERANGE, "%s: '%s' is out of range [%" PRId64 ", %" PRId64 "]",
			       w, s, min, max);
	*out = v;
	return 0;
}

/* ---- decimal numbers ------------------------------------------------------ */

/* What parse_decimal() accepts, and how its messages name the value. */
struct parse_decimal_rules {
	const char *kind;              /* "number", "percentage" */
	int minus;                     /* a leading '-' is allowed */
	int exponent;                  /* "e3", "E-7" is allowed */
	const char *suffix;            /* text allowed after the number ("%"), or NULL */
	double max;                    /* largest magnitude allowed */
	const char *range;             /* the range as messages state it: "[0, 100]" */
};

/*
 * The shape is checked by hand first (optional '-', digits, optional
 * fraction and exponent, the allowed suffix), so strtod only ever sees plain
 * decimal: never blanks, '+', hex, "nan" or "inf". An overflow comes back
 * from strtod as inf, which no max lets through; an underflow is a tiny
 * number or 0 and is accepted.
 */
static int parse_decimal(const char *w, const char *s, const struct parse_decimal_rules *r,
			 double *out)
{
	const char *p, *exp;
	char *end;
	double v;

	if (!s || !*s)
		return log_err(-EINVAL, "%s: invalid %s '': empty", w, r->kind);
	if (parse_has_space(s))
		return log_err(-EINVAL, "%s: invalid %s '%s': contains whitespace", w, r->kind, s);
	if (*s == '+' || (*s == '-' && !r->minus))
		return log_err(-EINVAL, "%s: invalid %s '%s': a %ssign is not allowed", w, r->kind,
			       s, r->minus ? "'+' " : "");
	p = *s == '-' ? s + 1 : s;
	if (!parse_is_digit(*p))
		return log_err(-EINVAL, "%s: invalid %s '%s': not a number", w, r->kind, s);
	p = parse_skip_digits(p);
	if (*p == '.') {
		if (!parse_is_digit(p[1]))
			return log_err(-EINVAL, "%s: invalid %s '%s': expected digits after '.'", w,
				       r->kind, s);
		p = parse_skip_digits(p + 1);
	}
	if (r->exponent && (*p == 'e' || *p == 'E')) {
		exp = p + 1;
		if (*exp == '-' || *exp == '+')
			exp++;
		if (!parse_is_digit(*exp))
			return log_err(-EINVAL, "%s: invalid %s '%s': expected digits in the exponent",
				       w, r->kind, s);
		p = parse_skip_digits(exp);
	}
	if (*p && !(r->suffix && !strcmp(p, r->suffix)))
		return log_err(-EINVAL, "%s: invalid %s '%s': trailing characters '%s'", w, r->kind,
			       s, p);

	v = strtod(s, &end);
	if (end != p)
		return log_err(-EINVAL, "%s: invalid %s '%s': not a number", w, r->kind, s);
	if (fabs(v) > r->max)
		return log_err(-ERANGE, "%s: '%s' is out of range %s", w, s, r->range);
	*out = v;
	return 0;
}

int parse_f64(const char *what, const char *s, double *out)
{
	static const struct parse_decimal_rules rules = {
		"number", 1, 1, NULL, DBL_MAX, "for a double",
	};

	return parse_decimal(parse_name(what), s, &rules, out);
}

/* ---- durations ----------------------------------------------------------- */

struct parse_unit {
	const char *name;
	int64_t ns;            /* nanoseconds per unit */
	int decimals;          /* fraction digits that still give whole ns */
};

static const struct parse_unit parse_units[] = {
	{ "ns", 1, 0 },
	{ "us", NS_PER_US, 3 },
	{ "ms", NS_PER_MS, 6 },
	{ "s", NS_PER_SEC, 9 },
};

static const struct parse_unit *parse_unit_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(parse_units) / sizeof(parse_units[0]); i++)
		if (!strcmp(parse_units[i].name, name))
			return &parse_units[i];
	return NULL;
}

static int parse_duration_range_err(const char *w, const char *s, int64_t min_ns,
				    int64_t max_ns)
{
	char lo[DURATION_FMT_LEN], hi[DURATION_FMT_LEN];

	return log_err(-ERANGE, "%s: '%s' is out of range [%s, %s]", w, s,
		       duration_format(min_ns, lo, sizeof(lo)),
		       duration_format(max_ns, hi, sizeof(hi)));
}

int parse_duration_ns(const char *what, const char *s, int64_t min_ns, int64_t max_ns,
		      int64_t *out_ns)
{
	const char *w = parse_name(what);
	const char *int_end, *frac = NULL, *frac_end, *unit_txt, *p;
	const struct parse_unit *unit;
	int64_t frac_ns = 0, total;
	long long whole;
	char *end;
	int i;

	if (!s || !*s)
		return log_err(-EINVAL, "%s: invalid duration '': empty (use e.g. 500us, 100ms, 2s)",
			       w);
	if (parse_has_space(s))
		return log_err(-EINVAL, "%s: invalid duration '%s': contains whitespace", w, s);
	if (*s == '-' || *s == '+')
		return log_err(-EINVAL, "%s: invalid duration '%s': a sign is not allowed", w, s);
	if (!parse_is_digit(*s))
		return log_err(-EINVAL, "%s: invalid duration '%s': expected a number", w, s);

	int_end = parse_skip_digits(s);
	frac_end = int_end;
	if (*int_end == '.') {
		frac = int_end + 1;
		frac_end = parse_skip_digits(frac);
		if (frac_end == frac)
			return log_err(-EINVAL, "%s: invalid duration '%s': expected digits after '.'",
				       w, s);
	}
	unit_txt = frac_end;

	errno = 0;
	whole = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return parse_duration_range_err(w, s, min_ns, max_ns);

	if (!*unit_txt) {
		/* Only zero is unambiguous without a unit. */
		int zero = whole == 0;

		for (p = frac; zero && p && p < frac_end; p++)
			zero = *p == '0';
		if (!zero)
			return log_err(-EINVAL,
				       "%s: invalid duration '%s': missing unit (use ns, us, ms, s)",
				       w, s);
		unit = &parse_units[0];
	} else {
		unit = parse_unit_find(unit_txt);
		if (!unit)
			return log_err(-EINVAL,
				       "%s: invalid duration '%s': unknown unit '%s' (use ns, us, ms, s)",
				       w, s, unit_txt);
	}

	/* Fraction: the first unit->decimals digits scale up to ns, the rest must be 0. */
	p = frac;
	for (i = 0; i < unit->decimals; i++) {
		frac_ns *= 10;
		if (p && p < frac_end)
			frac_ns += *p++ - '0';
	}
	for (; p && p < frac_end; p++)
		if (*p != '0')
			return log_err(-EINVAL,
				       "%s: invalid duration '%s': not a whole number of nanoseconds",
				       w, s);

	if (whole > (INT64_MAX - frac_ns) / unit->ns)
		return parse_duration_range_err(w, s, min_ns, max_ns);
	total = whole * unit->ns + frac_ns;
	if (total < min_ns || total > max_ns)
		return parse_duration_range_err(w, s, min_ns, max_ns);
	*out_ns = total;
	return 0;
}

char *duration_format(int64_t ns, char *buf, size_t len)
{
	/* Largest first; index 3 (ns) always fits. */
	static const struct parse_unit *const order[] = {
		&parse_units[3], &parse_units[2], &parse_units[1], &parse_units[0],
	};
	uint64_t mag = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	const char *sign = ns < 0 ? "-" : "";
	size_t i;

	if (!len)
		return buf;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint64_t u = (uint64_t)order[i]->ns;
		uint64_t milli = u / 1000;            /* one thousandth of the unit */
		unsigned frac;
		char digits[4];
		int n;

		if (u == 1 || mag < u || mag % milli)
			continue;
		frac = (unsigned)((mag % u) / milli);
		if (!frac) {
			snprintf(buf, len, "%s%" PRIu64 "%s", sign, mag / u, order[i]->name);
			return buf;
		}
		digits[0] = (char)('0' + frac / 100);
		digits[1] = (char)('0' + frac / 10 % 10);
		digits[2] = (char)('0' + frac % 10);
		digits[3] = '\0';
		for (n = 3; digits[n - 1] == '0'; n--)
			;
		snprintf(buf, len, "%s%" PRIu64 ".%.*s%s", sign, mag / u, n, digits,
			 order[i]->name);
		return buf;
	}
	snprintf(buf, len, "%s%" PRIu64 "ns", sign, mag);
	return buf;
}

/* ---- percentages --------------------------------------------------------- */

int parse_pct(const char *what, const char *s, double *out_pct)
{
	static const struct parse_decimal_rules rules = {
		"percentage", 0, 0, "%", 100.0, "[0, 100]",
	};

	return parse_decimal(parse_name(what), s, &rules, out_pct);
}

int parse_pct_positive(const char *what, const char *s, const char *note, double *out_pct)
{
	/* No range here (inf never passes "> HUGE_VAL"): one message below says both ends. */
	static const struct parse_decimal_rules rules = {
		"percentage", 0, 0, "%", HUGE_VAL, "(0, 100]",
	};
	const char *w = parse_name(what);
	double v;
	int rc;

	rc = parse_decimal(w, s, &rules, &v);
	if (rc)
		return rc;
	if (!(v > 0.0 && v <= 100.0))
		return log_err(-ERANGE, "%s: '%s' is out of range (0, 100]%s", w, s,
			       note ? note : "");
	*out_pct = v;
	return 0;
}

/* ---- CPU lists ----------------------------------------------------------- */

/* One CPU number at @p (digits already checked); -ERANGE past CPU_SETSIZE. */
static int parse_cpu_number(const char *w, const char *s, const char *p, const char **endp,
			    int *cpu)
{
	const char *q = parse_skip_digits(p);
	long long v;

	errno = 0;
	v = strtoll(p, NULL, 10);
	if (errno == ERANGE || v >= CPU_SETSIZE)
		return log_err(-ERANGE, "%s: invalid CPU list '%s': CPU %.*s is out of range [0, %d]",
			       w, s, (int)(q - p), p, CPU_SETSIZE - 1);
	*cpu = (int)v;
	*endp = q;
	return 0;
}

int parse_cpulist(const char *what, const char *s, cpu_set_t *out)
{
	const char *w = parse_name(what);
	const char *p = s;
	cpu_set_t set;
	int rc;

	if (!s || !*s)
		return log_err(-EINVAL, "%s: invalid CPU list '': empty", w);
	if (parse_has_space(s))
		return log_err(-EINVAL, "%s: invalid CPU list '%s': contains whitespace", w, s);

	CPU_ZERO(&set);
	for (;;) {
		int lo, hi, cpu;

		if (*p == ',' || !*p)
			return log_err(-EINVAL, "%s: invalid CPU list '%s': empty entry", w, s);
		if (!parse_is_digit(*p))
			return log_err(-EINVAL, "%s: invalid CPU list '%s': expected a CPU number at '%s'",
				       w, s, p);
		rc = parse_cpu_number(w, s, p, &p, &lo);
		if (rc)
			return rc;
		hi = lo;
		if (*p == '-') {
			p++;
			if (!*p || *p == ',')
				return log_err(-EINVAL, "%s: invalid CPU list '%s': range has no end",
					       w, s);
			if (!parse_is_digit(*p))
				return log_err(-EINVAL,
					       "%s: invalid CPU list '%s': expected a CPU number at '%s'",
					       w, s, p);
			rc = parse_cpu_number(w, s, p, &p, &hi);
			if (rc)
				return rc;
			if (hi < lo)
				return log_err(-EINVAL, "%s: invalid CPU list '%s': range goes backwards",
					       w, s);
		}
		if (*p && *p != ',')
			return log_err(-EINVAL, "%s: invalid CPU list '%s': unexpected text '%s'",
				       w, s, p);
		for (cpu = lo; cpu <= hi; cpu++)
			CPU_SET(cpu, &set);
		if (!*p)
			break;
		p++;                   /* the ',' */
	}
	*out = set;
	return 0;
}

int cpus_online(const char *root, cpu_set_t *out)
{
	struct fileio_buf b = { 0 };
	char path[PATH_MAX];
	int rc;

	if (!root)
		root = "";
	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, PARSE_ONLINE_PATH) >= sizeof(path))
		return log_err(-ENAMETOOLONG, "cpus online: path too long under '%s'", root);

	/* The kernel's list of CPU_SETSIZE CPUs is far shorter than CPULIST_FMT_LEN. */
	rc = fileio_load(path, CPULIST_FMT_LEN, 0, &b);
	if (!rc) {
		/* sysfs ends the mask with one newline. */
		if (b.len && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
		rc = parse_cpulist(path, b.data, out);
	}
	fileio_buf_free(&b);
	return rc;
}

int cpulist_check_online(const char *what, const cpu_set_t *set, const char *root)
{
	char list[CPULIST_FMT_LEN];
	cpu_set_t online;
	int cpu, rc;

	rc = cpus_online(root, &online);
	if (rc)
		return rc;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, set) || CPU_ISSET(cpu, &online))
			continue;
		return log_err(-EINVAL, "%s: CPU %d is not online (online: %s)", parse_name(what),
			       cpu, cpulist_format(&online, list, sizeof(list)));
	}
	return 0;
}

char *cpulist_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t pos = 0;
	int cpu = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	while (cpu < CPU_SETSIZE) {
		int lo, n;

		if (!CPU_ISSET(cpu, set)) {
			cpu++;
			continue;
		}
		lo = cpu;
		while (cpu + 1 < CPU_SETSIZE && CPU_ISSET(cpu + 1, set))
			cpu++;
		if (lo == cpu)
			n = snprintf(buf + pos, len - pos, "%s%d", pos ? "," : "", lo);
		else
			n = snprintf(buf + pos, len - pos, "%s%d-%d", pos ? "," : "", lo, cpu);
		if (n < 0 || (size_t)n >= len - pos) {
			buf[pos] = '\0';      /* drop the partial entry */
			break;
		}
		pos += (size_t)n;
		cpu++;
	}
	return buf;
}

/* ---- cumulative kernel counters ------------------------------------------ */

const char *parse_skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int parse_u64_token(const char **p, const char *end, uint64_t *out)
{
	const char *q = *p;
	uint64_t v = 0;
	int bad = 0, range = 0;
	unsigned d;

	for (; q < end && *q != ' ' && *q != '\t'; q++) {
		if (!parse_is_digit(*q)) {
			bad = 1;
			continue;      /* on to the end of the token, for the message */
		}
		d = (unsigned)(*q - '0');
		if (v > (UINT64_MAX - d) / 10)
			range = 1;
		else
			v = v * 10 + d;
	}
	bad |= q == *p;
	*p = q;
	if (bad)
		return -EINVAL;
	if (range)
		return -ERANGE;
	*out = v;
	return 0;
}
