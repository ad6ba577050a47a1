/*
 * entry: the guest's assembly: the entry point each vCPU starts at (long
 * mode, ring 0, interrupts off, RSP at the top of its ring-0 stack, RDI its
 * index: all set by the VMM), the interrupt stubs, the common interrupt
 * path and the ways into a task (kenter) and into idle. Everything else is
 * C (kernel.c). Nothing here may touch memory outside the current stack.
 */
	.code64

	.section .text.entry, "ax"
	.globl _start
_start:
	rdtsc                           /* the first instruction's time, for start-up latency */
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, %rsi
	call kmain
1:	cli
	hlt
	jmp 1b

	.text
/* Each stub pushes an error code (0 where the CPU pushes none), then the vector. */
.macro STUB vec, haserr
	.globl isr_\vec
isr_\vec:
	.if \haserr == 0
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm

	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 20, 0
	STUB 21, 1
	STUB 22, 0
	STUB 23, 0
	STUB 24, 0
	STUB 25, 0
	STUB 26, 0
	STUB 27, 0
	STUB 28, 0
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0
	STUB 32, 0
	STUB 128, 0
	STUB 255, 0

	.section .rodata
	.globl isr_exception_table
	.balign 8
isr_exception_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\v
	.endr

	.text
/*
 * struct kframe (kernel.c) is laid out from here: 15 registers, vector,
 * error code, then what the CPU pushed. The CPU aligned RSP to 16 before
 * its 5 words; with 17 more the call below sees an aligned stack.
 */
isr_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld
	call kisr                       /* may rewrite the frame: a task switch */
frame_return:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/* kenter(frame): leave for the context in @frame (on a stack that may be dropped). */
	.globl kenter
kenter:
	mov %rdi, %rsp
	jmp frame_return

/* The idle task: ring 0, halts with interrupts on (no exit to user space). */
	.globl idle_loop
idle_loop:
	sti
	hlt
	jmp idle_loop

/*
 * A kernel that never yields: the KMINI_WL_NO_YIELD test payload (at boot)
 * and KMINI_WL_RING0_LOOP (mid-run, from a syscall).
 */
	.globl no_yield_loop
no_yield_loop:
	cli
1:	jmp 1b

/*
 * KMINI_WL_TRIPLE_FAULT: an IDT with limit 0 holds no gate, so the #DE
 * below cannot be delivered (#GP), nor that (#DF), nor that: the CPU
 * shuts down and KVM exits with KVM_EXIT_SHUTDOWN.
 */
	.globl triple_fault
triple_fault:
	cli
	lidt null_idtr(%rip)
	xor %ecx, %ecx
	xor %edx, %edx
	mov $1, %eax
	div %ecx
1:	jmp 1b

	.section .rodata
	.balign 8
null_idtr:
	.word 0
	.quad 0
	.text
	.section .note.GNU-stack, "", @progbits
