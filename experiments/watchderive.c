/*
 * watchderive: see watchderive.h. Pure: no I/O, no logging.
 */
#include "experiments/watchderive.h"

#include "host-tools/virtstats.h"

#include <stdlib.h>
#include <string.h>

static void cpu_row(struct watchview_cpu *row, int64_t start_ns, int64_t end_ns,
		    const struct procstat_cpu *a, const struct procstat_cpu *b)
{
	struct cpupct p;

	memset(row, 0, sizeof(*row));
	row->cpu = b->cpu;
	row->start_ns = start_ns;
	row->end_ns = end_ns;
	if (!a)
		return;
	procstat_derive(a, b, &p);
	/* A tickless CPU can go an interval without a tick: no figures, not zeros. */
	row->have = p.total_ticks > 0;
	row->usr_pct = p.pct[CP_USR];
	row->sys_pct = p.pct[CP_SYS];
	row->steal_pct = p.pct[CP_STEAL];
}

int watchderive_cpus(struct watchderive *d, const struct procstat_sample *prev,
		     const struct procstat_sample *cur)
{
	int64_t start = prev ? prev->t_ns : cur->t_ns;
	size_t i;
	int err;

	err = watchdata_grow((void **)&d->cpus, &d->cpus_cap, (size_t)cur->ncpus + 1, sizeof(*d->cpus));
	if (err)
		return err;
	cpu_row(&d->cpus[0], start, cur->t_ns, prev ? &prev->all : NULL, &cur->all);
	for (i = 0; i < (size_t)cur->ncpus; i++)
		cpu_row(&d->cpus[i + 1], start, cur->t_ns,
			prev ? procstat_find_cpu(prev, cur->cpu[i].cpu) : NULL, &cur->cpu[i]);
	d->ncpus = (size_t)cur->ncpus + 1;
	return 0;
}

void watchderive_hosts_begin(struct watchderive *d)
{
	d->nhosts = 0;
	d->nvcpus = 0;
}

/* One domain's samples as virtstats sees them. */
static void as_dom(const struct watch_host *h, const struct watch_dom *wd,
		   struct virtstats_dom *out)
{
	memset(out, 0, sizeof(*out));
	out->vcpu = (struct virtstats_vcpu *)&h->vcpus[wd->first];
	out->cap = wd->nvcpus;
	out->nvcpus = wd->nvcpus;
	out->t_ns = wd->t_ns;
}

static void vcpu_row(struct watchview_vcpu *row, const char *uri, const struct watch_dom *wd,
		     const struct virtstats_dom *a, const struct virtstats_dom *b, size_t i)
{
	struct virtstats_rates r;

	memset(row, 0, sizeof(*row));
	row->host = uri;
	row->domain = wd->name;
	row->vcpu = (unsigned)i;
	row->pcpu = b->vcpu[i].pcpu;
	row->end_ns = b->t_ns;
	if (!a)
		return;
	row->start_ns = a->t_ns;
	virtstats_vcpu_rates(a, b, i, &r);
	if (r.present & VIRTSTATS_F_TIME)
		row->have |= WATCHVIEW_TIME;
	if (r.present & VIRTSTATS_F_DELAY)
		row->have |= WATCHVIEW_DELAY;
	if (r.present & VIRTSTATS_F_WAIT)
		row->have |= WATCHVIEW_WAIT;
	row->time_pct = r.time_pct;
	row->delay_pct = r.delay_pct;
	row->wait_pct = r.wait_pct;
}

int watchderive_host(struct watchderive *d, const char *uri, const struct watch_host *prev,
		     const struct watch_host *cur)
{
	const struct watch_dom *wd, *pd;
	struct virtstats_dom a, b;
	struct watchview_host *hr;
	int same = prev && prev->epoch == cur->epoch && prev->seq != cur->seq;
	size_t i, k, n = 0;
	int err;

	for (i = 0; i < cur->nvcpus; i++)
		n += cur->vcpus[i].present != 0;
	err = watchdata_grow((void **)&d->hosts, &d->hosts_cap, d->nhosts + 1, sizeof(*d->hosts));
	if (!err)
		err = watchdata_grow((void **)&d->vcpus, &d->vcpus_cap, d->nvcpus + n, sizeof(*d->vcpus));
	if (err)
		return err;
	hr = &d->hosts[d->nhosts++];
	hr->uri = uri;
	hr->state = cur->state;
	hr->attempt = cur->attempt;
	hr->since_ns = cur->since_ns;
	hr->retry_ns = cur->retry_ns;
	hr->why = cur->why;
	hr->ndoms = cur->ndoms;
	hr->nvcpus = n;
	for (k = 0; k < cur->ndoms; k++) {
		wd = &cur->doms[k];
		pd = same ? watchdata_find_dom(prev, wd->name) : NULL;
		as_dom(cur, wd, &b);
		if (pd)
			as_dom(prev, pd, &a);
		for (i = 0; i < wd->nvcpus; i++) {
			if (!b.vcpu[i].present)
				continue;
			vcpu_row(&d->vcpus[d->nvcpus++], uri, wd, pd ? &a : NULL, &b, i);
		}
	}
	return 0;
}

void watchderive_free(struct watchderive *d)
{
	free(d->cpus);
	free(d->hosts);
	free(d->vcpus);
	memset(d, 0, sizeof(*d));
}
