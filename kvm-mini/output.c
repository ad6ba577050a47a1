/*
 * output: see output.h. Columns are fixed by experiments/README.md
 * ("Results directory"); a guest column the guest could not provide (an
 * unreadable steal struct) is left empty, never 0.
 */
#include "kvm-mini/output.h"

#include "common/cpucsv.h"
#include "common/csvio.h"
#include "common/hostinfo.h"
#include "common/json.h"
#include "common/log.h"
#include "kvm-mini/summary.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int kmini_out_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return log_err(-errno, "mkdir %s: %s", dir, strerror(errno));
	return 0;
}

static int write_progress(const char *dir, const struct kmini_opts *o, const struct kmini_result *r)
{
	static const char *const cols[] = { "t_ns", "vcpu", "task", "unit", "progress_pct" };
	char path[PATH_MAX];
	struct csvw *w;
	size_t k;

	snprintf(path, sizeof(path), "%s/progress.csv", dir);
	w = csvw_open(path, cols, 5);
	if (!w)
		return -errno;
	for (k = 0; k < r->nstamps; k++) {
		const struct kmini_stamp *s = &r->stamps[k];

		csvw_i64(w, s->t_ns);
		csvw_u64(w, s->vcpu);
		csvw_u64(w, s->task);
		csvw_u64(w, s->unit);
		csvw_f(w, kmini_progress_pct(&o->cfg, kmini_tasks_on_vcpu(&o->cfg, (int)s->vcpu),
					     s->unit), 3);
		csvw_end_row(w);
	}
	return csvw_commit(w);
}

static int write_vcpu(const char *dir, const struct kmini_result *r)
{
	static const char *const cols[] = {
		"t_ns", "vcpu", "pcpu", "guest_steal_ns", "host_run_ns", "host_delay_ns",
		"tick_user", "tick_system", "tick_idle", "tick_steal",
	};
	char path[PATH_MAX];
	struct csvw *w;
	size_t k, most = 0;
	int i;

	snprintf(path, sizeof(path), "%s/vcpu.csv", dir);
	w = csvw_open(path, cols, 10);
	if (!w)
		return -errno;
	for (i = 0; i < r->nvcpus; i++)
		if (r->vcpu[i].nsamples > most)
			most = r->vcpu[i].nsamples;
	for (k = 0; k < most; k++) {
		for (i = 0; i < r->nvcpus; i++) {
			const struct kmini_sample *s;

			if (k >= r->vcpu[i].nsamples)
				continue;
			s = &r->vcpu[i].samples[k];
			csvw_i64(w, s->t_ns);
			csvw_i64(w, i);
			csvw_i64(w, r->vcpu[i].pin);
			if (s->steal_valid)
				csvw_u64(w, s->guest_steal_ns);
			else
				csvw_str(w, "");
			csvw_u64(w, s->host_run_ns);
			csvw_u64(w, s->host_delay_ns);
			csvw_u64(w, s->tick_user);
			csvw_u64(w, s->tick_system);
			csvw_u64(w, s->tick_idle);
			csvw_u64(w, s->tick_steal);
			csvw_end_row(w);
		}
	}
	return csvw_commit(w);
}

/*
 * cpu-sampler's columns: first one row per CPU read at t0 (seq 0, t_ns 0,
 * empty percentages), then one per CPU per sample, seq k + 1 for the k-th
 * (vcpu.csv's rows at the same t_ns), its percentages over the interval
 * since the row before. A CPU missing from a read has no row; one missing
 * before it gives empty percentages.
 */
static int write_cpu(const char *dir, const struct kmini_result *r)
{
	const struct kmini_cpu_samples *cs = &r->cpustat;
	const struct procstat_cpu *prev, *cur;
	struct cpupct pct;
	char path[PATH_MAX];
	struct csvw *w;
	size_t k, e;
	int c, i, prev_ok, rc = 0;

	snprintf(path, sizeof(path), "%s/cpu.csv", dir);
	w = cpucsv_open(path);
	if (!w)
		return -errno;
	memset(&pct, 0, sizeof(pct));
	for (i = 0; i < CP_NFIELDS; i++)
		pct.pct[i] = NAN;
	for (c = 0; c < cs->ncpus && !rc; c++)
		if (cs->at_t0_ok[c])
			rc = cpucsv_row(w, 0, 0, cs->cpus[c], &cs->at_t0[c], &pct);
	for (k = 0; k < cs->n && !rc; k++) {
		for (c = 0; c < cs->ncpus && !rc; c++) {
			e = k * (size_t)cs->ncpus + (size_t)c;
			if (!cs->ok[e])
				continue;
			cur = &cs->cpu[e];
			prev = k ? &cs->cpu[e - (size_t)cs->ncpus] : &cs->at_t0[c];
			prev_ok = k ? cs->ok[e - (size_t)cs->ncpus] : cs->at_t0_ok[c];
			if (prev_ok) {
				procstat_derive(prev, cur, &pct);
			} else {
				memset(&pct, 0, sizeof(pct));
				for (i = 0; i < CP_NFIELDS; i++)
					pct.pct[i] = NAN;
			}
			rc = cpucsv_row(w, (int64_t)k + 1, cs->t_ns[k], cs->cpus[c], cur, &pct);
		}
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

struct meta_arg {
	const struct kmini_opts *o;
	const struct kmini_result *r;
};

/* @key: @v, or null when @unknown (a figure the run could not tell). */
static void kv_ns_or_null(struct jsonw *j, const char *key, int64_t v, int unknown)
{
	jsonw_key(j, key);
	if (unknown)
		jsonw_str(j, NULL);
	else
		jsonw_i64(j, v);
}

static void meta_extra(struct jsonw *j, void *arg)
{
	const struct meta_arg *m = arg;
	const struct kmini_config *c = &m->o->cfg;
	const struct kmini_result *r = m->r;
	int i;

	jsonw_kv_str(j, "status", r->error[0] ? r->error : "ok");
	jsonw_key(j, "kvm");
	jsonw_obj_begin(j);
	jsonw_kv_str(j, "module", r->kvm_module);
	jsonw_kv_str(j, "device", c->kvm_dev ? c->kvm_dev : "/dev/kvm");
	jsonw_kv_i64(j, "tsc_khz", (int64_t)r->tsc_khz_kvm);
	jsonw_kv_i64(j, "tsc_khz_measured", (int64_t)r->tsc_khz);
	jsonw_obj_end(j);
	jsonw_kv_str(j, "sampler_cpus", r->sampler_cpus[0] ? r->sampler_cpus : "any");
	jsonw_kv_i64(j, "cpu_stat_read_errors", r->cpustat.read_errors);
	kv_ns_or_null(j, "startup_ns", r->startup_ns, r->startup_ns < 0);
	jsonw_key(j, "startup_phases_ns");
	jsonw_obj_begin(j);
	for (i = 0; i < KMINI_NPHASES; i++)
		kv_ns_or_null(j, kmini_phase_name((enum kmini_phase)i), r->phase_ns[i],
			      r->phase_ns[i] < 0);
	jsonw_obj_end(j);
	jsonw_kv_i64(j, "wall_ns", r->wall_ns);
	jsonw_key(j, "options");
	jsonw_obj_begin(j);
	jsonw_kv_i64(j, "vcpus", c->nvcpus);
	jsonw_kv_str(j, "pin", m->o->pin_arg);
	jsonw_kv_str(j, "workload", kmini_workload_name(c->workload));
	jsonw_kv_i64(j, "tasks", c->ntasks);
	jsonw_kv_i64(j, "units", (int64_t)c->units);
	jsonw_kv_i64(j, "unit_work_ns", c->unit_work_ns);
	jsonw_kv_i64(j, "unit_loops", (int64_t)c->loops_per_unit);
	jsonw_kv_i64(j, "slice_ns", c->slice_ns);
	jsonw_kv_i64(j, "duration_ns", c->duration_ns);
	jsonw_kv_i64(j, "interval_ns", c->interval_ns);
	jsonw_key(j, "hogs");
	jsonw_arr_begin(j);
	for (i = 0; i < c->nhogs; i++) {
		jsonw_obj_begin(j);
		jsonw_kv_i64(j, "cpu", c->hogs[i].cpu);
		jsonw_kv_i64(j, "start_ns", c->hogs[i].start_ns);
		jsonw_kv_i64(j, "duration_ns", c->hogs[i].duration_ns);
		jsonw_kv_i64(j, "nice", c->hogs[i].nice);
		jsonw_kv_f(j, "duty_pct", c->hogs[i].duty_pct);
		jsonw_kv_i64(j, "period_ns", c->hogs[i].period_ns);
		jsonw_obj_end(j);
	}
	jsonw_arr_end(j);
	jsonw_obj_end(j);
	jsonw_key(j, "vcpus");
	jsonw_arr_begin(j);
	for (i = 0; i < r->nvcpus; i++) {
		const struct kmini_vcpu_result *v = &r->vcpu[i];

		jsonw_obj_begin(j);
		jsonw_kv_i64(j, "vcpu", i);
		jsonw_kv_i64(j, "tid", v->tid);
		jsonw_kv_i64(j, "pin", v->pin);
		kv_ns_or_null(j, "boot_ns", v->boot_ns, v->boot_ns == KMINI_NS_UNKNOWN);
		jsonw_kv_i64(j, "units_done", (int64_t)v->units_done);
		jsonw_kv_i64(j, "loops_per_unit", (int64_t)v->calib_loops);
		jsonw_kv_i64(j, "calibration_ns", v->calib_ns);   /* before t0, not in the run */
		if (v->calib_probe_tsc && r->tsc_khz)
			jsonw_kv_f(j, "ns_per_loop", (double)v->calib_probe_tsc * 1e6 /
				   (double)r->tsc_khz / (double)v->calib_probe_loops);
		jsonw_kv_i64(j, "dropped_guest", (int64_t)v->dropped_guest);
		jsonw_kv_i64(j, "dropped_host", (int64_t)v->dropped_host);
		jsonw_kv_i64(j, "overwritten", (int64_t)v->overwritten);
		jsonw_kv_i64(j, "rejected", (int64_t)v->rejected);
		jsonw_kv_i64(j, "exits", (int64_t)v->exits);
		jsonw_kv_i64(j, "host_delay_base_ns", (int64_t)v->host_delay_base_ns);
		jsonw_kv_i64(j, "steal_at_enable_ns", (int64_t)v->steal_at_enable_ns);
		jsonw_obj_end(j);
	}
	jsonw_arr_end(j);
}

int kmini_write_results(const char *dir, const struct kmini_opts *o, const struct kmini_result *r,
			int argc, char **argv)
{
	struct meta_arg m = { o, r };
	int e, first = 0;

	e = write_progress(dir, o, r);
	if (e && !first)
		first = e;
	e = write_vcpu(dir, r);
	if (e && !first)
		first = e;
	if (r->cpustat.ncpus > 0) {
		e = write_cpu(dir, r);
		if (e && !first)
			first = e;
	}
	e = meta_write_ext(dir, "kvm-mini", argc, argv, 0, meta_extra, &m);
	if (e && !first)
		first = e;
	return first;
}

static void pct(FILE *fp, double v)
{
	if (isnan(v))
		fprintf(fp, " %8s", "-");
	else
		fprintf(fp, " %8.2f", v);
}

void kmini_print_summary(FILE *fp, const struct kmini_opts *o, const struct kmini_result *r)
{
	struct kmini_window_figs f;
	int i;

	(void)o;
	fprintf(fp, "%-4s %5s %8s %8s %8s %8s %8s %10s\n", "vcpu", "pcpu", "wall_s", "steal%",
		"tick_st%", "delay%", "diff%", "units");
	for (i = 0; i < r->nvcpus; i++) {
		const struct kmini_vcpu_result *v = &r->vcpu[i];

		kmini_window(v, 0, INT64_MAX, &f);
		fprintf(fp, "%-4d %5d %8.3f", i, v->pin, (double)f.wall_ns / 1e9);
		pct(fp, f.guest_steal_pct);
		pct(fp, f.tick_steal_pct);
		pct(fp, f.host_delay_pct);
		pct(fp, f.diff_pct);
		fprintf(fp, " %10llu\n", (unsigned long long)v->units_done);
	}
	if (r->startup_ns >= 0)
		fprintf(fp, "startup_us %.1f\n", (double)r->startup_ns / 1e3);
	else
		fprintf(fp, "startup_us unknown (the guest's boot stamp is not credible)\n");
}
