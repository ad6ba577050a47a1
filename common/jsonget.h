/*
 * jsonget: read single values back out of a small JSON document, such as
 * meta.json, without a JSON library and without building a tree.
 *
 * A document is loaded (or handed over as a buffer) and checked once against
 * the JSON grammar of RFC 8259: one value, nothing but whitespace around it,
 * strings without raw control characters, valid escapes (\uXXXX surrogate
 * pairs included), numbers in JSON form, nesting at most JSONGET_MAX_DEPTH
 * deep. Lookups then walk the text to the value named by a path: member
 * names separated by '.', array elements as "[N]" (0-based):
 *
 *     "host.kernel"        "command_line[0]"        "policies[2].name"
 *
 * Member names in a path cannot contain '.' or '['. When an object repeats a
 * name, the first one counts. Strings come back decoded (escapes resolved,
 * \uXXXX as UTF-8); other bytes are passed through as they are. Numbers
 * come back as int64 or double.
 *
 * This module only reads: it never writes files and never exits. Only
 * jsonget_load()/jsonget_parse() log (once, with the byte offset of the
 * problem); lookups are silent and report by return code, because a missing
 * member is usually a normal answer for the caller.
 */
#ifndef STEALSCOPE_JSONGET_H
#define STEALSCOPE_JSONGET_H

#include <stddef.h>

#define JSONGET_MAX_DEPTH 64
#define JSONGET_MAX_FILE_BYTES (4 * 1024 * 1024)

struct jsonget_doc {
	char *text;                    /* a copy of the document, NUL-terminated */
	size_t len;
};

enum jsonget_type {
	JSONGET_NULL, JSONGET_BOOL, JSONGET_NUMBER, JSONGET_STRING, JSONGET_ARRAY,
	JSONGET_OBJECT
};

/*
 * Check @len bytes of @buf (a NUL byte inside is an error) and keep a copy
 * in @doc. @name is only used in messages ("meta.json: byte 12: expected
 * ':'"). Returns 0, -EINVAL (not valid JSON, logged) or -ENOMEM. On error
 * @doc is left empty (safe to jsonget_free()).
 */
int jsonget_parse(const char *buf, size_t len, const char *name, struct jsonget_doc *doc);

/* Read the file @path whole and jsonget_parse() it. -errno when it cannot
 * be read ("open <path>: <strerror>"), -EFBIG past JSONGET_MAX_FILE_BYTES. */
int jsonget_load(const char *path, struct jsonget_doc *doc);

void jsonget_free(struct jsonget_doc *doc);

/*
 * The type of the value at @path (enum jsonget_type, >= 0), -ENOENT when
 * there is none, -EINVAL for a malformed path.
 */
int jsonget_type(const struct jsonget_doc *doc, const char *path);

/*
 * The string at @path, decoded, into @out (@outlen bytes, NUL-terminated).
 * Returns 0, -ENOENT (no such value), -EINVAL (a malformed path, or the
 * value is not a string, null included), or -ERANGE (@out too small: it then
 * holds as much as fits, cut at a byte boundary).
 */
int jsonget_str(const struct jsonget_doc *doc, const char *path, char *out, size_t outlen);

/*
 * The number at @path into @out: jsonget_i64() takes integers only (no
 * fraction or exponent) and returns -ERANGE outside int64; jsonget_f64()
 * any JSON number (-ERANGE when it overflows a double). Otherwise 0,
 * -ENOENT or -EINVAL (not a number, null included) as above.
 */
int jsonget_i64(const struct jsonget_doc *doc, const char *path, long long *out);
int jsonget_f64(const struct jsonget_doc *doc, const char *path, double *out);

/* The boolean at @path as 0/1 into @out: 0, -ENOENT or -EINVAL as above. */
int jsonget_bool(const struct jsonget_doc *doc, const char *path, int *out);

/* The number of elements of the array at @path (members of an object), or
 * -ENOENT / -EINVAL (not an array or object). */
int jsonget_count(const struct jsonget_doc *doc, const char *path);

#endif
