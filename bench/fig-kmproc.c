/*
 * kvm-mini's part of figures 1 (start-up), 6 (memory) and 7 (scale): the
 * kvm-mini process as a user starts it, where kvm-mini runs
 * (bench/kmroute.h), beside baselines taken in the same boot: `true`
 * started the same way there, and kvm-mini with one vCPU. Runs of the
 * kinds compared are interleaved in the plan, so a burst of load from
 * elsewhere hits them alike.
 */
#include "bench/figures.h"
#include "bench/kmplan.h"
#include "bench/kmread.h"
#include "bench/kmroute.h"

#include "kvm-mini/summary.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define INTERVAL "10ms"
#define MAX_RUNS 64
#define NSIZES_MEM 3
#define NSIZES_SCALE 4

static const int mem_vcpus[NSIZES_MEM] = { 1, 2, 8 };
static const int scale_vcpus[NSIZES_SCALE] = { 1, 2, 4, 8 };

static int startup_runs(const struct bench_ctx *c)
{
	return bench_pick(c, 30, 5);
}

/* A run's peak resident set in MiB; NaN when it ended before a read. */
static double peak_mib(const struct bench_km_run *r)
{
	return r->rss_peak_kib > 0 ? (double)r->rss_peak_kib / 1024.0 : NAN;
}

/* ---- 1. start-up ----------------------------------------------------------------- */

int kmfig_plan_startup(struct bench_ctx *c, struct kmplan *p)
{
	char cpu[16], tag[KMPLAN_TAG_LEN];
	const char *true_argv[] = { "true", NULL };
	const char *idle_argv[] = { KMPLAN_KVM_MINI, "--workload", "idle", "--vcpus", "1",
				    "--pin", cpu, "--duration", "10ms", "--interval", INTERVAL,
				    NULL };
	int k, rc = 0;

	snprintf(cpu, sizeof(cpu), "%d", c->km->cpu);
	for (k = 0; k < startup_runs(c) && !rc; k++) {
		snprintf(tag, sizeof(tag), "start-true-%d", k);
		rc = kmplan_add(p, tag, 1, NULL, true_argv);
		snprintf(tag, sizeof(tag), "start-idle-%d", k);
		rc = rc ? rc : kmplan_add(p, tag, 1, NULL, idle_argv);
	}
	return rc;
}

static int startup_missing(struct bench_ctx *c, const char *why)
{
	int rc;

	rc = bench_km_missing(c, 1, "startup.kvm-mini.first-insn",
			      "kvm-mini: process start to the first guest instruction", why);
	rc = rc ? rc : bench_km_missing(c, 1, "startup.kvm-mini.exit",
					"kvm-mini: fork to exit, guest doing nothing", why);
	rc = rc ? rc : bench_km_missing(c, 1, "startup.kvm-mini.vs-qemu",
					"kvm-mini fork to exit, against a QEMU TCG boot of the "
					"guest image", why);
	return rc;
}

int kmfig_startup_rows(struct bench_ctx *c, const double *boot_ms, int nboot)
{
	double t_true[MAX_RUNS], first[MAX_RUNS], to_exit[MAX_RUNS], us;
	int n = startup_runs(c), k, rc;
	struct bench_km_fails f = { 0 };
	struct bench_km_run r;
	char tag[KMPLAN_TAG_LEN], note[400];

	rc = bench_km_ready(c, 1);
	if (rc)
		return rc < 0 ? rc : startup_missing(c, NULL);
	for (k = 0; k < n; k++) {
		t_true[k] = first[k] = to_exit[k] = NAN;
		snprintf(tag, sizeof(tag), "start-true-%d", k);
		if (bench_km_good_run(c, 1, tag, &r, &f))
			t_true[k] = bench_ms(r.wall_ns);
		snprintf(tag, sizeof(tag), "start-idle-%d", k);
		if (!bench_km_good_run(c, 1, tag, &r, &f))
			continue;
		to_exit[k] = bench_ms(r.wall_ns);
		if (kmread_startup_us(r.out, &us) == 0)
			first[k] = us / 1e3;
		else
			bench_km_fail_read(&f);
	}
	bench_method(c->tab, 1,
		     "\n\nkvm-mini (the rows marked *%s:*), measured %s, all %d runs of each "
		     "kind interleaved in one go: `kvm-mini --workload idle --duration 10ms` "
		     "(1 vCPU, a guest that only halts; no --out). First instruction: the "
		     "`startup_us` of its summary, from its main() to vCPU 0's first guest "
		     "instruction (the exec before main() is not in it). To exit: fork to exit "
		     "as bench/kmplan.c starts every program, beside `true` started the same "
		     "way on the same machine (the process floor there), and beside the QEMU "
		     "TCG boot above as a ratio.%s",
		     bench_km_where(c), bench_km_where_words(c), n,
		     c->km->route == BENCH_KM_NESTED ?
		     " Nested, everything kvm-mini does before its guest runs is emulated by "
		     "TCG, the first KVM_RUN builds the nested state, and the L1 guest itself "
		     "runs under TCG (so does its `true`): start-up there is hundreds of times "
		     "a KVM host's (docs/kvm-nested.md), and the QEMU ratio compares a process "
		     "in an emulated machine with a boot on this one." : "");
	bench_method(c->tab, 1, "%s", bench_km_group_words(c, 1));
	bench_km_fails_note(&f, 2 * n, note, sizeof(note));
	rc = bench_km_row(c, 1, "startup.kvm-mini.first-insn",
			  "kvm-mini: process start (main) to the first guest instruction", "ms",
			  first, (size_t)n, "`true` there (process floor), fork to exit", t_true,
			  (size_t)n, note);
	rc = rc ? rc : bench_km_row(c, 1, "startup.kvm-mini.exit",
				    "kvm-mini: fork to exit, guest doing nothing for 10 ms", "ms",
				    to_exit, (size_t)n,
				    "`true` there (process floor), fork to exit", t_true, (size_t)n,
				    note);
	if (rc)
		return rc;
	if (!boot_ms)
		return bench_km_missing(c, 1, "startup.kvm-mini.vs-qemu",
					"kvm-mini fork to exit, against a QEMU TCG boot of the "
					"guest image", "the QEMU boot of figure 1 was not measured");
	return bench_km_row(c, 1, "startup.kvm-mini.vs-qemu",
			    "kvm-mini fork to exit (guest doing nothing for 10 ms), against a "
			    "QEMU TCG boot of the guest image to its first line", "ms", to_exit,
			    (size_t)n, "QEMU TCG boot to its first line (this host)", boot_ms,
			    (size_t)nboot, note);
}

/* ---- 6. memory -------------------------------------------------------------------- */

/* kvm-mini with @vcpus vCPUs pinned in turn, each running one sched task. */
static int plan_sched_run(struct bench_ctx *c, struct kmplan *p, const char *tag, int vcpus)
{
	static const struct kmplan_opts o = { .digest_k = 1, .rss = 1 };
	char n[16], pins[64];
	const char *argv[] = { KMPLAN_KVM_MINI, "--vcpus", n, "--pin", pins, "--workload",
			       "sched", "--tasks", n, "--unit-work", "1ms", "--duration", "300ms",
			       "--interval", INTERVAL, "--out", KMPLAN_OUT_TOKEN, NULL };

	snprintf(n, sizeof(n), "%d", vcpus);
	bench_pins_in_turn(vcpus, NULL, c->km->ncpus, pins, sizeof(pins));
	return kmplan_add(p, tag, 1, &o, argv);
}

int kmfig_plan_memory(struct bench_ctx *c, struct kmplan *p)
{
	static const struct kmplan_opts o = { .rss = 1 };
	const char *sleep_argv[] = { "sleep", "0.2", NULL };
	char tag[KMPLAN_TAG_LEN];
	int k, s, rc = 0;

	for (k = 0; k < bench_pick(c, 3, 1) && !rc; k++) {
		snprintf(tag, sizeof(tag), "mem-sleep-%d", k);
		rc = kmplan_add(p, tag, 1, &o, sleep_argv);
		for (s = 0; s < NSIZES_MEM && !rc; s++) {
			snprintf(tag, sizeof(tag), "mem-%d-%d", mem_vcpus[s], k);
			rc = plan_sched_run(c, p, tag, mem_vcpus[s]);
		}
	}
	return rc;
}

int kmfig_memory_rows(struct bench_ctx *c)
{
	double idle_mib[MAX_RUNS], rss[NSIZES_MEM][MAX_RUNS];
	int n = bench_pick(c, 3, 1), k, s, rc;
	struct bench_km_fails f = { 0 };
	struct bench_km_run r;
	char tag[KMPLAN_TAG_LEN], id[BENCH_ID_LEN], what[160], note[400];

	rc = bench_km_ready(c, 6);
	if (rc < 0)
		return rc;
	if (rc) {
		for (s = 0, rc = 0; s < NSIZES_MEM && !rc; s++)
			rc = bench_km_missingf(c, 6, "memory.kvm-mini.%dvcpu",
					       "kvm-mini peak RSS, %d vCPU%s", mem_vcpus[s],
					       mem_vcpus[s] > 1 ? "s" : "");
		return rc;
	}
	for (k = 0; k < n; k++) {
		snprintf(tag, sizeof(tag), "mem-sleep-%d", k);
		idle_mib[k] = bench_km_good_run(c, 6, tag, &r, &f) ? peak_mib(&r) : NAN;
		for (s = 0; s < NSIZES_MEM; s++) {
			snprintf(tag, sizeof(tag), "mem-%d-%d", mem_vcpus[s], k);
			rss[s][k] = bench_km_good_run(c, 6, tag, &r, &f) ? peak_mib(&r) : NAN;
		}
	}
	bench_method(c->tab, 6,
		     "\n\nkvm-mini (the rows marked *%s:*), measured %s: `kvm-mini --vcpus N "
		     "--pin <the %d CPUs in turn> --workload sched --tasks N --unit-work 1ms "
		     "--duration 300ms --out DIR` for N = 1, 2 and 8, n = %d each, interleaved "
		     "with `sleep 0.2` there (the floor of a process that does nothing): the "
		     "largest resident set of the process (its vCPU threads share its memory) "
		     "read from /proc/<pid>/smaps_rollup every %d ms while it runs. Not wait4's "
		     "ru_maxrss, which also counts the forked runner's image before exec, nor "
		     "VmHWM, which the L1 guest's 6.1 kernel updates 64 faults at a time per "
		     "thread (a busybox `sleep` reads 4 kB there). Its guest's memory counts "
		     "only where the guest or kvm-mini touched it.",
		     bench_km_where(c), bench_km_where_words(c), c->km->ncpus, n,
		     SPAWN_HWM_POLL_MS);
	bench_method(c->tab, 6, "%s", bench_km_group_words(c, 6));
	bench_km_fails_note(&f, n * (NSIZES_MEM + 1), note, sizeof(note));
	rc = bench_km_row(c, 6, "memory.kvm-mini.1vcpu",
			  "kvm-mini peak RSS, 1 vCPU (sched, 300 ms, --out)", "MiB", rss[0],
			  (size_t)n, "`sleep 0.2` there (process floor)", idle_mib, (size_t)n,
			  note);
	for (s = 1; s < NSIZES_MEM && !rc; s++) {
		snprintf(id, sizeof(id), "memory.kvm-mini.%dvcpu", mem_vcpus[s]);
		snprintf(what, sizeof(what), "kvm-mini peak RSS, %d vCPUs (sched, 300 ms, --out)",
			 mem_vcpus[s]);
		rc = bench_km_row(c, 6, id, what, "MiB", rss[s], (size_t)n,
				  "the same with 1 vCPU", rss[0], (size_t)n, note);
	}
	return rc;
}

/* ---- 7. scale ---------------------------------------------------------------------- */

static int64_t scale_duration_ms(const struct bench_ctx *c)
{
	return bench_pick(c, 1000, 500);
}

int kmfig_plan_scale(struct bench_ctx *c, struct kmplan *p)
{
	char n[16], pins[64], dur[32], tag[KMPLAN_TAG_LEN];
	const char *argv[] = { KMPLAN_KVM_MINI, "--vcpus", n, "--pin", pins, "--workload",
			       "inf-loop", "--duration", dur, "--interval", INTERVAL, "--out",
			       KMPLAN_OUT_TOKEN, NULL };
	int k, s, rc = 0;

	snprintf(dur, sizeof(dur), "%lldms", (long long)scale_duration_ms(c));
	for (k = 0; k < bench_pick(c, 3, 1) && !rc; k++) {
		for (s = 0; s < NSIZES_SCALE && !rc; s++) {
			snprintf(n, sizeof(n), "%d", scale_vcpus[s]);
			bench_pins_in_turn(scale_vcpus[s], NULL, c->km->ncpus, pins, sizeof(pins));
			snprintf(tag, sizeof(tag), "scale-%d-%d", scale_vcpus[s], k);
			rc = kmplan_add(p, tag, 2, NULL, argv);
		}
	}
	return rc;
}

/*
 * One scale run: its start-up (ms) and every vCPU's exact guest %steal over
 * the run into @steal (appended, *@ns counts); the largest |guest steal -
 * run delay| in points into *@worst_diff.
 */
static int scale_run(const char *dir, double *startup_ms, double *steal, size_t *ns,
		     double *worst_diff)
{
	struct kmini_vcpu_result v[KMINI_MAX_VCPUS];
	struct kmini_window_figs w;
	int nv = 0, i, rc;
	double x;

	rc = kmread_meta(dir, "startup_ns", &x);
	if (rc)
		return rc;
	*startup_ms = x / 1e6;
	rc = kmread_vcpus(dir, v, KMINI_MAX_VCPUS, &nv);
	for (i = 0; i < nv && !rc; i++) {
		if (kmini_window(&v[i], 0, INT64_MAX, &w))
			continue;
		steal[(*ns)++] = w.guest_steal_pct;
		if (fabs(w.diff_pct) > *worst_diff)
			*worst_diff = fabs(w.diff_pct);
	}
	kmread_vcpus_free(v, nv);
	return rc;
}

static int scale_missing(struct bench_ctx *c)
{
	int s, rc = 0;

	for (s = 0; s < NSIZES_SCALE && !rc; s++) {
		rc = bench_km_missingf(c, 7, "scale.kvm-mini.%dvcpu.startup",
				       "kvm-mini with %d vCPUs: start-up", scale_vcpus[s]);
		rc = rc ? rc : bench_km_missingf(c, 7, "scale.kvm-mini.%dvcpu.steal",
						 "kvm-mini with %d vCPUs: guest steal per vCPU",
						 scale_vcpus[s]);
	}
	return rc;
}

int kmfig_scale_rows(struct bench_ctx *c)
{
	double start[NSIZES_SCALE][MAX_RUNS], steal[NSIZES_SCALE][MAX_RUNS * KMINI_MAX_VCPUS];
	double worst[NSIZES_SCALE] = { 0 };
	size_t ns[NSIZES_SCALE] = { 0 };
	int n = bench_pick(c, 3, 1), ncpus = c->km->ncpus, k, s, rc;
	struct bench_km_fails f = { 0 };
	struct bench_km_run r;
	char tag[KMPLAN_TAG_LEN], id[BENCH_ID_LEN], what[160], note[480], fails[400];

	rc = bench_km_ready(c, 7);
	if (rc)
		return rc < 0 ? rc : scale_missing(c);
	for (k = 0; k < n; k++) {
		for (s = 0; s < NSIZES_SCALE; s++) {
			start[s][k] = NAN;
			snprintf(tag, sizeof(tag), "scale-%d-%d", scale_vcpus[s], k);
			if (bench_km_good_run(c, 7, tag, &r, &f) &&
			    scale_run(r.dir, &start[s][k], steal[s], &ns[s], &worst[s]))
				bench_km_fail_read(&f);
		}
	}
	bench_method(c->tab, 7,
		     "\n\nkvm-mini (the rows marked *%s:*), measured %s: `kvm-mini --vcpus N "
		     "--pin <the %d CPUs there in turn> --workload inf-loop --duration %lldms` "
		     "for N = 1, 2, 4, 8, n = %d rounds, the four sizes interleaved. Start-up: "
		     "meta.json `startup_ns` (main to vCPU 0's first guest instruction; every "
		     "vCPU is created first), against 1 vCPU. Guest steal: every vCPU's steal "
		     "clock over the run as a share of it (kvm-mini's own summary), against a "
		     "fair scheduler's max(0, 1 - %d/N); the note gives how far the vCPU "
		     "threads' run delay was from it at worst.",
		     bench_km_where(c), bench_km_where_words(c), ncpus,
		     (long long)scale_duration_ms(c), n, ncpus);
	bench_method(c->tab, 7, "%s", bench_km_group_words(c, 7));
	bench_km_fails_note(&f, n * NSIZES_SCALE, fails, sizeof(fails));
	for (s = 0, rc = 0; s < NSIZES_SCALE && !rc; s++) {
		double fair = scale_vcpus[s] > ncpus ?
			      100.0 * (1.0 - (double)ncpus / scale_vcpus[s]) : 0;

		snprintf(id, sizeof(id), "scale.kvm-mini.%dvcpu.startup", scale_vcpus[s]);
		snprintf(what, sizeof(what), "kvm-mini with %d vCPU%s: main to first guest "
			 "instruction", scale_vcpus[s], scale_vcpus[s] > 1 ? "s" : "");
		rc = bench_km_row(c, 7, id, what, "ms", start[s], (size_t)n,
				  "the same with 1 vCPU", start[0], (size_t)n, fails);
		snprintf(id, sizeof(id), "scale.kvm-mini.%dvcpu.steal", scale_vcpus[s]);
		snprintf(what, sizeof(what), "kvm-mini with %d vCPU%s on %d CPUs: guest steal "
			 "per vCPU (exact)", scale_vcpus[s], scale_vcpus[s] > 1 ? "s" : "", ncpus);
		snprintf(note, sizeof(note), "%sguest steal - run delay: at most %.3f points%s%s",
			 fair > 0 ? "" : "expected 0: no ratio; ", worst[s], *fails ? "; " : "",
			 fails);
		rc = rc ? rc : bench_km_row(c, 7, id, what, "%", steal[s], ns[s],
					    "a fair scheduler: max(0, 1 - CPUs/N)", &fair, 1, note);
	}
	return rc;
}
