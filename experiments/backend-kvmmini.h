/*
 * backend-kvmmini: the `kvm-mini` backend of the stealscope runner: a real
 * KVM guest (kvm-mini/) with paravirtual steal time and tick accounting,
 * so every repetition measures the guest's exact steal and its tick view
 * beside the vCPU threads' host run delay.
 *
 * One repetition is one kvm-mini run with the spec's vCPUs, pins,
 * workload, slice, sampling interval and [contention] windows (kvm-mini's
 * own hogs: one --hog per section, with its nice and duty cycle). It runs
 * by one of two routes:
 * - in-process, where /dev/kvm opens: through the kvm-mini library
 *   (kvm-mini/vmm.h), in this process;
 * - nested, where it does not but QEMU and the nested image are there:
 *   the static kvm-mini in an L1 guest under QEMU TCG with nested SVM
 *   (experiments/kmnested.h), its files brought back over the serial port.
 * Either way kvm-mini writes its results directory (progress.csv,
 * vcpu.csv, cpu.csv, meta.json) into <rep>/kvm-mini/, and the repetition's
 * arrays are read from those files, so both routes share one reader.
 *
 * The mapping from spec to kvm-mini arguments and the reader are pure
 * (unit-tested); only kvmmini_open() looks at the machine and only
 * kvmmini_run_rep() runs anything. A stop request (SIGINT/SIGTERM) ends
 * the in-process run at its next sample, or kills the nested QEMU at once.
 * Nothing here exits.
 */
#ifndef STEALSCOPE_BACKEND_KVMMINI_H
#define STEALSCOPE_BACKEND_KVMMINI_H

#include <stddef.h>
#include <stdint.h>

#include "experiments/kmnested.h"
#include "experiments/rundata.h"

#define KVMMINI_MAX_ARGS 64
#define KVMMINI_ARG_LEN 96
#define KVMMINI_DIR "kvm-mini"         /* kvm-mini's own files, in the repetition's directory */

enum kvmmini_route { KVMMINI_ROUTE_NONE, KVMMINI_ROUTE_IN_PROCESS, KVMMINI_ROUTE_NESTED };

/* "in-process", "nested-tcg", "none". */
const char *kvmmini_route_name(enum kvmmini_route r);

/* A kvm-mini command line, without the program name and without --out. */
struct kvmmini_args {
	int argc;
	char *argv[KVMMINI_MAX_ARGS + 1];      /* NULL-terminated, into buf */
	char buf[KVMMINI_MAX_ARGS][KVMMINI_ARG_LEN];
};

/*
 * The kvm-mini arguments for a run of @s: --vcpus, --pin (one CPU, a list
 * in vCPU order, or any), --workload, --tasks, --units, --unit-work,
 * --slice, --duration, --interval, and one --hog CPU:START[:DURATION],
 * nice=N,duty=PCT,period=DUR per [contention] section (no DURATION for a
 * window that lasts to the end), times in ns. Returns 0, or -EINVAL
 * (logged) for what kvm-mini cannot run: a contention window shorter than
 * its 1 ms minimum.
 */
int kvmmini_args(const struct spec *s, struct kvmmini_args *out);

/* What a repetition's kvm-mini meta.json says beyond the arrays. */
struct kvmmini_facts {
	char status[512];              /* "ok", or why the run ended early */
	char kvm_module[32];           /* of the host kvm-mini ran on (L1's when nested) */
	int64_t startup_ns;            /* process start to vCPU 0's first instruction */
	int64_t wall_ns;               /* t0 to the last sample */
	uint64_t loops_per_unit;       /* vCPU 0's calibration; 0 unknown */
	double ns_per_loop;            /* NaN unknown */
	pid_t tids[SPEC_MAX_VCPUS];    /* kvm-mini's vCPU thread ids */
};

/*
 * Read kvm-mini's results directory @dir (progress.csv, vcpu.csv, cpu.csv,
 * meta.json) of a run of @s into @rep (cleared first; free with
 * rundata_rep_free()) and @facts. Samples: number 0 at t0 with every vCPU
 * counter 0 (kvm-mini counts from there) and cpu.csv's seq-0 read, then
 * one per t_ns of vcpu.csv (number k: cpu.csv's seq k), with
 * host_run_ns/host_delay_ns as the schedstat pair, guest_steal_ns as the
 * exact steal clock (0 before a vCPU's first reading: its guest had not
 * started, so it had been told none), tick_* as the guest's tick samples
 * (steal ticks real), and cpu.csv's counters of the CPUs
 * rundata_cpus_involved() names. Stamps per vCPU, with the records
 * kvm-mini lost counted as dropped. rep->tids are the facts' tids when
 * @host_tids, else 0 (a nested run's threads are not this host's).
 * rep->measured is set when kvm-mini took a sample, rep->completed when its
 * last one reaches the run's end and its status is "ok". Returns 0, or
 * -EINVAL/-ENOENT/-ENOMEM (logged, naming the file and line); @rep then
 * holds nothing.
 */
int kvmmini_read(const char *dir, const struct spec *s, int host_tids, struct run_rep *rep,
		 struct kvmmini_facts *facts);

/* What every repetition of a run shares: the route and how it was chosen. */
struct kvmmini_session {
	enum kvmmini_route route;
	int opened;                    /* kvmmini_open() ran */
	char reason[1024];             /* why this route (and why not the other) */
	struct kmnested nested;        /* the nested route's files, when it is taken */
	const char *kvm_dev;           /* NULL: /dev/kvm */
	int have_first;                /* first_* hold the first repetition's facts */
	struct kvmmini_facts first;
};

/*
 * Choose the route for this machine into @ks: in-process when @kvm_dev
 * (NULL: /dev/kvm) opens and has what kvm-mini needs; else nested when
 * kmnested_available() says so (with @require_image, only when the L1
 * image is built or its kernel .deb is at hand: --backend auto must not
 * download); else none. ks->reason says which and why in one phrase:
 * "/dev/kvm is usable", "no usable /dev/kvm (No such file or directory):
 * kvm-mini runs nested, ...", or "kvm-mini needs /dev/kvm: No such file or
 * directory; nested route: no qemu-system-x86_64 on PATH (...)". Returns
 * ks->route.
 */
enum kvmmini_route kvmmini_open(struct kvmmini_session *ks, const char *kvm_dev,
				int require_image);

/*
 * Run repetition @r (0-based) of policy @p into the existing directory
 * @dir and @out (cleared first; free with rundata_rep_free()); @progress
 * draws the terminal progress line. After the first repetition of a
 * policy, p->calib holds its vCPU 0 calibration (p->calibrated set) and
 * ks->first the facts of the run's first repetition. Returns 0; -EINTR
 * (a stop request: the run was ended, the nested QEMU killed); -EFAULT
 * (kvm-mini failed: its exit status, status line and the end of its output
 * are logged); -ETIMEDOUT (the nested guest did not finish in time); or
 * another -errno, logged. What was measured is in @out whatever the
 * result (nothing when the nested run was killed).
 */
int kvmmini_run_rep(struct kvmmini_session *ks, struct run_policy *p, int r, const char *dir,
		    int progress, struct run_rep *out);

/*
 * The caveat of the nested route for meta.json and the report: what is
 * real there and what is not representative.
 */
extern const char kvmmini_nested_caveat[];

#endif
