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
 * The mapping from spec to kvm-mini arguments (experiments/kmargs.h) and
 * the reader (experiments/kmresult.h) are pure modules of their own; here
 * only kvmmini_open() looks at the machine and only kvmmini_run_rep()
 * runs anything. A stop request (SIGINT/SIGTERM) ends the in-process run
 * at its next sample, or kills the nested QEMU at once. Nothing here
 * exits.
 */
#ifndef STEALSCOPE_BACKEND_KVMMINI_H
#define STEALSCOPE_BACKEND_KVMMINI_H

#include "experiments/kmnested.h"
#include "experiments/kmresult.h"
#include "experiments/rundata.h"

#define KVMMINI_DIR "kvm-mini"         /* kvm-mini's own files, in the repetition's directory */

enum kvmmini_route { KVMMINI_ROUTE_NONE, KVMMINI_ROUTE_IN_PROCESS, KVMMINI_ROUTE_NESTED };

/* "in-process", "nested-tcg", "none". */
const char *kvmmini_route_name(enum kvmmini_route r);

/* What every repetition of a run shares: the route and how it was chosen. */
struct kvmmini_session {
	enum kvmmini_route route;
	int opened;                    /* kvmmini_open() ran */
	char reason[1024];             /* why this route (and why not the other) */
	struct kmnested nested;        /* the nested route's files, when it is taken */
	const char *kvm_dev;           /* NULL: /dev/kvm */
	int have_first;                /* first_* hold the first repetition's facts */
	struct kmresult_facts first;
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
