/*
 * ini: see ini.h. A line-at-a-time reader: each line is copied into a
 * scratch buffer, classified (blank, comment, header, entry) and appended to
 * the tree, so a buffer of any content either parses or fails with one
 * "file:line: problem" message; it never reads past @len. The grammar is
 * deliberately narrow (no quoting, no continuation lines, no keys before the
 * first header) so that a typo is an error rather than a silently different
 * experiment. This file must never exit and never print to stdout.
 */
#include "common/ini.h"
#include "common/fileio.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Quoted text in messages is cut here so one bad line cannot flood stderr. */
#define INI_QUOTE_MAX 60

struct ini_reader {
	struct ini *ini;
	const char *fname;
	int line;
	struct ini_section *cur;       /* the section entries go to, NULL before any */
	size_t cap_sections;
	size_t cap_entries;            /* capacity of cur->entries */
};

static int ini_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int ini_is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* The first character of @s that may not appear in a type, name or key. */
static const char *ini_bad_word_char(const char *s)
{
	for (; *s; s++)
		if (!ini_is_word_char(*s))
			return s;
	return NULL;
}

static char *ini_trim(char *s)
{
	char *end;

	while (ini_is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && ini_is_blank(end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* "[type]" or "[type name]" for messages. */
static const char *ini_label(const struct ini_section *sec, char *buf, size_t len)
{
	if (sec->name)
		snprintf(buf, len, "[%s %s]", sec->type, sec->name);
	else
		snprintf(buf, len, "[%s]", sec->type);
	return buf;
}

static int ini_oom(const struct ini_reader *r)
{
	return log_err(-ENOMEM, "%s:%d: out of memory", r->fname, r->line);
}

static int ini_add_section(struct ini_reader *r, const char *type, const char *name)
{
	struct ini *ini = r->ini;
	struct ini_section *sec;

	if (ini->n_sections == r->cap_sections) {
		size_t cap = r->cap_sections ? r->cap_sections * 2 : 8;
		struct ini_section *grown = realloc(ini->sections, cap * sizeof(*grown));

		if (!grown)
			return ini_oom(r);
		ini->sections = grown;
		r->cap_sections = cap;
	}
	sec = &ini->sections[ini->n_sections];
	memset(sec, 0, sizeof(*sec));
	sec->line = r->line;
	sec->type = strdup(type);
	sec->name = name ? strdup(name) : NULL;
	/* Counted before the checks so ini_free() releases a half-built one. */
	ini->n_sections++;
	if (!sec->type || (name && !sec->name))
		return ini_oom(r);
	r->cur = sec;
	r->cap_entries = 0;
	return 0;
}

static int ini_add_entry(struct ini_reader *r, const char *key, const char *value)
{
	struct ini_section *sec = r->cur;
	struct ini_entry *e;

	if (sec->n_entries == r->cap_entries) {
		size_t cap = r->cap_entries ? r->cap_entries * 2 : 8;
		struct ini_entry *grown = realloc(sec->entries, cap * sizeof(*grown));

		if (!grown)
			return ini_oom(r);
		sec->entries = grown;
		r->cap_entries = cap;
	}
	e = &sec->entries[sec->n_entries];
	e->line = r->line;
	e->key = strdup(key);
	e->value = strdup(value);
	sec->n_entries++;
	if (!e->key || !e->value)
		return ini_oom(r);
	return 0;
}

/* @s is the trimmed line, starting with '['. */
static int ini_header(struct ini_reader *r, char *s)
{
	char *close = strchr(s, ']');
	char *inner, *type, *name = NULL, *rest, *p;
	const char *bad;

	if (!close)
		return log_err(-EINVAL, "%s:%d: malformed section header '%.*s': missing ']'",
			       r->fname, r->line, INI_QUOTE_MAX, s);
	rest = ini_trim(close + 1);
	if (*rest)
		return log_err(-EINVAL, "%s:%d: unexpected text '%.*s' after section header",
			       r->fname, r->line, INI_QUOTE_MAX, rest);
	*close = '\0';
	inner = ini_trim(s + 1);
	if (!*inner)
		return log_err(-EINVAL, "%s:%d: empty section header '[]'", r->fname, r->line);

	/* Split "type NAME": one run of blanks between exactly two words. */
	type = inner;
	for (p = inner; *p && !ini_is_blank(*p); p++)
		;
	if (*p) {
		*p++ = '\0';
		name = ini_trim(p);
		for (p = name; *p; p++)
			if (ini_is_blank(*p))
				return log_err(-EINVAL,
					       "%s:%d: section header '[%s %.*s]': expected [type] or [type NAME]",
					       r->fname, r->line, type, INI_QUOTE_MAX, name);
	}
	bad = ini_bad_word_char(type);
	if (bad)
		return log_err(-EINVAL,
			       "%s:%d: invalid character '%c' in section type '%.*s' (use letters, digits, '_', '.', '-')",
			       r->fname, r->line, *bad, INI_QUOTE_MAX, type);
	bad = name ? ini_bad_word_char(name) : NULL;
	if (bad)
		return log_err(-EINVAL,
			       "%s:%d: invalid character '%c' in section name '%.*s' (use letters, digits, '_', '.', '-')",
			       r->fname, r->line, *bad, INI_QUOTE_MAX, name);
	return ini_add_section(r, type, name);
}

/* @s is the trimmed line, not a header, not blank. */
static int ini_key_value(struct ini_reader *r, char *s)
{
	char *eq = strchr(s, '=');
	char *key, *value;
	const char *bad;
	char label[256];
	size_t i;

	if (!eq)
		return log_err(-EINVAL,
			       "%s:%d: malformed line '%.*s': expected 'key = value', '[section]' or a comment",
			       r->fname, r->line, INI_QUOTE_MAX, s);
	*eq = '\0';
	key = ini_trim(s);
	value = ini_trim(eq + 1);
	if (!*key)
		return log_err(-EINVAL, "%s:%d: missing key before '='", r->fname, r->line);
	bad = ini_bad_word_char(key);
	if (bad)
		return log_err(-EINVAL,
			       "%s:%d: invalid character '%c' in key '%.*s' (use letters, digits, '_', '.', '-')",
			       r->fname, r->line, *bad, INI_QUOTE_MAX, key);
	if (!r->cur)
		return log_err(-EINVAL, "%s:%d: key '%s' outside any section", r->fname, r->line,
			       key);
	ini_label(r->cur, label, sizeof(label));
	if (!*value)
		return log_err(-EINVAL, "%s:%d: empty value for key '%s' in %s", r->fname, r->line,
			       key, label);
	for (i = 0; i < r->cur->n_entries; i++)
		if (!strcmp(r->cur->entries[i].key, key))
			return log_err(-EINVAL, "%s:%d: duplicate key '%s' in %s", r->fname,
				       r->line, key, label);
	return ini_add_entry(r, key, value);
}

static int ini_line(struct ini_reader *r, char *s)
{
	char *p;

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return log_err(-EINVAL, "%s:%d: control character 0x%02x", r->fname,
				       r->line, c);
	}
	s = ini_trim(s);
	if (*s == ';' || *s == '#' || !*s)
		return 0;
	/* An inline comment starts at ';' or '#' that follows a blank. */
	for (p = s + 1; *p; p++)
		if ((*p == ';' || *p == '#') && ini_is_blank(p[-1])) {
			*p = '\0';
			break;
		}
	s = ini_trim(s);
	if (*s == '[')
		return ini_header(r, s);
	return ini_key_value(r, s);
}

int ini_parse(const char *buf, size_t len, const char *filename, struct ini *out)
{
	struct ini_reader r = { .ini = out, .fname = filename ? filename : "<buffer>" };
	char *scratch = NULL;
	size_t cap = 0, pos = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->filename = strdup(r.fname);
	if (!out->filename)
		return log_err(-ENOMEM, "%s: out of memory", r.fname);

	/* A UTF-8 byte order mark is what some editors put first; skip it. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos = 3;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		r.line++;
		if (n + 1 > cap) {
			char *grown = realloc(scratch, n + 1);

			if (!grown) {
				rc = ini_oom(&r);
				goto fail;
			}
			scratch = grown;
			cap = n + 1;
		}
		if (memchr(buf + pos, '\0', n)) {
			rc = log_err(-EINVAL, "%s:%d: NUL byte", r.fname, r.line);
			goto fail;
		}
		memcpy(scratch, buf + pos, n);
		/* CRLF: the '\r' before the '\n' belongs to the line end. */
		scratch[n && scratch[n - 1] == '\r' ? n - 1 : n] = '\0';
		rc = ini_line(&r, scratch);
		if (rc)
			goto fail;
		pos += n + 1;
	}
	free(scratch);
	return 0;

fail:
	free(scratch);
	ini_free(out);
	return rc;
}

int ini_load(const char *path, struct ini *out)
{
	struct fileio_buf b = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = fileio_load(path, INI_MAX_FILE_BYTES, FILEIO_REGULAR, &b);
	if (!rc)
		rc = ini_parse(b.data, b.len, path, out);
	fileio_buf_free(&b);
	return rc;
}

void ini_free(struct ini *ini)
{
	size_t i, j;

	for (i = 0; i < ini->n_sections; i++) {
		struct ini_section *sec = &ini->sections[i];

		for (j = 0; j < sec->n_entries; j++) {
			free(sec->entries[j].key);
			free(sec->entries[j].value);
		}
		free(sec->entries);
		free(sec->type);
		free(sec->name);
	}
	free(ini->sections);
	free(ini->filename);
	memset(ini, 0, sizeof(*ini));
}

static int ini_name_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

const struct ini_section *ini_section_find(const struct ini *ini, const char *type,
					   const char *name)
{
	size_t i;

	for (i = 0; i < ini->n_sections; i++)
		if (!strcmp(ini->sections[i].type, type) && ini_name_eq(ini->sections[i].name, name))
			return &ini->sections[i];
	return NULL;
}

const struct ini_entry *ini_entry_find(const struct ini_section *sec, const char *key)
{
	size_t i;

	for (i = 0; i < sec->n_entries; i++)
		if (!strcmp(sec->entries[i].key, key))
			return &sec->entries[i];
	return NULL;
}

const char *ini_get(const struct ini *ini, const char *type, const char *name,
		    const char *key)
{
	const struct ini_section *sec = ini_section_find(ini, type, name);
	const struct ini_entry *e = sec ? ini_entry_find(sec, key) : NULL;

	return e ? e->value : NULL;
}

size_t ini_count_sections(const struct ini *ini, const char *type)
{
	size_t i, n = 0;

	for (i = 0; i < ini->n_sections; i++)
		n += !strcmp(ini->sections[i].type, type);
	return n;
}
