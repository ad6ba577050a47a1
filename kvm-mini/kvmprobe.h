/*
 * kvmprobe: can kvm-mini run on this KVM device, and if not, why not.
 *
 * The probe opens the device, asks for the API version, checks the
 * capabilities kvm-mini relies on and reads the supported CPUID table for
 * the paravirtual steal-time feature. It only asks: it never creates a VM,
 * never keeps the device open (kmini_probe() closes it; kmini_probe_fd()
 * leaves the caller's fd alone) and never exits. Which kernel module provides
 * the device is a host fact: see common/hostinfo.h.
 *
 * Every failed system call is logged once with the ioctl's name, e.g.
 * "KVM_GET_API_VERSION on /dev/null: Inappropriate ioctl for device", and
 * the same text lands in the result's reason.
 */
#ifndef STEALSCOPE_KVM_MINI_KVMPROBE_H
#define STEALSCOPE_KVM_MINI_KVMPROBE_H


#define KMINI_PROBE_DEFAULT_DEV "/dev/kvm"
#define KMINI_PROBE_API_VERSION 12     /* the only stable KVM API version */

/* Upper bound on the entries asked from KVM_GET_SUPPORTED_CPUID. */
#define KMINI_PROBE_CPUID_MAX_ENTRIES 1024

struct kvm_cpuid2;

/* A capability as KVM_CHECK_EXTENSION answered it. */
enum kmini_cap_state {
	KMINI_CAP_UNKNOWN = -1,        /* not asked (an earlier step failed) */
	KMINI_CAP_NO = 0,
	KMINI_CAP_YES = 1,
};

struct kmini_probe {
	char dev[256];                 /* the device path probed */
	int dev_errno;                 /* errno of the failed open, 0 if it opened */
	int api_version;               /* KVM_GET_API_VERSION, -1 unknown */
	/* KVM_CHECK_EXTENSION on the system fd */
	enum kmini_cap_state cap_user_memory;     /* KVM_CAP_USER_MEMORY: guest RAM */
	enum kmini_cap_state cap_irqchip;         /* KVM_CAP_IRQCHIP: in-kernel LAPIC timer */
	enum kmini_cap_state cap_get_tsc_khz;     /* KVM_CAP_GET_TSC_KHZ: guest TSC rate */
	enum kmini_cap_state cap_vcpu_attributes; /* KVM_CAP_VCPU_ATTRIBUTES: on x86 the
						     KVM_VCPU_TSC_CTRL offset (optional:
						     kvmclock is the fallback) */
	/* KVM_GET_SUPPORTED_CPUID leaf 0x40000001 (KVM_CPUID_FEATURES) EAX bit 5 */
	enum kmini_cap_state steal_time;
	int usable;                    /* everything kvm-mini needs is there */
	char reason[512];              /* why not usable ("" when usable) */
};

/*
 * Probe the device at @dev (NULL: KMINI_PROBE_DEFAULT_DEV): open it
 * read-write, probe, close. @out is always filled. Returns 0 when kvm-mini
 * can run, else a negative code with @out->reason saying why:
 *   -errno of open(2)        "open /dev/kvm: No such file or directory"
 *   -errno of an ioctl       "KVM_GET_API_VERSION on /dev/null: Inappropriate
 *                             ioctl for device" (not a KVM device)
 *   -EPROTO                  "/dev/kvm: KVM API version 11, expected 12"
 *   -EOPNOTSUPP              "/dev/kvm: no KVM_CAP_IRQCHIP (in-kernel irqchip)"
 *                            or "/dev/kvm: KVM_FEATURE_STEAL_TIME not offered
 *                            (CPUID 0x40000001 EAX bit 5)"
 * Errors from system calls are logged; a missing feature is not an error of
 * this program and is only put into @out->reason.
 */
int kmini_probe(const char *dev, struct kmini_probe *out);

/* The same on an fd the caller opened (@name for messages); @fd stays open. */
int kmini_probe_fd(int fd, const char *name, struct kmini_probe *out);

/*
 * KVM_GET_SUPPORTED_CPUID on the system fd @kvm_fd: the table grows from 64
 * entries while KVM answers E2BIG, up to KMINI_PROBE_CPUID_MAX_ENTRIES. On
 * success *@out is a malloc'ed table with nent set (free() it). The call costs
 * ~0.4 ms: do it once per process. Returns 0, -ENOMEM, or -errno (logged
 * with @name).
 */
int kmini_probe_supported_cpuid(int kvm_fd, const char *name, struct kvm_cpuid2 **out);

/*
 * The entry of @cpuid for leaf @function, subleaf @index (the index only
 * matters for entries flagged KVM_CPUID_FLAG_SIGNIFCANT_INDEX). Returns the
 * entry's EAX/EBX/ECX/EDX in @regs and 0, or -ENOENT when the leaf is absent.
 */
int kmini_probe_cpuid_leaf(const struct kvm_cpuid2 *cpuid, unsigned function,
			   unsigned index, unsigned regs[4]);

/*
 * ioctl(2) on a KVM fd, retried on EINTR: the result (>= 0) or -errno. Logs
 * nothing: callers name the request in their message (its name, never its
 * number). Shared by everything in kvm-mini that talks to KVM.
 */
int kmini_ioctl(int fd, unsigned long req, void *arg);

/* "yes", "no" or "unknown". */
const char *kmini_cap_state_name(enum kmini_cap_state s);

#endif
