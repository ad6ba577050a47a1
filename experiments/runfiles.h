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
 * end, and the progress stamps dropped. 0 or -errno (logged).
 */
int runfiles_meta(const char *dir, int argc, char *const *argv, int64_t started_unix,
		  const struct run_meta *m);

#endif
