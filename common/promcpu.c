/* promcpu: see promcpu.h. */
#include "common/promcpu.h"

#include <stdio.h>

int promcpu_family(struct promexp *p)
{
	return promexp_family(p, PROMCPU_FAMILY, PROMEXP_COUNTER,
			      "CPU time by mode from /proc/stat (ticks / USER_HZ), seconds. "
			      "guest and guest_nice are already counted in user and nice, "
			      "as the kernel counts them.");
}

int promcpu_cpu(struct promexp *p, const struct procstat_cpu *c, long user_hz)
{
	char cpu[16];
	struct promexp_label l[] = { { "cpu", cpu }, { "mode", NULL } };
	int f;

	if (c->cpu == PROCSTAT_CPU_ALL)
		return p->err;
	snprintf(cpu, sizeof(cpu), "%d", c->cpu);
	for (f = 0; f < c->nfields && f < PS_NFIELDS; f++) {
		l[1].value = procstat_field_names[f];
		promexp_sample(p, l, 2, (double)c->ticks[f] / (double)user_hz);
	}
	return p->err;
}

void promcpu_clamp(struct procstat_cpu *cur, const struct procstat_cpu *prev)
{
	int f;

	for (f = 0; f < PS_NFIELDS; f++)
		if (prev->ticks[f] > cur->ticks[f])
			cur->ticks[f] = prev->ticks[f];
}
