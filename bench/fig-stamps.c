/*
 * Figure 2, progress stamp cost: the same total work done by native
 * sched-load (one process) in units of 1 ms, 100 us and 10 us, each unit
 * ending with a stamp (one vDSO clock read and one store), against the
 * same work with no stamp inside it.
 *
 * Two views, because the machine is shared. Wall throughput over a whole
 * run compares with one unit of the same total work (the literal "none"),
 * but a preemption from another build lands in whichever run it hits. The
 * fastest 1 ms window of consecutive units compares with the same for a
 * stamp every 1 ms (25 ns per ms: none at this precision): both are "the
 * best millisecond of a run", so preemptions drop out of both alike.
 */
#include "bench/figures.h"

#include "common/fileio.h"
#include "common/log.h"
#include "common/timeutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIG 2
#define NCFG 4

/* The stamp intervals; 0 is "none": one unit of the whole work. */
static const int64_t cfg_unit_ns[NCFG] = { 0, NS_PER_MS, 100 * NS_PER_US, 10 * NS_PER_US };
static const char *const cfg_name[NCFG] = { "none", "1ms", "100us", "10us" };

/* What one run of sched-load -v said and did. */
struct stamp_run {
	double ns_per_loop;            /* calibration: fastest ~1 ms run, no stamps */
	double loops_per_unit;
	double clock_read_ns;
	double wall_mlps;              /* loops per microsecond over the whole run */
	double window_mlps;            /* of the fastest ~1 ms window of units */
};

/*
 * The calibration line of sched-load -v (guest-tools/sched-load.c):
 * "calibration on CPU C: X ns/loop (fastest of R runs of P loops), L loops
 * per unit of D, clock read T ns".
 */
static int parse_calibration(const char *text, const char *path, struct stamp_run *s)
{
	const char *p = strstr(text, "calibration on CPU ");
	char *end;

	if (!p || !(p = strchr(p, ':')))
		goto bad;
	s->ns_per_loop = strtod(p + 1, &end);
	if (end == p + 1 || strncmp(end, " ns/loop", 8) || !(p = strstr(end, "), ")))
		goto bad;
	s->loops_per_unit = strtod(p + 3, &end);
	if (end == p + 3 || strncmp(end, " loops per unit", 15) || !(p = strstr(end, "clock read ")))
		goto bad;
	p += strlen("clock read ");
	s->clock_read_ns = strtod(p, &end);
	if (end == p || !(s->ns_per_loop > 0) || !(s->loops_per_unit >= 1))
		goto bad;
	return 0;
bad:
	return log_err(-EINVAL, "%s: no calibration line from sched-load -v", path);
}

/*
 * Throughputs of a run from its progress CSV (one process, units in
 * order): over the whole run, and over the fastest window of @block units
 * (about 1 ms), leaving out the first window (it holds the wake-up at the
 * start).
 */
static int run_throughput(const char *csv, int64_t units, int64_t block, struct stamp_run *s)
{
	struct csv_table t;
	int c_t, rc;
	int64_t *t_ns = NULL, u, b;

	rc = csv_table_load(csv, &t);
	if (rc)
		return rc;
	c_t = csv_table_col(&t, "t_ns");
	if (c_t < 0 || (int64_t)t.nrows != units) {
		rc = log_err(-EINVAL, "%s: expected %lld rows with t_ns, got %zu", csv,
			     (long long)units, t.nrows);
		goto out;
	}
	t_ns = calloc(t.nrows, sizeof(*t_ns));
	if (!t_ns) {
		rc = log_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (u = 0; u < units && !rc; u++)
		rc = csv_table_i64(&t, (size_t)u, (size_t)c_t, &t_ns[u]);
	if (rc)
		goto out;
	s->wall_mlps = (double)units * s->loops_per_unit / (double)t_ns[units - 1] * 1e3;
	s->window_mlps = NAN;
	for (b = 1; (b + 1) * block <= units; b++) {
		int64_t dt = t_ns[(b + 1) * block - 1] - t_ns[b * block - 1];
		double mlps = (double)block * s->loops_per_unit / (double)dt * 1e3;

		if (dt > 0 && (isnan(s->window_mlps) || mlps > s->window_mlps))
			s->window_mlps = mlps;
	}
out:
	free(t_ns);
	csv_table_free(&t);
	return rc;
}

static int one_run(struct bench_ctx *c, int cfg, int k, int64_t work_ns, struct stamp_run *s)
{
	char tool[PATH_MAX], csv[PATH_MAX], err[PATH_MAX], units[32], unit[32], cpu[16];
	const char *argv[] = { tool, "--procs", "1", "--cpu", cpu, "--units", units,
			       "--unit-work", unit, "-v", NULL };
	struct spawn_opts o = { .stdout_path = csv, .stderr_path = err };
	int64_t unit_ns = cfg_unit_ns[cfg] ? cfg_unit_ns[cfg] : work_ns;
	int64_t n = work_ns / unit_ns;
	struct fileio_buf text = { 0 };
	struct spawn_result r;
	int rc;

	snprintf(cpu, sizeof(cpu), "%d", c->cpu);
	snprintf(units, sizeof(units), "%lld", (long long)n);
	snprintf(unit, sizeof(unit), "%lldns", (long long)unit_ns);
	rc = bench_tool(c, "sched-load", tool, sizeof(tool));
	rc = rc ? rc : bench_work_path(c, csv, sizeof(csv), "stamps-%s-%d.csv", cfg_name[cfg], k);
	rc = rc ? rc : bench_work_path(c, err, sizeof(err), "stamps-%s-%d.err", cfg_name[cfg], k);
	rc = rc ? rc : spawn_run(argv, &o, &r);
	rc = rc ? rc : spawn_check_ok(&r, "sched-load", err);
	rc = rc ? rc : fileio_load(err, 1 << 20, 0, &text);
	rc = rc ? rc : parse_calibration(text.data, err, s);
	fileio_buf_free(&text);
	if (rc)
		return rc;
	return run_throughput(csv, n, unit_ns >= NS_PER_MS ? 1 : NS_PER_MS / unit_ns, s);
}

static int add_rows(struct bench_ctx *c, struct stamp_run (*runs)[NCFG], int n)
{
	double *a = calloc((size_t)n, sizeof(double)), *b = calloc((size_t)n, sizeof(double));
	double *clk = calloc((size_t)n * NCFG, sizeof(double)), unit10 = 10000;
	char id[BENCH_ID_LEN], what[160];
	int cfg, k, rc = 0;

	if (!a || !b || !clk) {
		rc = log_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < n; k++)
		b[k] = runs[k][0].wall_mlps;
	for (cfg = 1; cfg < NCFG && !rc; cfg++) {
		for (k = 0; k < n; k++)
			a[k] = runs[k][cfg].wall_mlps;
		snprintf(id, sizeof(id), "stamps.wall.%s", cfg_name[cfg]);
		snprintf(what, sizeof(what), "sched-load throughput over the run, a stamp every %s",
			 cfg_name[cfg]);
		rc = bench_row(c, FIG, id, what, "Mloop/s", a, (size_t)n,
			       "none: one unit of the same total work", b, (size_t)n, NULL);
	}
	for (k = 0; k < n; k++)
		b[k] = runs[k][1].window_mlps;
	for (cfg = 2; cfg < NCFG && !rc; cfg++) {
		for (k = 0; k < n; k++)
			a[k] = runs[k][cfg].window_mlps;
		snprintf(id, sizeof(id), "stamps.window.%s", cfg_name[cfg]);
		snprintf(what, sizeof(what), "fastest 1 ms of units, a stamp every %s",
			 cfg_name[cfg]);
		rc = bench_row(c, FIG, id, what, "Mloop/s", a, (size_t)n,
			       "fastest 1 ms, one stamp per ms", b, (size_t)n, NULL);
	}
	for (k = 0; k < n * NCFG; k++)
		clk[k] = runs[k / NCFG][k % NCFG].clock_read_ns;
	rc = rc ? rc : bench_row(c, FIG, "stamps.clock-read",
				 "one CLOCK_MONOTONIC read (vDSO), as calibration times it", "ns",
				 clk, (size_t)n * NCFG, "a 10 us work unit", &unit10, 1,
				 "the ratio is the stamp's expected cost at 10 us, by arithmetic");
	rc = rc ? rc : kmfig_stamps_rows(c);
out:
	free(a);
	free(b);
	free(clk);
	return rc;
}

int fig_stamps(struct bench_ctx *c)
{
	int n = bench_pick(c, 15, 3), k, cfg, rc = 0;
	int64_t work_ns = bench_pick(c, 200, 50) * NS_PER_MS;
	struct stamp_run (*runs)[NCFG] = calloc((size_t)n, sizeof(*runs));

	snprintf(c->tab->title[FIG - 1], sizeof(c->tab->title[0]), "Progress stamp cost");
	if (!runs)
		return log_err(-ENOMEM, "out of memory");
	for (k = 0; k < n && !rc; k++)
		for (cfg = 0; cfg < NCFG && !rc; cfg++)
			rc = one_run(c, cfg, k, work_ns, &runs[k][cfg]);
	if (!rc) {
		bench_method(c->tab, FIG,
			     "`sched-load --procs 1 --cpu %d -v` does %lld ms of calibrated work "
			     "as units of 1 ms, 100 us or 10 us, each ending with a progress stamp "
			     "(a vDSO clock read and a store), or as one unit (\"none\"); n = %d rounds, "
			     "the four kinds interleaved in each. Throughput is work loops per "
			     "second, so the calibration of each run (which sets the loops per "
			     "unit) cancels out.\n\n"
			     "Two views. *Wall*: loops over the whole run, start to last stamp, "
			     "against \"none\"; honest but exposed to whatever else runs on the CPU "
			     "(a preemption lands in one run, not in its baseline). *Window*: the "
			     "fastest 1 ms of consecutive units in a run (the first millisecond, "
			     "which holds the wake-up, left out), against the same for the runs "
			     "with a stamp every 1 ms: both take the best of ~%lld windows of the "
			     "same length, so preemptions drop out alike, and one stamp per ms "
			     "costs 0.0025%% (the clock-read row), which is none at this "
			     "precision. A ratio below 1 is the cost: 0.99 is 1%%. The clock-read "
			     "row gives the expected cost by arithmetic.\n\n"
			     "Not used: callgrind instruction counts. Under valgrind there is no "
			     "vDSO, so each clock read becomes a system call whose kernel side "
			     "callgrind does not count, and an instruction count says nothing of "
			     "the cycles of the TSC read inside the vDSO; `perf stat` has no "
			     "hardware counters on this VM.",
			     c->cpu, (long long)(work_ns / NS_PER_MS), n,
			     (long long)(work_ns / NS_PER_MS) - 1);
		rc = add_rows(c, runs, n);
	}
	free(runs);
	return rc;
}
