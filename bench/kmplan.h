/*
 * kmplan: a list of kvm-mini runs for the benchmark, and the code that
 * runs it where kvm-mini can run. The driver writes the plan on the host;
 * it is run either by the driver itself (where /dev/kvm opens) or by the
 * static kmbench-agent inside the nested L1 guest of scripts/kvm-nested.sh,
 * so both routes run the same lines the same way (bench/spawn.h: fork,
 * execvp, wall time, CPU time, peak RSS) and leave the same files.
 *
 * A plan is text, one run a line, fields separated by blanks:
 *
 *     TAG TIMEOUT_S OPTIONS PROGRAM [ARG]...
 *
 * TAG names the run's files (letters, digits, '.', '_', '-'); TIMEOUT_S
 * kills a run that hangs (1..3600); OPTIONS is "-" or a comma-separated
 * list of "digest=K" (K >= 1: replace the run's progress.csv by
 * progress-digest.csv, see below, which keeps what a collected directory
 * must carry back over a slow serial port small) and "rss" (read the
 * process's resident set from /proc/<pid>/smaps_rollup while it runs, for
 * its peak: wait4's ru_maxrss would also count the runner's own image,
 * which the child had between fork and exec, and VmHWM lags on the L1
 * guest's kernel, bench/spawn.h);
 * PROGRAM "kvm-mini" is the kvm-mini given to kmplan_run(), anything else
 * is looked up in PATH; an ARG "@OUT" becomes the run's directory
 * <out>/<TAG>. Lines starting with '#' and blank lines are skipped.
 *
 * Running a plan writes, in <out>: <TAG>.out and <TAG>.err (the run's
 * stdout and stderr), the run's directory when it wrote one, and runs.csv
 * (KMPLAN_RUNS_COLS) once every line has run. Nothing here exits.
 */
#ifndef STEALSCOPE_BENCH_KMPLAN_H
#define STEALSCOPE_BENCH_KMPLAN_H

#include <stddef.h>

#define KMPLAN_TAG_LEN 48
#define KMPLAN_MAX_ARGS 40
#define KMPLAN_RUNS "runs.csv"
#define KMPLAN_DIGEST "progress-digest.csv"
#define KMPLAN_OUT_TOKEN "@OUT"
#define KMPLAN_KVM_MINI "kvm-mini"

/*
 * The columns of runs.csv: tag, status (exit code, 128 + signal, -1
 * unknown), timed_out (0/1), wall_ns (fork to exit), cpu_ns (user +
 * system), maxrss_kib (wait4's ru_maxrss), rss_peak_kib (the largest
 * resident set read, every SPAWN_HWM_POLL_MS; -1 without "rss").
 */
extern const char *const kmplan_runs_cols[];
extern const size_t kmplan_runs_ncols;

/*
 * The columns of progress-digest.csv, one row per (vcpu, task) that has
 * stamps: vcpu, task, stamps, first_t_ns, first_unit, last_t_ns,
 * last_unit, and span_ns: the shortest time between a stamp and the K-th
 * stamp after it of the same task whose unit is exactly K further on (no
 * record lost in between), empty when there is no such pair.
 */
extern const char *const kmplan_digest_cols[];
extern const size_t kmplan_digest_ncols;

#define KMPLAN_GRACE_S 30               /* a run's timeout beyond its expected length */

/* A plan being written: text that grows (free with kmplan_free()). */
struct kmplan {
	char *text;
	size_t len, cap;
	int nruns;
	int expect_s;                  /* what its runs should take in all, start-up included */
};

/* A run's options: the OPTIONS field. */
struct kmplan_opts {
	int digest_k;                  /* 0: keep progress.csv */
	int rss;                       /* poll the resident set */
};

/*
 * Append a run: @tag, @run_s (what it should take, whole seconds >= 1; it
 * is killed after @run_s + KMPLAN_GRACE_S), @o (NULL: none) and the
 * NULL-terminated @argv (argv[0] the program). Returns 0, -EINVAL for a
 * tag or an argument that cannot be written (blanks, empty, too many), or
 * -ENOMEM; logged.
 */
int kmplan_add(struct kmplan *p, const char *tag, int run_s, const struct kmplan_opts *o,
	       const char *const *argv);

void kmplan_free(struct kmplan *p);

/*
 * Run every line of the plan file @plan_path, in order, writing into the
 * existing directory @out_dir, with @kvm_mini as the program "kvm-mini".
 * A run that fails or times out is recorded, not an error. Each run is
 * reported on stdout as it ends ("TAG: exit 0, 312.4 ms") when @verbose.
 * Returns 0; -EINVAL for a malformed plan (logged with its line, before
 * anything runs); -EINTR after a stop request; or -errno when a run
 * cannot be started or runs.csv cannot be written (logged).
 */
int kmplan_run(const char *plan_path, const char *out_dir, const char *kvm_mini, int verbose);

/*
 * Write <@run_dir>/progress-digest.csv from <@run_dir>/progress.csv with
 * window @k (>= 1), then remove progress.csv. Returns 0 or -errno (logged).
 */
int kmplan_digest(const char *run_dir, int k);

#endif
