/*
 * workunit: one unit of calibrated CPU-bound work, the core of the sched
 * load. Plain C over <stdint.h> only, so that the freestanding kvm-mini
 * guest compiles the same source as the native sched-load: the same loop,
 * the same cost per iteration on both sides.
 */
#ifndef STEALSCOPE_WORKUNIT_H
#define STEALSCOPE_WORKUNIT_H

#include <stdint.h>

/*
 * Spin @loops iterations of a dependent integer chain the compiler cannot
 * remove or vectorise. Returns the chain's value (callers keep it to make
 * the work observable). Cost is linear in @loops.
 */
uint64_t workunit_spin(uint64_t loops, uint64_t seed);

#endif
