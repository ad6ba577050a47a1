/*
 * timeutil: the one time base. Every record carries CLOCK_MONOTONIC ns,
 * relative to the start of its run. Loops sleep to absolute deadlines.
 *
 * Measurement loops call this module between samples, so it must never
 * allocate, log, print or exit, never read CLOCK_REALTIME (it jumps with NTP
 * and settimeofday), and never sleep for a relative interval (the error of
 * each wake-up would add up over a run).
 */
#ifndef STEALSCOPE_TIMEUTIL_H
#define STEALSCOPE_TIMEUTIL_H

#include <stdint.h>

#define NS_PER_US 1000LL
#define NS_PER_MS 1000000LL
#define NS_PER_SEC 1000000000LL

/* CLOCK_MONOTONIC now, in ns. */
int64_t mono_ns(void);

/*
 * Sleep until the absolute CLOCK_MONOTONIC time @deadline_ns
 * (clock_nanosleep TIMER_ABSTIME). Returns 0, or -EINTR when a signal
 * handler ran (the caller checks its stop flag and calls again).
 */
int sleep_until_ns(int64_t deadline_ns);

#endif
