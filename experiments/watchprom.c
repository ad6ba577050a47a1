/*
 * watchprom: see watchprom.h. Families are written whole, one after the
 * other, in a fixed order; within a family CPUs, hosts, domains and vCPUs
 * come in the samples' order.
 */
#include "experiments/watchprom.h"

#include "common/promcpu.h"
#include "host-tools/virt.h"

#include <stdio.h>

void watchprom_clamp(struct procstat_sample *cur, const struct procstat_sample *prev)
{
	const struct procstat_cpu *old;
	int i;

	for (i = 0; i < cur->ncpus; i++) {
		old = procstat_find_cpu(prev, cur->cpu[i].cpu);
		if (old)
			promcpu_clamp(&cur->cpu[i], old);
	}
}

static void cpu_family(struct promexp *p, const struct procstat_sample *s, long user_hz)
{
	int i;

	promcpu_family(p);
	for (i = 0; s && i < s->ncpus; i++)
		promcpu_cpu(p, &s->cpu[i], user_hz);
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
		l = (struct promexp_label){ "host", virt_prom_host(uris[i]) };
		promexp_sample(p, &l, 1, hosts[i]->state == WATCH_HOST_UP ? 1.0 : 0.0);
	}
	promexp_family(p, "stealscope_libvirt_failures_total", PROMEXP_COUNTER,
		       "Failed connection attempts and lost connections to the libvirt URI.");
	for (i = 0; i < nhosts; i++) {
		l = (struct promexp_label){ "host", virt_prom_host(uris[i]) };
		promexp_sample(p, &l, 1, (double)hosts[i]->failures_total);
	}
}

/* One family of vCPU counters: every vCPU of every domain of every host that is up. */
static void vcpu_family(struct promexp *p, const struct virt_prom_family *fam,
			const char *const *uris, const struct watch_host *const *hosts,
			size_t nhosts)
{
	const struct watch_host *h;
	size_t i, d;

	promexp_family(p, fam->name, PROMEXP_COUNTER, fam->help);
	for (i = 0; i < nhosts; i++) {
		h = hosts[i];
		if (h->state != WATCH_HOST_UP)
			continue;
		for (d = 0; d < h->ndoms; d++)
			virt_prom_vcpus(p, fam, uris[i], h->doms[d].name,
					&h->vcpus[h->doms[d].first], h->doms[d].nvcpus);
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
			l[0] = (struct promexp_label){ "host", virt_prom_host(uris[i]) };
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
	size_t f;

	cpu_family(p, cpu, user_hz);
	promexp_family(p, "stealscope_cpu_sample_timestamp_seconds", PROMEXP_GAUGE,
		       "Unix time of the /proc/stat sample the CPU counters come from.");
	if (cpu)
		promexp_sample(p, NULL, 0, unix_seconds(cpu->t_ns, wall_offset_ns));
	host_families(p, uris, hosts, nhosts);
	for (f = 0; f < VIRT_PROM_NFAMILIES; f++)
		vcpu_family(p, &virt_prom_families[f], uris, hosts, nhosts);
	dom_times(p, uris, hosts, nhosts, wall_offset_ns);
	return promexp_finish(p);
}
