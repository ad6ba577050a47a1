/*
 * vcpu: see vcpu.h. KVM_RUN is left with EINTR (SIGUSR1, no SA_RESTART,
 * plus kvm_run.immediate_exit for a signal that lands just before the
 * ioctl). Every ioctl is named in its error message.
 */
#include "kvm-mini/vcpu.h"

#include "common/affinity.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kvm-mini/kvmprobe.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MSR_IA32_TSC 0x10u
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10

/* Leaf 1 EBX[31:24] and the x2APIC ID of leaves 0xB/0x1F name this vCPU. */
static struct kvm_cpuid2 *cpuid_for(const struct kvm_cpuid2 *sup, int apic_id)
{
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	__u32 i;

	if (!c)
		return NULL;
	memcpy(c, sup, sz);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | ((__u32)apic_id << 24);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = (__u32)apic_id;
	}
	return c;
}

static void seg64(struct kvm_segment *s, __u16 sel, __u8 type, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->l = code ? 1 : 0;
	s->db = code ? 0 : 1;
	s->g = 1;
}

static int regs_init(struct kmini_vcpu *v, uint64_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int e;

	e = kmini_ioctl(v->fd, KVM_GET_SREGS, &sregs);
	if (e < 0)
		return log_err(e, "KVM_GET_SREGS (vCPU %d): %s", v->index, strerror(-e));
	seg64(&sregs.cs, SEL_KCODE, 11, 1);
	seg64(&sregs.ds, SEL_KDATA, 3, 0);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.limit = 0xffff;
	sregs.tr.type = 11;            /* busy 64-bit TSS: the guest loads its own */
	sregs.tr.present = 1;
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.limit = 0xffff;
	sregs.ldt.type = 2;
	sregs.ldt.present = 1;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = KMINI_PT_GPA;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs.efer = EFER_LME | EFER_LMA | EFER_NXE;
	e = kmini_ioctl(v->fd, KVM_SET_SREGS, &sregs);
	if (e < 0)
		return log_err(e, "KVM_SET_SREGS (vCPU %d): %s", v->index, strerror(-e));
	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = KMINI_PERCPU_GPA + (uint64_t)(v->index + 1) * KMINI_PERCPU_BYTES;
	regs.rdi = (uint64_t)v->index;
	regs.rflags = 0x2;
	e = kmini_ioctl(v->fd, KVM_SET_REGS, &regs);
	if (e < 0)
		return log_err(e, "KVM_SET_REGS (vCPU %d): %s", v->index, strerror(-e));
	return 0;
}

int kmini_vcpu_create(int vm_fd, int index, const struct kvm_cpuid2 *supported, size_t run_size,
		      uint64_t entry, struct kmini_vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_cpuid2 *cpuid;
	void *run;
	int e;

	v->index = index;
	v->schedstat_fd = -1;
	v->fd = kmini_ioctl(vm_fd, KVM_CREATE_VCPU, (void *)(long)index);
	if (v->fd < 0) {
		e = v->fd;
		v->fd = -1;
		return log_err(e, "KVM_CREATE_VCPU %d: %s", index, strerror(-e));
	}
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		e = log_err(-errno, "mmap kvm_run of vCPU %d: %s", index, strerror(errno));
		goto err_fd;
	}
	v->run = run;
	v->run_size = run_size;
	cpuid = cpuid_for(supported, index);
	if (!cpuid) {
		e = log_err(-ENOMEM, "vCPU %d: CPUID table: out of memory", index);
		goto err_run;
	}
	e = kmini_ioctl(v->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	if (e < 0) {
		log_err(e, "KVM_SET_CPUID2 (vCPU %d): %s", index, strerror(-e));
		goto err_run;
	}
	e = regs_init(v, entry);
	if (e)
		goto err_run;
	/*
	 * With the in-kernel LAPIC every vCPU but 0 starts waiting for a
	 * startup IPI; the guest has no BIOS to send one, so all run at once.
	 */
	e = kmini_ioctl(v->fd, KVM_SET_MP_STATE, &mp);
	if (e < 0) {
		log_err(e, "KVM_SET_MP_STATE(RUNNABLE) (vCPU %d): %s", index, strerror(-e));
		goto err_run;
	}
	return 0;

err_run:
	munmap(v->run, v->run_size);
	v->run = NULL;
err_fd:
	close(v->fd);
	v->fd = -1;
	return e;
}

long kmini_vcpu_tsc_khz(const struct kmini_vcpu *v)
{
	int r = kmini_ioctl(v->fd, KVM_GET_TSC_KHZ, NULL);

	if (r <= 0)
		return log_err(r < 0 ? r : -EINVAL, "KVM_GET_TSC_KHZ (vCPU %d): %s", v->index,
			       strerror(r < 0 ? -r : EINVAL));
	return r;
}

int kmini_vcpu_tsc_ref(struct kmini_vcpu *v, uint64_t khz)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;
	int64_t before, after;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = MSR_IA32_TSC;
	before = mono_ns();
	r = kmini_ioctl(v->fd, KVM_GET_MSRS, &m);
	after = mono_ns();
	if (r != 1)
		return log_err(r < 0 ? r : -EIO, "KVM_GET_MSRS(IA32_TSC) (vCPU %d): %s", v->index,
			       r < 0 ? strerror(-r) : "not read");
	v->conv.ref_tsc = m.e.data;
	v->conv.ref_ns = before + (after - before) / 2;
	v->conv.khz = khz;
	return 0;
}

static void on_kick(int sig)
{
	(void)sig;
}

int kmini_vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;               /* no SA_RESTART: KVM_RUN returns EINTR */
	if (sigaction(SIGUSR1, &sa, NULL))
		return log_err(-errno, "sigaction(SIGUSR1): %s", strerror(errno));
	return 0;
}

static void fail(struct kmini_vcpu *v, enum kmini_vcpu_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct kmini_vcpu *v, enum kmini_vcpu_outcome o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	v->outcome = o;
	v->sync->guest_failed = 1;
}

/*
 * KVM_EXIT_INTERNAL_ERROR. For an emulation failure KVM (5.16 and later)
 * hands over the bytes it fetched at RIP: name them, the first are the
 * instruction it could not emulate.
 */
static void internal_error(struct kmini_vcpu *v)
{
	const struct kvm_run *run = v->run;
	char bytes[3 * 15 + 1] = "";
	unsigned i, n;

	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION) {
		fail(v, KMINI_VCPU_FAILED, "KVM_EXIT_INTERNAL_ERROR suberror %u",
		     run->internal.suberror);
		return;
	}
	n = 0;
	if (run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		n = run->emulation_failure.insn_size;
	if (n > sizeof(run->emulation_failure.insn_bytes))
		n = sizeof(run->emulation_failure.insn_bytes);
	for (i = 0; i < n; i++)
		snprintf(bytes + 3 * i, sizeof(bytes) - 3 * i, "%02x ",
			 run->emulation_failure.insn_bytes[i]);
	if (n)
		bytes[3 * n - 1] = 0;
	fail(v, KMINI_VCPU_FAILED, "KVM could not emulate an instruction "
	     "(KVM_EXIT_INTERNAL_ERROR, emulation failure; %s%s)", n ? "bytes at RIP: " :
	     "KVM gave no instruction bytes", bytes);
}

/*
 * KVM_EXIT_SHUTDOWN: a triple fault. KVM on AMD SVM INIT-resets the vCPU
 * before it exits (the VMCB is undefined after a shutdown intercept), so
 * the registers then hold the reset vector, not the faulting RIP; say so
 * rather than name a RIP the guest never ran. The guest always runs with
 * paging on: CR0.PG clear after the exit means that reset.
 */
static void shutdown_exit(struct kmini_vcpu *v)
{
	struct kvm_sregs sregs;

	if (kmini_ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0 && !(sregs.cr0 & CR0_PG)) {
		fail(v, KMINI_VCPU_FAILED, "KVM_EXIT_SHUTDOWN (triple fault; KVM reset the vCPU on "
		     "it, as it does on AMD SVM: the faulting RIP is lost, the one named is the "
		     "reset vector)");
		return;
	}
	fail(v, KMINI_VCPU_FAILED, "KVM_EXIT_SHUTDOWN (triple fault)");
}

/* One exit: 0 to go on, 1 to stop. */
static int handle_exit(struct kmini_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t val = 0;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.size == 4 && run->io.data_offset + 4 <= v->run_size)
			memcpy(&val, (char *)run + run->io.data_offset, 4);
		v->io_value = val;
		if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == KMINI_PORT_EXCEPTION) {
			fail(v, KMINI_VCPU_EXCEPTION, "guest exception");
			return 1;
		}
		if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == KMINI_PORT_PANIC) {
			fail(v, KMINI_VCPU_PANIC, "guest panic %u", val);
			return 1;
		}
		fail(v, KMINI_VCPU_FAILED, "unexpected I/O %s port %#x", run->io.direction ==
		     KVM_EXIT_IO_OUT ? "out to" : "in from", run->io.port);
		return 1;
	case KVM_EXIT_HLT:
		return 0;              /* the in-kernel irqchip normally keeps halts inside */
	case KVM_EXIT_SHUTDOWN:
		shutdown_exit(v);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		internal_error(v);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		fail(v, KMINI_VCPU_FAILED, "KVM_EXIT_FAIL_ENTRY hardware reason %#llx",
		     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return 1;
	case KVM_EXIT_MMIO:
		fail(v, KMINI_VCPU_FAILED, "unexpected MMIO at %#llx",
		     (unsigned long long)run->mmio.phys_addr);
		return 1;
	default:
		fail(v, KMINI_VCPU_FAILED, "unexpected exit reason %u", run->exit_reason);
		return 1;
	}
}

static void *vcpu_thread(void *arg)
{
	struct kmini_vcpu *v = arg;
	sigset_t block;
	int r;

	/* SIGINT/SIGTERM belong to the main thread */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	v->tid = (pid_t)syscall(SYS_gettid);
	if (v->pin >= 0)
		v->setup_err = affinity_pin_self(v->pin);
	if (!v->setup_err) {
		v->schedstat_fd = schedstat_open(NULL, getpid(), v->tid);
		if (v->schedstat_fd < 0)
			v->setup_err = v->schedstat_fd;
		else
			v->setup_err = schedstat_read_fd(v->schedstat_fd, &v->base);
	}
	pthread_barrier_wait(&v->sync->ready);
	pthread_barrier_wait(&v->sync->go);
	while (!__atomic_load_n(&v->sync->stop, __ATOMIC_ACQUIRE) && !v->setup_err) {
		r = ioctl(v->fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			fail(v, KMINI_VCPU_FAILED, "KVM_RUN: %s", strerror(errno));
			break;
		}
		v->exits++;
		if (handle_exit(v))
			break;
	}
	if (v->outcome == KMINI_VCPU_RUNNING)
		v->outcome = KMINI_VCPU_STOPPED;
	/* stay until told: the sampler reads this thread's schedstat to the end */
	while (!__atomic_load_n(&v->sync->stop, __ATOMIC_ACQUIRE))
		(void)sleep_until_ns(mono_ns() + NS_PER_MS);
	return NULL;
}

int kmini_vcpu_start(struct kmini_vcpu *v)
{
	int e = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (e)
		return log_err(-e, "vCPU %d: pthread_create: %s", v->index, strerror(e));
	v->thread_started = 1;
	return 0;
}

void kmini_vcpu_kick(struct kmini_vcpu *v)
{
	if (!v->thread_started)
		return;
	if (v->run)
		v->run->immediate_exit = 1;
	pthread_kill(v->thread, SIGUSR1);
}

void kmini_vcpu_join(struct kmini_vcpu *v)
{
	if (!v->thread_started)
		return;
	pthread_join(v->thread, NULL);
	v->thread_started = 0;
}

void kmini_vcpu_destroy(struct kmini_vcpu *v)
{
	if (v->schedstat_fd >= 0)
		close(v->schedstat_fd);
	v->schedstat_fd = -1;
	if (v->run)
		munmap(v->run, v->run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}
