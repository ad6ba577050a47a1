/*
 * rundata: see rundata.h. Everything a sample needs is opened and touched
 * before the first deadline; a sample is a few pread()s and copies.
 */
#include "experiments/rundata.h"

#include "common/log.h"
#include "common/memtouch.h"
#include "common/parse.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *rundata_status_name(enum run_status st)
{
	static const char *const names[] = { "pending", "ok", "skipped", "interrupted", "failed" };

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

int rundata_cpus_involved(const struct spec *s, int *out)
{
	cpu_set_t set;
	int i, n = 0, any = 0, rc;

	CPU_ZERO(&set);
	for (i = 0; i < s->vcpus; i++) {
		if (s->pins[i] == SPEC_PIN_ANY)
			any = 1;
		else
			CPU_SET(s->pins[i], &set);
	}
	for (i = 0; i < s->n_contention; i++)
		CPU_SET(s->contention[i].cpu, &set);
	if (any) {
		rc = cpus_online(NULL, &set);
		if (rc)
			return rc;
	}
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			out[n++] = i;
	return n;
}

void rundata_free(struct run_samples *s)
{
	free(s->cpus);
	free(s->seq);
	free(s->t_ns);
	free(s->sched);
	free(s->sched_ok);
	free(s->cpu);
	free(s->cpu_ok);
	free(s->g_seq);
	free(s->g_t_ns);
	free(s->g_cpu);
	free(s->g_ok);
	free(s->g_steal_ns);
	free(s->g_steal_ok);
	memset(s, 0, sizeof(*s));
}

int rundata_steal_alloc(struct run_samples *s)
{
	size_t nv = s->cap * (size_t)s->nvcpus;

	free(s->g_steal_ns);
	free(s->g_steal_ok);
	s->g_steal_ns = calloc(nv + 1, sizeof(*s->g_steal_ns));
	s->g_steal_ok = calloc(nv + 1, 1);
	if (!s->g_steal_ns || !s->g_steal_ok) {
		free(s->g_steal_ns);
		free(s->g_steal_ok);
		s->g_steal_ns = NULL;
		s->g_steal_ok = NULL;
		return log_err(-ENOMEM, "guest steal buffers for %zu samples", s->cap);
	}
	return 0;
}

int rundata_guest_alloc(struct run_samples *s, size_t n)
{
	size_t nv = n * (size_t)s->nvcpus;

	free(s->g_seq);
	free(s->g_t_ns);
	free(s->g_cpu);
	free(s->g_ok);
	s->gn = 0;
	s->g_seq = calloc(n + 1, sizeof(*s->g_seq));
	s->g_t_ns = calloc(n + 1, sizeof(*s->g_t_ns));
	s->g_cpu = calloc(nv + 1, sizeof(*s->g_cpu));
	s->g_ok = calloc(nv + 1, 1);
	if (!s->g_seq || !s->g_t_ns || !s->g_cpu || !s->g_ok) {
		free(s->g_seq);
		free(s->g_t_ns);
		free(s->g_cpu);
		free(s->g_ok);
		s->g_seq = s->g_t_ns = NULL;
		s->g_cpu = NULL;
		s->g_ok = NULL;
		return log_err(-ENOMEM, "guest sample buffers for %zu samples", n);
	}
	s->gn = n;
	return 0;
}

int rundata_guest_ticks(const struct run_samples *s, size_t g, int v,
			struct run_guest_ticks *out)
{
	const struct procstat_cpu *c;
	size_t e = g * (size_t)s->nvcpus + (size_t)v;

	memset(out, 0, sizeof(*out));
	if (g >= s->gn || v < 0 || v >= s->nvcpus || !s->g_ok[e])
		return -ENOENT;
	c = &s->g_cpu[e];
	out->user = c->ticks[PS_USER] + c->ticks[PS_NICE];
	out->system = c->ticks[PS_SYSTEM] + c->ticks[PS_IRQ] + c->ticks[PS_SOFTIRQ];
	out->idle = c->ticks[PS_IDLE] + c->ticks[PS_IOWAIT];
	out->steal = c->ticks[PS_STEAL];
	return 0;
}

int rundata_alloc(struct run_samples *s, size_t cap, int nvcpus, const int *cpus, int ncpus)
{
	size_t nv = cap * (size_t)nvcpus, nc = cap * (size_t)ncpus;

	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->nvcpus = nvcpus;
	s->ncpus = ncpus;
	/* calloc touches nothing: mem_touch() below faults the pages in now */
	s->cpus = calloc((size_t)ncpus + 1, sizeof(*s->cpus));
	s->seq = calloc(cap, sizeof(*s->seq));
	s->t_ns = calloc(cap, sizeof(*s->t_ns));
	s->sched = calloc(nv + 1, sizeof(*s->sched));
	s->sched_ok = calloc(nv + 1, 1);
	s->cpu = calloc(nc + 1, sizeof(*s->cpu));
	s->cpu_ok = calloc(nc + 1, 1);
	if (!s->cpus || !s->seq || !s->t_ns || !s->sched || !s->sched_ok || !s->cpu ||
	    !s->cpu_ok) {
		rundata_free(s);
		return log_err(-ENOMEM, "sample buffers for %zu samples", cap);
	}
	memcpy(s->cpus, cpus, (size_t)ncpus * sizeof(*cpus));
	mem_touch(s->seq, cap * sizeof(*s->seq));
	mem_touch(s->t_ns, cap * sizeof(*s->t_ns));
	mem_touch(s->sched, nv * sizeof(*s->sched));
	mem_touch(s->sched_ok, nv);
	mem_touch(s->cpu, nc * sizeof(*s->cpu));
	mem_touch(s->cpu_ok, nc);
	return 0;
}

void rundata_rep_free(struct run_rep *rep)
{
	int i;

	for (i = 0; i < SPEC_MAX_VCPUS; i++)
		stampbuf_free(&rep->stamps[i]);
	rundata_free(&rep->samples);
	memset(rep, 0, sizeof(*rep));
}

void rundata_sampler_close(struct run_sampler *sm)
{
	int i;

	for (i = 0; i < sm->nvcpus; i++)
		if (sm->sched_fd[i] >= 0)
			close(sm->sched_fd[i]);
	procstat_close(&sm->stat);
	free(sm->scratch);
	memset(sm, 0, sizeof(*sm));
	sm->stat.fd = -1;
}

int rundata_sampler_open(struct run_sampler *sm, const pid_t *tids, int nvcpus)
{
	int i, rc;

	memset(sm, 0, sizeof(*sm));
	sm->stat.fd = -1;
	for (i = 0; i < SPEC_MAX_VCPUS; i++)
		sm->sched_fd[i] = -1;
	sm->nvcpus = nvcpus;
	sm->scratch = calloc(1, sizeof(*sm->scratch));
	if (!sm->scratch) {
		rc = log_err(-ENOMEM, "/proc/stat sample buffer");
		goto fail;
	}
	rc = procstat_open(NULL, &sm->stat);
	if (rc)
		goto fail;
	/* one read now sizes the reader's buffer: later reads allocate nothing */
	rc = procstat_read_file(&sm->stat, sm->scratch);
	if (rc)
		goto fail;
	for (i = 0; i < nvcpus; i++) {
		sm->sched_fd[i] = schedstat_open(NULL, getpid(), tids[i]);
		if (sm->sched_fd[i] < 0) {
			rc = sm->sched_fd[i];
			goto fail;
		}
	}
	return 0;
fail:
	rundata_sampler_close(sm);
	return rc;
}

int rundata_sample_begin(struct run_samples *s, int64_t seq, int64_t t_ns)
{
	size_t k = s->n;

	if (k >= s->cap)
		return -ENOSPC;
	s->seq[k] = seq;
	s->t_ns[k] = t_ns;
	return (int)k;
}

void rundata_sample_vcpu(struct run_samples *s, size_t k, int v, uint64_t run_ns,
			 uint64_t delay_ns, int ok)
{
	size_t e = k * (size_t)s->nvcpus + (size_t)v;

	s->sched_ok[e] = (unsigned char)(ok != 0);
	s->read_errors += !ok;
	if (ok) {
		s->sched[e].run_ns = run_ns;
		s->sched[e].delay_ns = delay_ns;
	}
}

void rundata_sample_end(struct run_sampler *sm, struct run_samples *s, size_t k)
{
	int i, stat_ok;

	stat_ok = procstat_read_file(&sm->stat, sm->scratch) == 0;
	s->read_errors += !stat_ok;
	for (i = 0; i < s->ncpus; i++) {
		size_t e = k * (size_t)s->ncpus + (size_t)i;
		const struct procstat_cpu *c =
			stat_ok ? procstat_find_cpu(sm->scratch, s->cpus[i]) : NULL;

		s->cpu_ok[e] = c != NULL;
		if (c)
			s->cpu[e] = *c;
	}
	s->n = k + 1;
}

int rundata_sample(struct run_sampler *sm, struct run_samples *s, int64_t seq, int64_t t_ns)
{
	struct schedstat st;
	int i, k = rundata_sample_begin(s, seq, t_ns);

	if (k < 0)
		return k;
	for (i = 0; i < s->nvcpus; i++) {
		int ok = schedstat_read_fd(sm->sched_fd[i], &st) == 0;

		rundata_sample_vcpu(s, (size_t)k, i, st.run_ns, st.delay_ns, ok);
	}
	rundata_sample_end(sm, s, (size_t)k);
	return 0;
}
