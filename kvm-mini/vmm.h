/*
 * vmm: kvm-mini as a library. Create a VM on a KVM device with its vCPUs
 * (each a host thread, pinned as asked) and the embedded guest loaded, run
 * it for a duration while sampling, and hand back what was measured:
 * progress stamps, per-vCPU samples of the guest's steal clock and tick
 * counters beside the vCPU thread's schedstat, and the facts of the run.
 * The experiment runner uses this; the `kvm-mini` command is a thin shell
 * around it (options, output files, summary).
 *
 * Errors are logged once where found; functions return 0 or -errno. The
 * library never exits, never prints to stdout, and never trusts guest
 * memory (kvm-mini/decode.h reads it).
 */
#ifndef STEALSCOPE_KVM_MINI_VMM_H
/* A time the guest reported that cannot be true: not shown as a number. */
#define KMINI_NS_UNKNOWN INT64_MIN

#define STEALSCOPE_KVM_MINI_VMM_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/procstat.h"
#include "kvm-mini/abi.h"

#define KMINI_MAX_HOGS 8
#define KMINI_PIN_ANY (-1)

/*
 * A host busy thread pinned to @cpu at nice @nice, from @start_ns for
 * @duration_ns (0: to the end), busy @duty_pct of every @period_ns (100:
 * all the time; the period is then unused).
 */
struct kmini_hog {
	int cpu;
	int64_t start_ns;
	int64_t duration_ns;
	int nice;                      /* -20..19 (below 0 needs privilege) */
	double duty_pct;               /* (0, 100] */
	int64_t period_ns;             /* duty-cycle period, > 0 */
};

struct kmini_config {
	const char *kvm_dev;           /* NULL: /dev/kvm */
	int nvcpus;                    /* 1..KMINI_MAX_VCPUS */
	int pins[KMINI_MAX_VCPUS];     /* host CPU of each vCPU thread, KMINI_PIN_ANY */
	enum kmini_workload workload;
	int ntasks;                    /* sched: tasks in all (task j on vCPU j % nvcpus) */
	uint64_t units;                /* per task, 0: until the run ends */
	int64_t unit_work_ns;
	uint64_t loops_per_unit;       /* 0: the guest calibrates */
	int64_t slice_ns;              /* guest tick */
	int64_t duration_ns;
	int64_t interval_ns;           /* sampling */
	int nhogs;
	struct kmini_hog hogs[KMINI_MAX_HOGS];
	cpu_set_t stat_cpus;           /* host CPUs whose /proc/stat lines are sampled
					  with the vCPUs (empty: none) */
	int64_t process_start_ns;      /* CLOCK_MONOTONIC at main(), for start-up latency */
};

/* One progress stamp, host time. */
struct kmini_stamp {
	int64_t t_ns;                  /* from t0 */
	uint32_t task;
	uint32_t unit;
	uint32_t vcpu;
	uint32_t pad;
};

/* One sample of one vCPU (cumulative counters). */
struct kmini_sample {
	int64_t t_ns;                  /* from t0 */
	uint64_t guest_steal_ns;       /* steal clock minus host_delay's base (see sampler.c) */
	uint64_t host_run_ns;          /* vCPU thread schedstat, since the thread began */
	uint64_t host_delay_ns;
	uint64_t tick_user, tick_system, tick_idle, tick_steal;
	int steal_valid;               /* 0: the steal struct could not be read */
};

struct kmini_vcpu_result {
	pid_t tid;
	int pin;                       /* KMINI_PIN_ANY: unpinned */
	size_t nsamples;
	struct kmini_sample *samples;
	uint64_t units_done;           /* stamps delivered */
	uint64_t dropped_guest;        /* the guest found its ring full */
	uint64_t dropped_host;         /* the host's stamp buffer was full */
	uint64_t overwritten;          /* ring slots lost to a later lap */
	uint64_t rejected;             /* records with an impossible task or unit */
	uint64_t calib_loops;          /* loops per unit the guest used */
	uint64_t calib_probe_loops, calib_probe_tsc;
	int64_t calib_ns;              /* the guest's calibration took (before t0), 0: none */
	int64_t boot_ns;               /* first guest instruction, from t0 (< 0: before it);
					  KMINI_NS_UNKNOWN when the guest's boot stamp
					  (guest memory) lies far before this process
					  started or after the run's results were taken */
	uint64_t exits;                /* KVM_RUN returns to user space */
	uint64_t host_delay_base_ns;   /* thread's run delay at t0 */
	uint64_t steal_at_enable_ns;   /* the guest's first steal reading (raw) */
};

/*
 * The host's /proc/stat lines of kmini_config.stat_cpus, read at t0 and then
 * at every vCPU sample (same t_ns): what the host CPUs involved did
 * meanwhile (the hog, the vCPU threads, anything else).
 */
struct kmini_cpu_samples {
	int ncpus;                     /* CPUs sampled; 0: none were asked for */
	int *cpus;                     /* ascending */
	struct procstat_cpu *at_t0;    /* [c] */
	unsigned char *at_t0_ok;       /* [c]; 0: absent (offline) or the read failed */
	size_t n, cap;                 /* samples taken, room */
	int64_t *t_ns;                 /* [k], from t0 */
	struct procstat_cpu *cpu;      /* [k * ncpus + c] */
	unsigned char *ok;             /* [k * ncpus + c] */
	int64_t read_errors;           /* failed reads of /proc/stat */
};

/* Start-up, step by step (ns each), for meta.json. */
enum kmini_phase {
	KMINI_PH_MAIN = 0,             /* process start (main) to kmini_vm_create() */
	KMINI_PH_PROBE,                /* open the device, check capabilities */
	KMINI_PH_VM,                   /* KVM_CREATE_VM, memory, irqchip */
	KMINI_PH_CPUID,                /* KVM_GET_SUPPORTED_CPUID */
	KMINI_PH_VCPUS,                /* KVM_CREATE_VCPU, CPUID, registers of every vCPU */
	KMINI_PH_LOAD,                 /* TSC rate, guest image and config */
	KMINI_PH_THREADS,              /* vCPU threads started, pinned, ready */
	KMINI_PH_ENTRY,                /* to vCPU 0's first guest instruction */
	KMINI_PH_READY,                /* to t0: every vCPU set up and calibrated */
	KMINI_NPHASES,
};

/* "main", "probe", ... (static storage). */
const char *kmini_phase_name(enum kmini_phase p);

struct kmini_result {
	int nvcpus;
	struct kmini_vcpu_result vcpu[KMINI_MAX_VCPUS];
	size_t nstamps;
	struct kmini_stamp *stamps;    /* in order of arrival per vCPU, merged by time */
	int64_t t0_ns;                 /* CLOCK_MONOTONIC of the run's start */
	char sampler_cpus[64];         /* where the sampling thread ran ("" : anywhere) */
	int64_t wall_ns;               /* t0 to the last sample */
	int64_t startup_ns;            /* process start to vCPU 0's first instruction;
					  -1 when vCPU 0's boot_ns is unknown */
	int64_t phase_ns[KMINI_NPHASES]; /* -1: unknown (entry and ready, as startup_ns) */
	uint64_t tsc_khz;              /* measured over the run (guest TSC vs CLOCK_MONOTONIC) */
	uint64_t tsc_khz_kvm;          /* KVM_GET_TSC_KHZ */
	char kvm_module[32];
	struct kmini_cpu_samples cpustat;
	/* why the run ended early (all "" / 0 for a clean run) */
	int guest_exception;           /* 1: a guest exception, fields below */
	int exc_vcpu;
	uint64_t exc_vector, exc_error, exc_rip, exc_cr2;
	char error[512];               /* the message, as logged */
	int stopped_by_signal;
};

struct kmini_vm;

/*
 * Open the device, check what kvm-mini needs (kvm-mini/kvmprobe.h), create
 * the VM with its memory, irqchip and @cfg->nvcpus vCPUs, and load the
 * guest. Returns 0 with *@out, or: -ENOENT/-EACCES/... when the device
 * cannot be opened, -EOPNOTSUPP when a capability is missing (the probe's
 * reason is logged), other -errno for failed ioctls (logged with their name).
 */
int kmini_vm_create(const struct kmini_config *cfg, struct kmini_vm **out);

/*
 * Run: start the vCPU threads, wait until every guest vCPU is set up and
 * calibrated (halted, no task ran yet), then take t0, release them all at
 * once, start the hogs and sample every interval until the duration has
 * passed (or cli_stop_requested()), stop and join. Fills @res (free it with
 * kmini_result_free()). Returns 0, -EFAULT after a guest exception or guest
 * panic, -EPROTO when the guest corrupted the shared area (res->error says
 * how), -ETIMEDOUT when a vCPU never got ready or stopped ticking, -EINTR
 * when stopped by a signal, or another -errno. @res holds what was measured
 * in every case.
 */
int kmini_vm_run(struct kmini_vm *vm, struct kmini_result *res);

void kmini_vm_destroy(struct kmini_vm *vm);
void kmini_result_free(struct kmini_result *res);

/* "#PF" for 14, "vector N" style names for the rest (static storage). */
const char *kmini_vector_name(uint64_t vector);

#endif
