/*
 * kvmprobe: what the KVM device offers kvm-mini (see kvmprobe.h).
 *
 * Only system ioctls on the device fd are used (KVM_GET_API_VERSION,
 * KVM_CHECK_EXTENSION, KVM_GET_SUPPORTED_CPUID): no VM or vCPU is created,
 * so probing is cheap and leaves nothing behind. This file must never keep
 * the device open past kmini_probe(), never print to stdout and never exit.
 */
#include "kvm-mini/kvmprobe.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CPUID_FIRST_ENTRIES 64

int kmini_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

const char *kmini_cap_state_name(enum kmini_cap_state s)
{
	switch (s) {
	case KMINI_CAP_YES:
		return "yes";
	case KMINI_CAP_NO:
		return "no";
	default:
		return "unknown";
	}
}

static void probe_reset(struct kmini_probe *out, const char *name)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->dev, sizeof(out->dev), "%s", name);
	out->api_version = -1;
	out->cap_user_memory = KMINI_CAP_UNKNOWN;
	out->cap_irqchip = KMINI_CAP_UNKNOWN;
	out->cap_get_tsc_khz = KMINI_CAP_UNKNOWN;
	out->cap_vcpu_attributes = KMINI_CAP_UNKNOWN;
	out->steal_time = KMINI_CAP_UNKNOWN;
}

/* A failed system call: log it and make it the reason. Returns @code. */
static int syscall_failed(struct kmini_probe *out, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int syscall_failed(struct kmini_probe *out, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	out->usable = 0;
	return log_err(code, "%s", out->reason);
}

/* A missing feature: the first one becomes the reason; nothing is logged. */
static int missing(struct kmini_probe *out, int *first, const char *what)
{
	if (*first == 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: %s", out->dev, what);
		*first = -EOPNOTSUPP;
	}
	return *first;
}

struct cap_query {
	int cap;
	const char *name;
	size_t offset;                 /* of the enum kmini_cap_state in struct kmini_probe */
	int required;
	const char *missing_msg;
};

#define CAP(c, field, req, msg) { c, #c, offsetof(struct kmini_probe, field), req, msg }

static const struct cap_query caps[] = {
	CAP(KVM_CAP_USER_MEMORY, cap_user_memory, 1,
	    "no KVM_CAP_USER_MEMORY (guest memory from user space)"),
	CAP(KVM_CAP_IRQCHIP, cap_irqchip, 1, "no KVM_CAP_IRQCHIP (in-kernel irqchip)"),
	CAP(KVM_CAP_GET_TSC_KHZ, cap_get_tsc_khz, 0, NULL),
	CAP(KVM_CAP_VCPU_ATTRIBUTES, cap_vcpu_attributes, 0, NULL),
};

int kmini_probe_supported_cpuid(int kvm_fd, const char *name, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c;
	size_t nent = CPUID_FIRST_ENTRIES;
	int e;

	*out = NULL;
	for (;;) {
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return log_err(-ENOMEM, "KVM_GET_SUPPORTED_CPUID: %zu entries: out of memory",
				       nent);
		c->nent = (__u32)nent;
		e = kmini_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (e == 0) {
			*out = c;
			return 0;
		}
		free(c);
		/* E2BIG: the table has more entries than we offered room for. */
		if (e != -E2BIG || nent >= KMINI_PROBE_CPUID_MAX_ENTRIES)
			return log_err(e, "KVM_GET_SUPPORTED_CPUID on %s: %s", name, strerror(-e));
		nent *= 2;
	}
}

int kmini_probe_cpuid_leaf(const struct kvm_cpuid2 *cpuid, unsigned function,
			   unsigned index, unsigned regs[4])
{
	const struct kvm_cpuid_entry2 *e;
	__u32 i;

	for (i = 0; i < cpuid->nent; i++) {
		e = &cpuid->entries[i];
		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		regs[0] = e->eax;
		regs[1] = e->ebx;
		regs[2] = e->ecx;
		regs[3] = e->edx;
		return 0;
	}
	return -ENOENT;
}

/* Steal time is offered in KVM's own CPUID leaf, as the guest will see it. */
static int probe_steal_time(int fd, struct kmini_probe *out, int *first)
{
	struct kvm_cpuid2 *cpuid;
	unsigned regs[4];
	int err;

	err = kmini_probe_supported_cpuid(fd, out->dev, &cpuid);
	if (err) {
		snprintf(out->reason, sizeof(out->reason), "%s", log_last_error());
		return err;
	}
	if (kmini_probe_cpuid_leaf(cpuid, KVM_CPUID_FEATURES, 0, regs) == 0 &&
	    (regs[0] & (1u << KVM_FEATURE_STEAL_TIME)))
		out->steal_time = KMINI_CAP_YES;
	else
		out->steal_time = KMINI_CAP_NO;
	free(cpuid);
	if (out->steal_time != KMINI_CAP_YES)
		missing(out, first, "KVM_FEATURE_STEAL_TIME not offered (CPUID 0x40000001 EAX bit 5)");
	return 0;
}

int kmini_probe_fd(int fd, const char *name, struct kmini_probe *out)
{
	enum kmini_cap_state *state;
	int first = 0, r;
	size_t i;

	probe_reset(out, name ? name : KMINI_PROBE_DEFAULT_DEV);
	r = kmini_ioctl(fd, KVM_GET_API_VERSION, NULL);
	if (r < 0)
		return syscall_failed(out, r, "KVM_GET_API_VERSION on %s: %s", out->dev,
				      strerror(-r));
	out->api_version = r;
	if (r != KMINI_PROBE_API_VERSION) {
		snprintf(out->reason, sizeof(out->reason), "%s: KVM API version %d, expected %d",
			 out->dev, r, KMINI_PROBE_API_VERSION);
		return -EPROTO;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		/* > 0 supported (some capabilities answer with a count), 0 not */
		r = kmini_ioctl(fd, KVM_CHECK_EXTENSION, (void *)(long)caps[i].cap);
		if (r < 0)
			return syscall_failed(out, r, "KVM_CHECK_EXTENSION(%s) on %s: %s",
					      caps[i].name, out->dev, strerror(-r));
		state = (enum kmini_cap_state *)((char *)out + caps[i].offset);
		*state = r > 0 ? KMINI_CAP_YES : KMINI_CAP_NO;
		if (!r && caps[i].required)
			missing(out, &first, caps[i].missing_msg);
	}
	r = probe_steal_time(fd, out, &first);
	if (r)
		return r;
	out->usable = first == 0;
	return first;
}

int kmini_probe(const char *dev, struct kmini_probe *out)
{
	const char *path = dev ? dev : KMINI_PROBE_DEFAULT_DEV;
	int fd, err, e;

	probe_reset(out, path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		out->dev_errno = e;
		return syscall_failed(out, -e, "open %s: %s", path, strerror(e));
	}
	err = kmini_probe_fd(fd, path, out);
	close(fd);
	return err;
}
