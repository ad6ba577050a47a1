/*
 * abi: the one contract between the kvm-mini VMM and its guest. Both sides
 * compile this header; it includes only <stdint.h> and pins every layout
 * with _Static_assert, so a change on one side that the other does not
 * follow fails to build instead of corrupting a run.
 *
 * Guest-physical layout (identity mapped by the VMM with 2 MiB pages, user
 * accessible, nothing mapped at or above KMINI_MEM_BYTES):
 *   KMINI_PT_GPA       page tables (PML4, PDPT, PD), built by the VMM
 *   KMINI_SHARED_GPA   struct kmini_shared: the config (host writes before
 *                      the first KVM_RUN, and `release` at t0) and one struct
 *                      kmini_vcpu_area per vCPU (guest writes, host reads
 *                      without exits)
 *   KMINI_IMAGE_GPA    the guest image (guest/guest.ld links it there)
 *   KMINI_PERCPU_GPA   per vCPU KMINI_PERCPU_BYTES: the guest's own per-CPU
 *                      data, then its idle stack, then its ring-0 stack (the
 *                      VMM starts the vCPU with RSP at the end of the block)
 *   KMINI_USTACK_GPA   one KMINI_USTACK_BYTES user stack per task
 *   KMINI_RING_GPA     per vCPU KMINI_RING_SLOTS progress records
 *
 * Nothing the guest writes is trusted by the host: every index read from
 * this memory is bounds-checked there (kvm-mini/decode.h).
 */
#ifndef STEALSCOPE_KVM_MINI_ABI_H
#define STEALSCOPE_KVM_MINI_ABI_H

#include <stdint.h>

/*
 * Orders the host's reads of guest memory (and the guest's of its own
 * shared fields). x86-64 keeps loads in program order, so only the compiler
 * must be stopped from reordering them: a compiler barrier, not a fence.
 * The other side is a guest vCPU, which ThreadSanitizer cannot see anyway,
 * and GCC refuses atomic_thread_fence() under -fsanitize=thread.
 */
#define KMINI_READ_BARRIER() __asm__ __volatile__("" ::: "memory")

#define KMINI_ABI_MAGIC   0x494e494d4b564bull   /* "KVKMINI" */
#define KMINI_ABI_VERSION 2u

#define KMINI_MAX_VCPUS 8
#define KMINI_MAX_TASKS 64

#define KMINI_MEM_BYTES     0x800000ull          /* 8 MiB of guest RAM */
#define KMINI_PT_GPA        0x1000ull
#define KMINI_SHARED_GPA    0x10000ull
#define KMINI_IMAGE_GPA     0x100000ull
#define KMINI_IMAGE_MAX     0x100000ull
#define KMINI_PERCPU_GPA    0x200000ull
#define KMINI_PERCPU_BYTES  0x10000ull           /* 64 KiB, aligned to itself */
#define KMINI_USTACK_GPA    0x280000ull
#define KMINI_USTACK_BYTES  0x4000ull
#define KMINI_RING_GPA      0x400000ull
#define KMINI_RING_SLOTS    8192u                /* power of two */

/* I/O ports the guest writes to; every other exit is unexpected. */
#define KMINI_PORT_EXCEPTION 0xe0  /* outl vector: exc record of the vCPU area is filled */
#define KMINI_PORT_PANIC     0xe1  /* outl code: the guest refused to run (enum kmini_panic) */

/* x86 vectors the guest kernel uses. */
#define KMINI_VEC_TIMER    32
#define KMINI_VEC_SYSCALL  0x80
#define KMINI_VEC_SPURIOUS 0xff

/* Syscalls (int $0x80, number in rax) of the CPL3 tasks. */
#define KMINI_SYS_EXIT 1        /* the task is finished */
#define KMINI_SYS_CALIBRATED 2  /* rdi: loops per unit (0: none measured); the vCPU is ready */
#define KMINI_SYS_HOSTILE 3     /* test payloads: the kernel misbehaves as the workload says */
#define KMINI_SYS_RELEASED 4    /* the start task saw cfg.release: the real tasks may start */

/* MSRs of the KVM paravirtual interface the guest uses. */
#define KMINI_MSR_KVM_STEAL_TIME 0x4b564d03u

enum kmini_workload {
	KMINI_WL_IDLE = 0,         /* no tasks: the idle task halts */
	KMINI_WL_SCHED = 1,        /* N tasks of calibrated work units, stamped */
	KMINI_WL_INF_LOOP = 2,     /* one busy task per vCPU, nothing stamped */
	/* test payloads: a guest that misbehaves on purpose */
	KMINI_WL_FAULT = 10,       /* task 0 reads unmapped memory: #PF */
	KMINI_WL_GARBAGE = 11,     /* sched, and task 0 scribbles over its vCPU area and ring */
	KMINI_WL_RING_CORRUPT = 12,/* sched, and task 0 moves its ring head far ahead */
	KMINI_WL_NO_YIELD = 13,    /* vCPU 0's kernel spins with interrupts off */
	/* busy tasks, no stamps; after a few ticks task 0 of vCPU 0 ... */
	KMINI_WL_RING0_LOOP = 14,  /* ... makes the kernel spin with interrupts off */
	KMINI_WL_TRIPLE_FAULT = 15,/* ... makes the kernel fault with no usable IDT */
	KMINI_WL_EMULATION = 16,   /* ... makes the kernel run an x87 load from a page
				      with no memory slot: an MMIO KVM cannot emulate */
	KMINI_WL_BAD_OPCODE = 17,  /* ... executes ud2 (CPL3): #UD */
};

enum kmini_panic {
	KMINI_PANIC_BAD_MAGIC = 1, /* the config block is not ours */
	KMINI_PANIC_BAD_VCPU = 2,  /* a vCPU index past nvcpus */
	KMINI_PANIC_NO_X2APIC = 3, /* CPUID 1 ECX bit 21 missing */
	KMINI_PANIC_NO_STEAL = 4,  /* CPUID 0x40000001 EAX bit 5 missing */
};

/* struct kvm_steal_time, as KVM writes it (Documentation/virt/kvm/x86/msr.rst). */
struct kmini_steal {
	uint64_t steal_ns;         /* run delay of the vCPU thread since enable */
	uint32_t version;          /* odd while KVM updates the struct */
	uint32_t flags;
	uint8_t preempted;
	uint8_t pad[47];
};

/*
 * Linux-style tick accounting of one vCPU (kvm-mini/tickacct.h), written
 * by the guest on every tick.
 */
struct kmini_ticks {
	uint64_t user;             /* ticks that interrupted a CPL3 task */
	uint64_t system;           /* ... ring-0 code other than idle */
	uint64_t idle;             /* ... the idle task */
	uint64_t steal;            /* whole ticks of steal time */
	uint64_t interrupts;       /* timer interrupts taken */
	uint64_t tick_ns;          /* the accounting period (= the slice) */
	uint64_t prev_steal_ns;    /* steal charged so far, plus steal_base_ns */
	uint64_t steal_base_ns;    /* the steal struct when the guest enabled it */
};

/* What an exception stub reports before KMINI_PORT_EXCEPTION. */
struct kmini_exc {
	uint64_t vector;
	uint64_t error;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t cr2;
	uint64_t count;            /* exceptions reported by this vCPU */
};

/* A single-producer (the vCPU's tasks) single-consumer (the host) ring. */
struct kmini_ring_hdr {
	uint64_t head;             /* guest: next record to be reserved */
	uint64_t tail;             /* host: next record to be read */
	uint64_t dropped;          /* guest: records not written, the ring was full */
	uint64_t pad[5];
};

/* One progress stamp; published by writing seq = its index + 1 last. */
struct kmini_record {
	uint64_t seq;
	uint64_t tsc;              /* guest TSC at the end of the unit */
	uint32_t task;             /* global task number */
	uint32_t unit;             /* 0-based unit of that task */
	uint64_t pad;
};

struct kmini_vcpu_area {
	struct kmini_steal steal;              /* 64-byte aligned: MSR_KVM_STEAL_TIME */
	struct kmini_ticks ticks;
	struct kmini_exc exc;
	struct kmini_ring_hdr ring;
	uint64_t boot_tsc;                     /* guest TSC at its first instruction */
	uint64_t ready_tsc;                    /* ... when it became ready */
	uint64_t started;                      /* 1 once set up */
	uint64_t calib_loops;                  /* loops per unit the guest uses */
	uint64_t calib_probe_loops;            /* its fastest probe: this many loops */
	uint64_t calib_probe_tsc;              /* ... took this many TSC cycles */
	uint64_t ready;                        /* 1: set up and calibrated, waiting
						  for cfg.release (no task ran yet) */
	uint64_t calib_tsc;                    /* TSC cycles the calibration took */
	uint64_t release_tsc;                  /* guest TSC when it saw cfg.release */
	uint64_t pad[7];
	uint8_t tail_pad[4096 - 64 * 6];
};

struct kmini_cfg {
	uint64_t magic;            /* KMINI_ABI_MAGIC */
	uint32_t abi_version;      /* KMINI_ABI_VERSION */
	uint32_t nvcpus;           /* 1..KMINI_MAX_VCPUS */
	uint32_t workload;         /* enum kmini_workload */
	uint32_t ntasks;           /* tasks in all, task j on vCPU j % nvcpus */
	uint64_t units;            /* per task, 0: until the run ends */
	uint64_t loops_per_unit;   /* workunit_spin() loops of one unit, 0: the guest
				      calibrates each vCPU at CPL3, before t0 */
	uint64_t unit_work_ns;     /* the CPU time of one unit, for that calibration */
	uint64_t slice_ns;         /* tick period */
	uint64_t apic_count;       /* x2APIC timer initial count for one slice (divide by 1) */
	uint64_t tsc_khz;
	uint64_t release;          /* host, at t0: 1 lets the tasks of every ready vCPU run.
				      Each vCPU's start task spins on it at CPL3 (no PAUSE,
				      so no pause-loop exit; nothing emulated) and stamps
				      release_tsc: a (t0, guest TSC) pair taken while the
				      vCPU runs, which converts its stamps */
	uint64_t pad[6];
};

struct kmini_shared {
	struct kmini_cfg cfg;
	uint8_t cfg_pad[4096 - sizeof(struct kmini_cfg)];
	struct kmini_vcpu_area vcpu[KMINI_MAX_VCPUS];
};

_Static_assert(sizeof(struct kmini_steal) == 64, "kvm_steal_time is 64 bytes");
_Static_assert(sizeof(struct kmini_ticks) == 64, "ticks");
_Static_assert(sizeof(struct kmini_exc) == 64, "exc");
_Static_assert(sizeof(struct kmini_ring_hdr) == 64, "ring header");
_Static_assert(sizeof(struct kmini_record) == 32, "record");
_Static_assert(sizeof(struct kmini_vcpu_area) == 4096, "vcpu area");
_Static_assert(sizeof(struct kmini_cfg) == 128, "cfg");
_Static_assert(sizeof(struct kmini_shared) == 4096 * (1 + KMINI_MAX_VCPUS), "shared");
_Static_assert(__builtin_offsetof(struct kmini_shared, vcpu) % 64 == 0, "steal alignment");
_Static_assert(KMINI_SHARED_GPA + sizeof(struct kmini_shared) <= KMINI_IMAGE_GPA, "shared fits");
_Static_assert((KMINI_RING_SLOTS & (KMINI_RING_SLOTS - 1)) == 0, "slots power of two");
_Static_assert(KMINI_PERCPU_GPA + KMINI_MAX_VCPUS * KMINI_PERCPU_BYTES <= KMINI_USTACK_GPA,
	       "per-CPU fits");
_Static_assert(KMINI_USTACK_GPA + KMINI_MAX_TASKS * KMINI_USTACK_BYTES <= KMINI_RING_GPA,
	       "user stacks fit");
_Static_assert(KMINI_RING_GPA + KMINI_MAX_VCPUS * KMINI_RING_SLOTS * 32ull <= KMINI_MEM_BYTES,
	       "rings fit");

/* Guest-physical address of vCPU @v's ring records. */
#define KMINI_RING_RECORDS_GPA(v) (KMINI_RING_GPA + (uint64_t)(v) * KMINI_RING_SLOTS * 32ull)

#endif
