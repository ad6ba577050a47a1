/*
 * workunit: see workunit.h. No libc, no floating point, no allocation: this
 * file is compiled into the freestanding guest too.
 */
#include "guest-tools/workunit.h"

uint64_t workunit_spin(uint64_t loops, uint64_t seed)
{
	uint64_t x = seed | 1;
	uint64_t i;

	for (i = 0; i < loops; i++) {
		/* xorshift step: each iteration depends on the previous one */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}
