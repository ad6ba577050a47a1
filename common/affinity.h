/*
 * affinity: pin the calling thread to one CPU, the one way every stealscope
 * tool does it (sched-load's workers and its calibration, inf-loop). It only
 * changes the caller's own affinity: never another task's, never a cpuset.
 */
#ifndef STEALSCOPE_AFFINITY_H
#define STEALSCOPE_AFFINITY_H

/*
 * Restrict the calling thread (sched_setaffinity(0, ...): in a process with
 * one thread, the process) to CPU @cpu, 0..CPU_SETSIZE-1. A CPU that is
 * offline or outside the caller's cpuset fails with -EINVAL. Returns 0 or
 * -errno, logged as "sched_setaffinity(CPU N): <strerror>".
 */
int affinity_pin_self(int cpu);

#endif
