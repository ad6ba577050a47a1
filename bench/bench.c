/*
 * bench: see bench.h.
 */
#include "bench/bench.h"

#include "common/fileio.h"
#include "common/log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_pick(const struct bench_ctx *c, int full, int quick)
{
	return c->quick ? quick : full;
}

int bench_tool(const struct bench_ctx *c, const char *tool, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", c->bindir, tool);

	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "%s/%s: path too long", c->bindir, tool);
	return 0;
}

int bench_work_path(const struct bench_ctx *c, char *buf, size_t len, const char *fmt, ...)
{
	char name[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(name))
		n = snprintf(buf, len, "%s/%s", c->work, name);
	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "%s/%s: path too long", c->work, name);
	return 0;
}

int bench_row(struct bench_ctx *c, int figure, const char *id, const char *what,
	      const char *unit, const double *v, size_t nv, const char *baseline,
	      const double *b, size_t nb, const char *note)
{
	struct bench_row *r = bench_add(c->tab, figure, id, what, unit, v, nv, baseline, b, nb);

	if (!r)
		return -ENOSPC;
	snprintf(r->where, sizeof(r->where), "host");
	if (note)
		snprintf(r->note, sizeof(r->note), "%s", note);
	return 0;
}

int bench_any_number(const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			return 1;
	return 0;
}

void bench_pins_in_turn(int vcpus, const int *cpus, int ncpus, char *buf, size_t len)
{
	size_t used = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < vcpus && used < len; i++) {
		n = snprintf(buf + used, len - used, "%s%d", i ? "," : "",
			     cpus ? cpus[i % ncpus] : i % ncpus);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int bench_write_spec(const struct bench_ctx *c, char *path, const char *name,
		     const char *fmt, ...)
{
	char file[NAME_MAX + 1], *text = NULL;
	va_list ap;
	int rc;

	snprintf(file, sizeof(file), "%s.ini", name);
	rc = bench_work_path(c, path, PATH_MAX, "%s", file);
	if (rc)
		return rc;
	va_start(ap, fmt);
	rc = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return log_err(-ENOMEM, "out of memory");
	rc = afile_write_string(c->work, file, text);
	free(text);
	return rc;
}

int bench_stealscope_run(struct bench_ctx *c, const char *tag, const char *spec,
			 const char *name, const char *const *extra, struct spawn_result *r,
			 char *dir)
{
	char tool[PATH_MAX], out[PATH_MAX], so[PATH_MAX], se[PATH_MAX], latest[PATH_MAX];
	const char *argv[24] = { tool, "run", spec, "--backend", "native", "--out", out };
	struct spawn_opts o = { .stdout_path = so, .stderr_path = se, .poll_hwm = 1,
				.timeout_ns = 300 * 1000000000LL };
	size_t k = 7;
	int rc;

	rc = bench_tool(c, "stealscope", tool, sizeof(tool));
	rc = rc ? rc : bench_work_path(c, out, sizeof(out), "%s", tag);
	rc = rc ? rc : bench_work_path(c, so, sizeof(so), "%s.out", tag);
	rc = rc ? rc : bench_work_path(c, se, sizeof(se), "%s.err", tag);
	rc = rc ? rc : bench_work_path(c, latest, sizeof(latest), "%s/%s/latest", tag, name);
	if (rc)
		return rc;
	for (; extra && *extra && k < sizeof(argv) / sizeof(argv[0]) - 1; extra++)
		argv[k++] = *extra;
	argv[k] = NULL;
	rc = spawn_run(argv, &o, r);
	if (rc)
		return rc;
	rc = spawn_check_ok(r, "stealscope run", se);
	if (rc)
		return rc;
	if (!realpath(latest, dir))
		return log_err(-errno, "%s: %s", latest, strerror(errno));
	return 0;
}

/* A cell that is a plain unsigned decimal (a repetition or vCPU number). */
static int is_index(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int bench_summary_values(const char *dir, const char *phase, const char *metric,
			 double *out, size_t cap, size_t *n)
{
	struct csv_table t;
	char path[PATH_MAX];
	int c_phase, c_rep, c_vcpu, c_metric, rc = 0;
	size_t i;

	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	rc = csv_table_load(path, &t);
	if (rc)
		return rc;
	c_phase = csv_table_col(&t, "phase");
	c_rep = csv_table_col(&t, "rep");
	c_vcpu = csv_table_col(&t, "vcpu");
	c_metric = csv_table_col(&t, metric);
	if (c_phase < 0 || c_rep < 0 || c_vcpu < 0 || c_metric < 0) {
		rc = log_err(-EINVAL, "%s: no column phase, rep, vcpu or %s", path, metric);
		goto out;
	}
	for (i = 0; i < t.nrows && !rc; i++) {
		if (strcmp(csv_table_cell(&t, i, (size_t)c_phase), phase) ||
		    !is_index(csv_table_cell(&t, i, (size_t)c_rep)) ||
		    !is_index(csv_table_cell(&t, i, (size_t)c_vcpu)))
			continue;
		if (*n >= cap) {
			rc = log_err(-ENOSPC, "%s: more than %zu %s rows", path, cap, phase);
			break;
		}
		rc = csv_table_f(&t, i, (size_t)c_metric, &out[*n]);
		if (!rc)
			(*n)++;
	}
out:
	csv_table_free(&t);
	return rc;
}
