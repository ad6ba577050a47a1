/* memtouch: see memtouch.h. */
#include "common/memtouch.h"

#include <stdint.h>
#include <unistd.h>

void mem_touch(void *p, size_t len)
{
	volatile unsigned char *b = p;
	long pg = sysconf(_SC_PAGESIZE);
	size_t step = pg > 0 ? (size_t)pg : 4096, off;

	if (!p || !len)
		return;
	/* the first byte of each page the range overlaps, and the last byte */
	off = step - ((uintptr_t)p % step);
	b[0] = 0;
	for (; off < len; off += step)
		b[off] = 0;
	b[len - 1] = 0;
}
