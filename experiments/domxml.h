/*
 * domxml: the transient libvirt domain that runs one repetition of an
 * experiment in a real Linux guest (the libvirt backend), as text: its name,
 * the kernel command line that carries the repetition's settings to the
 * guest (docs/guest-protocol.md) and the domain XML.
 *
 * The domain: direct kernel boot of the guest image (kernel + initramfs,
 * no disk), no network, no USB, no balloon, ACPI on (without it `poweroff
 * -f` only halts the guest), the serial console into a file, and
 * on_poweroff/on_reboot/on_crash all `destroy`, so the guest's poweroff
 * ends the domain. <cputune> says where the vCPU threads may run (a vcpupin
 * per pinned vCPU; an unpinned one gets none) and where the emulator
 * threads go (domxml_emulator_cpus()), and carries a [vm] quota as a
 * per-vCPU period/quota.
 *
 * Pure: it builds strings from its arguments and never talks to libvirt,
 * reads a file or looks at the machine (the caller passes the online CPUs).
 * Every string from outside (names, paths) is XML-escaped. Nothing here
 * exits or prints beyond log_err().
 */
#ifndef STEALSCOPE_DOMXML_H
#define STEALSCOPE_DOMXML_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "experiments/spec.h"

#define DOMXML_MEMORY_MIB 256          /* a kernel and an initramfs, no more */
#define DOMXML_NAME_MAX 128
#define DOMXML_CMDLINE_MAX 1024        /* the x86 kernel accepts 2048 */
#define DOMXML_QUOTA_PERIOD_US 100000  /* as cgroup v2's cpu.max default */

/* What the domain is made of; every pointer must be set (emulator_cpus may be NULL). */
struct domxml_in {
	const struct spec *spec;       /* vCPUs, pins, quota */
	const char *name;              /* domxml_name() */
	const char *description;       /* one line for <description>, or NULL */
	const char *domain_type;       /* "kvm" or "qemu" (TCG) */
	const char *kernel;            /* absolute path of the guest kernel */
	const char *initrd;            /* absolute path of the initramfs */
	const char *cmdline;           /* domxml_cmdline() */
	const char *serial_path;       /* absolute path the serial console is written to */
	const cpu_set_t *emulator_cpus; /* NULL or empty: no <emulatorpin> */
	int memory_mib;                /* 0: DOMXML_MEMORY_MIB */
};

/*
 * "stealscope-<experiment>-<pid>-<n>" into @buf: unique per run (@pid is
 * the runner's) and per domain of that run (@n counts from 1). 0, or
 * -ENAMETOOLONG (logged) when it does not fit @len or DOMXML_NAME_MAX.
 */
int domxml_name(char *buf, size_t len, const char *experiment, pid_t pid, int n);

/*
 * The kernel command line of one repetition of @s: "console=ttyS0 quiet
 * loglevel=1 panic=-1" and the stealscope.KEY=VALUE words of the guest
 * protocol (id, vcpus, workload, tasks, units, unit_work, duration,
 * interval, margin; times in ns). @id: the boot's 8-16 hex digits.
 * 0, -EINVAL (a bad id) or -ENAMETOOLONG, logged.
 */
int domxml_cmdline(const struct spec *s, const char *id, int64_t margin_ns, char *buf,
		   size_t len);

/*
 * Where the emulator threads (QEMU's main loop, I/O; under TCG also what
 * delivers the guest's timer and serial interrupts) should run, so that they
 * add no contention the spec did not ask for: the @online CPUs that no
 * vCPU is pinned to and no [contention] uses; failing that, those no vCPU
 * is pinned to; failing that, none (an empty set: no <emulatorpin>).
 */
void domxml_emulator_cpus(const struct spec *s, const cpu_set_t *online, cpu_set_t *out);

/*
 * [vm] quota as libvirt's per-vCPU <period>/<quota> in us: the limit is
 * for the vCPUs together, so each of n vCPUs gets quota_pct / n of a CPU
 * (libvirt has no cgroup holding the vCPU threads alone). The period is
 * DOMXML_QUOTA_PERIOD_US, 1 s when the quota would be below libvirt's
 * minimum of 1000 us, and the quota at least 1000 us. Both 0 without a quota.
 */
void domxml_quota(const struct spec *s, int64_t *period_us, int64_t *quota_us);

/*
 * The domain XML of @in, malloc'ed into *@out. 0, or -EINVAL (a domain type
 * other than kvm/qemu, vCPUs out of 1..SPEC_MAX_VCPUS, a missing string) or
 * -ENOMEM, logged.
 */
int domxml_build(const struct domxml_in *in, char **out);

#endif
