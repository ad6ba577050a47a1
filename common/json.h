/*
 * json: a minimal streaming JSON writer (objects, arrays, strings with
 * escaping, integers, doubles). Renderers use it; it never reads anything.
 *
 * Output is indented by two spaces, one member or element per line, with
 * "key": value; empty containers print as {} and []. Each complete top-level
 * value is followed by a newline. Strings are escaped per RFC 8259 ('"', '\\'
 * and every control character below 0x20 as \u00XX); other bytes pass through
 * unchanged, so callers hand in UTF-8. Doubles print as the shortest of
 * %.15g/%.16g/%.17g that reads back to the same double (12.5 -> 12.5,
 * 0.1 -> 0.1, 1e21 -> 1e+21), so nothing is lost and common values stay short;
 * NaN and infinities write null. Misuse (a value in an object without a key,
 * a key outside an object, mismatched or too deep nesting) is logged once and
 * makes every later call a no-op; jsonw_finish() reports it.
 */
#ifndef STEALSCOPE_JSON_H
#define STEALSCOPE_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16              /* open containers: at most JSON_MAX_DEPTH - 1 */

struct jsonw {
	FILE *fp;
	int depth;
	int count[JSON_MAX_DEPTH];     /* members written at each level */
	int pending_key;               /* a key was written, its value is next */
	unsigned char is_obj[JSON_MAX_DEPTH]; /* level is an object (else an array) */
	int err;                       /* first misuse (-EINVAL), sticky */
};

void jsonw_init(struct jsonw *j, FILE *fp);
void jsonw_obj_begin(struct jsonw *j);
void jsonw_obj_end(struct jsonw *j);
void jsonw_arr_begin(struct jsonw *j);
void jsonw_arr_end(struct jsonw *j);
void jsonw_key(struct jsonw *j, const char *key);
void jsonw_str(struct jsonw *j, const char *s);   /* NULL writes null */
void jsonw_i64(struct jsonw *j, int64_t v);
void jsonw_f(struct jsonw *j, double v);          /* NaN/inf write null */
void jsonw_bool(struct jsonw *j, int v);

/* Shorthands for "key": value inside an object. */
void jsonw_kv_str(struct jsonw *j, const char *key, const char *s);
void jsonw_kv_i64(struct jsonw *j, const char *key, int64_t v);
void jsonw_kv_f(struct jsonw *j, const char *key, double v);
void jsonw_kv_bool(struct jsonw *j, const char *key, int v);

/*
 * Check the document is complete: no misuse, every container closed, no key
 * waiting for its value. The stream is not touched. Returns 0 or -EINVAL
 * (logged once). For a stream whose owner reports write errors itself (an
 * afile: afile_commit() names the path and the errno).
 */
int jsonw_check_complete(struct jsonw *j);

/*
 * Finish a document: jsonw_check_complete(), then flush the stream (it is
 * not closed). Returns 0, -EINVAL after misuse or with containers still
 * open, or -EIO (logged "json: write failed") when the stream reported a
 * write error.
 */
int jsonw_finish(struct jsonw *j);

#endif
