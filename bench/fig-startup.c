/*
 * Figure 1, start-up: how long a tool takes from fork to exit (or, for a
 * QEMU boot, to the guest's first protocol line), against `true`, the
 * floor of starting any process the same way. The runs of the three local
 * programs are interleaved, so a burst of load from elsewhere hits them
 * alike.
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

#define FIG 1
#define QEMU_TIMEOUT_NS (120 * NS_PER_SEC)

/* The protocol's prefix of every line (docs/guest-protocol.md). */
#define GUEST_LINE_PREFIX "@@stealscope "

/* A short native run: one task on one vCPU for 100 ms, no contention. */
static int write_tiny_spec(const struct bench_ctx *c, char *path)
{
	return bench_write_spec(c, path, "tiny",
				"[experiment]\n"
				"name = tiny\n"
				"description = bench: the shortest native run\n"
				"backend = native\n"
				"duration = 100ms\n"
				"sample_interval = 10ms\n"
				"\n[vm]\nvcpus = 1\npin = %d\n"
				"\n[workload]\ntasks = 1\nunit_work = 100us\n", c->cpu);
}

/*
 * The guest image of `make guest-image`: 0 with the paths set, or 1 with
 * @why saying what is missing.
 */
static int find_guest_image(const struct bench_ctx *c, char *kernel, char *initrd,
			    char *why, size_t len)
{
	char image[PATH_MAX];

	snprintf(image, sizeof(image), "%s/IMAGE", c->guest_dir);
	snprintf(kernel, PATH_MAX, "%s/vmlinuz", c->guest_dir);
	snprintf(initrd, PATH_MAX, "%s/initramfs.cpio.gz", c->guest_dir);
	if (access(image, R_OK) || access(kernel, R_OK) || access(initrd, R_OK)) {
		snprintf(why, len, "no guest image in %s (IMAGE, vmlinuz, initramfs.cpio.gz): "
			 "`make guest-image` builds it", c->guest_dir);
		return 1;
	}
	return 0;
}

/*
 * One TCG boot of the guest image with an idle workload, timed from fork
 * to its first "@@stealscope " line (the hello line), then killed.
 */
static int qemu_boot(struct bench_ctx *c, const char *kernel, const char *initrd, int k,
		     struct spawn_result *r)
{
	char append[512], se[PATH_MAX];
	const char *argv[] = {
		"qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-m", "256",
		"-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
		"-serial", "stdio", "-no-reboot", "-kernel", kernel, "-initrd", initrd,
		"-append", append, NULL,
	};
	struct spawn_opts o = { .stderr_path = se, .line_prefix = GUEST_LINE_PREFIX,
				.timeout_ns = QEMU_TIMEOUT_NS };
	int rc;

	rc = bench_work_path(c, se, sizeof(se), "qemu-boot-%d.err", k);
	if (rc)
		return rc;
	snprintf(append, sizeof(append),
		 "console=ttyS0 quiet loglevel=1 panic=-1 stealscope.id=%016llx "
		 "stealscope.vcpus=1 stealscope.workload=idle stealscope.tasks=1 "
		 "stealscope.units=0 stealscope.unit_work=1000000 "
		 "stealscope.duration=100000000 stealscope.interval=10000000 "
		 "stealscope.margin=100000000",
		 (unsigned long long)mono_ns() ^ ((unsigned long long)getpid() << 40));
	rc = spawn_run(argv, &o, r);
	if (rc)
		return rc;
	if (!r->line_seen)
		return log_err(-EIO, "QEMU boot %d: no '%s' line %s (see %s)", k,
			       GUEST_LINE_PREFIX, r->timed_out ? "within 120 s" : "before it ended",
			       se);
	return 0;
}

/*
 * The QEMU rows: measured, or why not. @ss: the stealscope run times. The
 * boot times go to *@boot_out (*@nboot of them; the caller frees it), NULL
 * when they were not measured.
 */
static int qemu_rows(struct bench_ctx *c, const double *t_true, int n_true,
		     const double *ss, int n_ss, double **boot_out, int *nboot)
{
	char kernel[PATH_MAX], initrd[PATH_MAX], why[PATH_MAX + 128];
	int n = bench_pick(c, 5, 1), k, rc = 0;
	struct spawn_result r;
	double *boot;

	*boot_out = NULL;
	*nboot = 0;
	if (find_guest_image(c, kernel, initrd, why, sizeof(why))) {
		bench_method(c->tab, FIG, " The QEMU boot was not measured: %s.", why);
		return bench_add_missing(c->tab, FIG, "startup.qemu-tcg-boot",
					 "QEMU TCG boot of the guest image to its first line",
					 BENCH_NOT_MEASURED, why) ? 0 : -ENOSPC;
	}
	boot = calloc((size_t)n, sizeof(*boot));
	if (!boot)
		return log_err(-ENOMEM, "out of memory");
	for (k = 0; k < n && !rc; k++) {
		rc = qemu_boot(c, kernel, initrd, k, &r);
		boot[k] = bench_ms(r.wall_ns);
	}
	if (rc == -EINTR)
		goto out;
	if (rc) {
		snprintf(why, sizeof(why), "the boot failed: %s", log_last_error());
		rc = bench_add_missing(c->tab, FIG, "startup.qemu-tcg-boot",
				       "QEMU TCG boot of the guest image to its first line",
				       BENCH_NOT_MEASURED, why) ? 0 : -ENOSPC;
		goto out;
	}
	rc = bench_row(c, FIG, "startup.qemu-tcg-boot",
		       "QEMU TCG boot of the guest image (1 vCPU, 256 MiB) to its first "
		       "@@stealscope line", "ms", boot, (size_t)n, "`true` (process floor)",
		       t_true, (size_t)n_true, NULL);
	rc = rc ? rc : bench_row(c, FIG, "startup.run-vs-qemu",
				 "stealscope run (native, 100 ms) start to exit, against a QEMU "
				 "TCG boot to its first line", "ms", ss, (size_t)n_ss,
				 "QEMU TCG boot to its first line", boot, (size_t)n,
				 "what a user would otherwise start before measuring anything");
	if (!rc) {
		*boot_out = boot;
		*nboot = n;
		return 0;
	}
out:
	free(boot);
	return rc;
}

int fig_startup(struct bench_ctx *c)
{
	char sched[PATH_MAX], spec[PATH_MAX], dir[PATH_MAX], cpu[16];
	const char *true_argv[] = { "true", NULL };
	const char *sched_argv[] = { sched, "--units", "1", "--unit-work", "1us", "--cpu", cpu,
				     NULL };
	struct spawn_opts quiet = { 0 };
	int n = bench_pick(c, 30, 5), n_ss = bench_pick(c, 10, 3), k, rc;
	double *t_true = NULL, *t_sched = NULL, *t_ss = NULL, *boot = NULL;
	struct spawn_result r;
	int nboot = 0;
	char tag[32];

	snprintf(cpu, sizeof(cpu), "%d", c->cpu);
	snprintf(c->tab->title[FIG - 1], sizeof(c->tab->title[0]), "Start-up");
	rc = bench_tool(c, "sched-load", sched, sizeof(sched));
	rc = rc ? rc : write_tiny_spec(c, spec);
	if (rc)
		return rc;
	t_true = calloc((size_t)n, sizeof(double));
	t_sched = calloc((size_t)n, sizeof(double));
	t_ss = calloc((size_t)n_ss, sizeof(double));
	if (!t_true || !t_sched || !t_ss) {
		rc = log_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < n && !rc; k++) {
		rc = spawn_run(true_argv, &quiet, &r);
		rc = rc ? rc : spawn_check_ok(&r, "true", NULL);
		t_true[k] = bench_ms(r.wall_ns);
		rc = rc ? rc : spawn_run(sched_argv, &quiet, &r);
		rc = rc ? rc : spawn_check_ok(&r, "sched-load", NULL);
		t_sched[k] = bench_ms(r.wall_ns);
		if (rc || k >= n_ss)
			continue;
		snprintf(tag, sizeof(tag), "startup-%d", k);
		rc = bench_stealscope_run(c, tag, spec, "tiny", NULL, &r, dir);
		t_ss[k] = bench_ms(r.wall_ns);
	}
	if (rc)
		goto out;
	bench_method(c->tab, FIG,
		     "Wall time from fork to exit, every program started the same way (fork, "
		     "execvp, output to /dev/null or a file), n = %d runs each, interleaved: `true` "
		     "(the floor of starting any process), `sched-load --units 1 --unit-work 1us` "
		     "(one tiny unit: its start-up, which includes the ~40 ms calibration of the "
		     "work unit), and `stealscope run` of a 100 ms native spec (one task on CPU %d; "
		     "start to exit, including calibration, the results directory, summary, plots "
		     "by gnuplot and report.html; n = %d). The QEMU figure boots the libvirt "
		     "backend's guest image (build/guest, docs/guest-protocol.md) directly with "
		     "`qemu-system-x86_64 -accel tcg`, 1 vCPU and 256 MiB, an idle workload on the "
		     "kernel command line, and stops at the first `@@stealscope` line on the serial "
		     "console (n = %d).",
		     n, c->cpu, n_ss, bench_pick(c, 5, 1));
	rc = bench_row(c, FIG, "startup.sched-load",
		       "sched-load --units 1 --unit-work 1us, fork to exit", "ms", t_sched,
		       (size_t)n, "`true` (process floor)", t_true, (size_t)n, NULL);
	rc = rc ? rc : bench_row(c, FIG, "startup.stealscope-run",
				 "stealscope run of a 100 ms native spec, fork to exit", "ms",
				 t_ss, (size_t)n_ss, "`true` (process floor)", t_true, (size_t)n,
				 "includes the 100 ms run itself");
	rc = rc ? rc : qemu_rows(c, t_true, n, t_ss, n_ss, &boot, &nboot);
	rc = rc ? rc : kmfig_startup_rows(c, boot, nboot);
out:
	free(boot);
	free(t_true);
	free(t_sched);
	free(t_ss);
	return rc;
}
