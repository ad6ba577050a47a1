/*
 * watchprom: the /metrics exposition of `stealscope watch --listen`, from
 * the watch's latest samples (not re-read at scrape time: a scrape sees
 * the counters of the newest sample, at most one --interval old, and never
 * waits for libvirt). Counters only, in base units, no rates: Prometheus
 * derives those with rate().
 *
 *   stealscope_cpu_seconds_total{cpu,mode}        /proc/stat per CPU: user,
 *       nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice
 *       (guest time is already inside user and nice, as the kernel counts
 *       it; common/promcpu writes it, as for cpu-sampler --format prometheus)
 *   stealscope_cpu_sample_timestamp_seconds       when that /proc/stat
 *       sample was taken (Unix time)
 *   stealscope_libvirt_up{host}                   1 when the URI answered the
 *       latest sample, else 0
 *   stealscope_libvirt_failures_total{host}       failed connection attempts
 *       and lost connections
 *   stealscope_vcpu_run_seconds_total{host,domain,vcpu}    vcpu.N.time
 *   stealscope_vcpu_delay_seconds_total{host,domain,vcpu}  vcpu.N.delay (the
 *       run delay: steal as a KVM guest sees it)
 *   stealscope_vcpu_wait_seconds_total{host,domain,vcpu}   vcpu.N.wait (time
 *       the vCPU wanted to run while the host ran something else)
 *   stealscope_vcpu_sample_timestamp_seconds{host,domain}  when that
 *       domain's statistics were taken (Unix time)
 *
 * host is the libvirt URI as given to --connect (virt_prom_host(), the
 * convention of vcpu-sampler too). A field the driver does not report is
 * left out, not written as 0.
 *
 * A renderer: it writes through common/promexp and never reads /proc or
 * talks to libvirt.
 */
#ifndef STEALSCOPE_WATCHPROM_H
#define STEALSCOPE_WATCHPROM_H

#include "common/procstat.h"
#include "common/promexp.h"
#include "experiments/watchdata.h"

#include <stddef.h>

/*
 * Keep the CPU counters of the newer sample @cur from falling below those
 * of the older sample @prev (the same CPU's; a CPU new in @cur is left as
 * it is): a counter the kernel moved backwards (idle and iowait on
 * dyn-tick kernels) keeps its last value (promcpu_clamp()), so that
 * Prometheus never sees a counter reset that is none. Derivation sees the same: a step back
 * counts as 0 in procstat_derive() either way, and the step forward after
 * it is that much smaller, which is what the kernel's correction meant.
 */
void watchprom_clamp(struct procstat_sample *cur, const struct procstat_sample *prev);

/*
 * Write every family to @p: the CPU counters of @cpu (NULL: none yet;
 * @user_hz ticks per second) and, for each of the @nhosts URIs @uris, the
 * up gauge, the failure counter and the vCPU counters of @hosts[i].
 * Sample times are CLOCK_MONOTONIC; @wall_offset_ns (CLOCK_REALTIME minus
 * CLOCK_MONOTONIC, read by the caller) makes them Unix times.
 * Returns promexp_finish()'s result: 0, -EINVAL or -EIO.
 */
int watchprom_write(struct promexp *p, const struct procstat_sample *cpu, long user_hz,
		    const char *const *uris, const struct watch_host *const *hosts,
		    size_t nhosts, int64_t wall_offset_ns);

#endif
