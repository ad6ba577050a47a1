/*
 * table: the rows of a benchmark run and their two renderings,
 * results.csv (one row per figure, machine-readable, self-describing) and
 * RESULTS.md (the machine, each figure's method, the tables). A row holds a
 * figure's spread, the spread of its baseline measured in the same run and
 * the ratio of their medians; a figure this machine cannot measure is a
 * row too, with the reason instead of numbers. Nothing here measures, and
 * nothing here judges: there is no pass or fail column.
 */
#ifndef STEALSCOPE_BENCH_TABLE_H
#define STEALSCOPE_BENCH_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "bench/stats.h"
#include "common/hostinfo.h"

#define BENCH_FIGURES 7                /* the figures of issue 7, numbered from 1 */
#define BENCH_MAX_ROWS 160
#define BENCH_METHOD_LEN 6144
#define BENCH_ID_LEN 64                /* row ids, NUL included */

enum bench_status {
	BENCH_MEASURED,
	BENCH_UNMEASURABLE,            /* this machine cannot (no /dev/kvm, ...) */
	BENCH_NOT_MEASURED,            /* it could, but the measurement failed */
};

struct bench_row {
	int figure;                    /* 1..BENCH_FIGURES */
	char id[BENCH_ID_LEN];         /* stable key: "startup.sched-load" */
	char what[160];
	char unit[16];
	struct bench_dist value;
	char baseline[160];            /* what the value is compared with */
	struct bench_dist base;
	double ratio;                  /* value.median / base.median; NaN when the
					  baseline median is 0 or unknown */
	enum bench_status status;
	char where[16];                /* where it was measured: "host" (this machine),
					  "kvm" (kvm-mini on this host's /dev/kvm),
					  "nested-tcg" (kvm-mini in the nested L1 guest
					  under QEMU TCG); "" when nowhere */
	char note[320];                /* the reason when not measured; remarks */
};

struct bench_table {
	size_t n;
	struct bench_row rows[BENCH_MAX_ROWS];
	char title[BENCH_FIGURES][64];
	char method[BENCH_FIGURES][BENCH_METHOD_LEN];
	int ran[BENCH_FIGURES];        /* the figure was selected */
	/* the run */
	char date_utc[32];             /* "2026-11-26T18:40:00Z" */
	const char *mode;              /* "full" or "quick" */
	int autogroup;                 /* kernel.sched_autogroup_enabled; -1 unknown */
	struct hostinfo host;
	char load_before[64];          /* /proc/loadavg at the start and the end */
	char load_after[64];
	double elapsed_s;
};

/*
 * Add a measured row from raw values: @v (@nv) and the baseline's @b (@nb),
 * NaN values ignored. The ratio is taken of the medians. Returns the row
 * (for a note) or NULL when the table is full or out of memory (logged).
 */
struct bench_row *bench_add(struct bench_table *t, int figure, const char *id,
			    const char *what, const char *unit, const double *v, size_t nv,
			    const char *baseline, const double *b, size_t nb);

/*
 * Add a row that has no numbers (@status BENCH_UNMEASURABLE or
 * BENCH_NOT_MEASURED) with @reason. Returns the row or NULL (logged).
 */
struct bench_row *bench_add_missing(struct bench_table *t, int figure, const char *id,
				    const char *what, enum bench_status status,
				    const char *reason);

/* Append to the method paragraph of @figure (printf-style). */
void bench_method(struct bench_table *t, int figure, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "measured", "not measurable here" or "not measured". */
const char *bench_status_name(enum bench_status s);

/* The columns of results.csv, in order, and their count. */
extern const char *const bench_csv_cols[];
extern const size_t bench_csv_ncols;

/* Write results.csv to @path atomically. Returns 0 or -errno (logged). */
int bench_write_csv(const struct bench_table *t, const char *path);

/* Write RESULTS.md to @path atomically. Returns 0 or -errno (logged). */
int bench_write_md(const struct bench_table *t, const char *path);

/* The markdown table of the rows of @figure (or every figure, 0) to @fp. */
void bench_md_rows(const struct bench_table *t, int figure, FILE *fp);

#endif
