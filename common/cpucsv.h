/*
 * cpucsv: the per-CPU CSV of cpu-sampler, shared by every writer of it
 * (cpu-sampler, the stealscope runner's cpu.csv): one row per CPU per
 * interval with the cumulative /proc/stat counters at the interval's end and
 * the mpstat-style percentages over the interval.
 *
 * Columns: seq,t_ns,cpu, user_ticks..guest_nice_ticks, usr_pct..idle_pct,
 * interval_ticks. A renderer only: it never opens /proc and derives nothing
 * itself (the caller passes procstat_derive()'s result).
 */
#ifndef STEALSCOPE_CPUCSV_H
#define STEALSCOPE_CPUCSV_H

#include <stdint.h>

#include "common/csvio.h"
#include "common/procstat.h"

#define CPUCSV_NCOLS (3 + PS_NFIELDS + CP_NFIELDS + 1)

/* The column names in order; @i below CPUCSV_NCOLS. */
const char *cpucsv_col_name(int i);

/* csvw_open() @path with the header row. NULL + errno on error (logged). */
struct csvw *cpucsv_open(const char *path);

/*
 * One row: deadline index @seq, @t_ns, @cpu (PROCSTAT_CPU_ALL for the
 * aggregate), the counters @c at the end of the interval and the figures
 * @p over it (percentages with 2 decimals). Returns 0 or -errno (sticky in
 * @w, see csvio.h).
 */
int cpucsv_row(struct csvw *w, int64_t seq, int64_t t_ns, int cpu,
	       const struct procstat_cpu *c, const struct cpupct *p);

/* Columns cpucsv_ticks() reads: seq, t_ns, cpu, then the PS_NFIELDS tick counters. */
#define CPUCSV_READ_COLS (3 + PS_NFIELDS)

/*
 * The reading side, for a table in these columns (csv_table_load()): the
 * indexes of seq, t_ns, cpu and the tick columns into @col. 0, or -EINVAL
 * (logged, "@what: no column 'x'") when one is missing.
 */
int cpucsv_cols(const struct csv_table *t, const char *what, int col[CPUCSV_READ_COLS]);

/*
 * Row @r of @t: its seq, t_ns and counters (cpu, nfields = PS_NFIELDS,
 * ticks) into @seq, @t_ns and @c. 0, or -EINVAL/-ERANGE for a bad cell or a
 * negative counter (logged with the file, line and column).
 */
int cpucsv_ticks(const struct csv_table *t, const int col[CPUCSV_READ_COLS], size_t r,
		 int64_t *seq, int64_t *t_ns, struct procstat_cpu *c);

#endif
