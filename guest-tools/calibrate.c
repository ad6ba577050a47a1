/*
 * calibrate: see calibrate.h. Only timed spins and clock reads: nothing here
 * may depend on which program calls it.
 */
#include "guest-tools/calibrate.h"

#include "common/log.h"
#include "common/timeutil.h"
#include "guest-tools/workunit.h"

#define CALIB_PROBE_NS (1 * NS_PER_MS)  /* one timed calibration run */
#define CALIB_BUDGET_NS (30 * NS_PER_MS)
#define CALIB_MIN_RUNS 8
#define CALIB_MAX_RUNS 64
#define CALIB_MAX_LOOPS (1ULL << 40)

static int64_t time_spin(uint64_t loops, uint64_t *sink)
{
	int64_t t = mono_ns();

	*sink ^= workunit_spin(loops, *sink);
	return mono_ns() - t;
}

/* What one stamp costs: the fastest of a few batches of clock reads. */
static double clock_read_cost_ns(void)
{
	int64_t best = INT64_MAX;
	int i, r;

	for (r = 0; r < 16; r++) {
		int64_t t0 = mono_ns(), t1 = t0;

		for (i = 0; i < 1000; i++)
			t1 = mono_ns();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return (double)best / 1000.0;
}

void calibrate_unit(int64_t unit_work_ns, struct calib *out)
{
	uint64_t sink = 0x2545f4914f6cdd1dULL;
	uint64_t loops = 1024;
	int64_t best, t, begin;
	double per;
	int r;

	while (time_spin(loops, &sink) < CALIB_PROBE_NS && loops < CALIB_MAX_LOOPS)
		loops *= 2;
	best = INT64_MAX;
	begin = mono_ns();
	for (r = 0; r < CALIB_MAX_RUNS; r++) {
		if (r >= CALIB_MIN_RUNS && mono_ns() - begin >= CALIB_BUDGET_NS)
			break;
		t = time_spin(loops, &sink);
		if (t < best)
			best = t;
	}
	if (best < 1)
		best = 1;
	out->probe_loops = loops;
	out->runs = r;
	out->ns_per_loop = (double)best / (double)loops;
	per = (double)unit_work_ns / out->ns_per_loop + 0.5;
	out->loops_per_unit = per < 1.0 ? 1 : (uint64_t)per;
	out->clock_read_ns = clock_read_cost_ns();
	if (sink == 0)                  /* keep the calibration work observable */
		log_debug("calibration chain reached 0");
}
