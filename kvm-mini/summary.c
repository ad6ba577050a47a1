/*
 * summary: see summary.h. Counters are cumulative; deltas that go backwards
 * (a scribbled guest struct) count as zero.
 */
#include "kvm-mini/summary.h"

#include "common/parse.h"

#include <math.h>
#include <string.h>

static const struct kmini_sample zero_sample;

int kmini_window(const struct kmini_vcpu_result *v, int64_t from_ns, int64_t to_ns,
		 struct kmini_window_figs *out)
{
	const struct kmini_sample *a = &zero_sample, *b = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->guest_steal_pct = out->tick_steal_pct = out->host_delay_pct = out->diff_pct = NAN;
	for (i = 0; i < v->nsamples; i++) {
		if (v->samples[i].t_ns <= from_ns)
			a = &v->samples[i];
		if (v->samples[i].t_ns >= to_ns || i + 1 == v->nsamples) {
			b = &v->samples[i];
			break;
		}
	}
	if (!b || b->t_ns <= a->t_ns)
		return -1;
	out->wall_ns = b->t_ns - a->t_ns;
	out->tick_user = parse_counter_delta(a->tick_user, b->tick_user);
	out->tick_system = parse_counter_delta(a->tick_system, b->tick_system);
	out->tick_idle = parse_counter_delta(a->tick_idle, b->tick_idle);
	out->tick_steal = parse_counter_delta(a->tick_steal, b->tick_steal);
	out->ticks = out->tick_user + out->tick_system + out->tick_idle + out->tick_steal;
	out->host_delay_pct = 100.0 * (double)parse_counter_delta(a->host_delay_ns, b->host_delay_ns) /
			      (double)out->wall_ns;
	if (b->steal_valid && (a == &zero_sample || a->steal_valid))
		out->guest_steal_pct = 100.0 *
			(double)parse_counter_delta(a->guest_steal_ns, b->guest_steal_ns) /
			(double)out->wall_ns;
	if (out->ticks)
		out->tick_steal_pct = 100.0 * (double)out->tick_steal / (double)out->ticks;
	out->diff_pct = out->guest_steal_pct - out->host_delay_pct;
	return 0;
}

int64_t kmini_longest_gap(const struct kmini_stamp *s, size_t n, uint32_t vcpu, int64_t from_ns,
			  int64_t to_ns)
{
	int64_t prev = 0, gap = 0;
	int have = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i].vcpu != vcpu)
			continue;
		if (have && s[i].t_ns >= from_ns && s[i].t_ns < to_ns && s[i].t_ns - prev > gap)
			gap = s[i].t_ns - prev;
		prev = s[i].t_ns;
		have = 1;
	}
	return gap;
}

uint64_t kmini_task_units(const struct kmini_stamp *s, size_t n, uint32_t task, int64_t from_ns,
			  int64_t to_ns)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].task == task && s[i].t_ns >= from_ns && s[i].t_ns < to_ns)
			c++;
	return c;
}

int kmini_tasks_on_vcpu(const struct kmini_config *cfg, int vcpu)
{
	int j, n = 0;

	for (j = 0; j < cfg->ntasks; j++)
		if (j % cfg->nvcpus == vcpu)
			n++;
	return n;
}

double kmini_progress_pct(const struct kmini_config *cfg, int tasks_on_vcpu, uint64_t unit)
{
	double whole;

	if (cfg->units)
		return 100.0 * (double)(unit + 1) / (double)cfg->units;
	if (cfg->unit_work_ns <= 0 || tasks_on_vcpu <= 0)
		return NAN;
	whole = (double)cfg->duration_ns / ((double)cfg->unit_work_ns * tasks_on_vcpu);
	return whole > 0 ? 100.0 * (double)(unit + 1) / whole : NAN;
}
