/*
 * kmread: see kmread.h.
 */
#include "bench/kmread.h"

#include "bench/kmplan.h"
#include "common/csvio.h"
#include "common/fileio.h"
#include "common/jsonget.h"
#include "common/log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V_T, V_VCPU, V_STEAL, V_RUN, V_DELAY, V_TU, V_TS, V_TI, V_TST, V_NCOLS };

/* Row @r of vcpu.csv into a sample of the vCPU it names. */
static int vcpu_row(const struct csv_table *t, const int *col, size_t r,
		    struct kmini_vcpu_result *v, int max, int *n)
{
	int64_t x[V_NCOLS];
	struct kmini_vcpu_result *vr;
	struct kmini_sample *s;
	int i;

	for (i = 0; i < V_NCOLS; i++) {
		if (i == V_STEAL && !*csv_table_cell(t, r, (size_t)col[i])) {
			x[i] = -1;     /* the guest's steal struct could not be read */
			continue;
		}
		if (csv_table_i64(t, r, (size_t)col[i], &x[i]))
			return -EINVAL;
	}
	if (x[V_VCPU] < 0 || x[V_VCPU] >= max)
		return log_err(-EINVAL, "%s: line %zu: vcpu %lld out of 0..%d", t->path,
			       t->lines[r], (long long)x[V_VCPU], max - 1);
	vr = &v[x[V_VCPU]];
	if (vr->nsamples % 64 == 0) {
		s = realloc(vr->samples, (vr->nsamples + 64) * sizeof(*s));
		if (!s)
			return log_err(-ENOMEM, "out of memory");
		vr->samples = s;
	}
	s = &vr->samples[vr->nsamples++];
	memset(s, 0, sizeof(*s));
	s->t_ns = x[V_T];
	s->steal_valid = x[V_STEAL] >= 0;
	s->guest_steal_ns = s->steal_valid ? (uint64_t)x[V_STEAL] : 0;
	s->host_run_ns = (uint64_t)x[V_RUN];
	s->host_delay_ns = (uint64_t)x[V_DELAY];
	s->tick_user = (uint64_t)x[V_TU];
	s->tick_system = (uint64_t)x[V_TS];
	s->tick_idle = (uint64_t)x[V_TI];
	s->tick_steal = (uint64_t)x[V_TST];
	if ((int)x[V_VCPU] + 1 > *n)
		*n = (int)x[V_VCPU] + 1;
	return 0;
}

int kmread_vcpus(const char *dir, struct kmini_vcpu_result *v, int max, int *n)
{
	static const char *const names[V_NCOLS] = {
		"t_ns", "vcpu", "guest_steal_ns", "host_run_ns", "host_delay_ns", "tick_user",
		"tick_system", "tick_idle", "tick_steal",
	};
	char path[PATH_MAX];
	struct csv_table t;
	int col[V_NCOLS], i, rc;
	size_t r;

	memset(v, 0, (size_t)max * sizeof(*v));
	*n = 0;
	snprintf(path, sizeof(path), "%s/vcpu.csv", dir);
	rc = csv_table_load(path, &t);
	if (rc)
		return rc;
	for (i = 0; i < V_NCOLS && !rc; i++)
		if ((col[i] = csv_table_col(&t, names[i])) < 0)
			rc = log_err(-EINVAL, "%s: no column %s", path, names[i]);
	for (r = 0; r < t.nrows && !rc; r++)
		rc = vcpu_row(&t, col, r, v, max, n);
	if (!rc && *n == 0)
		rc = log_err(-EINVAL, "%s: no samples", path);
	csv_table_free(&t);
	return rc;
}

void kmread_vcpus_free(struct kmini_vcpu_result *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].samples);
		v[i].samples = NULL;
		v[i].nsamples = 0;
	}
}

int kmread_meta(const char *dir, const char *path, double *out)
{
	struct jsonget_doc doc = { 0 };
	char file[PATH_MAX];
	int rc;

	snprintf(file, sizeof(file), "%s/meta.json", dir);
	rc = jsonget_load(file, &doc);
	if (rc)
		return rc;
	rc = jsonget_f64(&doc, path, out);
	jsonget_free(&doc);
	if (rc)
		return log_err(rc, "%s: no number at %s", file, path);
	return 0;
}

int kmread_startup_us(const char *out_path, double *us)
{
	struct fileio_buf b = { 0 };
	const char *p;
	char *end;
	int rc;

	rc = fileio_load(out_path, 1 << 20, 0, &b);
	if (rc)
		return rc;
	p = strstr(b.data, "startup_us ");
	if (p && (p == b.data || p[-1] == '\n')) {
		p += strlen("startup_us ");
		*us = strtod(p, &end);
		if (end == p || (*end && *end != '\n') || !(*us > 0))
			p = NULL;
	} else {
		p = NULL;
	}
	fileio_buf_free(&b);
	if (!p)
		return log_err(-EINVAL, "%s: no 'startup_us N' line from kvm-mini", out_path);
	return 0;
}

int kmread_digest(const char *dir, int task, struct kmread_digest *d)
{
	static const char *const names[] = {
		"task", "stamps", "first_t_ns", "first_unit", "last_t_ns", "last_unit", "span_ns",
	};
	int64_t *fields[] = { NULL, &d->stamps, &d->first_t_ns, &d->first_unit, &d->last_t_ns,
			      &d->last_unit };
	char path[PATH_MAX];
	struct csv_table t;
	int col[7], i, rc;
	int64_t tk;
	size_t r;

	snprintf(path, sizeof(path), "%s/%s", dir, KMPLAN_DIGEST);
	rc = csv_table_load(path, &t);
	if (rc)
		return rc;
	for (i = 0; i < 7 && !rc; i++)
		if ((col[i] = csv_table_col(&t, names[i])) < 0)
			rc = log_err(-EINVAL, "%s: no column %s", path, names[i]);
	for (r = 0; r < t.nrows && !rc; r++) {
		rc = csv_table_i64(&t, r, (size_t)col[0], &tk);
		if (rc || tk != task)
			continue;
		for (i = 1; i < 6 && !rc; i++)
			rc = csv_table_i64(&t, r, (size_t)col[i], fields[i]);
		rc = rc ? rc : csv_table_f(&t, r, (size_t)col[6], &d->span_ns);
		csv_table_free(&t);
		return rc;
	}
	csv_table_free(&t);
	return rc ? rc : log_err(-ENOENT, "%s: task %d made no stamp", path, task);
}
