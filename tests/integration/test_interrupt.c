/*
 * Integration test: interrupt `stealscope run` at 20 random moments and
 * check that nothing is left in a mess. The experiment is a small spec of
 * its own (three policies of 600 ms: a hog on the vCPU's CPU, two vCPUs on
 * one CPU, a cgroup quota), so that a whole run takes about 3 s here.
 *
 * First an uninterrupted reference run: its exit status, its files (the
 * list a complete run must have) and, from their modification times, when
 * each phase began and ended (set-up, calibration, measurement and file
 * writing of each policy, plots and report). Then 19 runs, each stopped at
 * a moment drawn at random inside one phase (every phase several times;
 * start-up is everything before the results directory exists: the
 * checks, which end with exit 1 and "before anything was measured", and
 * the first instants before stealscope has its signal handlers),
 * and one run that gets a second signal while it cleans up after the first.
 * A SIGINT goes to stealscope and to its children, as Ctrl-C on a terminal
 * reaches the whole foreground process group (gnuplot included); a SIGTERM
 * goes to stealscope alone, as kill(1) sends it.
 *
 * After each run: it exited within STOP_TIMEOUT_MS of the signal, with 1
 * ("interrupted: partial results in DIR") and INCOMPLETE in DIR, or with 0
 * and DIR complete (every file of the reference run, no INCOMPLETE); or,
 * stopped during start-up, with no results directory at all: exit 1 saying
 * nothing was measured, or (before it had installed its handlers) killed
 * by the signal. No process it started is left (this test
 * is a child subreaper: an orphan of stealscope would become its child),
 * no cgroup named after it remains, no temporary file (*.tmp.*) is in DIR,
 * every file in DIR is one a complete run has, every CSV parses, meta.json
 * parses with policy statuses a stop can leave (ok/skipped, at most one
 * interrupted, then pending) and report.html exists and says whether the
 * run was interrupted.
 *
 * The moments come from a seeded generator, drawn for each case from the
 * seed and the case's number: the seed is printed, STEALSCOPE_TEST_SEED=N
 * replays the same phases and fractions of them, and STEALSCOPE_TEST_CASE=K
 * runs only case K (1..20) of those.
 * Timing noise from other work on the machine moves the phases a little;
 * each case prints where the run actually stopped (from meta.json).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/procscan.h"
#include "tests/support/run.h"

#include "common/csvio.h"
#include "common/fileio.h"
#include "common/jsonget.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STEALSCOPE TEST_BINDIR "/stealscope"
#define REF_TIMEOUT_MS 60000
/* From the (last) signal to the exit; plots already started run to the end. */
#define STOP_TIMEOUT_MS 10000
#define NPOL 3
#define NCASES 19                       /* plus the second-signal case: 20 */
/* At least this many of the NCASES runs must really be interrupted (exit 1). */
#define MIN_INTERRUPTED 10
#define MAX_FILES 256
#define MAX_CHILDREN 64

static const char spec_text[] =
	"; interrupt: three short policies for tests/integration/test_interrupt.c\n"
	"[experiment]\n"
	"name = interrupt\n"
	"description = three short policies, to be interrupted\n"
	"duration = 600ms\n"
	"sample_interval = 10ms\n"
	"[vm]\n"
	"vcpus = 1\n"
	"pin = 0\n"
	"workload = sched\n"
	"[workload]\n"
	"tasks = 2\n"
	"units = 0\n"
	"unit_work = 1ms\n"
	"[contention hog]\n"
	"cpu = 0\n"
	"start = 200ms\n"
	"duration = 200ms\n"
	"[policy shared]\n"
	"description = vCPU and hog share CPU 0\n"
	"[policy overcommit]\n"
	"description = 2 vCPUs on CPU 0, no hog\n"
	"vm.vcpus = 2\n"
	"vm.workload = inf-loop\n"
	"contention = none\n"
	"[policy quota]\n"
	"description = vCPU on CPU 0 limited to 50% by a cgroup, no hog\n"
	"vm.quota = 50\n"
	"contention = none\n"
	"requires = cgroup-cpu-max\n";

static const char *const policy_names[NPOL] = { "shared", "overcommit", "quota" };

enum phase { PH_START, PH_SETUP, PH_CALIB, PH_MEASURE, PH_BETWEEN, PH_PLOTS };

static const char *const phase_names[] = {
	"start-up", "set-up", "calibration", "measurement", "after the measurement",
	"plots and report",
};

/* When the reference run's phases ended, in ms since its spawn. */
struct timeline {
	double resdir_ms;               /* the results directory created */
	double setup_ms;                /* spec.ini written */
	double calib_end_ms[NPOL];      /* <policy>/rep-1 created */
	double meas_end_ms[NPOL];       /* its progress.csv written */
	double files_end_ms[NPOL];      /* its cpu.csv written */
	double summary_ms;              /* summary.json written */
	double end_ms;                  /* exited */
};

/* Relative paths of files under a results directory, sorted. */
struct file_list {
	char *name[MAX_FILES];
	size_t n;
};

static struct {
	char base[PATH_MAX];
	char spec[PATH_MAX];
	char ref_dir[PATH_MAX];
	pid_t ref_pid;
	int ref_exit;
	struct timeline tl;
	struct file_list ref_files;
	uint64_t seed;
	uint64_t rng;
	int only_case;                  /* STEALSCOPE_TEST_CASE; 0: every case */
} fx;

/* One interrupted run. */
struct icase {
	enum phase phase;
	int pol;                        /* the policy of the phase, or -1 */
	double frac;                    /* where in the phase's window, 0..1 */
	double at_ms;                   /* the moment, since the spawn */
	int sig;
	int second_sig;                 /* 0, or sent @second_ms after the first */
	double second_ms;
};

/* ---- a seeded generator (splitmix64): the same cases on every libc ---------- */

static uint64_t rng_next(void)
{
	uint64_t z = (fx.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* ---- files ---------------------------------------------------------------- */

/* "<a>/<b>" into @out (PATH_MAX). */
static void join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);

	assert_true(n > 0 && n < PATH_MAX);
}

static int exists_in(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	join(path, dir, name);
	return lstat(path, &st) == 0;
}

/*
 * Every directory entry below @dir down to @max_depth levels, each handed
 * to @visit with its path relative to the first @dir; @visit returns
 * nonzero to stop descending into a directory.
 */
static void walk(const char *dir, const char *rel, int max_depth,
		 int (*visit)(void *ctx, const char *path, const char *rel, int is_dir),
		 void *ctx)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		int is_dir;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		join(path, dir, e->d_name);
		if (rel[0])
			join(sub, rel, e->d_name);
		else
			snprintf(sub, sizeof(sub), "%s", e->d_name);
		is_dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
		if (!visit(ctx, path, sub, is_dir) && is_dir && max_depth > 1)
			walk(path, sub, max_depth - 1, visit, ctx);
	}
	closedir(d);
}

static int add_file(void *ctx, const char *path, const char *rel, int is_dir)
{
	struct file_list *l = ctx;

	(void)path;
	if (is_dir)
		return 0;
	assert_true(l->n < MAX_FILES);
	l->name[l->n] = strdup(rel);
	assert_non_null(l->name[l->n]);
	l->n++;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_files(const char *dir, struct file_list *l)
{
	memset(l, 0, sizeof(*l));
	walk(dir, "", 4, add_file, l);
	qsort(l->name, l->n, sizeof(l->name[0]), cmp_name);
}

static void free_files(struct file_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->name[i]);
	l->n = 0;
}

static int in_list(const struct file_list *l, const char *name)
{
	return bsearch(&name, l->name, l->n, sizeof(l->name[0]), cmp_name) != NULL;
}

/* The one run directory under <@base>/interrupt/ into @dir; 0 when there is none. */
static int find_run_dir(const char *base, char *dir)
{
	char parent[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	join(parent, base, "interrupt");
	d = opendir(parent);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "latest"))
			continue;
		join(dir, parent, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 1)
		fail_msg("%d run directories in %s, want one", n, parent);
	return n;
}

/* mtime of <@dir>/<@name> in ms after @rt0_ms (CLOCK_REALTIME); -1 if absent. */
static double mtime_after(const char *dir, const char *name, double rt0_ms)
{
	char path[PATH_MAX];
	struct stat st;

	join(path, dir, name);
	if (stat(path, &st))
		return -1;
	return (double)st.st_mtim.tv_sec * 1e3 + (double)st.st_mtim.tv_nsec / 1e6 - rt0_ms;
}

static double realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- what a run may leave behind ------------------------------------------- */

/* Where children_of() collects the pids it reads. */
struct kid_list {
	pid_t *pid;
	int n;
};

/* One thread's /proc/PID/task/TID/children, "pid pid ...": into @arg's list. */
static int add_children(pid_t tid, char *text, size_t len, void *arg)
{
	struct kid_list *k = arg;
	char *p, *end;

	(void)tid;
	(void)len;
	for (p = text; k->n < MAX_CHILDREN; p = end) {
		long child = strtol(p, &end, 10);

		if (end == p)
			break;
		k->pid[k->n++] = (pid_t)child;
	}
	return 0;
}

/*
 * The children of every thread of process @pid (this process when 0), up
 * to MAX_CHILDREN of them into @out; returns how many.
 */
static int children_of(pid_t pid, pid_t *out)
{
	struct kid_list k = { out, 0 };

	support_each_task(pid, "children", add_children, &k);
	return k.n;
}

/*
 * No child of this process is left: stealscope itself has been reaped, and
 * as this process is a child subreaper, anything stealscope started and
 * left running (or exited unreaped) would now be our child. Kills and
 * reaps what it finds, then fails naming it.
 */
static void assert_no_children(void)
{
	char path[64], found[1024] = "";
	pid_t kids[MAX_CHILDREN];
	size_t used = 0;
	int i, n = children_of(0, kids);

	for (i = 0; i < n; i++) {
		char *comm;

		snprintf(path, sizeof(path), "/proc/%ld/comm", (long)kids[i]);
		comm = support_slurp(path);
		comm[strcspn(comm, "\n")] = '\0';
		if (used < sizeof(found))
			used += (size_t)snprintf(found + used, sizeof(found) - used, " %ld (%s)",
						 (long)kids[i], comm);
		free(comm);
		support_reap(kids[i]);
	}
	if (n)
		fail_msg("left behind by stealscope:%s", found);
}

struct cgroup_search {
	char prefix[64];                /* "stealscope-<pid>-" */
	char found[PATH_MAX];
};

static int find_cgroup(void *ctx, const char *path, const char *rel, int is_dir)
{
	struct cgroup_search *s = ctx;
	const char *name = strrchr(rel, '/');

	name = name ? name + 1 : rel;
	if (is_dir && !strncmp(name, s->prefix, strlen(s->prefix)))
		snprintf(s->found, sizeof(s->found), "%s", path);
	return !is_dir;
}

/* No cgroup named after stealscope @pid (cgquota's names) in any hierarchy. */
static void assert_no_cgroup(pid_t pid)
{
	struct cgroup_search s;

	memset(&s, 0, sizeof(s));
	snprintf(s.prefix, sizeof(s.prefix), "stealscope-%ld-", (long)pid);
	/* the cgroups are children of the process's own: never deep down */
	walk("/sys/fs/cgroup", "", 4, find_cgroup, &s);
	if (s.found[0])
		fail_msg("cgroup left behind: %s", s.found);
}

/*
 * Every file of @dir is one a complete run has (or INCOMPLETE), none is a
 * temporary, and every CSV parses. With @complete the list must equal the
 * reference run's.
 */
static void check_files(const char *dir, int complete)
{
	struct file_list l;
	size_t i;

	list_files(dir, &l);
	for (i = 0; i < l.n; i++) {
		const char *name = l.name[i];
		size_t len = strlen(name);

		if (strstr(name, ".tmp."))
			fail_msg("%s: temporary file left: %s", dir, name);
		if (strcmp(name, "INCOMPLETE") && !in_list(&fx.ref_files, name))
			fail_msg("%s: %s is not a file a complete run has", dir, name);
		if (len > 4 && !strcmp(name + len - 4, ".csv")) {
			char path[PATH_MAX];
			struct csv_table t;

			join(path, dir, name);
			if (csv_table_load(path, &t))
				fail_msg("%s does not parse as CSV", path);
			assert_true(t.ncols > 0);
			csv_table_free(&t);
		}
	}
	if (complete && l.n != fx.ref_files.n) {
		for (i = 0; i < fx.ref_files.n; i++)
			if (!in_list(&l, fx.ref_files.name[i]))
				print_error("missing: %s\n", fx.ref_files.name[i]);
		fail_msg("%s: %zu files, a complete run has %zu", dir, l.n, fx.ref_files.n);
	}
	free_files(&l);
}

/*
 * meta.json parses and its policy statuses are what a stop can leave: the
 * policies before the stop ok (or skipped), at most one interrupted, then
 * pending; all ok (or skipped) when @complete. Where the run stopped goes
 * to @where.
 */
static void check_meta(const char *dir, int complete, char *where, size_t len)
{
	char path[PATH_MAX], key[64], status[32], name[64];
	struct jsonget_doc doc;
	int i, stage = 0;                /* 0: ok so far, 1: interrupted seen, 2: pending */

	join(path, dir, "meta.json");
	if (jsonget_load(path, &doc))
		fail_msg("%s does not parse", path);
	assert_int_equal(jsonget_str(&doc, "backend", status, sizeof(status)), 0);
	assert_string_equal(status, "native");
	assert_int_equal(jsonget_count(&doc, "policies"), NPOL);
	snprintf(where, len, complete ? "finished" : "in the plots or the report");
	for (i = 0; i < NPOL; i++) {
		snprintf(key, sizeof(key), "policies[%d].name", i);
		assert_int_equal(jsonget_str(&doc, key, name, sizeof(name)), 0);
		assert_string_equal(name, policy_names[i]);
		snprintf(key, sizeof(key), "policies[%d].status", i);
		assert_int_equal(jsonget_str(&doc, key, status, sizeof(status)), 0);
		if (!strcmp(status, "ok") || !strcmp(status, "skipped")) {
			if (stage)
				fail_msg("%s: policy %s is %s after a stopped one", path, name, status);
		} else if (!strcmp(status, "interrupted") && !complete && stage == 0) {
			stage = 1;
			snprintf(where, len, "during %s", name);
		} else if (!strcmp(status, "pending") && !complete) {
			if (stage == 0)
				snprintf(where, len, "before %s", name);
			stage = 2;
		} else {
			fail_msg("%s: policy %s has status '%s' (%s run)", path, name, status,
				 complete ? "a complete" : "an interrupted");
		}
	}
	jsonget_free(&doc);
}

/* report.html exists, with the interrupted banner exactly when @interrupted. */
static void check_report(const char *dir, int interrupted)
{
	char path[PATH_MAX];
	char *html;

	join(path, dir, "report.html");
	html = support_read_file(path);
	if (!html)
		fail_msg("%s: no report.html", dir);
	if (!!strstr(html, "This run was interrupted") != interrupted)
		fail_msg("%s: report.html %s the interrupted banner", dir,
			 interrupted ? "lacks" : "has");
	free(html);
}

/*
 * Everything a run of stealscope (pid @pid, under @base) must leave, given
 * how it ended (@r) and the signal that stopped it (@sig; 0 for none).
 * @finished_first: it had exited before the signal. What happened goes to
 * @where.
 */
static void check_run(const char *base, pid_t pid, const struct support_run *r, int sig,
		      int finished_first, char *where, size_t len)
{
	char dir[PATH_MAX], want[PATH_MAX + 64];
	int complete;

	assert_no_children();
	assert_no_cgroup(pid);
	if (!find_run_dir(base, dir)) {
		/*
		 * Stopped during the checks, before anything was created: exit 1
		 * saying so; or, in the first instants (before its handlers were
		 * set), killed by the signal.
		 */
		if (sig && r->exit_code == 1 &&
		    strstr(r->err, "before anything was measured")) {
			snprintf(where, len, "before set-up (exit 1: nothing measured)");
			return;
		}
		if (!sig || support_status(r) != 128 + sig)
			fail_msg("no results directory, and status %d (want 1 saying nothing was "
				 "measured, or %d: killed by the signal before set-up); stderr: %s",
				 support_status(r), 128 + sig, r->err);
		snprintf(where, len, "before set-up (killed by the signal)");
		return;
	}
	if (r->exit_code != 0 && r->exit_code != 1)
		fail_msg("status %d, want 1 (or 0 when it had finished); stderr: %s",
			 support_status(r), r->err);
	complete = r->exit_code == 0;
	if (finished_first && !complete)
		fail_msg("it exited %d before the signal; stderr: %s", r->exit_code, r->err);
	if (complete) {
		snprintf(want, sizeof(want), "report: %s/report.html\n", dir);
		if (!strstr(r->out, want))
			fail_msg("exit 0 but stdout lacks \"%s\": %s", want, r->out);
		if (exists_in(dir, "INCOMPLETE"))
			fail_msg("exit 0 but %s holds INCOMPLETE", dir);
	} else {
		snprintf(want, sizeof(want), "stealscope run: error: interrupted: partial results "
			 "in %s\n", dir);
		if (!strstr(r->err, want))
			fail_msg("stderr lacks \"%s\": %s", want, r->err);
		if (!exists_in(dir, "INCOMPLETE"))
			fail_msg("interrupted, but %s has no INCOMPLETE", dir);
	}
	/* spec.ini and meta.json are written before anything is measured */
	assert_true(exists_in(dir, "spec.ini"));
	check_files(dir, complete);
	check_meta(dir, complete, where, len);
	check_report(dir, !complete);
}

/* ---- the reference run and its timeline ------------------------------------- */

static int group_setup(void **state)
{
	const char *argv[] = { STEALSCOPE, "run", "--backend", "native", "--out", fx.base,
			       fx.spec, NULL };
	const char *env = getenv("STEALSCOPE_TEST_SEED");
	const char *only = getenv("STEALSCOPE_TEST_CASE");
	struct support_child c;
	struct support_run r;
	struct timeline *t = &fx.tl;
	double rt0, prev;
	char pdir[PATH_MAX];
	int64_t seed, v;
	int i;

	(void)state;
	if (env && *env) {
		if (parse_i64("STEALSCOPE_TEST_SEED", env, 0, INT64_MAX, &seed))
			return -1;
	} else {
		seed = (mono_ns() ^ (int64_t)getpid() << 20) & INT64_MAX;
	}
	fx.seed = (uint64_t)seed;
	if (only && *only) {
		if (parse_i64("STEALSCOPE_TEST_CASE", only, 1, NCASES + 1, &v))
			return -1;
		fx.only_case = (int)v;
	}
	print_message("seed %lld (STEALSCOPE_TEST_SEED=%lld replays these cases)\n",
		      (long long)seed, (long long)seed);
	if (support_mkdtemp(fx.base, sizeof(fx.base), "interrupt"))
		return -1;
	join(fx.spec, fx.base, "interrupt.ini");
	if (afile_write_string(fx.base, "interrupt.ini", spec_text))
		return -1;

	rt0 = realtime_ms();
	support_spawn(argv, &c);
	fx.ref_pid = c.pid;
	support_wait(&c, REF_TIMEOUT_MS, &r);
	fx.ref_exit = support_status(&r);
	if (fx.ref_exit != 0 || !find_run_dir(fx.base, fx.ref_dir)) {
		print_error("reference run: status %d: %s\n", fx.ref_exit, r.err);
		support_run_free(&r);
		return -1;
	}
	list_files(fx.ref_dir, &fx.ref_files);

	/* creating the run's directory and "latest" changed its parent last */
	t->resdir_ms = mtime_after(fx.base, "interrupt", rt0);
	t->setup_ms = mtime_after(fx.ref_dir, "spec.ini", rt0);
	prev = t->setup_ms;
	for (i = 0; i < NPOL; i++) {
		join(pdir, fx.ref_dir, policy_names[i]);
		/* rep-1 was created last in <policy>/; a policy skipped here takes no time */
		t->calib_end_ms[i] = mtime_after(fx.ref_dir, policy_names[i], rt0);
		if (t->calib_end_ms[i] < 0)
			t->calib_end_ms[i] = prev;
		t->meas_end_ms[i] = mtime_after(pdir, "rep-1/progress.csv", rt0);
		if (t->meas_end_ms[i] < 0)
			t->meas_end_ms[i] = prev;
		t->files_end_ms[i] = mtime_after(pdir, "rep-1/cpu.csv", rt0);
		if (t->files_end_ms[i] < 0)
			t->files_end_ms[i] = prev;
		prev = t->files_end_ms[i];
	}
	t->summary_ms = mtime_after(fx.ref_dir, "summary.json", rt0);
	t->end_ms = r.elapsed_ms;
	print_message("reference run: %zu files, %.0f ms; results directory at %.0f ms, "
		      "spec.ini %.0f", fx.ref_files.n, t->end_ms, t->resdir_ms, t->setup_ms);
	for (i = 0; i < NPOL; i++)
		print_message("; %s: calibrated %.0f, measured %.0f, written %.0f", policy_names[i],
			      t->calib_end_ms[i], t->meas_end_ms[i], t->files_end_ms[i]);
	print_message("; summary %.0f ms\n", t->summary_ms);
	support_run_free(&r);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free_files(&fx.ref_files);
	if (fx.base[0])
		support_rmtree(fx.base);
	return 0;
}

/* The window of @ph (policy @pol) in the reference timeline, ms since the spawn. */
static void phase_window(enum phase ph, int pol, double *lo, double *hi)
{
	const struct timeline *t = &fx.tl;

	switch (ph) {
	case PH_START:
		*lo = 0;
		*hi = t->resdir_ms;
		break;
	case PH_SETUP:
		/* the results directory, spec.ini, meta.json: a few ms */
		*lo = t->resdir_ms - 1;
		*hi = t->setup_ms + 2;
		break;
	case PH_CALIB:
		*lo = pol ? t->files_end_ms[pol - 1] : t->setup_ms;
		*hi = t->calib_end_ms[pol];
		break;
	case PH_MEASURE:
		*lo = t->calib_end_ms[pol];
		*hi = t->meas_end_ms[pol];
		break;
	case PH_BETWEEN:
		/* joining, the rep's files, the cgroup, meta.json; after the last: the summary */
		*lo = t->meas_end_ms[pol];
		*hi = pol + 1 < NPOL ? t->files_end_ms[pol] + 3 : t->summary_ms;
		break;
	case PH_PLOTS:
		*lo = t->summary_ms;
		*hi = t->end_ms;
		break;
	}
	if (*hi < *lo)
		*hi = *lo;
}

/* Case @number: a moment in phase @ph (of policy @pol) and a signal. */
static void make_case(struct icase *k, int number, enum phase ph, int pol)
{
	double lo, hi;

	/* each case's draws depend on the seed and its number only */
	fx.rng = fx.seed ^ (uint64_t)number << 56;
	memset(k, 0, sizeof(*k));
	k->phase = ph;
	k->pol = pol;
	k->frac = rng_unit();
	phase_window(ph, pol, &lo, &hi);
	k->at_ms = lo + k->frac * (hi - lo);
	k->sig = rng_next() & 1 ? SIGTERM : SIGINT;
}

/* Did @pid exit already? (It is not reaped: the status stays for support_wait.) */
static int exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT), 0);
	return si.si_pid == pid;
}

/*
 * SIGTERM to stealscope alone; SIGINT to it and to its children too, as a
 * terminal's Ctrl-C reaches its whole process group.
 */
static void send_stop(struct support_child *c, int sig)
{
	pid_t kids[MAX_CHILDREN];
	int i, n;

	support_signal(c, sig);
	if (sig != SIGINT)
		return;
	n = children_of(c->pid, kids);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGINT);     /* it may have exited meanwhile */
}

static void sleep_until_ms(double start_ms, double at_ms)
{
	while (sleep_until_ns((int64_t)((start_ms + at_ms) * 1e6)) == -EINTR)
		;
}

/* Run case @k: start, stop at the moment, check. Returns 1 if it was interrupted. */
static int run_case(const struct icase *k, int number, int total)
{
	char base[PATH_MAX], name[32], where[128], what[160];
	const char *argv[] = { STEALSCOPE, "run", "--backend", "native", "--out", base, fx.spec,
			       NULL };
	struct support_child c;
	struct support_run r;
	int finished_first, second_late = 0;
	double lo, hi;
	pid_t pid;

	snprintf(name, sizeof(name), "case-%02d", number);
	join(base, fx.base, name);
	assert_int_equal(mkdir(base, 0755), 0);
	phase_window(k->phase, k->pol, &lo, &hi);
	snprintf(what, sizeof(what), "%s%s%s, %.2f of %.0f..%.0f ms", phase_names[k->phase],
		 k->pol >= 0 ? " of " : "", k->pol >= 0 ? policy_names[k->pol] : "", k->frac,
		 lo, hi);

	/* said before the run, so that a hang still shows which case it was */
	print_message("case %d/%d: %s at %.0f ms (%s)%s%s\n", number, total, strsignal(k->sig),
		      k->at_ms, what, k->second_sig ? ", then " : "",
		      k->second_sig ? strsignal(k->second_sig) : "");
	support_spawn(argv, &c);
	pid = c.pid;                    /* support_wait() clears c.pid */
	sleep_until_ms(c.start_ms, k->at_ms);
	finished_first = exited(c.pid);
	send_stop(&c, k->sig);
	if (k->second_sig) {
		sleep_until_ms(c.signal_ms, k->second_ms);
		second_late = exited(c.pid);
		send_stop(&c, k->second_sig);
	}
	support_wait(&c, (int)(k->at_ms + k->second_ms) + STOP_TIMEOUT_MS, &r);
	check_run(base, pid, &r, k->sig, finished_first, where, sizeof(where));
	print_message("    status %d, %.0f ms after the %ssignal: stopped %s\n",
		      support_status(&r), r.after_signal_ms, k->second_sig ? "first " : "", where);
	if (k->second_sig && second_late)
		fail_msg("the second signal came after the exit: clean-up took under %.0f ms",
			 k->second_ms);
	support_run_free(&r);
	support_rmtree(base);
	return !finished_first && r.exit_code == 1;
}

/* ---- the tests -------------------------------------------------------------------- */

/* The reference run itself: complete, and the checks agree. */
static void test_interrupt_reference_run_is_complete(void **state)
{
	struct support_run r;
	char where[128];

	(void)state;
	assert_int_equal(fx.ref_exit, 0);
	/* a spec.ini, meta.json, summary, report and 3 CSVs per policy at least */
	assert_true(fx.ref_files.n >= 5 + 3 * NPOL);
	memset(&r, 0, sizeof(r));
	r.out = malloc(PATH_MAX + 32);
	assert_non_null(r.out);
	snprintf(r.out, PATH_MAX + 32, "report: %s/report.html\n", fx.ref_dir);
	r.err = strdup("");
	assert_non_null(r.err);
	/* its directory is the one in fx.base/interrupt/ */
	check_run(fx.base, fx.ref_pid, &r, 0, 0, where, sizeof(where));
	assert_string_equal(where, "finished");
	support_run_free(&r);
}

static void test_interrupt_random_moments(void **state)
{
	/* how many moments each phase gets; per policy where it has one */
	static const struct { enum phase ph; int per_policy; int n; } plan[] = {
		{ PH_START, 0, 2 }, { PH_SETUP, 0, 1 }, { PH_CALIB, 1, 3 }, { PH_MEASURE, 1, 5 },
		{ PH_BETWEEN, 1, 3 }, { PH_PLOTS, 0, 5 },
	};
	struct icase k;
	size_t i;
	int j, number = 0, interrupted = 0;

	(void)state;
	for (i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
		for (j = 0; j < plan[i].n; j++) {
			make_case(&k, ++number, plan[i].ph, plan[i].per_policy ? j % NPOL : -1);
			if (!fx.only_case || fx.only_case == number)
				interrupted += run_case(&k, number, NCASES + 1);
		}
	}
	assert_int_equal(number, NCASES);
	if (fx.only_case)
		return;
	print_message("%d of %d runs were stopped before the end (exit 1)\n", interrupted,
		      NCASES);
	if (interrupted < MIN_INTERRUPTED)
		fail_msg("only %d of %d runs were interrupted (want %d): the moments missed the "
			 "run", interrupted, NCASES, MIN_INTERRUPTED);
}

/*
 * A second signal (the other one) a few ms after the first, mid-measurement
 * of the quota policy: it lands while the threads are joined, the files
 * written and the cgroup removed.
 */
static void test_interrupt_second_signal_during_cleanup(void **state)
{
	struct icase k;

	(void)state;
	if (fx.only_case && fx.only_case != NCASES + 1)
		return;
	make_case(&k, NCASES + 1, PH_MEASURE, NPOL - 1);
	k.second_sig = k.sig == SIGINT ? SIGTERM : SIGINT;
	k.second_ms = 1 + 4 * rng_unit();
	assert_int_equal(run_case(&k, NCASES + 1, NCASES + 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interrupt_reference_run_is_complete),
		cmocka_unit_test(test_interrupt_random_moments),
		cmocka_unit_test(test_interrupt_second_signal_during_cleanup),
	};

	/* orphans of stealscope become ours, so that the tests see them */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("prctl PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
