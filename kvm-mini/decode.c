/*
 * decode: see decode.h. Every read of guest memory goes through a volatile
 * pointer, once per field, and is checked before it is used.
 */
#include "kvm-mini/decode.h"

int kmini_ring_drain(volatile struct kmini_ring_hdr *hdr, const volatile struct kmini_record *recs,
		     const struct kmini_ring_limits *lim, struct kmini_ring_state *st,
		     kmini_record_fn fn, void *arg)
{
	uint64_t head = hdr->head, n, seq, i;
	struct kmini_record r;

	KMINI_READ_BARRIER();
	if (head < st->tail || head - st->tail > KMINI_RING_SLOTS) {
		st->bad_head++;
		st->last_bad_head = head;
		return KMINI_RING_BAD_HEAD;
	}
	n = head - st->tail;
	for (i = 0; i < n; i++) {
		const volatile struct kmini_record *slot = &recs[st->tail & (KMINI_RING_SLOTS - 1)];

		seq = slot->seq;
		KMINI_READ_BARRIER();
		if (seq < st->tail + 1)
			break;                 /* reserved, not yet published */
		if (seq > st->tail + 1) {
			st->overwritten++;     /* a later lap wrote here: this record is lost */
			st->tail++;
			continue;
		}
		r.seq = seq;
		r.tsc = slot->tsc;
		r.task = slot->task;
		r.unit = slot->unit;
		r.pad = 0;
		KMINI_READ_BARRIER();
		if (slot->seq != seq) {
			st->overwritten++;
			st->tail++;
			continue;
		}
		st->tail++;
		if (r.task >= lim->ntasks || lim->nvcpus == 0 || r.task % lim->nvcpus != lim->vcpu ||
		    (lim->units && r.unit >= lim->units)) {
			st->rejected++;
			continue;
		}
		st->taken++;
		fn(arg, &r);
	}
	hdr->tail = st->tail;
	return KMINI_RING_OK;
}

void kmini_ticks_read(const volatile struct kmini_ticks *src, struct kmini_ticks *out)
{
	out->user = src->user;
	out->system = src->system;
	out->idle = src->idle;
	out->steal = src->steal;
	out->interrupts = src->interrupts;
	out->tick_ns = src->tick_ns;
	out->prev_steal_ns = src->prev_steal_ns;
	out->steal_base_ns = src->steal_base_ns;
}

int kmini_tick_watch(struct kmini_tick_watch *w, int64_t t_ns, uint64_t ticks, uint64_t run_ns,
		     uint64_t limit_ns)
{
	if (!w->have || ticks != w->ticks || run_ns < w->run_ns) {
		w->ticks = ticks;
		w->run_ns = run_ns;
		w->since_ns = t_ns;
		w->have = 1;
		return 0;
	}
	return run_ns - w->run_ns > limit_ns;
}

int64_t kmini_tsc_to_ns(const struct kmini_tsc_conv *c, uint64_t tsc)
{
	__int128 d = (__int128)tsc - (__int128)c->ref_tsc, ns;

	if (c->khz == 0)
		return c->ref_ns;
	/* |d| < 2^64, so d * 10^6 < 2^84: no overflow in 128 bits */
	ns = (__int128)c->ref_ns + d * 1000000 / (__int128)c->khz;
	if (ns > KMINI_TSC_NS_LIMIT)
		return KMINI_TSC_NS_LIMIT;
	if (ns < -KMINI_TSC_NS_LIMIT)
		return -KMINI_TSC_NS_LIMIT;
	return (int64_t)ns;
}
