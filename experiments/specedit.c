/*
 * specedit: see specedit.h. A line is split the way common/ini.c reads it
 * (a header, a comment, or key = value with an optional inline comment
 * after a blank); only the value between '=' and the comment is replaced.
 */
#include "experiments/specedit.h"

#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NS (3600LL * NS_PER_SEC)

/* A growing output buffer; errors are sticky. */
struct sbuf {
	char *p;
	size_t n, cap;
	int err;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

int64_t specedit_quick_duration(int64_t duration_ns)
{
	int64_t q = duration_ns / 3;

	if (q < SPECEDIT_QUICK_MIN_NS)
		q = SPECEDIT_QUICK_MIN_NS;
	return q < duration_ns ? q : duration_ns;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_name(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* One line cut into pieces; value_* is set for a key line only. */
struct line {
	const char *s;
	size_t len;                    /* without the '\n' */
	int is_header;
	char type[32];                 /* header: its section type */
	char name[64];                 /* header: its section name, "" for none */
	char key[64];                  /* key line: its key */
	size_t value_at, value_end;    /* offsets into s */
};

static void split_line(const char *s, size_t len, struct line *l)
{
	size_t i = 0, k;

	memset(l, 0, sizeof(*l));
	l->s = s;
	l->len = len;
	if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		i = 3;                 /* a byte order mark: only ever on line 1 */
	while (i < len && is_blank(s[i]))
		i++;
	if (i >= len || s[i] == ';' || s[i] == '#' || s[i] == '\r')
		return;
	if (s[i] == '[') {
		i++;
		while (i < len && is_blank(s[i]))
			i++;
		for (k = 0; i < len && is_name(s[i]) && k + 1 < sizeof(l->type); i++)
			l->type[k++] = s[i];
		l->type[k] = '\0';
		while (i < len && is_blank(s[i]))
			i++;
		for (k = 0; i < len && is_name(s[i]) && k + 1 < sizeof(l->name); i++)
			l->name[k++] = s[i];
		l->name[k] = '\0';
		l->is_header = 1;
		return;
	}
	for (k = 0; i < len && is_name(s[i]) && k + 1 < sizeof(l->key); i++)
		l->key[k++] = s[i];
	l->key[k] = '\0';
	while (i < len && is_blank(s[i]))
		i++;
	if (i >= len || s[i] != '=') {
		l->key[0] = '\0';
		return;
	}
	i++;
	while (i < len && is_blank(s[i]))
		i++;
	l->value_at = i;
	/* the value ends at an inline comment (';' or '#' after a blank) or the line end */
	for (k = i; k < len && s[k] != '\r'; k++)
		if ((s[k] == ';' || s[k] == '#') && k > i && is_blank(s[k - 1]))
			break;
	while (k > i && is_blank(s[k - 1]))
		k--;
	l->value_end = k;
}

enum edit_kind { EK_NONE, EK_BACKEND, EK_REPEAT, EK_DURATION, EK_INTERVAL, EK_START, EK_LENGTH };

/* What to do with @key in a section of @type. */
static enum edit_kind kind_of(const char *type, const char *key)
{
	const char *k = key;

	if (!strcmp(type, "policy")) {
		if (!strncmp(key, "experiment.", 11)) {
			type = "experiment";
			k = key + 11;
		} else if (!strncmp(key, "contention.", 11)) {
			type = "contention";
			k = key + 11;
		} else {
			return EK_NONE;
		}
	}
	if (!strcmp(type, "experiment")) {
		if (!strcmp(k, "backend"))
			return EK_BACKEND;
		if (!strcmp(k, "repeat"))
			return EK_REPEAT;
		if (!strcmp(k, "duration"))
			return EK_DURATION;
		if (!strcmp(k, "sample_interval"))
			return EK_INTERVAL;
	} else if (!strcmp(type, "contention")) {
		if (!strcmp(k, "start"))
			return EK_START;
		if (!strcmp(k, "duration"))
			return EK_LENGTH;
	}
	return EK_NONE;
}

struct ctx {
	const struct specedit *e;
	double factor;                 /* quick duration / base duration */
	int64_t quick_base_ns;
	int repeat;                    /* the repeat to write, 0: keep */
};

/*
 * The new value of a key of kind @k whose old value is @v (NUL-terminated)
 * into @buf, or 0 when it stays. Returns 1 when replaced, 0, or -EINVAL.
 */
static int new_value(const struct ctx *c, enum edit_kind k, const char *v, char *buf,
		     size_t len)
{
	int64_t ns, q;

	switch (k) {
	case EK_BACKEND:
		if (!c->e->backend)
			return 0;
		snprintf(buf, len, "%s", c->e->backend);
		return 1;
	case EK_REPEAT:
		if (!c->repeat)
			return 0;
		snprintf(buf, len, "%d", c->repeat);
		return 1;
	case EK_NONE:
		return 0;
	default:
		break;
	}
	if (!c->e->quick)
		return 0;
	if (parse_duration_ns("spec value", v, 0, MAX_NS, &ns))
		return -EINVAL;
	if (k == EK_DURATION) {
		q = specedit_quick_duration(ns);
	} else if (k == EK_INTERVAL) {
		q = ns > c->quick_base_ns ? c->quick_base_ns : ns;
	} else if (k == EK_START) {
		q = (int64_t)floor((double)ns * c->factor / NS_PER_US) * NS_PER_US;
	} else {
		q = (int64_t)llround((double)ns * c->factor / NS_PER_US) * NS_PER_US;
		if (q < NS_PER_MS)
			q = NS_PER_MS;
	}
	if (q == ns)
		return 0;
	duration_format(q, buf, len);
	return 1;
}

/* Which [experiment] keys exist (bit per edit kind). */
static unsigned experiment_keys(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	unsigned have = 0;
	char type[32] = "";
	struct line l;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

		split_line(p, ll, &l);
		if (l.is_header)
			snprintf(type, sizeof(type), "%s", l.type);
		else if (l.key[0] && !strcmp(type, "experiment"))
			have |= 1u << kind_of(type, l.key);
		p += ll + (nl ? 1 : 0);
	}
	return have;
}

/* The comment and the keys added below the [experiment] header. */
static void experiment_additions(const struct ctx *c, unsigned have, struct sbuf *b)
{
	char buf[DURATION_FMT_LEN + 64];

	puts_(b, ";; stealscope run: this is the spec as run;");
	if (c->e->backend)
		puts_(b, " --backend sets the backend;");
	if (c->e->repeat)
		puts_(b, " --repeat sets repeat;");
	if (c->e->quick)
		puts_(b, " --quick scales durations and contention windows to a third"
		      " (at least 600ms) and runs once;");
	if (c->e->only_policy)
		puts_(b, " --policy keeps one [policy];");
	puts_(b, "\n");
	if (c->e->backend && !(have & (1u << EK_BACKEND))) {
		snprintf(buf, sizeof(buf), "backend = %s\n", c->e->backend);
		puts_(b, buf);
	}
	if (c->repeat && !(have & (1u << EK_REPEAT))) {
		snprintf(buf, sizeof(buf), "repeat = %d\n", c->repeat);
		puts_(b, buf);
	}
	if (c->e->quick && !(have & (1u << EK_DURATION))) {
		puts_(b, "duration = ");
		puts_(b, duration_format(c->quick_base_ns, buf, sizeof(buf)));
		puts_(b, "\n");
	}
}

int specedit_apply(const char *text, size_t len, const struct specedit *e, char **out,
		   size_t *outlen)
{
	const char *p = text, *end = text + len;
	struct sbuf b = { 0 };
	struct ctx c = { .e = e };
	char type[32] = "", val[256], nv[DURATION_FMT_LEN + 32];
	unsigned have;
	struct line l;
	int rc, dropping = 0;

	*out = NULL;
	*outlen = 0;
	c.quick_base_ns = e->quick ? specedit_quick_duration(e->base_duration_ns) :
		e->base_duration_ns;
	c.factor = e->base_duration_ns > 0 ?
		(double)c.quick_base_ns / (double)e->base_duration_ns : 1.0;
	c.repeat = e->repeat ? e->repeat : e->quick ? 1 : 0;
	have = experiment_keys(text, len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p), vl;

		split_line(p, ll, &l);
		if (l.is_header) {
			snprintf(type, sizeof(type), "%s", l.type);
			dropping = e->only_policy && !strcmp(l.type, "policy") &&
				strcmp(l.name, e->only_policy);
		}
		if (dropping) {
			p += ll + (nl ? 1 : 0);
			continue;
		}
		vl = l.value_end - l.value_at;
		rc = 0;
		if (l.key[0] && vl < sizeof(val)) {
			memcpy(val, p + l.value_at, vl);
			val[vl] = '\0';
			rc = new_value(&c, kind_of(type, l.key), val, nv, sizeof(nv));
			if (rc < 0) {
				free(b.p);
				return log_err(-EINVAL, "spec: [%s] %s: cannot scale '%s'", type,
					       l.key, val);
			}
		}
		if (rc == 1) {
			put(&b, p, l.value_at);
			puts_(&b, nv);
			put(&b, p + l.value_end, ll - l.value_end);
		} else {
			put(&b, p, ll);
		}
		if (nl)
			puts_(&b, "\n");
		if (l.is_header && !strcmp(l.type, "experiment")) {
			if (!nl)
				puts_(&b, "\n");
			experiment_additions(&c, have, &b);
		}
		p += ll + (nl ? 1 : 0);
	}
	if (b.err) {
		free(b.p);
		return log_err(b.err, "spec: out of memory");
	}
	if (!b.p)
		puts_(&b, "");
	if (b.err)
		return log_err(b.err, "spec: out of memory");
	*out = b.p;
	*outlen = b.n;
	return 0;
}
