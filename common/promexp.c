/*
 * promexp: the Prometheus text exposition format, written (see promexp.h).
 *
 * Everything a sample needs is checked before its first byte is written,
 * so a refused sample leaves no partial line behind; the first error is
 * logged once and kept (sticky), every later call returns it. This file
 * never reads /proc, never exits and allocates nothing itself (a textfile's
 * afile allocates in fileio).
 */
#include "common/promexp.h"

#include "common/fileio.h"
#include "common/log.h"
#include "common/numfmt.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define TOTAL_SUFFIX "_total"
#define PROM_SUFFIX ".prom"

void promexp_init(struct promexp *p, FILE *f)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
}

static int is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics (@colon), [a-zA-Z_][a-zA-Z0-9_]* for labels. */
static int name_ok(const char *s, int colon)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; s[i]; i++)
		if (!is_letter(s[i]) && !(colon && s[i] == ':') && !(i > 0 && is_digit(s[i])))
			return 0;
	return i > 0 && i < PROMEXP_NAME_MAX;
}

/*
 * Well-formed UTF-8: no stray continuation bytes, no overlong forms, no
 * surrogates, nothing above U+10FFFF. Prometheus refuses anything else.
 */
static int utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		unsigned lead = *u++, more, cp, min;

		if (lead < 0x80)
			continue;
		if ((lead & 0xe0) == 0xc0)
			more = 1;
		else if ((lead & 0xf0) == 0xe0)
			more = 2;
		else if ((lead & 0xf8) == 0xf0)
			more = 3;
		else
			return 0;      /* a continuation byte, or 0xf8 and above */
		cp = lead & (0x3fu >> more);
		min = more == 1 ? 0x80 : more == 2 ? 0x800 : 0x10000;
		/* the terminating NUL is no continuation byte: a cut sequence stops here */
		for (; more; more--, u++) {
			if ((*u & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*u & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/* A write that failed shows in the stream's error flag. */
static int check_io(struct promexp *p)
{
	int e = errno ? errno : EIO;

	if (!p->err && ferror(p->f))
		p->err = log_err(-EIO, "prometheus exposition: write failed: %s", strerror(e));
	return p->err;
}

/* @s with \ and newline escaped, and " too inside a label value (@quote). */
static void put_escaped(FILE *f, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			putc(*s, f);
	}
}

/*
 * @v as Prometheus (Go's ParseFloat) reads it back to the same double:
 * NaN, +Inf, -Inf, else numfmt's shortest round-trip form.
 */
static const char *format_value(double v, char *buf, size_t len)
{
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	return numfmt_double(v, buf, len);
}

int promexp_family(struct promexp *p, const char *name, enum promexp_type type,
		   const char *help)
{
	size_t len;
	unsigned i;

	if (p->err)
		return p->err;
	if (!name_ok(name, 1))
		return p->err = log_err(-EINVAL, "prometheus: '%s' is not a metric name "
					"([a-zA-Z_:][a-zA-Z0-9_:]*, under %d characters)",
					name ? name : "(null)", PROMEXP_NAME_MAX);
	len = strlen(name);
	if (type == PROMEXP_COUNTER &&
	    (len <= strlen(TOTAL_SUFFIX) || strcmp(name + len - strlen(TOTAL_SUFFIX), TOTAL_SUFFIX)))
		return p->err = log_err(-EINVAL, "prometheus: counter %s does not end in "
					TOTAL_SUFFIX, name);
	for (i = 0; i < p->nfamilies; i++)
		if (!strcmp(p->seen[i], name))
			return p->err = log_err(-EINVAL, "prometheus: family %s written twice",
						name);
	if (p->nfamilies == PROMEXP_MAX_FAMILIES)
		return p->err = log_err(-EINVAL, "prometheus: family %s: more than %d families",
					name, PROMEXP_MAX_FAMILIES);
	if (!help || !*help || !utf8_ok(help))
		return p->err = log_err(-EINVAL, "prometheus: family %s: HELP text %s", name,
					help && *help ? "is not UTF-8" : "is empty");
	memcpy(p->seen[p->nfamilies++], name, len + 1);
	memcpy(p->family, name, len + 1);
	p->type = type;
	errno = 0;
	fprintf(p->f, "# HELP %s ", name);
	put_escaped(p->f, help, 0);
	fprintf(p->f, "\n# TYPE %s %s\n", name, type == PROMEXP_COUNTER ? "counter" : "gauge");
	return check_io(p);
}

/* Everything about a sample that can be wrong before it is written. */
static int check_sample(struct promexp *p, const struct promexp_label *labels, size_t nlabels,
			double value)
{
	size_t i, j;

	if (!p->family[0])
		return log_err(-EINVAL, "prometheus: a sample before any family");
	for (i = 0; i < nlabels; i++) {
		const char *name = labels[i].name, *v = labels[i].value;

		if (!name_ok(name, 0) || !strncmp(name, "__", 2))
			return log_err(-EINVAL, "prometheus: %s: '%s' is not a label name "
				       "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)",
				       p->family, name ? name : "(null)");
		for (j = 0; j < i; j++)
			if (!strcmp(labels[j].name, name))
				return log_err(-EINVAL, "prometheus: %s: label %s given twice",
					       p->family, name);
		if (v && !utf8_ok(v))
			return log_err(-EINVAL, "prometheus: %s: the value of label %s is not "
				       "UTF-8", p->family, name);
	}
	if (p->type == PROMEXP_COUNTER && !isnan(value) && (value < 0 || isinf(value)))
		return log_err(-EINVAL, "prometheus: counter %s: %g is not a count", p->family,
			       value);
	return 0;
}

int promexp_sample(struct promexp *p, const struct promexp_label *labels, size_t nlabels,
		   double value)
{
	char num[NUMFMT_DOUBLE_LEN];
	size_t i;
	int braces = 0;

	if (p->err)
		return p->err;
	p->err = check_sample(p, labels, nlabels, value);
	if (p->err)
		return p->err;
	if (value == 0)
		value = 0;             /* -0 is 0 */
	errno = 0;
	fputs(p->family, p->f);
	for (i = 0; i < nlabels; i++) {
		if (!labels[i].value || !labels[i].value[0])
			continue;      /* an empty value is no label at all */
		fputc(braces ? ',' : '{', p->f);
		braces = 1;
		fprintf(p->f, "%s=\"", labels[i].name);
		put_escaped(p->f, labels[i].value, 1);
		fputc('"', p->f);
	}
	if (braces)
		fputc('}', p->f);
	fprintf(p->f, " %s\n", format_value(value, num, sizeof(num)));
	return check_io(p);
}

int promexp_finish(struct promexp *p)
{
	errno = 0;
	if (fflush(p->f) == EOF || ferror(p->f))
		return check_io(p);
	return p->err;
}

/* ---- node_exporter textfiles ---------------------------------------------- */

/* A file name (after the last '/') of the form "<something>.prom". */
static int prom_name_ok(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t n = strlen(base), suffix = strlen(PROM_SUFFIX);

	return n > suffix && !strcmp(base + n - suffix, PROM_SUFFIX);
}

static int prom_name_error(const char *path)
{
	return log_err(-EINVAL, "textfile %s: the name must end in %s (node_exporter's textfile "
		       "collector reads only *%s files)", path, PROM_SUFFIX, PROM_SUFFIX);
}

int promexp_textfile_check(const char *path)
{
	if (!path || !prom_name_ok(path))
		return prom_name_error(path ? path : "''");
	return fileio_check_output(path, FILEIO_OUT_FILE);
}

int promexp_textfile_open(struct promexp_textfile *t, const char *path)
{
	t->af = NULL;
	if (!path || !prom_name_ok(path))
		return prom_name_error(path ? path : "''");
	t->af = afile_open_path(path);
	if (!t->af)
		return -errno;
	promexp_init(&t->p, afile_fp(t->af));
	return 0;
}

int promexp_textfile_commit(struct promexp_textfile *t)
{
	int rc = t->p.err;

	/*
	 * An error of the exposition was logged when it happened; anything
	 * else (a write error seen only when the buffer is flushed) is
	 * afile_commit()'s to report, with the path.
	 */
	if (rc)
		afile_abort(t->af);
	else
		rc = afile_commit(t->af);
	t->af = NULL;
	return rc;
}

void promexp_textfile_abort(struct promexp_textfile *t)
{
	afile_abort(t->af);
	t->af = NULL;
}
