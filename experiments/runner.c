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
#include "experiments/backend-kvmmini.h"
#include "experiments/backend-libvirt.h"
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

struct run_ctx {
	const struct runner_opts *o;   /* with --backend auto resolved */
	struct runner_opts opts;       /* the copy @o points to */
	char backend_reason[1024];     /* why --backend auto chose o->backend */
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
	/* libvirt: one connection for the whole run, open from check_backend() to the end */
	struct libvirt_session lv;
	int lv_open;
	/* kvm-mini: the route (in-process or nested), chosen once for the run */
	struct kvmmini_session km;
	int km_used;                   /* a policy runs on kvm-mini */
	char domain_type_reason[256];  /* why the domain type, when no option said */
	const char *guest_steal_note;  /* why the guest's steal is unavailable, or NULL */
};

/* ---- one repetition ------------------------------------------------------------ */

static int native_rep(struct run_ctx *c, struct run_policy *p, int r, struct run_rep *rep)
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

/* One repetition, by the policy's backend, into the existing directory @rdir. */
static int run_rep(struct run_ctx *c, struct run_policy *p, int r, const char *rdir,
		   struct run_rep *rep)
{
	struct libvirt_rep lr = {
		.spec = &p->spec, .dir = rdir, .policy = p->name, .rep = r + 1,
		.nreps = p->spec.repeat, .progress = c->progress,
	};

	if (p->spec.backend == SPEC_BACKEND_LIBVIRT)
		return libvirt_run_rep(&c->lv, &lr, rep);
	if (p->spec.backend == SPEC_BACKEND_KVM_MINI)
		return kvmmini_run_rep(&c->km, p, r, rdir, c->progress, rep);
	return native_rep(c, p, r, rep);
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
	if (p->guest)
		p->guest[r] = rep->guest;
	p->nreps = r + 1;
	if (dropped)
		log_warn("policy %s rep %d: %llu progress stamps did not fit the buffer and are "
			 "missing from progress.csv", p->name, r + 1, (unsigned long long)dropped);
	if (rep->samples.read_errors)
		log_warn("policy %s rep %d: %lld sample reads failed (their cells are empty)",
			 p->name, r + 1, (long long)rep->samples.read_errors);
}

/* The repetitions of @p (its preparation done), their files and its summary rows. */
static int run_policy_reps(struct run_ctx *c, struct run_policy *p)
{
	struct run_rep *reps;
	char pdir[PATH_MAX], rdir[PATH_MAX];
	int r, rc, wrc, nreps = p->spec.repeat;

	rc = subdir(pdir, sizeof(pdir), c->dir, "%s", p->name);
	reps = rc ? NULL : calloc((size_t)nreps, sizeof(*reps));
	if (!rc && !reps)
		rc = log_err(-ENOMEM, "policy %s: repetitions", p->name);
	for (r = 0; r < nreps && !rc && !cli_stop_requested(); r++) {
		rc = subdir(rdir, sizeof(rdir), pdir, "rep-%d", r + 1);
		if (rc)
			break;
		rc = run_rep(c, p, r, rdir, &reps[r]);
		if (!reps[r].measured)
			break;
		rep_done(p, r, &reps[r]);
		wrc = runfiles_write_rep(rdir, &p->spec, &reps[r]);
		if (!rc)
			rc = wrc;
	}
	if (rc == -EINTR && cli_stop_requested())
		rc = 0;                /* a repetition cut short by the stop request */
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
	return rc;
}

static int run_policy(struct run_ctx *c, struct run_policy *p)
{
	int rc, wrc;

	if (p->spec.backend == SPEC_BACKEND_LIBVIRT) {
		/* a real guest: libvirt applies the quota (domxml), the guest calibrates itself */
		if (p->spec.quota_pct > 0)
			p->quota_mechanism = "libvirt <cputune> period/quota per vCPU";
		p->guest = calloc((size_t)p->spec.repeat, sizeof(*p->guest));
		if (!p->guest)
			return log_err(-ENOMEM, "policy %s: guest records", p->name);
		return run_policy_reps(c, p);
	}
	if (p->spec.backend == SPEC_BACKEND_KVM_MINI) {
		/* the guest calibrates itself (kvm-mini's meta.json, read per repetition) */
		if (p->spec.quota_pct > 0) {
			snprintf(p->reason, sizeof(p->reason), "the kvm-mini backend does not limit "
				 "its vCPU threads by cgroup yet (run it with --backend native)");
			skip_policy(c, p, "cgroup-cpu-max");
			return 0;
		}
		return run_policy_reps(c, p);
	}
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
	if (!rc) {
		rc = run_policy_reps(c, p);
	} else {
		p->status = RUN_FAILED;
		snprintf(p->reason, sizeof(p->reason), "%s", log_last_error());
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
 * --backend auto: kvm-mini in this process where /dev/kvm is usable, else
 * kvm-mini in the nested L1 guest where that route is ready (QEMU, the
 * static kvm-mini, and the image built or its kernel at hand: auto never
 * downloads), else native; the reason (backend-kvmmini.h) in @c.
 */
static enum spec_backend choose_backend(struct run_ctx *c)
{
	enum kvmmini_route r = kvmmini_open(&c->km, NULL, 1);

	if (r == KVMMINI_ROUTE_NONE) {
		snprintf(c->backend_reason, sizeof(c->backend_reason), "%.1000s", c->km.reason);
		return SPEC_BACKEND_NATIVE;
	}
	snprintf(c->backend_reason, sizeof(c->backend_reason), "%s: %.1000s",
		 kvmmini_route_name(r), c->km.reason);
	return SPEC_BACKEND_KVM_MINI;
}

/*
 * The kvm-mini backend: its route (chosen by auto already, else here, where
 * the nested route may build its image), said on stderr. EXIT_UNSUPPORTED
 * when neither route can run, saying what to do.
 */
static int open_kvmmini(struct run_ctx *c)
{
	if (!c->km.opened)
		kvmmini_open(&c->km, NULL, 0);
	if (c->km.route == KVMMINI_ROUTE_NONE)
		return log_err(EXIT_UNSUPPORTED, "backend kvm-mini: %s; run with --backend native "
			       "to measure without a VM", c->km.reason);
	if (!c->o->backend_auto)
		log_info("backend kvm-mini: %s (%s)", kvmmini_route_name(c->km.route),
			 c->km.reason);
	return 0;
}

/* Said once the backend line is out: what the nested route's figures are worth. */
static void say_kvm_route(const struct run_ctx *c)
{
	if (c->km.route == KVMMINI_ROUTE_NESTED && c->km_used)
		log_info("kvm-mini runs nested under QEMU TCG: guest steal, tick steal and host "
			 "run delay are real; start-up and stamp gaps outside contention are not "
			 "representative (each repetition boots the L1 guest, ~10 s)");
}

/*
 * The libvirt backend: the guest image, the domain type (said on stderr)
 * and a connection to the daemon, kept for the run. Exit code on failure:
 * EXIT_UNSUPPORTED when the image or the daemon is missing, saying what to
 * do.
 */
static int open_libvirt(struct run_ctx *c)
{
	const char *uri = c->o->connect_uri ? c->o->connect_uri : VIRT_DEFAULT_URI;
	const char *type = c->o->domain_type;
	struct hostinfo h;
	int rc;

	if (!type) {
		memset(&h, 0, sizeof(h));
		hostinfo_gather(NULL, &h);
		type = libvirt_default_domain_type(&h, c->domain_type_reason,
						   sizeof(c->domain_type_reason));
	} else {
		snprintf(c->domain_type_reason, sizeof(c->domain_type_reason),
			 "--domain-type %s", type);
	}
	rc = libvirt_open(&c->lv, virt_libvirt_ops(), uri, type, c->set.base.name);
	if (rc == -EACCES) {
		log_info("backend libvirt creates domains: run as root, or as a member of the "
			 "libvirt group of the host %s names", uri);
		return EXIT_FAIL;
	}
	if (rc) {
		/* the op said what failed; this is what to do about it */
		log_info("backend libvirt needs a libvirt daemon at %s: start it with "
			 "scripts/libvirtd.sh start (as root), or pass --connect URI", uri);
		return EXIT_UNSUPPORTED;
	}
	c->lv_open = 1;
	if (guestimage_find(&c->lv.image))
		return EXIT_UNSUPPORTED;
	if (libvirt_stage_image(&c->lv))
		return EXIT_FAIL;
	if (!strcmp(type, "qemu"))
		c->guest_steal_note = "TCG (domain type qemu) has no steal clock: nothing "
				      "tells the guest about steal, so its figures are not 0 but "
				      "unmeasured";
	log_info("backend libvirt: %s, domain type %s (%s)%s", uri, type,
		 c->domain_type_reason, c->guest_steal_note ? "; guest steal unavailable: TCG "
		 "has no steal clock, host-side vCPU run delay is real" : "");
	return 0;
}

/* Refuse backends this build or machine cannot run, saying what to do. */
static int check_backend(struct run_ctx *c)
{
	size_t i;
	int libvirt = 0, kvmmini = 0;

	for (i = 0; i < c->npol; i++) {
		enum spec_backend b = c->pol[i].spec.backend;

		if (b == SPEC_BACKEND_NATIVE)
			continue;
		if (b == SPEC_BACKEND_LIBVIRT) {
			libvirt = 1;
			continue;
		}
		if (b == SPEC_BACKEND_KVM_MINI) {
			kvmmini = 1;
			continue;
		}
		return log_err(EXIT_UNSUPPORTED, "backend %s is not implemented yet; run with "
			       "--backend native to measure without a VM", spec_backend_name(b));
	}
	if (!libvirt && (c->o->connect_uri || c->o->domain_type))
		return log_err(EXIT_USAGE, "--%s applies to the libvirt backend only (this run "
			       "uses %s)", c->o->connect_uri ? "connect" : "domain-type",
			       spec_backend_name(c->set.base.backend));
	if (kvmmini) {
		int rc = open_kvmmini(c);

		if (rc)
			return rc;
		c->km_used = 1;
	}
	return libvirt ? open_libvirt(c) : 0;
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
		.spec_path = c->spec_path, .backend = spec_backend_name(c->set.base.backend),
		.quick = c->o->quick, .policies = c->pol, .npolicies = c->npol,
	};

	if (c->lv_open) {
		m.connect_uri = c->lv.uri;
		m.domain_type = c->lv.domain_type;
		m.domain_type_reason = c->domain_type_reason;
		m.image = &c->lv.image;
		m.guest_steal_unavailable = c->guest_steal_note;
	}

	if (c->km_used) {
		m.kvm_route = kvmmini_route_name(c->km.route);
		m.kvm_route_reason = c->km.reason;
		m.kvm_route_caveat = c->km.route == KVMMINI_ROUTE_NESTED ? kvmmini_nested_caveat :
				     NULL;
		m.kvm_module = c->km.have_first ? c->km.first.kvm_module : NULL;
		m.kvm_startup_ns = c->km.have_first ? c->km.first.startup_ns : -1;
	}

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
	/*
	 * First of all: the checks below may connect to libvirt and copy the
	 * boot files (host-tools/bootfiles.h), and a signal among them must
	 * still end the run through `out`. A second signal kills: libvirt's
	 * connect retries EINTR and never looks at our flag.
	 */
	if (cli_install_stop_handlers_once())
		return EXIT_FAIL;
	if (o->backend_auto) {
		c.opts.backend = choose_backend(&c);
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
	/* a stop overrides what a check said (its call may have failed with EINTR) */
	if (cli_stop_requested()) {
		log_err(EXIT_FAIL, "stopped by %s before anything was measured",
			strsignal(cli_stop_requested()));
		ret = EXIT_FAIL;
	}
	if (ret)
		goto out;
	if (o->backend_auto)
		log_info("backend: %s (%s)", spec_backend_name(c.o->backend), c.backend_reason);
	say_kvm_route(&c);
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
	runsum_warn_noisy_baselines(&c.sum, SUMMARY_QUIET_BASELINE_PCT);
	printf("report: %s/report.html\n", c.dir);
	fflush(stdout);
	ret = rc ? EXIT_FAIL : EXIT_OK;
out:
	if (c.lv_open)
		libvirt_close(&c.lv);
	runsum_free(&c.sum);
	for (size_t i = 0; c.pol && i < c.npol; i++)
		free(c.pol[i].guest);
	free(c.pol);
	spec_free(&c.set);
	free(c.text);
	return ret;
}
