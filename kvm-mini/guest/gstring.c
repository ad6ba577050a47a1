/*
 * gstring: the guest's own memset and memcpy (gcc may emit calls to them
 * for struct copies even with -ffreestanding). Byte loops: nothing here is
 * on a measured path.
 */
#include "kvm-mini/guest/hw.h"

void *memset(void *d, int c, unsigned long n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}
