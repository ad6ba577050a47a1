/*
 * hw: what the guest kernel and its tasks share: the x86 instructions as
 * inline functions, the interrupt frame, and the guest's view of the
 * shared area. Freestanding: <stdint.h> and the ABI header only.
 */
#ifndef STEALSCOPE_KVM_MINI_GUEST_HW_H
#define STEALSCOPE_KVM_MINI_GUEST_HW_H

#include <stdint.h>

#include "kvm-mini/abi.h"

/* Selectors of the guest GDT (kernel.c). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS   0x28

/* What isr_common (entry.S) leaves on the stack, lowest address first. */
struct kframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct kframe) == 22 * 8, "kframe matches entry.S");

#define SHARED ((struct kmini_shared *)KMINI_SHARED_GPA)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t regs[4])
{
	__asm__ volatile("cpuid" : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
			 : "a"(leaf), "c"(0));
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/* entry.S */
extern const uint64_t isr_exception_table[32];
void isr_32(void);
void isr_128(void);
void isr_255(void);
void idle_loop(void);
__attribute__((noreturn)) void no_yield_loop(void);
__attribute__((noreturn)) void triple_fault(void);
__attribute__((noreturn)) void kenter(struct kframe *f);

/* tasks.c: the CPL3 side; @task is the global task number. */
__attribute__((noreturn)) void task_main(uint64_t task, uint64_t loops_per_unit);
__attribute__((noreturn)) void start_main(uint64_t vcpu, uint64_t calibrate);

/* gstring.c: what the compiler may call on its own. */
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

#endif
