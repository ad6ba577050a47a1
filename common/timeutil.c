/*
 * timeutil: see timeutil.h. Thin wrappers over clock_gettime and
 * clock_nanosleep on CLOCK_MONOTONIC.
 *
 * This file must never allocate, log, print or exit (it runs inside
 * measurement loops), never use CLOCK_REALTIME, and never turn a deadline
 * into a relative sleep: TIMER_ABSTIME keeps a late wake-up from delaying
 * every later one.
 */
#include "common/timeutil.h"

#include <errno.h>
#include <time.h>

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int sleep_until_ns(int64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = deadline_ns / NS_PER_SEC,
		.tv_nsec = deadline_ns % NS_PER_SEC,
	};
	int rc;

	if (deadline_ns < 0)
		return 0;
	rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	return rc ? -rc : 0;
}
