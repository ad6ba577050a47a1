/*
 * summary: the per-phase, per-policy numbers of a run (work rate, stalls,
 * guest and host views of steal) and their spread across repetitions, plus
 * renderers for summary.csv, summary.json and the table printed on stdout.
 *
 * Everything here is a pure function over arrays the runner has already
 * read: it never opens /proc, a results file or a VM, and only the renderers
 * write, to the csvw/jsonw/FILE* they are handed. Times are CLOCK_MONOTONIC
 * ns relative to the run's start; a phase is the window [start_ns, end_ns).
 * A figure that cannot be computed (no guest data on the native backend, a
 * zero-length phase, no samples in the window) is NaN, never 0 and never a
 * division by zero.
 */
#ifndef STEALSCOPE_EXPERIMENTS_SUMMARY_H
#define STEALSCOPE_EXPERIMENTS_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/csvio.h"
#include "common/json.h"
#include "common/procstat.h"

/* ---- progress stamps and stalls ------------------------------------------ */

/* Sort @n timestamps ascending, in place. */
void summary_sort_ns(int64_t *t_ns, size_t n);

/*
 * Copy the stamps of vCPU @want (where @vcpu[i] == @want) from the run's
 * progress records @t_ns/@vcpu (@n of them, any order, any task) into @out
 * (room for @n) and sort them: one vCPU's stamps merged across its tasks,
 * which is what stalls are measured on. A NULL @vcpu takes every stamp (one
 * vCPU, or the native backend). Returns the number copied.
 */
size_t summary_vcpu_stamps(const int64_t *t_ns, const int *vcpu, size_t n, int want,
			   int64_t *out);

struct gap_stats {
	size_t count;                  /* gaps whose later stamp is in the window */
	int64_t longest_ns;            /* 0 when count is 0 */
	int64_t p99_ns;                /* nearest-rank 99th percentile; 0 when count is 0 */
	double mean_ns;                /* NaN when count is 0 */
};

/*
 * Gaps between consecutive stamps of one vCPU, @t_ns ascending (all its
 * tasks merged: when the host deschedules the vCPU every task stops at
 * once, so a stall is a gap in the merged stream, not in one task's).
 * A gap belongs to the window [@from_ns, @to_ns) when its later stamp lies
 * inside it; the earlier stamp may precede @from_ns, so a stall that spans
 * a phase boundary is counted once, in the phase where progress resumes.
 * The time from @from_ns to the first stamp is not a gap (nothing says the
 * vCPU was stalled rather than just between stamps).
 *
 * p99 uses the nearest-rank method: of the count gaps sorted ascending it
 * is the one at rank ceil(0.99 * count) (1-based); no interpolation, so it
 * is always a gap that really occurred. With fewer than 100 gaps it is the
 * longest gap.
 *
 * Returns 0, -EINVAL if @t_ns is not ascending, or -ENOMEM (both logged).
 */
int summary_gaps(const int64_t *t_ns, size_t n, int64_t from_ns, int64_t to_ns,
		 struct gap_stats *out);

/* ---- cumulative counters over a window ---------------------------------- */

/*
 * The value of a cumulative counter at @at_ns, from @n samples (@t_ns
 * ascending, @v the counter) by linear interpolation between the two
 * neighbouring samples; before the first sample it is the first value, after
 * the last the last value (no extrapolation). NaN when @n is 0, @v is NULL
 * or a neighbour used is NaN.
 */
double summary_counter_at(const int64_t *t_ns, const double *v, size_t n, int64_t at_ns);

/*
 * How much the counter rose over [@from_ns, @to_ns]: the sum over the
 * sample intervals inside the window of each interval's increase, the two
 * end pieces interpolated with summary_counter_at(). An interval in which
 * the counter went backwards adds 0 (a reset or an unlocked read loses that
 * interval, not the phase). 0 for an empty window; NaN when @to_ns <
 * @from_ns, there is no data, or a sample used is NaN. Same unit as @v.
 */
double summary_counter_delta(const int64_t *t_ns, const double *v, size_t n,
			     int64_t from_ns, int64_t to_ns);

/*
 * Sum the tick counters of the CPUs @cpus[0..@ncpus) in sample @s into
 * @out (cpu = PROCSTAT_CPU_ALL, nfields the smallest seen): the "CPUs
 * involved" of a vCPU as one counter set. CPUs absent from @s (offline)
 * are skipped. Returns the number of CPUs found.
 */
size_t summary_sum_cpus(const struct procstat_sample *s, const int *cpus, size_t ncpus,
			struct procstat_cpu *out);

/* ---- one vCPU, one phase -------------------------------------------------- */

/*
 * Per-vCPU periodic samples, all arrays of @n and ascending in @t_ns. Guest
 * columns are NULL (or NaN) where the backend has none (native, TCG).
 */
struct summary_vcpu_series {
	size_t n;
	const int64_t *t_ns;
	const double *guest_steal_ns;  /* cumulative steal the guest was told, ns */
	const double *host_delay_ns;   /* cumulative schedstat run delay of the vCPU thread, ns */
	const double *user_ticks;      /* cumulative guest tick accounting */
	const double *system_ticks;
	const double *idle_ticks;
	const double *steal_ticks;     /* NULL where the guest has no steal clock (TCG) */
	/*
	 * The tick counters' own sample times (a real guest samples its
	 * /proc/stat on its own grid): @tick_n of them, ascending. NULL: the
	 * ticks are sampled at @t_ns like the rest.
	 */
	size_t tick_n;
	const int64_t *tick_t_ns;
};

/* Host /proc/stat samples of the CPUs involved (summed per sample, see
 * summary_sum_cpus()), @n of them, ascending in @t_ns. */
struct summary_host_series {
	size_t n;
	const int64_t *t_ns;
	const struct procstat_cpu *cpu;
};

struct summary_input {
	const int64_t *stamp_t_ns;     /* one vCPU's progress stamps, ascending */
	size_t nstamps;                /* (one stamp per finished work unit) */
	int finite_units;              /* the workload stops after a fixed number of units */
	double baseline_ups;           /* uncontended work rate, units/s; NaN: unknown */
	struct summary_vcpu_series vcpu;
	struct summary_host_series host;
};

/*
 * The summary of one vCPU over one phase. Every field is a double so that
 * repetitions aggregate alike; NaN where not available.
 */
struct phase_summary {
	double units_done;             /* stamps in [start, end) (a count) */
	double work_rate_ups;          /* units_done per second of phase wall time */
	double work_rate_frac_of_baseline; /* work_rate_ups / baseline_ups */
	double completion_ns;          /* run-relative time of the vCPU's last stamp, if
					  the workload is finite and it falls in this phase */
	double longest_stall_ns;       /* longest gap (summary_gaps) */
	double p99_gap_ns;             /* nearest-rank p99 gap */
	double guest_steal_pct;        /* delta guest_steal_ns / wall (exact, paravirt) */
	double guest_tick_steal_pct;   /* delta steal ticks / delta of all four tick counters */
	double host_delay_pct;         /* delta host_delay_ns / wall (ground truth) */
	double steal_diff_pct;         /* guest_steal_pct - host_delay_pct */
	double host_usr_pct;           /* procstat_derive() over the phase's first and */
	double host_sys_pct;           /* last host samples (inside [start, end]) */
	double host_steal_pct;
};

/*
 * Summarise @in over [@start_ns, @end_ns) into @out. Percentages are of the
 * phase's wall time, not clamped to 100 (schedstat credits time when it is
 * accounted, not when it happens). A zero-length phase gives units_done 0
 * and NaN elsewhere. Host CPU percentages need two distinct host samples
 * inside [start, end] (a sample exactly at the end belongs to the phase),
 * otherwise NaN. Returns 0, or -EINVAL (end before start, stamps not
 * ascending) or -ENOMEM, logged; @out is then all NaN.
 */
int summary_phase(const struct summary_input *in, int64_t start_ns, int64_t end_ns,
		  struct phase_summary *out);

/* ---- the metrics as a table ------------------------------------------------ */

enum summary_metric {
	SM_UNITS_DONE, SM_WORK_RATE_UPS, SM_WORK_RATE_FRAC, SM_COMPLETION_NS,
	SM_LONGEST_STALL_NS, SM_P99_GAP_NS, SM_GUEST_STEAL_PCT, SM_GUEST_TICK_STEAL_PCT,
	SM_HOST_DELAY_PCT, SM_STEAL_DIFF_PCT, SM_HOST_USR_PCT, SM_HOST_SYS_PCT,
	SM_HOST_STEAL_PCT, SUMMARY_NMETRICS
};

struct summary_metric_info {
	const char *name;              /* column/key name = the phase_summary field name */
	int decimals;                  /* in CSV */
	size_t offset;                 /* of the field in struct phase_summary */
};
extern const struct summary_metric_info summary_metrics[SUMMARY_NMETRICS];

/* Field @m of @s. */
double summary_metric(const struct phase_summary *s, enum summary_metric m);

/* ---- repetitions -------------------------------------------------------------- */

struct stat_spread {
	double mean, sd, min, max;     /* sd: sample standard deviation (n - 1) */
	int n;                         /* values that were not NaN */
};

/*
 * Spread of @n values, NaN values ignored. With no value left everything is
 * NaN; with one, sd is NaN (a sample sd needs two).
 */
void summary_spread(const double *v, size_t n, struct stat_spread *out);

struct phase_spread {
	int nreps;                     /* repetitions given */
	struct stat_spread m[SUMMARY_NMETRICS];
};

/* Each metric's spread over @nreps repetitions of one (policy, phase, vCPU). */
void summary_aggregate(const struct phase_summary *reps, size_t nreps, struct phase_spread *out);

/* The means as a phase_summary (for the table). */
void summary_spread_means(const struct phase_spread *sp, struct phase_summary *out);

/* ---- renderers -------------------------------------------------------------------- */

#define SUMMARY_VCPU_ALL (-1)          /* a row for the whole VM: vcpu prints "all" */

/* What a row is about. */
struct summary_key {
	const char *policy;
	const char *phase;             /* "baseline", "contended", "recovery", "all" */
	int vcpu;                      /* or SUMMARY_VCPU_ALL */
};

/*
 * Open @path (or "-") for summary.csv and write the header: policy, phase,
 * vcpu, rep, then one column per metric (summary_metrics[] order). NULL +
 * errno on error (logged by csvio). Finish with csvw_commit().
 */
struct csvw *summary_csv_open(const char *path);

/* One row for repetition @rep (0-based). NaN cells are empty. 0 or -errno. */
int summary_csv_rep(struct csvw *w, const struct summary_key *k, int rep,
		    const struct phase_summary *s);

/* Four rows with rep "mean", "sd", "min" and "max". 0 or -errno. */
int summary_csv_spread(struct csvw *w, const struct summary_key *k,
		       const struct phase_spread *sp);

/*
 * One JSON object {"policy", "phase", "vcpu" (number or "all"), "rep", then
 * every metric; NaN as null}. Errors are sticky in @j: see jsonw_finish().
 */
void summary_json_rep(struct jsonw *j, const struct summary_key *k, int rep,
		      const struct phase_summary *s);

/* One JSON object {"policy", "phase", "vcpu", "reps", then every metric as
 * {"mean", "sd", "min", "max", "n"}}. */
void summary_json_spread(struct jsonw *j, const struct summary_key *k,
			 const struct phase_spread *sp);

/*
 * The fixed-width text table for stdout: a header line, then one line per
 * row with policy, phase, vcpu, work rate (units/s), fraction of baseline,
 * longest stall and p99 gap (ms), guest %steal, tick %steal, host %delay and
 * guest - host (percentage points). NaN prints as "-". Long policy names
 * push the line right rather than being cut. Returns 0 or -EIO (logged).
 */
int summary_table_header(FILE *fp);
int summary_table_row(FILE *fp, const struct summary_key *k, const struct phase_summary *s);

/*
 * A baseline (no host contention yet) with more run delay than this was
 * disturbed by load from outside the experiment: the runner says so next to
 * the table and the report next to the reading. Quiet runs here measure
 * 0.0-0.6%; 5% leaves room for the odd tick.
 */
#define SUMMARY_QUIET_BASELINE_PCT 5.0

/*
 * Nonzero when @phase is the uncontended "baseline" and its host run delay
 * exceeds @limit_pct: something other than the experiment's own contention
 * took CPU time from the vCPU, so the contended figures and every fraction
 * of the baseline are measured against a disturbed reference. NaN is not
 * noisy (nothing was measured).
 */
int summary_baseline_noisy(const char *phase, const struct phase_summary *s, double limit_pct);

#endif
