/*
 * kmroute: where the benchmark's kvm-mini figures are measured, and the
 * runs that measure them. kvm-mini runs where it can: directly on this
 * host when /dev/kvm opens ("kvm"), else inside the nested L1 guest of
 * scripts/kvm-nested.sh, QEMU TCG with nested SVM ("nested-tcg"; see
 * docs/kvm-nested.md for what is and is not representative there). Each
 * figure writes its runs into a plan (bench/kmplan.h); the plans of a
 * figure group are run together, nested in one L1 boot, the first time a
 * figure of the group asks for its results, so a figure's runs share the
 * boot with their same-run baselines.
 *
 * Groups: in full mode {1 start-up, 6 memory, 7 scale} (the kvm-mini
 * process) and {2 stamps, 4 steal, 5 slicing} (what its guest does); in
 * quick mode one group. Only the figures selected for this run (--only)
 * are planned. Nothing here exits; the nested QEMU never outlives a stop
 * request (experiments/kmnested.h).
 */
#ifndef STEALSCOPE_BENCH_KMROUTE_H
#define STEALSCOPE_BENCH_KMROUTE_H

#include <limits.h>
#include <stdint.h>

#include "bench/bench.h"
#include "bench/kmplan.h"
#include "experiments/kmnested.h"

#define BENCH_KM_GROUPS 2
#define BENCH_KM_AGENT "kmbench-agent" /* beside the static kvm-mini */

enum bench_km_route { BENCH_KM_NONE, BENCH_KM_KVM, BENCH_KM_NESTED };

struct bench_km_group {
	int done;                      /* its plan ran, or could not */
	int ok;                        /* runs.csv is there */
	char why[640];                 /* why not, when done and not ok */
	char retried[640];             /* nested: why its first boot failed, when it
					  was booted once more; "" otherwise */
	char dir[PATH_MAX];            /* the runs' files, runs.csv */
	struct csv_table runs;
	int nruns;                     /* in its plan */
	unsigned figures;              /* planned: bit N for figure N */
	double elapsed_s;              /* the whole boot (nested) or all runs */
};

struct bench_km {
	int probed;
	enum bench_km_route route;
	char why[1024];                /* why no route, when BENCH_KM_NONE */
	struct kmnested nested;
	char agent[PATH_MAX];          /* the static kmbench-agent (nested) */
	char kvm_mini[PATH_MAX];       /* <bindir>/kvm-mini (kvm) */
	int ncpus;                     /* CPUs where kvm-mini runs: L1's, or this host's */
	int cpu;                       /* the CPU its pinned runs use there (the highest) */
	struct bench_km_group group[BENCH_KM_GROUPS];
};

/* A figure's plan: add its runs to @p. 0 or -errno (logged). */
typedef int (*bench_km_plan_fn)(struct bench_ctx *c, struct kmplan *p);

/* One run of a plan, as runs.csv has it. */
struct bench_km_run {
	int status;                    /* exit code, 128 + signal */
	int timed_out;
	int64_t wall_ns;               /* fork to exit, where it ran */
	int64_t cpu_ns;
	long maxrss_kib;
	long rss_peak_kib;             /* -1: not polled */
	char dir[PATH_MAX];            /* its --out directory (@OUT) */
	char out[PATH_MAX];            /* its stdout */
};

/*
 * Find the route for this machine (once) into c->km. Returns it; c->km->why
 * says why there is none.
 */
enum bench_km_route bench_km_probe(struct bench_ctx *c);

/* "kvm" or "nested-tcg" (or "" with no route): the rows' `where`. */
const char *bench_km_where(const struct bench_ctx *c);

/* Where that is, in words, for the method paragraphs. */
const char *bench_km_where_words(const struct bench_ctx *c);

/*
 * How @figure's group ran, in words for its method paragraph: " One boot of
 * the L1 guest ran the 84 kvm-mini runs of figures 1, 6, 7, in 52 s from
 * its start to the files back." (static storage; "" before it ran).
 */
const char *bench_km_group_words(const struct bench_ctx *c, int figure);

/*
 * Make @figure's runs available: on the first call for its group, plan
 * every selected figure of the group and run the plan (nested: one boot).
 * Returns 0 when they are; 1 when they are not (no route, or the group's
 * plan failed: bench_km_missing() says why in the row); -EINTR on a stop
 * request; -ENOMEM and such for failures of this process (logged).
 */
int bench_km_ready(struct bench_ctx *c, int figure);

/*
 * The run @tag of @figure's group (bench_km_ready() returned 0). Returns 0,
 * or -ENOENT when runs.csv has no such run (logged).
 */
int bench_km_run(const struct bench_ctx *c, int figure, const char *tag,
		 struct bench_km_run *r);

/* Runs of a figure that failed: how many, and the first one's story. */
struct bench_km_fails {
	int n;
	char first[320];
};

/*
 * The run @tag of @figure into @r when it is in runs.csv and exited 0
 * (returns 1); else 0, with the failure counted in @f ("run X exited 1
 * (see DIR/X.err)", "... timed out", or the lookup's error).
 */
int bench_km_good_run(const struct bench_ctx *c, int figure, const char *tag,
		      struct bench_km_run *r, struct bench_km_fails *f);

/* Count a run whose files could not be read, its story the last error logged. */
void bench_km_fail_read(struct bench_km_fails *f);

/* "" or "2 of 30 runs failed and are left out; the first: ..." into @note. */
void bench_km_fails_note(const struct bench_km_fails *f, int total, char *note, size_t len);

/*
 * Add the row @id of @figure without numbers: "not measurable here" with
 * the route's reason, or "not measured" with the group's failure, or with
 * @why when it is not NULL. 0 or -ENOSPC.
 */
int bench_km_missing(struct bench_ctx *c, int figure, const char *id, const char *what,
		     const char *why);

/*
 * bench_km_missing() without @why, for the row whose id and what are
 * printf-formatted from the arguments that follow: @what_fmt takes them
 * all, @id_fmt the first of them (all, or fewer: only the what is checked
 * against them all). 0 or -ENOSPC.
 */
int bench_km_missingf(struct bench_ctx *c, int figure, const char *id_fmt,
		      const char *what_fmt, ...)
	__attribute__((format(printf, 3, 0), format(printf, 4, 5)));

/*
 * Add a measured kvm-mini row (bench_row() with `where` set to the route);
 * when @v or @b holds no number (every run failed), the row is "not
 * measured" with @note as the reason. Same return as bench_row().
 */
int bench_km_row(struct bench_ctx *c, int figure, const char *id, const char *what,
		 const char *unit, const double *v, size_t nv, const char *baseline,
		 const double *b, size_t nb, const char *note);

/* Free what the groups hold. */
void bench_km_free(struct bench_km *km);

/* The plan of each figure, NULL for a figure without kvm-mini runs (figures.h). */
extern const bench_km_plan_fn bench_km_plans[BENCH_FIGURES];

#endif
