/*
 * Figures 4, 5 and 7 on the native backend of `stealscope run`: steal
 * accuracy (the vCPU thread's run delay while a hog shares its CPU,
 * against the share a fair scheduler gives), guest time slicing (the
 * user-space round-robin's fairness and slice lengths, from the progress
 * stamps) and scale (1 to 8 vCPUs on the CPUs there are). Every number
 * comes from the files a run leaves (summary.csv, progress.csv), read as a
 * user would read them.
 */
#include "bench/figures.h"

#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPS 16
#define SLICE_NS (4 * NS_PER_MS)

/* ---- 4. steal accuracy ------------------------------------------------------------ */

int fig_steal(struct bench_ctx *c)
{
	int reps = bench_pick(c, 10, 3), k, rc;
	char spec[PATH_MAX], dir[PATH_MAX], reps_s[16], id[BENCH_ID_LEN], what[160], base[96];
	const char *extra[] = { "--repeat", reps_s, NULL };
	double delay[MAX_REPS], before[MAX_REPS], after[MAX_REPS], own[MAX_REPS];
	double quiet = 50;
	size_t nd = 0, nb = 0, na = 0;
	struct spawn_result r;

	snprintf(c->tab->title[3], sizeof(c->tab->title[0]), "Steal accuracy");
	snprintf(reps_s, sizeof(reps_s), "%d", reps);
	rc = bench_write_spec(c, spec, "steal",
			      "[experiment]\nname = steal\n"
			      "description = bench: one vCPU, a hog on its CPU from 300ms to 700ms\n"
			      "backend = native\nduration = 1s\nsample_interval = 10ms\n"
			      "\n[vm]\nvcpus = 1\npin = %d\nslice = 4ms\n"
			      "\n[workload]\ntasks = 1\nunit_work = 100us\n"
			      "\n[contention hog]\ncpu = %d\nstart = 300ms\nduration = 400ms\n",
			      c->cpu, c->cpu);
	rc = rc ? rc : bench_stealscope_run(c, "steal", spec, "steal", extra, &r, dir);
	rc = rc ? rc : bench_summary_values(dir, "contended", "host_delay_pct", delay, MAX_REPS,
					    &nd);
	rc = rc ? rc : bench_summary_values(dir, "baseline", "host_delay_pct", before, MAX_REPS,
					    &nb);
	rc = rc ? rc : bench_summary_values(dir, "recovery", "host_delay_pct", after, MAX_REPS,
					    &na);
	if (rc)
		return rc;
	if ((int)nd != reps || (int)nb != reps || (int)na != reps)
		return log_err(-EIO, "%s/summary.csv: %zu/%zu/%zu rows of the three phases for %d "
			       "runs", dir, nb, nd, na, reps);
	/*
	 * The hog is a thread of the same process as the vCPU thread, so it takes
	 * its half of what the vCPU had without it: whatever share other load
	 * took in the uncontended phases (300 ms each side) it keeps.
	 */
	for (k = 0; k < reps; k++)
		own[k] = 100.0 - (100.0 - (before[k] + after[k]) / 2) / 2;
	bench_method(c->tab, 4,
		     "`stealscope run --backend native --repeat %d` of a 1 s spec: one vCPU "
		     "thread pinned to CPU %d runs one task in 100 us units; a hog thread at the "
		     "same nice shares CPU %d from 300 ms to 700 ms. The figure is the vCPU "
		     "thread's schedstat run delay over the contended phase as a share of its "
		     "wall time (summary.csv `host_delay_pct`). Two baselines. *Quiet CPU*: "
		     "two equal runnable threads on an otherwise idle CPU each wait half the "
		     "time, 50%%. *Same run*: other load takes a share u of the CPU in the "
		     "uncontended phases (run delay before and after the hog); the hog, a "
		     "thread of the same process, then takes half of what the vCPU had, so the "
		     "vCPU waits 1 - (1 - u)/2 (50%% when u = 0). On this kernel with autogroup "
		     "on, CPU time is split between sessions before threads, which is why the "
		     "hog does not dilute other sessions' share. The per-run rows use the same-"
		     "run baseline. On the native backend there is no guest, hence no guest "
		     "steal to compare with: that part needs kvm-mini.",
		     reps, c->cpu, c->cpu);
	snprintf(what, sizeof(what), "native vCPU run delay while a hog shares its CPU, "
		 "%d runs", reps);
	rc = bench_row(c, 4, "steal.native.contended", what, "%", delay, nd,
		       "quiet CPU: half of it each, 50%", &quiet, 1, NULL);
	rc = rc ? rc : bench_row(c, 4, "steal.native.contended-same-run", what, "%", delay, nd,
				 "same run: 1 - (1 - u)/2, u the uncontended phases' delay",
				 own, (size_t)reps, NULL);
	for (k = 0; k < reps && !rc; k++) {
		snprintf(id, sizeof(id), "steal.native.run-%d", k + 1);
		snprintf(what, sizeof(what), "run %d: native vCPU run delay, contended phase", k + 1);
		snprintf(base, sizeof(base), "same run: u = %.2f%% before and after the hog",
			 (before[k] + after[k]) / 2);
		rc = bench_row(c, 4, id, what, "%", &delay[k], 1, base, &own[k], 1, NULL);
	}
	rc = rc ? rc : kmfig_steal_rows(c);
	return rc;
}

/* ---- 5. guest time slicing ------------------------------------------------------------- */

struct stamp {
	int64_t t_ns;
	int64_t task;
};

static int cmp_stamp(const void *a, const void *b)
{
	const struct stamp *x = a, *y = b;

	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

int bench_slice_figures(const char *path, int ntasks, int skip_first, struct bench_slices *out)
{
	struct csv_table t;
	struct stamp *s = NULL;
	double *len = NULL;
	size_t i, nslices = 0, units[BENCH_SLICE_TASKS] = { 0 };
	int64_t prev_end = 0;
	int c_t, c_task, rc, first = 1;

	if (ntasks < 1 || ntasks > BENCH_SLICE_TASKS)
		return log_err(-EINVAL, "%s: %d tasks: 1..%d can be sliced", path, ntasks,
			       BENCH_SLICE_TASKS);
	rc = csv_table_load(path, &t);
	if (rc)
		return rc;
	c_t = csv_table_col(&t, "t_ns");
	c_task = csv_table_col(&t, "task");
	if (c_t < 0 || c_task < 0 || t.nrows < 2) {
		rc = log_err(-EINVAL, "%s: no t_ns and task columns, or under 2 rows", path);
		goto out;
	}
	s = calloc(t.nrows, sizeof(*s));
	len = calloc(t.nrows, sizeof(*len));
	if (!s || !len) {
		rc = log_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < t.nrows && !rc; i++) {
		rc = csv_table_i64(&t, i, (size_t)c_t, &s[i].t_ns);
		rc = rc ? rc : csv_table_i64(&t, i, (size_t)c_task, &s[i].task);
		if (!rc && (s[i].task < 0 || s[i].task >= ntasks))
			rc = log_err(-EINVAL, "%s: task %lld out of 0..%d", path,
				     (long long)s[i].task, ntasks - 1);
		if (!rc)
			units[s[i].task]++;
	}
	if (rc)
		goto out;
	qsort(s, t.nrows, sizeof(*s), cmp_stamp);
	for (i = 0; i + 1 < t.nrows; i++) {
		if (s[i + 1].task == s[i].task)
			continue;
		if (!first || !skip_first)
			len[nslices++] = (double)(s[i].t_ns - prev_end) / 1e6;
		prev_end = s[i].t_ns;
		first = 0;
	}
	for (i = 0; i < (size_t)ntasks; i++)
		out->share_pct[i] = 100.0 * (double)units[i] / (double)t.nrows;
	nslices = bench_sort(len, nslices);
	out->p50_ms = bench_quantile_sorted(len, nslices, 0.50);
	out->p99_ms = bench_quantile_sorted(len, nslices, 0.99);
out:
	free(s);
	free(len);
	csv_table_free(&t);
	return rc;
}

static int slicing_rows(struct bench_ctx *c, int ntasks, int reps)
{
	char spec[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 64], name[32], reps_s[16];
	char id[BENCH_ID_LEN], what[160], base[64];
	const char *extra[] = { "--repeat", reps_s, NULL };
	struct bench_slices sr[MAX_REPS];
	double v[MAX_REPS], fair = 100.0 / ntasks, slice_ms = (double)SLICE_NS / 1e6;
	struct spawn_result r;
	int k, j, rc;

	snprintf(name, sizeof(name), "slice%d", ntasks);
	snprintf(reps_s, sizeof(reps_s), "%d", reps);
	rc = bench_write_spec(c, spec, name,
			      "[experiment]\nname = %s\n"
			      "description = bench: %d tasks round-robin on one vCPU\n"
			      "backend = native\nduration = 1s\nsample_interval = 10ms\n"
			      "\n[vm]\nvcpus = 1\npin = %d\nslice = %lldus\n"
			      "\n[workload]\ntasks = %d\nunit_work = 50us\n",
			      name, ntasks, c->cpu, (long long)(SLICE_NS / NS_PER_US), ntasks);
	rc = rc ? rc : bench_stealscope_run(c, name, spec, name, extra, &r, dir);
	for (k = 0; k < reps && !rc; k++) {
		snprintf(path, sizeof(path), "%s/default/rep-%d/progress.csv", dir, k + 1);
		rc = bench_slice_figures(path, ntasks, 0, &sr[k]);
	}
	for (j = 0; j < ntasks && !rc; j++) {
		for (k = 0; k < reps; k++)
			v[k] = sr[k].share_pct[j];
		snprintf(id, sizeof(id), "slicing.%dtasks.share.task-%d", ntasks, j);
		snprintf(what, sizeof(what), "%d tasks on one vCPU: task %d's share of the units",
			 ntasks, j);
		snprintf(base, sizeof(base), "a fair share, 1/%d", ntasks);
		rc = bench_row(c, 5, id, what, "%", v, (size_t)reps, base, &fair, 1, NULL);
	}
	for (k = 0; k < reps; k++)
		v[k] = sr[k].p50_ms;
	snprintf(id, sizeof(id), "slicing.%dtasks.slice.p50", ntasks);
	snprintf(what, sizeof(what), "%d tasks: slice length p50 (per run)", ntasks);
	rc = rc ? rc : bench_row(c, 5, id, what, "ms", v, (size_t)reps, "the spec's slice, 4 ms",
				 &slice_ms, 1, NULL);
	for (k = 0; k < reps; k++)
		v[k] = sr[k].p99_ms;
	snprintf(id, sizeof(id), "slicing.%dtasks.slice.p99", ntasks);
	snprintf(what, sizeof(what), "%d tasks: slice length p99 (per run)", ntasks);
	rc = rc ? rc : bench_row(c, 5, id, what, "ms", v, (size_t)reps, "the spec's slice, 4 ms",
				 &slice_ms, 1, NULL);
	return rc;
}

int fig_slicing(struct bench_ctx *c)
{
	int reps = bench_pick(c, 5, 2), rc;

	snprintf(c->tab->title[4], sizeof(c->tab->title[0]), "Guest time slicing");
	bench_method(c->tab, 5,
		     "`stealscope run --backend native --repeat %d` of a 1 s spec with 2, then "
		     "4 tasks on one vCPU thread pinned to CPU %d, 50 us work units, a 4 ms "
		     "slice, no contention. From each run's progress.csv: each task's share of "
		     "all units done (fair: 1/N), and the slice lengths: a slice is a stretch "
		     "of consecutive stamps of one task, from the last stamp before it to its "
		     "own last one (the round-robin switches at the first unit boundary after "
		     "the tick, so a slice is about 4 ms plus up to one unit; a vCPU thread "
		     "descheduled by other load makes its slice longer). p50 and p99 are taken "
		     "per run (interpolated between ranks), and the table gives their spread "
		     "over runs.",
		     reps, c->cpu);
	rc = slicing_rows(c, 2, reps);
	rc = rc ? rc : slicing_rows(c, 4, reps);
	rc = rc ? rc : kmfig_slicing_rows(c);
	return rc;
}

/* ---- 7. scale ---------------------------------------------------------------------------- */

#define SCALE_STEPS 4
static const int scale_vcpus[SCALE_STEPS] = { 1, 2, 4, 8 };

/* "0,1,0,1" for @vcpus vCPUs over the online CPUs, in turn. */
static int pin_list(int vcpus, char *buf, size_t len, int *ncpus)
{
	cpu_set_t set;
	int cpu[CPU_SETSIZE], n = 0, i, rc;

	rc = cpus_online(NULL, &set);
	if (rc)
		return rc;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu[n++] = i;
	bench_pins_in_turn(vcpus, cpu, n, buf, len);
	*ncpus = n;
	return 0;
}

int fig_scale(struct bench_ctx *c)
{
	int n = bench_pick(c, 3, 1), k, s, ncpus = 0, rc = 0;
	double cost[SCALE_STEPS][MAX_REPS], delay[SCALE_STEPS][MAX_REPS * 8];
	size_t nd[SCALE_STEPS] = { 0 };
	char spec[PATH_MAX], dir[PATH_MAX], pins[64], name[32], tag[48], id[BENCH_ID_LEN], what[160];
	struct spawn_result r;

	snprintf(c->tab->title[6], sizeof(c->tab->title[0]), "Scale");
	for (s = 0; s < SCALE_STEPS && !rc; s++) {
		snprintf(name, sizeof(name), "scale%d", scale_vcpus[s]);
		rc = pin_list(scale_vcpus[s], pins, sizeof(pins), &ncpus);
		rc = rc ? rc : bench_write_spec(c, spec, name,
						"[experiment]\nname = %s\n"
						"description = bench: %d vCPUs in turn on the online CPUs\n"
						"backend = native\nduration = 1s\nsample_interval = 10ms\n"
						"\n[vm]\nvcpus = %d\npin = %s\nslice = 4ms\n"
						"\n[workload]\ntasks = %d\nunit_work = 1ms\n",
						name, scale_vcpus[s], scale_vcpus[s], pins,
						scale_vcpus[s]);
	}
	/* rounds of 1, 2, 4, 8 vCPUs, so that load from elsewhere spreads over all */
	for (k = 0; k < n && !rc; k++) {
		for (s = 0; s < SCALE_STEPS && !rc; s++) {
			snprintf(name, sizeof(name), "scale%d", scale_vcpus[s]);
			snprintf(tag, sizeof(tag), "scale%d-%d", scale_vcpus[s], k);
			rc = bench_work_path(c, spec, sizeof(spec), "%s.ini", name);
			rc = rc ? rc : bench_stealscope_run(c, tag, spec, name, NULL, &r, dir);
			cost[s][k] = bench_ms(r.wall_ns - NS_PER_SEC);
			rc = rc ? rc : bench_summary_values(dir, "all", "host_delay_pct", delay[s],
							    MAX_REPS * 8, &nd[s]);
		}
	}
	if (rc)
		return rc;
	bench_method(c->tab, 7,
		     "`stealscope run --backend native` of a 1 s spec with 1, 2, 4 and 8 vCPU "
		     "threads pinned in turn to the %d online CPUs, one task each in 1 ms units, "
		     "no contention; n = %d rounds, the four sizes interleaved. Fixed cost: wall time "
		     "from fork to exit minus the 1 s run (start-up, calibration, writing the "
		     "results, summary, plots and report), against 1 vCPU. Per-vCPU run delay: "
		     "summary.csv `host_delay_pct` of every vCPU of every run, against what a "
		     "fair scheduler gives N busy threads on %d CPUs (1 - %d/N of the time "
		     "waiting, 0 while N <= %d; no ratio against 0).",
		     ncpus, n, ncpus, ncpus, ncpus);
	for (s = 0; s < SCALE_STEPS && !rc; s++) {
		double expected = scale_vcpus[s] > ncpus ?
				  100.0 * (1.0 - (double)ncpus / scale_vcpus[s]) : 0;

		snprintf(id, sizeof(id), "scale.%dvcpu.fixed-cost", scale_vcpus[s]);
		snprintf(what, sizeof(what), "%d vCPU%s: stealscope run wall time minus the run",
			 scale_vcpus[s], scale_vcpus[s] > 1 ? "s" : "");
		rc = bench_row(c, 7, id, what, "ms", cost[s], (size_t)n, "the same with 1 vCPU",
			       cost[0], (size_t)n, NULL);
		snprintf(id, sizeof(id), "scale.%dvcpu.delay", scale_vcpus[s]);
		snprintf(what, sizeof(what), "%d vCPU%s on %d CPUs: run delay per vCPU",
			 scale_vcpus[s], scale_vcpus[s] > 1 ? "s" : "", ncpus);
		rc = rc ? rc : bench_row(c, 7, id, what, "%", delay[s], nd[s],
					 "a fair scheduler: max(0, 1 - CPUs/N)", &expected, 1,
					 expected > 0 ? NULL : "expected 0: no ratio; the value is "
					 "what other load took");
	}
	rc = rc ? rc : kmfig_scale_rows(c);
	return rc;
}
