/*
 * kmresult: see kmresult.h. Each file is loaded whole (csv_table_load(),
 * jsonget_load()), checked row by row with the file's own line numbers in
 * every message, and copied into buffers sized from a first count, so a
 * bad file leaves the repetition empty rather than half filled.
 */
#include "experiments/kmresult.h"

#include "common/cpucsv.h"
#include "common/csvio.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "experiments/guestcsv.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* @dir/@name parsed whole into @t; errors logged by csv_table_load(). */
static int load_table(const char *dir, const char *name, struct csv_table *t)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return log_err(-ENAMETOOLONG, "%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
	return csv_table_load(path, t);
}

/* The file line of row @r of @t, for messages. */
static int line_of(const struct csv_table *t, size_t r)
{
	return t->lines ? (int)t->lines[r] : (int)r + 2;
}

/* meta.json's facts into @f; the records kvm-mini lost into the stamps' dropped counts. */
static void read_facts(const struct jsonget_doc *doc, const struct spec *s,
		       struct kmresult_facts *f, struct run_rep *rep)
{
	char key[64];
	long long v, sum;
	int i;

	jsonget_str(doc, "status", f->status, sizeof(f->status));
	jsonget_str(doc, "kvm.module", f->kvm_module, sizeof(f->kvm_module));
	f->startup_ns = jsonget_i64(doc, "startup_ns", &v) ? -1 : v;
	f->wall_ns = jsonget_i64(doc, "wall_ns", &v) ? -1 : v;
	f->ns_per_loop = NAN;
	if (!jsonget_i64(doc, "vcpus[0].loops_per_unit", &v) && v > 0)
		f->loops_per_unit = (uint64_t)v;
	if (jsonget_f64(doc, "vcpus[0].ns_per_loop", &f->ns_per_loop))
		f->ns_per_loop = NAN;
	for (i = 0; i < s->vcpus; i++) {
		static const char *const lost[] = { "dropped_guest", "dropped_host", "overwritten",
						    "rejected" };

		snprintf(key, sizeof(key), "vcpus[%d].tid", i);
		if (!jsonget_i64(doc, key, &v) && v > 0 && v <= INT32_MAX)
			f->tids[i] = (pid_t)v;
		sum = 0;
		for (size_t k = 0; k < sizeof(lost) / sizeof(lost[0]); k++) {
			snprintf(key, sizeof(key), "vcpus[%d].%s", i, lost[k]);
			if (!jsonget_i64(doc, key, &v) && v > 0)
				sum += v;
		}
		rep->stamps[i].dropped += (uint64_t)sum;
	}
}

enum { V_T, V_VCPU, V_STEAL, V_RUN, V_DELAY, V_TU, V_TS, V_TI, V_TST, V_NCOLS };

static int vcpu_row(const struct csv_table *t, const int *col, size_t r, int nvcpus,
		    int64_t *tn, int *vcpu, double *val)
{
	int64_t v;
	int i, rc;

	if ((rc = csv_table_i64(t, r, (size_t)col[V_T], tn)) ||
	    (rc = csv_table_i64(t, r, (size_t)col[V_VCPU], &v)))
		return rc;
	if (v < 0 || v >= nvcpus)
		return log_err(-EINVAL, "%s: line %d: vcpu %" PRId64 ": the run has %d", t->path,
			       line_of(t, r), v, nvcpus);
	*vcpu = (int)v;
	for (i = V_STEAL; i < V_NCOLS; i++) {
		rc = csv_table_f(t, r, (size_t)col[i], &val[i]);
		if (rc)
			return rc;
		if (val[i] < 0)
			return log_err(-EINVAL, "%s: line %d: negative %s", t->path, line_of(t, r),
				       t->header[col[i]]);
	}
	return 0;
}

/* vcpu.csv into the vCPU, guest tick and guest steal samples of @sm. */
static int read_vcpu(const struct csv_table *t, const struct spec *s, const int *cpus,
		     int ncpus, struct run_samples *sm)
{
	static const char *const names[V_NCOLS] = {
		"t_ns", "vcpu", "guest_steal_ns", "host_run_ns", "host_delay_ns", "tick_user",
		"tick_system", "tick_idle", "tick_steal",
	};
	int col[V_NCOLS], i, v = 0, ok, rc, steal_seen[SPEC_MAX_VCPUS] = { 0 };
	unsigned char *seen = NULL;
	double val[V_NCOLS];
	int64_t tn;
	size_t n, r, k = 0, e;

	for (i = 0; i < V_NCOLS; i++) {
		col[i] = csv_table_col(t, names[i]);
		if (col[i] < 0)
			return log_err(-EINVAL, "%s: no column '%s'", t->path, names[i]);
	}
	rc = guestcsv_count_groups(t, t->path, col[V_T], &n);
	n++;                           /* sample 0: t0, where kvm-mini's counters are 0 */
	if (!rc)
		rc = rundata_alloc(sm, n, s->vcpus, cpus, ncpus);
	if (!rc)
		rc = rundata_guest_alloc(sm, n);
	if (!rc)
		rc = rundata_steal_alloc(sm);
	if (!rc && !(seen = calloc(n * (size_t)s->vcpus + 1, 1)))
		rc = log_err(-ENOMEM, "%s: out of memory", t->path);
	for (v = 0; v < s->vcpus && !rc; v++) {
		/*
		 * kvm-mini counts from t0: every counter is 0 there (its threads
		 * wait at the start barrier, and its own summary starts from a zero
		 * sample), and its /proc/stat read at t0 is cpu.csv's seq 0.
		 */
		rundata_sample_vcpu(sm, 0, v, 0, 0, 1);
		sm->g_steal_ok[v] = 1;
		sm->g_cpu[v].cpu = v;
		sm->g_cpu[v].nfields = PS_NFIELDS;
		sm->g_ok[v] = 1;
	}
	for (r = 0; r < t->nrows && !rc; r++) {
		rc = vcpu_row(t, col, r, s->vcpus, &tn, &v, val);
		if (rc)
			break;
		if (r == 0 || tn != sm->t_ns[k])
			k++;
		if (tn <= 0) {
			rc = log_err(-EINVAL, "%s: line %d: t_ns %" PRId64 ": samples come after t0",
				     t->path, line_of(t, r), tn);
			break;
		}
		sm->t_ns[k] = sm->g_t_ns[k] = tn;
		sm->seq[k] = sm->g_seq[k] = (int64_t)k;
		e = k * (size_t)s->vcpus + (size_t)v;
		if (seen[e]++) {
			rc = log_err(-EINVAL, "%s: line %d: vcpu %d twice at t_ns %" PRId64, t->path,
				     line_of(t, r), v, tn);
			break;
		}
		ok = !isnan(val[V_RUN]) && !isnan(val[V_DELAY]);
		rundata_sample_vcpu(sm, k, v, ok ? (uint64_t)val[V_RUN] : 0,
				    ok ? (uint64_t)val[V_DELAY] : 0, ok);
		/*
		 * kvm-mini counts from t0, where every counter is 0 (its own summary
		 * starts there). Before a vCPU's first steal reading its guest had not
		 * started yet (~0.1 ms on KVM, ~150 ms nested): it had been told no
		 * steal, 0. A reading missing later is missing.
		 */
		if (!isnan(val[V_STEAL])) {
			sm->g_steal_ns[e] = (uint64_t)val[V_STEAL];
			sm->g_steal_ok[e] = 1;
			steal_seen[v] = 1;
		} else if (!steal_seen[v]) {
			sm->g_steal_ns[e] = 0;
			sm->g_steal_ok[e] = 1;
		}
		if (!isnan(val[V_TU]) && !isnan(val[V_TS]) && !isnan(val[V_TI]) &&
		    !isnan(val[V_TST])) {
			struct procstat_cpu *g = &sm->g_cpu[e];

			g->cpu = v;
			g->nfields = PS_NFIELDS;
			g->ticks[PS_USER] = (uint64_t)val[V_TU];
			g->ticks[PS_SYSTEM] = (uint64_t)val[V_TS];
			g->ticks[PS_IDLE] = (uint64_t)val[V_TI];
			g->ticks[PS_STEAL] = (uint64_t)val[V_TST];
			sm->g_ok[e] = 1;
		}
	}
	free(seen);
	if (!rc) {
		sm->n = n;
		sm->guest_steal_ticks = 1;    /* KVM steal time: its steal ticks are real */
	}
	return rc;
}

/* cpu.csv's rows of the CPUs of @sm into its host samples, by seq (= sample k + 1). */
static int read_cpu(const struct csv_table *t, struct run_samples *sm)
{
	struct procstat_cpu c;
	int col[CPUCSV_READ_COLS], i, rc;
	int64_t seq, tn;
	size_t r, e;

	rc = cpucsv_cols(t, t->path, col);
	for (r = 0; r < t->nrows && !rc; r++) {
		rc = cpucsv_ticks(t, col, r, &seq, &tn, &c);
		if (rc)
			break;
		/* kvm-mini's seq: 0 at t0, then k + 1 for its k-th sample, as here */
		if (seq < 0 || (size_t)seq >= sm->n || sm->t_ns[seq] != tn) {
			rc = log_err(-EINVAL, "%s: line %d: seq %" PRId64 " at t_ns %" PRId64 " is no "
				     "sample of vcpu.csv", t->path, line_of(t, r), seq, tn);
			break;
		}
		for (i = 0; i < sm->ncpus && sm->cpus[i] != c.cpu; i++)
			;
		if (i == sm->ncpus)
			continue;              /* a CPU the runner does not count as involved */
		e = (size_t)seq * (size_t)sm->ncpus + (size_t)i;
		sm->cpu[e] = c;
		sm->cpu_ok[e] = 1;
	}
	return rc;
}

int kmresult_read(const char *dir, const struct spec *s, int host_tids, struct run_rep *rep,
		  struct kmresult_facts *facts)
{
	struct csv_table vt = { 0 }, ct = { 0 }, pt = { 0 };
	struct jsonget_doc doc = { 0 };
	char path[PATH_MAX];
	int cpus[CPU_SETSIZE], ncpus, v, rc;

	memset(rep, 0, sizeof(*rep));
	memset(facts, 0, sizeof(*facts));
	facts->startup_ns = facts->wall_ns = -1;
	facts->ns_per_loop = NAN;
	ncpus = rundata_cpus_involved(s, cpus);
	if (ncpus < 0)
		return ncpus;
	rc = load_table(dir, "vcpu.csv", &vt);
	if (!rc)
		rc = read_vcpu(&vt, s, cpus, ncpus, &rep->samples);
	if (!rc)
		rc = load_table(dir, "cpu.csv", &ct);
	if (!rc)
		rc = read_cpu(&ct, &rep->samples);
	if (!rc)
		rc = load_table(dir, "progress.csv", &pt);
	if (!rc)
		rc = guestcsv_progress(&pt, s, rep->stamps);
	if (!rc && snprintf(path, sizeof(path), "%s/meta.json", dir) >= (int)sizeof(path))
		rc = log_err(-ENAMETOOLONG, "%s/meta.json: %s", dir, strerror(ENAMETOOLONG));
	if (!rc)
		rc = jsonget_load(path, &doc);
	if (!rc)
		read_facts(&doc, s, facts, rep);
	jsonget_free(&doc);
	csv_table_free(&vt);
	csv_table_free(&ct);
	csv_table_free(&pt);
	if (rc) {
		rundata_rep_free(rep);
		return rc;
	}
	for (v = 0; v < s->vcpus && host_tids; v++)
		rep->tids[v] = facts->tids[v];
	rep->measured = rep->samples.n > 1;
	rep->completed = rep->measured &&
			 rep->samples.t_ns[rep->samples.n - 1] >= s->duration_ns &&
			 !strcmp(facts->status, "ok");
	return 0;
}
