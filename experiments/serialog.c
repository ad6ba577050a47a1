/*
 * serialog: see serialog.h. Bytes are gathered into one line at a time;
 * each completed line is either the open file's, a protocol line of this
 * boot, or foreign. Numbers on protocol lines are parsed here, strictly and
 * silently, so that each problem is said once, with the log line.
 */
#include "experiments/serialog.h"

#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 4

int serialog_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n >= SERIALOG_ID_MIN && n <= SERIALOG_ID_MAX &&
	       strspn(id, "0123456789abcdef") == n;
}

int serialog_init(struct serialog *s, const char *what, const char *id)
{
	memset(s, 0, sizeof(*s));
	s->what = what ? what : "serial log";
	s->open = -1;
	s->exit_status = -1;
	if (!id || !serialog_id_valid(id))
		return log_err(-EINVAL, "%s: boot id '%s' is not 8-16 lowercase hex digits",
			       s->what, id ? id : "(null)");
	memcpy(s->id, id, strlen(id) + 1);
	return 0;
}

void serialog_free(struct serialog *s)
{
	int i;

	for (i = 0; i < s->nfiles; i++) {
		free(s->files[i].text);
		s->files[i].text = NULL;
		s->files[i].len = s->files[i].cap = 0;
	}
}

/* A protocol error at the current line: logged once, counted. */
static unsigned proto_error(struct serialog *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static unsigned proto_error(struct serialog *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err(-EPROTO, "%s:%" PRId64 ": %s", s->what, s->lineno, msg);
	s->errors++;
	return SERIALOG_EV_PROTO;
}

/* A whole decimal integer, '-' only when @neg_ok; no blanks, no '+'. */
static int strict_i64(const char *t, int neg_ok, int64_t *out)
{
	const char *p = t;
	int64_t v = 0;
	int neg = 0;

	if (*p == '-' && neg_ok) {
		neg = 1;
		p++;
	}
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

static int valid_name(const char *n)
{
	size_t len = strlen(n);

	return len >= 1 && len < SERIALOG_NAME_MAX &&
	       strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	       len;
}

/* Split @p at single spaces into at most @max tokens. -1 on an empty token or too many. */
static int split(char *p, char **tok, int max)
{
	int n = 0;

	if (!*p)
		return 0;
	for (;;) {
		char *sp = strchr(p, ' ');

		if (n == max)
			return -1;
		tok[n++] = p;
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
		if (!*p)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (!*tok[i])
			return -1;
	return n;
}

static void reject(struct serialog_file *f)
{
	f->rejected = 1;
	free(f->text);
	f->text = NULL;
	f->len = f->cap = 0;
}

/* Close the open file at an `endfile` (or because something else came). */
static void close_open(struct serialog *s)
{
	s->files[s->open].last_line = s->lineno;
	s->open = -1;
}

static unsigned append(struct serialog *s, struct serialog_file *f, const char *line,
		       size_t len, int overlong, int *nomem)
{
	size_t need;
	char *t;

	f->lines++;
	if (f->rejected)
		return 0;
	if (overlong) {
		reject(f);
		return proto_error(s, "%s: a line longer than %d bytes (from line %" PRId64 ")",
				   f->name, SERIALOG_MAX_LINE, f->first_line);
	}
	need = f->len + len + 2;
	if (need > SERIALOG_MAX_FILE_BYTES) {
		reject(f);
		return proto_error(s, "%s: larger than %u bytes (from line %" PRId64 ")", f->name,
				   SERIALOG_MAX_FILE_BYTES, f->first_line);
	}
	if (need > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;

		while (cap < need)
			cap *= 2;
		t = realloc(f->text, cap);
		if (!t) {
			*nomem = 1;
			return 0;
		}
		f->text = t;
		f->cap = cap;
	}
	memcpy(f->text + f->len, line, len);
	f->len += len;
	f->text[f->len++] = '\n';
	f->text[f->len] = '\0';
	return 0;
}

static unsigned verb_file(struct serialog *s, char **tok, int n)
{
	struct serialog_file *f;
	int i;

	if (!(s->seen & SERIALOG_EV_GO))
		return proto_error(s, "'file' before 'go'");
	if (n != 1 || !valid_name(tok[0]))
		return proto_error(s, "'file' needs one name of [A-Za-z0-9._-]");
	for (i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i].name, tok[0]))
			return proto_error(s, "%s sent a second time (first at line %" PRId64 ")",
					   tok[0], s->files[i].first_line);
	if (s->nfiles == SERIALOG_MAX_FILES)
		return proto_error(s, "more than %d files", SERIALOG_MAX_FILES);
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, tok[0], strlen(tok[0]) + 1);
	f->first_line = s->lineno;
	s->open = s->nfiles++;
	return 0;
}

static unsigned verb_endfile(struct serialog *s, char **tok, int n)
{
	struct serialog_file *f;
	int64_t want;

	if (s->open < 0)
		return proto_error(s, "'endfile' without 'file'");
	f = &s->files[s->open];
	if (n != 2 || strict_i64(tok[1], 0, &want)) {
		close_open(s);
		if (f->rejected)
			return SERIALOG_EV_FILE;
		reject(f);
		return SERIALOG_EV_FILE | proto_error(s, "%s: 'endfile' needs the name and a line "
						      "count", f->name);
	}
	if (strcmp(tok[0], f->name)) {
		close_open(s);
		if (f->rejected)
			return SERIALOG_EV_FILE;
		reject(f);
		return SERIALOG_EV_FILE | proto_error(s, "'endfile %s' while %s is open (from "
						      "line %" PRId64 ")", tok[0], f->name,
						      f->first_line);
	}
	close_open(s);
	if (f->rejected)
		return SERIALOG_EV_FILE;
	if (want != f->lines) {
		reject(f);
		return SERIALOG_EV_FILE |
		       proto_error(s, "%s: endfile says %" PRId64 " lines, %" PRId64 " arrived "
				   "(lines %" PRId64 "-%" PRId64 "): a line was lost or another "
				   "was interleaved", f->name, want, f->lines, f->first_line + 1,
				   s->lineno - 1);
	}
	f->ok = 1;
	return SERIALOG_EV_FILE;
}

static unsigned verb_go(struct serialog *s, char **tok, int n)
{
	int64_t t0, margin;

	if (s->seen & SERIALOG_EV_GO)
		return proto_error(s, "a second 'go' (the first at line %" PRId64 ")", s->go_line);
	if (n != 2 || strict_i64(tok[0], 0, &t0) || strict_i64(tok[1], 0, &margin))
		return proto_error(s, "'go' needs T0_GUEST_NS and MARGIN_NS, non-negative "
				   "integers");
	s->t0_guest_ns = t0;
	s->margin_ns = margin;
	s->go_line = s->lineno;
	return SERIALOG_EV_GO;
}

static unsigned verb_hello(struct serialog *s, char **tok, int n)
{
	if (s->seen & (SERIALOG_EV_GO | SERIALOG_EV_HELLO))
		return proto_error(s, "'hello' %s", s->seen & SERIALOG_EV_GO ? "after 'go'" :
				   "a second time");
	if (n != 2)
		return proto_error(s, "'hello' needs GUEST_TOOLS_VERSION and KERNEL_RELEASE");
	snprintf(s->tools_version, sizeof(s->tools_version), "%s", tok[0]);
	snprintf(s->kernel_release, sizeof(s->kernel_release), "%s", tok[1]);
	return SERIALOG_EV_HELLO;
}

static unsigned verb_exit(struct serialog *s, char **tok, int n)
{
	int64_t st;

	if (n != 1 || strict_i64(tok[0], 1, &st) || st < INT32_MIN || st > INT32_MAX)
		return proto_error(s, "'exit' needs one integer status");
	s->exit_status = (int)st;
	return SERIALOG_EV_EXIT;
}

/* One protocol line of this boot: @rest is what follows "@@stealscope ID ". */
static unsigned protocol_line(struct serialog *s, char *rest)
{
	char *tok[MAX_TOKENS], *verb = rest, *args = strchr(rest, ' ');
	unsigned ev = 0;
	int n;

	if (args)
		*args++ = '\0';
	else
		args = rest + strlen(rest);
	if (s->open >= 0 && strcmp(verb, "endfile")) {
		struct serialog_file *f = &s->files[s->open];

		close_open(s);
		ev |= SERIALOG_EV_FILE;
		if (!f->rejected) {
			reject(f);
			ev |= proto_error(s, "'%s' while %s is open (from line %" PRId64 ")", verb,
					  f->name, f->first_line);
		}
	}
	if (!strcmp(verb, "error")) {
		if (!(s->seen & SERIALOG_EV_ERROR))
			snprintf(s->guest_error, sizeof(s->guest_error), "%s", args);
		return ev | SERIALOG_EV_ERROR;
	}
	n = split(args, tok, MAX_TOKENS);
	if (n < 0 && !strcmp(verb, "endfile"))
		return ev | verb_endfile(s, tok, 0);   /* still ends the file */
	if (n < 0)
		return ev | proto_error(s, "'%s': malformed arguments", verb);
	if (!strcmp(verb, "hello"))
		return ev | verb_hello(s, tok, n);
	if (!strcmp(verb, "go"))
		return ev | verb_go(s, tok, n);
	if (!strcmp(verb, "file"))
		return ev | verb_file(s, tok, n);
	if (!strcmp(verb, "endfile"))
		return ev | verb_endfile(s, tok, n);
	if (!strcmp(verb, "exit"))
		return ev | verb_exit(s, tok, n);
	return ev | proto_error(s, "unknown word '%.32s'", verb);
}

static void keep_note(struct serialog *s, const char *line, size_t len)
{
	size_t plen = strlen(SERIALOG_NOTE_PREFIX), n;

	if (s->nnotes == SERIALOG_MAX_NOTES || len <= plen ||
	    memcmp(line, SERIALOG_NOTE_PREFIX, plen))
		return;
	n = strnlen(line + plen, len - plen);
	if (n >= SERIALOG_NOTE_MAX)
		n = SERIALOG_NOTE_MAX - 1;
	memcpy(s->notes[s->nnotes], line + plen, n);
	s->notes[s->nnotes][n] = '\0';
	s->nnotes++;
}

/* @line (NUL-terminated, @len bytes, '\r's cut) is complete. */
static unsigned complete_line(struct serialog *s, char *line, size_t len, int overlong,
			      int *nomem)
{
	size_t plen = strlen(SERIALOG_PREFIX), idlen = strlen(s->id);
	int ours;

	s->lineno++;
	if (s->seen & SERIALOG_EV_EXIT)
		return 0;
	ours = !overlong && len > plen + idlen && !memcmp(line, SERIALOG_PREFIX, plen) &&
	       !memcmp(line + plen, s->id, idlen) && line[plen + idlen] == ' ';
	if (!ours) {
		if (s->open >= 0)
			return append(s, &s->files[s->open], line, len, overlong, nomem);
		s->foreign++;
		keep_note(s, line, len);
		return 0;
	}
	if (memchr(line, '\0', len)) {
		if (s->open >= 0) {
			struct serialog_file *f = &s->files[s->open];

			close_open(s);
			if (!f->rejected)
				reject(f);
			return SERIALOG_EV_FILE | proto_error(s, "a protocol line with a NUL byte "
							      "inside %s", f->name);
		}
		return proto_error(s, "a protocol line with a NUL byte");
	}
	return protocol_line(s, line + plen + idlen + 1);
}

int serialog_feed(struct serialog *s, const char *buf, size_t n)
{
	unsigned ev = 0, e;
	int nomem = 0;
	size_t i = 0;

	while (i < n && !nomem) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t take = (nl ? (size_t)(nl - buf) : n) - i, room;

		room = SERIALOG_MAX_LINE - s->linelen;
		if (take > room) {
			s->overlong = 1;
			memcpy(s->line + s->linelen, buf + i, room);
			s->linelen += room;
		} else {
			memcpy(s->line + s->linelen, buf + i, take);
			s->linelen += take;
		}
		i += take;
		if (!nl)
			break;
		i++;                   /* the '\n' */
		while (s->linelen > 0 && s->line[s->linelen - 1] == '\r')
			s->linelen--;
		s->line[s->linelen] = '\0';
		e = complete_line(s, s->line, s->linelen, s->overlong, &nomem);
		s->seen |= e;          /* at once: the next line's checks depend on it */
		ev |= e;
		s->linelen = 0;
		s->overlong = 0;
	}
	if (nomem)
		return log_err(-ENOMEM, "%s:%" PRId64 ": out of memory", s->what, s->lineno);
	return (int)ev;
}

int serialog_end(struct serialog *s)
{
	struct serialog_file *f;

	if (s->open < 0)
		return 0;
	f = &s->files[s->open];
	s->open = -1;
	f->last_line = s->lineno + 1;  /* where its endfile would have been */
	s->seen |= SERIALOG_EV_FILE;
	if (f->rejected)
		return 0;
	reject(f);
	s->seen |= SERIALOG_EV_PROTO;
	proto_error(s, "%s: the log ended inside it (from line %" PRId64 ", %" PRId64
		    " lines received)", f->name, f->first_line, f->lines);
	return SERIALOG_EV_PROTO;
}

const struct serialog_file *serialog_file(const struct serialog *s, const char *name)
{
	int i;

	for (i = 0; i < s->nfiles; i++)
		if (s->files[i].ok && !strcmp(s->files[i].name, name))
			return &s->files[i];
	return NULL;
}
