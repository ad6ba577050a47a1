/*
 * json: a minimal streaming JSON writer (objects, arrays, strings with
 * escaping, integers, doubles). Renderers use it; it never reads anything.
 */
#ifndef STEALSCOPE_JSON_H
#define STEALSCOPE_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct jsonw {
	FILE *fp;
	int depth;
	int count[JSON_MAX_DEPTH];     /* members written at each level */
	int pending_key;               /* a key was written, its value is next */
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

#endif
