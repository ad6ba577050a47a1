/*
 * fuzz_kmini: kvm-mini's host-side reading of guest shared memory
 * (kvm-mini/decode.h, kvm-mini/tickacct.h) driven by a hostile guest.
 *
 * The input is a program: a few bytes of ring limits and a starting tail,
 * then operations that a guest or the host performs on one vCPU's ring
 * header and its KMINI_RING_SLOTS records: publish records honestly,
 * reserve a slot and publish it later, drain (the host), move the head
 * anywhere, write any slot, scribble bytes over the records or the header;
 * and, on their own, the steal struct, the tick table, tick accounting, the
 * tick watch and the TSC conversion on bytes of the input.
 *
 * Checked after every drain, beyond "no crash":
 * - nothing outside the view is read or written: the host reads the records
 *   through a read-only mapping with inaccessible guard pages on both sides
 *   (a stray read or any write faults; the guest writes them through a
 *   second mapping of the same memory); the header is an exact heap block
 *   (ASan); of the header only the tail is ever written;
 * - a drain returns KMINI_RING_BAD_HEAD exactly when the head is behind the
 *   tail or more than a ring ahead, and then changes nothing but its count;
 * - the tail never passes the head, moves at most one ring, and every
 *   record it passes is counted once: taken + rejected + overwritten;
 * - the records delivered are those an independent reference walk finds,
 *   each a copy (never a pointer into guest memory) within the limits;
 * - while the guest behaved (only honest publishes and late publications
 *   of reserved slots), every record is delivered in order, none is lost or
 *   overwritten, and the tail stops exactly at the first unpublished slot.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "kvm-mini/decode.h"
#include "kvm-mini/tickacct.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOTS KMINI_RING_SLOTS
#define MASK (KMINI_RING_SLOTS - 1)
#define RECS_BYTES ((size_t)SLOTS * sizeof(struct kmini_record))

enum op {
	OP_PUBLISH, OP_RESERVE, OP_FILL_HOLE, OP_DRAIN, OP_HEAD_REL, OP_HEAD_RAW, OP_WRITE_SLOT,
	OP_SCRIBBLE, OP_HDR_SCRIBBLE, OP_STEAL, OP_TICKS, OP_TSC, OP_WATCH, NOPS,
};

/* The input, read front to back; past its end every read gives 0. */
struct in {
	const uint8_t *p;
	size_t n, pos;
};

static uint64_t get(struct in *in, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)(in->pos < in->n ? in->p[in->pos++] : 0) << (8 * i);
	return v;
}

static int more(const struct in *in)
{
	return in->pos < in->n;
}

/*
 * The records, as one memfd mapped twice: the guest's view (read-write)
 * and the host's (read-only, between two PROT_NONE guard pages), like
 * guest memory that the host must only read.
 */
static struct kmini_record *recs;        /* the guest's view */
static const struct kmini_record *hview; /* the host's view */
static uint8_t dirty[SLOTS / 8];       /* slots written by this input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *region;
	void *p;
	int fd;

	(void)argc;
	(void)argv;
	fuzz_init();
	fd = memfd_create("kmini-ring", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && ftruncate(fd, (off_t)RECS_BYTES) == 0);
	region = mmap(NULL, RECS_BYTES + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(region != MAP_FAILED);
	p = mmap(region + page, RECS_BYTES, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	FUZZ_CHECK(p == region + page);
	hview = p;
	p = mmap(NULL, RECS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	FUZZ_CHECK(p != MAP_FAILED);
	recs = p;
	close(fd);
	return 0;
}

/* Slot @slot is about to be written by the guest. */
static void mark(uint64_t slot)
{
	dirty[(slot & MASK) / 8] |= (uint8_t)(1u << (slot & 7));
}

static void clean_records(void)
{
	size_t i;

	for (i = 0; i < SLOTS; i++)
		if (dirty[i / 8] & (1u << (i & 7)))
			memset(&recs[i], 0, sizeof(recs[i]));
	memset(dirty, 0, sizeof(dirty));
}

/*
 * What the honest guest put at each index it reserved, while it was honest
 * (honest about the ring: its records may still name a task or unit out of
 * range, which the host must reject).
 */
struct expect {
	struct kmini_record r[SLOTS];  /* by index & MASK */
	uint8_t published[SLOTS];
	uint64_t holes[64];            /* reserved, not yet published, oldest first */
	size_t nholes;
	int honest;                    /* no corrupting operation so far */
};

struct world {
	struct kmini_ring_hdr *hdr;    /* exact heap block: ASan guards it */
	struct kmini_ring_limits lim;
	struct kmini_ring_state st;
	struct expect *ex;
	uint64_t tsc;
};

/* ---- the guest's side ------------------------------------------------------ */

/* A task the limits accept, from @k, when there is one; else any. */
static uint32_t valid_task(const struct kmini_ring_limits *lim, uint64_t k)
{
	uint32_t per;

	if (lim->nvcpus == 0 || lim->vcpu >= lim->ntasks || lim->vcpu >= lim->nvcpus)
		return (uint32_t)k;
	per = (lim->ntasks - lim->vcpu + lim->nvcpus - 1) / lim->nvcpus;
	return lim->vcpu + lim->nvcpus * (uint32_t)(k % per);
}

/* Reserve the next index as the guest does (full: nothing); 0 or -1. */
static int reserve(struct world *w, uint64_t *idx)
{
	if (w->hdr->head - w->hdr->tail >= SLOTS)
		return -1;             /* the guest counts it dropped */
	*idx = w->hdr->head++;
	return 0;
}

static void publish_at(struct world *w, uint64_t idx, struct in *in)
{
	struct kmini_record *r = &recs[idx & MASK];
	uint64_t k = get(in, 1);

	mark(idx);
	r->tsc = w->tsc += 1 + get(in, 1);
	/* mostly valid tasks and units; some just past the limits (rejected) */
	r->task = valid_task(&w->lim, k);
	if (k & 0x80)
		r->task = k & 0x40 ? w->lim.ntasks : w->lim.vcpu + 1;
	r->unit = (uint32_t)get(in, 2);
	if (w->lim.units && r->unit > w->lim.units)
		r->unit %= (uint32_t)w->lim.units + 1;
	r->pad = 0;
	r->seq = idx + 1;              /* last: publishes the record */
	w->ex->r[idx & MASK] = *r;
	w->ex->published[idx & MASK] = 1;
}

static void op_publish(struct world *w, struct in *in)
{
	uint64_t n = 1 + get(in, 1) % 32, i, idx;

	for (i = 0; i < n; i++)
		if (reserve(w, &idx) == 0)
			publish_at(w, idx, in);
}

static void op_reserve(struct world *w)
{
	uint64_t idx;

	if (w->ex->nholes == sizeof(w->ex->holes) / sizeof(w->ex->holes[0]))
		return;
	if (reserve(w, &idx) == 0) {
		w->ex->published[idx & MASK] = 0;
		w->ex->holes[w->ex->nholes++] = idx;
	}
}

static void op_fill_hole(struct world *w, struct in *in)
{
	uint64_t idx;

	if (!w->ex->nholes)
		return;
	idx = w->ex->holes[0];
	memmove(w->ex->holes, w->ex->holes + 1, --w->ex->nholes * sizeof(w->ex->holes[0]));
	if (idx < w->st.tail)
		return;                /* only after corruption: the host moved past it */
	publish_at(w, idx, in);
}

/* Operations that no honest guest performs. */
static void op_corrupt(struct world *w, enum op op, struct in *in)
{
	uint64_t slot, off, len, i;
	uint8_t *b;

	w->ex->honest = 0;
	switch (op) {
	case OP_HEAD_REL:
		w->hdr->head = w->st.tail + (uint64_t)(int64_t)(int16_t)get(in, 2);
		break;
	case OP_HEAD_RAW:
		w->hdr->head = get(in, 8);
		break;
	case OP_WRITE_SLOT:
		slot = get(in, 2) & MASK;
		mark(slot);
		recs[slot].seq = get(in, 1) & 1 ? get(in, 8) : w->st.tail + get(in, 2);
		recs[slot].tsc = get(in, 8);
		recs[slot].task = (uint32_t)get(in, 4);
		recs[slot].unit = (uint32_t)get(in, 4);
		recs[slot].pad = get(in, 8);
		break;
	case OP_SCRIBBLE:
		off = get(in, 3) % RECS_BYTES;
		len = 1 + get(in, 1);
		b = (uint8_t *)recs;
		for (i = 0; i < len && off + i < RECS_BYTES; i++) {
			mark((off + i) / sizeof(struct kmini_record));
			b[off + i] = (uint8_t)get(in, 1);
		}
		break;
	default:                       /* OP_HDR_SCRIBBLE */
		off = get(in, 1) % sizeof(*w->hdr);
		len = 1 + get(in, 1) % 16;
		b = (uint8_t *)w->hdr;
		for (i = 0; i < len && off + i < sizeof(*w->hdr); i++)
			b[off + i] = (uint8_t)get(in, 1);
		break;
	}
}

/* ---- the host's side: a drain, against a reference ----------------------------- */

struct got {
	struct kmini_record r[SLOTS];
	size_t n;
	int inside;                    /* a record handed over lay in guest memory */
};

static void sink(void *arg, const struct kmini_record *r)
{
	struct got *g = arg;
	const uint8_t *p = (const uint8_t *)r;

	if ((p + sizeof(*r) > (const uint8_t *)recs && p < (const uint8_t *)recs + RECS_BYTES) ||
	    (p + sizeof(*r) > (const uint8_t *)hview && p < (const uint8_t *)hview + RECS_BYTES))
		g->inside = 1;
	FUZZ_CHECK(g->n < SLOTS);
	g->r[g->n++] = *r;
}

static int in_limits(const struct kmini_ring_limits *lim, const struct kmini_record *r)
{
	if (lim->nvcpus == 0 || r->task >= lim->ntasks)
		return 0;
	if (r->task % lim->nvcpus != lim->vcpu)
		return 0;
	return lim->units == 0 || r->unit < lim->units;
}

/*
 * The reference: walk index by index from the tail, written from decode.h's
 * words: stop at an unpublished slot (seq at most the index), skip one a
 * later lap overwrote (seq above index + 1), else take it or reject it.
 */
static void reference(const struct world *w, uint64_t head, struct got *want, uint64_t *tail,
		      uint64_t *rejected, uint64_t *overwritten)
{
	uint64_t idx = w->st.tail;
	const struct kmini_record *r;

	want->n = 0;
	*rejected = *overwritten = 0;
	while (idx != head) {
		r = &recs[idx & MASK];
		if (r->seq <= idx)
			break;
		if (r->seq - 1 != idx) {
			++*overwritten;
		} else if (!in_limits(&w->lim, r)) {
			++*rejected;
		} else {
			want->r[want->n] = *r;
			want->r[want->n++].pad = 0;
		}
		idx++;
	}
	*tail = idx;
}

static void op_drain(struct world *w)
{
	static struct got got, want;
	struct kmini_ring_state before = w->st;
	struct kmini_ring_hdr hdr0 = *w->hdr;
	uint64_t head = w->hdr->head, tail, rej, over, moved, k;
	int bad, rc;

	bad = head < before.tail || head - before.tail > SLOTS;
	if (!bad)
		reference(w, head, &want, &tail, &rej, &over);
	got.n = 0;
	got.inside = 0;
	rc = kmini_ring_drain(w->hdr, hview, &w->lim, &w->st, sink, &got);

	FUZZ_CHECK(!got.inside);
	if (bad) {
		FUZZ_CHECKF(rc == KMINI_RING_BAD_HEAD, "head %llu, tail %llu: rc %d",
			    (unsigned long long)head, (unsigned long long)before.tail, rc);
		FUZZ_CHECK(got.n == 0);
		FUZZ_CHECK(memcmp(&hdr0, w->hdr, sizeof(hdr0)) == 0);
		FUZZ_CHECK(w->st.bad_head == before.bad_head + 1 && w->st.last_bad_head == head);
		FUZZ_CHECK(w->st.tail == before.tail && w->st.taken == before.taken &&
			   w->st.rejected == before.rejected &&
			   w->st.overwritten == before.overwritten);
		return;
	}
	FUZZ_CHECKF(rc == KMINI_RING_OK, "head %llu, tail %llu: rc %d", (unsigned long long)head,
		    (unsigned long long)before.tail, rc);
	/* the tail: never past the head, at most a ring, every record counted once */
	FUZZ_CHECK(w->st.tail >= before.tail && w->st.tail <= head);
	moved = w->st.tail - before.tail;
	FUZZ_CHECK(moved <= SLOTS);
	FUZZ_CHECK((w->st.taken - before.taken) + (w->st.rejected - before.rejected) +
		   (w->st.overwritten - before.overwritten) == moved);
	FUZZ_CHECK(w->st.taken - before.taken == got.n);
	FUZZ_CHECK(w->st.bad_head == before.bad_head);
	/* of the header, only the tail was written, with the new tail */
	FUZZ_CHECK(w->hdr->tail == w->st.tail);
	hdr0.tail = w->hdr->tail;
	FUZZ_CHECK(memcmp(&hdr0, w->hdr, sizeof(hdr0)) == 0);
	/* the same as the reference */
	FUZZ_CHECKF(w->st.tail == tail, "tail %llu, reference %llu", (unsigned long long)w->st.tail,
		    (unsigned long long)tail);
	FUZZ_CHECK(w->st.rejected - before.rejected == rej);
	FUZZ_CHECK(w->st.overwritten - before.overwritten == over);
	FUZZ_CHECK(got.n == want.n);
	for (k = 0; k < got.n; k++) {
		FUZZ_CHECK(memcmp(&got.r[k], &want.r[k], sizeof(got.r[k])) == 0);
		FUZZ_CHECK(in_limits(&w->lim, &got.r[k]));
		FUZZ_CHECK(got.r[k].seq > before.tail && got.r[k].seq <= w->st.tail);
		FUZZ_CHECK(k == 0 || got.r[k].seq > got.r[k - 1].seq);
	}
	if (!w->ex->honest)
		return;
	/* an honest guest: nothing lost, in order, stopped at the first hole */
	FUZZ_CHECK(w->st.overwritten == 0);
	for (k = before.tail; k < w->st.tail; k++)
		FUZZ_CHECK(w->ex->published[k & MASK]);
	FUZZ_CHECK(w->st.tail == head || !w->ex->published[w->st.tail & MASK]);
	for (k = 0, moved = before.tail; moved < w->st.tail; moved++) {
		const struct kmini_record *e = &w->ex->r[moved & MASK];

		if (!in_limits(&w->lim, e))
			continue;
		FUZZ_CHECK(k < got.n && memcmp(&got.r[k], e, sizeof(*e)) == 0);
		k++;
	}
	FUZZ_CHECK(k == got.n);
}

/* ---- the steal struct, the tick table, tick accounting, the watch, the TSC ---- */

static void op_steal(struct in *in)
{
	struct kmini_steal *s = malloc(sizeof(*s));
	uint64_t out = 0x5eed5eed5eed5eedull;
	int tries = (int)(get(in, 1) % 5), rc;

	FUZZ_CHECK(s);
	memset(s, 0, sizeof(*s));
	s->steal_ns = get(in, 8);
	s->version = (uint32_t)get(in, 4);
	s->flags = (uint32_t)get(in, 4);
	rc = kmini_steal_read(s, tries, &out);
	if (tries > 0 && !(s->version & 1)) {
		FUZZ_CHECK(rc == 0 && out == s->steal_ns);
	} else {
		FUZZ_CHECK(rc == -1 && out == 0x5eed5eed5eed5eedull);
	}
	free(s);
}

/* One kmini_tick_account() step, checked against its header's words. */
static void tick_step(struct kmini_ticks *t, uint64_t now, enum kmini_tick_ctx ctx)
{
	struct kmini_ticks b = *t;
	uint64_t tick = b.tick_ns ? b.tick_ns : 1, base, k, got;

	base = now < b.prev_steal_ns ? now : b.prev_steal_ns;
	k = (now - base) / tick;
	got = kmini_tick_account(t, now, ctx);
	FUZZ_CHECK(got == k);
	FUZZ_CHECK(t->interrupts == b.interrupts + 1);
	FUZZ_CHECK(t->tick_ns == tick && t->steal_base_ns == b.steal_base_ns);
	FUZZ_CHECK(t->prev_steal_ns <= now && now - t->prev_steal_ns < tick);
	if (k) {
		FUZZ_CHECK(t->steal == b.steal + k && t->prev_steal_ns == base + k * tick);
		FUZZ_CHECK(t->user == b.user && t->system == b.system && t->idle == b.idle);
		return;
	}
	FUZZ_CHECK(t->steal == b.steal && t->prev_steal_ns == base);
	FUZZ_CHECK(t->user == b.user + (ctx == KMINI_CTX_USER));
	FUZZ_CHECK(t->idle == b.idle + (ctx == KMINI_CTX_IDLE));
	FUZZ_CHECK(t->system == b.system + (ctx != KMINI_CTX_USER && ctx != KMINI_CTX_IDLE));
}

static void op_ticks(struct in *in)
{
	struct kmini_ticks *t = malloc(sizeof(*t)), copy;
	uint64_t base, now, steps, i;
	int monotone = 1;

	FUZZ_CHECK(t);
	/* the host's copy of a table the guest wrote: all of it, nothing else */
	memset(t, 0, sizeof(*t));
	t->user = get(in, 8);
	t->steal = get(in, 2);
	t->tick_ns = get(in, 4);
	t->prev_steal_ns = get(in, 8);
	kmini_ticks_read(t, &copy);
	FUZZ_CHECK(memcmp(t, &copy, sizeof(copy)) == 0);
	/* the guest's accounting from enable: every steal ns is charged or carried */
	base = get(in, 8);
	kmini_tick_init(t, get(in, 4), base);
	FUZZ_CHECK(t->tick_ns > 0 && t->prev_steal_ns == base && t->steal == 0);
	now = base;
	steps = 1 + get(in, 1) % 64;
	for (i = 0; i < steps && more(in); i++) {
		uint64_t d = get(in, 4), mode = get(in, 1);

		if (mode % 8 == 0) {
			now = get(in, 8);          /* a scribbled steal clock: anything */
			monotone = 0;
		} else if (now + d >= now) {
			now += d;
		}
		tick_step(t, now, (enum kmini_tick_ctx)(mode / 8 % 4));
	}
	if (monotone)
		FUZZ_CHECK((unsigned __int128)t->steal * t->tick_ns + (now - t->prev_steal_ns) ==
			   (unsigned __int128)(now - base));
	free(t);
}

static void op_watch(struct in *in)
{
	struct kmini_tick_watch w;
	uint64_t limit = get(in, 3), ticks = 0, run = 0, ticks_at = 0, run_at = 0;
	int64_t t = 0, since = 0;
	int steps = 1 + (int)(get(in, 1) % 32), i, fired, have = 0;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < steps; i++) {
		t += (int64_t)get(in, 2);
		if (get(in, 1) & 1)
			ticks += get(in, 1);
		run = get(in, 1) == 0xff ? run - get(in, 2) : run + get(in, 3);
		fired = kmini_tick_watch(&w, t, ticks, run, limit);
		if (!have || ticks != ticks_at || run < run_at) {
			ticks_at = ticks;
			run_at = run;
			since = t;
			have = 1;
			FUZZ_CHECK(!fired);
		} else {
			FUZZ_CHECK(fired == (run - run_at > limit));
		}
		FUZZ_CHECK(w.since_ns == since && w.ticks == ticks_at && w.run_ns == run_at);
	}
}

static int64_t clamp_ns(__int128 v)
{
	if (v > KMINI_TSC_NS_LIMIT)
		return KMINI_TSC_NS_LIMIT;
	if (v < -KMINI_TSC_NS_LIMIT)
		return -KMINI_TSC_NS_LIMIT;
	return (int64_t)v;
}

static void op_tsc(struct in *in)
{
	struct kmini_tsc_conv c;
	uint64_t a, b, x;
	int64_t fa, fb;
	__int128 d;

	c.ref_tsc = get(in, 8);
	c.ref_ns = (int64_t)get(in, 8) % KMINI_TSC_NS_LIMIT;   /* a real clock reading */
	c.khz = get(in, 1) & 1 ? get(in, 8) : get(in, 3);
	a = get(in, 1) & 1 ? get(in, 8) : c.ref_tsc + (uint64_t)(int64_t)(int32_t)get(in, 4);
	b = get(in, 8);
	if (a > b) {
		x = a;
		a = b;
		b = x;
	}
	fa = kmini_tsc_to_ns(&c, a);
	fb = kmini_tsc_to_ns(&c, b);
	if (c.khz == 0) {
		FUZZ_CHECK(fa == c.ref_ns && fb == c.ref_ns);
		return;
	}
	FUZZ_CHECK(fa <= fb);              /* later TSC, later time */
	FUZZ_CHECK(fa >= -KMINI_TSC_NS_LIMIT && fb <= KMINI_TSC_NS_LIMIT);
	FUZZ_CHECK(kmini_tsc_to_ns(&c, c.ref_tsc) == c.ref_ns);
	/* exact: ns = ref + (tsc - ref) * 10^6 / kHz, truncated toward zero */
	d = (__int128)a - (__int128)c.ref_tsc;
	FUZZ_CHECK(fa == clamp_ns((__int128)c.ref_ns + d * 1000000 / (__int128)c.khz));
}

/* ---- the program ------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct expect ex;
	struct in in = { data, size, 0 };
	struct world w;
	uint64_t tail;
	enum op op;
	int steps = 0;

	memset(&w, 0, sizeof(w));
	memset(ex.published, 0, sizeof(ex.published));
	ex.nholes = 0;
	ex.honest = 1;
	w.ex = &ex;
	w.hdr = malloc(sizeof(*w.hdr));
	FUZZ_CHECK(w.hdr);
	memset(w.hdr, 0, sizeof(*w.hdr));
	w.lim.ntasks = (uint32_t)get(&in, 1) % 70;
	w.lim.nvcpus = (uint32_t)get(&in, 1) % 10;
	w.lim.vcpu = (uint32_t)get(&in, 1) % 10;
	w.lim.units = get(&in, 1) & 1 ? get(&in, 2) : 0;
	tail = get(&in, 1) & 1 ? get(&in, 8) : get(&in, 2);
	if (tail > UINT64_MAX - 4 * (uint64_t)SLOTS)
		tail = UINT64_MAX - 4 * (uint64_t)SLOTS;   /* an honest guest never wraps */
	w.st.tail = tail;
	w.hdr->head = w.hdr->tail = tail;

	while (more(&in) && steps++ < 256) {
		op = (enum op)(get(&in, 1) % NOPS);
		switch (op) {
		case OP_PUBLISH:
			op_publish(&w, &in);
			break;
		case OP_RESERVE:
			op_reserve(&w);
			break;
		case OP_FILL_HOLE:
			op_fill_hole(&w, &in);
			break;
		case OP_DRAIN:
			op_drain(&w);
			break;
		case OP_STEAL:
			op_steal(&in);
			break;
		case OP_TICKS:
			op_ticks(&in);
			break;
		case OP_TSC:
			op_tsc(&in);
			break;
		case OP_WATCH:
			op_watch(&in);
			break;
		default:
			op_corrupt(&w, op, &in);
			break;
		}
	}
	op_drain(&w);                  /* the last drain, as after the run */
	free(w.hdr);
	clean_records();
	return 0;
}
