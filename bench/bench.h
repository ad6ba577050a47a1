/*
 * bench: what every figure of the benchmark driver shares: the run's
 * settings, paths of the tools and of files in the work directory, the
 * experiment specs it writes there, and `stealscope run` and the files it
 * leaves. Where kvm-mini runs is bench/kmroute.h's business.
 *
 * The figures measure the tools from the outside, as a user runs them
 * (bench/spawn.h); they never link the code they measure. Everything a
 * figure writes goes under the work directory; nothing here exits.
 */
#ifndef STEALSCOPE_BENCH_BENCH_H
#define STEALSCOPE_BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "bench/spawn.h"
#include "bench/table.h"
#include "common/csvio.h"

struct bench_km;

struct bench_ctx {
	const char *bindir;            /* the stealscope tools */
	const char *work;              /* scratch files and results directories */
	const char *guest_dir;         /* vmlinuz, initramfs.cpio.gz, IMAGE */
	const char *sadc;              /* sysstat's collector */
	int quick;                     /* BENCH_QUICK: fewer and shorter runs */
	int cpu;                       /* the CPU pinned loads use */
	unsigned figures;              /* selected figures: bit N for figure N */
	struct bench_table *tab;
	struct bench_km *km;           /* kvm-mini's route and runs (bench/kmroute.h) */
};

/* @full or, in quick mode, @quick: run counts and sizes. */
int bench_pick(const struct bench_ctx *c, int full, int quick);

/* <bindir>/<tool> into @buf. 0 or -ENAMETOOLONG (logged). */
int bench_tool(const struct bench_ctx *c, const char *tool, char *buf, size_t len);

/* <work>/<printf(fmt)> into @buf. 0 or -ENAMETOOLONG (logged). */
int bench_work_path(const struct bench_ctx *c, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Add a row measured on this machine (`where` "host"), failing with
 * -ENOSPC/-ENOMEM when it cannot be added.
 */
int bench_row(struct bench_ctx *c, int figure, const char *id, const char *what,
	      const char *unit, const double *v, size_t nv, const char *baseline,
	      const double *b, size_t nb, const char *note);

/*
 * Run `stealscope run SPEC --backend native --out <work>/<tag> [@extra...]`
 * (@extra NULL-terminated, may be NULL) with stdout and stderr kept as
 * <work>/<tag>.out and .err, VmHWM polled. The results directory it made
 * (<work>/<tag>/<name>/latest, resolved) goes to @dir (PATH_MAX bytes).
 * Returns 0, or -errno / -EIO when it did not exit 0 (logged).
 */
int bench_stealscope_run(struct bench_ctx *c, const char *tag, const char *spec,
			 const char *name, const char *const *extra, struct spawn_result *r,
			 char *dir);

/*
 * Write the spec <work>/<name>.ini from @fmt (printf-style), atomically,
 * and its path into @path (PATH_MAX bytes). 0 or -errno (logged).
 */
int bench_write_spec(const struct bench_ctx *c, char *path, const char *name,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * From <dir>/summary.csv, column @metric of the rows of @phase whose rep is a
 * number (not the mean/sd/min/max rows) and whose vcpu is a number, in file
 * order, appended to @out (room for @cap; *@n counts). 0 or -errno (logged).
 */
int bench_summary_values(const char *dir, const char *phase, const char *metric,
			 double *out, size_t cap, size_t *n);

/*
 * "0,1,0,1": @vcpus CPUs taken in turn from @cpus (NULL: 0..@ncpus-1),
 * into @buf (cut short when it does not fit).
 */
void bench_pins_in_turn(int vcpus, const int *cpus, int ncpus, char *buf, size_t len);

/* Is any of @v[0..@n) a number (not NaN)? */
int bench_any_number(const double *v, size_t n);

/* Milliseconds and microseconds of ns, as doubles. */
static inline double bench_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

static inline double bench_us(int64_t ns)
{
	return (double)ns / 1e3;
}

#endif
