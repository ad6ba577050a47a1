/*
 * kvm-mini's part of figures 2 (progress stamp cost), 4 (steal accuracy)
 * and 5 (guest time slicing): what kvm-mini's guest does and sees, where
 * kvm-mini runs (bench/kmroute.h). Throughput is in work loops per second,
 * with each run's own calibration (meta.json loops_per_unit), so runs that
 * calibrated differently still compare. The steal figures are derived by
 * kvm-mini's own kmini_window() from vcpu.csv, as its summary derives them.
 */
#include "bench/figures.h"
#include "bench/kmplan.h"
#include "bench/kmread.h"
#include "bench/kmroute.h"

#include "common/log.h"
#include "common/timeutil.h"
#include "kvm-mini/summary.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define INTERVAL "10ms"
#define MAX_RUNS 16

/* Loops per microsecond (Mloop/s) of @units units of @loops in @ns. */
static double mlps(double units, double loops, double ns)
{
	return ns > 0 && units > 0 ? units * loops / ns * 1e3 : NAN;
}

/*
 * A sched run's throughput from its digest (task 0) and calibration:
 * between its first and last stamp, and over its fastest window of K units
 * (NaN when there is none).
 */
static int digest_throughput(const char *dir, int k, double *wall, double *window)
{
	struct kmread_digest d;
	double loops;
	int rc;

	rc = kmread_meta(dir, "vcpus[0].loops_per_unit", &loops);
	rc = rc ? rc : kmread_digest(dir, 0, &d);
	if (rc)
		return rc;
	*wall = mlps((double)(d.last_unit - d.first_unit), loops,
		     (double)(d.last_t_ns - d.first_t_ns));
	*window = mlps(k, loops, d.span_ns);
	return 0;
}

/* ---- 2. progress stamp cost ----------------------------------------------------------- */

#define NSTAMP 4
static const char *const st_name[NSTAMP] = { "none", "1ms", "100us", "10us" };
static const int64_t st_unit_ns[NSTAMP] = { 50 * NS_PER_MS, NS_PER_MS, 100 * NS_PER_US,
					    10 * NS_PER_US };
#define STAMP_WINDOW_NS (10 * NS_PER_MS)

static int64_t stamp_work_ns(const struct bench_ctx *c)
{
	return bench_pick(c, 200, 100) * NS_PER_MS;
}

/* Units of @cfg in a window of STAMP_WINDOW_NS (1 for "none": unused). */
static int stamp_window_units(int cfg)
{
	return st_unit_ns[cfg] >= STAMP_WINDOW_NS ? 1 : (int)(STAMP_WINDOW_NS / st_unit_ns[cfg]);
}

int kmfig_plan_stamps(struct bench_ctx *c, struct kmplan *p)
{
	char cpu[16], units[24], unit[24], dur[24], tag[KMPLAN_TAG_LEN];
	const char *argv[] = { KMPLAN_KVM_MINI, "--vcpus", "1", "--pin", cpu, "--workload",
			       "sched", "--tasks", "1", "--units", units, "--unit-work", unit,
			       "--duration", dur, "--interval", INTERVAL, "--out",
			       KMPLAN_OUT_TOKEN, NULL };
	int64_t work = stamp_work_ns(c);
	int k, cfg, rc = 0;

	snprintf(cpu, sizeof(cpu), "%d", c->km->cpu);
	/*
	 * Room for start-up, calibration and units that run slower than
	 * calibrated: nested, a loaded host slows the TCG guest several times
	 * over after it calibrated, and "none" has only a few stamps to lose.
	 */
	snprintf(dur, sizeof(dur), "%lldms", (long long)(5 * work + 500 * NS_PER_MS) / NS_PER_MS);
	for (k = 0; k < bench_pick(c, 5, 1) && !rc; k++) {
		for (cfg = 0; cfg < NSTAMP && !rc; cfg++) {
			snprintf(units, sizeof(units), "%lld", (long long)(work / st_unit_ns[cfg]));
			snprintf(unit, sizeof(unit), "%lldus",
				 (long long)(st_unit_ns[cfg] / NS_PER_US));
			struct kmplan_opts o = { .digest_k = stamp_window_units(cfg) };

			snprintf(tag, sizeof(tag), "stamps-%s-%d", st_name[cfg], k);
			rc = kmplan_add(p, tag, 3, &o, argv);
		}
	}
	return rc;
}

static int stamps_missing(struct bench_ctx *c)
{
	int cfg, rc = 0;

	for (cfg = 1; cfg < NSTAMP && !rc; cfg++)
		rc = bench_km_missingf(c, 2, "stamps.kvm-mini.wall.%s",
				       "kvm-mini sched throughput, a stamp every %s", st_name[cfg]);
	for (cfg = 2; cfg < NSTAMP && !rc; cfg++)
		rc = bench_km_missingf(c, 2, "stamps.kvm-mini.window.%s",
				       "kvm-mini: fastest 10 ms of units, a stamp every %s",
				       st_name[cfg]);
	return rc;
}

int kmfig_stamps_rows(struct bench_ctx *c)
{
	double wall[NSTAMP][MAX_RUNS], win[NSTAMP][MAX_RUNS];
	int n = bench_pick(c, 5, 1), k, cfg, rc;
	struct bench_km_fails f = { 0 };
	struct bench_km_run r;
	char tag[KMPLAN_TAG_LEN], id[BENCH_ID_LEN], what[160], note[400];

	rc = bench_km_ready(c, 2);
	if (rc)
		return rc < 0 ? rc : stamps_missing(c);
	for (k = 0; k < n; k++) {
		for (cfg = 0; cfg < NSTAMP; cfg++) {
			wall[cfg][k] = win[cfg][k] = NAN;
			snprintf(tag, sizeof(tag), "stamps-%s-%d", st_name[cfg], k);
			if (bench_km_good_run(c, 2, tag, &r, &f) &&
			    digest_throughput(r.dir, stamp_window_units(cfg), &wall[cfg][k],
					      &win[cfg][k]))
				bench_km_fail_read(&f);
		}
	}
	bench_method(c->tab, 2,
		     "\n\nkvm-mini (the rows marked *%s:*), measured %s: `kvm-mini --vcpus 1 "
		     "--workload sched --tasks 1 --units N --unit-work U` pinned to CPU %d "
		     "there, %lld ms of calibrated work in units of 1 ms, 100 us or 10 us, each "
		     "ending with a stamp (a guest rdtsc and a record in the ring the host "
		     "drains), against units of 50 ms (\"none\": one stamp per 50 ms); n = %d "
		     "rounds, the four interleaved. kvm-mini cannot run a task without stamps, "
		     "and needs no option for it: one stamp per 50 ms is none at this "
		     "precision. *Wall*: loops per second between the first and the last stamp "
		     "(start-up and calibration left out). *Window*: the fastest 10 ms of "
		     "consecutive units (no record lost), against the same with a stamp every "
		     "1 ms.%s",
		     bench_km_where(c), bench_km_where_words(c), c->km->cpu,
		     (long long)(stamp_work_ns(c) / NS_PER_MS), n,
		     c->km->route == BENCH_KM_NESTED ?
		     " Nested, the guest's code is translated by TCG (rdtsc is a helper call), "
		     "so a stamp costs what it costs there, not on a KVM host." : "");
	bench_method(c->tab, 2, "%s", bench_km_group_words(c, 2));
	bench_km_fails_note(&f, n * NSTAMP, note, sizeof(note));
	for (cfg = 1, rc = 0; cfg < NSTAMP && !rc; cfg++) {
		snprintf(id, sizeof(id), "stamps.kvm-mini.wall.%s", st_name[cfg]);
		snprintf(what, sizeof(what), "kvm-mini sched throughput between first and last "
			 "stamp, a stamp every %s", st_name[cfg]);
		rc = bench_km_row(c, 2, id, what, "Mloop/s", wall[cfg], (size_t)n,
				  "none: a stamp every 50 ms, the same total work", wall[0],
				  (size_t)n, note);
	}
	for (cfg = 2; cfg < NSTAMP && !rc; cfg++) {
		snprintf(id, sizeof(id), "stamps.kvm-mini.window.%s", st_name[cfg]);
		snprintf(what, sizeof(what), "kvm-mini: fastest 10 ms of units, a stamp every %s",
			 st_name[cfg]);
		rc = bench_km_row(c, 2, id, what, "Mloop/s", win[cfg], (size_t)n,
				  "fastest 10 ms, a stamp every 1 ms", win[1], (size_t)n, note);
	}
	return rc;
}

/* ---- 4. steal accuracy ------------------------------------------------------------------ */

#define HOG_START_NS (300 * NS_PER_MS)
#define HOG_END_NS (700 * NS_PER_MS)
#define STEAL_RUN_NS NS_PER_SEC
#define WINDOW_NS (100 * NS_PER_MS)
#define NWINDOWS (STEAL_RUN_NS / WINDOW_NS)

static int steal_runs(const struct bench_ctx *c)
{
	return bench_pick(c, 10, 2);
}

int kmfig_plan_steal(struct bench_ctx *c, struct kmplan *p)
{
	char cpu[16], hog[64], tag[KMPLAN_TAG_LEN];
	const char *argv[] = { KMPLAN_KVM_MINI, "--vcpus", "1", "--pin", cpu, "--workload",
			       "inf-loop", "--hog", hog, "--duration", "1s", "--interval",
			       INTERVAL, "--out", KMPLAN_OUT_TOKEN, NULL };
	int k, rc = 0;

	snprintf(cpu, sizeof(cpu), "%d", c->km->cpu);
	snprintf(hog, sizeof(hog), "%d:%lldms:%lldms", c->km->cpu,
		 (long long)(HOG_START_NS / NS_PER_MS),
		 (long long)((HOG_END_NS - HOG_START_NS) / NS_PER_MS));
	for (k = 0; k < steal_runs(c) && !rc; k++) {
		snprintf(tag, sizeof(tag), "steal-%d", k);
		rc = kmplan_add(p, tag, 2, NULL, argv);
	}
	return rc;
}

/* The figures of one steal run (NaN where a window has no samples). */
struct steal_run {
	double cont_exact, cont_delay;         /* % of the contended phase */
	double diff_us, delay_us;              /* whole run: guest - host, and host */
	double diff_pct, delay_pct;            /* the same in % of wall */
	double tick_diff, exact_pct;           /* tick - exact, exact; points, whole run */
	double w_diff[NWINDOWS], w_delay[NWINDOWS], w_tick_diff[NWINDOWS], w_exact[NWINDOWS];
};

static int steal_run_figs(const char *dir, struct steal_run *s)
{
	struct kmini_vcpu_result v[KMINI_MAX_VCPUS];
	struct kmini_window_figs w;
	int nv = 0, i, rc;

	rc = kmread_vcpus(dir, v, KMINI_MAX_VCPUS, &nv);
	if (!rc && kmini_window(&v[0], HOG_START_NS, HOG_END_NS, &w) == 0) {
		s->cont_exact = w.guest_steal_pct;
		s->cont_delay = w.host_delay_pct;
	}
	if (!rc && kmini_window(&v[0], 0, INT64_MAX, &w) == 0) {
		s->diff_us = w.diff_pct / 100.0 * (double)w.wall_ns / 1e3;
		s->delay_us = w.host_delay_pct / 100.0 * (double)w.wall_ns / 1e3;
		s->diff_pct = w.diff_pct;
		s->delay_pct = w.host_delay_pct;
		s->tick_diff = w.tick_steal_pct - w.guest_steal_pct;
		s->exact_pct = w.guest_steal_pct;
	}
	for (i = 0; i < NWINDOWS && !rc; i++) {
		if (kmini_window(&v[0], i * WINDOW_NS, (i + 1) * WINDOW_NS, &w))
			continue;
		s->w_diff[i] = w.diff_pct;
		s->w_delay[i] = w.host_delay_pct;
		s->w_tick_diff[i] = w.tick_steal_pct - w.guest_steal_pct;
		s->w_exact[i] = w.guest_steal_pct;
	}
	kmread_vcpus_free(v, nv);
	return rc;
}

static void steal_run_clear(struct steal_run *s)
{
	int i;

	s->cont_exact = s->cont_delay = s->diff_us = s->delay_us = NAN;
	s->diff_pct = s->delay_pct = s->tick_diff = s->exact_pct = NAN;
	for (i = 0; i < NWINDOWS; i++)
		s->w_diff[i] = s->w_delay[i] = s->w_tick_diff[i] = s->w_exact[i] = NAN;
}

static int steal_missing(struct bench_ctx *c)
{
	static const char *const ids[][2] = {
		{ "steal.kvm-mini.contended", "kvm-mini: guest steal (exact) while a hog shares "
		  "its CPU" },
		{ "steal.kvm-mini.exact-minus-delay.run-us", "kvm-mini: guest steal minus host "
		  "run delay, per run" },
		{ "steal.kvm-mini.exact-minus-delay.run-pct", "kvm-mini: guest steal minus host "
		  "run delay, per run, % of wall" },
		{ "steal.kvm-mini.exact-minus-delay.window", "kvm-mini: guest steal minus host "
		  "run delay, per 100 ms window" },
		{ "steal.kvm-mini.tick-minus-exact.run", "kvm-mini: tick-accounted %steal minus "
		  "exact, per run" },
		{ "steal.kvm-mini.tick-minus-exact.window", "kvm-mini: tick-accounted %steal "
		  "minus exact, per 100 ms window" },
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]) && !rc; i++)
		rc = bench_km_missing(c, 4, ids[i][0], ids[i][1], NULL);
	return rc;
}

/* The per-run and per-window columns of @s as arrays, for the rows. */
struct steal_cols {
	double cont_exact[MAX_RUNS], cont_delay[MAX_RUNS], diff_us[MAX_RUNS], delay_us[MAX_RUNS];
	double diff_pct[MAX_RUNS], delay_pct[MAX_RUNS], tick_diff[MAX_RUNS], exact[MAX_RUNS];
	double w_diff[MAX_RUNS * NWINDOWS], w_delay[MAX_RUNS * NWINDOWS];
	double w_tick_diff[MAX_RUNS * NWINDOWS], w_exact[MAX_RUNS * NWINDOWS];
};

static void steal_columns(const struct steal_run *s, int n, struct steal_cols *o)
{
	int k, i;

	for (k = 0; k < n; k++) {
		o->cont_exact[k] = s[k].cont_exact;
		o->cont_delay[k] = s[k].cont_delay;
		o->diff_us[k] = s[k].diff_us;
		o->delay_us[k] = s[k].delay_us;
		o->diff_pct[k] = s[k].diff_pct;
		o->delay_pct[k] = s[k].delay_pct;
		o->tick_diff[k] = s[k].tick_diff;
		o->exact[k] = s[k].exact_pct;
		for (i = 0; i < NWINDOWS; i++) {
			o->w_diff[k * NWINDOWS + i] = s[k].w_diff[i];
			o->w_delay[k * NWINDOWS + i] = s[k].w_delay[i];
			o->w_tick_diff[k * NWINDOWS + i] = s[k].w_tick_diff[i];
			o->w_exact[k * NWINDOWS + i] = s[k].w_exact[i];
		}
	}
}

static int steal_rows(struct bench_ctx *c, const struct steal_run *s, int n, const char *note)
{
	struct steal_cols *o = calloc(1, sizeof(*o));
	size_t nw = (size_t)n * NWINDOWS;
	char id[BENCH_ID_LEN], what[160], base[96], run_note[400];
	int k, rc;

	if (!o)
		return log_err(-ENOMEM, "out of memory");
	steal_columns(s, n, o);
	rc = bench_km_row(c, 4, "steal.kvm-mini.contended",
			  "kvm-mini: guest steal (exact) while a hog shares its CPU", "%",
			  o->cont_exact, (size_t)n, "host run delay of its vCPU thread, same phase",
			  o->cont_delay, (size_t)n, note);
	rc = rc ? rc : bench_km_row(c, 4, "steal.kvm-mini.exact-minus-delay.run-us",
				    "kvm-mini: guest steal minus host run delay, per run", "us",
				    o->diff_us, (size_t)n, "host run delay over the run",
				    o->delay_us, (size_t)n, note);
	rc = rc ? rc : bench_km_row(c, 4, "steal.kvm-mini.exact-minus-delay.run-pct",
				    "kvm-mini: guest steal minus host run delay, per run, points "
				    "of wall", "points", o->diff_pct, (size_t)n,
				    "host run delay, % of the run's wall", o->delay_pct, (size_t)n,
				    note);
	rc = rc ? rc : bench_km_row(c, 4, "steal.kvm-mini.exact-minus-delay.window",
				    "kvm-mini: guest steal minus host run delay, per 100 ms window",
				    "points", o->w_diff, nw, "host run delay, % of each window",
				    o->w_delay, nw, note);
	rc = rc ? rc : bench_km_row(c, 4, "steal.kvm-mini.tick-minus-exact.run",
				    "kvm-mini: tick-accounted %steal minus exact %steal, per run",
				    "points", o->tick_diff, (size_t)n, "exact %steal of the run",
				    o->exact, (size_t)n, note);
	rc = rc ? rc : bench_km_row(c, 4, "steal.kvm-mini.tick-minus-exact.window",
				    "kvm-mini: tick-accounted %steal minus exact %steal, per 100 "
				    "ms window", "points", o->w_tick_diff, nw,
				    "exact %steal of each window", o->w_exact, nw, note);
	for (k = 0; k < n && !rc; k++) {
		snprintf(id, sizeof(id), "steal.kvm-mini.run-%d", k + 1);
		snprintf(what, sizeof(what), "run %d: kvm-mini guest steal (exact), contended "
			 "phase", k + 1);
		snprintf(base, sizeof(base), "host run delay, same run and phase");
		snprintf(run_note, sizeof(run_note), "whole run: guest steal - run delay %.3f us "
			 "(%.4f points of wall); tick - exact %.2f points", s[k].diff_us,
			 s[k].diff_pct, s[k].tick_diff);
		rc = bench_km_row(c, 4, id, what, "%", &o->cont_exact[k], 1, base,
				  &o->cont_delay[k], 1, run_note);
	}
	free(o);
	return rc;
}

int kmfig_steal_rows(struct bench_ctx *c)
{
	struct steal_run s[MAX_RUNS];
	int n = steal_runs(c), k, rc;
	struct bench_km_fails f = { 0 };
	struct bench_km_run r;
	char tag[KMPLAN_TAG_LEN], note[400];

	rc = bench_km_ready(c, 4);
	if (rc)
		return rc < 0 ? rc : steal_missing(c);
	for (k = 0; k < n; k++) {
		steal_run_clear(&s[k]);
		snprintf(tag, sizeof(tag), "steal-%d", k);
		if (bench_km_good_run(c, 4, tag, &r, &f) && steal_run_figs(r.dir, &s[k]))
			bench_km_fail_read(&f);
	}
	bench_method(c->tab, 4,
		     "\n\nkvm-mini (the rows marked *%s:*), measured %s: `kvm-mini --vcpus 1 "
		     "--pin %d --workload inf-loop --hog %d:300ms:400ms --duration 1s` (a host "
		     "busy thread shares the vCPU thread's CPU from 300 to 700 ms), n = %d runs, "
		     "sampled every 10 ms. Exact steal is the guest's paravirtual steal clock, "
		     "host run delay the vCPU thread's schedstat, on one base (kvm-mini's "
		     "vcpu.csv); tick-accounted steal is the guest's Linux-style tick counters "
		     "(steal ticks over all ticks). Differences are in points of the wall time "
		     "of a run or of each 100 ms window (all windows of all runs in one "
		     "spread), each beside the figure it is the error of. KVM adds run delay "
		     "to the guest's steal clock when it puts the vCPU thread back on a CPU, "
		     "so delay at a window's end reaches the guest in the next window: per "
		     "window the two differ by that much, over a run they agree. The per-run "
		     "rows give the contended phase, with the whole run's differences in the "
		     "note.%s",
		     bench_km_where(c), bench_km_where_words(c), c->km->cpu, c->km->cpu, n,
		     c->km->route == BENCH_KM_NESTED ?
		     " Nested, steal and run delay are both L1 time and exact; time the outer "
		     "host takes from L1 shows in neither (docs/kvm-nested.md)." : "");
	bench_method(c->tab, 4, "%s", bench_km_group_words(c, 4));
	bench_km_fails_note(&f, n, note, sizeof(note));
	return steal_rows(c, s, n, note);
}

/* ---- 5. guest time slicing ------------------------------------------------------------- */

#define SLICE_UNIT "250us"
#define NTICK 3
static const char *const tick_name[NTICK] = { "100ms", "4ms", "1ms" };
static const double tick_ms[NTICK] = { 100, 4, 1 };
#define TICK_WINDOW_UNITS 20                    /* of 1 ms */

static int slicing_runs(const struct bench_ctx *c)
{
	return bench_pick(c, 3, 1);
}

static int tick_runs(const struct bench_ctx *c)
{
	return bench_pick(c, 4, 1);
}

int kmfig_plan_slicing(struct bench_ctx *c, struct kmplan *p)
{
	char cpu[16], tasks[16], slice[16], dur[24], tag[KMPLAN_TAG_LEN];
	static const struct kmplan_opts tick_opts = { .digest_k = TICK_WINDOW_UNITS };
	const char *argv[] = { KMPLAN_KVM_MINI, "--vcpus", "1", "--pin", cpu, "--workload",
			       "sched", "--tasks", tasks, "--unit-work", SLICE_UNIT, "--slice",
			       slice, "--duration", dur, "--interval", INTERVAL, "--out",
			       KMPLAN_OUT_TOKEN, NULL };
	int k, t, i, rc = 0;

	snprintf(cpu, sizeof(cpu), "%d", c->km->cpu);
	snprintf(slice, sizeof(slice), "4ms");
	snprintf(dur, sizeof(dur), "%dms", bench_pick(c, 600, 300));
	for (k = 0; k < slicing_runs(c) && !rc; k++) {
		for (t = 2; t <= 4 && !rc; t += 2) {
			snprintf(tasks, sizeof(tasks), "%d", t);
			snprintf(tag, sizeof(tag), "slice-%d-%d", t, k);
			rc = kmplan_add(p, tag, 1, NULL, argv);
		}
	}
	/* one task in 1 ms units under a 100 ms, 4 ms and 1 ms tick */
	argv[10] = "1ms";
	snprintf(tasks, sizeof(tasks), "1");
	snprintf(dur, sizeof(dur), "%dms", bench_pick(c, 500, 300));
	for (k = 0; k < tick_runs(c) && !rc; k++) {
		for (i = 0; i < NTICK && !rc; i++) {
			snprintf(slice, sizeof(slice), "%s", tick_name[i]);
			snprintf(tag, sizeof(tag), "tick-%s-%d", tick_name[i], k);
			rc = kmplan_add(p, tag, 1, &tick_opts, argv);
		}
	}
	return rc;
}

static int slicing_missing(struct bench_ctx *c)
{
	int t, i, rc = 0;

	for (t = 2; t <= 4 && !rc; t += 2)
		rc = bench_km_missingf(c, 5, "slicing.kvm-mini.%dtasks",
				       "kvm-mini: %d tasks on one vCPU, shares and slices", t);
	for (i = 1; i < NTICK && !rc; i++)
		rc = bench_km_missingf(c, 5, "slicing.kvm-mini.tick-%s",
				       "kvm-mini: the cost of a %s tick", tick_name[i]);
	return rc;
}

/* The share and slice rows of @ntasks tasks. */
static int fairness_rows(struct bench_ctx *c, int ntasks)
{
	double v[MAX_RUNS], fair = 100.0 / ntasks, slice_ms = 4;
	struct bench_km_fails f = { 0 };
	struct bench_slices sl[MAX_RUNS];
	int n = slicing_runs(c), k, j, ok[MAX_RUNS], rc = 0;
	struct bench_km_run r;
	char tag[KMPLAN_TAG_LEN], path[PATH_MAX + 32], id[BENCH_ID_LEN], what[160], base[64], note[400];

	for (k = 0; k < n; k++) {
		snprintf(tag, sizeof(tag), "slice-%d-%d", ntasks, k);
		ok[k] = bench_km_good_run(c, 5, tag, &r, &f);
		if (!ok[k])
			continue;
		snprintf(path, sizeof(path), "%s/progress.csv", r.dir);
		if (bench_slice_figures(path, ntasks, 1, &sl[k])) {
			ok[k] = 0;
			bench_km_fail_read(&f);
		}
	}
	bench_km_fails_note(&f, n, note, sizeof(note));
	snprintf(base, sizeof(base), "a fair share, 1/%d", ntasks);
	for (j = 0; j < ntasks && !rc; j++) {
		for (k = 0; k < n; k++)
			v[k] = ok[k] ? sl[k].share_pct[j] : NAN;
		snprintf(id, sizeof(id), "slicing.kvm-mini.%dtasks.share.task-%d", ntasks, j);
		snprintf(what, sizeof(what), "kvm-mini, %d tasks on one vCPU: task %d's share of "
			 "the units", ntasks, j);
		rc = bench_km_row(c, 5, id, what, "%", v, (size_t)n, base, &fair, 1, note);
	}
	for (j = 0; j < 2 && !rc; j++) {
		for (k = 0; k < n; k++)
			v[k] = !ok[k] ? NAN : j ? sl[k].p99_ms : sl[k].p50_ms;
		snprintf(id, sizeof(id), "slicing.kvm-mini.%dtasks.slice.%s", ntasks,
			 j ? "p99" : "p50");
		snprintf(what, sizeof(what), "kvm-mini, %d tasks: slice length %s (per run)",
			 ntasks, j ? "p99" : "p50");
		rc = bench_km_row(c, 5, id, what, "ms", v, (size_t)n, "the tick, 4 ms",
				  &slice_ms, 1, note);
	}
	return rc;
}

/* The tick's cost: throughput under a 4 ms and a 1 ms tick against a 100 ms one. */
static int tick_rows(struct bench_ctx *c)
{
	double wall[NTICK][MAX_RUNS], win[NTICK][MAX_RUNS];
	struct bench_km_fails f = { 0 };
	int n = tick_runs(c), k, i, rc = 0;
	struct bench_km_run r;
	struct bench_dist a, b;
	char tag[KMPLAN_TAG_LEN], id[BENCH_ID_LEN], what[160], note[480], fails[400];

	for (k = 0; k < n; k++) {
		for (i = 0; i < NTICK; i++) {
			wall[i][k] = win[i][k] = NAN;
			snprintf(tag, sizeof(tag), "tick-%s-%d", tick_name[i], k);
			if (bench_km_good_run(c, 5, tag, &r, &f) &&
			    digest_throughput(r.dir, TICK_WINDOW_UNITS, &wall[i][k], &win[i][k]))
				bench_km_fail_read(&f);
		}
	}
	bench_km_fails_note(&f, n * NTICK, fails, sizeof(fails));
	for (i = 1; i < NTICK && !rc; i++) {
		bench_dist_of(win[i], (size_t)n, &a);
		bench_dist_of(win[0], (size_t)n, &b);
		snprintf(note, sizeof(note), "the tick's cost: %.2f%% of the vCPU, %.1f us per "
			 "tick (from the medians)%s%s", 100.0 * (1 - a.median / b.median),
			 (1 - a.median / b.median) * tick_ms[i] * 1e3, *fails ? "; " : "", fails);
		snprintf(id, sizeof(id), "slicing.kvm-mini.tick-%s.window", tick_name[i]);
		snprintf(what, sizeof(what), "kvm-mini, one task: fastest 20 ms of units under a "
			 "%s tick", tick_name[i]);
		rc = bench_km_row(c, 5, id, what, "Mloop/s", win[i], (size_t)n,
				  "the same under a 100 ms tick", win[0], (size_t)n, note);
		snprintf(id, sizeof(id), "slicing.kvm-mini.tick-%s.wall", tick_name[i]);
		snprintf(what, sizeof(what), "kvm-mini, one task: throughput between first and "
			 "last stamp under a %s tick", tick_name[i]);
		rc = rc ? rc : bench_km_row(c, 5, id, what, "Mloop/s", wall[i], (size_t)n,
					    "the same under a 100 ms tick", wall[0], (size_t)n,
					    fails);
	}
	return rc;
}

int kmfig_slicing_rows(struct bench_ctx *c)
{
	int rc;

	rc = bench_km_ready(c, 5);
	if (rc)
		return rc < 0 ? rc : slicing_missing(c);
	bench_method(c->tab, 5,
		     "\n\nkvm-mini (the rows marked *%s:*), measured %s, pinned to CPU %d there. "
		     "Fairness and slices: `kvm-mini --vcpus 1 --workload sched --tasks T "
		     "--unit-work %s --slice 4ms --duration %dms` for T = 2 and 4, n = %d each; "
		     "the guest's tick switches its CPL3 tasks round-robin, and slices are "
		     "read from the stamps as above (the first, which holds the guest's start "
		     "and calibration, left out). The tick's cost: one task in 1 ms units "
		     "under a 100 ms, 4 ms and 1 ms tick (`--slice`), n = %d rounds "
		     "interleaved; the fastest 20 ms of units (no tick at all in it under a "
		     "100 ms tick) and the throughput between first and last stamp, each "
		     "against the 100 ms tick: 1 - ratio is the tick's share of the vCPU.%s",
		     bench_km_where(c), bench_km_where_words(c), c->km->cpu, SLICE_UNIT,
		     bench_pick(c, 600, 300), slicing_runs(c), tick_runs(c),
		     c->km->route == BENCH_KM_NESTED ?
		     " Nested, every tick is an L1 timer injected into L2 through nested SVM, "
		     "all of it under TCG: far dearer than on a KVM host." : "");
	bench_method(c->tab, 5, "%s", bench_km_group_words(c, 5));
	rc = fairness_rows(c, 2);
	rc = rc ? rc : fairness_rows(c, 4);
	rc = rc ? rc : tick_rows(c);
	return rc;
}
