/*
 * guestcsv: see guestcsv.h. Two passes over each table: count, then fill
 * buffers of exactly that size, so nothing grows while it is filled.
 */
#include "experiments/guestcsv.h"

#include "common/cpucsv.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Table @t's name for messages. */
static const char *name_of(const struct csv_table *t, const char *fallback)
{
	return t->path ? t->path : fallback;
}

/* Column @name of @t into *@col, or -EINVAL (logged). */
static int need_col(const struct csv_table *t, const char *what, const char *name, int *col)
{
	*col = csv_table_col(t, name);
	if (*col < 0)
		return log_err(-EINVAL, "%s: no column '%s'", what, name);
	return 0;
}

static int line_of(const struct csv_table *t, size_t row)
{
	return t->lines ? (int)t->lines[row] : (int)row + 2;
}

static int cmp_stamp(const void *a, const void *b)
{
	const struct native_stamp *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	if (x->task != y->task)
		return x->task < y->task ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* Row @r of the progress table, checked: its vCPU, task, unit and time. */
static int progress_row(const struct csv_table *t, const char *what, const int *col,
			const struct spec *s, size_t r, int64_t v[4])
{
	int i, rc;

	for (i = 0; i < 4; i++) {
		rc = csv_table_i64(t, r, (size_t)col[i], &v[i]);
		if (rc)
			return rc;
	}
	if (v[0] < 0 || v[0] >= s->vcpus)
		return log_err(-EINVAL, "%s: line %d: vcpu %" PRId64 ": the guest has %d", what,
			       line_of(t, r), v[0], s->vcpus);
	if (v[1] < 0 || v[1] >= s->tasks)
		return log_err(-EINVAL, "%s: line %d: proc %" PRId64 ": the run has %d tasks",
			       what, line_of(t, r), v[1], s->tasks);
	if (v[1] % s->vcpus != v[0])
		return log_err(-EINVAL, "%s: line %d: proc %" PRId64 " on vcpu %" PRId64 ": task "
			       "j runs on vCPU j %% %d", what, line_of(t, r), v[1], v[0],
			       s->vcpus);
	if (v[2] < 0 || v[2] > (int64_t)UINT32_MAX)
		return log_err(-EINVAL, "%s: line %d: unit %" PRId64 " out of range", what,
			       line_of(t, r), v[2]);
	return 0;
}

int guestcsv_progress(const struct csv_table *t, const struct spec *s, struct stampbuf *out)
{
	static const char *const names[4] = { "vcpu", "proc", "unit", "t_ns" };
	const char *what = name_of(t, "guest progress.csv");
	size_t count[SPEC_MAX_VCPUS] = { 0 }, r;
	int col[4], i, v, rc = 0;
	int64_t val[4];

	if (s->vcpus < 1 || s->vcpus > SPEC_MAX_VCPUS || s->tasks < 1)
		return log_err(-EINVAL, "%s: a run of %d vCPUs and %d tasks", what, s->vcpus,
			       s->tasks);
	memset(out, 0, (size_t)s->vcpus * sizeof(*out));
	/* kvm-mini's progress.csv (the results directory's columns) calls proc "task" */
	col[1] = csv_table_col(t, "task");
	for (i = 0; i < 4 && !rc; i++)
		if (i != 1 || col[1] < 0)
			rc = need_col(t, what, names[i], &col[i]);
	for (r = 0; r < t->nrows && !rc; r++) {
		rc = progress_row(t, what, col, s, r, val);
		if (!rc)
			count[val[0]]++;
	}
	for (v = 0; v < s->vcpus && !rc; v++)
		rc = stampbuf_init(&out[v], count[v]);
	for (r = 0; r < t->nrows && !rc; r++) {
		rc = progress_row(t, what, col, s, r, val);
		if (!rc)
			stampbuf_push(&out[val[0]], val[3], (int)val[1], (uint64_t)val[2]);
	}
	if (rc) {
		for (v = 0; v < s->vcpus; v++)
			stampbuf_free(&out[v]);
		return rc;
	}
	for (v = 0; v < s->vcpus; v++)
		if (out[v].n > 1)
			qsort(out[v].v, out[v].n, sizeof(*out[v].v), cmp_stamp);
	return 0;
}

int guestcsv_count_groups(const struct csv_table *t, const char *what, int c_seq, size_t *n)
{
	int64_t seq, prev = 0;
	size_t r;
	int rc;

	*n = 0;
	for (r = 0; r < t->nrows; r++) {
		rc = csv_table_i64(t, r, (size_t)c_seq, &seq);
		if (rc)
			return rc;
		if (r > 0 && seq < prev)
			return log_err(-EINVAL, "%s: line %d: %s %" PRId64 " after %" PRId64
				       " (rows must come in time order)", what, line_of(t, r),
				       t->header[c_seq], seq, prev);
		if (r == 0 || seq != prev)
			(*n)++;
		prev = seq;
	}
	return 0;
}

/* The counters of row @r into @c. */
static int cpu_row(const struct csv_table *t, const int *c_tick, size_t r,
		   struct procstat_cpu *c)
{
	int64_t v;
	int f, rc;

	c->nfields = PS_NFIELDS;
	for (f = 0; f < PS_NFIELDS; f++) {
		rc = csv_table_i64(t, r, (size_t)c_tick[f], &v);
		if (rc)
			return rc;
		if (v < 0)
			return log_err(-EINVAL, "%s: line %d: negative %s", name_of(t, "guest cpu.csv"),
				       line_of(t, r), cpucsv_col_name(3 + f));
		c->ticks[f] = (uint64_t)v;
	}
	return 0;
}

int guestcsv_cpu(const struct csv_table *t, struct run_samples *sm)
{
	const char *what = name_of(t, "guest cpu.csv");
	int c_seq, c_t, c_cpu, c_tick[PS_NFIELDS], f, rc;
	int64_t seq, t_ns, cpu, prev = 0;
	size_t n, r, g = 0;

	if ((rc = need_col(t, what, "seq", &c_seq)) || (rc = need_col(t, what, "t_ns", &c_t)) ||
	    (rc = need_col(t, what, "cpu", &c_cpu)))
		return rc;
	for (f = 0; f < PS_NFIELDS; f++)
		if ((rc = need_col(t, what, cpucsv_col_name(3 + f), &c_tick[f])))
			return rc;
	rc = guestcsv_count_groups(t, what, c_seq, &n);
	if (!rc)
		rc = rundata_guest_alloc(sm, n);
	for (r = 0; r < t->nrows && !rc; r++) {
		size_t e;

		if ((rc = csv_table_i64(t, r, (size_t)c_seq, &seq)) ||
		    (rc = csv_table_i64(t, r, (size_t)c_t, &t_ns)) ||
		    (rc = csv_table_i64(t, r, (size_t)c_cpu, &cpu)))
			break;
		if (r > 0 && seq != prev)
			g++;
		prev = seq;
		sm->g_seq[g] = seq;
		sm->g_t_ns[g] = t_ns;
		if (cpu == PROCSTAT_CPU_ALL)
			continue;
		if (cpu < 0 || cpu >= sm->nvcpus) {
			rc = log_err(-EINVAL, "%s: line %d: cpu %" PRId64 ": the guest has %d vCPUs",
				     what, line_of(t, r), cpu, sm->nvcpus);
			break;
		}
		e = g * (size_t)sm->nvcpus + (size_t)cpu;
		if (sm->g_ok[e]) {
			rc = log_err(-EINVAL, "%s: line %d: cpu %" PRId64 " twice at seq %" PRId64,
				     what, line_of(t, r), cpu, seq);
			break;
		}
		rc = cpu_row(t, c_tick, r, &sm->g_cpu[e]);
		if (!rc) {
			sm->g_cpu[e].cpu = (int)cpu;
			sm->g_ok[e] = 1;
		}
	}
	if (rc)
		rundata_guest_alloc(sm, 0);    /* nothing half-filled stays */
	return rc;
}
