/*
 * vcpu-domain: vcpu-sampler's --domain mode, the per-vCPU statistics
 * libvirt keeps for one running domain (vcpu.N.time, .delay, .wait), as the
 * CSV columns of kvm-mini's vcpu.csv or as Prometheus counters (the
 * families of host-tools/virt.h); and the output pieces both modes of
 * vcpu-sampler share.
 *
 * It talks to libvirt only through struct virt_ops (host-tools/virt.h,
 * read-only connection) and never touches the domain it watches.
 */
#ifndef STEALSCOPE_VCPU_DOMAIN_H
#define STEALSCOPE_VCPU_DOMAIN_H

#include "host-tools/sampleloop.h"

#include <stddef.h>

struct csvw;

/*
 * From here on SIGINT/SIGTERM stop the sampling loop instead of the
 * process; then open the CSV output (--out) with the header @cols into
 * *@csv, unless the format is Prometheus (sampleloop writes each
 * exposition: *@csv is NULL). Returns 0 or -1 (logged).
 */
int vcpu_domain_output_start(const struct sampleloop_opts *loop, const char *const *cols,
			     size_t ncols, struct csvw **csv);

/* Put the CSV in place (if there is one). Returns 0 or -errno (logged). */
int vcpu_domain_output_end(struct csvw *csv);

/*
 * Sample domain @name at @uri (NULL: VIRT_DEFAULT_URI) as @loop says.
 * Returns the exit code (said): 4 without a daemon, 2 for a domain that
 * does not exist, 1 when it does not run or the run failed, 0 otherwise
 * (a domain that goes away mid-run ends it with 0).
 */
int vcpu_domain_run(const struct sampleloop_opts *loop, const char *uri, const char *name);

#endif
