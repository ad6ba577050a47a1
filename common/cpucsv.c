/*
 * cpucsv: see cpucsv.h. Column names are built once from procstat's field
 * names, so the CSV follows the reader if a field is ever added.
 */
#include "common/cpucsv.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>

#define TICK_NAME_LEN 32

const char *cpucsv_col_name(int i)
{
	static char tick_names[PS_NFIELDS][TICK_NAME_LEN];

	if (i == 0)
		return "seq";
	if (i == 1)
		return "t_ns";
	if (i == 2)
		return "cpu";
	i -= 3;
	if (i < PS_NFIELDS) {
		if (!tick_names[i][0])
			snprintf(tick_names[i], sizeof(tick_names[i]), "%s_ticks",
				 procstat_field_names[i]);
		return tick_names[i];
	}
	i -= PS_NFIELDS;
	if (i < CP_NFIELDS)
		return cpupct_field_names[i];
	return "interval_ticks";
}

struct csvw *cpucsv_open(const char *path)
{
	const char *cols[CPUCSV_NCOLS];
	int i;

	for (i = 0; i < CPUCSV_NCOLS; i++)
		cols[i] = cpucsv_col_name(i);
	return csvw_open(path, cols, CPUCSV_NCOLS);
}

int cpucsv_row(struct csvw *w, int64_t seq, int64_t t_ns, int cpu,
	       const struct procstat_cpu *c, const struct cpupct *p)
{
	int i, rc;

	rc = csvw_i64(w, seq);
	if (!rc)
		rc = csvw_i64(w, t_ns);
	if (!rc)
		rc = csvw_i64(w, cpu);
	for (i = 0; i < PS_NFIELDS && !rc; i++)
		rc = csvw_u64(w, c->ticks[i]);
	for (i = 0; i < CP_NFIELDS && !rc; i++)
		rc = csvw_f(w, p->pct[i], 2);
	if (!rc)
		rc = csvw_u64(w, p->total_ticks);
	if (!rc)
		rc = csvw_end_row(w);
	return rc;
}

int cpucsv_cols(const struct csv_table *t, const char *what, int col[CPUCSV_READ_COLS])
{
	int i;

	for (i = 0; i < CPUCSV_READ_COLS; i++) {
		col[i] = csv_table_col(t, cpucsv_col_name(i));
		if (col[i] < 0)
			return log_err(-EINVAL, "%s: no column '%s'", what, cpucsv_col_name(i));
	}
	return 0;
}

int cpucsv_ticks(const struct csv_table *t, const int col[CPUCSV_READ_COLS], size_t r,
		 int64_t *seq, int64_t *t_ns, struct procstat_cpu *c)
{
	int64_t v;
	int i, rc;

	if ((rc = csv_table_i64(t, r, (size_t)col[0], seq)) ||
	    (rc = csv_table_i64(t, r, (size_t)col[1], t_ns)) ||
	    (rc = csv_table_i64(t, r, (size_t)col[2], &v)))
		return rc;
	if (v < PROCSTAT_CPU_ALL || v >= PROCSTAT_MAX_CPUS)
		return log_err(-EINVAL, "%s: line %zu: cpu %lld is no CPU number",
			       t->path ? t->path : "cpu.csv", t->lines ? t->lines[r] : r + 2,
			       (long long)v);
	c->cpu = (int)v;
	c->nfields = PS_NFIELDS;
	for (i = 0; i < PS_NFIELDS; i++) {
		rc = csv_table_i64(t, r, (size_t)col[3 + i], &v);
		if (rc)
			return rc;
		if (v < 0)
			return log_err(-EINVAL, "%s: line %zu: negative %s",
				       t->path ? t->path : "cpu.csv",
				       t->lines ? t->lines[r] : r + 2, cpucsv_col_name(3 + i));
		c->ticks[i] = (uint64_t)v;
	}
	return 0;
}
