/*
 * backend-libvirt: the `libvirt` backend of the stealscope runner: each
 * repetition boots a transient libvirt domain (experiments/domxml.h) from
 * the guest image (experiments/guestimage.h), whose /init runs the guest
 * load and the guest's /proc/stat sampler and sends their CSV back over the
 * serial console (docs/guest-protocol.md, read by experiments/serialog.h).
 *
 * One repetition: create the domain with autodestroy; read the serial log
 * until the guest says `go` (bounded; the boot time is recorded); take t0
 * as that moment plus the margin the guest echoes; release the host
 * contention (backend-native's hog threads, started beforehand for a copy
 * of the spec without vCPUs, so only the hogs exist); sample at absolute
 * deadlines each vCPU's libvirt statistics (vcpu.N.time and vcpu.N.delay:
 * the vCPU thread's run time and run delay, into the schedstat slots of
 * struct run_samples) and the host's /proc/stat; then wait (bounded) for
 * the guest's files, its exit and its poweroff, and turn the files into
 * progress stamps and guest ticks. The domain XML and the serial log stay
 * in the repetition's directory, beside the guest's files as received
 * (guest-progress.csv, guest-cpu.csv).
 *
 * The domain is destroyed on every path: at the end if the guest has not
 * powered off, on an error, and at once on SIGINT/SIGTERM (the runner's
 * stop flag, polled by every wait here); autodestroy is the backstop if
 * this process dies. libvirt calls allocate and take a round trip to the
 * daemon, so the sampling loop cannot be allocation-free as the native
 * one is; it still sleeps to absolute deadlines, never prints and stores
 * into preallocated arrays. Nothing here exits.
 */
#ifndef STEALSCOPE_BACKEND_LIBVIRT_H
#define STEALSCOPE_BACKEND_LIBVIRT_H

#include <stddef.h>
#include <stdint.h>

#include "common/hostinfo.h"
#include "experiments/guestimage.h"
#include "host-tools/bootfiles.h"
#include "experiments/rundata.h"
#include "host-tools/virt.h"

#define LIBVIRT_MARGIN_NS (1000LL * 1000 * 1000) /* go -> t0: the guest tools start and
						     calibrate (~0.3 s under TCG here) */
#define LIBVIRT_BOOT_TIMEOUT_NS (180LL * 1000 * 1000 * 1000) /* TCG boots in ~8 s here */
#define LIBVIRT_POLL_NS (1000LL * 1000)  /* the serial log is read this often for `go` */

/*
 * The domain type when none is asked for: "kvm" where this host's KVM can
 * boot a stock kernel (kvm_intel or kvm_amd with a usable /dev/kvm), else
 * "qemu" (TCG), with the reason in @why ("kvm_pvm cannot boot a stock
 * kernel", "/dev/kvm: ..."). Pure: @h comes from hostinfo_gather().
 */
const char *libvirt_default_domain_type(const struct hostinfo *h, char *why, size_t len);

/*
 * The margin from `go` to t0 for a run sampled every @interval_ns:
 * LIBVIRT_MARGIN_NS rounded up to a whole number of intervals, so the
 * guest sampler's grid (which starts at `go`) falls on the host's.
 */
int64_t libvirt_margin_ns(int64_t interval_ns);

/* A connection and what every repetition of a run shares. */
struct libvirt_session {
	const struct virt_ops *ops;
	struct virt_conn *conn;
	char uri[512];
	char domain_type[8];           /* "kvm" or "qemu" */
	struct guestimage image;
	struct bootfiles boot;         /* image.kernel and initrd as the domain names them */
	char experiment[SPEC_NAME_MAX];
	int ndomains;                  /* created so far: numbers the domains' names */
};

/*
 * Connect @ls to @uri with @ops (read-write: domains are created) for a
 * run of @experiment with domains of @domain_type. Returns 0, or the op's
 * -errno (logged: -ECONNREFUSED when no daemon answers, -EACCES, ...).
 * The caller then sets ls->image (guestimage_find()) and calls
 * libvirt_stage_image() before the first repetition.
 */
int libvirt_open(struct libvirt_session *ls, const struct virt_ops *ops, const char *uri,
		 const char *domain_type, const char *experiment);

/*
 * Make ls->image's kernel and initramfs readable by the daemon's QEMU (see
 * host-tools/bootfiles.h: a copy under /var/tmp when the image sits under
 * a private directory); the domains then name ls->boot's paths. Returns 0
 * or -errno (logged).
 */
int libvirt_stage_image(struct libvirt_session *ls);

/*
 * Close the connection (autodestroy ends any domain still there) and
 * remove any copy libvirt_stage_image() made.
 */
void libvirt_close(struct libvirt_session *ls);

/* One repetition to run. */
struct libvirt_rep {
	const struct spec *spec;
	const char *dir;               /* the repetition's directory (exists) */
	const char *policy;            /* for the progress line */
	int rep, nreps;                /* 1-based */
	int progress;                  /* draw the progress line (a terminal) */
};

/*
 * Run one repetition into @out (cleared first; free with
 * rundata_rep_free()). out->measured is set once t0 is taken, out->completed
 * when every sample was taken and the guest's side arrived whole (only
 * then is the repetition summarised); out->guest says what happened to the
 * guest.
 * Returns 0; -ETIMEDOUT (no `go` or no exit in time), -EPROTO (a file
 * missing or rejected), -EIO (the guest reported an error), -EINTR (a stop
 * request), or another -errno; logged where found. What was measured is in
 * @out whatever the result.
 */
int libvirt_run_rep(struct libvirt_session *ls, const struct libvirt_rep *r,
		    struct run_rep *out);

#endif
