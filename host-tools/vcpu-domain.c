/*
 * vcpu-domain: see vcpu-domain.h. The loop (host-tools/sampleloop.c) makes
 * one statistics call through struct virt_ops per sample (this file never
 * includes libvirt); deriving and writing happen outside the
 * timing-critical part. The CSV keeps vcpu.csv's columns, the guest's
 * among them empty: libvirt cannot see inside the guest.
 */
#include "host-tools/vcpu-domain.h"

#include "common/cli.h"
#include "common/csvio.h"
#include "common/log.h"
#include "common/promexp.h"
#include "common/timeutil.h"
#include "host-tools/virt.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The CSV columns of --domain that each of virt_prom_families[] fills. */
static const char *const family_cols[VIRT_PROM_NFAMILIES] = {
	[VIRT_PROM_TIME] = "host_run_ns",
	[VIRT_PROM_DELAY] = "host_delay_ns and delay_pct",
	[VIRT_PROM_WAIT] = "host_wait_ns",
};

int vcpu_domain_output_start(const struct sampleloop_opts *loop, const char *const *cols,
			     size_t ncols, struct csvw **csv)
{
	*csv = NULL;
	if (cli_install_stop_handlers())
		return -1;
	if (loop->format != SAMPLELOOP_FMT_CSV)
		return 0;
	*csv = csvw_open(loop->out, cols, ncols);
	return *csv ? 0 : -1;
}

int vcpu_domain_output_end(struct csvw *csv)
{
	return csv ? csvw_commit(csv) : 0;
}

/*
 * One sample of the domain in a sampleloop slot. sampleloop copies slots
 * (the newest is kept across batches), so a slot holds no pointers: the
 * vCPU entries follow the header inside it.
 */
struct vd_slot {
	int64_t t_ns;                  /* CLOCK_MONOTONIC, middle of the statistics call */
	size_t nvcpus;                 /* entries filled */
	unsigned missing;              /* VIRTSTATS_F_* the driver did not report */
	struct virtstats_vcpu vcpu[];  /* vd_ctx.cap entries */
};

struct vd_ctx {
	const struct virt_ops *ops;
	struct virt_conn *conn;
	struct virt_domain *dom;
	const char *name;
	const char *uri;               /* as given: the "host" label (virt_prom_host()) */
	size_t cap;                    /* vCPU entries in each slot */
	size_t nvcpus;                 /* the domain's vCPUs at start: always a row each */
	struct csvw *csv;              /* NULL with --format prometheus */
	int64_t t0_ns;                 /* CLOCK_MONOTONIC origin of t_ns */
	int has_t0;                    /* --t0 given, or set from the first sample */
	int first_done;                /* the first sample has its rows */
	unsigned said_missing;         /* fields already named on stderr */
	int read_rc;                   /* -errno of the read that ended the run, or 0 */
	char read_err[512];            /* its message, said after the run */
};

/*
 * Timing-critical: one statistics call (a libvirt round trip, which
 * allocates inside libvirt; we do not). Errors are kept quiet here and said
 * after the run, as in vs_read().
 */
static int vd_read(void *arg, void *slot)
{
	struct vd_ctx *ctx = arg;
	struct vd_slot *s = slot;
	struct virtstats_dom d;
	int rc;

	virtstats_dom_init(&d, s->vcpu, ctx->cap);
	log_set_quiet(1);
	rc = ctx->ops->get_vcpu_stats(ctx->dom, ctx->nvcpus, &d);
	log_set_quiet(0);
	if (rc) {
		ctx->read_rc = rc;
		snprintf(ctx->read_err, sizeof(ctx->read_err), "%s", log_last_error());
		/* A transient domain that was destroyed has no statistics record. */
		return rc == -ENOENT ? SAMPLELOOP_END : rc;
	}
	s->t_ns = d.t_ns;
	s->nvcpus = d.nvcpus;
	s->missing = d.missing;
	return 0;
}

/* Name each statistics field the driver left out, once per run. */
static void vd_say_missing(struct vd_ctx *ctx, unsigned missing)
{
	size_t i;

	for (i = 0; i < VIRT_PROM_NFAMILIES; i++) {
		const struct virt_prom_family *f = &virt_prom_families[i];

		if (!(missing & f->field) || (ctx->said_missing & f->field))
			continue;
		ctx->said_missing |= f->field;
		if (ctx->csv)
			log_warn("%s: domain %s: %s not reported by this driver; %s cells are "
				 "empty", ctx->ops->uri(ctx->conn), ctx->name,
				 virtstats_field_name(f->field), family_cols[i]);
		else
			log_warn("%s: domain %s: %s not reported by this driver; left out of %s",
				 ctx->ops->uri(ctx->conn), ctx->name,
				 virtstats_field_name(f->field), f->name);
	}
}

/*
 * The vCPUs' counters in seconds, one family per field, labelled host (the
 * URI as given: virt_prom_host()), domain and vcpu. A vCPU without a field
 * has no sample in its family, and a field no vCPU has no family: absent,
 * never 0.
 */
static int vd_expose(void *arg, const struct sampleloop_rec *cur, struct promexp *p)
{
	struct vd_ctx *ctx = arg;
	const struct vd_slot *s = cur->data;
	size_t f, i, n;

	vd_say_missing(ctx, s->missing);
	for (f = 0; f < VIRT_PROM_NFAMILIES; f++) {
		const struct virt_prom_family *fam = &virt_prom_families[f];

		for (i = n = 0; i < s->nvcpus; i++)
			n += (s->vcpu[i].present & fam->field) != 0;
		if (!n)
			continue;
		promexp_family(p, fam->name, PROMEXP_COUNTER, fam->help);
		virt_prom_vcpus(p, fam, ctx->uri, ctx->name, s->vcpu, s->nvcpus);
	}
	return p->err;
}

/* A cumulative counter cell: empty when @v lacks @field. */
static void vd_counter(struct csvw *w, const struct virtstats_vcpu *v, unsigned field,
		       uint64_t ns)
{
	if (v->present & field)
		csvw_u64(w, ns);
	else
		csvw_f(w, NAN, 0);
}

/*
 * The rows of sample @b, one per vCPU; delay_pct over the interval from @a
 * (NULL for the first sample: empty). csvw errors are sticky, so only the
 * end of each row is checked.
 */
static int vd_rows(struct vd_ctx *ctx, struct vd_slot *a, struct vd_slot *b)
{
	struct virtstats_dom da, db;
	struct virtstats_rates r;
	size_t i;
	int g, rc = 0;

	vd_say_missing(ctx, b->missing);
	if (!ctx->has_t0) {
		ctx->t0_ns = b->t_ns;
		ctx->has_t0 = 1;
	}
	memset(&db, 0, sizeof(db));
	db.vcpu = b->vcpu;
	db.nvcpus = b->nvcpus;
	db.t_ns = b->t_ns;
	if (a) {
		memset(&da, 0, sizeof(da));
		da.vcpu = a->vcpu;
		da.nvcpus = a->nvcpus;
		da.t_ns = a->t_ns;
	}
	for (i = 0; i < b->nvcpus && !rc; i++) {
		const struct virtstats_vcpu *v = &b->vcpu[i];

		/* Room for hotplug: a vCPU beyond the domain's count without fields is offline. */
		if (!v->present && i >= ctx->nvcpus)
			continue;
		r.present = 0;
		if (a)
			virtstats_vcpu_rates(&da, &db, i, &r);
		csvw_i64(ctx->csv, b->t_ns - ctx->t0_ns);
		csvw_u64(ctx->csv, i);
		if (v->pcpu >= 0)
			csvw_i64(ctx->csv, v->pcpu);
		else
			csvw_f(ctx->csv, NAN, 0);
		csvw_f(ctx->csv, NAN, 0);              /* guest_steal_ns: not seen from here */
		vd_counter(ctx->csv, v, VIRTSTATS_F_TIME, v->time_ns);
		vd_counter(ctx->csv, v, VIRTSTATS_F_DELAY, v->delay_ns);
		for (g = 0; g < 4; g++)
			csvw_f(ctx->csv, NAN, 0);      /* the guest's /proc/stat ticks */
		vd_counter(ctx->csv, v, VIRTSTATS_F_WAIT, v->wait_ns);
		csvw_f(ctx->csv, (r.present & VIRTSTATS_F_DELAY) ? r.delay_pct : NAN, 2);
		rc = csvw_end_row(ctx->csv);
	}
	return rc;
}

static int vd_emit(void *arg, const struct sampleloop_rec *prev,
		   const struct sampleloop_rec *cur)
{
	struct vd_ctx *ctx = arg;
	int rc;

	/* vcpu.csv starts with the first sample: its counters are the baseline. */
	if (!ctx->first_done) {
		ctx->first_done = 1;
		rc = vd_rows(ctx, NULL, prev->data);
		if (rc)
			return rc;
	}
	return vd_rows(ctx, prev->data, cur->data);
}

static int vd_flush(void *arg)
{
	struct vd_ctx *ctx = arg;

	return csvw_flush(ctx->csv);
}

/*
 * Open the domain and size the slots. Returns EXIT_OK or the exit code
 * (said): 4 without a daemon, 2 for a domain that does not exist, 1 when it
 * does not run.
 */
static int vd_open(struct vd_ctx *ctx, const char *uri, const char *name)
{
	struct virt_dom_info info;
	int rc;

	if (ctx->ops->connect(uri, VIRT_CONNECT_RO, &ctx->conn)) {
		log_info("is the libvirt daemon running for %s? Start it (on that host) with "
			 "scripts/libvirtd.sh start, or: virtlogd -d && libvirtd -d", uri);
		return EXIT_UNSUPPORTED;
	}
	rc = ctx->ops->lookup_domain(ctx->conn, name, &ctx->dom);
	if (rc == -ENOENT)
		return cli_usage_hint();
	if (rc || ctx->ops->domain_info(ctx->dom, &info))
		return EXIT_FAIL;
	if (info.id < 0)
		return log_err(EXIT_FAIL, "%s: domain %s is not running (%s): its vCPUs have no "
			       "statistics", uri, name, virt_dom_state_name(info.state));
	ctx->nvcpus = info.nvcpus;
	ctx->cap = info.max_vcpus > info.nvcpus ? info.max_vcpus : info.nvcpus;
	if (ctx->cap == 0)
		ctx->cap = 1;
	if (ctx->cap > VIRTSTATS_MAX_VCPUS)
		return log_err(EXIT_FAIL, "%s: domain %s: %zu vCPUs, more than %d", uri, name,
			       ctx->cap, VIRTSTATS_MAX_VCPUS);
	return EXIT_OK;
}

int vcpu_domain_run(const struct sampleloop_opts *loop, const char *uri, const char *name)
{
	static const char *const cols[] = {
		"t_ns", "vcpu", "pcpu", "guest_steal_ns", "host_run_ns", "host_delay_ns",
		"tick_user", "tick_system", "tick_idle", "tick_steal", "host_wait_ns", "delay_pct",
	};
	static const struct sampleloop_ops ops = {
		.read = vd_read, .emit = vd_emit, .flush = vd_flush, .expose = vd_expose,
	};
	struct sampleloop_stats st;
	struct vd_ctx ctx;
	size_t slot_bytes, align = alignof(struct vd_slot);
	int rc, status;

	if (!uri)
		uri = VIRT_DEFAULT_URI;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ops = virt_libvirt_ops();
	ctx.name = name;
	ctx.uri = uri;
	ctx.t0_ns = loop->t0_ns;
	ctx.has_t0 = loop->has_t0;
	status = vd_open(&ctx, uri, name);
	if (status != EXIT_OK)
		goto out;
	status = EXIT_FAIL;
	/* Only now: until here SIGINT ends a connection attempt that hangs. */
	if (vcpu_domain_output_start(loop, cols, sizeof(cols) / sizeof(cols[0]), &ctx.csv))
		goto out;

	/* Slots sit back to back in one buffer: keep each one aligned. */
	slot_bytes = sizeof(struct vd_slot) + ctx.cap * sizeof(struct virtstats_vcpu);
	slot_bytes = (slot_bytes + align - 1) / align * align;
	rc = sampleloop_run(loop, slot_bytes, &ops, &ctx, &st);
	sampleloop_report(&st);
	if (ctx.read_rc == -ENOENT)
		log_warn("domain %s is gone (%s); stopped after %lld samples", name,
			 ctx.read_err, (long long)st.samples);
	else if (ctx.read_rc)
		log_err(ctx.read_rc, "%s", ctx.read_err);
	if (vcpu_domain_output_end(ctx.csv) == 0 && rc == 0)
		status = EXIT_OK;
out:
	ctx.ops->free_domain(ctx.dom);
	ctx.ops->close(ctx.conn);
	return status;
}
