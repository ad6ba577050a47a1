/*
 * json: see json.h. Writes JSON text to a stdio stream as the caller walks
 * its data, keeping only the nesting state in struct jsonw.
 *
 * Separators are written before each member: the first one in a container
 * opens a new line, the next ones ",\n"; closing a non-empty container puts
 * the bracket back on its own line at the parent's indentation. This file
 * must never read input, allocate, or write anywhere but j->fp. Doubles go
 * through common/numfmt (printf's %g), which follows LC_NUMERIC: stealscope
 * tools never call setlocale(LC_NUMERIC), so the decimal point stays '.'.
 */
#include "common/json.h"
#include "common/log.h"
#include "common/numfmt.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

void jsonw_init(struct jsonw *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
}

/* Record the first misuse; returns -1 so callers can `return` through it. */
static int jsonw_misuse(struct jsonw *j, const char *what)
{
	if (!j->err)
		j->err = log_err(-EINVAL, "json: %s", what);
	return -1;
}

static void jsonw_indent(struct jsonw *j, int level)
{
	int i;

	for (i = 0; i < level; i++)
		fputs("  ", j->fp);
}

/* The separator and indentation before a member of the innermost container. */
static void jsonw_sep(struct jsonw *j)
{
	fputs(j->count[j->depth] ? ",\n" : "\n", j->fp);
	jsonw_indent(j, j->depth);
	j->count[j->depth]++;
}

/* Before any value: checks the position and writes the separator. 0 or -1. */
static int jsonw_pre_value(struct jsonw *j)
{
	if (j->err)
		return -1;
	if (j->depth == 0) {
		j->count[0]++;
		return 0;
	}
	if (j->is_obj[j->depth]) {
		if (!j->pending_key)
			return jsonw_misuse(j, "value inside an object without a key");
		j->pending_key = 0;    /* the key wrote the separator */
		return 0;
	}
	jsonw_sep(j);
	return 0;
}

/* After a complete value: a top-level one ends its line. */
static void jsonw_post_value(struct jsonw *j)
{
	if (j->depth == 0)
		fputc('\n', j->fp);
}

static void jsonw_begin(struct jsonw *j, int is_obj)
{
	if (jsonw_pre_value(j))
		return;
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		jsonw_misuse(j, "nesting deeper than JSON_MAX_DEPTH");
		return;
	}
	j->depth++;
	j->count[j->depth] = 0;
	j->is_obj[j->depth] = (unsigned char)is_obj;
	fputc(is_obj ? '{' : '[', j->fp);
}

static void jsonw_end(struct jsonw *j, int is_obj)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->is_obj[j->depth] != is_obj) {
		jsonw_misuse(j, is_obj ? "object end without a matching begin"
				       : "array end without a matching begin");
		return;
	}
	if (j->pending_key) {
		jsonw_misuse(j, "key without a value at the end of an object");
		return;
	}
	if (j->count[j->depth]) {
		fputc('\n', j->fp);
		jsonw_indent(j, j->depth - 1);
	}
	fputc(is_obj ? '}' : ']', j->fp);
	j->depth--;
	jsonw_post_value(j);
}

void jsonw_obj_begin(struct jsonw *j)
{
	jsonw_begin(j, 1);
}

void jsonw_obj_end(struct jsonw *j)
{
	jsonw_end(j, 1);
}

void jsonw_arr_begin(struct jsonw *j)
{
	jsonw_begin(j, 0);
}

void jsonw_arr_end(struct jsonw *j)
{
	jsonw_end(j, 0);
}

/* A quoted, escaped string (RFC 8259 section 7). */
static void jsonw_quoted(struct jsonw *j, const char *s)
{
	const unsigned char *p;

	fputc('"', j->fp);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', j->fp);
			fputc(*p, j->fp);
		} else if (*p < 0x20) {
			fprintf(j->fp, "\\u%04x", *p);
		} else {
			fputc(*p, j->fp);
		}
	}
	fputc('"', j->fp);
}

void jsonw_key(struct jsonw *j, const char *key)
{
	if (j->err)
		return;
	if (j->depth == 0 || !j->is_obj[j->depth]) {
		jsonw_misuse(j, "key outside an object");
		return;
	}
	if (j->pending_key) {
		jsonw_misuse(j, "key after a key without a value");
		return;
	}
	if (!key) {
		jsonw_misuse(j, "NULL key");
		return;
	}
	jsonw_sep(j);
	jsonw_quoted(j, key);
	fputs(": ", j->fp);
	j->pending_key = 1;
}

void jsonw_str(struct jsonw *j, const char *s)
{
	if (jsonw_pre_value(j))
		return;
	if (s)
		jsonw_quoted(j, s);
	else
		fputs("null", j->fp);
	jsonw_post_value(j);
}

void jsonw_i64(struct jsonw *j, int64_t v)
{
	if (jsonw_pre_value(j))
		return;
	fprintf(j->fp, "%" PRId64, v);
	jsonw_post_value(j);
}

void jsonw_f(struct jsonw *j, double v)
{
	char buf[NUMFMT_DOUBLE_LEN];

	if (jsonw_pre_value(j))
		return;
	if (!isfinite(v))
		fputs("null", j->fp);            /* JSON has no NaN or infinity */
	else
		fputs(numfmt_double(v, buf, sizeof(buf)), j->fp);
	jsonw_post_value(j);
}

void jsonw_bool(struct jsonw *j, int v)
{
	if (jsonw_pre_value(j))
		return;
	fputs(v ? "true" : "false", j->fp);
	jsonw_post_value(j);
}

void jsonw_kv_str(struct jsonw *j, const char *key, const char *s)
{
	jsonw_key(j, key);
	jsonw_str(j, s);
}

void jsonw_kv_i64(struct jsonw *j, const char *key, int64_t v)
{
	jsonw_key(j, key);
	jsonw_i64(j, v);
}

void jsonw_kv_f(struct jsonw *j, const char *key, double v)
{
	jsonw_key(j, key);
	jsonw_f(j, v);
}

void jsonw_kv_bool(struct jsonw *j, const char *key, int v)
{
	jsonw_key(j, key);
	jsonw_bool(j, v);
}

int jsonw_check_complete(struct jsonw *j)
{
	if (j->err)
		return j->err;
	if (j->depth || j->pending_key)
		return j->err = log_err(-EINVAL, "json: finished with %d container(s) still open",
					j->depth);
	return 0;
}

int jsonw_finish(struct jsonw *j)
{
	int err = jsonw_check_complete(j);

	if (err)
		return err;
	if (fflush(j->fp) || ferror(j->fp))
		return log_err(-EIO, "json: write failed");
	return 0;
}
