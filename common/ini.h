/*
 * ini: a small, strict INI reader for experiment specs.
 *
 * Syntax, one construct per line:
 *   [type]          a section header
 *   [type NAME]     a section header with an instance name
 *   key = value     an entry of the section above it
 *   ; text, # text  a comment line; " ; text" or " # text" after whitespace
 *                   ends a line with a comment
 * Blank lines are ignored, spaces and tabs around every token are trimmed,
 * CRLF line ends are accepted. Types, names and keys are made of
 * [A-Za-z0-9_.-]. Values run to the end of the line (or to an inline
 * comment) and must not be empty; there is no quoting and no continuation.
 * The same section type may appear many times (each header is one section in
 * file order); a key may appear only once per section. Anything else is an
 * error that names "file:line" and the problem, logged once with log_err().
 *
 * This module knows nothing about what sections or keys mean (that is the
 * caller's schema); it keeps every line number so the caller's own errors can
 * point at the file too. It never exits and never writes to stdout.
 */
#ifndef STEALSCOPE_INI_H
#define STEALSCOPE_INI_H

#include <stddef.h>

/* Files larger than this are rejected by ini_load() (a spec is a few KiB). */
#define INI_MAX_FILE_BYTES (1024 * 1024)

struct ini_entry {
	char *key;
	char *value;                   /* trimmed, never empty */
	int line;                      /* 1-based line number in the file */
};

struct ini_section {
	char *type;                    /* "contention" in "[contention hog]" */
	char *name;                    /* "hog", or NULL when the header has none */
	int line;                      /* line of the header */
	struct ini_entry *entries;     /* in file order */
	size_t n_entries;
};

struct ini {
	char *filename;                /* as given to ini_parse()/ini_load() */
	struct ini_section *sections;  /* in file order */
	size_t n_sections;
};

/*
 * Parse @len bytes of @buf (need not be NUL-terminated; a NUL byte inside it
 * is an error). @filename is only used in messages and copied into @out
 * (NULL means "<buffer>"). On success fills @out, which the caller releases
 * with ini_free(), and returns 0. On error returns -EINVAL (syntax, message
 * "file:line: problem") or -ENOMEM, logs once, and leaves @out empty (safe to
 * pass to ini_free()).
 */
int ini_parse(const char *buf, size_t len, const char *filename, struct ini *out);

/*
 * Read the file at @path whole and ini_parse() it with @path as the file
 * name in messages. Returns 0, -errno when the file cannot be read (message
 * "open <path>: <strerror>"), -EFBIG past INI_MAX_FILE_BYTES, or an
 * ini_parse() error. @out is left empty on error.
 */
int ini_load(const char *path, struct ini *out);

/* Release everything ini_parse()/ini_load() allocated; @ini becomes empty. */
void ini_free(struct ini *ini);

/*
 * The first section of @type whose name equals @name (@name NULL: the first
 * section of @type without a name). NULL when there is none.
 */
const struct ini_section *ini_section_find(const struct ini *ini, const char *type,
					   const char *name);

/* The entry of @sec with @key, NULL when there is none. */
const struct ini_entry *ini_entry_find(const struct ini_section *sec, const char *key);

/*
 * The value of @key in the section found by ini_section_find(@type, @name),
 * NULL when the section or the key is missing. The string belongs to @ini.
 */
const char *ini_get(const struct ini *ini, const char *type, const char *name,
		    const char *key);

/* How many sections of @type there are (named or not). */
size_t ini_count_sections(const struct ini *ini, const char *type);

#endif
