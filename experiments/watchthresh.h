/*
 * watchthresh: when does a threshold action fire? Pure logic over a series
 * of per-interval percentages (a vCPU's run delay, a CPU's steal), one
 * state per series, and a table of those states by key.
 *
 * The rules (stealscope watch --threshold PCT --for DUR):
 * - A series is "above" while each interval's value is strictly above PCT;
 *   the time above counts from the start of the first such interval. A
 *   value at or below PCT, a missing value (NaN) or a gap in the series
 *   (an interval that does not start where the previous one ended: the
 *   domain was gone, its host lost) starts the count afresh.
 * - It fires when the time above reaches DUR, once per crossing: then it is
 *   disarmed, and re-armed only by a value below the re-arm level,
 *   PCT minus a hysteresis margin of min(5 points, PCT / 2)
 *   (watchthresh_rearm_pct()). A value that hovers around PCT therefore
 *   fires once, not at every wobble.
 * - Rate limit: at most one action per series every min_gap_ns (the watch
 *   uses 60 s). A crossing inside that time is reported as suppressed and
 *   still disarms the series.
 *
 * Nothing here does I/O, reads a clock or logs: times come from the
 * samples.
 */
#ifndef STEALSCOPE_WATCHTHRESH_H
#define STEALSCOPE_WATCHTHRESH_H

#include <stddef.h>
#include <stdint.h>

#define WATCHTHRESH_MARGIN_PCT 5.0     /* the hysteresis margin, at most */

struct watchthresh_cfg {
	double above_pct;              /* PCT */
	double rearm_pct;              /* watchthresh_rearm_pct(PCT) */
	int64_t for_ns;                /* DUR */
	int64_t min_gap_ns;            /* the rate limit per series */
};

struct watchthresh_state {
	int armed;                     /* a crossing may fire */
	int above;                     /* above since above_since_ns */
	int64_t above_since_ns;
	int64_t last_end_ns;           /* end of the last interval seen */
	int64_t last_fire_ns;          /* of the last action; INT64_MIN: never */
	int seen;                      /* an interval was seen (last_end_ns is valid) */
};

enum watchthresh_event {
	WATCHTHRESH_NONE,
	WATCHTHRESH_FIRE,              /* run the action now */
	WATCHTHRESH_SUPPRESSED,        /* a crossing inside the rate limit */
};

/* The re-arm level for threshold @pct: @pct - min(WATCHTHRESH_MARGIN_PCT, @pct / 2). */
double watchthresh_rearm_pct(double pct);

/* A fresh series: armed, not above, never fired. */
void watchthresh_init(struct watchthresh_state *st);

/*
 * The interval [@start_ns, @end_ns] of one series had @value_pct (NaN:
 * unknown). Returns what to do (see the rules above).
 */
enum watchthresh_event watchthresh_update(const struct watchthresh_cfg *c,
					  struct watchthresh_state *st, int64_t start_ns,
					  int64_t end_ns, double value_pct);

/* The series' states by key ("cpu 1", "<uri> <domain> 0", ...). */
struct watchthresh_entry {
	char *key;
	int64_t seen_ns;               /* end of the last interval looked up */
	struct watchthresh_state st;
};

struct watchthresh_table {
	struct watchthresh_entry *v;
	size_t n, cap;
	size_t hint;                   /* after the last hit: keys come in the same order */
};

/*
 * The state of @key, created (fresh) when new; @now_ns marks it as seen.
 * Returns NULL when out of memory (not logged).
 */
struct watchthresh_state *watchthresh_lookup(struct watchthresh_table *t, const char *key,
					     int64_t now_ns);

/*
 * Forget the series not seen since @before_ns (domains that are gone), so
 * that the table does not grow without bound. Returns how many went.
 */
size_t watchthresh_expire(struct watchthresh_table *t, int64_t before_ns);

void watchthresh_table_free(struct watchthresh_table *t);

#endif
