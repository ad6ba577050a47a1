/*
 * tasks: the guest's CPL3 side. A task runs its workload and, for sched,
 * stamps every finished work unit into its vCPU's ring in shared memory,
 * where the host drains it without any exit. The work unit is
 * guest-tools/workunit.c, the very source the native sched-load runs.
 *
 * Tasks of one vCPU share its ring and preempt each other only at ticks,
 * so a slot is reserved with a compare-and-swap on the head and published
 * by writing its sequence number last. Test payloads (enum kmini_workload
 * >= KMINI_WL_FAULT) misbehave on purpose, from CPL3 as a buggy or hostile
 * guest program would, or ask the kernel to (KMINI_SYS_HOSTILE, kernel.c).
 */
#include "guest-tools/workunit.h"
#include "kvm-mini/guest/hw.h"

#define BAD_ADDR 0x40000000ull        /* past the mapped guest memory */
#define HOSTILE_AFTER_UNITS 20
#define INF_LOOP_CHUNK 100000
#define HOSTILE_AFTER_LOOPS 20000000ull /* 10-40 ms of work: a few ticks first */

static void ring_push(struct kmini_vcpu_area *a, uint32_t vcpu, uint32_t task, uint32_t unit)
{
	struct kmini_record *recs = (struct kmini_record *)KMINI_RING_RECORDS_GPA(vcpu);
	volatile struct kmini_ring_hdr *h = &a->ring;
	struct kmini_record *r;
	uint64_t head;

	for (;;) {
		head = h->head;
		if (head - h->tail >= KMINI_RING_SLOTS) {
			__atomic_fetch_add(&a->ring.dropped, 1, __ATOMIC_RELAXED);
			return;
		}
		if (__atomic_compare_exchange_n(&a->ring.head, &head, head + 1, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
	}
	r = &recs[head & (KMINI_RING_SLOTS - 1)];
	r->tsc = rdtsc();
	r->task = task;
	r->unit = unit;
	__atomic_store_n(&r->seq, head + 1, __ATOMIC_RELEASE);
}

/* xorshift bytes over the vCPU area and its ring records. */
static void scribble(struct kmini_vcpu_area *a, uint32_t vcpu)
{
	uint64_t *p = (uint64_t *)a, x = 0x9e3779b97f4a7c15ull;
	uint64_t *recs = (uint64_t *)KMINI_RING_RECORDS_GPA(vcpu);
	uint64_t i;

	for (i = 0; i < sizeof(*a) / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	for (i = 0; i < KMINI_RING_SLOTS * sizeof(struct kmini_record) / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		recs[i] = x;
	}
}

__attribute__((noreturn)) static void sys_exit(void)
{
	for (;;)
		__asm__ volatile("int $0x80" : : "a"((uint64_t)KMINI_SYS_EXIT) : "memory");
}

/* rdtsc deltas of a probe; the minimum is the run nobody preempted. */
#define CALIB_PROBES 8
#define CALIB_MAX_LOOPS (1ull << 40)

/* workunit_spin() loops of one unit of cfg->unit_work_ns on this vCPU; *@x: the chain's sink. */
static uint64_t calibrate(const struct kmini_cfg *cfg, struct kmini_vcpu_area *a, uint64_t *x)
{
	uint64_t n = 1024, t0, t, best = ~0ull, cycles_per_unit, loops;
	uint64_t ms_cycles = cfg->tsc_khz ? cfg->tsc_khz : 1000000;
	int i;

	/* grow the probe until it takes a millisecond */
	for (;;) {
		t0 = rdtsc();
		*x = workunit_spin(n, *x);
		t = rdtsc() - t0;
		if (t >= ms_cycles || n >= CALIB_MAX_LOOPS)
			break;
		n *= 2;
	}
	for (i = 0; i < CALIB_PROBES; i++) {
		t0 = rdtsc();
		*x = workunit_spin(n, *x);
		t = rdtsc() - t0;
		if (t < best)
			best = t;
	}
	if (best == 0)
		best = 1;
	/* loops = unit cycles * n / best, without 128-bit division */
	cycles_per_unit = cfg->unit_work_ns * ms_cycles / 1000000;
	loops = cycles_per_unit / best * n + (cycles_per_unit % best) * n / best;
	a->calib_probe_loops = n;
	a->calib_probe_tsc = best;
	return loops ? loops : 1;
}

/*
 * The vCPU's first task: calibrate (when asked), report ready, then spin on
 * the host's release. The spin is plain loads at CPL3: no PAUSE (it would
 * bring pause-loop exits), nothing emulated, seen within nanoseconds while
 * the vCPU runs, so release_tsc pairs the guest TSC with the host's t0.
 */
__attribute__((noreturn)) void start_main(uint64_t vcpu, uint64_t want_calibration)
{
	const struct kmini_cfg *cfg = &SHARED->cfg;
	struct kmini_vcpu_area *a = &SHARED->vcpu[vcpu % KMINI_MAX_VCPUS];
	uint64_t x = 1, loops = want_calibration ? calibrate(cfg, a, &x) : 0;
	uint64_t nr = KMINI_SYS_CALIBRATED;

	__asm__ volatile("int $0x80" : "+a"(nr) : "D"(loops), "S"(x) : "memory");
	while (!__atomic_load_n(&cfg->release, __ATOMIC_ACQUIRE))
		;
	a->release_tsc = rdtsc();
	for (;;)
		__asm__ volatile("int $0x80" : : "a"((uint64_t)KMINI_SYS_RELEASED) : "memory");
}

__attribute__((noreturn)) void task_main(uint64_t task, uint64_t loops_per_unit)
{
	const struct kmini_cfg *cfg = &SHARED->cfg;
	uint32_t nvcpus = cfg->nvcpus ? cfg->nvcpus : 1;
	uint32_t vcpu = (uint32_t)(task % nvcpus);
	struct kmini_vcpu_area *a = &SHARED->vcpu[vcpu];
	uint32_t wl = cfg->workload;
	uint64_t u, x = task + 1;

	if (wl == KMINI_WL_FAULT && task == 0)
		x += *(volatile uint64_t *)BAD_ADDR;
	if (wl >= KMINI_WL_RING0_LOOP && wl <= KMINI_WL_BAD_OPCODE && task == 0) {
		x = workunit_spin(HOSTILE_AFTER_LOOPS, x);
		if (wl == KMINI_WL_BAD_OPCODE)
			__asm__ volatile("ud2");
		__asm__ volatile("int $0x80" : : "a"((uint64_t)KMINI_SYS_HOSTILE) : "memory");
	}
	if (wl == KMINI_WL_INF_LOOP || (wl >= KMINI_WL_RING0_LOOP && wl <= KMINI_WL_BAD_OPCODE))
		for (;;)
			x = workunit_spin(INF_LOOP_CHUNK, x);
	for (u = 0; cfg->units == 0 || u < cfg->units; u++) {
		x = workunit_spin(loops_per_unit, x);
		ring_push(a, vcpu, (uint32_t)task, (uint32_t)u);
		if (task == 0 && u == HOSTILE_AFTER_UNITS) {
			if (wl == KMINI_WL_GARBAGE)
				scribble(a, vcpu);
			else if (wl == KMINI_WL_RING_CORRUPT)
				a->ring.head += 1000000007ull;
		}
	}
	sys_exit();
}
