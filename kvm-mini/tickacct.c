/*
 * tickacct: see tickacct.h. Compiled twice (into the guest and the host),
 * the steal-clock reader and the accounting alike: stdint only, bounded
 * loops, no division by anything the caller did not check.
 */
#include "kvm-mini/tickacct.h"

int kmini_steal_read(const volatile struct kmini_steal *st, int tries, uint64_t *steal_ns)
{
	uint32_t v1, v2;
	uint64_t s;
	int i;

	for (i = 0; i < tries; i++) {
		v1 = st->version;
		KMINI_READ_BARRIER();
		s = st->steal_ns;
		KMINI_READ_BARRIER();
		v2 = st->version;
		if (!(v1 & 1) && v1 == v2) {
			*steal_ns = s;
			return 0;
		}
	}
	return -1;
}

void kmini_tick_init(struct kmini_ticks *t, uint64_t tick_ns, uint64_t steal_now_ns)
{
	t->user = 0;
	t->system = 0;
	t->idle = 0;
	t->steal = 0;
	t->interrupts = 0;
	t->tick_ns = tick_ns ? tick_ns : 1;
	t->prev_steal_ns = steal_now_ns;
	t->steal_base_ns = steal_now_ns;
}

uint64_t kmini_tick_account(struct kmini_ticks *t, uint64_t steal_now_ns, enum kmini_tick_ctx ctx)
{
	uint64_t steal_ticks;

	t->interrupts++;
	if (t->tick_ns == 0)
		t->tick_ns = 1;
	if (steal_now_ns < t->prev_steal_ns)
		t->prev_steal_ns = steal_now_ns;
	steal_ticks = (steal_now_ns - t->prev_steal_ns) / t->tick_ns;
	if (steal_ticks) {
		/* the remainder below one tick stays for the next one */
		t->prev_steal_ns += steal_ticks * t->tick_ns;
		t->steal += steal_ticks;
		return steal_ticks;
	}
	switch (ctx) {
	case KMINI_CTX_USER:
		t->user++;
		break;
	case KMINI_CTX_IDLE:
		t->idle++;
		break;
	default:
		t->system++;
		break;
	}
	return 0;
}
