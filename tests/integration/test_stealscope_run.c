/*
 * Integration tests for `stealscope run` and `stealscope list` with the
 * native backend: run the real binary on the shipped specs (--quick), read
 * the results directory it writes and check the experiment's textbook
 * outcome with wide tolerances (this machine is shared and noisy: the
 * bounds say "about half" and "about none", not a precise figure). Also the
 * refusals (unknown experiment, kvm-mini without /dev/kvm or QEMU, a bad
 * --repeat) and an interrupt: SIGINT half a second in leaves whole files,
 * INCOMPLETE and no process behind. Every run has a timeout. The classic
 * runs with --backend auto, as `make run` does, on a PATH without QEMU (as
 * on a machine that has none: native, or kvm-mini in process where /dev/kvm
 * opens; test_stealscope_kvmmini runs the nested route). One run has its stderr on a
 * pseudo-terminal, so that the progress thread runs too.
 *
 * The pinning checks that need CPU 1 to themselves (dedicated, floating)
 * cannot mean anything while another process keeps CPU 1 busy (the other
 * suites may run alongside): when one fails, the test measures CPU 1's load
 * from /proc/stat, and if it is busy runs the comparison once more, then
 * skips with the load it measured rather than failing.
 *
 * The binary is run from the repository root (derived from TEST_FIXTURES),
 * so `run NAME` finds experiments/NAME.ini for the asan build too.
 * Results go to mkdtemp() directories that are removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"
#include "common/procstat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STEALSCOPE TEST_BINDIR "/stealscope"
#define RUN_TIMEOUT_MS 60000

extern char **environ;

struct tool_run {
	int exit_code;                  /* -1 unless it exited normally */
	int term_signal;
	double elapsed_ms;
	char *out;
	char *err;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int temp_fd(void)
{
	char path[] = "/tmp/test_stealscope_run.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static char *slurp_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;

	assert_true(len >= 0);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
	buf[len] = '\0';
	return buf;
}

/* A started tool: pid and the files its output goes to. */
struct child {
	pid_t pid;
	int out_fd, err_fd;
	double start_ms;
};

static void start_tool(char *const argv[], struct child *c)
{
	posix_spawn_file_actions_t fa;

	c->out_fd = temp_fd();
	c->err_fd = temp_fd();
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, c->out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, c->err_fd, 2);
	c->start_ms = now_ms();
	assert_int_equal(posix_spawn(&c->pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
}

static void wait_tool(struct child *c, int timeout_ms, struct tool_run *r)
{
	int status = 0;
	pid_t w;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	for (;;) {
		w = waitpid(c->pid, &status, WNOHANG);
		if (w == c->pid)
			break;
		assert_true(w == 0 || errno == EINTR);
		if (now_ms() - c->start_ms > timeout_ms) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			fail_msg("stealscope timed out after %d ms", timeout_ms);
		}
		nap_ms(5);
	}
	r->elapsed_ms = now_ms() - c->start_ms;
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->term_signal = WTERMSIG(status);
	r->out = slurp_fd(c->out_fd);
	r->err = slurp_fd(c->err_fd);
	close(c->out_fd);
	close(c->err_fd);
}

static void run_tool(char *const argv[], struct tool_run *r)
{
	struct child c;

	start_tool(argv, &c);
	wait_tool(&c, RUN_TIMEOUT_MS, r);
}

static void tool_run_free(struct tool_run *r)
{
	free(r->out);
	free(r->err);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* "<dir>/<name>" into @out, which must hold it. */
static void path_join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static int exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	path_join(path, sizeof(path), dir, name);
	return lstat(path, &st) == 0;
}

/* The results directory named on a line "<prefix><dir><suffix>" of @text. */
static void dir_from(const char *text, const char *prefix, const char *suffix, char *dir,
		     size_t len)
{
	const char *p = strstr(text, prefix), *end;

	if (!p)
		fail_msg("no '%s' in the output:\n%s", prefix, text);
	p += strlen(prefix);
	end = suffix[0] ? strstr(p, suffix) : strchr(p, '\n');
	assert_non_null(end);
	assert_true((size_t)(end - p) < len);
	memcpy(dir, p, (size_t)(end - p));
	dir[end - p] = '\0';
}

/*
 * `stealscope run EXP --backend BACKEND --quick --out <base>`; the run's
 * directory into @dir and, when @err is not NULL, its stderr (to free).
 */
static void run_ok(const char *base, char *dir, size_t len, const char *exp,
		   const char *backend, char **err)
{
	char *argv[] = { STEALSCOPE, "run", (char *)exp, "--backend", (char *)backend, "--quick",
			 "--out", (char *)base, NULL };
	struct tool_run r;

	run_tool(argv, &r);
	if (r.exit_code != 0)
		fail_msg("stealscope run %s exited %d (signal %d): %s", exp, r.exit_code,
			 r.term_signal, r.err);
	dir_from(r.out, "report: ", "/report.html", dir, len);
	if (err) {
		*err = r.err;
		r.err = NULL;
	}
	tool_run_free(&r);
	assert_false(exists(dir, "INCOMPLETE"));
	assert_true(exists(dir, "spec.ini"));
	assert_true(exists(dir, "meta.json"));
	assert_true(exists(dir, "summary.json"));
	assert_true(exists(dir, "report.html"));
}

/* The "mean" row of (policy, phase, vcpu) in summary.csv, metric @col; NaN if absent. */
static double summary_mean(const char *dir, const char *policy, const char *phase, int vcpu,
			   const char *col)
{
	char path[PATH_MAX], v[16];
	struct csv_table t;
	double x = 0.0 / 0.0;
	size_t i;
	int cp, cph, cv, cr, cm;

	path_join(path, sizeof(path), dir, "summary.csv");
	assert_int_equal(csv_table_load(path, &t), 0);
	cp = csv_table_col(&t, "policy");
	cph = csv_table_col(&t, "phase");
	cv = csv_table_col(&t, "vcpu");
	cr = csv_table_col(&t, "rep");
	cm = csv_table_col(&t, col);
	assert_true(cp >= 0 && cph >= 0 && cv >= 0 && cr >= 0 && cm >= 0);
	snprintf(v, sizeof(v), "%d", vcpu);
	for (i = 0; i < t.nrows; i++) {
		if (strcmp(csv_table_cell(&t, i, (size_t)cp), policy) ||
		    strcmp(csv_table_cell(&t, i, (size_t)cph), phase) ||
		    strcmp(csv_table_cell(&t, i, (size_t)cv), v) ||
		    strcmp(csv_table_cell(&t, i, (size_t)cr), "mean"))
			continue;
		assert_int_equal(csv_table_f(&t, i, (size_t)cm, &x), 0);
		break;
	}
	csv_table_free(&t);
	return x;
}

static void assert_between(double v, double lo, double hi, const char *what)
{
	if (!(v >= lo && v <= hi))
		fail_msg("%s = %.2f, want %.0f..%.0f", what, v, lo, hi);
}

/* The text of <dir>/<name>, to free. */
static char *read_text(const char *dir, const char *name)
{
	char path[PATH_MAX];
	char *text;
	int fd;

	path_join(path, sizeof(path), dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	text = slurp_fd(fd);
	close(fd);
	return text;
}

/*
 * PATH for the runs that test the fallback to native: a directory @tmp
 * (mkdtemp'ed here) holding only a link to gnuplot, so that --backend auto
 * cannot take kvm-mini's nested route (it needs qemu-system-x86_64 on PATH)
 * and the plots are still drawn. Returns the PATH to restore (to free).
 */
static char *hide_qemu(char *tmp)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/local/bin", "/bin" };
	const char *old = getenv("PATH");
	char link_path[PATH_MAX], target[PATH_MAX];
	size_t i;

	assert_non_null(mkdtemp(tmp));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		path_join(target, sizeof(target), dirs[i], "gnuplot");
		if (access(target, X_OK) == 0) {
			path_join(link_path, sizeof(link_path), tmp, "gnuplot");
			assert_int_equal(symlink(target, link_path), 0);
			break;
		}
	}
	setenv("PATH", tmp, 1);
	return strdup(old ? old : "/usr/bin:/bin");
}

static void restore_path(char *old, const char *tmp)
{
	setenv("PATH", old, 1);
	free(old);
	rm_rf(tmp);
}

static void test_stealscope_run_sched_virt(void **state)
{
	char base[] = "/tmp/test_stealscope_run.XXXXXX", dir[PATH_MAX], path[PATH_MAX];
	char path_dir[] = "/tmp/test_stealscope_run-path.XXXXXX";
	char link[PATH_MAX], *slash, *err, *meta, *old_path;
	struct csv_table t;
	int seen[2] = { 0, 0 }, ct, fd;
	ssize_t n;
	size_t i;
	double d;

	(void)state;
	assert_non_null(mkdtemp(base));
	/* without QEMU, as on a machine that has none: kvm-mini in process or native */
	old_path = hide_qemu(path_dir);
	run_ok(base, dir, sizeof(dir), "sched-virt", "auto", &err);
	restore_path(old_path, path_dir);

	/* auto says in one line what it chose and why; meta.json keeps both */
	meta = read_text(dir, "meta.json");
	assert_non_null(strstr(meta, "\"backend_requested\": \"auto\""));
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		const char *why = strerror(errno);

		assert_non_null(strstr(err, "backend: native (kvm-mini needs /dev/kvm: "));
		assert_non_null(strstr(err, why));
		assert_non_null(strstr(err, "; nested route: no qemu-system-x86_64 on PATH"));
		assert_non_null(strstr(meta, "\"backend\": \"native\""));
		assert_non_null(strstr(meta, "\"backend_reason\": \"kvm-mini needs /dev/kvm: "));
	} else {
		close(fd);
		assert_non_null(strstr(err, "backend: kvm-mini (in-process: /dev/kvm is usable)"));
		assert_non_null(strstr(meta, "\"kvm_route\": \"in-process\""));
	}
	free(meta);
	free(err);

	/* progress of both tasks */
	path_join(path, sizeof(path), dir, "default/rep-1/progress.csv");
	assert_int_equal(csv_table_load(path, &t), 0);
	ct = csv_table_col(&t, "task");
	assert_true(ct >= 0);
	assert_true(csv_table_col(&t, "progress_pct") == 4);
	for (i = 0; i < t.nrows; i++) {
		int64_t task;

		assert_int_equal(csv_table_i64(&t, i, (size_t)ct, &task), 0);
		assert_true(task == 0 || task == 1);
		seen[task]++;
	}
	csv_table_free(&t);
	if (seen[0] < 100 || seen[1] < 100)
		fail_msg("progress rows: task 0 %d, task 1 %d (want >= 100 each)", seen[0],
			 seen[1]);

	/* the contended phase loses about half; the others almost nothing */
	d = summary_mean(dir, "default", "contended", 0, "host_delay_pct");
	assert_between(d, 35, 65, "contended host_delay_pct");
	d = summary_mean(dir, "default", "baseline", 0, "host_delay_pct");
	assert_between(d, 0, 10, "baseline host_delay_pct");
	d = summary_mean(dir, "default", "contended", 0, "work_rate_frac_of_baseline");
	assert_between(d, 0.35, 0.65, "contended work_rate_frac_of_baseline");
	d = summary_mean(dir, "default", "recovery", 0, "work_rate_ups");
	assert_true(d > 0);

	/* latest points at this run */
	slash = strrchr(dir, '/');
	assert_non_null(slash);
	*slash = '\0';
	path_join(link, sizeof(link), dir, "latest");
	n = readlink(link, path, sizeof(path) - 1);
	assert_true(n > 0);
	path[n] = '\0';
	assert_string_equal(path, slash + 1);
	rm_rf(base);
}

/* A cgroup named leftover_name* under /sys/fs/cgroup sets leftover_found. */
static char leftover_name[64];
static int leftover_found;

static int find_leftover(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	if (flag == FTW_D && !strncmp(path + ftw->base, leftover_name, strlen(leftover_name)))
		leftover_found = 1;
	/* our cgroups are children of the process's own: never deep down */
	return flag == FTW_D && ftw->level >= 4 ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
}

/* Host run delay % per policy of one `run pinning`. */
struct pinning {
	double dedicated, shared, floating, oc0, oc1, quota;
};

/* Run the comparison into a fresh directory under @base; its pid into *@pid. */
static void run_pinning(const char *base, struct pinning *p, pid_t *pid)
{
	char *argv[] = { STEALSCOPE, "run", "pinning", "--backend", "native", "--quick",
			 "--out", (char *)base, NULL };
	char dir[PATH_MAX];
	struct tool_run r;
	struct child c;

	start_tool(argv, &c);
	wait_tool(&c, RUN_TIMEOUT_MS, &r);
	if (r.exit_code != 0)
		fail_msg("stealscope run pinning exited %d: %s", r.exit_code, r.err);
	dir_from(r.out, "report: ", "/report.html", dir, sizeof(dir));
	tool_run_free(&r);
	*pid = c.pid;

	p->dedicated = summary_mean(dir, "dedicated", "contended", 0, "host_delay_pct");
	p->shared = summary_mean(dir, "shared", "contended", 0, "host_delay_pct");
	p->floating = summary_mean(dir, "floating", "contended", 0, "host_delay_pct");
	p->oc0 = summary_mean(dir, "overcommit", "all", 0, "host_delay_pct");
	p->oc1 = summary_mean(dir, "overcommit", "all", 1, "host_delay_pct");
	p->quota = summary_mean(dir, "quota", "all", 0, "host_delay_pct");
	print_message("host delay %%: dedicated %.1f shared %.1f floating %.1f overcommit "
		      "%.1f/%.1f\n", p->dedicated, p->shared, p->floating, p->oc0, p->oc1);
	/* quota ran (cgroup v1 or v2) or says why not */
	if (p->quota != p->quota)
		assert_true(exists(dir, "quota/SKIPPED"));
}

/* The checks that need CPU 1 free of other work: dedicated runs there, floating may. */
static int pinning_needs_quiet_ok(const struct pinning *p)
{
	return p->dedicated >= 0 && p->dedicated <= 10 && p->floating < p->shared;
}

/*
 * How busy CPUs 0 and 1 are without us: the non-idle share (everything but
 * idle and iowait, steal included) over 200 ms of /proc/stat, in %.
 */
static void background_load(double busy_pct[2])
{
	struct procstat_sample *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct cpupct pct;
	int cpu;

	assert_true(a && b);
	assert_int_equal(procstat_read(NULL, a), 0);
	nap_ms(200);
	assert_int_equal(procstat_read(NULL, b), 0);
	for (cpu = 0; cpu < 2; cpu++) {
		const struct procstat_cpu *x = procstat_find_cpu(a, cpu);
		const struct procstat_cpu *y = procstat_find_cpu(b, cpu);

		busy_pct[cpu] = 0;
		if (!x || !y)
			continue;
		procstat_derive(x, y, &pct);
		busy_pct[cpu] = 100.0 - pct.pct[CP_IDLE] - pct.pct[CP_IOWAIT];
	}
	free(a);
	free(b);
}

#define BUSY_CPU1_PCT 20.0

static void test_stealscope_run_pinning(void **state)
{
	char base[] = "/tmp/test_stealscope_run.XXXXXX";
	struct pinning p;
	double busy[2], busiest = 0;
	pid_t pid;
	int attempt;

	(void)state;
	assert_non_null(mkdtemp(base));
	run_pinning(base, &p, &pid);
	assert_between(p.shared, 35, 65, "shared host_delay_pct");
	assert_between(p.oc0, 35, 65, "overcommit vCPU 0 host_delay_pct");
	assert_between(p.oc1, 35, 65, "overcommit vCPU 1 host_delay_pct");

	/* the quota policy's cgroup is gone */
	snprintf(leftover_name, sizeof(leftover_name), "stealscope-%ld-", (long)pid);
	leftover_found = 0;
	nftw("/sys/fs/cgroup", find_leftover, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	assert_false(leftover_found);

	/*
	 * Another process keeping CPU 1 busy makes dedicated and floating
	 * meaningless, not wrong: when they fail, measure the load, run once
	 * more, and if that fails too while CPU 1 was seen busy, skip saying so.
	 */
	for (attempt = 0; attempt < 2 && !pinning_needs_quiet_ok(&p); attempt++) {
		background_load(busy);
		print_message("dedicated %.1f%% / floating %.1f%% (shared %.1f%%) out of bounds; "
			      "background load: CPU 0 %.0f%%, CPU 1 %.0f%% busy\n", p.dedicated,
			      p.floating, p.shared, busy[0], busy[1]);
		if (busy[1] > busiest)
			busiest = busy[1];
		if (attempt == 0)
			run_pinning(base, &p, &pid);
	}
	if (!pinning_needs_quiet_ok(&p) && busiest > BUSY_CPU1_PCT) {
		/* cmocka's skip() takes no message: say it first */
		print_message("skipped: another process kept CPU 1 %.0f%% busy (over %.0f%%): "
			      "dedicated and floating cannot be judged\n", busiest, BUSY_CPU1_PCT);
		rm_rf(base);
		skip();
	}
	assert_between(p.dedicated, 0, 10, "dedicated host_delay_pct");
	if (!(p.floating < p.shared))
		fail_msg("floating %.1f%% is not below shared %.1f%%", p.floating, p.shared);
	rm_rf(base);
}

static void test_stealscope_run_unknown_experiment(void **state)
{
	char *argv[] = { STEALSCOPE, "run", "no-such-experiment", "--backend", "native", NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, &r);
	assert_int_equal(r.exit_code, 2);
	assert_non_null(strstr(r.err, "no-such-experiment"));
	assert_string_equal(r.out, "");
	tool_run_free(&r);
}

static void test_stealscope_run_kvm_mini(void **state)
{
	char base[] = "/tmp/test_stealscope_run.XXXXXX";
	char path_dir[] = "/tmp/test_stealscope_run-path.XXXXXX";
	char *argv[] = { STEALSCOPE, "run", "sched-virt", "--out", base, NULL };
	struct tool_run r;
	char *old_path;
	int fd;

	(void)state;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		print_message("skipped: /dev/kvm opens here, so kvm-mini runs in process "
			      "(test_stealscope_kvmmini runs it)\n");
		skip();
	}
	assert_non_null(mkdtemp(base));
	/* neither /dev/kvm nor QEMU for the nested route */
	old_path = hide_qemu(path_dir);
	run_tool(argv, &r);
	restore_path(old_path, path_dir);
	/* the spec's default backend; nothing is created for a run that cannot start */
	assert_int_equal(r.exit_code, 4);
	assert_non_null(strstr(r.err, "backend kvm-mini: kvm-mini needs /dev/kvm: "));
	assert_non_null(strstr(r.err, "; nested route: no qemu-system-x86_64 on PATH"));
	assert_non_null(strstr(r.err, "--backend native"));
	assert_false(exists(base, "sched-virt"));
	tool_run_free(&r);
	rmdir(base);
}

static void test_stealscope_run_bad_repeat(void **state)
{
	char *argv[] = { STEALSCOPE, "run", "sched-virt", "--backend", "native", "--repeat", "0",
			 NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, &r);
	assert_int_equal(r.exit_code, 2);
	assert_non_null(strstr(r.err, "--repeat"));
	/* the hint points at the help of the subcommand, which has the options */
	assert_non_null(strstr(r.err, "stealscope run: error: --repeat"));
	assert_non_null(strstr(r.err, "Try 'stealscope run --help' for more information.\n"));
	tool_run_free(&r);
}

/*
 * Run @argv: it exits @code, with @out_start at the start of stdout (NULL:
 * stdout empty) and @err_has in stderr (NULL: stderr empty).
 */
static void expect_tool(char *const argv[], int code, const char *out_start,
			const char *err_has)
{
	struct tool_run r;

	run_tool(argv, &r);
	if (r.exit_code != code)
		fail_msg("%s %s: exit %d, want %d: %s", argv[1], argv[2] ? argv[2] : "",
			 r.exit_code, code, r.err);
	if (out_start ? strncmp(r.out, out_start, strlen(out_start)) : r.out[0] != '\0')
		fail_msg("%s %s: stdout \"%.60s\", want \"%s\"", argv[1], argv[2] ? argv[2] : "",
			 r.out, out_start ? out_start : "");
	if (err_has ? !strstr(r.err, err_has) : r.err[0] != '\0')
		fail_msg("%s %s: stderr \"%s\", want \"%s\"", argv[1], argv[2] ? argv[2] : "",
			 r.err, err_has ? err_has : "");
	tool_run_free(&r);
}

/* Every subcommand: --help on stdout with exit 0, --version, an unknown option's hint. */
static void test_stealscope_help_and_version(void **state)
{
	static const char *const cmds[] = { "run", "list", "plot", "report", "doctor" };
	char *main_version[] = { STEALSCOPE, "--version", NULL };
	char *main_help[] = { STEALSCOPE, "--help", NULL };
	char *unknown[] = { STEALSCOPE, "frobnicate", NULL };
	char usage[64], hint[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *help[] = { STEALSCOPE, (char *)cmds[i], "--help", NULL };
		char *version[] = { STEALSCOPE, (char *)cmds[i], "--version", NULL };
		char *bad[] = { STEALSCOPE, (char *)cmds[i], "--no-such-option", NULL };

		snprintf(usage, sizeof(usage), "Usage: stealscope %s ", cmds[i]);
		expect_tool(help, 0, usage, NULL);
		expect_tool(version, 0, "stealscope", NULL);
		snprintf(hint, sizeof(hint), "Try 'stealscope %s --help' for more information.\n",
			 cmds[i]);
		expect_tool(bad, 2, NULL, hint);
	}
	expect_tool(main_version, 0, "stealscope (stealscope) " STEALSCOPE_VERSION "\n", NULL);
	expect_tool(main_help, 0, "Usage: stealscope ", NULL);
	/* before a subcommand is known, the hint is the main help */
	expect_tool(unknown, 2, NULL, "Try 'stealscope --help' for more information.\n");
}

static int csv_bad;
static int csv_count;

static int check_csv(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct csv_table t;
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (flag != FTW_F || n < 4 || strcmp(path + n - 4, ".csv"))
		return 0;
	csv_count++;
	if (csv_table_load(path, &t)) {
		print_error("does not parse: %s\n", path);
		csv_bad++;
	}
	csv_table_free(&t);
	return 0;
}

/* Count the threads of @pid and check none of them has a child process. */
static int threads_without_children(pid_t pid)
{
	char path[PATH_MAX], buf[256];
	struct dirent *e;
	DIR *d;
	int n = 0, fd;
	ssize_t got;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/children", (long)pid, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		got = read(fd, buf, sizeof(buf));
		close(fd);
		if (got > 0)
			fail_msg("thread %s of stealscope has children: %.*s", e->d_name, (int)got,
				 buf);
	}
	closedir(d);
	return n;
}

static void test_stealscope_run_sigint(void **state)
{
	char base[] = "/tmp/test_stealscope_run.XXXXXX", dir[PATH_MAX], path[PATH_MAX];
	char *argv[] = { STEALSCOPE, "run", "sched-virt", "--backend", "native", "--out", base,
			 NULL };
	struct csv_table t;
	struct tool_run r;
	struct child c;
	int threads;

	(void)state;
	assert_non_null(mkdtemp(base));
	start_tool(argv, &c);
	nap_ms(400);
	/* main thread + vCPU + hog, and no child process at all */
	threads = threads_without_children(c.pid);
	if (threads < 3)
		fail_msg("stealscope has %d threads 400 ms in, want >= 3", threads);
	nap_ms(100);
	assert_int_equal(kill(c.pid, SIGINT), 0);
	wait_tool(&c, RUN_TIMEOUT_MS, &r);
	assert_int_equal(r.exit_code, 1);
	/* it stopped at once rather than running out its 3 s */
	if (r.elapsed_ms > 2500)
		fail_msg("took %.0f ms to stop", r.elapsed_ms);
	dir_from(r.err, "interrupted: partial results in ", "", dir, sizeof(dir));
	assert_true(exists(dir, "INCOMPLETE"));
	assert_true(exists(dir, "default/rep-1/progress.csv"));
	assert_true(exists(dir, "default/rep-1/vcpu.csv"));
	assert_true(exists(dir, "default/rep-1/cpu.csv"));
	csv_bad = csv_count = 0;
	nftw(dir, check_csv, 16, FTW_PHYS);
	assert_int_equal(csv_bad, 0);
	assert_true(csv_count >= 3);
	path_join(path, sizeof(path), dir, "default/rep-1/progress.csv");
	assert_int_equal(csv_table_load(path, &t), 0);
	assert_true(t.nrows > 50);
	csv_table_free(&t);
	/* the process is gone, and with it every thread */
	assert_int_equal(kill(c.pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	tool_run_free(&r);
	rm_rf(base);
}

/*
 * On a terminal the progress line is drawn by a thread of its own (the
 * runner's only thread besides the backend's): run with stderr on a new
 * pseudo-terminal and read back what it drew. stdout stays a file, so the
 * summary is checked as usual.
 */
static void test_stealscope_run_progress_on_terminal(void **state)
{
	char base[] = "/tmp/test_stealscope_run.XXXXXX", buf[16384], *slave, *p, *next, *eol;
	char *argv[] = { STEALSCOPE, "run", "sched-virt", "--backend", "native", "--quick",
			 "--out", base, NULL };
	const char *draw = "\rpolicy default rep 1/1 [";
	posix_spawn_file_actions_t fa;
	struct tool_run r;
	struct child c;
	size_t used = 0;
	ssize_t n;
	int master, draws = 0;

	(void)state;
	assert_non_null(mkdtemp(base));
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = ptsname(master);
	assert_non_null(slave);
	c.out_fd = temp_fd();
	c.err_fd = temp_fd();          /* stays empty: stderr is the terminal */
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, c.out_fd, 1);
	posix_spawn_file_actions_addopen(&fa, 2, slave, O_RDWR | O_NOCTTY, 0);
	c.start_ms = now_ms();
	assert_int_equal(posix_spawn(&c.pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	/* a few lines a second: far below what the terminal buffers */
	wait_tool(&c, RUN_TIMEOUT_MS, &r);
	/* the tool has exited: the master reads what is left, then EIO */
	while (used + 1 < sizeof(buf) && (n = read(master, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	close(master);
	if (r.exit_code != 0)
		fail_msg("stealscope run exited %d (signal %d); terminal:\n%s", r.exit_code,
			 r.term_signal, buf);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "report: "));
	/* redrawn in place; the last drawing is full and ends the line */
	p = NULL;
	for (next = strstr(buf, draw); next; next = strstr(next + 1, draw)) {
		p = next;
		draws++;
	}
	/* at least the first (at t0) and the last (when stopped) */
	assert_true(draws >= 2);
	eol = strchr(p, '\n');
	assert_non_null(eol);
	*eol = '\0';
	assert_non_null(strstr(p, "[####################] "));
	tool_run_free(&r);
	rm_rf(base);
}

static void test_stealscope_list(void **state)
{
	char *argv[] = { STEALSCOPE, "list", NULL };
	struct tool_run r;

	(void)state;
	run_tool(argv, &r);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "sched-virt "));
	assert_non_null(strstr(r.out, "pinning "));
	assert_non_null(strstr(r.out, "vCPU pinning policies compared"));
	tool_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stealscope_list),
		cmocka_unit_test(test_stealscope_run_unknown_experiment),
		cmocka_unit_test(test_stealscope_run_kvm_mini),
		cmocka_unit_test(test_stealscope_run_bad_repeat),
		cmocka_unit_test(test_stealscope_help_and_version),
		cmocka_unit_test(test_stealscope_run_sched_virt),
		cmocka_unit_test(test_stealscope_run_pinning),
		cmocka_unit_test(test_stealscope_run_sigint),
		cmocka_unit_test(test_stealscope_run_progress_on_terminal),
	};
	char root[PATH_MAX];

	/* the repository root: TEST_FIXTURES is <root>/tests/fixtures */
	snprintf(root, sizeof(root), "%s/../..", TEST_FIXTURES);
	if (chdir(root))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
