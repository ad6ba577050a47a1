/*
 * affinity: see affinity.h. A thin wrapper, so the message and the range
 * check are written once.
 */
#include "common/affinity.h"
#include "common/log.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

int affinity_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return log_err(-EINVAL, "sched_setaffinity(CPU %d): no such CPU number", cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return log_err(-errno, "sched_setaffinity(CPU %d): %s", cpu, strerror(errno));
	return 0;
}
