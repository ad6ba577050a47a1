/*
 * watchderive: the figures of one `stealscope watch` frame, derived from
 * the two newest samples: per-CPU %usr/%sys/%steal from two /proc/stat
 * samples (procstat_derive(), mpstat's way) and per-vCPU run time, run
 * delay and wait rates from two libvirt samples of one host
 * (virtstats_vcpu_rates()), into the plain rows experiments/watchview
 * renders and the threshold logic reads.
 *
 * Pure derivation: no I/O, no libvirt; the rows point into the samples
 * (names), so they are valid while those are unchanged. Rates are only
 * taken between samples of one connection (a reconnected host starts
 * afresh: its counters may have restarted with the domain).
 */
#ifndef STEALSCOPE_WATCHDERIVE_H
#define STEALSCOPE_WATCHDERIVE_H

#include "common/procstat.h"
#include "experiments/watchdata.h"
#include "experiments/watchview.h"

#include <stddef.h>

/* The rows of one frame; buffers grow and are reused. Start from { 0 }. */
struct watchderive {
	struct watchview_cpu *cpus;
	size_t ncpus, cpus_cap;
	struct watchview_host *hosts;
	size_t nhosts, hosts_cap;
	struct watchview_vcpu *vcpus;
	size_t nvcpus, vcpus_cap;
};

/*
 * The CPU rows: "all" first, then every CPU of @cur in its order, with the
 * figures of the interval since @prev (NULL or a CPU absent there: no
 * figures yet). Returns 0 or -ENOMEM (not logged).
 */
int watchderive_cpus(struct watchderive *d, const struct procstat_sample *prev,
		     const struct procstat_sample *cur);

/* Drop the host and vCPU rows before adding this frame's hosts. */
void watchderive_hosts_begin(struct watchderive *d);

/*
 * Add the host row of @uri and one vCPU row per reported vCPU of @cur's
 * running domains, with rates since @prev where the domain was there in
 * the same connection. Returns 0 or -ENOMEM (not logged).
 */
int watchderive_host(struct watchderive *d, const char *uri, const struct watch_host *prev,
		     const struct watch_host *cur);

void watchderive_free(struct watchderive *d);

#endif
