/*
 * support/promparse: see promparse.h. One pass over the text, line by
 * line; each line is checked whole before anything of it is kept, and the
 * first problem ends the reading with "line N: why" in doc->err.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/promparse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct reader {
	struct promparse_doc *doc;
	size_t line;                    /* of the line being read */
	long cur;                       /* index of the family lines go to, -1: none */
	int has_help, has_type;         /* of that family */
};

static int refuse(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(struct reader *r, const char *fmt, ...)
{
	char *err = r->doc->err;
	size_t size = sizeof(r->doc->err);
	int n = snprintf(err, size, "line %zu: ", r->line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The byte count of a UTF-8 sequence from its first byte, 0 if it cannot start one. */
static int utf8_seq_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

/* Offset of the first byte that is not part of valid UTF-8, or @len. */
static size_t utf8_bad_at(const unsigned char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len) {
		int n = utf8_seq_len(s[i]);
		unsigned long cp;

		if (n == 0 || i + (size_t)n > len)
			return i;
		cp = n == 1 ? s[i] : s[i] & (0x7f >> n);
		for (k = 1; k < (size_t)n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong 3- and 4-byte forms, surrogates, beyond U+10FFFF */
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += (size_t)n;
	}
	return len;
}

static int name_char(char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (colon && c == ':')
		return 1;
	return !first && c >= '0' && c <= '9';
}

/* Length of the name at @p (metric names if @colon), 0 if none starts there. */
static size_t name_len(const char *p, const char *end, int colon)
{
	const char *q = p;

	while (q < end && name_char(*q, q == p, colon))
		q++;
	return (size_t)(q - p);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * Unescape @p..@end (a HELP text when !@quoted; else a label value, which
 * ends at an unescaped '"') into a new string at *@out; *@stop is where
 * reading stopped (at the closing quote). Returns 0 or -1 (failed @r).
 */
static int unescape(struct reader *r, const char *p, const char *end, int quoted, char **out,
		    const char **stop)
{
	char *buf = malloc((size_t)(end - p) + 1), *o = buf;

	if (!buf)
		abort();
	while (p < end && !(quoted && *p == '"')) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		if (p + 1 >= end) {
			free(buf);
			return refuse(r, "a backslash ends the %s", quoted ? "line" : "HELP text");
		}
		if (p[1] == '\\')
			*o++ = '\\';
		else if (p[1] == 'n')
			*o++ = '\n';
		else if (quoted && p[1] == '"')
			*o++ = '"';
		else {
			free(buf);
			return refuse(r, "escape '\\%c' is not one of %s", p[1],
				    quoted ? "\\\\ \\\" \\n" : "\\\\ \\n");
		}
		p += 2;
	}
	if (quoted && p >= end) {
		free(buf);
		return refuse(r, "a label value has no closing quote");
	}
	*o = '\0';
	*out = buf;
	*stop = p;
	return 0;
}

/* Strict float syntax; NaN, +Inf, -Inf as Prometheus writes them. */
static int parse_value(const char *s, size_t n, double *out)
{
	char buf[64];
	size_t i = 0, digits = 0, exp_digits = 0;

	if (n == 3 && !memcmp(s, "NaN", 3)) {
		*out = NAN;
		return 0;
	}
	if (n == 4 && (!memcmp(s, "+Inf", 4) || !memcmp(s, "-Inf", 4))) {
		*out = s[0] == '+' ? INFINITY : -INFINITY;
		return 0;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			exp_digits++;
		if (!exp_digits)
			return -1;
	}
	if (i != n)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtod(buf, NULL);
	return isinf(*out) ? -1 : 0;
}

static int parse_timestamp(const char *s, size_t n, int64_t *out)
{
	char buf[32], *e;
	long long v;

	if (n == 0 || n >= sizeof(buf) || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &e, 10);
	if (errno || *e || e == buf || (buf[0] == '-' && n == 1))
		return -1;
	*out = v;
	return 0;
}

static struct promparse_family *current(struct reader *r)
{
	return r->cur < 0 ? NULL : &r->doc->families[r->cur];
}

/*
 * Make the family @name (@n bytes) the one lines go to: the current one,
 * or a new one. A family that had lines before another began is refused.
 */
static int enter_family(struct reader *r, const char *name, size_t n)
{
	struct promparse_doc *d = r->doc;
	struct promparse_family *f = current(r), *nf;
	size_t i;

	if (f && strlen(f->name) == n && !memcmp(f->name, name, n))
		return 0;
	for (i = 0; i < d->nfamilies; i++)
		if (strlen(d->families[i].name) == n && !memcmp(d->families[i].name, name, n))
			return refuse(r, "family %.*s comes back after other families began",
				    (int)n, name);
	nf = realloc(d->families, (d->nfamilies + 1) * sizeof(*nf));
	if (!nf)
		abort();
	d->families = nf;
	memset(&nf[d->nfamilies], 0, sizeof(*nf));
	nf[d->nfamilies].name = dup_n(name, n);
	r->cur = (long)d->nfamilies++;
	r->has_help = r->has_type = 0;
	return 0;
}

/* "# HELP name text" or "# TYPE name type": @p..@end after "# HELP " / "# TYPE ". */
static int read_meta(struct reader *r, const char *p, const char *end, int is_help)
{
	static const char *const types[] = { "untyped", "counter", "gauge", "histogram",
					     "summary" };
	const char *what = is_help ? "HELP" : "TYPE", *stop;
	size_t n = name_len(p, end, 1), i;
	struct promparse_family *f;
	char *text;

	if (n == 0 || (p + n < end && p[n] != ' '))
		return refuse(r, "# %s: no metric name", what);
	if (enter_family(r, p, n))
		return -1;
	f = current(r);
	if (f->nsamples)
		return refuse(r, "# %s %s after its samples", what, f->name);
	if (is_help ? r->has_help : r->has_type)
		return refuse(r, "a second # %s for %s", what, f->name);
	p += n;
	if (p < end)
		p++;                    /* the space before the text */
	if (is_help) {
		if (unescape(r, p, end, 0, &text, &stop))
			return -1;
		f->help = text;
		r->has_help = 1;
		return 0;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == (size_t)(end - p) && !memcmp(types[i], p, (size_t)(end - p)))
			break;
	if (i == sizeof(types) / sizeof(types[0]))
		return refuse(r, "# TYPE %s: unknown type '%.*s'", f->name, (int)(end - p), p);
	f->type = (enum promparse_type)i;
	r->has_type = 1;
	if (f->type == PROMPARSE_COUNTER && !ends_with(f->name, "_total"))
		return refuse(r, "counter %s does not end in _total", f->name);
	return 0;
}

/* Does a sample named @name (@n bytes) belong to family @f? */
static int belongs(const struct promparse_family *f, const char *name, size_t n)
{
	static const char *const extra[] = { "_bucket", "_sum", "_count" };
	size_t fn = strlen(f->name), i;

	if (n == fn && !memcmp(name, f->name, n))
		return 1;
	if (f->type != PROMPARSE_HISTOGRAM && f->type != PROMPARSE_SUMMARY)
		return 0;
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (n == fn + strlen(extra[i]) && !memcmp(name, f->name, fn) &&
		    !memcmp(name + fn, extra[i], strlen(extra[i])))
			return 1;
	return 0;
}

static void sample_free(struct promparse_sample *s)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++) {
		free(s->label[i].name);
		free(s->label[i].value);
	}
	free(s->name);
}

/* Same name and the same label set, whatever the order. */
static int same_series(const struct promparse_sample *a, const struct promparse_sample *b)
{
	size_t i;

	if (strcmp(a->name, b->name) || a->nlabels != b->nlabels)
		return 0;
	for (i = 0; i < a->nlabels; i++) {
		const char *v = promparse_label(b, a->label[i].name);

		if (!v || strcmp(v, a->label[i].value))
			return 0;
	}
	return 1;
}

/* {name="value",...} at *@pp; *@pp ends after the '}'. */
static int read_labels(struct reader *r, const char **pp, const char *end,
		       struct promparse_sample *s)
{
	const char *p = *pp + 1;

	while (p < end && *p != '}') {
		size_t n = name_len(p, end, 0), i;
		struct promparse_label *l;
		const char *stop;

		if (n == 0)
			return refuse(r, "%s: no label name at '%.*s'", s->name, (int)(end - p), p);
		if (n >= 2 && p[0] == '_' && p[1] == '_')
			return refuse(r, "%s: label %.*s starts with the reserved __", s->name, (int)n,
				    p);
		for (i = 0; i < s->nlabels; i++)
			if (strlen(s->label[i].name) == n && !memcmp(s->label[i].name, p, n))
				return refuse(r, "%s: label %.*s given twice", s->name, (int)n, p);
		if (s->nlabels == PROMPARSE_MAX_LABELS)
			return refuse(r, "%s: more than %d labels", s->name, PROMPARSE_MAX_LABELS);
		if (p + n + 1 >= end || p[n] != '=' || p[n + 1] != '"')
			return refuse(r, "%s: label %.*s is not followed by =\"", s->name, (int)n, p);
		l = &s->label[s->nlabels];
		l->name = dup_n(p, n);
		if (unescape(r, p + n + 2, end, 1, &l->value, &stop)) {
			free(l->name);
			return -1;
		}
		s->nlabels++;
		p = stop + 1;
		if (p < end && *p == ',')
			p++;
		else if (p >= end || *p != '}')
			return refuse(r, "%s: a label is followed by neither ',' nor '}'", s->name);
	}
	if (p >= end)
		return refuse(r, "%s: the labels have no closing brace", s->name);
	*pp = p + 1;
	return 0;
}

static int read_sample(struct reader *r, const char *p, const char *end)
{
	size_t n = name_len(p, end, 1), i;
	struct promparse_sample s;
	struct promparse_family *f;
	const char *v, *sp;

	memset(&s, 0, sizeof(s));
	if (n == 0)
		return refuse(r, "neither a comment nor a sample: '%.*s'", (int)(end - p), p);
	f = current(r);
	if (!f || !belongs(f, p, n)) {
		if (enter_family(r, p, n))
			return -1;
		f = current(r);
	}
	if (!r->has_help || !r->has_type)
		return refuse(r, "sample %.*s has no # %s before it", (int)n, p,
			    r->has_type ? "HELP" : "TYPE");
	s.name = dup_n(p, n);
	s.line = r->line;
	p += n;
	if (p < end && *p == '{' && read_labels(r, &p, end, &s))
		goto bad;
	if (p >= end || *p != ' ' || p + 1 >= end || p[1] == ' ') {
		refuse(r, "%s: the value must follow after one space", s.name);
		goto bad;
	}
	v = p + 1;
	sp = memchr(v, ' ', (size_t)(end - v));
	if (parse_value(v, (size_t)((sp ? sp : end) - v), &s.value)) {
		refuse(r, "%s: '%.*s' is not a value", s.name, (int)((sp ? sp : end) - v), v);
		goto bad;
	}
	if (sp) {
		if (parse_timestamp(sp + 1, (size_t)(end - sp - 1), &s.timestamp_ms)) {
			refuse(r, "%s: '%.*s' is not a timestamp", s.name, (int)(end - sp - 1),
			     sp + 1);
			goto bad;
		}
		s.has_timestamp = 1;
	}
	if (f->type == PROMPARSE_COUNTER && s.value < 0) {
		refuse(r, "counter %s has a negative value", s.name);
		goto bad;
	}
	for (i = 0; i < f->nsamples; i++)
		if (same_series(&f->samples[i], &s)) {
			refuse(r, "%s: the same series as line %zu", s.name, f->samples[i].line);
			goto bad;
		}
	f->samples = realloc(f->samples, (f->nsamples + 1) * sizeof(s));
	if (!f->samples)
		abort();
	f->samples[f->nsamples++] = s;
	return 0;
bad:
	sample_free(&s);
	return -1;
}

static int read_line(struct reader *r, const char *p, const char *end)
{
	if (p == end)
		return 0;               /* empty lines are ignored */
	if (memchr(p, '\r', (size_t)(end - p)) || memchr(p, '\0', (size_t)(end - p)))
		return refuse(r, "a carriage return or NUL byte");
	if (*p != '#')
		return read_sample(r, p, end);
	if (end - p >= 7 && !memcmp(p, "# HELP ", 7))
		return read_meta(r, p + 7, end, 1);
	if (end - p >= 7 && !memcmp(p, "# TYPE ", 7))
		return read_meta(r, p + 7, end, 0);
	r->doc->ncomments++;
	return 0;
}

int promparse(const char *text, size_t len, struct promparse_doc *doc)
{
	struct reader r = { .doc = doc, .line = 1, .cur = -1 };
	const char *p = text, *end = text + len;
	size_t bad;

	memset(doc, 0, sizeof(*doc));
	bad = utf8_bad_at((const unsigned char *)text, len);
	if (bad < len) {
		for (p = text; p < text + bad; p++)
			r.line += *p == '\n';
		return refuse(&r, "not UTF-8 at byte %zu", bad);
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return refuse(&r, "the last line does not end in a newline");
		if (read_line(&r, p, nl))
			return -1;
		p = nl + 1;
		r.line++;
	}
	return 0;
}

void promparse_free(struct promparse_doc *doc)
{
	size_t i, j;

	for (i = 0; i < doc->nfamilies; i++) {
		struct promparse_family *f = &doc->families[i];

		for (j = 0; j < f->nsamples; j++)
			sample_free(&f->samples[j]);
		free(f->samples);
		free(f->name);
		free(f->help);
	}
	free(doc->families);
	doc->families = NULL;
	doc->nfamilies = 0;
}

const struct promparse_family *promparse_family(const struct promparse_doc *doc,
						const char *name)
{
	size_t i;

	for (i = 0; i < doc->nfamilies; i++)
		if (!strcmp(doc->families[i].name, name))
			return &doc->families[i];
	return NULL;
}

const char *promparse_label(const struct promparse_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (!strcmp(s->label[i].name, name))
			return s->label[i].value;
	return NULL;
}

const struct promparse_sample *promparse_find(const struct promparse_doc *doc,
					      const char *name, ...)
{
	struct promparse_sample want;
	const char *k;
	size_t i, j;
	va_list ap;

	memset(&want, 0, sizeof(want));
	want.name = (char *)name;
	va_start(ap, name);
	while ((k = va_arg(ap, const char *)) && want.nlabels < PROMPARSE_MAX_LABELS) {
		want.label[want.nlabels].name = (char *)k;
		want.label[want.nlabels++].value = (char *)va_arg(ap, const char *);
	}
	va_end(ap);
	for (i = 0; i < doc->nfamilies; i++)
		for (j = 0; j < doc->families[i].nsamples; j++)
			if (same_series(&doc->families[i].samples[j], &want))
				return &doc->families[i].samples[j];
	return NULL;
}

size_t promparse_split(char *text, char **parts, size_t max)
{
	char *p = text, *gap;
	size_t n = 0;

	while (*p && n < max) {
		parts[n++] = p;
		gap = strstr(p, "\n\n");
		if (!gap)
			break;
		gap[1] = '\0';
		p = gap + 2;
	}
	return n;
}

int promparse_promtool(const char *text, char *msg, size_t len)
{
	FILE *in = tmpfile(), *out = tmpfile();
	int status = -1;
	size_t got;
	pid_t pid;

	if (!in || !out)
		abort();
	fputs(text, in);
	if (fflush(in) || fseek(in, 0, SEEK_SET))
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		dup2(fileno(in), 0);
		dup2(fileno(out), 1);
		dup2(fileno(out), 2);
		execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		abort();
	rewind(out);
	got = fread(msg, 1, len - 1, out);
	msg[got] = '\0';
	fclose(in);
	fclose(out);
	if (!WIFEXITED(status))
		return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	/* execlp failed: not installed (promtool itself never exits 127) */
	return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
}

void promparse_ok(const char *text, struct promparse_doc *doc)
{
	if (promparse(text, strlen(text), doc))
		fail_msg("promparse: %s in:\n%s", doc->err, text);
}

int promparse_promtool_ok(const char *text)
{
	char msg[4096];
	int rc = promparse_promtool(text, msg, sizeof(msg));

	if (rc < 0) {
		print_message("promtool is not installed (Debian package prometheus, which "
			      "scripts/deps.sh installs): only the strict parser checked this\n");
		return 0;
	}
	if (rc != 0)
		fail_msg("promtool check metrics: exit %d: %s\non:\n%s", rc, msg, text);
	return 1;
}
