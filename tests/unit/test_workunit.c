/*
 * Unit tests for workunit_spin(): the chain is deterministic, every loop is
 * one identical step (so the cost is linear in loops by construction), and
 * the steps do not fall into a short cycle the compiler or CPU could exploit.
 * Values only: timing claims belong in bench/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "guest-tools/workunit.h"

/* The reference step, written independently of workunit.c. */
static uint64_t ref_step(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static void test_workunit_same_seed_same_value(void **state)
{
	uint64_t a, b;

	(void)state;
	a = workunit_spin(100000, 42);
	b = workunit_spin(100000, 42);
	assert_int_equal(a, b);
	assert_int_not_equal(a, 0);
	assert_int_equal(workunit_spin(7, 0xdeadbeefULL), workunit_spin(7, 0xdeadbeefULL));
}

static void test_workunit_zero_loops_returns_odd_seed(void **state)
{
	(void)state;
	/* the seed is forced odd so that seed 0 does not stick at 0 */
	assert_int_equal(workunit_spin(0, 0), 1);
	assert_int_equal(workunit_spin(0, 42), 43);
	assert_int_equal(workunit_spin(0, 43), 43);
}

static void test_workunit_different_loops_differ(void **state)
{
	(void)state;
	assert_int_not_equal(workunit_spin(1000, 42), workunit_spin(1001, 42));
	assert_int_not_equal(workunit_spin(1000, 42), workunit_spin(2000, 42));
	assert_int_not_equal(workunit_spin(1, 42), workunit_spin(0, 42));
}

static void test_workunit_different_seeds_differ(void **state)
{
	(void)state;
	assert_int_not_equal(workunit_spin(1000, 1), workunit_spin(1000, 3));
	assert_int_not_equal(workunit_spin(1000, 42), workunit_spin(1000, 1042));
}

static void test_workunit_each_loop_is_one_step(void **state)
{
	uint64_t x = 0x1234567ULL | 1;
	uint64_t n;

	(void)state;
	/* spin(n) is exactly n applications of the same step: linear cost */
	for (n = 0; n <= 2000; n++) {
		assert_int_equal(workunit_spin(n, 0x1234567ULL), x);
		x = ref_step(x);
	}
}

static void test_workunit_chains_compose(void **state)
{
	uint64_t a = 3000, mid;

	(void)state;
	/*
	 * a+b loops equal a loops then b more from there: the work is additive.
	 * The entry forces the seed odd, so pick the first a whose value is odd.
	 */
	while (!((mid = workunit_spin(a, 99)) & 1))
		a++;
	assert_true(a < 3100);
	assert_int_equal(workunit_spin(2000, mid), workunit_spin(a + 2000, 99));
	assert_int_equal(workunit_spin(1, mid), workunit_spin(a + 1, 99));
}

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

static void test_workunit_no_short_cycle(void **state)
{
	enum { N = 3000 };
	static uint64_t vals[N];
	size_t i;

	(void)state;
	/* spin(0..N-1) are N distinct values: no short cycle to shortcut */
	for (i = 0; i < N; i++) {
		vals[i] = workunit_spin(i, 5);
		assert_int_not_equal(vals[i], 0);
	}
	qsort(vals, N, sizeof(vals[0]), cmp_u64);
	for (i = 1; i < N; i++)
		assert_true(vals[i - 1] < vals[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workunit_same_seed_same_value),
		cmocka_unit_test(test_workunit_zero_loops_returns_odd_seed),
		cmocka_unit_test(test_workunit_different_loops_differ),
		cmocka_unit_test(test_workunit_different_seeds_differ),
		cmocka_unit_test(test_workunit_each_loop_is_one_step),
		cmocka_unit_test(test_workunit_chains_compose),
		cmocka_unit_test(test_workunit_no_short_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
