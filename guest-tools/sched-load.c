/*
 * sched-load: the textbook "sched" load in C. N processes pinned to one CPU
 * each do U calibrated work units (or work for a duration) from a common
 * start time and stamp CLOCK_MONOTONIC after every unit into a shared,
 * preallocated buffer; the parent writes the progress CSV once they are done
 * (or interrupted). The common start is either shortly after every process
 * is ready or an instant the caller chose (--start-at), so that a script can
 * start it together with other tools, as the guest image's /init does. The
 * work loop must never print, allocate or enter the kernel: its only cost
 * besides the work is one vDSO clock read and one store per unit.
 */
#include "common/affinity.h"
#include "common/cli.h"
#include "common/csvio.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"
#include "guest-tools/calibrate.h"
#include "guest-tools/workunit.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS 1024
#define MAX_UNITS 10000000LL
#define MAX_STAMPS 100000000LL          /* procs * units: 800 MB of stamps */

struct sched_cfg {
	int procs;
	int cpu;
	int64_t units;
	int64_t unit_work_ns;
	int64_t delay_ns;
	int64_t t0_ns;                  /* --t0: the CSV's time origin */
	int has_t0;
	int64_t start_at_ns;            /* --start-at: the common start */
	int has_start_at;
	int64_t duration_ns;            /* --duration: 0 = until --units are done */
	int units_given;                /* --units given (with --duration: a cap) */
	const char *out;
	int verbose;
};

/*
 * Shared between the parent and its children (MAP_SHARED). A stamp is an
 * absolute CLOCK_MONOTONIC time and therefore never 0, so the stamps a child
 * wrote are exactly the nonzero prefix of its row: no separate counter, and
 * a child killed mid-run leaves only complete stamps behind (aligned 64-bit
 * stores are atomic on every target we build for).
 */
struct shared {
	int64_t start_ns;               /* common start, set before release */
	int64_t pad[7];                 /* keep the stamps off this cache line */
	int64_t stamps[];               /* procs rows of units stamps */
};

static void usage(void)
{
	printf("Usage: sched-load [OPTION]...\n"
	       "Run N CPU-bound processes pinned to one CPU, each doing U calibrated work\n"
	       "units (or working for a duration) from a common start, and write their\n"
	       "progress over time as CSV.\n"
	       "\n"
	       "      --procs N         number of processes, 1..%d (default 2)\n"
	       "  -c, --cpu C           CPU to pin all of them to (default 0)\n"
	       "      --units U         work units per process, 1..%lld (default 100);\n"
	       "                        with --duration: at most U (default: more than\n"
	       "                        fit into the duration)\n"
	       "  -w, --unit-work DUR   CPU time of one unit, 1us..10s (default 1ms)\n"
	       "  -d, --duration DUR    work until DUR after the start of work, instead\n"
	       "                        of until --units are done; a unit that would end\n"
	       "                        later is not counted\n"
	       "      --start-at NS     the common start is the CLOCK_MONOTONIC instant NS\n"
	       "                        (e.g. host-facts --monotonic-ns plus a margin for\n"
	       "                        start-up and calibration) instead of just after\n"
	       "                        every process is ready; at most 1 minute ahead.\n"
	       "                        Processes ready after NS start at once (a warning\n"
	       "                        says how late); --duration still ends from NS\n"
	       "      --delay DUR       wait DUR after the common start before working\n"
	       "                        (default 0)\n"
	       "  -o, --out FILE        write the CSV to FILE (default: stdout)\n"
	       "      --t0 NS           measure t_ns from the CLOCK_MONOTONIC instant NS\n"
	       "                        (e.g. from host-facts --monotonic-ns) instead of\n"
	       "                        from the common start, to share one time axis\n"
	       "                        with other tools; at most 1 minute ahead\n"
	       "  -v, --verbose         report calibration and timing details on stderr\n"
	       "  -h, --help            show this help and exit\n"
	       "  -V, --version         show the version and exit\n"
	       "\n"
	       "CSV columns: proc,unit,t_ns,progress_pct (t_ns from the common start,\n"
	       "or from --t0 when given). progress_pct counts toward --units, or, with\n"
	       "--duration and no --units, toward the units of a fair share of the CPU\n"
	       "(duration / (unit-work x procs)), so it may pass 100. The summary on\n"
	       "stderr counts from the common start either way.\n"
	       "Durations take a unit: 250ns, 10us, 2ms, 1.5s.\n"
	       "Short options mean the same in every stealscope measurement tool: -p\n"
	       "and -n (--pid, --count elsewhere) are not --procs and --units here,\n"
	       "and --delay is not -d (--duration); they have no short form.\n"
	       "Exit status: 0 ok, 1 failure or interrupted (partial CSV written),\n"
	       "2 usage error.\n",
	       MAX_PROCS, MAX_UNITS);
}

/* getopt values of the long-only options */
enum { OPT_T0 = 0x100, OPT_PROCS, OPT_UNITS, OPT_DELAY, OPT_START_AT };

/*
 * With --duration and no --units, room for the stamps of a process that has
 * its CPU alone, with the margin the native backend allows (a unit may run
 * a little faster than calibrated): duration / unit-work x 1.25 + 1024.
 */
static int64_t duration_units(const struct sched_cfg *cfg)
{
	double est = (double)cfg->duration_ns / (double)cfg->unit_work_ns * 1.25 + 1024.0;

	return est > (double)MAX_UNITS ? MAX_UNITS : (int64_t)est;
}

/* Returns -1 to go on, or the exit code for main(). */
static int parse_args(int argc, char **argv, struct sched_cfg *cfg)
{
	static const struct option opts[] = {
		{ "procs", required_argument, NULL, OPT_PROCS },
		{ "cpu", required_argument, NULL, 'c' },
		{ "units", required_argument, NULL, OPT_UNITS },
		{ "unit-work", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' },
		{ "start-at", required_argument, NULL, OPT_START_AT },
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "out", required_argument, NULL, 'o' },
		{ "t0", required_argument, NULL, OPT_T0 },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cpu_set_t set;
	int64_t v;
	int c;

	*cfg = (struct sched_cfg){
		.procs = 2, .cpu = 0, .units = 100, .unit_work_ns = NS_PER_MS,
		.delay_ns = 0, .t0_ns = 0, .has_t0 = 0, .start_at_ns = 0, .has_start_at = 0,
		.duration_ns = 0, .units_given = 0, .out = "-", .verbose = 0,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:w:d:o:vhV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PROCS:
			if (parse_i64("--procs", optarg, 1, MAX_PROCS, &v))
				return cli_usage_hint();
			cfg->procs = (int)v;
			break;
		case 'c':
			if (parse_i64("--cpu", optarg, 0, CPU_SETSIZE - 1, &v))
				return cli_usage_hint();
			cfg->cpu = (int)v;
			break;
		case OPT_UNITS:
			if (parse_i64("--units", optarg, 1, MAX_UNITS, &cfg->units))
				return cli_usage_hint();
			cfg->units_given = 1;
			break;
		case 'w':
			if (parse_duration_ns("--unit-work", optarg, NS_PER_US, 10 * NS_PER_SEC,
					      &cfg->unit_work_ns))
				return cli_usage_hint();
			break;
		case 'd':
			if (parse_duration_ns("--duration", optarg, NS_PER_US, CLI_MAX_DURATION_NS,
					      &cfg->duration_ns))
				return cli_usage_hint();
			break;
		case OPT_START_AT:
			if (cli_parse_instant("--start-at", optarg, &cfg->start_at_ns))
				return EXIT_USAGE;
			cfg->has_start_at = 1;
			break;
		case OPT_DELAY:
			if (parse_duration_ns("--delay", optarg, 0, 3600 * NS_PER_SEC,
					      &cfg->delay_ns))
				return cli_usage_hint();
			break;
		case 'o':
			if (!*optarg)
				return cli_usage_error("--out: empty file name");
			cfg->out = optarg;
			break;
		case OPT_T0:
			if (cli_parse_instant("--t0", optarg, &cfg->t0_ns))
				return EXIT_USAGE;
			cfg->has_t0 = 1;
			break;
		case 'v':
			cfg->verbose = 1;
			break;
		default:
			return cli_common_option(c, argv, usage, log_tool());
		}
	}
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (cfg->duration_ns && !cfg->units_given) {
		cfg->units = duration_units(cfg);
		if ((int64_t)cfg->procs * cfg->units > MAX_STAMPS)
			return cli_usage_error("--procs %d x --duration %.3f s needs room for up to "
					       "%lld stamps, more than %lld in total: give --units "
					       "as a cap", cfg->procs,
					       (double)cfg->duration_ns / NS_PER_SEC,
					       (long long)(cfg->procs * cfg->units), MAX_STAMPS);
	}
	if ((int64_t)cfg->procs * cfg->units > MAX_STAMPS)
		return cli_usage_error("--procs %d x --units %lld is more than %lld stamps in total",
				       cfg->procs, (long long)cfg->units, MAX_STAMPS);
	CPU_ZERO(&set);
	CPU_SET(cfg->cpu, &set);
	if (cpulist_check_online("--cpu", &set, NULL))
		return cli_usage_hint();
	return -1;
}

/* The number of stamps a child has written so far (the nonzero prefix). */
static int64_t stamps_done(const int64_t *row, int64_t units)
{
	int64_t lo = 0, hi = units;

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;

		if (__atomic_load_n(&row[mid], __ATOMIC_RELAXED))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The child: pin, fault in its own row of stamps (so no page fault lands in
 * the measured loop), say it is ready, wait for the release and then for the
 * absolute start deadline, and work. Never returns.
 */
static void child_main(const struct sched_cfg *cfg, const struct calib *cal,
		       struct shared *sh, int p, int ready_w, int go_r,
		       pid_t parent, const sigset_t *mask)
{
	int64_t *row = sh->stamps + (int64_t)p * cfg->units;
	volatile uint64_t sink;
	uint64_t acc, loops = cal->loops_per_unit;
	int64_t units = cfg->units, start, end, now, u;
	char byte = 'r';
	ssize_t n;

	sigprocmask(SIG_SETMASK, mask, NULL);
	/* the parent may die without killing us: then so do we */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(EXIT_FAIL);
	if (affinity_pin_self(cfg->cpu))
		_exit(EXIT_FAIL);
	memset(row, 0, (size_t)units * sizeof(*row));
	if (write(ready_w, &byte, 1) != 1)
		_exit(EXIT_FAIL);
	close(ready_w);
	/* the parent closes its end of the pipe to release everyone at once */
	do
		n = read(go_r, &byte, 1);
	while (n < 0 && errno == EINTR && !cli_stop_requested());
	close(go_r);
	if (n != 0 || cli_stop_requested())
		_exit(EXIT_OK);
	start = __atomic_load_n(&sh->start_ns, __ATOMIC_ACQUIRE) + cfg->delay_ns;
	end = cfg->duration_ns ? start + cfg->duration_ns : INT64_MAX;
	if (cli_sleep_until(start))
		_exit(EXIT_OK);

	acc = 0x9e3779b97f4a7c15ULL * (uint64_t)(p + 1);
	for (u = 0; u < units; u++) {
		if (cli_stop_requested())
			break;
		acc = workunit_spin(loops, acc);
		now = mono_ns();
		/* as in the native backend: a unit that ends after the window is not counted */
		if (now >= end)
			break;
		__atomic_store_n(&row[u], now, __ATOMIC_RELAXED);
	}
	sink = acc;
	(void)sink;
	_exit(EXIT_OK);
}

/* SIGCHLD only has to interrupt ppoll(); the default action would ignore it. */
static void on_child(int sig)
{
	(void)sig;
}

struct run {
	pid_t *pids;                    /* 0 once reaped */
	int live;
	int failed;                     /* children that exited abnormally */
	int killed;
};

/* The stamps live in shared memory, so SIGKILL loses nothing measured. */
static void kill_all(struct run *run, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (run->pids[i] > 0)
			kill(run->pids[i], SIGKILL);
	run->killed = 1;
}

static void reap(struct run *run, int n, int options)
{
	int i, status;
	pid_t r;

	for (i = 0; i < n; i++) {
		if (run->pids[i] <= 0)
			continue;
		r = waitpid(run->pids[i], &status, options);
		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		if (r > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !run->killed)
			run->failed++;
		run->pids[i] = 0;
		run->live--;
	}
}

static void show_progress(const struct sched_cfg *cfg, const struct shared *sh)
{
	int64_t done = 0, start, left;
	int p;

	for (p = 0; p < cfg->procs; p++)
		done += stamps_done(sh->stamps + (int64_t)p * cfg->units, cfg->units);
	if (cfg->duration_ns && !cfg->units_given) {
		start = __atomic_load_n(&sh->start_ns, __ATOMIC_ACQUIRE);
		left = start ? start + cfg->delay_ns + cfg->duration_ns - mono_ns() : -1;
		fprintf(stderr, "\r%s: %lld units, %.1f s left   ", log_tool(), (long long)done,
			left < 0 ? 0.0 : (double)left / NS_PER_SEC);
		return;
	}
	fprintf(stderr, "\r%s: %5.1f%% of %lld units", log_tool(),
		100.0 * (double)done / ((double)cfg->procs * (double)cfg->units),
		(long long)(cfg->procs * cfg->units));
}

/*
 * Wait (with signals blocked except inside ppoll, so a stop request can not
 * slip in between the check and the wait) for @fd to become readable, or for
 * any signal when @fd is -1. Returns 1 readable, 0 woken by a signal or the
 * progress timeout.
 */
static int wait_event(int fd, const sigset_t *mask, int progress)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 250 * NS_PER_MS };
	int r;

	r = ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, progress ? &tick : NULL, mask);
	return r > 0;
}

/* The writer is opened before the run, so a bad --out fails before any work. */
static struct csvw *open_csv(const struct sched_cfg *cfg)
{
	static const char *const cols[] = { "proc", "unit", "t_ns", "progress_pct" };

	return csvw_open(cfg->out, cols, 4);
}

/*
 * Write the measured rows, t_ns relative to @origin_ns, and commit; @w is
 * consumed either way.
 */
static int write_csv(struct csvw *w, const struct sched_cfg *cfg, const struct shared *sh,
		     int64_t origin_ns, const int64_t *done)
{
	int64_t u, digits = 1, x;
	int p, decimals, rc = 0;
	double whole = (double)cfg->units;

	/* --duration alone: toward the units of a fair share of the CPU, as natively */
	if (cfg->duration_ns && !cfg->units_given)
		whole = (double)cfg->duration_ns / ((double)cfg->unit_work_ns * cfg->procs);
	/* enough decimals that every unit's percentage is distinct */
	for (x = cfg->units; x >= 10; x /= 10)
		digits++;
	decimals = digits > 3 ? (int)digits - 1 : 2;
	for (p = 0; p < cfg->procs && !rc; p++) {
		const int64_t *row = sh->stamps + (int64_t)p * cfg->units;

		for (u = 0; u < done[p] && !rc; u++) {
			rc = csvw_i64(w, p);
			rc = rc ? rc : csvw_i64(w, u);
			rc = rc ? rc : csvw_i64(w, row[u] - origin_ns);
			rc = rc ? rc : csvw_f(w, 100.0 * (double)(u + 1) / whole, decimals);
			rc = rc ? rc : csvw_end_row(w);
		}
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

static void summarize(const struct sched_cfg *cfg, const struct calib *cal,
		      const struct shared *sh, int64_t t0, const int64_t *done)
{
	int p;

	for (p = 0; p < cfg->procs; p++) {
		const int64_t *row = sh->stamps + (int64_t)p * cfg->units;
		int64_t end = done[p] ? row[done[p] - 1] - t0 : 0;

		if (cfg->duration_ns && !cfg->units_given) {
			fprintf(stderr, "%s: proc %d: %lld units in %.3f ms, the last at %.3f ms\n",
				log_tool(), p, (long long)done[p],
				(double)cfg->duration_ns / NS_PER_MS, (double)end / NS_PER_MS);
			if (done[p] == cfg->units)
				log_warn("proc %d reached the room for %lld stamps before --duration "
					 "ended: give --units", p, (long long)cfg->units);
		} else {
			fprintf(stderr, "%s: proc %d: %lld/%lld units, completion %.3f ms%s\n",
				log_tool(), p, (long long)done[p], (long long)cfg->units,
				(double)end / NS_PER_MS,
				done[p] == cfg->units ? "" :
				cfg->duration_ns ? " (--duration ended)" : " (incomplete)");
		}
		if (cfg->verbose && done[p] > 0) {
			int64_t work = end - cfg->delay_ns;

			log_info("proc %d: %.1f ns wall time per unit (target %lld ns, %llu loops)", p,
				 (double)work / (double)done[p], (long long)cfg->unit_work_ns,
				 (unsigned long long)cal->loops_per_unit);
		}
	}
}

int main(int argc, char **argv)
{
	struct sched_cfg cfg;
	struct calib cal;
	struct shared *sh = MAP_FAILED;
	struct csvw *csv = NULL;
	struct run run = { 0 };
	struct sigaction sa;
	sigset_t block, mask;
	cpu_set_t orig;
	pid_t self;
	size_t map_len = 0;
	int64_t t0 = 0, *done = NULL;
	int ready_pipe[2] = { -1, -1 }, go_pipe[2] = { -1, -1 };
	int rc, p, nready = 0, forked = 0, progress, stop = 0, ret = EXIT_FAIL;
	char buf[64];

	log_init(argv[0]);
	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (cfg.verbose)
		log_set_level(LOG_LVL_DEBUG);
	/* Before calibration and the load: a bad --out would waste the whole run. */
	if (strcmp(cfg.out, "-") && fileio_check_output(cfg.out, FILEIO_OUT_FILE))
		return EXIT_FAIL;
	if (cli_install_stop_handlers())
		return EXIT_FAIL;
	progress = cli_progress_wanted();

	/* calibrate on the measured CPU, then step off it for the run */
	if (sched_getaffinity(0, sizeof(orig), &orig))
		return log_err(EXIT_FAIL, "sched_getaffinity: %s", strerror(errno));
	if (affinity_pin_self(cfg.cpu))
		return EXIT_FAIL;
	calibrate_unit(cfg.unit_work_ns, &cal);
	if (sched_setaffinity(0, sizeof(orig), &orig))
		log_warn("restoring the CPU affinity: %s", strerror(errno));
	log_debug("calibration on CPU %d: %.4f ns/loop (fastest of %d runs of %llu loops), "
		  "%llu loops per unit of %s, clock read %.1f ns",
		  cfg.cpu, cal.ns_per_loop, cal.runs, (unsigned long long)cal.probe_loops,
		  (unsigned long long)cal.loops_per_unit,
		  duration_format(cfg.unit_work_ns, buf, sizeof(buf)), cal.clock_read_ns);

	map_len = sizeof(*sh) + (size_t)cfg.procs * (size_t)cfg.units * sizeof(int64_t);
	sh = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		log_err(EXIT_FAIL, "mmap %zu bytes of stamps: %s", map_len, strerror(errno));
		goto out;
	}
	run.pids = calloc((size_t)cfg.procs, sizeof(*run.pids));
	done = calloc((size_t)cfg.procs, sizeof(*done));
	if (!run.pids || !done) {
		log_err(EXIT_FAIL, "out of memory");
		goto out;
	}
	csv = open_csv(&cfg);
	if (!csv)
		goto out;
	if (pipe2(ready_pipe, O_CLOEXEC) || pipe2(go_pipe, O_CLOEXEC)) {
		log_err(EXIT_FAIL, "pipe: %s", strerror(errno));
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	/* signals are only delivered inside ppoll() from here on: no lost wake-ups */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &mask);

	fflush(NULL);
	self = getpid();
	for (p = 0; p < cfg.procs && !cli_stop_requested(); p++) {
		pid_t pid = fork();

		if (pid < 0) {
			log_err(EXIT_FAIL, "fork (process %d of %d): %s", p + 1, cfg.procs,
				strerror(errno));
			break;
		}
		if (pid == 0) {
			close(ready_pipe[0]);
			close(go_pipe[1]);
			child_main(&cfg, &cal, sh, p, ready_pipe[1], go_pipe[0], self, &mask);
		}
		run.pids[p] = pid;
		run.live++;
		forked++;
	}
	close(ready_pipe[1]);
	ready_pipe[1] = -1;
	close(go_pipe[0]);
	go_pipe[0] = -1;

	/* every child is pinned and has its stamps faulted in before we start */
	while (forked == cfg.procs && nready < cfg.procs && !cli_stop_requested()) {
		char bytes[64];
		ssize_t n;

		if (!wait_event(ready_pipe[0], &mask, 0))
			continue;
		n = read(ready_pipe[0], bytes, sizeof(bytes));
		if (n <= 0)
			break;          /* EOF: a child died before it was ready */
		nready += (int)n;
	}
	if (nready < cfg.procs) {
		if (!cli_stop_requested() && forked == cfg.procs)
			log_err(EXIT_FAIL, "only %d of %d processes started", nready, cfg.procs);
		kill_all(&run, forked);
	} else {
		int64_t now = mono_ns();

		/* a margin so that every child is asleep on the deadline before it */
		t0 = now + NS_PER_MS + cfg.procs * 20 * NS_PER_US;
		if (cfg.has_start_at) {
			if (cfg.start_at_ns < now)
				log_warn("--start-at: the processes were ready %.3f ms after the "
					 "start instant; they start late",
					 (double)(now - cfg.start_at_ns) / NS_PER_MS);
			t0 = cfg.start_at_ns;
		}
		__atomic_store_n(&sh->start_ns, t0, __ATOMIC_RELEASE);
		close(go_pipe[1]);
		go_pipe[1] = -1;
	}

	while (run.live > 0) {
		reap(&run, forked, WNOHANG);
		if (run.live == 0)
			break;
		if (cli_stop_requested() && !run.killed)
			kill_all(&run, forked);
		if (progress && !run.killed)
			show_progress(&cfg, sh);
		wait_event(-1, &mask, progress);
	}
	if (progress && nready == cfg.procs)
		fprintf(stderr, "\n");
	sigprocmask(SIG_SETMASK, &mask, NULL);
	stop = cli_stop_requested();

	if (nready < cfg.procs && !stop)
		goto out;
	for (p = 0; p < cfg.procs; p++)
		done[p] = nready == cfg.procs ?
			stamps_done(sh->stamps + (int64_t)p * cfg.units, cfg.units) : 0;
	/* --t0 moves only the CSV's origin: the work still starts at t0 */
	rc = write_csv(csv, &cfg, sh, cfg.has_t0 ? cfg.t0_ns : t0, done);
	csv = NULL;
	if (rc)
		goto out;
	summarize(&cfg, &cal, sh, t0, done);
	if (stop) {
		int64_t total = 0;

		for (p = 0; p < cfg.procs; p++)
			total += done[p];
		if (cfg.duration_ns && !cfg.units_given)
			log_err(EXIT_FAIL, "interrupted by signal %d: wrote %lld units measured",
				stop, (long long)total);
		else
			log_err(EXIT_FAIL, "interrupted by signal %d: wrote %lld of %lld units "
				"measured", stop, (long long)total, (long long)(cfg.procs * cfg.units));
		goto out;
	}
	if (run.failed) {
		log_err(EXIT_FAIL, "%d process(es) failed", run.failed);
		goto out;
	}
	ret = EXIT_OK;
out:
	if (run.pids && run.live > 0) {
		kill_all(&run, forked);
		reap(&run, forked, 0);
	}
	if (csv)
		csvw_abort(csv);
	if (go_pipe[1] >= 0)
		close(go_pipe[1]);
	if (ready_pipe[0] >= 0)
		close(ready_pipe[0]);
	free(done);
	free(run.pids);
	if (sh != MAP_FAILED)
		munmap(sh, map_len);
	return ret;
}
