/*
 * Unit tests for experiments/watchthresh: the crossing logic of
 * `stealscope watch --threshold PCT --for DUR`, driven with series of
 * 100 ms intervals: it fires once per sustained crossing, never for a
 * spike shorter than DUR, re-arms only below the hysteresis level,
 * honours the rate limit, and restarts its count after a gap or an
 * unknown value. And the table of states by key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "experiments/watchthresh.h"

#include <math.h>
#include <string.h>

#define MS 1000000LL
#define STEP (100 * MS)

/* A series of 100 ms intervals, fed one value at a time. */
struct series {
	struct watchthresh_cfg cfg;
	struct watchthresh_state st;
	int64_t t;                     /* end of the last interval */
	int fired, suppressed;
};

static void series_init(struct series *s, double pct, int64_t for_ns, int64_t gap_ns)
{
	memset(s, 0, sizeof(*s));
	s->cfg.above_pct = pct;
	s->cfg.rearm_pct = watchthresh_rearm_pct(pct);
	s->cfg.for_ns = for_ns;
	s->cfg.min_gap_ns = gap_ns;
	watchthresh_init(&s->st);
	s->t = 1000 * MS;
}

/* Feed @n intervals of @value; returns how many fired among them. */
static int feed(struct series *s, int n, double value)
{
	enum watchthresh_event e;
	int i, fired = 0;

	for (i = 0; i < n; i++) {
		e = watchthresh_update(&s->cfg, &s->st, s->t, s->t + STEP, value);
		s->t += STEP;
		fired += e == WATCHTHRESH_FIRE;
		s->suppressed += e == WATCHTHRESH_SUPPRESSED;
	}
	s->fired += fired;
	return fired;
}

static void test_watchthresh_rearm_level(void **state)
{
	(void)state;
	/* The margin is 5 points, or half the threshold when that is less. */
	assert_true(fabs(watchthresh_rearm_pct(30.0) - 25.0) < 1e-9);
	assert_true(fabs(watchthresh_rearm_pct(10.0) - 5.0) < 1e-9);
	assert_true(fabs(watchthresh_rearm_pct(6.0) - 3.0) < 1e-9);
	assert_true(fabs(watchthresh_rearm_pct(99.5) - 94.5) < 1e-9);
}

static void test_watchthresh_fires_once_when_sustained(void **state)
{
	struct series s;

	(void)state;
	series_init(&s, 30.0, 1000 * MS, 0);
	assert_int_equal(feed(&s, 5, 10.0), 0);
	/* Above from the start of the first interval: 1 s is reached at the 10th. */
	assert_int_equal(feed(&s, 9, 50.0), 0);
	assert_int_equal(feed(&s, 1, 50.0), 1);
	/* It stays above for a minute: no second action. */
	assert_int_equal(feed(&s, 600, 50.0), 0);
	assert_int_equal(s.fired, 1);
	assert_int_equal(s.suppressed, 0);
}

static void test_watchthresh_not_on_a_short_spike(void **state)
{
	struct series s;
	int i;

	(void)state;
	series_init(&s, 30.0, 1000 * MS, 0);
	/* Ten spikes of 900 ms, each followed by one interval at the threshold itself. */
	for (i = 0; i < 10; i++) {
		assert_int_equal(feed(&s, 9, 80.0), 0);
		assert_int_equal(feed(&s, 1, 30.0), 0);   /* not strictly above */
	}
	assert_int_equal(s.fired, 0);
	/* And a value that is unknown for one interval breaks a run just the same. */
	assert_int_equal(feed(&s, 5, 80.0), 0);
	assert_int_equal(feed(&s, 1, NAN), 0);
	assert_int_equal(feed(&s, 9, 80.0), 0);
	assert_int_equal(feed(&s, 1, 80.0), 1);
}

static void test_watchthresh_rearms_only_below_hysteresis(void **state)
{
	struct series s;

	(void)state;
	series_init(&s, 30.0, 500 * MS, 0);
	assert_int_equal(feed(&s, 5, 40.0), 1);
	/* Back under 30 but not under 25: still disarmed, a new run does not fire. */
	assert_int_equal(feed(&s, 3, 27.0), 0);
	assert_int_equal(feed(&s, 20, 40.0), 0);
	/* Wobbling around the threshold: nothing. */
	assert_int_equal(feed(&s, 1, 29.0), 0);
	assert_int_equal(feed(&s, 1, 31.0), 0);
	assert_int_equal(feed(&s, 1, 25.0), 0);   /* at the level is not below it */
	assert_int_equal(feed(&s, 10, 31.0), 0);
	/* Below 25 once re-arms it: the next sustained run fires again. */
	assert_int_equal(feed(&s, 1, 24.9), 0);
	assert_int_equal(feed(&s, 4, 35.0), 0);
	assert_int_equal(feed(&s, 1, 35.0), 1);
	assert_int_equal(s.fired, 2);
}

static void test_watchthresh_rate_limit(void **state)
{
	struct series s;

	(void)state;
	series_init(&s, 50.0, 200 * MS, 60000 * MS);
	assert_int_equal(feed(&s, 2, 90.0), 1);
	/* A second full crossing 3 s later: suppressed, and it disarms. */
	assert_int_equal(feed(&s, 28, 10.0), 0);
	assert_int_equal(feed(&s, 10, 90.0), 0);
	assert_int_equal(s.suppressed, 1);
	/* Past the minute since the action: a new crossing fires. */
	assert_int_equal(feed(&s, 600, 10.0), 0);
	assert_int_equal(feed(&s, 2, 90.0), 1);
	assert_int_equal(s.fired, 2);
	assert_int_equal(s.suppressed, 1);
}

static void test_watchthresh_gap_restarts_the_count(void **state)
{
	struct series s;
	enum watchthresh_event e;

	(void)state;
	series_init(&s, 30.0, 1000 * MS, 0);
	assert_int_equal(feed(&s, 8, 60.0), 0);
	/* The series resumes 5 s later (a lost host): the 800 ms before do not count. */
	s.t += 5000 * MS;
	assert_int_equal(feed(&s, 9, 60.0), 0);
	assert_int_equal(feed(&s, 1, 60.0), 1);
	/* With --for 0 the first interval above fires. */
	series_init(&s, 30.0, 0, 0);
	e = watchthresh_update(&s.cfg, &s.st, 0, STEP, 31.0);
	assert_int_equal(e, WATCHTHRESH_FIRE);
}

static void test_watchthresh_table_keys(void **state)
{
	struct watchthresh_table t;
	struct watchthresh_state *a, *b, *a2;

	(void)state;
	memset(&t, 0, sizeof(t));
	a = watchthresh_lookup(&t, "cpu 0", 100);
	assert_non_null(a);
	assert_int_equal(a->armed, 1);
	a->armed = 0;
	b = watchthresh_lookup(&t, "vcpu\037qemu:///system\037vm1\0370", 100);
	assert_non_null(b);
	assert_int_equal(b->armed, 1);
	assert_int_equal(t.n, 2);
	/* The same key finds the same state, whatever was looked up in between. */
	a2 = watchthresh_lookup(&t, "cpu 0", 200);
	assert_ptr_equal(a2, watchthresh_lookup(&t, "cpu 0", 300));
	assert_int_equal(a2->armed, 0);
	assert_int_equal(t.n, 2);
	/* Not seen since 100 (the vCPU's domain went away): forgotten. */
	assert_int_equal(watchthresh_expire(&t, 250), 1);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.v[0].key, "cpu 0");
	b = watchthresh_lookup(&t, "vcpu\037qemu:///system\037vm1\0370", 400);
	assert_int_equal(b->armed, 1);
	assert_int_equal(t.n, 2);
	watchthresh_table_free(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchthresh_rearm_level),
		cmocka_unit_test(test_watchthresh_fires_once_when_sustained),
		cmocka_unit_test(test_watchthresh_not_on_a_short_spike),
		cmocka_unit_test(test_watchthresh_rearms_only_below_hysteresis),
		cmocka_unit_test(test_watchthresh_rate_limit),
		cmocka_unit_test(test_watchthresh_gap_restarts_the_count),
		cmocka_unit_test(test_watchthresh_table_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
