/*
 * Unit tests of common/memtouch: after mem_touch() every page of the range
 * is resident (mincore), whatever the alignment, and contents from calloc
 * stay zero.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/memtouch.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t resident_pages(void *base, size_t npages, size_t pg)
{
	unsigned char vec[64];
	size_t i, n = 0;

	assert_true(npages <= sizeof(vec));
	assert_int_equal(mincore(base, npages * pg, vec), 0);
	for (i = 0; i < npages; i++)
		n += vec[i] & 1;
	return n;
}

/* A fresh anonymous mapping has no page resident until touched. */
static void test_touch_faults_every_page(void **state)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), npages = 16;
	unsigned char *m;

	(void)state;
	m = mmap(NULL, npages * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(resident_pages(m, npages, pg), 0);
	mem_touch(m, npages * pg);
	assert_int_equal(resident_pages(m, npages, pg), npages);
	munmap(m, npages * pg);
}

/* An unaligned range reaches the page of its last byte, and no further. */
static void test_touch_unaligned_range(void **state)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), npages = 8;
	unsigned char *m;

	(void)state;
	m = mmap(NULL, npages * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	/* from the middle of page 1 to one byte into page 4: pages 1..4 */
	mem_touch(m + pg + pg / 2, 2 * pg + pg / 2 + 1);
	assert_int_equal(resident_pages(m, 1, pg), 0);
	assert_int_equal(resident_pages(m + pg, 4, pg), 4);
	assert_int_equal(resident_pages(m + 5 * pg, 3, pg), 0);
	munmap(m, npages * pg);
}

static void test_touch_keeps_zeroes_and_ignores_empty(void **state)
{
	size_t i, len = 3 * 4096 + 17;
	unsigned char *b = calloc(1, len);

	(void)state;
	assert_non_null(b);
	mem_touch(b, len);
	for (i = 0; i < len; i++)
		assert_int_equal(b[i], 0);
	mem_touch(NULL, 100);          /* no crash */
	mem_touch(b, 0);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touch_faults_every_page),
		cmocka_unit_test(test_touch_unaligned_range),
		cmocka_unit_test(test_touch_keeps_zeroes_and_ignores_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
