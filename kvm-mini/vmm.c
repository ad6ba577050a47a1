/*
 * vmm: see vmm.h. The ioctl order follows KVM-NOTES.md: VM, memory, irqchip
 * (after the memory region: before it the region call costs 5-12 ms, and
 * it must precede every vCPU), then vCPUs with the supported CPUID table
 * (asked once per process: ~0.4 ms). The main thread samples; vCPU and hog
 * threads only run. It never exits and never writes files.
 */
#include "kvm-mini/vmm.h"

#include "common/cli.h"
#include "common/hostinfo.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"
#include "kvm-mini/hog.h"
#include "kvm-mini/kvmprobe.h"
#include "kvm-mini/loader.h"
#include "kvm-mini/sampler.h"
#include "kvm-mini/vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * How far a converted boot stamp may stray outside [process start, now]:
 * 50 ms, plus half its distance from the conversion's reference. Nested,
 * L2's TSC against L1's clock is off by 10% and more over 150 ms (seen: an
 * idle guest's boot converted to 15 ms after the run's results were taken);
 * a scribbled stamp is off by seconds or years.
 */
#define BOOT_SLACK_NS (50 * NS_PER_MS)
#define TSS_ADDR 0xfffbd000ul          /* three pages KVM needs on VMX, unused by the guest */

struct kmini_vm {
	struct kmini_config cfg;
	int kvm_fd;
	int vm_fd;
	uint8_t *mem;
	struct kmini_vcpu vcpu[KMINI_MAX_VCPUS];
	int nvcpu_created;
	uint64_t tsc_khz;
	int64_t mark_ns[KMINI_NPHASES];    /* when each start-up phase ended */
	struct kmini_vcpu_sync sync;
	int sync_init;
};

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS",
	"#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static const char *const phase_names[KMINI_NPHASES] = {
	"main", "probe", "vm", "cpuid", "vcpus", "load", "threads", "entry", "ready",
};

const char *kmini_phase_name(enum kmini_phase p)
{
	return p < KMINI_NPHASES ? phase_names[p] : "unknown";
}

const char *kmini_vector_name(uint64_t vector)
{
	if (vector < 32 && vector_names[vector])
		return vector_names[vector];
	return "reserved vector";
}

static int open_device(struct kmini_vm *vm)
{
	const char *dev = vm->cfg.kvm_dev ? vm->cfg.kvm_dev : KMINI_PROBE_DEFAULT_DEV;
	struct kmini_probe p;
	int e;

	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return log_err(-errno, "open %s: %s", dev, strerror(errno));
	e = kmini_probe_fd(vm->kvm_fd, dev, &p);
	if (e == -EOPNOTSUPP || e == -EPROTO)
		return log_err(e, "%s", p.reason);
	return e;                      /* an ioctl failure was logged by the probe */
}

static int memory_init(struct kmini_vm *vm)
{
	struct kvm_userspace_memory_region region;
	void *mem;
	int e;

	mem = mmap(NULL, KMINI_MEM_BYTES, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return log_err(-errno, "mmap %llu bytes of guest memory: %s",
			       (unsigned long long)KMINI_MEM_BYTES, strerror(errno));
	vm->mem = mem;
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = KMINI_MEM_BYTES;
	region.userspace_addr = (uintptr_t)mem;
	e = kmini_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (e < 0)
		return log_err(e, "KVM_SET_USER_MEMORY_REGION: %s", strerror(-e));
	return 0;
}

static void guest_cfg(const struct kmini_config *c, uint64_t khz, struct kmini_cfg *g)
{
	memset(g, 0, sizeof(*g));
	g->nvcpus = (uint32_t)c->nvcpus;
	g->workload = c->workload;
	g->ntasks = c->workload == KMINI_WL_INF_LOOP ? (uint32_t)c->nvcpus :
		    c->workload == KMINI_WL_IDLE ? 0 : (uint32_t)c->ntasks;
	g->units = c->units;
	g->loops_per_unit = c->loops_per_unit;
	g->unit_work_ns = (uint64_t)c->unit_work_ns;
	g->slice_ns = (uint64_t)c->slice_ns;
	g->apic_count = (uint64_t)c->slice_ns;  /* KVM's APIC bus: 1 GHz, divide by 1 */
	g->tsc_khz = khz;
}

int kmini_vm_create(const struct kmini_config *cfg, struct kmini_vm **out)
{
	struct kvm_cpuid2 *supported = NULL;
	struct kmini_cfg gcfg;
	struct kmini_vm *vm;
	long khz;
	int e, run_size, i;

	*out = NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return log_err(-ENOMEM, "kvm-mini: out of memory");
	vm->cfg = *cfg;
	vm->vm_fd = -1;
	vm->mark_ns[KMINI_PH_MAIN] = mono_ns();
	e = open_device(vm);
	if (e)
		goto err;
	vm->mark_ns[KMINI_PH_PROBE] = mono_ns();
	e = kmini_ioctl(vm->kvm_fd, KVM_CREATE_VM, NULL);
	if (e < 0) {
		log_err(e, "KVM_CREATE_VM: %s", strerror(-e));
		goto err;
	}
	vm->vm_fd = e;
	/* only VMX needs it; on SVM and kvm_pvm it is harmless */
	(void)kmini_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (void *)TSS_ADDR);
	e = memory_init(vm);
	if (e)
		goto err;
	e = kmini_ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, NULL);
	if (e < 0) {
		log_err(e, "KVM_CREATE_IRQCHIP: %s", strerror(-e));
		goto err;
	}
	vm->mark_ns[KMINI_PH_VM] = mono_ns();
	run_size = kmini_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (run_size <= 0) {
		e = run_size < 0 ? run_size : -EINVAL;
		log_err(e, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(-e));
		goto err;
	}
	e = kmini_probe_supported_cpuid(vm->kvm_fd, vm->cfg.kvm_dev ? vm->cfg.kvm_dev : "/dev/kvm",
					&supported);
	if (e)
		goto err;
	vm->mark_ns[KMINI_PH_CPUID] = mono_ns();
	for (i = 0; i < cfg->nvcpus; i++) {
		vm->vcpu[i].pin = cfg->pins[i];
		e = kmini_vcpu_create(vm->vm_fd, i, supported, (size_t)run_size,
				      KMINI_IMAGE_GPA, &vm->vcpu[i]);
		if (e)
			goto err;
		vm->nvcpu_created = i + 1;
	}
	vm->mark_ns[KMINI_PH_VCPUS] = mono_ns();
	khz = kmini_vcpu_tsc_khz(&vm->vcpu[0]);
	if (khz < 0) {
		e = (int)khz;
		goto err;
	}
	vm->tsc_khz = (uint64_t)khz;
	guest_cfg(cfg, vm->tsc_khz, &gcfg);
	e = kmini_load(vm->mem, KMINI_MEM_BYTES, &gcfg, kmini_guest_image,
		       (size_t)(kmini_guest_image_end - kmini_guest_image));
	if (e) {
		log_err(e, "the guest image (%zu bytes) does not fit",
			(size_t)(kmini_guest_image_end - kmini_guest_image));
		goto err;
	}
	free(supported);
	vm->mark_ns[KMINI_PH_LOAD] = mono_ns();
	*out = vm;
	return 0;

err:
	free(supported);
	kmini_vm_destroy(vm);
	return e;
}

void kmini_vm_destroy(struct kmini_vm *vm)
{
	int i;

	if (!vm)
		return;
	for (i = 0; i < vm->nvcpu_created; i++)
		kmini_vcpu_destroy(&vm->vcpu[i]);
	if (vm->sync_init) {
		pthread_barrier_destroy(&vm->sync.ready);
		pthread_barrier_destroy(&vm->sync.go);
	}
	if (vm->mem)
		munmap(vm->mem, KMINI_MEM_BYTES);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm);
}

void kmini_result_free(struct kmini_result *res)
{
	int i;

	for (i = 0; i < KMINI_MAX_VCPUS; i++) {
		free(res->vcpu[i].samples);
		res->vcpu[i].samples = NULL;
	}
	free(res->stamps);
	res->stamps = NULL;
	kmini_cpustat_free(&res->cpustat);
}

/* The KVM module providing the device, for meta.json (a host fact). */
static void kvm_module(char *buf, size_t len)
{
	struct hostinfo h;

	if (hostinfo_gather(NULL, &h) == 0)
		snprintf(buf, len, "%s", h.kvm_module);
	else
		snprintf(buf, len, "unknown");
}

/* ---- the run ------------------------------------------------------------------ */

struct run_state {
	struct kmini_sampler_vcpu sv[KMINI_MAX_VCPUS];
	struct kmini_stampbuf stamps;
	struct kmini_hog_thread hogs[KMINI_MAX_HOGS];
	int nhogs;
	struct kmini_statfile stat;    /* /proc/stat, for res->cpustat */
	int ring_error;                /* a vCPU's ring was corrupt: its index + 1 */
};

static void set_error(struct kmini_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct kmini_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->error[0])
		return;                /* the first reason stands */
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

static int run_alloc(struct kmini_vm *vm, struct run_state *st, struct kmini_result *res)
{
	const struct kmini_config *c = &vm->cfg;
	size_t cap = (size_t)(c->duration_ns / c->interval_ns) + 16;
	int i, e;

	e = kmini_cpustat_init(&res->cpustat, &st->stat, &c->stat_cpus, cap);
	if (e)
		return e;
	for (i = 0; i < c->nvcpus; i++) {
		e = kmini_sampler_vcpu_init(&st->sv[i], cap);
		if (e)
			return e;
		st->sv[i].area = &((struct kmini_shared *)(vm->mem + KMINI_SHARED_GPA))->vcpu[i];
		st->sv[i].recs = (const struct kmini_record *)(vm->mem + KMINI_RING_RECORDS_GPA(i));
		st->sv[i].lim.ntasks = c->workload == KMINI_WL_INF_LOOP ? (uint32_t)c->nvcpus :
				       (uint32_t)c->ntasks;
		st->sv[i].lim.nvcpus = (uint32_t)c->nvcpus;
		st->sv[i].lim.vcpu = (uint32_t)i;
		st->sv[i].lim.units = c->units;
	}
	return kmini_stampbuf_init(&st->stamps, kmini_stamp_capacity(c));
}

static void run_free(struct run_state *st)
{
	int i;

	for (i = 0; i < KMINI_MAX_VCPUS; i++)
		kmini_sampler_vcpu_free(&st->sv[i]);
	kmini_stampbuf_free(&st->stamps);
	kmini_statfile_close(&st->stat);
}

/* Sample every vCPU at @now. Returns 0, or -EPROTO after a corrupt ring. */
static int sample_all(struct kmini_vm *vm, struct run_state *st, int64_t t0, int64_t now,
		      struct kmini_result *res)
{
	int i, r;

	for (i = 0; i < vm->cfg.nvcpus; i++) {
		r = kmini_sampler_take(&st->sv[i], now - t0, &st->stamps);
		if (r == KMINI_RING_BAD_HEAD && !st->ring_error) {
			st->ring_error = i + 1;
			set_error(res, "vCPU %d: the guest corrupted its progress ring: head %llu is "
				  "not within %u records of the tail %llu", i,
				  (unsigned long long)st->sv[i].ring.last_bad_head, KMINI_RING_SLOTS,
				  (unsigned long long)st->sv[i].ring.tail);
			return -EPROTO;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int hogs_start(struct kmini_vm *vm, struct run_state *st, int64_t t0)
{
	const struct kmini_config *c = &vm->cfg;
	struct kmini_hog_thread *h;
	int i, e;

	for (i = 0; i < c->nhogs; i++) {
		h = &st->hogs[i];
		h->cpu = c->hogs[i].cpu;
		h->start_ns = t0 + c->hogs[i].start_ns;
		h->end_ns = c->hogs[i].duration_ns ? h->start_ns + c->hogs[i].duration_ns : INT64_MAX;
		h->nice = c->hogs[i].nice;
		h->duty_pct = c->hogs[i].duty_pct > 0 ? c->hogs[i].duty_pct : 100.0;
		h->period_ns = c->hogs[i].period_ns;
		h->stop = &vm->sync.stop;
		e = kmini_hog_start(h);
		if (e)
			return e;
		st->nhogs = i + 1;
	}
	return 0;
}

/*
 * Sleep until @deadline, ending each hog whose window closes before it on
 * the way (the hogs never read the clock themselves: see hog.h).
 */
static int sleep_and_end_hogs(struct run_state *st, int64_t deadline)
{
	int64_t wake;
	int i, more;

	do {
		wake = deadline;
		more = 0;
		for (i = 0; i < st->nhogs; i++)
			if (!st->hogs[i].ended && st->hogs[i].end_ns < wake) {
				wake = st->hogs[i].end_ns;
				more = 1;
			}
		if (cli_sleep_until(wake) == -EINTR)
			return -EINTR;
		for (i = 0; i < st->nhogs; i++)
			if (!st->hogs[i].ended && st->hogs[i].end_ns <= wake)
				kmini_hog_end(&st->hogs[i]);
	} while (more);
	return 0;
}

static void stop_all(struct kmini_vm *vm, struct run_state *st)
{
	int i;

	__atomic_store_n(&vm->sync.stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < vm->cfg.nvcpus; i++)
		kmini_vcpu_kick(&vm->vcpu[i]);
	for (i = 0; i < st->nhogs; i++)
		if (st->hogs[i].started)
			pthread_kill(st->hogs[i].thread, SIGUSR1);
	for (i = 0; i < vm->cfg.nvcpus; i++)
		kmini_vcpu_join(&vm->vcpu[i]);
	for (i = 0; i < st->nhogs; i++)
		kmini_hog_join(&st->hogs[i]);
}

/* Why a vCPU stopped on its own, into @res. Returns -EFAULT. */
static int guest_failure(struct kmini_vm *vm, struct kmini_result *res)
{
	const struct kmini_shared *sh = (const struct kmini_shared *)(vm->mem + KMINI_SHARED_GPA);
	const volatile struct kmini_exc *x;
	struct kmini_vcpu *v;
	int i;

	for (i = 0; i < vm->cfg.nvcpus; i++) {
		v = &vm->vcpu[i];
		if (v->outcome == KMINI_VCPU_EXCEPTION) {
			x = &sh->vcpu[i].exc;
			res->guest_exception = 1;
			res->exc_vcpu = i;
			res->exc_vector = x->vector;
			res->exc_error = x->error;
			res->exc_rip = x->rip;
			res->exc_cr2 = x->cr2;
			set_error(res, "guest exception on vCPU %d: %s (vector %llu) error code %#llx "
				  "at RIP %#llx (CR2 %#llx)", i, kmini_vector_name(res->exc_vector),
				  (unsigned long long)res->exc_vector,
				  (unsigned long long)res->exc_error, (unsigned long long)res->exc_rip,
				  (unsigned long long)res->exc_cr2);
			return -EFAULT;
		}
		if (v->outcome == KMINI_VCPU_PANIC) {
			set_error(res, "guest panic on vCPU %d: code %u (%s)", i, v->io_value,
				  v->io_value == KMINI_PANIC_NO_STEAL ? "no steal time in CPUID" :
				  v->io_value == KMINI_PANIC_NO_X2APIC ? "no x2APIC in CPUID" :
				  v->io_value == KMINI_PANIC_BAD_MAGIC ? "bad config block" :
				  "bad vCPU index");
			return -EFAULT;
		}
		if (v->outcome == KMINI_VCPU_FAILED) {
			struct kvm_regs regs;

			memset(&regs, 0, sizeof(regs));
			(void)kmini_ioctl(v->fd, KVM_GET_REGS, &regs);
			set_error(res, "vCPU %d: %s at RIP %#llx", i, v->why,
				  (unsigned long long)regs.rip);
			return -EFAULT;
		}
	}
	return 0;
}

/*
 * Before t0 every vCPU boots, sets up and calibrates (KVM-NOTES.md: boot
 * ~0.1 ms; nested under TCG 20-30 ms in all, up to ~150 ms for a slow first
 * entry, more on a loaded host). One not ready after READY_DEADLINE_NS has
 * a kernel that never yields or a calibration that never reports: an
 * error, not a quiet run without data. Shared memory is polled: no exits.
 */
#define READY_DEADLINE_NS (3 * NS_PER_SEC)
#define READY_POLL_NS (2 * NS_PER_MS)

/*
 * Wait until every vCPU says it is ready. Returns 0 (also when a vCPU
 * failed or a signal came: the caller looks), or -ETIMEDOUT with
 * res->error set.
 */
static int wait_ready(struct kmini_vm *vm, struct run_state *st, struct kmini_result *res)
{
	int64_t begin = mono_ns(), now = begin;
	int i = 0;

	while (i < vm->cfg.nvcpus) {
		if (st->sv[i].area->ready == 1) {
			i++;
			continue;
		}
		if (vm->sync.guest_failed)
			return 0;
		if (now - begin >= READY_DEADLINE_NS) {
			set_error(res, "vCPU %d: the guest kernel never started its tasks in %.0f ms "
				  "(%s)", i, (double)(now - begin) / 1e6,
				  st->sv[i].area->started == 1 ? "its calibration never reported" :
				  "it never yields: a loop with interrupts off?");
			return -ETIMEDOUT;
		}
		if (cli_sleep_until(now + READY_POLL_NS) == -EINTR) {
			res->stopped_by_signal = 1;
			return 0;
		}
		now = mono_ns();
	}
	return 0;
}

/*
 * A vCPU that took no timer tick while its thread ran this long (20 slices,
 * at least 250 ms) has a kernel spinning with interrupts off (decode.h).
 */
static int check_ticking(struct kmini_vm *vm, struct kmini_result *res)
{
	uint64_t limit = (uint64_t)vm->cfg.slice_ns * 20;
	struct kmini_tick_watch w;
	const struct kmini_sample *s;
	struct kvm_regs regs;
	uint64_t ran;
	size_t k, n;
	int i;

	if (limit < 250 * NS_PER_MS)
		limit = 250 * NS_PER_MS;
	for (i = 0; i < vm->cfg.nvcpus; i++) {
		memset(&w, 0, sizeof(w));
		n = res->vcpu[i].nsamples;
		for (k = 0; k < n; k++) {
			s = &res->vcpu[i].samples[k];
			if (!kmini_tick_watch(&w, s->t_ns, s->tick_user + s->tick_system +
					      s->tick_idle + s->tick_steal, s->host_run_ns, limit))
				continue;
			memset(&regs, 0, sizeof(regs));
			(void)kmini_ioctl(vm->vcpu[i].fd, KVM_GET_REGS, &regs);
			ran = res->vcpu[i].samples[n - 1].host_run_ns - w.run_ns;
			set_error(res, "vCPU %d: the guest kernel took no timer tick after %.0f ms "
				  "while its vCPU ran %.0f ms more (a loop with interrupts off?) at "
				  "RIP %#llx", i, (double)w.since_ns / 1e6, (double)ran / 1e6,
				  (unsigned long long)regs.rip);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static int stamp_cmp(const void *a, const void *b)
{
	const struct kmini_stamp *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	return x->task < y->task ? -1 : x->task > y->task;
}

/*
 * Guest TSC -> host ns with the rate seen between the start and end
 * references of each vCPU (KVM_GET_TSC_KHZ is the fallback). The start is
 * the guest's own TSC when it saw the release at t0, where it has one: a
 * reference taken out of KVM_RUN can be off by tens of ms where the host
 * TSC is unstable (nested here), as KVM then holds a guest TSC still while
 * its vCPU is not loaded and catches it up at the next entry.
 */
static void convert(struct kmini_vm *vm, struct run_state *st, struct kmini_tsc_conv *start,
		    struct kmini_result *res)
{
	const struct kmini_shared *sh = (const struct kmini_shared *)(vm->mem + KMINI_SHARED_GPA);
	int64_t now = mono_ns();
	struct kmini_stamp *o;
	size_t k;
	int i;

	for (i = 0; i < vm->cfg.nvcpus; i++) {
		struct kmini_tsc_conv *end = &vm->vcpu[i].conv;
		uint64_t rel = sh->vcpu[i].release_tsc;
		int64_t dns, slack;

		if (rel) {
			start[i].ref_tsc = rel;
			start[i].ref_ns = res->t0_ns;
		}
		dns = end->ref_ns - start[i].ref_ns;
		if (dns > 100 * NS_PER_MS && end->ref_tsc > start[i].ref_tsc)
			start[i].khz = (uint64_t)((__int128)(end->ref_tsc - start[i].ref_tsc) *
						  1000000 / dns);
		res->vcpu[i].boot_ns = kmini_tsc_to_ns(&start[i], st->sv[i].have_base ?
						       st->sv[i].boot_tsc : sh->vcpu[i].boot_tsc) -
				       res->t0_ns;
		/*
		 * The boot stamp is guest memory: a hostile guest can write
		 * anything there. The first instruction ran after this process
		 * started and before now (a guest that does not calibrate may
		 * boot after t0, an idle one nested even after a 10 ms run's
		 * end); a stamp far outside is unknown.
		 */
		slack = BOOT_SLACK_NS + llabs(res->t0_ns + res->vcpu[i].boot_ns - start[i].ref_ns) / 2;
		if (res->t0_ns + res->vcpu[i].boot_ns < vm->cfg.process_start_ns - slack ||
		    res->t0_ns + res->vcpu[i].boot_ns > now + slack)
			res->vcpu[i].boot_ns = KMINI_NS_UNKNOWN;
	}
	res->tsc_khz = start[0].khz;
	res->nstamps = st->stamps.n;
	res->stamps = calloc(st->stamps.n ? st->stamps.n : 1, sizeof(*res->stamps));
	if (!res->stamps) {
		res->nstamps = 0;
		return;
	}
	for (k = 0; k < st->stamps.n; k++) {
		const struct kmini_raw_stamp *r = &st->stamps.v[k];

		o = &res->stamps[k];
		o->t_ns = kmini_tsc_to_ns(&start[r->vcpu], r->tsc) - res->t0_ns;
		o->task = r->task;
		o->unit = r->unit;
		o->vcpu = r->vcpu;
	}
	qsort(res->stamps, res->nstamps, sizeof(*res->stamps), stamp_cmp);
}

static void collect(struct kmini_vm *vm, struct run_state *st, struct kmini_result *res)
{
	const struct kmini_shared *sh = (const struct kmini_shared *)(vm->mem + KMINI_SHARED_GPA);
	const struct kmini_tsc_conv calib_conv = { 0, 0, res->tsc_khz };  /* cycles -> ns */
	struct kmini_vcpu_result *o;
	size_t k;
	int i;

	for (i = 0; i < vm->cfg.nvcpus; i++) {
		o = &res->vcpu[i];
		o->tid = vm->vcpu[i].tid;
		o->pin = vm->vcpu[i].pin;
		o->samples = st->sv[i].samples;
		o->nsamples = st->sv[i].n;
		st->sv[i].samples = NULL;
		o->dropped_guest = sh->vcpu[i].ring.dropped;
		o->overwritten = st->sv[i].ring.overwritten;
		o->rejected = st->sv[i].ring.rejected;
		o->calib_loops = vm->cfg.loops_per_unit ? vm->cfg.loops_per_unit :
				 sh->vcpu[i].calib_loops;
		o->calib_probe_loops = sh->vcpu[i].calib_probe_loops;
		o->calib_probe_tsc = sh->vcpu[i].calib_probe_tsc;
		o->calib_ns = kmini_tsc_to_ns(&calib_conv, sh->vcpu[i].calib_tsc);
		o->exits = vm->vcpu[i].exits;
		o->host_delay_base_ns = st->sv[i].base.delay_ns;
		o->steal_at_enable_ns = st->sv[i].steal_base_ns;
		if (o->nsamples)
			res->wall_ns = o->samples[o->nsamples - 1].t_ns;
	}
	for (k = 0; k < res->nstamps; k++)
		res->vcpu[res->stamps[k].vcpu].units_done++;
	/* host-side drops cannot be told apart per vCPU: charged to vCPU 0 */
	res->vcpu[0].dropped_host = st->stamps.dropped;
}

static int threads_start(struct kmini_vm *vm, struct run_state *st)
{
	int i, e;

	if (pthread_barrier_init(&vm->sync.ready, NULL, (unsigned)vm->cfg.nvcpus + 1) ||
	    pthread_barrier_init(&vm->sync.go, NULL, (unsigned)vm->cfg.nvcpus + 1))
		return log_err(-ENOMEM, "pthread_barrier_init: out of memory");
	vm->sync_init = 1;
	for (i = 0; i < vm->cfg.nvcpus; i++) {
		vm->vcpu[i].sync = &vm->sync;
		e = kmini_vcpu_start(&vm->vcpu[i]);
		if (e)
			return e;      /* fatal: the barrier would never open */
	}
	pthread_barrier_wait(&vm->sync.ready);
	for (i = 0; i < vm->cfg.nvcpus; i++) {
		st->sv[i].schedstat_fd = vm->vcpu[i].schedstat_fd;
		st->sv[i].base = vm->vcpu[i].base;
		if (vm->vcpu[i].setup_err)
			return vm->vcpu[i].setup_err;  /* logged by the thread */
	}
	return 0;
}

/*
 * Keep the sampling thread off the CPUs of the vCPUs and hogs when the
 * machine has others: on theirs its wake-ups would be run delay of a vCPU.
 * Best effort; the vCPU and hog threads pin themselves.
 */
static void sampler_affinity(struct kmini_vm *vm, struct kmini_result *res)
{
	cpu_set_t set;
	int i;

	if (cpus_online(NULL, &set))
		return;
	for (i = 0; i < vm->cfg.nvcpus; i++) {
		if (vm->cfg.pins[i] < 0)
			return;        /* an unpinned vCPU may be anywhere */
		CPU_CLR(vm->cfg.pins[i], &set);
	}
	for (i = 0; i < vm->cfg.nhogs; i++)
		CPU_CLR(vm->cfg.hogs[i].cpu, &set);
	if (CPU_COUNT(&set) == 0 || sched_setaffinity(0, sizeof(set), &set))
		return;
	cpulist_format(&set, res->sampler_cpus, sizeof(res->sampler_cpus));
}

/* From t0: the hogs, and a sample every interval to the end, a failure or a signal. */
static int sample_run(struct kmini_vm *vm, struct run_state *st, int64_t t0,
		      struct kmini_result *res)
{
	int64_t end = t0 + vm->cfg.duration_ns, next, now;
	int e = hogs_start(vm, st, t0);

	for (next = t0 + vm->cfg.interval_ns; !e; next += vm->cfg.interval_ns) {
		if (next > end)
			next = end;
		if (sleep_and_end_hogs(st, next) == -EINTR)
			res->stopped_by_signal = 1;    /* one last sample: where it stopped */
		now = mono_ns();
		e = sample_all(vm, st, t0, now, res);
		kmini_cpustat_read(&res->cpustat, &st->stat, now - t0, 0);
		if (res->stopped_by_signal || vm->sync.guest_failed || now >= end)
			break;
	}
	return e;
}

int kmini_vm_run(struct kmini_vm *vm, struct kmini_result *res)
{
	struct kmini_tsc_conv start[KMINI_MAX_VCPUS];
	struct run_state st;
	int64_t t0;
	int e, i;

	memset(res, 0, sizeof(*res));
	memset(&st, 0, sizeof(st));
	st.stat.file.fd = -1;
	res->nvcpus = vm->cfg.nvcpus;
	kvm_module(res->kvm_module, sizeof(res->kvm_module));
	e = kmini_vcpu_signals_init();
	if (!e)
		e = run_alloc(vm, &st, res);
	for (i = 0; !e && i < vm->cfg.nvcpus; i++) {
		e = kmini_vcpu_tsc_ref(&vm->vcpu[i], vm->tsc_khz);
		start[i] = vm->vcpu[i].conv;
	}
	if (!e)
		e = threads_start(vm, &st);
	if (e) {
		if (vm->sync_init) {
			__atomic_store_n(&vm->sync.stop, 1, __ATOMIC_SEQ_CST);
			pthread_barrier_wait(&vm->sync.go);
		}
		goto out;
	}
	sampler_affinity(vm, res);
	vm->mark_ns[KMINI_PH_THREADS] = mono_ns();
	pthread_barrier_wait(&vm->sync.go);
	e = wait_ready(vm, &st, res);
	kmini_cpustat_read(&res->cpustat, &st.stat, 0, 1);
	for (i = 0; i < vm->cfg.nvcpus; i++) {
		int r = kmini_sampler_rebase(&st.sv[i]);

		e = e ? e : r;
	}
	t0 = mono_ns();
	res->t0_ns = t0;
	__atomic_store_n(&((struct kmini_shared *)(vm->mem + KMINI_SHARED_GPA))->cfg.release, 1,
			 __ATOMIC_RELEASE);
	if (e || res->stopped_by_signal || vm->sync.guest_failed) {
		int r = sample_all(vm, &st, t0, t0, res);   /* what it stopped in, at t0 */

		e = e ? e : r;
	} else {
		e = sample_run(vm, &st, t0, res);
	}
	stop_all(vm, &st);
	for (i = 0; !e && i < st.nhogs; i++) {
		if (!st.hogs[i].err)
			continue;
		e = st.hogs[i].err;
		if (!st.hogs[i].nice_failed) {
			set_error(res, "hog on CPU %d: cannot pin it", st.hogs[i].cpu); /* logged */
			continue;
		}
		set_error(res, "hog on CPU %d: setpriority(nice %d): %s", st.hogs[i].cpu,
			  st.hogs[i].nice, strerror(-e));
		log_err(e, "%s", res->error);
	}
	for (i = 0; !st.ring_error && i < vm->cfg.nvcpus; i++)
		(void)kmini_sampler_drain(&st.sv[i], &st.stamps);  /* what the last interval left */
	for (i = 0; i < vm->cfg.nvcpus; i++)
		(void)kmini_vcpu_tsc_ref(&vm->vcpu[i], start[i].khz);
	if (vm->sync.guest_failed) {
		int g = guest_failure(vm, res);

		if (g)
			e = g;
	}
	convert(vm, &st, start, res);
	collect(vm, &st, res);
	if (!e && !res->stopped_by_signal)
		e = check_ticking(vm, res);
	res->tsc_khz_kvm = vm->tsc_khz;
	vm->mark_ns[KMINI_PH_READY] = res->t0_ns;
	if (res->vcpu[0].boot_ns != KMINI_NS_UNKNOWN) {
		res->startup_ns = res->t0_ns + res->vcpu[0].boot_ns - vm->cfg.process_start_ns;
		vm->mark_ns[KMINI_PH_ENTRY] = res->t0_ns + res->vcpu[0].boot_ns;
	} else {
		res->startup_ns = -1;
		vm->mark_ns[KMINI_PH_ENTRY] = -1;
	}
	for (i = 0; i < KMINI_NPHASES; i++) {
		int64_t from = i ? vm->mark_ns[i - 1] : vm->cfg.process_start_ns;

		res->phase_ns[i] = vm->mark_ns[i] < 0 || from < 0 ? -1 : vm->mark_ns[i] - from;
	}
	if (!e && res->stopped_by_signal) {
		set_error(res, "stopped by signal %d after %.3f s of %.3f s", cli_stop_requested(),
			  (double)res->wall_ns / 1e9, (double)vm->cfg.duration_ns / 1e9);
		e = -EINTR;
	}
	if (e == -EPROTO || e == -EFAULT || e == -ETIMEDOUT)
		log_err(e, "%s", res->error);
out:
	if (!res->t0_ns)
		stop_all(vm, &st);    /* threads that never reached t0 */
	run_free(&st);
	return e;
}
