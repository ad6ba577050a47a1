/*
 * doctor: can stealscope's experiments run on this machine, and if not, what
 * to do about it. A table of checks, each a function that looks at one thing
 * (the KVM device, the KVM module, steal time, the in-kernel irqchip,
 * schedstat, online CPUs, gnuplot, the libvirt daemon, cgroup CPU quota) and
 * returns a status and one line of explanation, with the remedy when there is
 * a problem.
 *
 * Checks only look: they never load modules, start daemons, create cgroups
 * or keep /dev/kvm open, and they never print (doctor_print() renders).
 * Files are read under a root directory so tests can use fixture trees.
 */
#ifndef STEALSCOPE_EXPERIMENTS_DOCTOR_H
#define STEALSCOPE_EXPERIMENTS_DOCTOR_H

#include <stddef.h>
#include <stdio.h>

#include "common/hostinfo.h"
#include "kvm-mini/kvmprobe.h"

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

/* What a failed check stops. */
enum doctor_need {
	DOCTOR_NEED_KVM,               /* the kvm-mini backend (exit 4: use --backend native) */
	DOCTOR_NEED_DEFAULT,           /* the default experiment with any backend (exit 1) */
	DOCTOR_NEED_OPTIONAL,          /* one backend or policy only: a WARN at most */
};

#define DOCTOR_MSG_LEN 1024

struct doctor_result {
	enum doctor_status status;
	char msg[DOCTOR_MSG_LEN];      /* what was found; for WARN/FAIL also what to do */
};

/* Where the checks look, and what they found so far (shared between checks). */
struct doctor_ctx {
	const char *root;              /* "" for the real system */
	const char *kvm_dev;           /* KVM device path */
	const char *path_env;          /* $PATH to search for programs */
	int probed;                    /* kvm and host below are filled */
	int probe_err;                 /* kmini_probe()'s return */
	struct kmini_probe kvm;
	int host_err;                  /* hostinfo_gather()'s return */
	struct hostinfo host;
};

/*
 * Set up @ctx. @root NULL or "" is the real system; @kvm_dev NULL is
 * KMINI_PROBE_DEFAULT_DEV (taken as given, not under @root); @path_env NULL
 * is $PATH ("/usr/bin:/bin" when unset).
 */
void doctor_ctx_init(struct doctor_ctx *ctx, const char *root, const char *kvm_dev,
		     const char *path_env);

struct doctor_check {
	const char *name;              /* "kvm-device", ... */
	enum doctor_need need;
	void (*fn)(struct doctor_ctx *ctx, struct doctor_result *out);
};

/* Every check, in the order doctor runs and prints them. */
extern const struct doctor_check doctor_checks[];
extern const size_t doctor_ncheck;

/* The check called @name, or NULL. */
const struct doctor_check *doctor_find(const char *name);

/*
 * The checks one by one (also reachable through doctor_checks[]). A check
 * needing facts that another step gathers (the KVM probe, host facts) does
 * that once per @ctx.
 */
/* kmini_probe() of ctx->kvm_dev */
void doctor_check_kvm_device(struct doctor_ctx *ctx, struct doctor_result *out);
/* which of kvm_intel, kvm_amd, kvm_pvm provides it */
void doctor_check_kvm_module(struct doctor_ctx *ctx, struct doctor_result *out);
/* KVM_FEATURE_STEAL_TIME in the supported CPUID */
void doctor_check_steal_time(struct doctor_ctx *ctx, struct doctor_result *out);
/* KVM_CAP_IRQCHIP */
void doctor_check_irqchip(struct doctor_ctx *ctx, struct doctor_result *out);
void doctor_check_kvm_nested(struct doctor_ctx *ctx, struct doctor_result *out);
/* <root>/proc/self/schedstat and our own thread's schedstat parse */
void doctor_check_schedstat(struct doctor_ctx *ctx, struct doctor_result *out);
/* at least 2 CPUs online, CPU 0 among them */
void doctor_check_cpus(struct doctor_ctx *ctx, struct doctor_result *out);
/* gnuplot on ctx->path_env */
void doctor_check_gnuplot(struct doctor_ctx *ctx, struct doctor_result *out);
/* a libvirtd socket that accepts connect(2) */
void doctor_check_libvirt(struct doctor_ctx *ctx, struct doctor_result *out);
/* cgroup v2 cpu.max, or v1 cpu.cfs_quota_us */
void doctor_check_cgroup(struct doctor_ctx *ctx, struct doctor_result *out);

/* "OK", "WARN", "FAIL". */
const char *doctor_status_name(enum doctor_status s);

/*
 * Run every check of doctor_checks[] into @results (doctor_ncheck of them).
 * The checks' own diagnostics are folded into their messages: logging is
 * made quiet while they run and switched back on afterwards. Returns the exit
 * code: 1 when a check needed by the default experiment failed, else 4 when
 * one needed by the kvm-mini backend failed, else 0 (WARNs do not count).
 */
int doctor_run(struct doctor_ctx *ctx, struct doctor_result *results);

/*
 * One line per check: "FAIL  kvm-device    <msg>" (status padded to 4,
 * name to 13), then a verdict line for @exit_code. Returns 0 or -EIO.
 */
int doctor_print(FILE *fp, const struct doctor_result *results, int exit_code);

#endif
