/*
 * runfiles: the raw files of a results directory (see experiments/README.md,
 * "Results directory"): the copy of the spec, meta.json, and per repetition
 * progress.csv, vcpu.csv and cpu.csv. Renderers only: they read the arrays
 * the runner measured and never open /proc. Every file is written to a
 * temporary name and renamed (csvio, afile), so an interrupted run leaves
 * only whole files.
 */
#ifndef STEALSCOPE_RUNFILES_H
#define STEALSCOPE_RUNFILES_H

#include <stddef.h>
#include <stdint.h>

#include "experiments/guestimage.h"
#include "experiments/rundata.h"

/* Copy the file @src as <dir>/<name>, byte for byte. 0 or -errno (logged). */
int runfiles_copy(const char *src, const char *dir, const char *name);

/*
 * Write <dir>/progress.csv, vcpu.csv and cpu.csv of repetition @rep of a run
 * of @s (whatever was measured, also after an interrupt). The directory
 * must exist. Returns 0 or the first -errno (logged).
 */
int runfiles_write_rep(const char *dir, const struct spec *s, const struct run_rep *rep);

/* What meta.json says about the run beyond meta_write()'s host facts. */
struct run_meta {
	const char *spec_path;         /* as found */
	const char *backend;           /* the backend that ran: "native" */
	const char *backend_requested; /* "auto", or the backend asked for (option or spec) */
	const char *backend_reason;    /* why auto chose @backend; NULL without auto */
	int quick;                     /* --quick shortened the run */
	const struct run_policy *policies;
	size_t npolicies;
	/* a real guest (libvirt); all NULL otherwise */
	const char *connect_uri;
	const char *domain_type;       /* "kvm" or "qemu" */
	const char *domain_type_reason; /* why, when --domain-type did not say */
	const struct guestimage *image;
	const char *guest_steal_unavailable; /* why the guest's steal is not measured
						(TCG has no steal clock); NULL when it is */
	/* the kvm-mini backend; NULL kvm_route otherwise */
	const char *kvm_route;         /* "in-process" or "nested-tcg" */
	const char *kvm_route_reason;  /* why that route */
	const char *kvm_route_caveat;  /* nested: what is not representative; else NULL */
	const char *kvm_module;        /* of the host kvm-mini ran on (L1's when nested) */
	int64_t kvm_startup_ns;        /* the first repetition's start-up; -1 unknown */
};

/*
 * (Re)write <dir>/meta.json: meta_write()'s members (started_utc from
 * @started_unix), then "spec_path", "backend", "backend_requested",
 * "backend_reason" (with --backend auto only), "quick" and "policies": per
 * policy its name, description, status (and "reason" when skipped or
 * failed), the run's resolved settings (duration, sample interval,
 * workload, vCPUs with pins, tasks, unit_work, slice, quota and the
 * mechanism used), contention windows and phases in ns from t0, the
 * calibration, and per repetition the vCPU thread ids, whether it ran to the
 * end, and the progress stamps dropped. With a real guest also "libvirt":
 * {"connect", "domain_type", "domain_type_reason", "guest_image": IMAGE's
 * facts, "guest_steal": null or why it is unavailable}, and per repetition
 * "guest": the domain, boot time, t0 as the guest saw it, its tools' version
 * and kernel, exit status, error, serial log size and the tools' notes
 * (sched-load's calibration among them). With kvm-mini also "kvm_route",
 * "kvm_route_reason" and "kvm_mini": {"route", "reason", "caveat" (null
 * in-process), "kvm_module", "startup_ns" (null unknown)}. 0 or -errno
 * (logged).
 */
int runfiles_meta(const char *dir, int argc, char *const *argv, int64_t started_unix,
		  const struct run_meta *m);

#endif
