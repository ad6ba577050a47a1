/*
 * backend-kvmmini: see backend-kvmmini.h. Both routes end in the same
 * place: kvm-mini's results directory, read back by kvmmini_read(), so the
 * in-process route (which cannot run on a host without /dev/kvm) shares
 * every line of its reading with the nested one that can.
 */
#include "experiments/backend-kvmmini.h"

#include "common/cli.h"
#include "common/cpucsv.h"
#include "common/csvio.h"
#include "common/fileio.h"
#include "common/hostinfo.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "experiments/guestcsv.h"
#include "experiments/runprogress.h"
#include "kvm-mini/kvmprobe.h"
#include "kvm-mini/options.h"
#include "kvm-mini/output.h"
#include "kvm-mini/vmm.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_NAME "kvm-mini.log"        /* the nested run's console, in the repetition's dir */
#define LOG_TAIL 1024                  /* bytes of it quoted when kvm-mini failed */

const char kvmmini_nested_caveat[] =
	"kvm-mini ran one level down, in an L1 guest under QEMU TCG with nested SVM: guest "
	"steal, its tick accounting and the vCPU thread's run delay are real there (L1's "
	"scheduler), but L1 itself runs under TCG, so start-up (tens to hundreds of ms) and "
	"progress-stamp gaps outside contention (tens of ms when this host is busy) are not "
	"representative of a KVM host (docs/kvm-nested.md)";

const char *kvmmini_route_name(enum kvmmini_route r)
{
	switch (r) {
	case KVMMINI_ROUTE_IN_PROCESS:
		return "in-process";
	case KVMMINI_ROUTE_NESTED:
		return "nested-tcg";
	default:
		return "none";
	}
}

/* ---- spec -> kvm-mini arguments ------------------------------------------------- */

static int add(struct kvmmini_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add(struct kvmmini_args *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->argc >= KVMMINI_MAX_ARGS)
		return log_err(-E2BIG, "kvm-mini arguments: more than %d", KVMMINI_MAX_ARGS);
	va_start(ap, fmt);
	n = vsnprintf(a->buf[a->argc], KVMMINI_ARG_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= KVMMINI_ARG_LEN)
		return log_err(-E2BIG, "kvm-mini argument too long: %s...", a->buf[a->argc]);
	a->argv[a->argc] = a->buf[a->argc];
	a->argc++;
	a->argv[a->argc] = NULL;
	return 0;
}

/* --pin: "any", one CPU for all, or one per vCPU in order. */
static int add_pin(struct kvmmini_args *a, const struct spec *s)
{
	char list[KVMMINI_ARG_LEN] = "";
	size_t n = 0;
	int v, same = 1;

	if (s->pins[0] == SPEC_PIN_ANY)
		return add(a, "any");
	for (v = 1; v < s->vcpus; v++)
		same &= s->pins[v] == s->pins[0];
	if (same)
		return add(a, "%d", s->pins[0]);
	for (v = 0; v < s->vcpus && n < sizeof(list); v++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", v ? "," : "", s->pins[v]);
	return add(a, "%s", list);
}

/* --hog CPU:START[:DURATION],nice=N,duty=PCT,period=DUR for one [contention]. */
static int add_hog(struct kvmmini_args *a, const struct spec_contention *c)
{
	char dur[40] = "";
	int64_t len = c->end_ns - c->start_ns;

	if (!c->until_end) {
		if (len < NS_PER_MS)
			return log_err(-EINVAL, "[contention%s%s] (line %d): its window of %" PRId64
				       " ns is shorter than kvm-mini's 1 ms minimum", c->name[0] ?
				       " " : "", c->name, c->line, len);
		snprintf(dur, sizeof(dur), ":%" PRId64 "ns", len);
	}
	return add(a, "%d:%" PRId64 "ns%s,nice=%d,duty=%.6f,period=%" PRId64 "ns", c->cpu,
		   c->start_ns, dur, c->nice, c->duty_pct, c->period_ns);
}

int kvmmini_args(const struct spec *s, struct kvmmini_args *out)
{
	int i, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = add(out, "--vcpus")) || (rc = add(out, "%d", s->vcpus)) ||
	    (rc = add(out, "--pin")) || (rc = add_pin(out, s)) ||
	    (rc = add(out, "--workload")) || (rc = add(out, "%s", spec_workload_name(s->workload))) ||
	    (rc = add(out, "--tasks")) || (rc = add(out, "%d", s->tasks)) ||
	    (rc = add(out, "--units")) || (rc = add(out, "%" PRId64, s->units)) ||
	    (rc = add(out, "--unit-work")) || (rc = add(out, "%" PRId64 "ns", s->unit_work_ns)) ||
	    (rc = add(out, "--slice")) || (rc = add(out, "%" PRId64 "ns", s->slice_ns)) ||
	    (rc = add(out, "--duration")) || (rc = add(out, "%" PRId64 "ns", s->duration_ns)) ||
	    (rc = add(out, "--interval")) ||
	    (rc = add(out, "%" PRId64 "ns", s->sample_interval_ns)))
		return rc;
	for (i = 0; i < s->n_contention; i++)
		if ((rc = add(out, "--hog")) || (rc = add_hog(out, &s->contention[i])))
			return rc;
	return 0;
}

/* ---- kvm-mini's files -> the repetition's arrays --------------------------------- */

static int load_table(const char *dir, const char *name, struct csv_table *t)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return log_err(-ENAMETOOLONG, "%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
	return csv_table_load(path, t);
}

static int line_of(const struct csv_table *t, size_t r)
{
	return t->lines ? (int)t->lines[r] : (int)r + 2;
}

static void read_facts(const struct jsonget_doc *doc, const struct spec *s,
		       struct kvmmini_facts *f, struct run_rep *rep)
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

int kvmmini_read(const char *dir, const struct spec *s, int host_tids, struct run_rep *rep,
		 struct kvmmini_facts *facts)
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

/* ---- choosing the route ---------------------------------------------------------- */

enum kvmmini_route kvmmini_open(struct kvmmini_session *ks, const char *kvm_dev,
				int require_image)
{
	const char *dev = kvm_dev ? kvm_dev : KMINI_PROBE_DEFAULT_DEV;
	char dev_why[512], nested_why[384];
	struct kmini_probe p;
	struct hostinfo h;

	memset(ks, 0, sizeof(*ks));
	ks->kvm_dev = kvm_dev;
	ks->opened = 1;
	/* hostinfo opens the device without logging; the probe then checks what kvm-mini needs */
	memset(&h, 0, sizeof(h));
	if (!kvm_dev && hostinfo_gather(NULL, &h) == 0 && !h.kvm_dev_usable) {
		snprintf(dev_why, sizeof(dev_why), "%s",
			 h.kvm_dev_error[0] ? h.kvm_dev_error : "not usable");
	} else if (kmini_probe(kvm_dev, &p) == 0) {
		ks->route = KVMMINI_ROUTE_IN_PROCESS;
		snprintf(ks->reason, sizeof(ks->reason), "%.64s is usable", dev);
		return ks->route;
	} else {
		snprintf(dev_why, sizeof(dev_why), "%s", p.reason);
	}
	if (kmnested_available(&ks->nested, NULL, require_image, nested_why,
			       sizeof(nested_why)) == 0) {
		ks->route = KVMMINI_ROUTE_NESTED;
		snprintf(ks->reason, sizeof(ks->reason), "no usable %.64s (%.300s): kvm-mini runs "
			 "nested, in an L1 guest under QEMU TCG with nested SVM", dev, dev_why);
		return ks->route;
	}
	snprintf(ks->reason, sizeof(ks->reason), "kvm-mini needs %.64s: %.300s; nested route: "
		 "%.380s", dev, dev_why, nested_why);
	return ks->route;
}

/* ---- one repetition ---------------------------------------------------------------- */

/* The argument vector "kvm-mini ARGS --out @kdir" for kmini_parse_args(). */
static int full_argv(const struct kvmmini_args *a, const char *kdir, char **argv, int max)
{
	int k = 0, i;

	if (a->argc + 4 > max)
		return -E2BIG;
	argv[k++] = "kvm-mini";
	for (i = 0; i < a->argc; i++)
		argv[k++] = a->argv[i];
	argv[k++] = "--out";
	argv[k++] = (char *)kdir;
	argv[k] = NULL;
	return k;
}

/*
 * The in-process route: the kvm-mini library, its files written into
 * @kdir. kmini_vm_run() keeps its sampling thread (this one) off the vCPUs'
 * CPUs; the runner's affinity is restored afterwards.
 */
static int run_in_process(struct kvmmini_session *ks, const struct run_policy *p, int r,
			  const struct kvmmini_args *a, const char *kdir, int progress)
{
	char *argv[KVMMINI_MAX_ARGS + 8];
	struct kmini_result res;
	struct runprogress pg;
	struct kmini_opts o;
	struct kmini_vm *vm;
	cpu_set_t saved;
	int argc, have_saved, e, we;

	argc = full_argv(a, kdir, argv, (int)(sizeof(argv) / sizeof(argv[0])) - 1);
	if (argc < 0)
		return log_err(argc, "kvm-mini: too many arguments");
	e = kmini_parse_args(argc, argv, &o);
	if (e >= 0)
		return log_err(-EINVAL, "kvm-mini refused the arguments of policy %s (a bug: "
			       "please report it)", p->name);
	o.cfg.kvm_dev = ks->kvm_dev;
	o.cfg.process_start_ns = mono_ns();
	e = kmini_vm_create(&o.cfg, &vm);
	if (e)
		return e;
	have_saved = sched_getaffinity(0, sizeof(saved), &saved) == 0;
	runprogress_start(&pg, progress, p->name, r + 1, p->spec.repeat, mono_ns(),
			  p->spec.duration_ns);
	e = kmini_vm_run(vm, &res);
	runprogress_stop(&pg);
	kmini_vm_destroy(vm);
	if (have_saved)
		sched_setaffinity(0, sizeof(saved), &saved);
	we = kmini_out_dir(kdir);
	if (!we)
		we = kmini_write_results(kdir, &o, &res, argc, argv);
	kmini_result_free(&res);
	return e ? e : we;
}

/* Remove the flat directory @dir and its files (a collection that did not come whole). */
static void remove_flat_dir(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp) {
		while ((d = readdir(dp)))
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				unlinkat(dirfd(dp), d->d_name, 0);
		closedir(dp);
	}
	rmdir(dir);
}

/* The last @max bytes of the file @path, from a line start, into @buf. */
static void tail_of(const char *path, char *buf, size_t max)
{
	struct fileio_buf b = { 0 };
	const char *from;

	buf[0] = '\0';
	if (fileio_load(path, 1 << 20, 0, &b) || !b.len)
		goto out;
	from = b.data + (b.len > max - 1 ? b.len - (max - 1) : 0);
	if (from > b.data) {
		const char *nl = memchr(from, '\n', (size_t)(b.data + b.len - from));

		if (nl)
			from = nl + 1;
	}
	snprintf(buf, max, "%.*s", (int)(b.data + b.len - from), from);
out:
	fileio_buf_free(&b);
}

/* Why the harness exited @status: its exit codes, else kvm-mini's. */
static int nested_failure(int status, const char *log)
{
	char tail[LOG_TAIL + 1];

	tail_of(log, tail, sizeof(tail));
	switch (status) {
	case 124:
		return log_err(-ETIMEDOUT, "nested kvm-mini: the L1 guest did not finish in time "
			       "(QEMU killed); the end of %s:\n%s", log, tail);
	case 125:
		return log_err(-EPROTO, "nested kvm-mini: the L1 guest reported no exit status (it "
			       "crashed?); the end of %s:\n%s", log, tail);
	default:
		return log_err(-EFAULT, "nested kvm-mini exited with status %d; the end of %s:\n%s",
			       status, log, tail);
	}
}

/* The highest host CPU @s names (pins and contention), -1 when none. */
static int highest_cpu(const struct spec *s)
{
	int i, top = -1;

	for (i = 0; i < s->vcpus; i++)
		if (s->pins[i] > top)
			top = s->pins[i];
	for (i = 0; i < s->n_contention; i++)
		if (s->contention[i].cpu > top)
			top = s->contention[i].cpu;
	return top;
}

/*
 * The nested route: kvm-mini in L1, its files collected into a temporary
 * directory beside @kdir and renamed to it once whole (also after kvm-mini
 * failed: what it measured came back); its console in <dir>/kvm-mini.log.
 */
static int run_nested(struct kvmmini_session *ks, const struct run_policy *p, int r,
		      const struct kvmmini_args *a, const char *dir, const char *kdir,
		      int progress)
{
	char tmp[PATH_MAX], log_tmp[PATH_MAX], log_path[PATH_MAX], meta[PATH_MAX + 16];
	char tail[LOG_TAIL + 1];
	struct kmnested n = ks->nested;
	struct runprogress pg;
	int e, fd, attempt, status = -1, top = highest_cpu(&p->spec);

	if (top >= KMNESTED_MAX_SMP)
		return log_err(-EINVAL, "policy %s: CPU %d: the nested route's L1 guest has at "
			       "most %d CPUs", p->name, top, KMNESTED_MAX_SMP);
	if (top + 1 > n.smp)
		n.smp = top + 1;       /* L1 CPU numbers stand for this host's */
	if (snprintf(tmp, sizeof(tmp), "%s/" KVMMINI_DIR ".tmp.XXXXXX", dir) >= (int)sizeof(tmp) ||
	    snprintf(log_tmp, sizeof(log_tmp), "%s/" LOG_NAME ".tmp.XXXXXX", dir) >=
	    (int)sizeof(log_tmp) ||
	    snprintf(log_path, sizeof(log_path), "%s/" LOG_NAME, dir) >= (int)sizeof(log_path))
		return log_err(-ENAMETOOLONG, "%s: %s", dir, strerror(ENAMETOOLONG));
	if (!mkdtemp(tmp)) {
		e = errno;
		return log_err(-e, "mkdtemp %s: %s", tmp, strerror(e));
	}
	fd = mkstemp(log_tmp);
	if (fd < 0) {
		e = errno;
		rmdir(tmp);
		return log_err(-e, "mkstemp %s: %s", log_tmp, strerror(e));
	}
	close(fd);
	snprintf(meta, sizeof(meta), "%s/meta.json", tmp);
	for (attempt = 1;; attempt++) {
		runprogress_start(&pg, progress, p->name, r + 1, p->spec.repeat, mono_ns(),
				  p->spec.duration_ns + KMNESTED_BOOT_NS);
		e = kmnested_run(&n, a->argv, p->spec.duration_ns, tmp, log_tmp, &status);
		runprogress_stop(&pg);
		/*
		 * A boot that hung or crashed before kvm-mini's files came back
		 * measured nothing this side can read: on a shared machine the
		 * TCG L1 guest rarely stalls (docs/kvm-nested.md), so it gets
		 * one more boot, said on stderr.
		 */
		if (attempt > 1 || access(meta, F_OK) == 0 ||
		    !(e == -ETIMEDOUT || (!e && (status == 124 || status == 125))))
			break;
		if (cli_stop_requested()) {
			e = -EINTR;    /* the harness ended as the stop came: no second boot */
			break;
		}
		/* a harness killed mid-collect may have left part of a tar behind */
		remove_flat_dir(tmp);
		if (mkdir(tmp, 0700)) {
			e = log_err(-errno, "mkdir %s: %s", tmp, strerror(errno));
			break;
		}
		tail_of(log_tmp, tail, sizeof(tail));
		log_warn("policy %s repetition %d: the nested L1 guest %s; booting it once more. "
			 "The end of its console:\n%s", p->name, r + 1, status == 125 ?
			 "reported no exit status" : "did not finish in time", tail);
	}
	if (rename(log_tmp, log_path)) {
		unlink(log_tmp);
		snprintf(log_path, sizeof(log_path), "%s", "(lost)");
	}
	if (e || access(meta, R_OK)) {
		remove_flat_dir(tmp);
		if (e)
			return e;      /* -EINTR: stopped, everything killed; else logged */
		return nested_failure(status, log_path);
	}
	remove_flat_dir(kdir);         /* a leftover of an earlier run of this rep, if any */
	if (rename(tmp, kdir)) {
		e = errno;
		remove_flat_dir(tmp);
		return log_err(-e, "rename %s to %s: %s", tmp, kdir, strerror(e));
	}
	return status ? nested_failure(status, log_path) : 0;
}

int kvmmini_run_rep(struct kvmmini_session *ks, struct run_policy *p, int r, const char *dir,
		    int progress, struct run_rep *out)
{
	struct kvmmini_facts facts;
	struct kvmmini_args a;
	char kdir[PATH_MAX];
	int rc, rrc, in_process = ks->route == KVMMINI_ROUTE_IN_PROCESS;

	memset(out, 0, sizeof(*out));
	if (snprintf(kdir, sizeof(kdir), "%s/" KVMMINI_DIR, dir) >= (int)sizeof(kdir))
		return log_err(-ENAMETOOLONG, "%s: %s", dir, strerror(ENAMETOOLONG));
	rc = kvmmini_args(&p->spec, &a);
	if (rc)
		return rc;
	if (in_process)
		rc = run_in_process(ks, p, r, &a, kdir, progress);
	else if (ks->route == KVMMINI_ROUTE_NESTED)
		rc = run_nested(ks, p, r, &a, dir, kdir, progress);
	else
		return log_err(-ENODEV, "backend kvm-mini: %s", ks->reason);
	if (access(kdir, F_OK))
		return rc;             /* nothing came back (or nothing ran) */
	rrc = kvmmini_read(kdir, &p->spec, in_process, out, &facts);
	if (rrc)
		return rc ? rc : rrc;
	if (r == 0 && facts.loops_per_unit) {
		p->calib.loops_per_unit = facts.loops_per_unit;
		p->calib.ns_per_loop = facts.ns_per_loop;
		p->calib_by = "the kvm-mini guest (vCPU 0)";
		p->calibrated = 1;
	}
	if (!ks->have_first) {
		ks->first = facts;
		ks->have_first = 1;
	}
	return rc;
}
