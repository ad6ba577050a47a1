/*
 * Unit tests for experiments/summary: stalls, counters over phases, the
 * phase summary, repetition spread and the three renderers, each against
 * synthetic series whose answers are worked out by hand in the comments.
 *
 * The only file written is summary.csv inside a fresh mkdtemp() directory,
 * removed again by the test that made it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "experiments/summary.h"

#define MS 1000000LL
#define EPS 1e-9

static void assert_near(double got, double want, double eps)
{
	if (fabs(got - want) > eps)
		fail_msg("got %.12g, want %.12g (+- %g)", got, want, eps);
}

static void assert_nan(double v)
{
	if (!isnan(v))
		fail_msg("got %.12g, want NaN", v);
}

/* Stamps every 1 ms from 0 to 49 ms, a 5 ms hole, then 54..104 ms: 101
 * stamps, 100 gaps (99 of 1 ms and one of 5 ms). */
static size_t holed_stamps(int64_t *t)
{
	size_t n = 0;
	int64_t ms;

	for (ms = 0; ms <= 49; ms++)
		t[n++] = ms * MS;
	for (ms = 54; ms <= 104; ms++)
		t[n++] = ms * MS;
	return n;
}

static void test_summary_gaps_hole(void **state)
{
	int64_t t[128];
	size_t n = holed_stamps(t);
	struct gap_stats g;

	(void)state;
	assert_int_equal(n, 101);
	assert_int_equal(summary_gaps(t, n, 0, 105 * MS, &g), 0);
	assert_int_equal(g.count, 100);
	assert_int_equal(g.longest_ns, 5 * MS);
	/* nearest rank ceil(0.99 * 100) = 99: the 99th smallest of 99 x 1 ms + 5 ms */
	assert_int_equal(g.p99_ns, 1 * MS);
	assert_near(g.mean_ns, (99.0 * MS + 5.0 * MS) / 100.0, EPS);

	/* [40, 80) ms: gaps ending at 40..49 (10) and 54..79 (26) = 36; rank
	 * ceil(0.99 * 36) = 36, the largest: the 5 ms hole */
	assert_int_equal(summary_gaps(t, n, 40 * MS, 80 * MS, &g), 0);
	assert_int_equal(g.count, 36);
	assert_int_equal(g.longest_ns, 5 * MS);
	assert_int_equal(g.p99_ns, 5 * MS);
	assert_near(g.mean_ns, (35.0 * MS + 5.0 * MS) / 36.0, EPS);
}

static void test_summary_gaps_belong_to_later_stamp(void **state)
{
	int64_t t[128];
	size_t n = holed_stamps(t);
	struct gap_stats g;

	(void)state;
	/* the 49 -> 54 ms gap ends at 54 ms: in [54, 60), gaps ending 54..59 */
	assert_int_equal(summary_gaps(t, n, 54 * MS, 60 * MS, &g), 0);
	assert_int_equal(g.count, 6);
	assert_int_equal(g.longest_ns, 5 * MS);
	/* ... and not in [0, 54): gaps ending at 1..49 ms; phase start to the
	 * first stamp (0 ms) is no gap */
	assert_int_equal(summary_gaps(t, n, 0, 54 * MS, &g), 0);
	assert_int_equal(g.count, 49);
	assert_int_equal(g.longest_ns, 1 * MS);
	/* a window starting inside the hole: the first stamp at 54 ms closes it */
	assert_int_equal(summary_gaps(t, n, 51 * MS, 55 * MS, &g), 0);
	assert_int_equal(g.count, 1);
	assert_int_equal(g.longest_ns, 5 * MS);
}

static void test_summary_gaps_empty_and_unsorted(void **state)
{
	int64_t t[3] = { 0, 2 * MS, 1 * MS };
	struct gap_stats g;

	(void)state;
	assert_int_equal(summary_gaps(t, 2, 10 * MS, 20 * MS, &g), 0);
	assert_int_equal(g.count, 0);
	assert_int_equal(g.longest_ns, 0);
	assert_nan(g.mean_ns);
	assert_int_equal(summary_gaps(NULL, 0, 0, MS, &g), 0);
	assert_int_equal(g.count, 0);

	log_set_quiet(1);
	assert_int_equal(summary_gaps(t, 3, 0, 10 * MS, &g), -EINVAL);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "index 2"));
}

/* Task 0 stamps at even ms, task 1 at odd ms, on vCPU 0; the host stalls
 * the vCPU from 9 to 20 ms. Task 2 on vCPU 1 must not fill the hole. */
static void test_summary_two_tasks_merged(void **state)
{
	static const int64_t t_ms[] = { 0, 2, 4, 6, 8, 20, 22, 1, 3, 5, 7, 9, 21, 23, 12, 14 };
	static const int vcpu[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
	size_t n = sizeof(t_ms) / sizeof(t_ms[0]), i, k;
	int64_t t[16], merged[16];
	struct gap_stats g;

	(void)state;
	for (i = 0; i < n; i++)
		t[i] = t_ms[i] * MS;
	k = summary_vcpu_stamps(t, vcpu, n, 0, merged);
	assert_int_equal(k, 14);
	for (i = 1; i < k; i++)
		assert_true(merged[i - 1] <= merged[i]);
	assert_int_equal(summary_gaps(merged, k, 0, 30 * MS, &g), 0);
	/* merged: 0..9, 20..23: 9 + 1 + 3 = 13 gaps; per task it would be 12 ms */
	assert_int_equal(g.count, 13);
	assert_int_equal(g.longest_ns, 11 * MS);
	assert_int_equal(g.p99_ns, 11 * MS);
	assert_near(g.mean_ns, 23.0 * MS / 13.0, EPS);

	/* NULL vcpu takes all 16 stamps: 12 and 14 ms now split the hole */
	k = summary_vcpu_stamps(t, NULL, n, 0, merged);
	assert_int_equal(k, 16);
	assert_int_equal(summary_gaps(merged, k, 0, 30 * MS, &g), 0);
	assert_int_equal(g.longest_ns, 6 * MS);
}

static void test_summary_counter_interpolates(void **state)
{
	static const int64_t t[] = { 0, 10 * MS, 20 * MS };
	static const double v[] = { 0, 100, 300 };

	(void)state;
	assert_near(summary_counter_at(t, v, 3, 5 * MS), 50, EPS);
	assert_near(summary_counter_at(t, v, 3, 15 * MS), 200, EPS);
	assert_near(summary_counter_at(t, v, 3, 10 * MS), 100, EPS);
	/* clamped at both ends, no extrapolation */
	assert_near(summary_counter_at(t, v, 3, -5 * MS), 0, EPS);
	assert_near(summary_counter_at(t, v, 3, 99 * MS), 300, EPS);
	/* a phase [5, 15] ms whose boundaries fall between samples */
	assert_near(summary_counter_delta(t, v, 3, 5 * MS, 15 * MS), 150, EPS);
	assert_near(summary_counter_delta(t, v, 3, 12 * MS, 17 * MS), 100, EPS);
	assert_near(summary_counter_delta(t, v, 3, 25 * MS, 30 * MS), 0, EPS);
	assert_near(summary_counter_delta(t, v, 3, 7 * MS, 7 * MS), 0, EPS);
	assert_nan(summary_counter_delta(t, v, 3, 8 * MS, 7 * MS));
	assert_nan(summary_counter_at(t, NULL, 3, 5 * MS));
	assert_nan(summary_counter_at(t, v, 0, 5 * MS));
}

static void test_summary_counter_backwards_clamps(void **state)
{
	static const int64_t t[] = { 0, 10 * MS, 20 * MS, 30 * MS };
	static const double v[] = { 0, 100, 50, 80 };
	static const double down[] = { 1000, 500 };

	(void)state;
	/* +100, backwards (0), +30 */
	assert_near(summary_counter_delta(t, v, 4, 0, 30 * MS), 130, EPS);
	/* inside the backwards interval only: nothing */
	assert_near(summary_counter_delta(t, v, 4, 12 * MS, 18 * MS), 0, EPS);
	assert_near(summary_counter_delta(t, down, 2, 0, 10 * MS), 0, EPS);
}

/* A 300 ms run sampled every 1 ms: baseline [0, 100), contended [100, 200)
 * during which steal rises 0.5 ms per ms, recovery [200, 300]. */
#define NSAMP 301
static int64_t st[NSAMP];
static double steal_ns[NSAMP], delay_ns[NSAMP];

static void fill_steal_series(void)
{
	int i;

	for (i = 0; i < NSAMP; i++) {
		double in_contended = i < 100 ? 0 : i < 200 ? i - 100 : 100;

		st[i] = i * MS;
		steal_ns[i] = in_contended * 0.5 * MS;
		/* the host sees 1% more delay than the guest is told */
		delay_ns[i] = in_contended * 0.505 * MS;
	}
}

static void test_summary_phase_steal_50pct(void **state)
{
	struct summary_input in = { 0 };
	struct phase_summary s;

	(void)state;
	fill_steal_series();
	in.baseline_ups = NAN;
	in.vcpu.n = NSAMP;
	in.vcpu.t_ns = st;
	in.vcpu.guest_steal_ns = steal_ns;
	in.vcpu.host_delay_ns = delay_ns;

	assert_int_equal(summary_phase(&in, 100 * MS, 200 * MS, &s), 0);
	assert_near(s.guest_steal_pct, 50.0, 1e-9);
	assert_near(s.host_delay_pct, 50.5, 1e-9);
	assert_near(s.steal_diff_pct, -0.5, 1e-9);
	assert_nan(s.guest_tick_steal_pct);     /* no tick columns given */
	assert_nan(s.host_usr_pct);              /* no host samples given */

	assert_int_equal(summary_phase(&in, 0, 100 * MS, &s), 0);
	assert_near(s.guest_steal_pct, 0.0, 1e-9);

	/* [150.5, 250.5) ms: boundaries between samples, 49.5 ms of the rise */
	assert_int_equal(summary_phase(&in, 150 * MS + MS / 2, 250 * MS + MS / 2, &s), 0);
	assert_near(s.guest_steal_pct, 49.5 * 0.5, 1e-9);
}

static void test_summary_phase_tick_steal_49pct(void **state)
{
	static const int64_t t[] = { 0, 1000 * MS };
	/* deltas: user 40, system 10, idle 1, steal 49 = 100 ticks */
	static const double user[] = { 10, 50 }, sys[] = { 5, 15 }, idle[] = { 3, 4 },
			    steal[] = { 2, 51 };
	struct summary_input in = { 0 };
	struct phase_summary s;

	(void)state;
	in.vcpu.n = 2;
	in.vcpu.t_ns = t;
	in.vcpu.user_ticks = user;
	in.vcpu.system_ticks = sys;
	in.vcpu.idle_ticks = idle;
	in.vcpu.steal_ticks = steal;
	assert_int_equal(summary_phase(&in, 0, 1000 * MS, &s), 0);
	assert_near(s.guest_tick_steal_pct, 49.0, 1e-9);
	assert_nan(s.guest_steal_pct);
}

static void test_summary_phase_backwards_guest_counter(void **state)
{
	static const int64_t t[] = { 0, 100 * MS };
	static const double steal[] = { 3 * MS, 1 * MS };
	struct summary_input in = { 0 };
	struct phase_summary s;

	(void)state;
	in.vcpu.n = 2;
	in.vcpu.t_ns = t;
	in.vcpu.guest_steal_ns = steal;
	assert_int_equal(summary_phase(&in, 0, 100 * MS, &s), 0);
	assert_near(s.guest_steal_pct, 0.0, 0);
}

static void test_summary_phase_zero_length(void **state)
{
	int64_t t[128];
	struct summary_input in = { 0 };
	struct phase_summary s;
	int m;

	(void)state;
	fill_steal_series();
	in.stamp_t_ns = t;
	in.nstamps = holed_stamps(t);
	in.finite_units = 1;
	in.baseline_ups = 1000;
	in.vcpu.n = NSAMP;
	in.vcpu.t_ns = st;
	in.vcpu.guest_steal_ns = steal_ns;
	in.vcpu.host_delay_ns = delay_ns;
	assert_int_equal(summary_phase(&in, 150 * MS, 150 * MS, &s), 0);
	assert_near(s.units_done, 0, 0);
	for (m = 1; m < SUMMARY_NMETRICS; m++)
		assert_nan(summary_metric(&s, m));

	log_set_quiet(1);
	assert_int_equal(summary_phase(&in, 150 * MS, 140 * MS, &s), -EINVAL);
	log_set_quiet(0);
	assert_nan(s.units_done);
}

static void test_summary_phase_native_has_no_guest(void **state)
{
	static const int64_t t[] = { 0, 50 * MS, 100 * MS };
	static const double nan3[] = { NAN, NAN, NAN };
	static const double delay[] = { 0, 10 * MS, 20 * MS };
	struct summary_input in = { 0 };
	struct phase_summary s;

	(void)state;
	/* native: no guest columns at all */
	in.vcpu.n = 3;
	in.vcpu.t_ns = t;
	in.vcpu.host_delay_ns = delay;
	assert_int_equal(summary_phase(&in, 0, 100 * MS, &s), 0);
	assert_nan(s.guest_steal_pct);
	assert_nan(s.guest_tick_steal_pct);
	assert_nan(s.steal_diff_pct);
	assert_near(s.host_delay_pct, 20.0, 1e-9);

	/* columns present but NaN (CSV cells left empty) */
	in.vcpu.guest_steal_ns = nan3;
	in.vcpu.user_ticks = nan3;
	in.vcpu.system_ticks = nan3;
	in.vcpu.idle_ticks = nan3;
	in.vcpu.steal_ticks = nan3;
	assert_int_equal(summary_phase(&in, 0, 100 * MS, &s), 0);
	assert_nan(s.guest_steal_pct);
	assert_nan(s.guest_tick_steal_pct);
	assert_nan(s.steal_diff_pct);
}

static void test_summary_phase_work_rate_frac(void **state)
{
	int64_t t[128];
	struct summary_input in = { 0 };
	struct phase_summary s;

	(void)state;
	in.stamp_t_ns = t;
	in.nstamps = holed_stamps(t);
	in.baseline_ups = 2000;
	in.finite_units = 1;

	/* [0, 50) ms: 50 stamps in 0.05 s = 1000 units/s, half the baseline */
	assert_int_equal(summary_phase(&in, 0, 50 * MS, &s), 0);
	assert_near(s.units_done, 50, 0);
	assert_near(s.work_rate_ups, 1000, 1e-9);
	assert_near(s.work_rate_frac_of_baseline, 0.5, 1e-12);
	assert_near(s.longest_stall_ns, 1 * MS, 0);
	assert_nan(s.completion_ns);             /* the last stamp is later */

	/* [50, 110) ms: 51 stamps (54..104), last at 104 ms */
	assert_int_equal(summary_phase(&in, 50 * MS, 110 * MS, &s), 0);
	assert_near(s.units_done, 51, 0);
	assert_near(s.work_rate_ups, 850, 1e-9);
	assert_near(s.work_rate_frac_of_baseline, 0.425, 1e-12);
	assert_near(s.completion_ns, 104 * MS, 0);
	assert_near(s.longest_stall_ns, 5 * MS, 0);

	/* an endless workload has no completion; no baseline, no fraction */
	in.finite_units = 0;
	in.baseline_ups = NAN;
	assert_int_equal(summary_phase(&in, 50 * MS, 110 * MS, &s), 0);
	assert_nan(s.completion_ns);
	assert_nan(s.work_rate_frac_of_baseline);
}

static void set_ticks(struct procstat_cpu *c, uint64_t user, uint64_t sys, uint64_t idle,
		      uint64_t steal)
{
	memset(c, 0, sizeof(*c));
	c->cpu = PROCSTAT_CPU_ALL;
	c->nfields = PS_NFIELDS;
	c->ticks[PS_USER] = user;
	c->ticks[PS_SYSTEM] = sys;
	c->ticks[PS_IDLE] = idle;
	c->ticks[PS_STEAL] = steal;
}

static void test_summary_phase_host_cpus(void **state)
{
	static const int64_t ht[] = { 0, 100 * MS, 150 * MS, 200 * MS, 300 * MS };
	struct procstat_cpu hc[5];
	struct summary_input in = { 0 };
	struct phase_summary s;

	(void)state;
	set_ticks(&hc[0], 0, 0, 0, 0);
	set_ticks(&hc[1], 100, 50, 0, 0);
	set_ticks(&hc[2], 120, 55, 10, 15);
	/* from [1]: user +50, system +10, idle +20, steal +20 = 100 ticks */
	set_ticks(&hc[3], 150, 60, 20, 20);
	set_ticks(&hc[4], 999, 999, 999, 999);
	in.host.n = 5;
	in.host.t_ns = ht;
	in.host.cpu = hc;
	/* the phase's first and last samples: 100 ms and 200 ms (end included) */
	assert_int_equal(summary_phase(&in, 100 * MS, 200 * MS, &s), 0);
	assert_near(s.host_usr_pct, 50.0, 1e-9);
	assert_near(s.host_sys_pct, 10.0, 1e-9);
	assert_near(s.host_steal_pct, 20.0, 1e-9);
	/* one sample in the window: no interval */
	assert_int_equal(summary_phase(&in, 110 * MS, 160 * MS, &s), 0);
	assert_nan(s.host_usr_pct);
}

static void test_summary_sum_cpus(void **state)
{
	static struct procstat_sample smp; /* ~100 KB: not on the stack */
	static const int both[] = { 0, 1 }, gone[] = { 1, 5 };
	struct procstat_cpu sum;

	(void)state;
	memset(&smp, 0, sizeof(smp));
	smp.ncpus = 2;
	set_ticks(&smp.cpu[0], 10, 20, 30, 40);
	smp.cpu[0].cpu = 0;
	set_ticks(&smp.cpu[1], 1, 2, 3, 4);
	smp.cpu[1].cpu = 1;
	smp.cpu[1].nfields = 8;
	assert_int_equal(summary_sum_cpus(&smp, both, 2, &sum), 2);
	assert_int_equal(sum.ticks[PS_USER], 11);
	assert_int_equal(sum.ticks[PS_STEAL], 44);
	assert_int_equal(sum.nfields, 8);
	assert_int_equal(summary_sum_cpus(&smp, gone, 2, &sum), 1);
	assert_int_equal(sum.ticks[PS_SYSTEM], 2);
}

static void test_summary_spread(void **state)
{
	static const double v[] = { 1, 2, 3, 4 };
	static const double with_nan[] = { NAN, 4, 1, NAN, 3, 2 };
	static const double one[] = { 7 }, none[] = { NAN, NAN };
	struct stat_spread sp;

	(void)state;
	summary_spread(v, 4, &sp);
	assert_int_equal(sp.n, 4);
	assert_near(sp.mean, 2.5, EPS);
	assert_near(sp.sd, 1.2910, 1e-4);        /* sqrt(5/3) */
	assert_near(sp.min, 1, 0);
	assert_near(sp.max, 4, 0);

	summary_spread(with_nan, 6, &sp);
	assert_int_equal(sp.n, 4);
	assert_near(sp.mean, 2.5, EPS);
	assert_near(sp.sd, sqrt(5.0 / 3.0), EPS);

	summary_spread(one, 1, &sp);
	assert_int_equal(sp.n, 1);
	assert_near(sp.mean, 7, 0);
	assert_nan(sp.sd);

	summary_spread(none, 2, &sp);
	assert_int_equal(sp.n, 0);
	assert_nan(sp.mean);
	assert_nan(sp.min);
}

/* The tiny case the renderers are checked on. */
static void tiny(struct phase_summary *s, double rate)
{
	s->units_done = 50;
	s->work_rate_ups = rate;
	s->work_rate_frac_of_baseline = 0.5;
	s->completion_ns = NAN;
	s->longest_stall_ns = 5 * MS;
	s->p99_gap_ns = 1 * MS;
	s->guest_steal_pct = NAN;
	s->guest_tick_steal_pct = NAN;
	s->host_delay_pct = 50;
	s->steal_diff_pct = NAN;
	s->host_usr_pct = 12.5;
	s->host_sys_pct = 2.25;
	s->host_steal_pct = 0;
}

static void test_summary_aggregate(void **state)
{
	struct phase_summary reps[3], means;
	struct phase_spread sp;

	(void)state;
	tiny(&reps[0], 500);
	tiny(&reps[1], 300);
	tiny(&reps[2], NAN);
	reps[2].guest_steal_pct = 40;
	summary_aggregate(reps, 3, &sp);
	assert_int_equal(sp.nreps, 3);
	assert_int_equal(sp.m[SM_WORK_RATE_UPS].n, 2);
	assert_near(sp.m[SM_WORK_RATE_UPS].mean, 400, EPS);
	assert_near(sp.m[SM_WORK_RATE_UPS].sd, sqrt(20000.0), 1e-9);
	assert_int_equal(sp.m[SM_GUEST_STEAL_PCT].n, 1);
	assert_int_equal(sp.m[SM_COMPLETION_NS].n, 0);
	summary_spread_means(&sp, &means);
	assert_near(means.work_rate_ups, 400, EPS);
	assert_near(means.guest_steal_pct, 40, EPS);
	assert_nan(means.completion_ns);
	assert_near(means.host_sys_pct, 2.25, EPS);
}

static char *render_table(const struct summary_key *k, const struct phase_summary *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	assert_int_equal(summary_table_header(fp), 0);
	assert_int_equal(summary_table_row(fp, k, s), 0);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static void test_summary_table_text(void **state)
{
	const struct summary_key k = { "shared", "contended", 0 };
	const struct summary_key all = { "dedicated", "all", SUMMARY_VCPU_ALL };
	struct phase_summary s;
	char *text;

	(void)state;
	tiny(&s, 500);
	text = render_table(&k, &s);
	assert_string_equal(text,
		"policy           phase      vcpu   rate_u/s   frac  stall_ms   p99_ms"
		"   steal%    tick%   delay%     diff\n"
		"shared           contended     0      500.0  0.500      5.00     1.00"
		"        -        -     50.0        -\n");
	free(text);

	s.work_rate_frac_of_baseline = NAN;
	s.steal_diff_pct = -0.3;
	text = render_table(&all, &s);
	assert_non_null(strstr(text, "\ndedicated        all         all      500.0      -"
				     "      5.00     1.00        -        -     50.0     -0.3"));
	free(text);
}

static char *slurp_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_summary_csv_text(void **state)
{
	const struct summary_key k = { "shared", "contended", 0 };
	const struct summary_key all = { "shared", "contended", SUMMARY_VCPU_ALL };
	char dir[] = "/tmp/test_summary.XXXXXX", path[64];
	struct phase_summary reps[2];
	struct phase_spread sp;
	struct csvw *w;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	tiny(&reps[0], 500);
	tiny(&reps[1], 300);
	summary_aggregate(reps, 2, &sp);

	w = summary_csv_open(path);
	assert_non_null(w);
	assert_int_equal(summary_csv_rep(w, &k, 0, &reps[0]), 0);
	assert_int_equal(summary_csv_spread(w, &all, &sp), 0);
	assert_int_equal(csvw_commit(w), 0);

	text = slurp_file(path);
	assert_string_equal(text,
		"policy,phase,vcpu,rep,units_done,work_rate_ups,work_rate_frac_of_baseline,"
		"completion_ns,longest_stall_ns,p99_gap_ns,guest_steal_pct,guest_tick_steal_pct,"
		"host_delay_pct,steal_diff_pct,host_usr_pct,host_sys_pct,host_steal_pct\n"
		"shared,contended,0,0,50.0,500.000,0.5000,,5000000,1000000,,,50.000,,12.500,2.250,0.000\n"
		"shared,contended,all,mean,50.0,400.000,0.5000,,5000000,1000000,,,50.000,,12.500,2.250,0.000\n"
		"shared,contended,all,sd,0.0,141.421,0.0000,,0,0,,,0.000,,0.000,0.000,0.000\n"
		"shared,contended,all,min,50.0,300.000,0.5000,,5000000,1000000,,,50.000,,12.500,2.250,0.000\n"
		"shared,contended,all,max,50.0,500.000,0.5000,,5000000,1000000,,,50.000,,12.500,2.250,0.000\n");
	free(text);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_summary_json_text(void **state)
{
	const struct summary_key k = { "shared", "contended", SUMMARY_VCPU_ALL };
	struct phase_summary reps[2];
	struct phase_spread sp;
	struct jsonw j;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	assert_non_null(fp);
	tiny(&reps[0], 500);
	tiny(&reps[1], 300);
	summary_aggregate(reps, 2, &sp);
	jsonw_init(&j, fp);
	jsonw_arr_begin(&j);
	summary_json_rep(&j, &k, 1, &reps[1]);
	summary_json_spread(&j, &k, &sp);
	jsonw_arr_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	assert_int_equal(fclose(fp), 0);

	assert_non_null(strstr(text, "\"vcpu\": \"all\""));
	assert_non_null(strstr(text, "\"rep\": 1,"));
	assert_non_null(strstr(text, "\"work_rate_ups\": 300,"));
	assert_non_null(strstr(text, "\"guest_steal_pct\": null,"));
	assert_non_null(strstr(text, "\"reps\": 2,"));
	assert_non_null(strstr(text, "\"mean\": 400,"));
	free(text);
}

/* Only a baseline phase with run delay above the limit counts as noisy. */
static void test_summary_baseline_noisy(void **state)
{
	struct phase_summary s = { .host_delay_pct = 16.2 };

	(void)state;
	assert_true(summary_baseline_noisy("baseline", &s, 5.0));
	assert_false(summary_baseline_noisy("contended", &s, 5.0));
	assert_false(summary_baseline_noisy("all", &s, 5.0));
	s.host_delay_pct = 5.0;
	assert_false(summary_baseline_noisy("baseline", &s, 5.0));
	s.host_delay_pct = 5.01;
	assert_true(summary_baseline_noisy("baseline", &s, 5.0));
	s.host_delay_pct = NAN;
	assert_false(summary_baseline_noisy("baseline", &s, 5.0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_gaps_hole),
		cmocka_unit_test(test_summary_gaps_belong_to_later_stamp),
		cmocka_unit_test(test_summary_gaps_empty_and_unsorted),
		cmocka_unit_test(test_summary_two_tasks_merged),
		cmocka_unit_test(test_summary_counter_interpolates),
		cmocka_unit_test(test_summary_counter_backwards_clamps),
		cmocka_unit_test(test_summary_phase_steal_50pct),
		cmocka_unit_test(test_summary_phase_tick_steal_49pct),
		cmocka_unit_test(test_summary_phase_backwards_guest_counter),
		cmocka_unit_test(test_summary_phase_zero_length),
		cmocka_unit_test(test_summary_phase_native_has_no_guest),
		cmocka_unit_test(test_summary_phase_work_rate_frac),
		cmocka_unit_test(test_summary_phase_host_cpus),
		cmocka_unit_test(test_summary_sum_cpus),
		cmocka_unit_test(test_summary_spread),
		cmocka_unit_test(test_summary_aggregate),
		cmocka_unit_test(test_summary_table_text),
		cmocka_unit_test(test_summary_csv_text),
		cmocka_unit_test(test_summary_json_text),
		cmocka_unit_test(test_summary_baseline_noisy),
	};

	log_init("test_summary");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
