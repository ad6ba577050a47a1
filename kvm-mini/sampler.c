/*
 * sampler: see sampler.h. Host and guest counters share one base: the vCPU
 * thread's run delay at t0.
 */
#include "kvm-mini/sampler.h"

#include "common/log.h"
#include "common/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STEAL_TRIES 64
#define STEAL_SLACK_NS 1000000000ull /* timing slack of the validity check, generously */
#define STAMPS_MAX (1u << 24)

int kmini_sampler_vcpu_init(struct kmini_sampler_vcpu *s, size_t cap)
{
	s->samples = calloc(cap ? cap : 1, sizeof(*s->samples));
	if (!s->samples)
		return log_err(-ENOMEM, "%zu samples: out of memory", cap);
	s->cap = cap;
	s->n = 0;
	return 0;
}

void kmini_sampler_vcpu_free(struct kmini_sampler_vcpu *s)
{
	free(s->samples);
	s->samples = NULL;
	s->n = s->cap = 0;
}

int kmini_stampbuf_init(struct kmini_stampbuf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->v = calloc(cap ? cap : 1, sizeof(*b->v));
	if (!b->v)
		return log_err(-ENOMEM, "%zu progress stamps: out of memory", cap);
	b->cap = cap;
	return 0;
}

void kmini_stampbuf_free(struct kmini_stampbuf *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static void stamp_sink(void *arg, const struct kmini_record *r)
{
	struct kmini_stampbuf *b = arg;
	struct kmini_raw_stamp *s;

	if (b->n >= b->cap) {
		b->dropped++;
		return;
	}
	s = &b->v[b->n++];
	s->tsc = r->tsc;
	s->task = r->task;
	s->unit = r->unit;
	s->vcpu = b->vcpu;
	s->pad = 0;
}

int kmini_sampler_drain(struct kmini_sampler_vcpu *s, struct kmini_stampbuf *b)
{
	b->vcpu = s->lim.vcpu;
	return kmini_ring_drain(&s->area->ring, s->recs, &s->lim, &s->ring, stamp_sink, b);
}

int kmini_sampler_rebase(struct kmini_sampler_vcpu *s)
{
	kmini_ticks_read(&s->area->ticks, &s->tick_base);
	return schedstat_read_fd(s->schedstat_fd, &s->base);
}

int kmini_sampler_take(struct kmini_sampler_vcpu *s, int64_t t_ns, struct kmini_stampbuf *b)
{
	struct kmini_sample *out;
	struct kmini_ticks t;
	struct schedstat ss;
	uint64_t steal;
	int ring, e;

	if (!s->have_base && s->area->started == 1) {
		s->steal_base_ns = s->area->ticks.steal_base_ns;
		s->boot_tsc = s->area->boot_tsc;
		s->have_base = 1;
	}
	ring = kmini_sampler_drain(s, b);
	if (s->n >= s->cap)
		return ring;
	e = schedstat_read_fd(s->schedstat_fd, &ss);
	if (e)
		return e;
	out = &s->samples[s->n++];
	memset(out, 0, sizeof(*out));
	out->t_ns = t_ns;
	out->host_run_ns = parse_counter_delta(s->base.run_ns, ss.run_ns);
	out->host_delay_ns = parse_counter_delta(s->base.delay_ns, ss.delay_ns);
	if (s->have_base && kmini_steal_read(&s->area->steal, STEAL_TRIES, &steal) == 0) {
		/*
		 * KVM's steal clock holds the vCPU thread's whole run delay (its
		 * first update adds all of it: last_steal starts at 0), so the
		 * thread's delay at t0 is the base of both.
		 */
		out->guest_steal_ns = parse_counter_delta(s->base.delay_ns, steal);
		/* it cannot exceed the time since the thread began: else it is scribbled */
		out->steal_valid = out->guest_steal_ns <= (uint64_t)t_ns + STEAL_SLACK_NS;
	}
	kmini_ticks_read(&s->area->ticks, &t);
	out->tick_user = parse_counter_delta(s->tick_base.user, t.user);
	out->tick_system = parse_counter_delta(s->tick_base.system, t.system);
	out->tick_idle = parse_counter_delta(s->tick_base.idle, t.idle);
	out->tick_steal = parse_counter_delta(s->tick_base.steal, t.steal);
	return ring;
}

int kmini_cpustat_init(struct kmini_cpu_samples *cs, struct kmini_statfile *f,
		       const cpu_set_t *set, size_t cap)
{
	int c, n = CPU_COUNT(set), e;

	memset(cs, 0, sizeof(*cs));
	memset(f, 0, sizeof(*f));
	f->file.fd = -1;
	if (n == 0)
		return 0;
	cs->cpus = calloc((size_t)n, sizeof(*cs->cpus));
	cs->at_t0 = calloc((size_t)n, sizeof(*cs->at_t0));
	cs->at_t0_ok = calloc((size_t)n, 1);
	cs->t_ns = calloc(cap + 1, sizeof(*cs->t_ns));
	cs->cpu = calloc((cap + 1) * (size_t)n, sizeof(*cs->cpu));
	cs->ok = calloc((cap + 1) * (size_t)n, 1);
	f->scratch = calloc(1, sizeof(*f->scratch));
	if (!cs->cpus || !cs->at_t0 || !cs->at_t0_ok || !cs->t_ns || !cs->cpu || !cs->ok ||
	    !f->scratch) {
		e = log_err(-ENOMEM, "/proc/stat samples of %d CPUs: out of memory", n);
		goto fail;
	}
	for (c = 0; c < CPU_SETSIZE && cs->ncpus < n; c++)
		if (CPU_ISSET(c, set))
			cs->cpus[cs->ncpus++] = c;
	cs->cap = cap;
	e = procstat_open(NULL, &f->file);
	if (!e)
		e = procstat_read_file(&f->file, f->scratch);
	if (!e)
		return 0;
fail:
	kmini_statfile_close(f);
	kmini_cpustat_free(cs);
	return e;
}

void kmini_cpustat_read(struct kmini_cpu_samples *cs, struct kmini_statfile *f, int64_t t_ns,
			int at_t0)
{
	struct procstat_cpu *row;
	unsigned char *ok;
	const struct procstat_cpu *p;
	int c, read_ok;

	if (cs->ncpus == 0 || (!at_t0 && cs->n >= cs->cap))
		return;
	row = at_t0 ? cs->at_t0 : &cs->cpu[cs->n * (size_t)cs->ncpus];
	ok = at_t0 ? cs->at_t0_ok : &cs->ok[cs->n * (size_t)cs->ncpus];
	read_ok = procstat_read_file(&f->file, f->scratch) == 0;
	cs->read_errors += !read_ok;
	for (c = 0; c < cs->ncpus; c++) {
		p = read_ok ? procstat_find_cpu(f->scratch, cs->cpus[c]) : NULL;
		ok[c] = p != NULL;
		if (p)
			row[c] = *p;
	}
	if (!at_t0)
		cs->t_ns[cs->n++] = t_ns;
}

void kmini_statfile_close(struct kmini_statfile *f)
{
	procstat_close(&f->file);
	free(f->scratch);
	f->scratch = NULL;
}

void kmini_cpustat_free(struct kmini_cpu_samples *cs)
{
	free(cs->cpus);
	free(cs->at_t0);
	free(cs->at_t0_ok);
	free(cs->t_ns);
	free(cs->cpu);
	free(cs->ok);
	memset(cs, 0, sizeof(*cs));
}

size_t kmini_stamp_capacity(const struct kmini_config *cfg)
{
	uint64_t n;

	if (cfg->workload != KMINI_WL_SCHED && cfg->workload != KMINI_WL_GARBAGE &&
	    cfg->workload != KMINI_WL_RING_CORRUPT)
		return 0;
	if (cfg->units)
		n = cfg->units * (uint64_t)cfg->ntasks;
	else
		n = (uint64_t)cfg->nvcpus *
		    ((uint64_t)(cfg->duration_ns / (cfg->unit_work_ns > 0 ? cfg->unit_work_ns : 1)) *
		     3 / 2 + 1024);
	return n > STAMPS_MAX ? STAMPS_MAX : (size_t)n;
}
