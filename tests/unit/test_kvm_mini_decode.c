/*
 * Unit tests for kvm-mini/decode: the host's reading of guest-written
 * memory. Rings are built by hand here, well-formed and hostile (a head
 * behind the tail or far ahead, unpublished and overwritten slots, records
 * naming other vCPUs' tasks), and the steal struct with a torn version.
 * Also the guest-TSC to host-ns conversion (clamped for a made-up TSC) and
 * the tick watch that spots a kernel spinning with interrupts off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kvm-mini/decode.h"

#include <stdlib.h>
#include <string.h>

struct ring {
	struct kmini_ring_hdr hdr;
	struct kmini_record recs[KMINI_RING_SLOTS];
};

struct got {
	size_t n;
	struct kmini_record r[64];
};

static void collect(void *arg, const struct kmini_record *r)
{
	struct got *g = arg;

	if (g->n < 64)
		g->r[g->n] = *r;
	g->n++;
}

/* Publish record @i as the guest does. */
static void put(struct ring *rg, uint64_t i, uint32_t task, uint32_t unit, uint64_t tsc)
{
	struct kmini_record *r = &rg->recs[i & (KMINI_RING_SLOTS - 1)];

	r->tsc = tsc;
	r->task = task;
	r->unit = unit;
	r->seq = i + 1;
}

static const struct kmini_ring_limits lim_1vcpu = { .ntasks = 2, .nvcpus = 1, .vcpu = 0 };

static void test_kvm_mini_decode_ring_in_order(void **state)
{
	struct ring *rg = calloc(1, sizeof(*rg));
	struct kmini_ring_state st = { 0 };
	struct got g = { 0 };

	(void)state;
	put(rg, 0, 0, 0, 100);
	put(rg, 1, 1, 0, 200);
	put(rg, 2, 0, 1, 300);
	rg->hdr.head = 3;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.r[0].tsc, 100);
	assert_int_equal(g.r[1].task, 1);
	assert_int_equal(g.r[2].unit, 1);
	assert_int_equal(st.tail, 3);
	assert_int_equal(rg->hdr.tail, 3);       /* the guest sees the space again */
	assert_int_equal(st.taken, 3);
	/* nothing new: nothing delivered */
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_OK);
	assert_int_equal(g.n, 3);
	free(rg);
}

static void test_kvm_mini_decode_ring_stops_at_unpublished(void **state)
{
	struct ring *rg = calloc(1, sizeof(*rg));
	struct kmini_ring_state st = { 0 };
	struct got g = { 0 };

	(void)state;
	put(rg, 0, 0, 0, 1);
	/* slot 1 reserved (head moved) but its seq not written yet */
	put(rg, 2, 0, 2, 3);
	rg->hdr.head = 3;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(st.tail, 1);
	put(rg, 1, 1, 0, 2);
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.r[1].tsc, 2);
	assert_int_equal(g.r[2].tsc, 3);
	free(rg);
}

static void test_kvm_mini_decode_ring_wraps(void **state)
{
	struct ring *rg = calloc(1, sizeof(*rg));
	struct kmini_ring_state st = { .tail = KMINI_RING_SLOTS - 2 };
	struct got g = { 0 };
	uint64_t i;

	(void)state;
	for (i = KMINI_RING_SLOTS - 2; i < KMINI_RING_SLOTS + 3; i++)
		put(rg, i, 0, (uint32_t)i, i * 10);
	rg->hdr.head = KMINI_RING_SLOTS + 3;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_OK);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.r[4].tsc, (KMINI_RING_SLOTS + 2) * 10);
	assert_int_equal(st.tail, KMINI_RING_SLOTS + 3);
	free(rg);
}

static void test_kvm_mini_decode_ring_head_corrupt(void **state)
{
	struct ring *rg = calloc(1, sizeof(*rg));
	struct kmini_ring_state st = { .tail = 10 };
	struct got g = { 0 };

	(void)state;
	/* more than a ring ahead */
	rg->hdr.head = 10 + KMINI_RING_SLOTS + 1;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_BAD_HEAD);
	assert_int_equal(st.bad_head, 1);
	assert_int_equal(st.last_bad_head, 10 + KMINI_RING_SLOTS + 1);
	assert_int_equal(st.tail, 10);
	assert_int_equal(g.n, 0);
	/* behind the tail */
	rg->hdr.head = 9;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_BAD_HEAD);
	assert_int_equal(st.bad_head, 2);
	/* the largest head: no overflow in head - tail */
	rg->hdr.head = UINT64_MAX;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_BAD_HEAD);
	/* exactly one ring ahead is still legal: all slots are read, none beyond */
	rg->hdr.head = 10 + KMINI_RING_SLOTS;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim_1vcpu, &st, collect, &g),
			 KMINI_RING_OK);
	assert_int_equal(g.n, 0);                /* every slot unpublished (seq 0) */
	assert_int_equal(st.tail, 10);
	free(rg);
}

static void test_kvm_mini_decode_ring_garbage_records(void **state)
{
	struct ring *rg = calloc(1, sizeof(*rg));
	struct kmini_ring_limits lim = { .ntasks = 4, .nvcpus = 2, .vcpu = 1, .units = 100 };
	struct kmini_ring_state st = { 0 };
	struct got g = { 0 };

	(void)state;
	put(rg, 0, 1, 5, 1);         /* ok: task 1 is on vCPU 1 */
	put(rg, 1, 2, 5, 2);         /* task 2 runs on vCPU 0 */
	put(rg, 2, 9, 5, 3);         /* no such task */
	put(rg, 3, 3, 100, 4);       /* unit past the units */
	put(rg, 4, 3, 99, 5);        /* ok */
	rg->recs[5].seq = 5 + 1 + KMINI_RING_SLOTS;   /* a later lap overwrote slot 5 */
	put(rg, 6, 1, 6, 7);
	rg->hdr.head = 7;
	assert_int_equal(kmini_ring_drain(&rg->hdr, rg->recs, &lim, &st, collect, &g),
			 KMINI_RING_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.r[0].tsc, 1);
	assert_int_equal(g.r[1].tsc, 5);
	assert_int_equal(g.r[2].tsc, 7);
	assert_int_equal(st.rejected, 3);
	assert_int_equal(st.overwritten, 1);
	assert_int_equal(st.tail, 7);
	free(rg);
}

static void test_kvm_mini_decode_ring_random_bytes(void **state)
{
	struct ring *rg = malloc(sizeof(*rg));
	struct kmini_ring_limits lim = { .ntasks = 64, .nvcpus = 1, .vcpu = 0 };
	struct kmini_ring_state st = { 0 };
	struct got g = { 0 };
	uint64_t x = 88172645463325252ull;
	size_t i, n = sizeof(*rg) / 8;
	int round;

	(void)state;
	for (round = 0; round < 50; round++) {
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			((uint64_t *)rg)[i] = x;
		}
		if (round & 1)
			rg->hdr.head = st.tail + (x % (KMINI_RING_SLOTS + 1));
		/* whatever the bytes: bounded, and the tail never passes the head */
		(void)kmini_ring_drain(&rg->hdr, rg->recs, &lim, &st, collect, &g);
		assert_true(st.taken + st.rejected + st.overwritten <= st.tail);
	}
	free(rg);
}

static void test_kvm_mini_decode_steal_read(void **state)
{
	struct kmini_steal st;
	uint64_t v = 7;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.steal_ns = 123456789;
	st.version = 4;
	assert_int_equal(kmini_steal_read(&st, 3, &v), 0);
	assert_int_equal(v, 123456789);
	/* KVM is updating (odd version) forever: give up, leave the output alone */
	st.version = 5;
	v = 7;
	assert_int_equal(kmini_steal_read(&st, 100, &v), -1);
	assert_int_equal(v, 7);
}

static void test_kvm_mini_decode_ticks_read(void **state)
{
	struct kmini_ticks t = { .user = 1, .system = 2, .idle = 3, .steal = 4, .interrupts = 10,
				 .tick_ns = 4000000, .prev_steal_ns = 5, .steal_base_ns = 6 };
	struct kmini_ticks o;

	(void)state;
	kmini_ticks_read(&t, &o);
	assert_memory_equal(&t, &o, sizeof(t));
}

static void test_kvm_mini_decode_tsc_to_ns(void **state)
{
	struct kmini_tsc_conv c = { .ref_tsc = 1000000000000ull, .ref_ns = 5000000000ll,
				    .khz = 2600000 };

	(void)state;
	assert_int_equal(kmini_tsc_to_ns(&c, c.ref_tsc), 5000000000ll);
	/* 2.6e9 cycles at 2.6 GHz: one second later */
	assert_int_equal(kmini_tsc_to_ns(&c, c.ref_tsc + 2600000000ull), 6000000000ll);
	/* before the reference: earlier */
	assert_int_equal(kmini_tsc_to_ns(&c, c.ref_tsc - 2600000ull), 4999000000ll);
	/* 2.6 cycles per ns: rounding toward the reference */
	assert_int_equal(kmini_tsc_to_ns(&c, c.ref_tsc + 27), 5000000010ll);
	/* a day at 2.6 GHz does not overflow */
	assert_int_equal(kmini_tsc_to_ns(&c, c.ref_tsc + 2600000ull * 86400000ull),
			 5000000000ll + 86400ll * 1000000000ll);
	c.khz = 0;
	assert_int_equal(kmini_tsc_to_ns(&c, 42), 5000000000ll);
}

static void test_kvm_mini_decode_tsc_made_up_by_the_guest(void **state)
{
	struct kmini_tsc_conv c = { .ref_tsc = 1000, .ref_ns = 7000000000ll, .khz = 1 };
	int64_t lo, hi;

	(void)state;
	/* 2^64 cycles at 1 kHz is 5.8e20 ns: clamped, never wrapped or overflowed */
	hi = kmini_tsc_to_ns(&c, UINT64_MAX);
	lo = kmini_tsc_to_ns(&c, 0);
	assert_int_equal(hi, KMINI_TSC_NS_LIMIT);
	assert_int_equal(lo, 7000000000ll - 1000000000ll);
	c.ref_tsc = UINT64_MAX;
	assert_int_equal(kmini_tsc_to_ns(&c, 0), -KMINI_TSC_NS_LIMIT);
	/* what callers do with two of them stays in range */
	assert_true(hi - (-KMINI_TSC_NS_LIMIT) > 0);
	assert_true(-KMINI_TSC_NS_LIMIT - 7000000000ll < 0);
}

/* Sample k of a vCPU: t = 10 ms * k, run 10 ms per sample. */
static int watch(struct kmini_tick_watch *w, int k, uint64_t ticks, uint64_t run_ns)
{
	return kmini_tick_watch(w, (int64_t)k * 10000000, ticks, run_ns, 250000000);
}

static void test_kvm_mini_decode_tick_watch(void **state)
{
	struct kmini_tick_watch w;
	int k;

	(void)state;
	memset(&w, 0, sizeof(w));
	/* ticking: never fires */
	for (k = 0; k < 100; k++)
		assert_int_equal(watch(&w, k, (uint64_t)k * 3, (uint64_t)k * 10000000), 0);
	/* ticks stop at sample 99 (t 990 ms) while the vCPU runs on: fires past 250 ms */
	for (k = 100; k <= 124; k++)
		assert_int_equal(watch(&w, k, 297, (uint64_t)k * 10000000), 0);
	assert_int_equal(watch(&w, 125, 297, 1250000000), 1);
	assert_int_equal(w.since_ns, 990000000);
	assert_int_equal(w.run_ns, 990000000);
	/* a tick again: quiet */
	assert_int_equal(watch(&w, 126, 298, 1260000000), 0);
	/* ticks stand still while the vCPU does not run (the host took the CPU): quiet */
	memset(&w, 0, sizeof(w));
	for (k = 0; k < 200; k++)
		assert_int_equal(watch(&w, k, 5, 1000000), 0);
	/* run time that goes backwards (a new thread) starts over */
	memset(&w, 0, sizeof(w));
	assert_int_equal(watch(&w, 0, 5, 900000000), 0);
	assert_int_equal(watch(&w, 1, 5, 1000), 0);
	assert_int_equal(watch(&w, 2, 5, 251001000), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_mini_decode_ring_in_order),
		cmocka_unit_test(test_kvm_mini_decode_ring_stops_at_unpublished),
		cmocka_unit_test(test_kvm_mini_decode_ring_wraps),
		cmocka_unit_test(test_kvm_mini_decode_ring_head_corrupt),
		cmocka_unit_test(test_kvm_mini_decode_ring_garbage_records),
		cmocka_unit_test(test_kvm_mini_decode_ring_random_bytes),
		cmocka_unit_test(test_kvm_mini_decode_steal_read),
		cmocka_unit_test(test_kvm_mini_decode_ticks_read),
		cmocka_unit_test(test_kvm_mini_decode_tsc_to_ns),
		cmocka_unit_test(test_kvm_mini_decode_tsc_made_up_by_the_guest),
		cmocka_unit_test(test_kvm_mini_decode_tick_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
