/*
 * Integration tests of `stealscope run --backend libvirt` against a real
 * daemon at qemu:///system: the classic experiment (sched-virt, --quick) in
 * a real Linux guest of the guest image (build/guest, `make guest-image`)
 * under TCG, run for real.
 *
 * A run must exit 0 and leave a results directory that parses: the summary
 * with the guest's steal unavailable (empty cells, never 0), meta.json with
 * the domain type and why, the report saying so, and per repetition the
 * domain XML (vCPU on CPU 0, emulator on CPU 1), the serial log and the
 * guest's files. On the numbers: the vCPU thread's run delay (libvirt's
 * vcpu.0.delay) is 40-60% of the contended phase and below 5% outside it,
 * and progress stalls while contended (work rate down, longest stall above
 * the baseline's p99 gap) - claims checked only in a run during which CPU 0
 * was otherwise quiet (other work under 5% of it in the uncontended phases:
 * another suite's busy loop would be run delay the experiment did not
 * cause); up to three runs are made, and a claim never checked in a quiet
 * run is skipped with the numbers. After every run no domain of it is left
 * (`virsh list --all`) and no QEMU of it runs. A run interrupted by SIGINT
 * in the middle of its measurement, or while its guest boots, exits 1
 * within seconds, leaves INCOMPLETE, says "interrupted", and leaves no
 * domain either.
 *
 * The daemon comes from scripts/libvirtd.sh with this test as a holder
 * (tests/support/libvirtd.h); the lock file is test_libvirt's, because
 * both need CPU 0 to themselves; a watchdog bounds the whole run. Without
 * QEMU or root the tests skip, saying why; without a guest image they fail
 * (`make check` builds it first).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"
#include "common/jsonget.h"
#include "common/parse.h"
#include "tests/support/libvirtd.h"
#include "tests/support/run.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define URI "qemu:///system"
#define STEALSCOPE TEST_BINDIR "/stealscope"
#define SCRIPT TEST_SCRIPTS "/libvirtd.sh"
#define DEPS TEST_SCRIPTS "/deps.sh"
#define QEMU "/usr/bin/qemu-system-x86_64"
#define LOCK_PATH "/tmp/stealscope-test_libvirt.lock"
#define LOCK_WAIT_S 300
#define WATCHDOG_S 900
#define RUN_TIMEOUT_MS 300000          /* TCG boots in ~8 s, much slower on a busy machine */
#define ATTEMPTS 3
#define QUIET_PCT 5.0                  /* other work on CPU 0 allowed in a "quiet" run */

static struct {
	const char *skip;
	struct support_libvirtd d;
	int lock_fd;
	char base[64];                 /* --out of every run */
} T;

static volatile pid_t running;         /* the stealscope being waited for (watchdog) */

/* ---- helpers ---------------------------------------------------------------- */

static void skip_unless_ready(void)
{
	if (T.skip) {
		print_message("skipped: %s\n", T.skip);
		skip();
	}
}

/* The domains of the run of stealscope pid @pid: "stealscope-sched-virt-<pid>-". */
static void domain_prefix(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "stealscope-sched-virt-%d-", (int)pid);
}

/* How many domains (any state) virsh lists whose name starts with @prefix. */
static int domains_named(const char *prefix)
{
	const char *argv[] = { "/usr/bin/virsh", "-q", "-c", URI, "list", "--all", "--name", NULL };
	struct support_run r;
	char *line, *save = NULL;
	int n = 0;

	support_run(argv, 30000, &r);
	if (support_status(&r) != 0)
		fail_msg("virsh list: status %d: %s", support_status(&r), r.err);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += !strncmp(line, prefix, strlen(prefix));
	support_run_free(&r);
	return n;
}

/* Nothing of the run of @pid is left: no domain, no QEMU (given a few seconds). */
static void check_nothing_left(pid_t pid)
{
	char prefix[96];
	int i;

	domain_prefix(pid, prefix, sizeof(prefix));
	for (i = 0; i < 50 && (domains_named(prefix) || support_qemu_of(prefix)); i++)
		support_sleep_ms(100);
	if (domains_named(prefix))
		fail_msg("a domain %s* is left after the run", prefix);
	if (support_qemu_of(prefix))
		fail_msg("a QEMU of %s* still runs after the run", prefix);
}

/* The run's directory from "report: DIR/report.html" on stdout. */
static void run_dir_of(const char *out, char *dir, size_t len)
{
	const char *p = strstr(out, "report: "), *e;

	if (!p)
		fail_msg("no 'report:' line on stdout:\n%s", out);
	p += 8;
	e = strstr(p, "/report.html");
	assert_non_null(e);
	assert_true((size_t)(e - p) < len);
	memcpy(dir, p, (size_t)(e - p));
	dir[e - p] = '\0';
}

static int file_in(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static void json_str(const struct jsonget_doc *doc, const char *path, const char *want)
{
	char got[512];

	if (jsonget_str(doc, path, got, sizeof(got)))
		fail_msg("meta.json: no string at %s", path);
	if (want && strcmp(got, want))
		fail_msg("meta.json: %s is '%s', not '%s'", path, got, want);
}

/* One phase of the run, from summary.csv and vcpu.csv. */
struct phase {
	double delay_pct, frac, stall_ms, p99_ms, units;
	double busy_pct;               /* CPU 0 not idle, from /proc/stat (summary) */
	double run_pct;                /* the vCPU thread ran (vcpu.0.time) */
	double others_pct;             /* CPU 0 busy with neither the vCPU nor the hog */
};

/* Row of summary.csv for @phase, repetition 0 of the only policy. */
static size_t summary_row(const struct csv_table *t, const char *phase)
{
	size_t i;

	for (i = 0; i < t->nrows; i++)
		if (!strcmp(csv_table_cell(t, i, (size_t)csv_table_col(t, "phase")), phase) &&
		    !strcmp(csv_table_cell(t, i, (size_t)csv_table_col(t, "rep")), "0"))
			return i;
	fail_msg("summary.csv has no repetition row of phase %s", phase);
	return 0;
}

/* vcpu.0.time over [@from, @to) from vcpu.csv, in % of the window. */
static double run_pct(const struct csv_table *v, int64_t from, int64_t to)
{
	int64_t t0 = 0, t1 = 0, r0 = 0, r1 = 0, t;
	size_t i;
	int have = 0;

	for (i = 0; i < v->nrows; i++) {
		t = support_cell_i64(v, i, "t_ns");
		if (t < from || t > to)
			continue;
		if (!have) {
			t0 = t;
			r0 = support_cell_i64(v, i, "host_run_ns");
			have = 1;
		}
		t1 = t;
		r1 = support_cell_i64(v, i, "host_run_ns");
	}
	return have && t1 > t0 ? 100.0 * (double)(r1 - r0) / (double)(t1 - t0) : NAN;
}

static void read_phase(const struct csv_table *s, const struct csv_table *v, const char *name,
		       int64_t from, int64_t to, struct phase *p)
{
	size_t r = summary_row(s, name);

	p->delay_pct = support_cell_f(s, r, "host_delay_pct");
	p->frac = support_cell_f(s, r, "work_rate_frac_of_baseline");
	p->stall_ms = support_cell_f(s, r, "longest_stall_ns") / 1e6;
	p->p99_ms = support_cell_f(s, r, "p99_gap_ns") / 1e6;
	p->units = support_cell_f(s, r, "units_done");
	p->busy_pct = support_cell_f(s, r, "host_usr_pct") + support_cell_f(s, r, "host_sys_pct");
	p->run_pct = run_pct(v, from, to);
	p->others_pct = fmax(0.0, p->busy_pct - p->run_pct);
	/* the guest has no steal clock under TCG: unavailable, never 0 */
	assert_string_equal(csv_table_cell(s, r, (size_t)csv_table_col(s, "guest_steal_pct")), "");
	assert_string_equal(csv_table_cell(s, r, (size_t)csv_table_col(s, "guest_tick_steal_pct")),
			    "");
}

/* Everything of one finished run that does not depend on the machine's load. */
static void check_results(const char *dir)
{
	char rep[PATH_MAX + 32], path[PATH_MAX + 64], *text;
	struct jsonget_doc doc;
	struct csv_table v;
	size_t i, ticks = 0;

	assert_false(file_in(dir, "INCOMPLETE"));
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	assert_int_equal(jsonget_load(path, &doc), 0);
	json_str(&doc, "backend", "libvirt");
	json_str(&doc, "libvirt.connect", URI);
	json_str(&doc, "libvirt.domain_type", "qemu");
	json_str(&doc, "libvirt.domain_type_reason", NULL);
	json_str(&doc, "libvirt.guest_steal", NULL);
	json_str(&doc, "libvirt.guest_image.kernel_package", NULL);
	json_str(&doc, "policies[0].status", "ok");
	json_str(&doc, "policies[0].reps[0].guest.boot", NULL);
	json_str(&doc, "policies[0].reps[0].guest.kernel_release", NULL);
	json_str(&doc, "policies[0].calibration.reported[0]", NULL);
	jsonget_free(&doc);

	snprintf(path, sizeof(path), "%s/report.html", dir);
	text = support_read_file(path);
	assert_non_null(text);
	if (!strstr(text, "the guest&#39;s own steal is unavailable (TCG (domain type qemu) has "
		    "no steal clock"))
		fail_msg("report.html does not say that the guest's steal is unavailable");
	assert_non_null(strstr(text, "<dt>Domain type</dt><dd>qemu, TCG"));
	free(text);
	assert_true(file_in(dir, "progress-default.png"));
	assert_true(file_in(dir, "steal-default.png"));

	snprintf(rep, sizeof(rep), "%s/default/rep-1", dir);
	assert_true(file_in(rep, "serial.log"));
	assert_true(file_in(rep, "guest-progress.csv"));
	assert_true(file_in(rep, "guest-cpu.csv"));
	assert_true(file_in(rep, "progress.csv"));
	snprintf(path, sizeof(path), "%s/domain.xml", rep);
	text = support_read_file(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "<domain type='qemu'>"));
	assert_non_null(strstr(text, "<vcpupin vcpu='0' cpuset='0'/>"));
	assert_non_null(strstr(text, "<emulatorpin cpuset='1'/>"));
	free(text);
	snprintf(path, sizeof(path), "%s/vcpu.csv", rep);
	assert_int_equal(csv_table_load(path, &v), 0);
	assert_true(v.nrows >= 10);
	for (i = 0; i < v.nrows; i++) {
		assert_string_equal(csv_table_cell(&v, i, (size_t)csv_table_col(&v, "tick_steal")),
				    "");
		assert_string_equal(csv_table_cell(&v, i,
						   (size_t)csv_table_col(&v, "guest_steal_ns")), "");
		assert_true(support_cell_i64(&v, i, "host_delay_ns") > 0);
		ticks += csv_table_cell(&v, i, (size_t)csv_table_col(&v, "tick_user"))[0] != 0;
	}
	/*
	 * The guest's tick accounting arrived and lines up with the host's
	 * samples; how many rows have it depends on how often the guest's
	 * sampler (under TCG, on a loaded machine) skipped a deadline.
	 */
	if (ticks == 0)
		fail_msg("no guest ticks in any of %zu vcpu.csv rows", v.nrows);
	print_message("guest ticks in %zu of %zu vcpu.csv rows\n", ticks, v.nrows);
	csv_table_free(&v);
}

/* ---- group setup --------------------------------------------------------------- */

static int group_setup(void **state)
{
	cpu_set_t online;
	struct stat st;

	(void)state;
	memset(&T, 0, sizeof(T));
	T.lock_fd = -1;
	if (cpus_online(NULL, &online) || !CPU_ISSET(0, &online) || !CPU_ISSET(1, &online)) {
		T.skip = "needs CPUs 0 and 1 online (the vCPU and its hog, the emulator apart)";
		return 0;
	}
	if (access(QEMU, X_OK)) {
		T.skip = QEMU " is not installed (scripts/deps.sh installs qemu-system-x86)";
		return 0;
	}
	if (stat(TEST_GUEST_DIR "/IMAGE", &st))
		fail_msg("no guest image in %s: run `make guest-image` (make check does)",
			 TEST_GUEST_DIR);
	T.lock_fd = support_lock_wait(LOCK_PATH, LOCK_WAIT_S);
	T.skip = support_libvirtd_up(&T.d, SCRIPT, DEPS);
	if (T.skip)
		return 0;
	support_watchdog(&T.d, &running, WATCHDOG_S);
	assert_int_equal(support_mkdtemp(T.base, sizeof(T.base), "lvrun"), 0);
	return 0;
}

static int group_teardown(void **state)
{
	int rc = 0;

	(void)state;
	support_watchdog(NULL, NULL, 0);
	if (support_libvirtd_down(&T.d))
		rc = -1;
	if (T.base[0])
		support_rmtree(T.base);
	if (T.lock_fd >= 0)
		close(T.lock_fd);
	return rc;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_stealscope_libvirt_sched_virt(void **state)
{
	const char *argv[] = { STEALSCOPE, "run", "sched-virt", "--backend", "libvirt", "--quick",
			       "--out", T.base, NULL };
	struct phase base = { 0 }, cont = { 0 }, rec = { 0 };
	struct support_child child;
	struct support_run r;
	struct csv_table s, v;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int attempt, quiet = 0;
	/* --quick: a third of 3 s, the hog from 333.333 ms to 666.666 ms */
	const int64_t c0 = 333333000, c1 = 666666000, end = 999999000;

	(void)state;
	skip_unless_ready();
	for (attempt = 1; attempt <= ATTEMPTS && !quiet; attempt++) {
		support_spawn(argv, &child);
		running = child.pid;
		support_wait(&child, RUN_TIMEOUT_MS, &r);
		running = 0;
		if (support_status(&r) != 0)
			fail_msg("stealscope run: status %d, stderr:\n%s", support_status(&r), r.err);
		assert_non_null(strstr(r.err, "domain type qemu"));
		assert_non_null(strstr(r.err, "started its tools"));
		check_nothing_left(child.pid);
		run_dir_of(r.out, dir, sizeof(dir));
		check_results(dir);

		snprintf(path, sizeof(path), "%s/summary.csv", dir);
		assert_int_equal(csv_table_load(path, &s), 0);
		snprintf(path, sizeof(path), "%s/default/rep-1/vcpu.csv", dir);
		assert_int_equal(csv_table_load(path, &v), 0);
		read_phase(&s, &v, "baseline", 0, c0, &base);
		read_phase(&s, &v, "contended", c0, c1, &cont);
		read_phase(&s, &v, "recovery", c1, end, &rec);
		csv_table_free(&s);
		csv_table_free(&v);
		print_message("attempt %d (%.1f s): run delay %.1f%% / %.1f%% / %.1f%% (baseline / "
			      "contended / recovery); work rate %.2f of the baseline while "
			      "contended; longest stall %.1f ms (baseline p99 gap %.1f ms); other "
			      "work on CPU 0 %.1f%% / %.1f%%\n", attempt, r.elapsed_ms / 1000,
			      base.delay_pct, cont.delay_pct, rec.delay_pct, cont.frac,
			      cont.stall_ms, base.p99_ms, base.others_pct, rec.others_pct);
		support_run_free(&r);
		assert_true(base.units > 0 && cont.units > 0 && rec.units > 0);
		quiet = base.others_pct <= QUIET_PCT && rec.others_pct <= QUIET_PCT;
	}
	if (!quiet) {
		print_message("skipped: CPU 0 was busy with other work in every run (%.1f%% and "
			      "%.1f%% in the last); the delay claims need it quiet\n",
			      base.others_pct, rec.others_pct);
		skip();
	}
	if (base.delay_pct >= 5.0 || rec.delay_pct >= 5.0)
		fail_msg("run delay outside the contention %.1f%% / %.1f%%, not below 5%%",
			 base.delay_pct, rec.delay_pct);
	if (cont.delay_pct < 40.0 || cont.delay_pct > 60.0)
		fail_msg("run delay while a busy loop shared CPU 0: %.1f%%, not 40-60%%",
			 cont.delay_pct);
	if (!(cont.frac < 0.8))
		fail_msg("work rate while contended %.2f of the baseline: progress did not stall",
			 cont.frac);
	if (!(cont.stall_ms > base.p99_ms))
		fail_msg("longest stall while contended %.1f ms, not above the baseline's p99 gap "
			 "%.1f ms", cont.stall_ms, base.p99_ms);
}

/* The first path matching @pattern, or "" when none does (yet). */
static void first_match(const char *pattern, char *out, size_t len)
{
	glob_t g;

	out[0] = '\0';
	if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0)
		snprintf(out, len, "%s", g.gl_pathv[0]);
	globfree(&g);
}

/*
 * Wait until the run's serial log holds @what (at most @timeout_ms); its
 * directory into @rep. Fails the test when it does not come.
 */
static void wait_serial(const char *base, const char *what, int timeout_ms, char *rep,
			size_t len)
{
	char pattern[PATH_MAX], log[PATH_MAX], *text;
	double t0 = support_now_ms();

	snprintf(pattern, sizeof(pattern), "%s/sched-virt/*/default/rep-1/serial.log", base);
	for (;;) {
		first_match(pattern, log, sizeof(log));
		text = log[0] ? support_slurp(log) : NULL;
		if (text && strstr(text, what)) {
			free(text);
			break;
		}
		free(text);
		if (support_now_ms() - t0 > timeout_ms)
			fail_msg("no '%s' in the serial log within %d s", what, timeout_ms / 1000);
		support_sleep_ms(20);
	}
	snprintf(rep, len, "%.*s", (int)(strlen(log) - strlen("/serial.log")), log);
}

/* After SIGINT: exit 1 soon, "interrupted", INCOMPLETE, nothing left. */
static void check_interrupted(struct support_child *child, const char *rep, int measured)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct jsonget_doc doc;
	struct support_run r;
	struct csv_table v;

	support_wait(child, 60000, &r);
	running = 0;
	print_message("exit %d, %.1f s after SIGINT\n", support_status(&r),
		      r.after_signal_ms / 1000);
	if (support_status(&r) != 1 || !strstr(r.err, "interrupted: partial results in"))
		fail_msg("stealscope run after SIGINT: status %d, stderr:\n%s", support_status(&r),
			 r.err);
	/* the domain is destroyed at once, not waited for */
	assert_true(r.after_signal_ms < 10000);
	check_nothing_left(child->pid);
	snprintf(dir, sizeof(dir), "%.*s", (int)(strlen(rep) - strlen("/default/rep-1")), rep);
	snprintf(path, sizeof(path), "%s/INCOMPLETE", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	assert_int_equal(jsonget_load(path, &doc), 0);
	json_str(&doc, "policies[0].status", "interrupted");
	jsonget_free(&doc);
	if (measured) {
		/* what was measured is there: the host's samples up to the interrupt */
		snprintf(path, sizeof(path), "%s/vcpu.csv", rep);
		assert_int_equal(csv_table_load(path, &v), 0);
		assert_true(v.nrows >= 10);
		csv_table_free(&v);
	}
	support_run_free(&r);
}

/*
 * A run under --out <base>/@sub, sent SIGINT @delay_ms after its serial log
 * first holds @what ("" once the domain exists), then checked.
 */
static void interrupted_run(const char *sub, const char *what, int delay_ms, int measured)
{
	char base[256], rep[PATH_MAX];
	const char *argv[] = { STEALSCOPE, "run", "sched-virt", "--backend", "libvirt", "--out",
			       base, NULL };
	struct support_child child;

	skip_unless_ready();
	snprintf(base, sizeof(base), "%s/%s", T.base, sub);
	support_spawn(argv, &child);
	running = child.pid;
	wait_serial(base, what, RUN_TIMEOUT_MS, rep, sizeof(rep));
	if (delay_ms)
		support_sleep_ms(delay_ms);
	support_signal(&child, SIGINT);
	check_interrupted(&child, rep, measured);
}

static void test_stealscope_libvirt_interrupted_mid_run(void **state)
{
	(void)state;
	/* the margin (1 s) and half the run after `go`: in the middle of the measurement */
	interrupted_run("mid", " go ", 2500, 1);
}

static void test_stealscope_libvirt_interrupted_at_boot(void **state)
{
	(void)state;
	/* the domain exists once its serial log does; the guest is still booting */
	interrupted_run("boot", "", 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stealscope_libvirt_sched_virt),
		cmocka_unit_test(test_stealscope_libvirt_interrupted_mid_run),
		cmocka_unit_test(test_stealscope_libvirt_interrupted_at_boot),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
