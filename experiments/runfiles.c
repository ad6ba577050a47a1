/*
 * runfiles: see runfiles.h. Column sets follow the README's table exactly;
 * cpu.csv reuses cpu-sampler's renderer (common/cpucsv.h). Guest-side
 * columns are empty on the native backend: there is no guest.
 */
#include "experiments/runfiles.h"

#include "common/cpucsv.h"
#include "common/csvio.h"
#include "common/hostinfo.h"
#include "common/log.h"
#include "common/resdir.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int runfiles_copy(const char *src, const char *dir, const char *name)
{
	struct afile *f;
	FILE *in;
	char buf[8192];
	size_t n;
	int e;

	in = fopen(src, "rb");
	if (!in) {
		e = errno;
		return log_err(-e, "open %s: %s", src, strerror(e));
	}
	f = afile_open(dir, name);
	if (!f) {
		e = errno;
		fclose(in);
		return -e;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, afile_fp(f));
	if (ferror(in)) {
		e = errno ? errno : EIO;
		fclose(in);
		afile_abort(f);
		return log_err(-e, "read %s: %s", src, strerror(e));
	}
	fclose(in);
	return afile_commit(f);
}

static int path_in(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
	return 0;
}

static int write_progress(const char *dir, const struct spec *s, const struct run_rep *rep)
{
	static const char *const cols[] = { "t_ns", "vcpu", "task", "unit", "progress_pct" };
	char path[PATH_MAX];
	struct csvw *w;
	size_t i;
	int v, rc;

	rc = path_in(path, sizeof(path), dir, "progress.csv");
	if (rc)
		return rc;
	w = csvw_open(path, cols, 5);
	if (!w)
		return -errno;
	for (v = 0; v < s->vcpus && !rc; v++) {
		const struct stampbuf *b = &rep->stamps[v];
		int ntasks = native_tasks_on_vcpu(s, v);

		for (i = 0; i < b->n && !rc; i++) {
			csvw_i64(w, b->v[i].t_ns);
			csvw_i64(w, v);
			csvw_i64(w, b->v[i].task);
			csvw_u64(w, b->v[i].unit);
			csvw_f(w, native_progress_pct(s, ntasks, b->v[i].unit), 3);
			rc = csvw_end_row(w);
		}
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

static int write_vcpu(const char *dir, const struct spec *s, const struct run_samples *sm)
{
	static const char *const cols[] = {
		"t_ns", "vcpu", "pcpu", "guest_steal_ns", "host_run_ns", "host_delay_ns",
		"tick_user", "tick_system", "tick_idle", "tick_steal",
	};
	char path[PATH_MAX];
	struct run_guest_ticks gt;
	struct csvw *w;
	size_t k, g = 0;
	int v, have, rc;

	rc = path_in(path, sizeof(path), dir, "vcpu.csv");
	if (rc)
		return rc;
	w = csvw_open(path, cols, sizeof(cols) / sizeof(cols[0]));
	if (!w)
		return -errno;
	for (k = 0; k < sm->n && !rc; k++) {
		/*
		 * The guest's sample nearest in time, within half an interval: the
		 * guest samples on its own grid (from its `go`, a whole number of
		 * intervals before t0), one serial latency off the host's.
		 */
		while (g + 1 < sm->gn && llabs(sm->g_t_ns[g + 1] - sm->t_ns[k]) <=
					 llabs(sm->g_t_ns[g] - sm->t_ns[k]))
			g++;
		for (v = 0; v < sm->nvcpus && !rc; v++) {
			size_t e = k * (size_t)sm->nvcpus + (size_t)v;

			csvw_i64(w, sm->t_ns[k]);
			csvw_i64(w, v);
			csvw_i64(w, s->pins[v]);      /* -1: unpinned */
			/* exact only with a steal clock (kvm-mini); a Linux guest has ticks */
			if (sm->g_steal_ns && sm->g_steal_ok[e])
				csvw_u64(w, sm->g_steal_ns[e]);
			else
				csvw_f(w, NAN, 0);
			if (sm->sched_ok[e]) {
				csvw_u64(w, sm->sched[e].run_ns);
				csvw_u64(w, sm->sched[e].delay_ns);
			} else {
				csvw_f(w, NAN, 0);
				csvw_f(w, NAN, 0);
			}
			have = g < sm->gn &&
			       2 * llabs(sm->g_t_ns[g] - sm->t_ns[k]) <= s->sample_interval_ns &&
			       rundata_guest_ticks(sm, g, v, &gt) == 0;
			csvw_f(w, have ? (double)gt.user : NAN, 0);
			csvw_f(w, have ? (double)gt.system : NAN, 0);
			csvw_f(w, have ? (double)gt.idle : NAN, 0);
			/* no steal clock (TCG): the guest's 0 is not a measurement */
			csvw_f(w, have && sm->guest_steal_ticks ? (double)gt.steal : NAN, 0);
			rc = csvw_end_row(w);
		}
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

/* One row per involved CPU per interval, as cpu-sampler writes them. */
static int write_cpu(const char *dir, const struct run_samples *sm)
{
	char path[PATH_MAX];
	struct cpupct pct;
	struct csvw *w;
	size_t k;
	int c, rc;

	rc = path_in(path, sizeof(path), dir, "cpu.csv");
	if (rc)
		return rc;
	w = cpucsv_open(path);
	if (!w)
		return -errno;
	for (k = 1; k < sm->n && !rc; k++) {
		for (c = 0; c < sm->ncpus && !rc; c++) {
			size_t e = k * (size_t)sm->ncpus + (size_t)c, p = e - (size_t)sm->ncpus;

			if (!sm->cpu_ok[p] || !sm->cpu_ok[e])
				continue;
			procstat_derive(&sm->cpu[p], &sm->cpu[e], &pct);
			rc = cpucsv_row(w, sm->seq[k], sm->t_ns[k], sm->cpus[c], &sm->cpu[e], &pct);
		}
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

int runfiles_write_rep(const char *dir, const struct spec *s, const struct run_rep *rep)
{
	int rc, first = 0;

	rc = write_progress(dir, s, rep);
	first = rc;
	rc = write_vcpu(dir, s, &rep->samples);
	if (!first)
		first = rc;
	rc = write_cpu(dir, &rep->samples);
	if (!first)
		first = rc;
	return first;
}

/* ---- meta.json ------------------------------------------------------------------ */

static void json_spec(struct jsonw *j, const struct run_policy *p)
{
	const struct spec *s = &p->spec;
	struct spec_phase ph[SPEC_MAX_PHASES];
	int i, n;

	jsonw_kv_i64(j, "duration_ns", s->duration_ns);
	jsonw_kv_i64(j, "sample_interval_ns", s->sample_interval_ns);
	jsonw_kv_i64(j, "repeat", s->repeat);
	jsonw_kv_str(j, "workload", spec_workload_name(s->workload));
	jsonw_kv_i64(j, "vcpus", s->vcpus);
	jsonw_key(j, "pins");
	jsonw_arr_begin(j);
	for (i = 0; i < s->vcpus; i++)
		jsonw_i64(j, s->pins[i]);      /* -1: unpinned */
	jsonw_arr_end(j);
	jsonw_kv_i64(j, "tasks", s->tasks);
	jsonw_kv_i64(j, "units", s->units);
	jsonw_kv_i64(j, "unit_work_ns", s->unit_work_ns);
	jsonw_kv_i64(j, "slice_ns", s->slice_ns);
	jsonw_kv_f(j, "quota_pct", s->quota_pct);
	jsonw_kv_str(j, "quota_mechanism", p->quota_mechanism);
	jsonw_key(j, "contention");
	jsonw_arr_begin(j);
	for (i = 0; i < s->n_contention; i++) {
		const struct spec_contention *c = &s->contention[i];

		jsonw_obj_begin(j);
		jsonw_kv_str(j, "name", c->name);
		jsonw_kv_i64(j, "cpu", c->cpu);
		jsonw_kv_i64(j, "start_ns", c->start_ns);
		jsonw_kv_i64(j, "end_ns", c->end_ns);
		jsonw_kv_i64(j, "nice", c->nice);
		jsonw_kv_f(j, "duty_pct", c->duty_pct);
		jsonw_kv_i64(j, "period_ns", c->period_ns);
		jsonw_obj_end(j);
	}
	jsonw_arr_end(j);
	jsonw_key(j, "phases");
	jsonw_arr_begin(j);
	n = spec_phases(s, ph);
	for (i = 0; i < n; i++) {
		jsonw_obj_begin(j);
		jsonw_kv_str(j, "name", ph[i].name);
		jsonw_kv_i64(j, "start_ns", ph[i].start_ns);
		jsonw_kv_i64(j, "end_ns", ph[i].end_ns);
		jsonw_obj_end(j);
	}
	jsonw_arr_end(j);
}

/* A time in ns, null when it was not measured (negative). */
static void kv_ns(struct jsonw *j, const char *key, int64_t ns)
{
	if (ns >= 0)
		jsonw_kv_i64(j, key, ns);
	else
		jsonw_kv_str(j, key, NULL);
}

static void json_guest(struct jsonw *j, const struct run_guest *g)
{
	int i;

	jsonw_key(j, "guest");
	jsonw_obj_begin(j);
	jsonw_kv_str(j, "domain", g->domain);
	jsonw_kv_str(j, "boot_id", g->boot_id);
	kv_ns(j, "boot_ns", g->boot_ns);
	if (g->boot_ns >= 0) {
		char boot[32];

		snprintf(boot, sizeof(boot), "%.1f s", (double)g->boot_ns / 1e9);
		jsonw_kv_str(j, "boot", boot);     /* for the report (jsonget reads strings) */
	}
	jsonw_kv_i64(j, "serial_poll_ns", g->poll_ns);
	kv_ns(j, "t0_guest_ns", g->boot_ns >= 0 ? g->t0_guest_ns : -1);
	kv_ns(j, "margin_ns", g->boot_ns >= 0 ? g->margin_ns : -1);
	jsonw_kv_str(j, "tools_version", g->tools_version[0] ? g->tools_version : NULL);
	jsonw_kv_str(j, "kernel_release", g->kernel_release[0] ? g->kernel_release : NULL);
	if (g->exit_status >= 0)
		jsonw_kv_i64(j, "exit_status", g->exit_status);
	else
		jsonw_kv_str(j, "exit_status", NULL);
	jsonw_kv_str(j, "error", g->guest_error[0] ? g->guest_error : NULL);
	jsonw_kv_i64(j, "serial_bytes", g->serial_bytes);
	jsonw_kv_i64(j, "serial_foreign_lines", g->foreign_lines);
	kv_ns(j, "poweroff_ns", g->shutdown_ns);
	jsonw_key(j, "notes");
	jsonw_arr_begin(j);
	for (i = 0; i < g->nnotes; i++)
		jsonw_str(j, g->notes[i]);
	jsonw_arr_end(j);
	jsonw_obj_end(j);
}

static void json_policy(struct jsonw *j, const struct run_policy *p)
{
	int r, v;

	jsonw_obj_begin(j);
	jsonw_kv_str(j, "name", p->name);
	jsonw_kv_str(j, "description", p->description);
	jsonw_kv_str(j, "status", rundata_status_name(p->status));
	if (p->reason[0])
		jsonw_kv_str(j, "reason", p->reason);
	json_spec(j, p);
	jsonw_key(j, "calibration");
	if (p->guest) {
		/* a real guest calibrates itself: what it said, from the first repetition */
		jsonw_obj_begin(j);
		jsonw_kv_str(j, "by", "the guest's sched-load");
		jsonw_key(j, "reported");
		jsonw_arr_begin(j);
		for (v = 0; p->nreps > 0 && v < p->guest[0].nnotes; v++)
			if (strstr(p->guest[0].notes[v], "calibration"))
				jsonw_str(j, p->guest[0].notes[v]);
		jsonw_arr_end(j);
		jsonw_obj_end(j);
	} else if (!p->calibrated) {
		jsonw_str(j, NULL);
	} else if (p->calib_by) {
		jsonw_obj_begin(j);
		jsonw_kv_str(j, "by", p->calib_by);
		jsonw_kv_i64(j, "cpu", p->spec.pins[0]);
		jsonw_kv_i64(j, "loops_per_unit", (int64_t)p->calib.loops_per_unit);
		jsonw_kv_f(j, "ns_per_loop", p->calib.ns_per_loop);
		jsonw_obj_end(j);
	} else {
		jsonw_obj_begin(j);
		jsonw_kv_i64(j, "cpu", p->spec.pins[0]);
		jsonw_kv_i64(j, "loops_per_unit", (int64_t)p->calib.loops_per_unit);
		jsonw_kv_f(j, "ns_per_loop", p->calib.ns_per_loop);
		jsonw_kv_f(j, "clock_read_ns", p->calib.clock_read_ns);
		jsonw_kv_i64(j, "runs", p->calib.runs);
		jsonw_obj_end(j);
	}
	jsonw_key(j, "reps");
	jsonw_arr_begin(j);
	for (r = 0; r < p->nreps; r++) {
		jsonw_obj_begin(j);
		jsonw_kv_i64(j, "rep", r + 1);
		jsonw_kv_bool(j, "completed", p->completed[r]);
		jsonw_key(j, "vcpu_tids");
		jsonw_arr_begin(j);
		for (v = 0; v < p->spec.vcpus; v++) {
			if (p->tids[r][v] > 0)
				jsonw_i64(j, p->tids[r][v]);
			else
				jsonw_str(j, NULL);    /* a real guest's threads are QEMU's */
		}
		jsonw_arr_end(j);
		jsonw_kv_i64(j, "dropped_stamps", (int64_t)p->dropped[r]);
		if (p->guest)
			json_guest(j, &p->guest[r]);
		jsonw_obj_end(j);
	}
	jsonw_arr_end(j);
	jsonw_obj_end(j);
}

static void meta_extra(struct jsonw *j, void *arg)
{
	const struct run_meta *m = arg;
	size_t i;

	jsonw_kv_str(j, "spec_path", m->spec_path);
	jsonw_kv_str(j, "backend", m->backend);
	jsonw_kv_str(j, "backend_requested", m->backend_requested);
	if (m->backend_reason)
		jsonw_kv_str(j, "backend_reason", m->backend_reason);
	jsonw_kv_bool(j, "quick", m->quick);
	if (m->domain_type) {
		int f;

		jsonw_key(j, "libvirt");
		jsonw_obj_begin(j);
		jsonw_kv_str(j, "connect", m->connect_uri);
		jsonw_kv_str(j, "domain_type", m->domain_type);
		jsonw_kv_str(j, "domain_type_reason", m->domain_type_reason);
		jsonw_key(j, "guest_image");
		jsonw_obj_begin(j);
		if (m->image) {
			jsonw_kv_str(j, "dir", m->image->dir);
			for (f = 0; f < m->image->nfacts; f++)
				jsonw_kv_str(j, m->image->facts[f].key, m->image->facts[f].value);
		}
		jsonw_obj_end(j);
		jsonw_kv_str(j, "guest_steal", m->guest_steal_unavailable);
		jsonw_obj_end(j);
	}
	if (m->kvm_route) {
		jsonw_kv_str(j, "kvm_route", m->kvm_route);
		jsonw_kv_str(j, "kvm_route_reason", m->kvm_route_reason);
		jsonw_key(j, "kvm_mini");
		jsonw_obj_begin(j);
		jsonw_kv_str(j, "route", m->kvm_route);
		jsonw_kv_str(j, "reason", m->kvm_route_reason);
		jsonw_kv_str(j, "caveat", m->kvm_route_caveat);
		jsonw_kv_str(j, "kvm_module", m->kvm_module && m->kvm_module[0] ? m->kvm_module :
			     NULL);
		kv_ns(j, "startup_ns", m->kvm_startup_ns);
		if (m->kvm_startup_ns >= 0) {
			char ms[32];

			snprintf(ms, sizeof(ms), "%.1f ms", (double)m->kvm_startup_ns / 1e6);
			jsonw_kv_str(j, "startup", ms);     /* for the report (jsonget reads strings) */
		}
		jsonw_obj_end(j);
	}
	jsonw_key(j, "policies");
	jsonw_arr_begin(j);
	for (i = 0; i < m->npolicies; i++)
		json_policy(j, &m->policies[i]);
	jsonw_arr_end(j);
}

int runfiles_meta(const char *dir, int argc, char *const *argv, int64_t started_unix,
		  const struct run_meta *m)
{
	return meta_write_ext(dir, "stealscope", argc, argv, started_unix, meta_extra,
			      (void *)m);
}
