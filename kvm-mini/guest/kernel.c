/*
 * kernel: the kvm-mini guest's ring 0. Per vCPU: its own GDT with a TSS
 * (ring-0 stack for interrupts from CPL3), an IDT whose exception stubs
 * report vector, error code, RIP and CR2 to the host and stop, paravirtual
 * steal time, an x2APIC periodic tick that does Linux-style tick accounting
 * (kvm-mini/tickacct.h) and switches round-robin between this vCPU's CPL3
 * tasks, and an idle task that halts with interrupts on. The tasks start
 * only once the host releases them (cfg.release): boot and calibration
 * happen before the host's t0, never inside a run.
 *
 * The kernel keeps its own state (config copy, tick counters, task frames)
 * in its per-CPU block, never in the shared area: a task that scribbles
 * over the shared area cannot change what the kernel does, only what it
 * reports. Ring 0 stays minimal: on kvm_pvm every ring-0 instruction is
 * emulated.
 */
#include "kvm-mini/guest/hw.h"
#include "kvm-mini/tickacct.h"

#define MSR_APIC_BASE      0x1bu
#define APIC_BASE_EN       (1ull << 11)
#define APIC_BASE_EXTD     (1ull << 10)
#define X2APIC_EOI         0x80bu
#define X2APIC_SVR         0x80fu
#define X2APIC_LVT_TIMER   0x832u
#define X2APIC_TIMER_INIT  0x838u
#define X2APIC_TIMER_DIV   0x83eu
#define LVT_TIMER_PERIODIC (1u << 17)
#define APIC_SVR_ENABLE    (1u << 8)
#define APIC_DIV_BY_1      0xbu

#define KVM_CPUID_FEATURES   0x40000001u
#define KVM_FEATURE_STEAL_BIT 5
#define CPUID1_ECX_X2APIC    (1u << 21)

#define RFLAGS_IF   0x200ull
#define RFLAGS_RSVD 0x2ull

#define IDLE_STACK_OFF  0xa000ull      /* idle stack: [40 KiB, 44 KiB) of the block */
#define STEAL_READ_TRIES 1000

struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS");

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate");

struct ktask {
	struct kframe frame;           /* saved while not running */
	uint32_t id;                   /* global task number */
	uint32_t alive;
};

/* The per-CPU block: at KMINI_PERCPU_GPA + vcpu * KMINI_PERCPU_BYTES. */
struct kcpu {
	uint32_t vcpu;
	int32_t cur;                   /* index into task[], -1: idle runs */
	uint32_t ntasks;
	uint32_t alive;
	uint32_t starting;             /* the start task runs, nothing else */
	uint32_t pad;
	struct kmini_vcpu_area *area;
	uint64_t calib_start_tsc;
	struct kmini_cfg cfg;          /* private copy, read once at boot */
	struct kmini_ticks ticks;      /* authoritative; mirrored into the area */
	uint64_t gdt[7];
	struct tss64 tss;
	struct kframe idle;
	struct idt_gate idt[256];
	struct ktask task[KMINI_MAX_TASKS];
};
_Static_assert(sizeof(struct kcpu) <= IDLE_STACK_OFF - 0x1000, "kcpu below the idle stack");

/* Interrupt and exception paths run on stacks inside the block. */
static struct kcpu *this_cpu(void)
{
	uint64_t rsp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	return (struct kcpu *)(rsp & ~(KMINI_PERCPU_BYTES - 1));
}

__attribute__((noreturn)) static void panic(uint32_t code)
{
	for (;;) {
		outl(KMINI_PORT_PANIC, code);
		__asm__ volatile("cli; hlt");
	}
}

/* The steal clock now; if it cannot be read consistently, what was charged last. */
static uint64_t steal_now(struct kcpu *c)
{
	uint64_t s = c->ticks.prev_steal_ns;

	(void)kmini_steal_read(&c->area->steal, STEAL_READ_TRIES, &s);
	return s;
}

static void set_gate(struct kcpu *c, int vec, uint64_t handler, int dpl)
{
	struct idt_gate *g = &c->idt[vec];

	g->off_lo = (uint16_t)handler;
	g->sel = SEL_KCODE;
	g->ist = 0;
	g->type = (uint8_t)(0x8e | (dpl << 5));    /* present, 64-bit interrupt gate */
	g->off_mid = (uint16_t)(handler >> 16);
	g->off_hi = (uint32_t)(handler >> 32);
	g->zero = 0;
}

static void descriptors_init(struct kcpu *c, uint64_t kstack_top)
{
	uint64_t tss = (uint64_t)&c->tss, limit = sizeof(c->tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr, idtr;
	int v;

	c->gdt[0] = 0;
	c->gdt[1] = 0x00af9a000000ffffull;         /* 64-bit code, ring 0 */
	c->gdt[2] = 0x00cf92000000ffffull;         /* data, ring 0 */
	c->gdt[3] = 0x00cff2000000ffffull;         /* data, ring 3 */
	c->gdt[4] = 0x00affa000000ffffull;         /* 64-bit code, ring 3 */
	c->gdt[5] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ull << 40) |
		    (((limit >> 16) & 0xf) << 48) | (((tss >> 24) & 0xff) << 56);
	c->gdt[6] = tss >> 32;
	c->tss.rsp[0] = kstack_top;
	c->tss.iomap_base = sizeof(c->tss);        /* no I/O bitmap: CPL3 I/O faults */
	for (v = 0; v < 32; v++)
		set_gate(c, v, isr_exception_table[v], 0);
	set_gate(c, KMINI_VEC_TIMER, (uint64_t)isr_32, 0);
	set_gate(c, KMINI_VEC_SYSCALL, (uint64_t)isr_128, 3);
	set_gate(c, KMINI_VEC_SPURIOUS, (uint64_t)isr_255, 0);

	gdtr.limit = sizeof(c->gdt) - 1;
	gdtr.base = (uint64_t)c->gdt;
	idtr.limit = sizeof(c->idt) - 1;
	idtr.base = (uint64_t)c->idt;
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "xorw %%ax, %%ax\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w3\n\t"
			 "lidt %4"
			 : : "m"(gdtr), "i"((uint64_t)SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS),
			   "m"(idtr) : "rax", "memory");
}

static void features_check(void)
{
	uint32_t r[4];

	cpuid(1, r);
	if (!(r[2] & CPUID1_ECX_X2APIC))
		panic(KMINI_PANIC_NO_X2APIC);
	cpuid(KVM_CPUID_FEATURES, r);
	if (!(r[0] & (1u << KVM_FEATURE_STEAL_BIT)))
		panic(KMINI_PANIC_NO_STEAL);
}

static void apic_timer_start(const struct kmini_cfg *cfg)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
	wrmsr(X2APIC_SVR, APIC_SVR_ENABLE | KMINI_VEC_SPURIOUS);
	wrmsr(X2APIC_TIMER_DIV, APIC_DIV_BY_1);
	wrmsr(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | KMINI_VEC_TIMER);
	wrmsr(X2APIC_TIMER_INIT, cfg->apic_count ? cfg->apic_count : 1000000);
}

static void tasks_init(struct kcpu *c)
{
	const struct kmini_cfg *cfg = &c->cfg;
	uint32_t j, n = 0;
	struct ktask *t;

	for (j = 0; j < cfg->ntasks && j < KMINI_MAX_TASKS; j++) {
		if (j % cfg->nvcpus != c->vcpu)
			continue;
		t = &c->task[n++];
		memset(t, 0, sizeof(*t));
		t->id = j;
		t->alive = 1;
		t->frame.rip = (uint64_t)task_main;
		t->frame.cs = SEL_UCODE;
		t->frame.rflags = RFLAGS_IF | RFLAGS_RSVD;
		/* as after a call: RSP + 8 is 16-byte aligned at the first instruction */
		t->frame.rsp = KMINI_USTACK_GPA + (j + 1) * KMINI_USTACK_BYTES - 8;
		t->frame.ss = SEL_UDATA;
		t->frame.rdi = j;
		t->frame.rsi = cfg->loops_per_unit;
	}
	c->ntasks = n;
	c->alive = n;
	memset(&c->idle, 0, sizeof(c->idle));
	c->idle.rip = (uint64_t)idle_loop;
	c->idle.cs = SEL_KCODE;
	c->idle.rflags = RFLAGS_RSVD;
	c->idle.rsp = (uint64_t)c + IDLE_STACK_OFF + 0x1000 - 8;
	c->idle.ss = SEL_KDATA;
}

static int workload_has_units(uint32_t wl)
{
	return wl == KMINI_WL_SCHED || wl == KMINI_WL_GARBAGE || wl == KMINI_WL_RING_CORRUPT;
}

/*
 * Before the tasks, one CPL3 start task measures the work unit on this vCPU
 * when asked (kvm_pvm emulates ring 0, so it cannot be timed there), hands
 * its loop count in with KMINI_SYS_CALIBRATED, waits for the host's release
 * and says so with KMINI_SYS_RELEASED (tasks.c).
 */
static void start_frame(struct kcpu *c, struct kframe *f, int calibrate)
{
	memset(f, 0, sizeof(*f));
	f->rip = (uint64_t)start_main;
	f->cs = SEL_UCODE;
	f->rflags = RFLAGS_IF | RFLAGS_RSVD;
	f->rsp = KMINI_USTACK_GPA + (c->task[0].id + 1) * KMINI_USTACK_BYTES - 8;
	f->ss = SEL_UDATA;
	f->rdi = c->vcpu;
	f->rsi = (uint64_t)calibrate;
}

/* Set up (and calibrated): the host may take t0 and release the tasks. */
static void report_ready(struct kcpu *c)
{
	c->area->ready_tsc = rdtsc();
	__atomic_store_n(&c->area->ready, 1, __ATOMIC_RELEASE);
}

/* The frame of the next alive task after the current one, or idle's. */
static struct kframe *pick_next(struct kcpu *c)
{
	uint32_t i, k;

	for (i = 1; i <= c->ntasks; i++) {
		k = (uint32_t)(c->cur + (int32_t)i) % c->ntasks;
		if (c->cur < 0)
			k = i - 1;
		if (c->task[k].alive) {
			c->cur = (int32_t)k;
			return &c->task[k].frame;
		}
	}
	c->cur = -1;
	return &c->idle;
}

static struct kframe *cur_frame(struct kcpu *c)
{
	return c->cur < 0 ? &c->idle : &c->task[c->cur].frame;
}

__attribute__((noreturn)) static void on_exception(struct kcpu *c, const struct kframe *f)
{
	struct kmini_exc *e = &c->area->exc;

	e->vector = f->vector;
	e->error = f->error;
	e->rip = f->rip;
	e->cs = f->cs;
	e->rflags = f->rflags;
	e->rsp = f->rsp;
	e->cr2 = read_cr2();
	e->count++;
	for (;;) {
		outl(KMINI_PORT_EXCEPTION, (uint32_t)f->vector);
		__asm__ volatile("cli; hlt");
	}
}

static void on_tick(struct kcpu *c, struct kframe *f)
{
	enum kmini_tick_ctx ctx;

	if ((f->cs & 3) == 3)
		ctx = KMINI_CTX_USER;
	else
		ctx = c->cur < 0 ? KMINI_CTX_IDLE : KMINI_CTX_SYSTEM;
	kmini_tick_account(&c->ticks, steal_now(c), ctx);
	c->area->ticks = c->ticks;
	wrmsr(X2APIC_EOI, 0);
	if (c->starting || c->alive == 0 || (c->alive == 1 && c->cur >= 0))
		return;                        /* nobody else to run */
	*cur_frame(c) = *f;
	*f = *pick_next(c);
}

/*
 * KMINI_WL_EMULATION: map a 2 MiB page at MMIO_GVA onto guest-physical
 * memory that has no memory slot, then load an x87 float from it. Every
 * access there is MMIO that KVM must emulate, and its emulator knows no x87
 * load (only fnstcw/fnstsw/fninit): at CPL0 that is KVM_EXIT_INTERNAL_ERROR
 * (KVM_INTERNAL_ERROR_EMULATION) with the instruction's bytes.
 */
#define MMIO_GVA    0x1000000ull       /* PD entry 8: above the mapped RAM */
#define MMIO_GPA    0xc0000000ull      /* no slot, no in-kernel device */
#define PTE_ADDR    0x000ffffffffff000ull
#define PTE_P_W_PS  0x83ull

__attribute__((noreturn)) static void emulation_failure(void)
{
	uint64_t *pml4 = (uint64_t *)(read_cr3() & PTE_ADDR);
	uint64_t *pdpt = (uint64_t *)(pml4[0] & PTE_ADDR);
	uint64_t *pd = (uint64_t *)(pdpt[0] & PTE_ADDR);

	pd[MMIO_GVA >> 21] = MMIO_GPA | PTE_P_W_PS;
	invlpg(MMIO_GVA);
	for (;;)
		__asm__ volatile("flds (%0)" : : "r"(MMIO_GVA) : "memory");
}

/*
 * KMINI_SYS_HOSTILE: the ring-0 misbehaviour of a test payload, mid-run.
 * Any other workload gets -1, like an unknown syscall.
 */
static void hostile(struct kcpu *c, struct kframe *f)
{
	switch (c->cfg.workload) {
	case KMINI_WL_RING0_LOOP:
		no_yield_loop();       /* the tick stays pending, never taken */
	case KMINI_WL_TRIPLE_FAULT:
		triple_fault();
	case KMINI_WL_EMULATION:
		emulation_failure();
	default:
		f->rax = (uint64_t)-1;
	}
}

static void on_syscall(struct kcpu *c, struct kframe *f)
{
	uint32_t i;

	if (f->rax == KMINI_SYS_HOSTILE) {
		hostile(c, f);
		return;
	}

	if (f->rax == KMINI_SYS_CALIBRATED && c->starting) {
		if (f->rdi) {
			c->area->calib_loops = f->rdi;
			c->area->calib_tsc = rdtsc() - c->calib_start_tsc;
			for (i = 0; i < c->ntasks; i++)
				c->task[i].frame.rsi = f->rdi;
		}
		report_ready(c);
		return;                /* back to the start task: it waits for the release */
	}
	if (f->rax == KMINI_SYS_RELEASED && c->starting) {
		c->starting = 0;
		*f = *pick_next(c);
		return;
	}
	if (f->rax != KMINI_SYS_EXIT || c->cur < 0 || c->starting) {
		f->rax = (uint64_t)-1;
		return;
	}
	c->task[c->cur].alive = 0;
	c->alive--;
	*f = *pick_next(c);
}

/* Called by isr_common with the interrupted context, which it may replace. */
void kisr(struct kframe *f);
void kisr(struct kframe *f)
{
	struct kcpu *c = this_cpu();

	if (f->vector < 32)
		on_exception(c, f);
	else if (f->vector == KMINI_VEC_TIMER)
		on_tick(c, f);
	else if (f->vector == KMINI_VEC_SYSCALL)
		on_syscall(c, f);
	/* spurious: no EOI */
}

void kmain(uint64_t vcpu, uint64_t boot_tsc);
void kmain(uint64_t vcpu, uint64_t boot_tsc)
{
	struct kmini_shared *sh = SHARED;
	struct kcpu *c;
	uint64_t base, s0;
	struct kframe first;

	if (vcpu >= KMINI_MAX_VCPUS)
		panic(KMINI_PANIC_BAD_VCPU);
	sh->vcpu[vcpu].boot_tsc = boot_tsc;
	if (sh->cfg.magic != KMINI_ABI_MAGIC || sh->cfg.abi_version != KMINI_ABI_VERSION)
		panic(KMINI_PANIC_BAD_MAGIC);
	if (vcpu >= sh->cfg.nvcpus || sh->cfg.nvcpus > KMINI_MAX_VCPUS)
		panic(KMINI_PANIC_BAD_VCPU);
	base = KMINI_PERCPU_GPA + vcpu * KMINI_PERCPU_BYTES;
	c = (struct kcpu *)base;
	memset(c, 0, sizeof(*c));
	c->vcpu = (uint32_t)vcpu;
	c->area = &sh->vcpu[vcpu];
	c->cfg = sh->cfg;
	c->cur = -1;
	descriptors_init(c, base + KMINI_PERCPU_BYTES);
	features_check();

	wrmsr(KMINI_MSR_KVM_STEAL_TIME, (uint64_t)&c->area->steal | 1);
	s0 = 0;
	(void)kmini_steal_read(&c->area->steal, STEAL_READ_TRIES, &s0);
	kmini_tick_init(&c->ticks, c->cfg.slice_ns, s0);
	c->area->ticks = c->ticks;
	tasks_init(c);
	if (c->cfg.workload == KMINI_WL_NO_YIELD && vcpu == 0)
		no_yield_loop();
	apic_timer_start(&c->cfg);
	c->area->started = 1;
	if (c->ntasks) {
		c->starting = 1;
		c->calib_start_tsc = rdtsc();
		start_frame(c, &first, workload_has_units(c->cfg.workload) &&
			    !c->cfg.loops_per_unit);
	} else {
		report_ready(c);       /* no task, nothing to release */
		first = *pick_next(c);
	}
	kenter(&first);
}
