/*
 * runner: see runner.h. The main thread is the sampler: it sleeps to
 * absolute deadlines and stores into arrays allocated before t0; the
 * terminal progress line comes from a thread of its own, so the sampling
 * loop never prints. Files are written only after the threads are joined.
 */
#include "experiments/runner.h"

#include "common/cli.h"
#include "common/hostinfo.h"
#include "common/ini.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/resdir.h"
#include "common/timeutil.h"
#include "experiments/backend-native.h"
#include "experiments/cgquota.h"
#include "experiments/report.h"
#include "experiments/reportdata.h"
#include "experiments/resplot.h"
#include "experiments/rundata.h"
#include "experiments/runprogress.h"
#include "experiments/runfiles.h"
#include "experiments/runsum.h"
#include "experiments/specdir.h"
#include "experiments/specedit.h"
#include "plots/gnuplot.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define START_MARGIN_NS (2 * NS_PER_MS)   /* every thread is waiting on t0 by then */
/*
 * A baseline (no host contention yet) with more run delay than this was
 * disturbed by load from outside the experiment: say so next to the table.
 * Quiet runs here measure 0.0-0.6%; 5% leaves room for the odd tick.
 */
#define RUNNER_QUIET_BASELINE_PCT 5.0

struct run_ctx {
	const struct runner_opts *o;   /* with --backend auto resolved */
	struct runner_opts opts;       /* the copy @o points to */
	char backend_reason[256];      /* why --backend auto chose o->backend */
	char spec_path[PATH_MAX];
	char *text;                    /* the spec as run */
	size_t text_len;
	struct spec_set set;
	struct run_policy *pol;
	size_t npol;
	char dir[PATH_MAX];
	int64_t started_unix;
	struct runsum sum;
	struct cgquota quota;
	int progress;
};

/* ---- one repetition ------------------------------------------------------------ */

static int run_rep(struct run_ctx *c, struct run_policy *p, int r, struct run_rep *rep)
{
	const struct spec *s = &p->spec;
	int64_t interval = s->sample_interval_ns, t0, k, nsamples;
	struct native_run *nr = NULL;
	struct run_sampler sm;
	struct runprogress pg;
	int cpus[CPU_SETSIZE], ncpus, v, rc;

	memset(rep, 0, sizeof(*rep));
	ncpus = rundata_cpus_involved(s, cpus);
	if (ncpus < 0)
		return ncpus;
	/* a sample at t0, every interval, and one at the end if it is off the grid */
	nsamples = s->duration_ns / interval + 1 + (s->duration_ns % interval ? 1 : 0);
	rc = rundata_alloc(&rep->samples, (size_t)nsamples, s->vcpus, cpus, ncpus);
	if (rc)
		return rc;
	rc = native_start(s, p->calib.loops_per_unit, &nr);
	if (rc)
		return rc;
	for (v = 0; v < s->vcpus; v++)
		rep->tids[v] = native_vcpu_tid(nr, v);
	for (v = 0; v < s->vcpus && c->quota.version && s->quota_pct > 0 && !rc; v++)
		rc = cgquota_add_thread(&c->quota, rep->tids[v]);
	if (!rc)
		rc = rundata_sampler_open(&sm, rep->tids, s->vcpus);
	if (rc || cli_stop_requested()) {
		if (!rc)
			rundata_sampler_close(&sm);
		native_free(nr);
		return rc;
	}

	t0 = mono_ns() + START_MARGIN_NS;
	native_go(nr, t0);
	rep->measured = 1;
	runprogress_start(&pg, c->progress, p->name, r + 1, s->repeat, t0, s->duration_ns);
	for (k = 0; k < nsamples; k++) {
		int64_t off = k * interval < s->duration_ns ? k * interval : s->duration_ns;

		while (sleep_until_ns(t0 + off) == -EINTR && !cli_stop_requested())
			;
		if (cli_stop_requested())
			break;
		rundata_sample(&sm, &rep->samples, k, mono_ns() - t0);
	}
	rep->completed = k == nsamples;
	rc = native_join(nr);
	runprogress_stop(&pg);
	for (v = 0; v < s->vcpus; v++)
		native_take_stamps(nr, v, &rep->stamps[v]);
	rundata_sampler_close(&sm);
	native_free(nr);
	return rc;
}

/* ---- one policy ---------------------------------------------------------------- */

static int subdir(char *out, size_t len, const char *parent, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int subdir(char *out, size_t len, const char *parent, const char *fmt, ...)
{
	char name[SPEC_NAME_MAX + 16];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	n = snprintf(out, len, "%s/%s", parent, name);
	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "%s/%s: %s", parent, name, strerror(ENAMETOOLONG));
	if (mkdir(out, 0755) && errno != EEXIST) {
		int e = errno;

		return log_err(-e, "mkdir %s: %s", out, strerror(e));
	}
	return 0;
}

/* The policy cannot run here: say why, on stderr, in <policy>/SKIPPED and meta.json. */
static void skip_policy(struct run_ctx *c, struct run_policy *p, const char *feature)
{
	char pdir[PATH_MAX], line[CGQUOTA_REASON_LEN + 64];

	p->status = RUN_SKIPPED;
	snprintf(line, sizeof(line), "requires %s: %s\n", feature, p->reason);
	snprintf(p->reason, sizeof(p->reason), "%.*s", (int)strlen(line) - 1, line);
	log_warn("policy %s skipped: %s", p->name, p->reason);
	if (!subdir(pdir, sizeof(pdir), c->dir, "%s", p->name))
		afile_write_string(pdir, REPORT_SKIPPED, line);
}

static void rep_done(struct run_policy *p, int r, struct run_rep *rep)
{
	uint64_t dropped = 0;
	int v;

	for (v = 0; v < p->spec.vcpus; v++) {
		p->tids[r][v] = rep->tids[v];
		dropped += rep->stamps[v].dropped;
	}
	p->dropped[r] = dropped;
	p->completed[r] = rep->completed;
	p->nreps = r + 1;
	if (dropped)
		log_warn("policy %s rep %d: %llu progress stamps did not fit the buffer and are "
			 "missing from progress.csv", p->name, r + 1, (unsigned long long)dropped);
	if (rep->samples.read_errors)
		log_warn("policy %s rep %d: %lld sample reads failed (their cells are empty)",
			 p->name, r + 1, (long long)rep->samples.read_errors);
}

static int run_policy(struct run_ctx *c, struct run_policy *p)
{
	struct run_rep *reps;
	char pdir[PATH_MAX], rdir[PATH_MAX];
	int r, rc, wrc, nreps = p->spec.repeat;

	if (p->requires & SPEC_REQ_CGROUP_CPU_MAX) {
		double pct = p->spec.quota_pct > 0 ? p->spec.quota_pct : 100.0;

		if (cgquota_create(&c->quota, p->name, pct, p->reason, sizeof(p->reason))) {
			skip_policy(c, p, "cgroup-cpu-max");
			return 0;
		}
		p->quota_mechanism = cgquota_mechanism(&c->quota);
		if (!(p->spec.quota_pct > 0))
			cgquota_destroy(&c->quota);    /* only a check */
	}
	rc = native_calibrate(&p->spec, &p->calib);
	p->calibrated = !rc;
	if (!rc)
		rc = subdir(pdir, sizeof(pdir), c->dir, "%s", p->name);
	reps = rc ? NULL : calloc((size_t)nreps, sizeof(*reps));
	if (!rc && !reps)
		rc = log_err(-ENOMEM, "policy %s: repetitions", p->name);
	for (r = 0; r < nreps && !rc && !cli_stop_requested(); r++) {
		rc = subdir(rdir, sizeof(rdir), pdir, "rep-%d", r + 1);
		if (rc)
			break;
		rc = run_rep(c, p, r, &reps[r]);
		if (!reps[r].measured)
			break;
		rep_done(p, r, &reps[r]);
		wrc = runfiles_write_rep(rdir, &p->spec, &reps[r]);
		if (!rc)
			rc = wrc;
	}
	if (rc) {
		p->status = RUN_FAILED;
		snprintf(p->reason, sizeof(p->reason), "%s", log_last_error());
	} else {
		p->status = cli_stop_requested() ? RUN_INTERRUPTED : RUN_OK;
	}
	if (reps) {
		wrc = runsum_add_policy(&c->sum, p, reps, p->nreps);
		if (!rc)
			rc = wrc;
		for (r = 0; r < nreps; r++)
			rundata_rep_free(&reps[r]);
		free(reps);
	}
	wrc = cgquota_destroy(&c->quota);
	return rc ? rc : wrc;
}

/* ---- set-up ---------------------------------------------------------------------- */

static int read_whole(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 0, got;
	char *p = NULL, *np;
	int e = 0;

	if (!f) {
		e = errno;
		return log_err(-e, "open %s: %s", path, strerror(e));
	}
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			np = realloc(p, cap);
			if (!np) {
				e = ENOMEM;
				break;
			}
			p = np;
		}
		got = fread(p + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			e = ferror(f) ? EIO : 0;
			break;
		}
		if (n > INI_MAX_FILE_BYTES) {
			e = EFBIG;
			break;
		}
	}
	fclose(f);
	if (e) {
		free(p);
		return log_err(-e, "read %s: %s", path, strerror(e));
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

/* Load the spec, apply --backend/--repeat/--quick to its text, parse that. */
static int load_spec(struct run_ctx *c)
{
	const struct runner_opts *o = c->o;
	struct specedit e = { 0 };
	char *edited;
	size_t elen;
	int rc;

	if (specdir_find(o->experiment, c->spec_path, sizeof(c->spec_path)))
		return EXIT_USAGE;
	if (read_whole(c->spec_path, &c->text, &c->text_len))
		return EXIT_FAIL;
	if (spec_parse(c->text, c->text_len, c->spec_path, &c->set))
		return EXIT_USAGE;
	if (!o->backend_set && !o->repeat && !o->quick && !o->policy)
		return 0;
	/* an unknown --policy is reported with the names the spec has */
	if (o->policy && c->set.n_policies && !spec_policy_find(&c->set, o->policy))
		return 0;
	e.backend = o->backend_set ? spec_backend_name(o->backend) : NULL;
	e.only_policy = c->set.n_policies ? o->policy : NULL;
	e.repeat = o->repeat;
	e.quick = o->quick;
	e.base_duration_ns = c->set.base.duration_ns;
	rc = specedit_apply(c->text, c->text_len, &e, &edited, &elen);
	spec_free(&c->set);
	if (rc)
		return EXIT_FAIL;
	free(c->text);
	c->text = edited;
	c->text_len = elen;
	if (spec_parse(c->text, c->text_len, c->spec_path, &c->set))
		return log_err(EXIT_FAIL, "%s: the spec with the command line's changes does not "
			       "parse (a bug: please report it)", c->spec_path);
	return 0;
}

static void policy_from(struct run_policy *p, const char *name, const char *desc,
			const struct spec *s, unsigned requires)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->description, sizeof(p->description), "%s", desc);
	p->spec = *s;
	p->requires = requires | s->requires;
}

static int pick_policies(struct run_ctx *c)
{
	const struct spec_set *set = &c->set;
	const char *want = c->o->policy;
	size_t i, n = set->n_policies ? set->n_policies : 1;

	c->pol = calloc(n, sizeof(*c->pol));
	if (!c->pol)
		return log_err(EXIT_FAIL, "out of memory");
	if (!set->n_policies) {
		if (want && strcmp(want, "default"))
			return log_err(EXIT_USAGE, "--policy %s: %s has no policies (only 'default')",
				       want, c->spec_path);
		policy_from(&c->pol[0], "default", set->base.description, &set->base, 0);
		c->npol = 1;
		return 0;
	}
	for (i = 0; i < set->n_policies; i++) {
		const struct spec_policy *sp = &set->policies[i];

		if (want && strcmp(want, sp->name))
			continue;
		policy_from(&c->pol[c->npol++], sp->name, sp->description, &sp->spec, sp->requires);
	}
	if (c->npol == 0) {
		char names[1024] = "";
		size_t used = 0;

		for (i = 0; i < set->n_policies && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 i ? ", " : "", set->policies[i].name);
		return log_err(EXIT_USAGE, "--policy %s: no such policy in %s (it has: %s)", want,
			       c->spec_path, names);
	}
	return 0;
}

/*
 * --backend auto: kvm-mini where it can run, else native, with the reason
 * in @why. kvm-mini needs a usable /dev/kvm, and this build has no kvm-mini
 * yet, so today the answer is always native; the reason says which of the
 * two stood in the way.
 */
static enum spec_backend choose_backend(char *why, size_t len)
{
	struct hostinfo h;

	if (hostinfo_gather(NULL, &h) == 0 && !h.kvm_dev_usable)
		snprintf(why, len, "kvm-mini needs /dev/kvm: %s",
			 h.kvm_dev_error[0] ? h.kvm_dev_error : "not usable");
	else
		snprintf(why, len, "kvm-mini is not implemented in this build yet");
	return SPEC_BACKEND_NATIVE;
}

/* Refuse backends this build or machine cannot run, saying what to do. */
static int check_backend(const struct run_ctx *c)
{
	struct hostinfo h;
	size_t i;

	for (i = 0; i < c->npol; i++) {
		enum spec_backend b = c->pol[i].spec.backend;

		if (b == SPEC_BACKEND_NATIVE)
			continue;
		if (b == SPEC_BACKEND_KVM_MINI) {
			if (hostinfo_gather(NULL, &h) == 0 && !h.kvm_dev_usable)
				return log_err(EXIT_UNSUPPORTED, "backend kvm-mini: /dev/kvm is not "
					       "usable here (%s); run with --backend native to measure "
					       "without a VM", h.kvm_dev_error);
			return log_err(EXIT_UNSUPPORTED, "backend kvm-mini is not implemented yet; "
				       "run with --backend native to measure without a VM");
		}
		return log_err(EXIT_UNSUPPORTED, "backend %s is not implemented yet; run with "
			       "--backend native to measure without a VM", spec_backend_name(b));
	}
	return 0;
}

/*
 * The CPUs of one setting of the spec, named where it was written, as every
 * parse error is: "spec.ini:10: [vm] pin: CPU 1000 is not online (online: 0-1)".
 */
static int check_cpus_of(const char *spec_path, const struct spec_origin *o, const cpu_set_t *set)
{
	char what[PATH_MAX + sizeof(o->key) + 32];

	if (o->line)
		snprintf(what, sizeof(what), "%s:%d: %s", spec_path, o->line, o->key);
	else
		snprintf(what, sizeof(what), "%s: %s", spec_path, o->key);
	return cpulist_check_online(what, set, NULL);
}

static int check_cpus(const struct run_ctx *c)
{
	cpu_set_t set;
	size_t i;
	int k, rc;

	for (i = 0; i < c->npol; i++) {
		const struct spec *s = &c->pol[i].spec;

		CPU_ZERO(&set);
		for (k = 0; k < s->vcpus; k++)
			if (s->pins[k] != SPEC_PIN_ANY)
				CPU_SET(s->pins[k], &set);
		rc = check_cpus_of(c->spec_path, &s->pin_origin, &set);
		for (k = 0; !rc && k < s->n_contention; k++) {
			CPU_ZERO(&set);
			CPU_SET(s->contention[k].cpu, &set);
			rc = check_cpus_of(c->spec_path, &s->contention[k].cpu_origin, &set);
		}
		if (rc == -EINVAL || rc == -ERANGE)
			return EXIT_USAGE;
		if (rc)
			return EXIT_FAIL;
	}
	return 0;
}

static int write_meta(struct run_ctx *c)
{
	struct run_meta m = {
		.spec_path = c->spec_path, .backend = "native", .quick = c->o->quick,
		.policies = c->pol, .npolicies = c->npol,
	};

	/* what was asked for: "auto", else the option's or the spec's backend */
	m.backend_requested = c->o->backend_auto ? "auto" :
			      spec_backend_name(c->set.base.backend);
	m.backend_reason = c->o->backend_auto ? c->backend_reason : NULL;

	return runfiles_meta(c->dir, c->o->argc, c->o->argv, c->started_unix, &m);
}

/* ---- the flow -------------------------------------------------------------------- */

/*
 * Plots, then the report. The plots are derived from the files (`stealscope
 * plot DIR` redraws them), so a failed one is a warning; the report reads
 * INCOMPLETE, so the run is marked complete before it is written. Returns
 * -EINTR, INCOMPLETE kept, when a stop came while drawing (gnuplot_run()
 * then kills the plot it was drawing and starts no other).
 */
static int finish_outputs(struct run_ctx *c)
{
	int rc;

	rc = results_plot_all(c->dir);
	if (cli_stop_requested())
		return -EINTR;
	if (rc == GNUPLOT_EMISSING)
		log_warn("no plots: gnuplot is not installed (the data and the report stand)");
	else if (rc)
		log_warn("some plots failed (see above); `stealscope plot %s` redraws them",
			 c->dir);
	rc = resdir_finish(c->dir);
	if (rc)
		return rc;
	return report_write(c->dir);
}

static int measure(struct run_ctx *c)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->npol && !rc && !cli_stop_requested(); i++) {
		rc = run_policy(c, &c->pol[i]);
		if (write_meta(c) && !rc)
			rc = -EIO;
	}
	if (runsum_write(&c->sum, c->dir, c->set.base.name, c->pol, c->npol) && !rc)
		rc = -EIO;
	return rc;
}

/* Stopped by SIGINT/SIGTERM: the report of what was measured; INCOMPLETE stays. */
static void report_interrupted(const struct run_ctx *c)
{
	report_write(c->dir);
	log_err(EXIT_FAIL, "interrupted: partial results in %s", c->dir);
}

int runner_run(const struct runner_opts *o)
{
	struct run_ctx c;
	int rc, ret;

	memset(&c, 0, sizeof(c));
	c.opts = *o;
	c.o = &c.opts;
	if (o->backend_auto) {
		c.opts.backend = choose_backend(c.backend_reason, sizeof(c.backend_reason));
		c.opts.backend_set = 1;
	}
	c.progress = cli_progress_wanted();
	ret = load_spec(&c);
	if (!ret)
		ret = pick_policies(&c);
	if (!ret)
		ret = check_backend(&c);
	if (!ret)
		ret = check_cpus(&c);
	if (ret)
		goto out;
	if (o->backend_auto)
		log_info("backend: %s (%s)", spec_backend_name(c.o->backend), c.backend_reason);
	ret = EXIT_FAIL;
	if (cli_install_stop_handlers())
		goto out;
	c.started_unix = (int64_t)time(NULL);
	if (resdir_create(o->out_base, c.set.base.name, c.dir, sizeof(c.dir)))
		goto out;
	if (afile_write_string(c.dir, "spec.ini", c.text) || write_meta(&c))
		goto out;

	rc = measure(&c);
	if (cli_stop_requested()) {
		report_interrupted(&c);
		goto out;
	}
	if (rc) {
		log_err(EXIT_FAIL, "failed: partial results in %s", c.dir);
		goto out;
	}
	rc = finish_outputs(&c);
	if (rc == -EINTR) {
		report_interrupted(&c);
		goto out;
	}
	if (runsum_table(&c.sum, stdout))
		goto out;
	fflush(stdout);
	runsum_warn_noisy_baselines(&c.sum, RUNNER_QUIET_BASELINE_PCT);
	printf("report: %s/report.html\n", c.dir);
	fflush(stdout);
	ret = rc ? EXIT_FAIL : EXIT_OK;
out:
	runsum_free(&c.sum);
	free(c.pol);
	spec_free(&c.set);
	free(c.text);
	return ret;
}
