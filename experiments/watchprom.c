/*
 * watchprom: see watchprom.h. Families are written whole, one after the
 * other, in a fixed order; within a family CPUs, hosts, domains and vCPUs
 * come in the samples' order.
 */
#include "experiments/watchprom.h"

#include <stdio.h>

void watchprom_clamp(struct procstat_sample *cur, const struct procstat_sample *prev)
{
	const struct procstat_cpu *old;
	int i, f;

	for (i = 0; i < cur->ncpus; i++) {
		old = procstat_find_cpu(prev, cur->cpu[i].cpu);
		for (f = 0; old && f < PS_NFIELDS; f++) {
			if (old->ticks[f] > cur->cpu[i].ticks[f])
				cur->cpu[i].ticks[f] = old->ticks[f];
		}
	}
}

static void cpu_family(struct promexp *p, const struct procstat_sample *s, long user_hz)
{
	struct promexp_label l[2];
	char cpu[16];
	int i, f;

	promexp_family(p, "stealscope_cpu_seconds_total", PROMEXP_COUNTER,
		       "CPU time by mode from /proc/stat (ticks / USER_HZ), seconds. "
		       "guest and guest_nice are already counted in user and nice, "
		       "as the kernel counts them.");
	for (i = 0; s && i < s->ncpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", s->cpu[i].cpu);
		l[0] = (struct promexp_label){ "cpu", cpu };
		/* a field an old kernel does not print is left out, not 0 */
		for (f = 0; f < s->cpu[i].nfields && f < PS_NFIELDS; f++) {
			l[1] = (struct promexp_label){ "mode", procstat_field_names[f] };
			promexp_sample(p, l, 2, (double)s->cpu[i].ticks[f] / (double)user_hz);
		}
	}
}

/* Unix time, in seconds, of the CLOCK_MONOTONIC instant @mono_ns. */
static double unix_seconds(int64_t mono_ns, int64_t wall_offset_ns)
{
	return (double)(mono_ns + wall_offset_ns) / 1e9;
}

static void host_families(struct promexp *p, const char *const *uris,
			  const struct watch_host *const *hosts, size_t nhosts)
{
	struct promexp_label l;
	size_t i;

	promexp_family(p, "stealscope_libvirt_up", PROMEXP_GAUGE,
		       "1 when the libvirt URI answered the latest sample, else 0.");
	for (i = 0; i < nhosts; i++) {
		l = (struct promexp_label){ "host", uris[i] };
		promexp_sample(p, &l, 1, hosts[i]->state == WATCH_HOST_UP ? 1.0 : 0.0);
	}
	promexp_family(p, "stealscope_libvirt_failures_total", PROMEXP_COUNTER,
		       "Failed connection attempts and lost connections to the libvirt URI.");
	for (i = 0; i < nhosts; i++) {
		l = (struct promexp_label){ "host", uris[i] };
		promexp_sample(p, &l, 1, (double)hosts[i]->failures_total);
	}
}

/* The vCPU counter for field @field (VIRTSTATS_F_TIME, _DELAY or _WAIT). */
static double vcpu_seconds(const struct virtstats_vcpu *v, unsigned field)
{
	uint64_t ns = field == VIRTSTATS_F_TIME ? v->time_ns :
		      field == VIRTSTATS_F_DELAY ? v->delay_ns : v->wait_ns;

	return (double)ns / 1e9;
}

static void vcpu_family(struct promexp *p, const char *name, const char *help,
			unsigned field, const char *const *uris,
			const struct watch_host *const *hosts, size_t nhosts)
{
	const struct watch_host *h;
	const struct virtstats_vcpu *v;
	struct promexp_label l[3];
	char vcpu[24];
	size_t i, d, k;

	promexp_family(p, name, PROMEXP_COUNTER, help);
	for (i = 0; i < nhosts; i++) {
		h = hosts[i];
		if (h->state != WATCH_HOST_UP)
			continue;
		for (d = 0; d < h->ndoms; d++) {
			for (k = 0; k < h->doms[d].nvcpus; k++) {
				v = &h->vcpus[h->doms[d].first + k];
				if (!(v->present & field))
					continue;
				snprintf(vcpu, sizeof(vcpu), "%zu", k);
				l[0] = (struct promexp_label){ "host", uris[i] };
				l[1] = (struct promexp_label){ "domain", h->doms[d].name };
				l[2] = (struct promexp_label){ "vcpu", vcpu };
				promexp_sample(p, l, 3, vcpu_seconds(v, field));
			}
		}
	}
}

/* When each domain's statistics were taken. */
static void dom_times(struct promexp *p, const char *const *uris,
		      const struct watch_host *const *hosts, size_t nhosts, int64_t wall_offset_ns)
{
	struct promexp_label l[2];
	size_t i, d;

	promexp_family(p, "stealscope_vcpu_sample_timestamp_seconds", PROMEXP_GAUGE,
		       "Unix time of the libvirt statistics the domain's vCPU counters come "
		       "from.");
	for (i = 0; i < nhosts; i++) {
		if (hosts[i]->state != WATCH_HOST_UP)
			continue;
		for (d = 0; d < hosts[i]->ndoms; d++) {
			l[0] = (struct promexp_label){ "host", uris[i] };
			l[1] = (struct promexp_label){ "domain", hosts[i]->doms[d].name };
			promexp_sample(p, l, 2, unix_seconds(hosts[i]->doms[d].t_ns,
							     wall_offset_ns));
		}
	}
}

int watchprom_write(struct promexp *p, const struct procstat_sample *cpu, long user_hz,
		    const char *const *uris, const struct watch_host *const *hosts,
		    size_t nhosts, int64_t wall_offset_ns)
{
	cpu_family(p, cpu, user_hz);
	promexp_family(p, "stealscope_cpu_sample_timestamp_seconds", PROMEXP_GAUGE,
		       "Unix time of the /proc/stat sample the CPU counters come from.");
	if (cpu)
		promexp_sample(p, NULL, 0, unix_seconds(cpu->t_ns, wall_offset_ns));
	host_families(p, uris, hosts, nhosts);
	vcpu_family(p, "stealscope_vcpu_run_seconds_total",
		    "Time the vCPU thread ran on a host CPU, seconds (libvirt vcpu.N.time).",
		    VIRTSTATS_F_TIME, uris, hosts, nhosts);
	vcpu_family(p, "stealscope_vcpu_delay_seconds_total",
		    "Time the vCPU thread was runnable but waited for a host CPU (run delay: what "
		    "a KVM guest is told as steal time), seconds (libvirt vcpu.N.delay).",
		    VIRTSTATS_F_DELAY, uris, hosts, nhosts);
	vcpu_family(p, "stealscope_vcpu_wait_seconds_total",
		    "libvirt's vcpu.N.wait: time the vCPU wanted to run while the host ran "
		    "something else, seconds (only where the driver reports it).",
		    VIRTSTATS_F_WAIT, uris, hosts, nhosts);
	dom_times(p, uris, hosts, nhosts, wall_offset_ns);
	return promexp_finish(p);
}
