/*
 * calibrate: how many workunit_spin() loops make one work unit of a given
 * CPU time on the CPU the caller runs on. One piece of code for every user
 * of work units (sched-load, the native backend of stealscope), so a "1 ms
 * unit" means the same everywhere.
 *
 * The caller pins itself first when it wants the figure of one CPU. This
 * module never prints (log_debug aside), never allocates and never exits.
 */
#ifndef STEALSCOPE_CALIBRATE_H
#define STEALSCOPE_CALIBRATE_H

#include <stdint.h>

struct calib {
	uint64_t loops_per_unit;        /* workunit_spin() loops for one unit, >= 1 */
	uint64_t probe_loops;           /* loops of one timed run */
	double ns_per_loop;             /* of the fastest timed run */
	double clock_read_ns;           /* cost of one CLOCK_MONOTONIC read (vDSO) */
	int runs;                       /* timed runs taken */
};

/*
 * Calibrate work units of @unit_work_ns (> 0) on the current CPU: double
 * the loop count until one run takes about a millisecond, then time that
 * run repeatedly (at least 8 times, for about 30 ms) and keep the fastest.
 * The minimum is the run nobody preempted; a mean would fold a neighbour's
 * time slice (or a steal burst) into the unit size. Takes roughly 40 ms.
 */
void calibrate_unit(int64_t unit_work_ns, struct calib *out);

#endif
