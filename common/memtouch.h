/*
 * memtouch: fault buffers in before a timing-critical loop uses them.
 *
 * A sampler or stamp buffer is allocated before t0 so the measured loop
 * never allocates; it must also never take a page fault. memset() is not
 * enough: GCC folds malloc() + memset(0) into calloc() and drops a
 * memset(0) after calloc() as a dead store, and calloc() maps fresh zero
 * pages lazily, so the buffer would fault page by page inside the loop
 * (the soak run saw RSS grow ~96 bytes per sample that way). mem_touch()
 * writes one byte per page through a volatile pointer, which the compiler
 * must keep.
 */
#ifndef STEALSCOPE_MEMTOUCH_H
#define STEALSCOPE_MEMTOUCH_H

#include <stddef.h>

/*
 * Write 0 to the first byte of every page of [@p, @p + @len) (NULL or 0:
 * nothing). For memory from calloc() the contents do not change.
 */
void mem_touch(void *p, size_t len);

#endif
