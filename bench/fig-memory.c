/*
 * Figure 6, memory: peak resident set size. For `stealscope run` it is the
 * process's own VmHWM, read from /proc while it runs (its gnuplot children
 * would otherwise count: wait4's ru_maxrss is the largest of a process and
 * the children it reaped); for the samplers, which start no children, it
 * is ru_maxrss. Baselines: `true` for stealscope, sadc (what `sar` runs)
 * for the samplers.
 */
#include "bench/figures.h"

#include "common/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIG 6
#define MAX_RUNS 8

static double mib(long kib)
{
	return (double)kib / 1024.0;
}

/* A sampler for ~1 s at 10 ms, every CPU (cpu-sampler) or this process (vcpu-sampler). */
static int sampler_rss(struct bench_ctx *c, const char *tool_name, int k, double *out)
{
	char tool[PATH_MAX], so[PATH_MAX], se[PATH_MAX], pid[32];
	const char *cpu_argv[] = { tool, "--interval", "10ms", "--count", "100", "--cpus", "all",
				   NULL };
	const char *vcpu_argv[] = { tool, "--pid", pid, "--interval", "10ms", "--count", "100",
				    NULL };
	struct spawn_opts o = { .stdout_path = so, .stderr_path = se };
	struct spawn_result r;
	int rc;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	rc = bench_tool(c, tool_name, tool, sizeof(tool));
	rc = rc ? rc : bench_work_path(c, so, sizeof(so), "memory-%s-%d.out", tool_name, k);
	rc = rc ? rc : bench_work_path(c, se, sizeof(se), "memory-%s-%d.err", tool_name, k);
	rc = rc ? rc : spawn_run(strcmp(tool_name, "cpu-sampler") ? vcpu_argv : cpu_argv, &o, &r);
	rc = rc ? rc : spawn_check_ok(&r, tool_name, se);
	*out = mib(r.maxrss_kib);
	return rc;
}

/* sadc as `sar -P ALL 1 1` runs it: two samples, a second apart. */
static int sadc_rss(struct bench_ctx *c, int k, double *out)
{
	const char *argv[] = { c->sadc, "1", "2", "-Z", "-S", "A_NULL,A_CPU", NULL };
	char so[PATH_MAX], se[PATH_MAX];
	struct spawn_opts o = { .stdout_path = so, .stderr_path = se };
	struct spawn_result r;
	int rc;

	rc = bench_work_path(c, so, sizeof(so), "memory-sadc-%d.out", k);
	rc = rc ? rc : bench_work_path(c, se, sizeof(se), "memory-sadc-%d.err", k);
	rc = rc ? rc : spawn_run(argv, &o, &r);
	rc = rc ? rc : spawn_check_ok(&r, "sadc", se);
	*out = mib(r.maxrss_kib);
	return rc;
}

/* `stealscope run NAME --quick`: its own VmHWM, and with its children. */
static int stealscope_rss(struct bench_ctx *c, const char *name, int k, double *hwm,
			  double *tree)
{
	const char *extra[] = { "--quick", NULL };
	char tag[64], dir[PATH_MAX];
	struct spawn_result r;
	int rc;

	snprintf(tag, sizeof(tag), "memory-%s-%d", name, k);
	rc = bench_stealscope_run(c, tag, name, name, extra, &r, dir);
	*hwm = mib(r.hwm_kib);
	*tree = mib(r.maxrss_kib);
	return rc;
}

int fig_memory(struct bench_ctx *c)
{
	int n = bench_pick(c, 3, 1), n_pin = bench_pick(c, 2, 1), k, rc = 0;
	double t_true[MAX_RUNS], sv[MAX_RUNS], sv_tree[MAX_RUNS], pin[MAX_RUNS];
	double pin_tree[MAX_RUNS], cs[MAX_RUNS], vs[MAX_RUNS], sadc[MAX_RUNS];
	const char *true_argv[] = { "true", NULL };
	struct spawn_opts quiet = { 0 };
	struct spawn_result r;
	struct bench_dist d;
	char note[160];

	snprintf(c->tab->title[FIG - 1], sizeof(c->tab->title[0]), "Memory");
	if (access(c->sadc, X_OK))
		return log_err(-ENOENT, "%s: %s: install sysstat (bench/deps.sh does)", c->sadc,
			       strerror(errno));
	for (k = 0; k < n && !rc; k++) {
		rc = spawn_run(true_argv, &quiet, &r);
		rc = rc ? rc : spawn_check_ok(&r, "true", NULL);
		t_true[k] = mib(r.maxrss_kib);
		rc = rc ? rc : stealscope_rss(c, "sched-virt", k, &sv[k], &sv_tree[k]);
		if (!rc && k < n_pin)
			rc = stealscope_rss(c, "pinning", k, &pin[k], &pin_tree[k]);
		rc = rc ? rc : sampler_rss(c, "cpu-sampler", k, &cs[k]);
		rc = rc ? rc : sampler_rss(c, "vcpu-sampler", k, &vs[k]);
		rc = rc ? rc : sadc_rss(c, k, &sadc[k]);
	}
	if (rc)
		return rc;
	bench_method(c->tab, FIG,
		     "Peak resident set size. `stealscope run sched-virt --backend native "
		     "--quick` (n = %d) and `stealscope run pinning --backend native --quick` "
		     "(six policies, n = %d): the process's own VmHWM from /proc/<pid>/status, "
		     "read every %d ms while it runs (VmHWM only grows, so the last read is the "
		     "peak up to a few ms before exit); the notes give wait4's ru_maxrss, which "
		     "also covers its gnuplot children. `cpu-sampler --cpus all` and "
		     "`vcpu-sampler --pid <this driver>` for 100 samples at 10 ms, and sadc as "
		     "`sar -P ALL 1 1` runs it: ru_maxrss (they start no children); n = %d "
		     "each, interleaved.",
		     n, n_pin, SPAWN_HWM_POLL_MS, n);
	bench_dist_of(sv_tree, (size_t)n, &d);
	snprintf(note, sizeof(note), "with its gnuplot children (ru_maxrss): median %.1f MiB",
		 d.median);
	rc = bench_row(c, FIG, "memory.stealscope.sched-virt",
		       "stealscope run sched-virt --quick (native), peak RSS", "MiB", sv,
		       (size_t)n, "`true` (process floor)", t_true, (size_t)n, note);
	bench_dist_of(pin_tree, (size_t)n_pin, &d);
	snprintf(note, sizeof(note), "with its gnuplot children (ru_maxrss): median %.1f MiB",
		 d.median);
	rc = rc ? rc : bench_row(c, FIG, "memory.stealscope.pinning",
				 "stealscope run pinning --quick (native, 6 policies), peak RSS",
				 "MiB", pin, (size_t)n_pin, "`true` (process floor)", t_true,
				 (size_t)n, note);
	rc = rc ? rc : bench_row(c, FIG, "memory.cpu-sampler",
				 "cpu-sampler, 100 samples at 10 ms, peak RSS", "MiB", cs,
				 (size_t)n, "sadc as sar -P ALL 1 runs it", sadc, (size_t)n, NULL);
	rc = rc ? rc : bench_row(c, FIG, "memory.vcpu-sampler",
				 "vcpu-sampler, 100 samples at 10 ms, peak RSS", "MiB", vs,
				 (size_t)n, "sadc as sar -P ALL 1 runs it", sadc, (size_t)n, NULL);
	rc = rc ? rc : kmfig_memory_rows(c);
	return rc;
}
