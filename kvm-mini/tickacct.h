/*
 * tickacct: Linux-style tick accounting and the steal clock it charges
 * from, the arithmetic only. The guest
 * kernel calls it on every timer tick; the host's unit tests call the very
 * same code. Plain C over <stdint.h>: no libc, no floating point, since the
 * freestanding guest compiles this file too.
 *
 * Like the Linux guest before its cputime moved to ns (steal_account_process_tick),
 * the steal accumulated since the last charge is charged in whole ticks and
 * the remainder carried to the next tick; a tick that charged any steal is
 * not charged to anything else (the vCPU was away for it); otherwise the
 * tick goes to user, system or idle by what it interrupted.
 */
#ifndef STEALSCOPE_KVM_MINI_TICKACCT_H
#define STEALSCOPE_KVM_MINI_TICKACCT_H

#include <stdint.h>

#include "kvm-mini/abi.h"

enum kmini_tick_ctx {
	KMINI_CTX_USER = 0,        /* a CPL3 task was interrupted */
	KMINI_CTX_SYSTEM = 1,      /* ring-0 code other than idle */
	KMINI_CTX_IDLE = 2,        /* the idle task */
};

/*
 * Read a kvm_steal_time struct consistently, as KVM documents it: version
 * even and the same before and after. At most @tries attempts (a guest can
 * scribble the version odd forever; the host must not spin on it). Returns
 * 0 with *@steal_ns, or -1 (*@steal_ns untouched).
 */
int kmini_steal_read(const volatile struct kmini_steal *st, int tries, uint64_t *steal_ns);

/*
 * Start accounting with period @tick_ns (> 0) from the steal clock value
 * @steal_now_ns read when steal time was enabled: it holds the run delay the
 * vCPU thread had before, which is not steal of this guest.
 */
void kmini_tick_init(struct kmini_ticks *t, uint64_t tick_ns, uint64_t steal_now_ns);

/*
 * One tick that interrupted @ctx, with the steal clock at @steal_now_ns. A
 * steal clock that went backwards (never by KVM; a scribbled struct) is
 * taken as the new base and charges nothing. Returns the steal ticks
 * charged by this tick (0 if the tick went to @ctx).
 */
uint64_t kmini_tick_account(struct kmini_ticks *t, uint64_t steal_now_ns, enum kmini_tick_ctx ctx);

#endif
