/*
 * jsonget: strict JSON checking and path lookups over the text (see
 * jsonget.h).
 *
 * One recursive-descent scanner serves both jobs: jsonget_parse() runs it
 * over the whole document and logs the first problem; lookups run the same
 * scanner to step over the values they are not interested in, which cannot
 * fail on a checked document. No tree is built: a lookup costs one pass over
 * the text in front of the value, which is nothing for a meta.json. This
 * file never writes anything but its log message and never exits.
 */
#include "common/jsonget.h"

#include "common/fileio.h"
#include "common/log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path segments (member names) longer than this are refused. */
#define SEGMENT_MAX 255

struct scan {
	const char *start;
	const char *p;
	const char *end;
	const char *why;               /* the first problem, NULL while fine */
	const char *at;                /* where it was found */
};

static int fail(struct scan *s, const char *why)
{
	if (!s->why) {
		s->why = why;
		s->at = s->p;
	}
	return -1;
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
				 *s->p == '\r'))
		s->p++;
}

static int peek(const struct scan *s)
{
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits after "\u"; s->p at the first. */
static int read_hex4(struct scan *s, unsigned *out)
{
	unsigned v = 0;
	int i, h;

	if (s->end - s->p < 4)
		return fail(s, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		h = hexval((unsigned char)s->p[i]);
		if (h < 0)
			return fail(s, "\\u needs four hex digits");
		v = v * 16 + (unsigned)h;
	}
	s->p += 4;
	*out = v;
	return 0;
}

/* Append one byte to a bounded output, counting what would have been written. */
static void put(char *out, size_t outlen, size_t *n, char c)
{
	if (out && *n + 1 < outlen)
		out[*n] = c;
	(*n)++;
}

static void put_utf8(char *out, size_t outlen, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		put(out, outlen, n, (char)cp);
	} else if (cp < 0x800) {
		put(out, outlen, n, (char)(0xC0 | (cp >> 6)));
		put(out, outlen, n, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		put(out, outlen, n, (char)(0xE0 | (cp >> 12)));
		put(out, outlen, n, (char)(0x80 | ((cp >> 6) & 0x3F)));
		put(out, outlen, n, (char)(0x80 | (cp & 0x3F)));
	} else {
		put(out, outlen, n, (char)(0xF0 | (cp >> 18)));
		put(out, outlen, n, (char)(0x80 | ((cp >> 12) & 0x3F)));
		put(out, outlen, n, (char)(0x80 | ((cp >> 6) & 0x3F)));
		put(out, outlen, n, (char)(0x80 | (cp & 0x3F)));
	}
}

/* One escape after the backslash (s->p at the letter), decoded into @out. */
static int read_escape(struct scan *s, char *out, size_t outlen, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned hi, lo;
	int c = peek(s);

	if (c < 0)
		return fail(s, "unterminated string");
	if (c != 'u') {
		hit = c ? strchr(from, c) : NULL;
		if (!hit)
			return fail(s, "invalid escape");
		put(out, outlen, n, to[hit - from]);
		s->p++;
		return 0;
	}
	s->p++;
	if (read_hex4(s, &hi))
		return -1;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return fail(s, "lone low surrogate in \\u escape");
	if (hi < 0xD800 || hi > 0xDBFF) {
		put_utf8(out, outlen, n, hi);
		return 0;
	}
	if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
		return fail(s, "high surrogate without its low half");
	s->p += 2;
	if (read_hex4(s, &lo))
		return -1;
	if (lo < 0xDC00 || lo > 0xDFFF)
		return fail(s, "high surrogate without its low half");
	put_utf8(out, outlen, n, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
	return 0;
}

/*
 * A string, s->p at the opening quote. Its decoded text goes to @out (NULL:
 * only check it), cut to @outlen - 1 bytes and terminated; *@len gets the
 * full decoded length.
 */
static int read_string(struct scan *s, char *out, size_t outlen, size_t *len)
{
	size_t n = 0;
	int c;

	if (peek(s) != '"')
		return fail(s, "expected a string");
	s->p++;
	for (;;) {
		c = peek(s);
		if (c < 0)
			return fail(s, "unterminated string");
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(s, "control character in a string");
		s->p++;
		if (c == '\\') {
			if (read_escape(s, out, outlen, &n))
				return -1;
			continue;
		}
		put(out, outlen, &n, (char)c);
	}
	s->p++;
	if (out && outlen)
		out[n < outlen ? n : outlen - 1] = '\0';
	if (len)
		*len = n;
	return 0;
}

static int read_digits(struct scan *s)
{
	const char *from = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > from ? 0 : fail(s, "expected a digit");
}

static int read_number(struct scan *s)
{
	if (peek(s) == '-')
		s->p++;
	if (peek(s) == '0') {
		s->p++;
	} else if (read_digits(s)) {
		return -1;
	}
	if (peek(s) == '.') {
		s->p++;
		if (read_digits(s))
			return -1;
	}
	if (peek(s) == 'e' || peek(s) == 'E') {
		s->p++;
		if (peek(s) == '+' || peek(s) == '-')
			s->p++;
		if (read_digits(s))
			return -1;
	}
	return 0;
}

static int read_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid literal");
	s->p += n;
	return 0;
}

static int read_value(struct scan *s, int depth);

/* An array or object, s->p at its opening bracket. */
static int read_container(struct scan *s, int depth)
{
	int is_obj = *s->p == '{';
	char close = is_obj ? '}' : ']';

	if (depth >= JSONGET_MAX_DEPTH)
		return fail(s, "nested too deep");
	s->p++;
	skip_ws(s);
	if (peek(s) == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (is_obj) {
			if (read_string(s, NULL, 0, NULL))
				return -1;
			skip_ws(s);
			if (peek(s) != ':')
				return fail(s, "expected ':'");
			s->p++;
		}
		if (read_value(s, depth + 1))
			return -1;
		skip_ws(s);
		if (peek(s) == ',') {
			s->p++;
			continue;
		}
		if (peek(s) == close) {
			s->p++;
			return 0;
		}
		return fail(s, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* Any value, with whitespace before it. */
static int read_value(struct scan *s, int depth)
{
	skip_ws(s);
	switch (peek(s)) {
	case '{':
	case '[':
		return read_container(s, depth);
	case '"':
		return read_string(s, NULL, 0, NULL);
	case 't':
		return read_literal(s, "true");
	case 'f':
		return read_literal(s, "false");
	case 'n':
		return read_literal(s, "null");
	case -1:
		return fail(s, "unexpected end of the document");
	default:
		if (peek(s) == '-' || (peek(s) >= '0' && peek(s) <= '9'))
			return read_number(s);
		return fail(s, "expected a value");
	}
}

/* ---- documents --------------------------------------------------------- */

void jsonget_free(struct jsonget_doc *doc)
{
	if (!doc)
		return;
	free(doc->text);
	doc->text = NULL;
	doc->len = 0;
}

int jsonget_parse(const char *buf, size_t len, const char *name, struct jsonget_doc *doc)
{
	struct scan s = { buf, buf, buf + len, NULL, NULL };

	doc->text = NULL;
	doc->len = 0;
	if (!name)
		name = "<buffer>";
	if (memchr(buf, '\0', len))
		return log_err(-EINVAL, "%s: byte %zu: NUL byte in the document", name,
			       (size_t)((const char *)memchr(buf, '\0', len) - buf));
	if (read_value(&s, 0) == 0) {
		skip_ws(&s);
		if (s.p != s.end)
			fail(&s, "text after the document");
	}
	if (s.why)
		return log_err(-EINVAL, "%s: byte %zu: %s", name, (size_t)(s.at - buf), s.why);
	doc->text = malloc(len + 1);
	if (!doc->text)
		return log_err(-ENOMEM, "%s: out of memory", name);
	memcpy(doc->text, buf, len);
	doc->text[len] = '\0';
	doc->len = len;
	return 0;
}

int jsonget_load(const char *path, struct jsonget_doc *doc)
{
	struct fileio_buf b = { 0 };
	int err;

	doc->text = NULL;
	doc->len = 0;
	err = fileio_load(path, JSONGET_MAX_FILE_BYTES, 0, &b);
	if (!err)
		err = jsonget_parse(b.data, b.len, path, doc);
	fileio_buf_free(&b);
	return err;
}

/* ---- lookups --------------------------------------------------------- */

/*
 * Step from the value at s->p (an object or array) to the member @name
 * (@nlen bytes) or element @index. On return s->p is at the value found.
 */
static int step(struct scan *s, const char *name, size_t nlen, long index)
{
	char key[SEGMENT_MAX + 1];
	int is_obj = name != NULL;
	size_t klen;
	long i = 0;

	skip_ws(s);
	if (peek(s) != (is_obj ? '{' : '['))
		return -ENOENT;
	s->p++;
	skip_ws(s);
	if (peek(s) == (is_obj ? '}' : ']'))
		return -ENOENT;
	for (;; i++) {
		skip_ws(s);
		if (is_obj) {
			if (read_string(s, key, sizeof(key), &klen))
				return -EINVAL;
			skip_ws(s);
			s->p++;                /* ':' (checked at load) */
		}
		skip_ws(s);
		if (is_obj ? (klen == nlen && memcmp(key, name, nlen) == 0) : i == index)
			return 0;
		if (read_value(s, 0))
			return -EINVAL;
		skip_ws(s);
		if (peek(s) != ',')
			return -ENOENT;
		s->p++;
	}
}

/* Walk @path from the root; s->p ends at the value. */
static int walk(const struct jsonget_doc *doc, const char *path, struct scan *s)
{
	const char *q = path;
	int err;

	s->start = s->p = doc->text;
	s->end = doc->text + doc->len;
	s->why = s->at = NULL;
	if (!doc->text || !path)
		return -EINVAL;
	while (*q) {
		if (*q == '[') {
			char *close;
			long idx;

			if (q[1] < '0' || q[1] > '9')
				return -EINVAL;
			errno = 0;
			idx = strtol(q + 1, &close, 10);
			if (errno || *close != ']')
				return -EINVAL;
			err = step(s, NULL, 0, idx);
			q = close + 1;
		} else {
			size_t n = strcspn(q, ".[");

			if (n == 0 || n > SEGMENT_MAX)
				return -EINVAL;
			err = step(s, q, n, 0);
			q += n;
		}
		if (err)
			return err;
		if (*q == '.') {
			q++;
			if (!*q || *q == '.' || *q == '[')
				return -EINVAL;
		} else if (*q && *q != '[') {
			return -EINVAL;
		}
	}
	skip_ws(s);
	return 0;
}

int jsonget_type(const struct jsonget_doc *doc, const char *path)
{
	struct scan s;
	int err = walk(doc, path, &s);

	if (err)
		return err;
	switch (peek(&s)) {
	case '{':
		return JSONGET_OBJECT;
	case '[':
		return JSONGET_ARRAY;
	case '"':
		return JSONGET_STRING;
	case 't':
	case 'f':
		return JSONGET_BOOL;
	case 'n':
		return JSONGET_NULL;
	default:
		return JSONGET_NUMBER;
	}
}

int jsonget_str(const struct jsonget_doc *doc, const char *path, char *out, size_t outlen)
{
	struct scan s;
	size_t len;
	int err;

	if (outlen)
		out[0] = '\0';
	err = walk(doc, path, &s);
	if (err)
		return err;
	if (peek(&s) != '"')
		return -EINVAL;
	if (read_string(&s, out, outlen, &len))
		return -EINVAL;
	return len < outlen ? 0 : -ERANGE;
}

/* The text of the number at @path into @buf; 0, -ENOENT or -EINVAL. */
static int number_text(const struct jsonget_doc *doc, const char *path, char *buf, size_t len)
{
	struct scan s;
	const char *from;
	int err = walk(doc, path, &s);

	if (err)
		return err;
	from = s.p;
	if ((peek(&s) != '-' && (peek(&s) < '0' || peek(&s) > '9')) || read_number(&s))
		return -EINVAL;
	if ((size_t)(s.p - from) >= len)
		return -ERANGE;
	memcpy(buf, from, (size_t)(s.p - from));
	buf[s.p - from] = '\0';
	return 0;
}

int jsonget_i64(const struct jsonget_doc *doc, const char *path, long long *out)
{
	char buf[64], *end;
	long long v;
	int err = number_text(doc, path, buf, sizeof(buf));

	if (err)
		return err;
	if (strpbrk(buf, ".eE"))
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

int jsonget_f64(const struct jsonget_doc *doc, const char *path, double *out)
{
	char buf[512], *end;
	double v;
	int err = number_text(doc, path, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	v = strtod(buf, &end);
	if (errno == ERANGE && (v > 1.0 || v < -1.0))
		return -ERANGE;
	*out = v;
	return 0;
}

int jsonget_bool(const struct jsonget_doc *doc, const char *path, int *out)
{
	struct scan s;
	int err = walk(doc, path, &s);

	if (err)
		return err;
	if (peek(&s) == 't')
		*out = 1;
	else if (peek(&s) == 'f')
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

int jsonget_count(const struct jsonget_doc *doc, const char *path)
{
	struct scan s;
	int err = walk(doc, path, &s), n = 0;
	char close;

	if (err)
		return err;
	if (peek(&s) != '[' && peek(&s) != '{')
		return -EINVAL;
	close = *s.p == '[' ? ']' : '}';
	s.p++;
	skip_ws(&s);
	if (peek(&s) == close)
		return 0;
	for (;;) {
		skip_ws(&s);
		if (close == '}') {
			if (read_string(&s, NULL, 0, NULL))
				return -EINVAL;
			skip_ws(&s);
			s.p++;
		}
		if (read_value(&s, 0))
			return -EINVAL;
		n++;
		skip_ws(&s);
		if (peek(&s) != ',')
			return n;
		s.p++;
	}
}
