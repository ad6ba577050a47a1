/*
 * Figure 3, sampler cost: the CPU time cpu-sampler spends per sample at
 * 1 ms and 10 ms intervals, and its share of one CPU, against sysstat's
 * collector sadc started exactly as `sar -P ALL 1` starts it (sar cannot
 * sample faster than once a second).
 *
 * The cost is the sampler's own exact CPU time (schedstat run time) read
 * twice while it runs, between two of its samples: start-up, the first
 * sample and exit are left out, so what remains is the steady cost of a
 * sample, whatever the program does once.
 */
#include "bench/figures.h"

#include "common/log.h"
#include "common/timeutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIG 3

struct sampler_cost {
	double per_sample_us;          /* CPU time per sample interval */
	double share_pct;              /* of one CPU */
};

/*
 * Run @argv (a sampler with @interval_ns) and take its CPU time between the
 * probes at @from_ns and @to_ns after the fork.
 */
static int probe_sampler(struct bench_ctx *c, const char *const argv[], const char *tag,
			 int64_t interval_ns, int64_t from_ns, int64_t to_ns,
			 struct sampler_cost *out)
{
	char so[PATH_MAX], se[PATH_MAX];
	struct spawn_opts o = { .stdout_path = so, .stderr_path = se,
				.probe_ns = { from_ns, to_ns } };
	struct spawn_result r;
	double dt, drun;
	int rc;

	rc = bench_work_path(c, so, sizeof(so), "%s.out", tag);
	rc = rc ? rc : bench_work_path(c, se, sizeof(se), "%s.err", tag);
	rc = rc ? rc : spawn_run(argv, &o, &r);
	rc = rc ? rc : spawn_check_ok(&r, argv[0], se);
	if (rc)
		return rc;
	if (r.probe_at_ns[0] < 0 || r.probe_at_ns[1] <= r.probe_at_ns[0])
		return log_err(-EIO, "%s ended before its CPU time could be read twice", argv[0]);
	dt = (double)(r.probe_at_ns[1] - r.probe_at_ns[0]);
	drun = (double)(r.probe_run_ns[1] - r.probe_run_ns[0]);
	out->share_pct = 100.0 * drun / dt;
	out->per_sample_us = drun / (dt / (double)interval_ns) / 1e3;
	return 0;
}

/* cpu-sampler at @interval_ns for @count intervals, every CPU and the total. */
static int run_cpu_sampler(struct bench_ctx *c, int64_t interval_ns, int count, int k,
			   struct sampler_cost *out)
{
	char tool[PATH_MAX], iv[32], cnt[32], tag[64];
	const char *argv[] = { tool, "--interval", iv, "--count", cnt, "--cpus", "all", NULL };
	int64_t total = interval_ns * count;
	int rc;

	snprintf(iv, sizeof(iv), "%lldus", (long long)(interval_ns / NS_PER_US));
	snprintf(cnt, sizeof(cnt), "%d", count);
	snprintf(tag, sizeof(tag), "sampler-%s-%d", iv, k);
	rc = bench_tool(c, "cpu-sampler", tool, sizeof(tool));
	if (rc)
		return rc;
	/* the middle of the run: well after the start, well before the end */
	return probe_sampler(c, argv, tag, interval_ns, total / 6, total * 5 / 6, out);
}

/* sadc as `sar -P ALL 1 N` starts it: sadc 1 N+1 -Z -S A_NULL,A_CPU, output to a file. */
static int run_sadc(struct bench_ctx *c, int count, int k, struct sampler_cost *out)
{
	char cnt[32], tag[64];
	const char *argv[] = { c->sadc, "1", cnt, "-Z", "-S", "A_NULL,A_CPU", NULL };

	snprintf(cnt, sizeof(cnt), "%d", count + 1);
	snprintf(tag, sizeof(tag), "sampler-sadc-%d", k);
	/* samples at 0, 1, ... count s: probes at 0.5 s and count - 0.5 s */
	return probe_sampler(c, argv, tag, NS_PER_SEC, NS_PER_SEC / 2,
			     count * NS_PER_SEC - NS_PER_SEC / 2, out);
}

int fig_samplers(struct bench_ctx *c)
{
	int n = bench_pick(c, 3, 1), n_1ms = bench_pick(c, 3000, 600);
	int n_10ms = bench_pick(c, 300, 60), n_sadc = bench_pick(c, 7, 2), k, rc = 0;
	struct sampler_cost cs1[3], cs10[3], sadc[3];
	double a[3], b[3];

	snprintf(c->tab->title[FIG - 1], sizeof(c->tab->title[0]), "Sampler cost");
	if (access(c->sadc, X_OK))
		return log_err(-ENOENT, "%s: %s: install sysstat (bench/deps.sh does)", c->sadc,
			       strerror(errno));
	for (k = 0; k < n && !rc; k++) {
		rc = run_cpu_sampler(c, NS_PER_MS, n_1ms, k, &cs1[k]);
		rc = rc ? rc : run_cpu_sampler(c, 10 * NS_PER_MS, n_10ms, k, &cs10[k]);
		rc = rc ? rc : run_sadc(c, n_sadc, k, &sadc[k]);
	}
	if (rc)
		return rc;
	bench_method(c->tab, FIG,
		     "`cpu-sampler --cpus all` (every CPU and the total, as `sar -P ALL` shows) "
		     "at 1 ms for %d intervals and at 10 ms for %d, and sysstat's collector as "
		     "`sar -P ALL 1` starts it (`sadc 1 N -Z -S A_NULL,A_CPU`, output to a file; "
		     "%d samples a second apart); n = %d runs of each, interleaved. The CPU time is "
		     "the process's exact schedstat run time, read twice while it runs (for "
		     "cpu-sampler at 1/6 and 5/6 of its run, for sadc half a second after its "
		     "first sample and half a second before its last), so start-up and exit "
		     "are left out: CPU time per sample = run time between the reads / samples "
		     "taken between them, CPU share = run time / wall time. sar's own process, "
		     "which formats what sadc collects, is not counted.",
		     n_1ms, n_10ms, n_sadc + 1, n);
	for (k = 0; k < n; k++) {
		a[k] = cs1[k].per_sample_us;
		b[k] = sadc[k].per_sample_us;
	}
	rc = bench_row(c, FIG, "samplers.cpu-sampler.1ms.per-sample",
		       "cpu-sampler CPU time per sample, 1 ms interval", "us", a, (size_t)n,
		       "sadc per sample (sar -P ALL 1)", b, (size_t)n, NULL);
	for (k = 0; k < n; k++)
		a[k] = cs10[k].per_sample_us;
	rc = rc ? rc : bench_row(c, FIG, "samplers.cpu-sampler.10ms.per-sample",
				 "cpu-sampler CPU time per sample, 10 ms interval", "us", a,
				 (size_t)n, "sadc per sample (sar -P ALL 1)", b, (size_t)n, NULL);
	for (k = 0; k < n; k++) {
		a[k] = cs1[k].share_pct;
		b[k] = sadc[k].share_pct;
	}
	rc = rc ? rc : bench_row(c, FIG, "samplers.cpu-sampler.1ms.share",
				 "cpu-sampler CPU share, 1 ms interval", "% of a CPU", a,
				 (size_t)n, "sadc CPU share at 1 s (sar's fastest)", b, (size_t)n,
				 NULL);
	for (k = 0; k < n; k++)
		a[k] = cs10[k].share_pct;
	rc = rc ? rc : bench_row(c, FIG, "samplers.cpu-sampler.10ms.share",
				 "cpu-sampler CPU share, 10 ms interval", "% of a CPU", a,
				 (size_t)n, "sadc CPU share at 1 s (sar's fastest)", b, (size_t)n,
				 NULL);
	return rc;
}
