/*
 * Unit tests for kvm-mini/tickacct: the guest's Linux-style tick
 * accounting, the very code the guest runs. Steal is charged in whole
 * ticks with the remainder carried, a tick that charged steal charges
 * nothing else, and over any sequence the ticks add up to the elapsed time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kvm-mini/tickacct.h"

#define TICK 4000000ull

static void test_kvm_mini_tickacct_init_takes_base(void **state)
{
	struct kmini_ticks t;

	(void)state;
	kmini_tick_init(&t, TICK, 77000000);
	assert_int_equal(t.steal_base_ns, 77000000);
	assert_int_equal(t.prev_steal_ns, 77000000);
	assert_int_equal(t.user + t.system + t.idle + t.steal + t.interrupts, 0);
	/* the run delay from before enable is not charged */
	assert_int_equal(kmini_tick_account(&t, 77000000, KMINI_CTX_USER), 0);
	assert_int_equal(t.user, 1);
	assert_int_equal(t.steal, 0);
}

static void test_kvm_mini_tickacct_contexts(void **state)
{
	struct kmini_ticks t;

	(void)state;
	kmini_tick_init(&t, TICK, 0);
	kmini_tick_account(&t, 0, KMINI_CTX_USER);
	kmini_tick_account(&t, 0, KMINI_CTX_USER);
	kmini_tick_account(&t, 0, KMINI_CTX_SYSTEM);
	kmini_tick_account(&t, 0, KMINI_CTX_IDLE);
	assert_int_equal(t.user, 2);
	assert_int_equal(t.system, 1);
	assert_int_equal(t.idle, 1);
	assert_int_equal(t.interrupts, 4);
}

static void test_kvm_mini_tickacct_whole_ticks_and_carry(void **state)
{
	struct kmini_ticks t;

	(void)state;
	kmini_tick_init(&t, TICK, 0);
	/* 3.5 ticks of steal: 3 charged, this tick is steal, half a tick carried */
	assert_int_equal(kmini_tick_account(&t, 3 * TICK + TICK / 2, KMINI_CTX_USER), 3);
	assert_int_equal(t.steal, 3);
	assert_int_equal(t.user, 0);
	assert_int_equal(t.prev_steal_ns, 3 * TICK);
	/* another 0.6 tick: with the carried half, one more whole tick */
	assert_int_equal(kmini_tick_account(&t, 4 * TICK + TICK / 10, KMINI_CTX_USER), 1);
	assert_int_equal(t.steal, 4);
	/* under a tick left over: the tick goes to what it interrupted */
	assert_int_equal(kmini_tick_account(&t, 4 * TICK + TICK / 5, KMINI_CTX_IDLE), 0);
	assert_int_equal(t.idle, 1);
	assert_int_equal(t.prev_steal_ns, 4 * TICK);
}

static void test_kvm_mini_tickacct_backwards_clock(void **state)
{
	struct kmini_ticks t;

	(void)state;
	kmini_tick_init(&t, TICK, 10 * TICK);
	/* a scribbled steal struct went back: new base, nothing charged */
	assert_int_equal(kmini_tick_account(&t, 2 * TICK, KMINI_CTX_USER), 0);
	assert_int_equal(t.prev_steal_ns, 2 * TICK);
	assert_int_equal(t.user, 1);
	assert_int_equal(kmini_tick_account(&t, 4 * TICK, KMINI_CTX_USER), 2);
	/* a zero period cannot divide by zero */
	kmini_tick_init(&t, 0, 0);
	assert_int_equal(t.tick_ns, 1);
	assert_int_equal(kmini_tick_account(&t, 5, KMINI_CTX_USER), 5);
}

/*
 * A vCPU that runs R ms and is descheduled S ms in turn, with a periodic
 * tick whose missed periods are coalesced into one on return (KVM's LAPIC
 * timer): the ticks add up to the elapsed periods and steal is S / (R + S).
 */
static void test_kvm_mini_tickacct_sums_to_elapsed(void **state)
{
	static const struct {
		uint64_t run_ns, away_ns;
	} cases[] = {
		{ 4000000, 4000000 }, { 3000000, 3000000 }, { 12000000, 4000000 },
		{ 1000000, 9000000 }, { 40000000, 0 },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t now = 0, steal = 0, next_tick = TICK, end = 10000 * TICK, period;
		uint64_t sum, expect_steal;
		struct kmini_ticks t;

		period = cases[c].run_ns + cases[c].away_ns;
		kmini_tick_init(&t, TICK, 0);
		while (now < end) {
			uint64_t run_end = now + cases[c].run_ns;

			/* ticks while running */
			while (next_tick <= run_end) {
				kmini_tick_account(&t, steal, KMINI_CTX_USER);
				next_tick += TICK;
			}
			now = run_end + cases[c].away_ns;
			steal += cases[c].away_ns;
			if (next_tick <= now) {
				/* missed periods: one interrupt on return, at its phase */
				while (next_tick + TICK <= now)
					next_tick += TICK;
				kmini_tick_account(&t, steal, KMINI_CTX_USER);
				next_tick += TICK;
			}
		}
		sum = t.user + t.system + t.idle + t.steal;
		expect_steal = 10000 * cases[c].away_ns / period;
		print_message("run %llu away %llu: %llu ticks (elapsed %llu), steal %llu (%llu)\n",
			      (unsigned long long)cases[c].run_ns,
			      (unsigned long long)cases[c].away_ns, (unsigned long long)sum,
			      (unsigned long long)(now / TICK), (unsigned long long)t.steal,
			      (unsigned long long)expect_steal);
		/* within a tick per contention period of the elapsed periods */
		assert_true(sum <= now / TICK + 1);
		assert_true(sum + now / period + 1 >= now / TICK);
		assert_true(t.steal <= expect_steal + 1 && t.steal + 1 >= expect_steal);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_mini_tickacct_init_takes_base),
		cmocka_unit_test(test_kvm_mini_tickacct_contexts),
		cmocka_unit_test(test_kvm_mini_tickacct_whole_ticks_and_carry),
		cmocka_unit_test(test_kvm_mini_tickacct_backwards_clock),
		cmocka_unit_test(test_kvm_mini_tickacct_sums_to_elapsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
