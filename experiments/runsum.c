/*
 * runsum: see runsum.h. The per-vCPU series handed to summary_phase() are
 * built here from the raw samples: schedstat run delay as the host view of
 * steal, and the /proc/stat counters of the CPUs the vCPU may run on (its
 * pin, or every CPU involved when it floats) summed per sample.
 */
#include "experiments/runsum.h"

#include "common/log.h"
#include "common/resdir.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Series of one vCPU of one repetition, built from the raw samples. */
struct vseries {
	int64_t *stamp_t;
	size_t nstamps;
	int64_t *t_ns;                 /* vCPU samples */
	double *delay_ns;
	double *steal_ns;              /* the guest's steal clock (kvm-mini); NULL without */
	size_t n;
	int64_t *host_t;               /* host samples in which its CPUs were found */
	struct procstat_cpu *host;
	size_t nhost;
	int64_t *tick_t;               /* guest samples that have this vCPU (real guests) */
	double *tick[4];               /* user, system, idle, steal ticks */
	size_t ntick;
	int guest_steal_ticks;         /* run_samples.guest_steal_ticks */
};

static void vseries_free(struct vseries *vs)
{
	free(vs->stamp_t);
	free(vs->t_ns);
	free(vs->delay_ns);
	free(vs->steal_ns);
	free(vs->host_t);
	free(vs->host);
	free(vs->tick_t);
	for (int i = 0; i < 4; i++)
		free(vs->tick[i]);
	memset(vs, 0, sizeof(*vs));
}

/* The guest's tick series of vCPU @v (none without a guest). */
static int vseries_ticks(struct vseries *vs, const struct run_samples *sm, int v)
{
	struct run_guest_ticks gt;
	size_t g;
	int i;

	vs->guest_steal_ticks = sm->guest_steal_ticks;
	if (sm->gn == 0)
		return 0;
	vs->tick_t = calloc(sm->gn, sizeof(*vs->tick_t));
	for (i = 0; i < 4; i++)
		vs->tick[i] = calloc(sm->gn, sizeof(*vs->tick[i]));
	if (!vs->tick_t || !vs->tick[0] || !vs->tick[1] || !vs->tick[2] || !vs->tick[3])
		return log_err(-ENOMEM, "summary: guest tick series of %zu samples", sm->gn);
	for (g = 0; g < sm->gn; g++) {
		if (rundata_guest_ticks(sm, g, v, &gt))
			continue;
		/* the guest's grid is its own; a sample out of order is left out */
		if (vs->ntick && sm->g_t_ns[g] < vs->tick_t[vs->ntick - 1])
			continue;
		vs->tick_t[vs->ntick] = sm->g_t_ns[g];
		vs->tick[0][vs->ntick] = (double)gt.user;
		vs->tick[1][vs->ntick] = (double)gt.system;
		vs->tick[2][vs->ntick] = (double)gt.idle;
		vs->tick[3][vs->ntick] = (double)gt.steal;
		vs->ntick++;
	}
	return 0;
}

/*
 * The series of vCPU @v of @rep. @scratch is a procstat_sample to fill per
 * sample with the CPUs found, @cpus room for sm->ncpus entries.
 */
static int vseries_build(struct vseries *vs, const struct spec *s, const struct run_rep *rep,
			 int v, struct procstat_sample *scratch, int *cpus)
{
	const struct run_samples *sm = &rep->samples;
	const struct stampbuf *b = &rep->stamps[v];
	int pin = s->pins[v], c, ncpus = 0;
	size_t k, i;

	memset(vs, 0, sizeof(*vs));
	vs->stamp_t = calloc(b->n + 1, sizeof(*vs->stamp_t));
	vs->t_ns = calloc(sm->n + 1, sizeof(*vs->t_ns));
	vs->delay_ns = calloc(sm->n + 1, sizeof(*vs->delay_ns));
	vs->host_t = calloc(sm->n + 1, sizeof(*vs->host_t));
	vs->host = calloc(sm->n + 1, sizeof(*vs->host));
	if (sm->g_steal_ns)
		vs->steal_ns = calloc(sm->n + 1, sizeof(*vs->steal_ns));
	if (!vs->stamp_t || !vs->t_ns || !vs->delay_ns || !vs->host_t || !vs->host ||
	    (sm->g_steal_ns && !vs->steal_ns)) {
		vseries_free(vs);
		return log_err(-ENOMEM, "summary series of %zu samples", sm->n);
	}
	/* one thread wrote them in order: already ascending */
	for (i = 0; i < b->n; i++)
		vs->stamp_t[i] = b->v[i].t_ns;
	vs->nstamps = b->n;
	for (c = 0; c < sm->ncpus; c++)
		if (pin == SPEC_PIN_ANY || sm->cpus[c] == pin)
			cpus[ncpus++] = sm->cpus[c];
	for (k = 0; k < sm->n; k++) {
		size_t e = k * (size_t)sm->nvcpus + (size_t)v;

		vs->t_ns[k] = sm->t_ns[k];
		vs->delay_ns[k] = sm->sched_ok[e] ? (double)sm->sched[e].delay_ns : NAN;
		if (vs->steal_ns)
			vs->steal_ns[k] = sm->g_steal_ok[e] ? (double)sm->g_steal_ns[e] : NAN;
		scratch->ncpus = 0;
		for (c = 0; c < sm->ncpus; c++) {
			size_t ce = k * (size_t)sm->ncpus + (size_t)c;

			if (sm->cpu_ok[ce])
				scratch->cpu[scratch->ncpus++] = sm->cpu[ce];
		}
		if (summary_sum_cpus(scratch, cpus, (size_t)ncpus, &vs->host[vs->nhost]) > 0)
			vs->host_t[vs->nhost++] = sm->t_ns[k];
	}
	vs->n = sm->n;
	if (vseries_ticks(vs, sm, v)) {
		vseries_free(vs);
		return -ENOMEM;
	}
	return 0;
}

static void input_of(const struct vseries *vs, const struct spec *s, double baseline_ups,
		     struct summary_input *in)
{
	memset(in, 0, sizeof(*in));
	in->stamp_t_ns = vs->stamp_t;
	in->nstamps = vs->nstamps;
	in->finite_units = s->units > 0;
	in->baseline_ups = baseline_ups;
	in->vcpu.n = vs->n;
	in->vcpu.t_ns = vs->t_ns;
	in->vcpu.host_delay_ns = vs->delay_ns;
	in->vcpu.guest_steal_ns = vs->steal_ns;
	in->host.n = vs->nhost;
	in->host.t_ns = vs->host_t;
	in->host.cpu = vs->host;
	if (vs->ntick == 0)
		return;
	in->vcpu.tick_n = vs->ntick;
	in->vcpu.tick_t_ns = vs->tick_t;
	in->vcpu.user_ticks = vs->tick[0];
	in->vcpu.system_ticks = vs->tick[1];
	in->vcpu.idle_ticks = vs->tick[2];
	/* without a steal clock (TCG) the guest's steal ticks are 0 by ignorance: unavailable */
	in->vcpu.steal_ticks = vs->guest_steal_ticks ? vs->tick[3] : NULL;
}

/*
 * Every phase of vCPU @v of one repetition into @out[phase]; the baseline
 * phase (when there is one) is summarised first for the reference rate.
 */
static int summarise_rep(const struct vseries *vs, const struct spec *s,
			 const struct spec_phase *ph, int nph, struct phase_summary *out)
{
	struct summary_input in;
	struct phase_summary base;
	double baseline_ups = NAN;
	int i, rc;

	for (i = 0; i < nph; i++) {
		if (strcmp(ph[i].name, "baseline"))
			continue;
		input_of(vs, s, NAN, &in);
		rc = summary_phase(&in, ph[i].start_ns, ph[i].end_ns, &base);
		if (rc)
			return rc;
		baseline_ups = base.work_rate_ups;
	}
	input_of(vs, s, baseline_ups, &in);
	for (i = 0; i < nph; i++) {
		rc = summary_phase(&in, ph[i].start_ns, ph[i].end_ns, &out[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int grow(struct runsum *acc, size_t more)
{
	struct runsum_row *rows;
	size_t cap = acc->cap ? acc->cap : 16;

	while (cap < acc->n + more)
		cap *= 2;
	if (cap == acc->cap)
		return 0;
	rows = realloc(acc->rows, cap * sizeof(*rows));
	if (!rows)
		return log_err(-ENOMEM, "summary rows");
	acc->rows = rows;
	acc->cap = cap;
	return 0;
}

int runsum_add_policy(struct runsum *acc, const struct run_policy *p,
		      const struct run_rep *reps, int nreps)
{
	const struct spec *s = &p->spec;
	struct spec_phase ph[SPEC_MAX_PHASES];
	struct procstat_sample *scratch;
	struct phase_summary one[SPEC_MAX_PHASES];
	struct vseries vs;
	size_t first = acc->n;
	int nph, v, r, i, used, rc, *cpus = NULL;

	for (r = 0, used = 0; r < nreps; r++)
		used += reps[r].completed;
	if (used == 0)
		return 0;              /* nothing ran to the end: no rows rather than empty ones */
	nph = spec_phases(s, ph);
	rc = grow(acc, (size_t)nph * (size_t)s->vcpus);
	if (rc)
		return rc;
	for (v = 0; v < s->vcpus; v++) {
		for (i = 0; i < nph; i++) {
			struct runsum_row *row = &acc->rows[acc->n + (size_t)(v * nph + i)];

			memset(row, 0, sizeof(*row));
			row->policy = p->name;
			row->phase = ph[i].name;
			row->start_ns = ph[i].start_ns;
			row->end_ns = ph[i].end_ns;
			row->vcpu = v;
			row->reps = calloc((size_t)nreps + 1, sizeof(*row->reps));
			if (!row->reps)
				rc = -ENOMEM;
		}
	}
	acc->n += (size_t)nph * (size_t)s->vcpus;
	scratch = calloc(1, sizeof(*scratch));
	if (!rc && !scratch)
		rc = -ENOMEM;
	if (!rc && nreps > 0) {
		cpus = calloc((size_t)reps[0].samples.ncpus + 1, sizeof(*cpus));
		if (!cpus)
			rc = -ENOMEM;
	}
	if (rc) {
		log_err(rc, "summary of policy %s: out of memory", p->name);
		goto out;
	}
	for (r = 0, used = 0; r < nreps && !rc; r++) {
		if (!reps[r].completed)
			continue;
		for (v = 0; v < s->vcpus && !rc; v++) {
			rc = vseries_build(&vs, s, &reps[r], v, scratch, cpus);
			if (rc)
				break;
			rc = summarise_rep(&vs, s, ph, nph, one);
			vseries_free(&vs);
			for (i = 0; i < nph && !rc; i++) {
				struct runsum_row *row = &acc->rows[first + (size_t)(v * nph + i)];

				row->reps[used] = one[i];
				row->nreps = used + 1;
			}
		}
		used++;
	}
	for (i = 0; i < nph * s->vcpus; i++) {
		struct runsum_row *row = &acc->rows[first + (size_t)i];

		summary_aggregate(row->reps, (size_t)row->nreps, &row->spread);
	}
out:
	free(cpus);
	free(scratch);
	return rc;
}

int runsum_write(const struct runsum *acc, const char *dir, const char *experiment,
		 const struct run_policy *policies, size_t npolicies)
{
	char path[PATH_MAX];
	struct summary_key key;
	struct csvw *w;
	struct afile *f;
	struct jsonw j;
	size_t i;
	int r, rc = 0, jrc;

	if (snprintf(path, sizeof(path), "%s/summary.csv", dir) >= (int)sizeof(path))
		return log_err(-ENAMETOOLONG, "%s/summary.csv: %s", dir, strerror(ENAMETOOLONG));
	w = summary_csv_open(path);
	if (!w)
		return -errno;
	for (i = 0; i < acc->n && !rc; i++) {
		const struct runsum_row *row = &acc->rows[i];

		key = (struct summary_key){ row->policy, row->phase, row->vcpu };
		for (r = 0; r < row->nreps && !rc; r++)
			rc = summary_csv_rep(w, &key, r, &row->reps[r]);
		if (!rc)
			rc = summary_csv_spread(w, &key, &row->spread);
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	rc = csvw_commit(w);
	if (rc)
		return rc;

	f = afile_open(dir, "summary.json");
	if (!f)
		return -errno;
	jsonw_init(&j, afile_fp(f));
	jsonw_obj_begin(&j);
	jsonw_kv_str(&j, "experiment", experiment);
	jsonw_key(&j, "policies");
	jsonw_arr_begin(&j);
	for (i = 0; i < npolicies; i++) {
		jsonw_obj_begin(&j);
		jsonw_kv_str(&j, "name", policies[i].name);
		jsonw_kv_str(&j, "status", rundata_status_name(policies[i].status));
		jsonw_kv_str(&j, "reason", policies[i].reason[0] ? policies[i].reason : NULL);
		jsonw_obj_end(&j);
	}
	jsonw_arr_end(&j);
	jsonw_key(&j, "rows");
	jsonw_arr_begin(&j);
	for (i = 0; i < acc->n; i++) {
		key = (struct summary_key){ acc->rows[i].policy, acc->rows[i].phase,
					    acc->rows[i].vcpu };
		summary_json_spread(&j, &key, &acc->rows[i].spread);
	}
	jsonw_arr_end(&j);
	jsonw_key(&j, "reps");
	jsonw_arr_begin(&j);
	for (i = 0; i < acc->n; i++) {
		key = (struct summary_key){ acc->rows[i].policy, acc->rows[i].phase,
					    acc->rows[i].vcpu };
		for (r = 0; r < acc->rows[i].nreps; r++)
			summary_json_rep(&j, &key, r, &acc->rows[i].reps[r]);
	}
	jsonw_arr_end(&j);
	jsonw_obj_end(&j);
	jrc = jsonw_finish(&j);
	if (jrc == -EINVAL) {
		afile_abort(f);
		return jrc;
	}
	return afile_commit(f);
}

int runsum_table(const struct runsum *acc, FILE *fp)
{
	struct phase_summary means;
	struct summary_key key;
	size_t i;
	int rc;

	rc = summary_table_header(fp);
	for (i = 0; i < acc->n && !rc; i++) {
		key = (struct summary_key){ acc->rows[i].policy, acc->rows[i].phase,
					    acc->rows[i].vcpu };
		summary_spread_means(&acc->rows[i].spread, &means);
		rc = summary_table_row(fp, &key, &means);
	}
	return rc;
}

size_t runsum_warn_noisy_baselines(const struct runsum *acc, double limit_pct)
{
	struct phase_summary means;
	size_t i, n = 0;

	for (i = 0; i < acc->n; i++) {
		summary_spread_means(&acc->rows[i].spread, &means);
		if (!summary_baseline_noisy(acc->rows[i].phase, &means, limit_pct))
			continue;
		log_warn("policy %s vCPU %d: the baseline was not quiet: %.1f%% run delay "
			 "before any host contention (other load on its CPU?); the contended "
			 "figures are measured against a disturbed reference",
			 acc->rows[i].policy, acc->rows[i].vcpu, means.host_delay_pct);
		n++;
	}
	return n;
}

void runsum_free(struct runsum *acc)
{
	size_t i;

	for (i = 0; i < acc->n; i++)
		free(acc->rows[i].reps);
	free(acc->rows);
	memset(acc, 0, sizeof(*acc));
}
