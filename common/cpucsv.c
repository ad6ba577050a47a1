/*
 * cpucsv: see cpucsv.h. Column names are built once from procstat's field
 * names, so the CSV follows the reader if a field is ever added.
 */
#include "common/cpucsv.h"

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
