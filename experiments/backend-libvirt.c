/*
 * backend-libvirt: see backend-libvirt.h. One repetition is a struct lvrun
 * that goes through prepare -> boot -> measure -> collect -> take_files,
 * and cleanup on every path. Calls that are expected to fail once the
 * guest has powered off (domain_info, destroy) run with the log quiet and
 * are judged by their return code.
 */
#include "experiments/backend-libvirt.h"

#include "common/cli.h"
#include "common/csvio.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"
#include "experiments/backend-native.h"
#include "experiments/domxml.h"
#include "experiments/guestcsv.h"
#include "experiments/runprogress.h"
#include "experiments/serialog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define SERIAL_LOG "serial.log"
#define DOMAIN_XML "domain.xml"
#define GUEST_PROGRESS "guest-progress.csv"
#define GUEST_CPU "guest-cpu.csv"
#define COLLECT_POLL_NS (20 * NS_PER_MS)
#define FILES_TIMEOUT_NS (120 * NS_PER_SEC)   /* after the run: the guest's CSV over the
						 serial line (~40 kB/s under TCG here) */
#define POWEROFF_TIMEOUT_NS (30 * NS_PER_SEC)
#define ALIVE_EVERY_NS (100 * NS_PER_MS)      /* how often a wait asks whether the domain
						 still exists */

const char *libvirt_default_domain_type(const struct hostinfo *h, char *why, size_t len)
{
	if (!h->kvm_dev_usable) {
		snprintf(why, len, "/dev/kvm is not usable here (%s)",
			 h->kvm_dev_error[0] ? h->kvm_dev_error : "unknown reason");
		return "qemu";
	}
	if (!strcmp(h->kvm_module, "kvm_intel") || !strcmp(h->kvm_module, "kvm_amd")) {
		snprintf(why, len, "/dev/kvm is usable (%s)", h->kvm_module);
		return "kvm";
	}
	snprintf(why, len, "/dev/kvm is provided by %s, which cannot boot a stock kernel",
		 h->kvm_module[0] ? h->kvm_module : "an unknown module");
	return "qemu";
}

int64_t libvirt_margin_ns(int64_t interval_ns)
{
	if (interval_ns <= 0)
		return LIBVIRT_MARGIN_NS;
	return (LIBVIRT_MARGIN_NS + interval_ns - 1) / interval_ns * interval_ns;
}

int libvirt_open(struct libvirt_session *ls, const struct virt_ops *ops, const char *uri,
		 const char *domain_type, const char *experiment)
{
	int rc;

	memset(ls, 0, sizeof(*ls));
	ls->ops = ops;
	snprintf(ls->uri, sizeof(ls->uri), "%s", uri);
	snprintf(ls->domain_type, sizeof(ls->domain_type), "%s", domain_type);
	snprintf(ls->experiment, sizeof(ls->experiment), "%s", experiment);
	rc = ops->connect(uri, 0, &ls->conn);
	if (rc)
		ls->conn = NULL;
	return rc;
}

int libvirt_stage_image(struct libvirt_session *ls)
{
	const char *files[] = { ls->image.kernel, ls->image.initrd };

	return bootfiles_stage(&ls->boot, files, 2, NULL);
}

void libvirt_close(struct libvirt_session *ls)
{
	if (ls->ops && ls->conn)
		ls->ops->close(ls->conn);
	ls->conn = NULL;
	bootfiles_remove(&ls->boot);
}

/* ---- one repetition ----------------------------------------------------------------- */

struct lvrun {
	struct libvirt_session *ls;
	const struct libvirt_rep *r;
	const struct spec *s;
	struct run_rep *out;
	struct virt_domain *dom;
	int gone;                      /* the domain no longer exists */
	struct serialog log;
	int log_ready;
	int log_fd;
	int64_t log_bytes;
	char serial[PATH_MAX];
	char id[SERIALOG_ID_MAX + 1];
	int64_t margin_ns;
	struct native_run *hogs;
	struct run_sampler sm;
	int sm_open;
	struct virtstats_vcpu vbuf[SPEC_MAX_VCPUS];
	unsigned missing;              /* statistics fields libvirt did not report */
	cpu_set_t emu;                 /* the emulator threads' CPUs; empty: not pinned */
	int64_t t_created, t_go, t0;
};

static int make_id(char *id)
{
	unsigned char b[SERIALOG_ID_MAX / 2];
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		int e = errno ? errno : EIO;

		return log_err(-e, "getrandom: %s", strerror(e));
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static int path_in(char *out, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len)
		return log_err(-ENAMETOOLONG, "%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
	return 0;
}

/* The domain XML of this repetition, also saved as domain.xml. */
static int make_xml(struct lvrun *lv, const char *name, char **xml)
{
	const struct spec *s = lv->s;
	char cmdline[DOMXML_CMDLINE_MAX], desc[256], serial_abs[PATH_MAX];
	cpu_set_t online, emu;
	struct domxml_in in;
	int rc;

	rc = domxml_cmdline(s, lv->id, lv->margin_ns, cmdline, sizeof(cmdline));
	if (rc)
		return rc;
	CPU_ZERO(&emu);
	if (cpus_online(NULL, &online) == 0)
		domxml_emulator_cpus(s, &online, &emu);
	lv->emu = emu;
	/* libvirt resolves nothing: the serial log's path must be absolute */
	if (!realpath(lv->r->dir, serial_abs)) {
		rc = -errno;
		return log_err(rc, "%s: %s", lv->r->dir, strerror(-rc));
	}
	rc = path_in(lv->serial, sizeof(lv->serial), serial_abs, SERIAL_LOG);
	if (rc)
		return rc;
	snprintf(desc, sizeof(desc), "stealscope run %s, policy %s, repetition %d (transient)",
		 lv->ls->experiment, lv->r->policy, lv->r->rep);
	memset(&in, 0, sizeof(in));
	in.spec = s;
	in.name = name;
	in.description = desc;
	in.domain_type = lv->ls->domain_type;
	in.kernel = lv->ls->boot.path[0];
	in.initrd = lv->ls->boot.path[1];
	in.cmdline = cmdline;
	in.serial_path = lv->serial;
	in.emulator_cpus = &emu;
	rc = domxml_build(&in, xml);
	if (!rc)
		rc = afile_write_string(lv->r->dir, DOMAIN_XML, *xml);
	return rc;
}

/* Everything the measurement needs, before the domain exists. */
static int prepare(struct lvrun *lv, char **xml)
{
	const struct spec *s = lv->s;
	struct run_guest *g = &lv->out->guest;
	int cpus[CPU_SETSIZE], ncpus, rc;
	int64_t interval = s->sample_interval_ns, nsamples;
	struct spec hogs;

	rc = make_id(lv->id);
	if (!rc)
		rc = domxml_name(g->domain, sizeof(g->domain), lv->ls->experiment, getpid(),
				 ++lv->ls->ndomains);
	if (rc)
		return rc;
	snprintf(g->boot_id, sizeof(g->boot_id), "%s", lv->id);
	lv->margin_ns = libvirt_margin_ns(interval);
	rc = make_xml(lv, g->domain, xml);
	if (rc)
		return rc;
	rc = serialog_init(&lv->log, lv->serial, lv->id);
	if (rc)
		return rc;
	lv->log_ready = 1;
	ncpus = rundata_cpus_involved(s, cpus);
	if (ncpus < 0)
		return ncpus;
	nsamples = s->duration_ns / interval + 1 + (s->duration_ns % interval ? 1 : 0);
	rc = rundata_alloc(&lv->out->samples, (size_t)nsamples, s->vcpus, cpus, ncpus);
	if (rc)
		return rc;
	/* the guest's own steal ticks mean something only with a steal clock (KVM) */
	lv->out->samples.guest_steal_ticks = !strcmp(lv->ls->domain_type, "kvm");
	/* the hogs only: a copy of the spec without vCPUs (native_start() makes no vCPU thread) */
	hogs = *s;
	hogs.vcpus = 0;
	if (hogs.n_contention > 0) {
		rc = native_start(&hogs, 1, &lv->hogs);
		if (rc)
			return rc;
	}
	rc = rundata_sampler_open(&lv->sm, NULL, 0);
	if (rc)
		return rc;
	lv->sm_open = 1;
	return 0;
}

/* Is the domain still there? Quiet: after its poweroff the answer is -ENOENT. */
static int alive(struct lvrun *lv)
{
	struct virt_dom_info info;
	int rc;

	if (lv->gone || !lv->dom)
		return 0;
	log_set_quiet(1);
	rc = lv->ls->ops->domain_info(lv->dom, &info);
	log_set_quiet(0);
	if (rc == -ENOENT || (!rc && info.state == VIRT_DOM_SHUTOFF))
		lv->gone = 1;
	return !lv->gone;
}

/* Read what the serial log gained since the last call. Events, or -errno (logged). */
static int read_log(struct lvrun *lv)
{
	char buf[65536];
	unsigned ev = 0;
	ssize_t n;
	int rc;

	if (lv->log_fd < 0) {
		lv->log_fd = open(lv->serial, O_RDONLY | O_CLOEXEC);
		if (lv->log_fd < 0)
			return errno == ENOENT ? 0 : log_err(-errno, "open %s: %s", lv->serial,
							     strerror(errno));
	}
	for (;;) {
		n = read(lv->log_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_err(-errno, "read %s: %s", lv->serial, strerror(errno));
		if (n == 0)
			return (int)ev;
		lv->log_bytes += n;
		rc = serialog_feed(&lv->log, buf, (size_t)n);
		if (rc < 0)
			return rc;
		/* the moment `go` was read is the host's side of the shared t0 */
		if ((rc & SERIALOG_EV_GO) && !lv->t_go)
			lv->t_go = mono_ns();
		ev |= (unsigned)rc;
	}
}

/*
 * Read the serial log every @poll_ns until it shows one of @want, the
 * domain is gone, a stop is requested or @timeout_ns passes. Returns 1
 * when @want came, 0 otherwise (see lv->gone, the stop flag), or -errno.
 */
static int wait_for(struct lvrun *lv, unsigned want, int64_t poll_ns, int64_t timeout_ns)
{
	int64_t start = mono_ns(), next = start, last_alive = start;
	int rc;

	for (;;) {
		rc = read_log(lv);
		if (rc < 0)
			return rc;
		if (lv->log.seen & want)
			return 1;
		if (cli_stop_requested())
			return 0;
		if (next - last_alive >= ALIVE_EVERY_NS) {
			last_alive = next;
			if (!alive(lv)) {
				rc = read_log(lv);   /* what it wrote before it ended */
				return rc < 0 ? rc : (lv->log.seen & want) != 0;
			}
		}
		if (next - start >= timeout_ns)
			return 0;
		next += poll_ns;
		if (next < mono_ns() - poll_ns)
			next = mono_ns();      /* fell behind: do not race to catch up */
		sleep_until_ns(next);
	}
}

/* The guest's own words on why it failed, for an error message. */
static const char *guest_said(const struct lvrun *lv)
{
	return lv->log.guest_error[0] ? lv->log.guest_error : "no error line";
}

static int boot(struct lvrun *lv, const char *xml)
{
	struct run_guest *g = &lv->out->guest;
	int rc;

	lv->t_created = mono_ns();
	rc = lv->ls->ops->create_transient(lv->ls->conn, xml, VIRT_CREATE_AUTODESTROY, &lv->dom);
	if (rc) {
		lv->dom = NULL;
		return rc;
	}
	g->poll_ns = LIBVIRT_POLL_NS;
	rc = wait_for(lv, SERIALOG_EV_GO | SERIALOG_EV_EXIT, LIBVIRT_POLL_NS,
		      LIBVIRT_BOOT_TIMEOUT_NS);
	if (rc < 0)
		return rc;
	if (cli_stop_requested())
		return -EINTR;
	if (!(lv->log.seen & SERIALOG_EV_GO)) {
		if (lv->log.seen & SERIALOG_EV_EXIT)
			return log_err(-EIO, "guest %s exited with status %d before it started "
				       "(%s; see %s)", g->domain, lv->log.exit_status, guest_said(lv),
				       lv->serial);
		if (lv->gone)
			return log_err(-EIO, "guest %s ended before it started (%s; see %s)",
				       g->domain, guest_said(lv), lv->serial);
		return log_err(-ETIMEDOUT, "guest %s did not start its tools within %" PRId64
			       " s of its creation (no 'go' in %s)", g->domain,
			       (int64_t)(LIBVIRT_BOOT_TIMEOUT_NS / NS_PER_SEC), lv->serial);
	}
	g->boot_ns = lv->t_go - lv->t_created;
	g->t0_guest_ns = lv->log.t0_guest_ns;
	g->margin_ns = lv->log.margin_ns;
	if (lv->log.margin_ns != lv->margin_ns)
		log_warn("guest %s echoed margin %" PRId64 " ns, not %" PRId64 " ns; t0 follows "
			 "the guest", g->domain, lv->log.margin_ns, lv->margin_ns);
	return 0;
}

/*
 * The measurement: samples at t0 + k * interval (and one at the end when it
 * is off the grid), each the libvirt vCPU statistics and /proc/stat.
 */
static int measure(struct lvrun *lv)
{
	const struct spec *s = lv->s;
	struct run_samples *sm = &lv->out->samples;
	int64_t interval = s->sample_interval_ns, k, nsamples = (int64_t)sm->cap;
	struct virtstats_dom st;
	struct runprogress pg;
	int64_t skipped = 0;
	int v, idx, pinned, rc = 0;
	cpu_set_t old;

	lv->t0 = lv->t_go + lv->log.margin_ns;
	/*
	 * The sampler (this thread, and the progress line's) keeps off the
	 * vCPUs' CPUs, where the emulator threads go: waking every interval on
	 * a vCPU's CPU would be contention the spec did not ask for.
	 */
	pinned = CPU_COUNT(&lv->emu) > 0 && sched_getaffinity(0, sizeof(old), &old) == 0 &&
		 sched_setaffinity(0, sizeof(lv->emu), &lv->emu) == 0;
	if (lv->hogs)
		native_go(lv->hogs, lv->t0);
	lv->out->measured = 1;
	runprogress_start(&pg, lv->r->progress, lv->r->policy, lv->r->rep, lv->r->nreps,
			  lv->t0, s->duration_ns);
	for (k = 0; k < nsamples; k++) {
		int64_t off = k * interval < s->duration_ns ? k * interval : s->duration_ns;

		while (sleep_until_ns(lv->t0 + off) == -EINTR && !cli_stop_requested())
			;
		if (cli_stop_requested())
			break;
		virtstats_dom_init(&st, lv->vbuf, SPEC_MAX_VCPUS);
		rc = lv->ls->ops->get_vcpu_stats(lv->dom, (size_t)s->vcpus, &st);
		if (rc)
			break;         /* logged; -ENOENT: the guest ended early */
		idx = rundata_sample_begin(sm, k, st.t_ns - lv->t0);
		if (idx < 0)
			break;
		for (v = 0; v < s->vcpus; v++) {
			const struct virtstats_vcpu *c = &st.vcpu[v];
			unsigned both = VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY;
			int ok = (size_t)v < st.nvcpus && (c->present & both) == both;

			lv->missing |= (size_t)v < st.nvcpus ? both & ~c->present : both;
			rundata_sample_vcpu(sm, (size_t)idx, v, c->time_ns, c->delay_ns, ok);
		}
		rundata_sample_end(&lv->sm, sm, (size_t)idx);
		/*
		 * A daemon slower than the interval made this sample late: skip the
		 * deadlines already past rather than take a burst of late samples
		 * (seq keeps the gap), but never the last one, at the end of the run.
		 */
		while (k + 2 < nsamples && lv->t0 + (k + 1) * interval < mono_ns()) {
			k++;
			skipped++;
		}
	}
	lv->out->completed = k == nsamples && !rc;
	if (lv->hogs)
		native_join(lv->hogs);
	runprogress_stop(&pg);
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	if (skipped)
		log_warn("guest %s: %" PRId64 " of %" PRId64 " sample deadlines skipped: %s answered "
			 "slower than the sample interval", lv->out->guest.domain, skipped, nsamples,
			 lv->ls->uri);
	if (lv->missing & VIRTSTATS_F_DELAY)
		log_warn("%s did not report vcpu.N.delay for guest %s: its host run delay is "
			 "unavailable", lv->ls->uri, lv->out->guest.domain);
	if (lv->missing & VIRTSTATS_F_TIME)
		log_warn("%s did not report vcpu.N.time for guest %s", lv->ls->uri,
			 lv->out->guest.domain);
	if (rc == -ENOENT)
		lv->gone = 1;
	return rc;
}

/* After the run: the guest's files and its exit, then its poweroff. */
static int collect(struct lvrun *lv)
{
	struct run_guest *g = &lv->out->guest;
	int64_t end = mono_ns(), t;
	int rc;

	rc = wait_for(lv, SERIALOG_EV_EXIT, COLLECT_POLL_NS, FILES_TIMEOUT_NS + lv->s->duration_ns);
	if (rc < 0)
		return rc;
	if (cli_stop_requested())
		return -EINTR;
	if (!rc) {
		if (!lv->gone)
			return log_err(-ETIMEDOUT, "guest %s sent no 'exit' within %" PRId64 " s "
				       "after the run (see %s)", g->domain,
				       (int64_t)((FILES_TIMEOUT_NS + lv->s->duration_ns) /
						 NS_PER_SEC), lv->serial);
		serialog_end(&lv->log);
		return log_err(-EIO, "guest %s ended without 'exit' (%s; see %s)", g->domain,
			       guest_said(lv), lv->serial);
	}
	/* poweroff -f follows exit; on_poweroff=destroy ends the transient domain */
	for (t = mono_ns(); alive(lv) && !cli_stop_requested() && t - end < POWEROFF_TIMEOUT_NS;
	     t = mono_ns())
		sleep_until_ns(t + COLLECT_POLL_NS);
	if (cli_stop_requested())
		return -EINTR;
	g->shutdown_ns = lv->gone ? mono_ns() - end : -1;
	if (!lv->gone)
		log_warn("guest %s did not power off within %" PRId64 " s of its exit; destroying "
			 "it", g->domain, (int64_t)(POWEROFF_TIMEOUT_NS / NS_PER_SEC));
	return 0;
}

/* One received file: saved as @save in the repetition's directory, then parsed. */
static int load_file(struct lvrun *lv, const char *name, const char *save, struct csv_table *t)
{
	const struct serialog_file *f = serialog_file(&lv->log, name);
	char path[PATH_MAX];
	int rc;

	if (!f)
		return log_err(-EPROTO, "guest %s sent no %s (see %s)", lv->out->guest.domain,
			       name, lv->serial);
	rc = afile_write_string(lv->r->dir, save, f->text ? f->text : "");
	if (!rc)
		rc = path_in(path, sizeof(path), lv->r->dir, save);
	if (!rc)
		rc = csv_table_load(path, t);
	return rc;
}

static int take_files(struct lvrun *lv)
{
	struct csv_table t;
	int rc, rc2;

	rc = load_file(lv, "progress.csv", GUEST_PROGRESS, &t);
	if (!rc) {
		rc = guestcsv_progress(&t, lv->s, lv->out->stamps);
		csv_table_free(&t);
	}
	rc2 = load_file(lv, "cpu.csv", GUEST_CPU, &t);
	if (!rc2) {
		rc2 = guestcsv_cpu(&t, &lv->out->samples);
		csv_table_free(&t);
	}
	return rc ? rc : rc2;
}

/* What the guest said, into out->guest. */
static void record_guest(struct lvrun *lv)
{
	struct run_guest *g = &lv->out->guest;
	int i;

	snprintf(g->tools_version, sizeof(g->tools_version), "%s", lv->log.tools_version);
	snprintf(g->kernel_release, sizeof(g->kernel_release), "%s", lv->log.kernel_release);
	g->exit_status = lv->log.seen & SERIALOG_EV_EXIT ? lv->log.exit_status : -1;
	snprintf(g->guest_error, sizeof(g->guest_error), "%s", lv->log.guest_error);
	g->serial_bytes = lv->log_bytes;
	g->foreign_lines = lv->log.foreign;
	for (i = 0; i < lv->log.nnotes && i < RUN_GUEST_NOTES; i++)
		snprintf(g->notes[i], sizeof(g->notes[i]), "%s", lv->log.notes[i]);
	g->nnotes = i;
}

static void cleanup(struct lvrun *lv)
{
	int rc;

	if (lv->hogs)
		native_free(lv->hogs);
	if (lv->dom) {
		if (!lv->gone) {
			log_set_quiet(1);
			rc = lv->ls->ops->destroy(lv->dom);
			log_set_quiet(0);
			if (rc && rc != -ENOENT && rc != -EINVAL)
				log_err(rc, "%s", log_last_error());
		}
		lv->ls->ops->free_domain(lv->dom);
	}
	if (lv->sm_open)
		rundata_sampler_close(&lv->sm);
	if (lv->log_fd >= 0)
		close(lv->log_fd);
	if (lv->log_ready)
		serialog_free(&lv->log);
}

int libvirt_run_rep(struct libvirt_session *ls, const struct libvirt_rep *r,
		    struct run_rep *out)
{
	struct lvrun lv;
	char *xml = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->guest.boot_ns = -1;
	out->guest.exit_status = -1;
	out->guest.shutdown_ns = -1;
	memset(&lv, 0, sizeof(lv));
	lv.ls = ls;
	lv.r = r;
	lv.s = r->spec;
	lv.out = out;
	lv.log_fd = -1;

	rc = prepare(&lv, &xml);
	if (!rc && cli_stop_requested())
		rc = -EINTR;
	if (!rc)
		rc = boot(&lv, xml);
	free(xml);
	if (!rc) {
		log_info("guest %s (%s) started its tools %.1f s after its creation",
			 out->guest.domain, ls->domain_type, (double)out->guest.boot_ns / 1e9);
		rc = measure(&lv);
	}
	if (!rc)
		rc = collect(&lv);
	if (lv.log_ready)
		record_guest(&lv);
	if (!rc && lv.log.exit_status != 0)
		rc = log_err(-EIO, "guest %s exited with status %d: %s", out->guest.domain,
			     lv.log.exit_status, guest_said(&lv));
	if (out->measured && (lv.log.seen & SERIALOG_EV_EXIT)) {
		int trc = take_files(&lv);

		if (!rc)
			rc = trc;
	}
	/* without the guest's side the repetition cannot be summarised, only kept */
	if (rc)
		out->completed = 0;
	cleanup(&lv);
	return rc;
}
