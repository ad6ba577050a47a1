/*
 * virt-libvirt: struct virt_ops on libvirt. The only file in stealscope that
 * includes libvirt's headers; everything else sees host-tools/virt.h.
 *
 * It connects to whatever URI it is given through virConnectOpenAuth() with
 * libvirt's default authentication callbacks, so a remote URI
 * (qemu+ssh://host/system) takes exactly the same path as a local one. It
 * never prints on its own behalf except through log_err()/log_debug(), and
 * it silences libvirt's default error handler so that each failure is said
 * once, here, with the URI, the domain and libvirt's message.
 *
 * It must never compute rates or render anything: typed parameters are
 * converted into struct virtstats_param and handed to host-tools/virtstats.
 */
#include "host-tools/virt.h"

#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The small enums of virt.h and virtstats.h are libvirt's own numbers. */
#define SAME_VALUE(ours, theirs) \
	_Static_assert((int)(ours) == (int)(theirs), #ours " == " #theirs)
SAME_VALUE(VIRTSTATS_INT, VIR_TYPED_PARAM_INT);
SAME_VALUE(VIRTSTATS_UINT, VIR_TYPED_PARAM_UINT);
SAME_VALUE(VIRTSTATS_LLONG, VIR_TYPED_PARAM_LLONG);
SAME_VALUE(VIRTSTATS_ULLONG, VIR_TYPED_PARAM_ULLONG);
SAME_VALUE(VIRTSTATS_DOUBLE, VIR_TYPED_PARAM_DOUBLE);
SAME_VALUE(VIRTSTATS_BOOLEAN, VIR_TYPED_PARAM_BOOLEAN);
SAME_VALUE(VIRTSTATS_STRING, VIR_TYPED_PARAM_STRING);
SAME_VALUE(VIRTSTATS_VCPU_OFFLINE, VIR_VCPU_OFFLINE);
SAME_VALUE(VIRTSTATS_VCPU_RUNNING, VIR_VCPU_RUNNING);
SAME_VALUE(VIRTSTATS_VCPU_BLOCKED, VIR_VCPU_BLOCKED);
SAME_VALUE(VIRT_DOM_NOSTATE, VIR_DOMAIN_NOSTATE);
SAME_VALUE(VIRT_DOM_RUNNING, VIR_DOMAIN_RUNNING);
SAME_VALUE(VIRT_DOM_BLOCKED, VIR_DOMAIN_BLOCKED);
SAME_VALUE(VIRT_DOM_PAUSED, VIR_DOMAIN_PAUSED);
SAME_VALUE(VIRT_DOM_SHUTDOWN, VIR_DOMAIN_SHUTDOWN);
SAME_VALUE(VIRT_DOM_SHUTOFF, VIR_DOMAIN_SHUTOFF);
SAME_VALUE(VIRT_DOM_CRASHED, VIR_DOMAIN_CRASHED);
SAME_VALUE(VIRT_DOM_PMSUSPENDED, VIR_DOMAIN_PMSUSPENDED);

/* Every cpumap we exchange with libvirt covers all of a cpu_set_t. */
#define MAPLEN VIR_CPU_MAPLEN(CPU_SETSIZE)

struct virt_conn {
	virConnectPtr conn;
	char *uri;
};

struct virt_domain {
	virDomainPtr dom;
	struct virt_conn *c;
	char *name;
	char *ctx;                     /* "<uri>: domain <name>", for messages */
};

static void silent_error_handler(void *userdata, virErrorPtr err)
{
	/* The error stays retrievable with virGetLastErrorMessage(); we log it. */
	(void)userdata;
	(void)err;
}

static void install_error_handler(void)
{
	virSetErrorFunc(NULL, silent_error_handler);
}

/* libvirt's error code of the failed call as a -errno. */
static int errno_of(int code)
{
	switch (code) {
	case VIR_ERR_NO_MEMORY:
		return -ENOMEM;
	case VIR_ERR_NO_SUPPORT:
	case VIR_ERR_OPERATION_UNSUPPORTED:
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
	case VIR_ERR_CONFIG_UNSUPPORTED:
		return -ENOTSUP;
	case VIR_ERR_INVALID_ARG:
	case VIR_ERR_OPERATION_INVALID:
	case VIR_ERR_XML_ERROR:
	case VIR_ERR_XML_DETAIL:       /* XML that does not parse */
	case VIR_ERR_XML_INVALID_SCHEMA:
	case VIR_ERR_NO_NAME:
		return -EINVAL;
	case VIR_ERR_NO_DOMAIN:
		return -ENOENT;
	case VIR_ERR_OPERATION_DENIED:
		return -EPERM;
	case VIR_ERR_ACCESS_DENIED:
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_AUTH_UNAVAILABLE:
		return -EACCES;
	case VIR_ERR_OPERATION_TIMEOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

/*
 * Log the failure of @what on @d (or on the connection when @d is NULL)
 * with libvirt's message @msg, return the -errno for @code.
 */
static int fail_with(const struct virt_conn *c, const struct virt_domain *d, const char *what,
		     int code, const char *msg)
{
	if (d)
		return log_err(errno_of(code), "%s: domain %s: %s: %s", c->uri, d->name, what,
			       msg);
	return log_err(errno_of(code), "%s: %s: %s", c->uri, what, msg);
}

/* The same for the last libvirt error of this thread. */
static int fail(const struct virt_conn *c, const struct virt_domain *d, const char *what)
{
	return fail_with(c, d, what, virGetLastErrorCode(), virGetLastErrorMessage());
}

static int lv_connect(const char *uri, unsigned flags, struct virt_conn **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct virt_conn *c;
	int code, err;

	pthread_once(&once, install_error_handler);
	if (!uri || !uri[0])
		return log_err(-EINVAL, "connect: empty libvirt URI");
	c = calloc(1, sizeof(*c));
	if (!c)
		return log_err(-ENOMEM, "connect %s: out of memory", uri);
	c->uri = strdup(uri);
	if (!c->uri) {
		err = log_err(-ENOMEM, "connect %s: out of memory", uri);
		goto fail_free;
	}
	c->conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault,
				     (flags & VIRT_CONNECT_RO) ? VIR_CONNECT_RO : 0);
	if (!c->conn) {
		code = virGetLastErrorCode();
		err = errno_of(code);
		/* errno_of() is about operations; a failed open means no daemon. */
		if (err == -EIO)
			err = -ECONNREFUSED;
		log_err(err, "cannot connect to %s: %s", uri, virGetLastErrorMessage());
		goto fail_uri;
	}
	*out = c;
	return 0;

fail_uri:
	free(c->uri);
fail_free:
	free(c);
	return err;
}

static void lv_close(struct virt_conn *c)
{
	if (!c)
		return;
	if (c->conn && virConnectClose(c->conn) < 0)
		log_debug("%s: virConnectClose: %s", c->uri, virGetLastErrorMessage());
	free(c->uri);
	free(c);
}

static const char *lv_uri(const struct virt_conn *c)
{
	return c->uri;
}

static void lv_free_domain(struct virt_domain *d)
{
	if (!d)
		return;
	if (d->dom)
		virDomainFree(d->dom);
	free(d->ctx);
	free(d->name);
	free(d);
}

static void lv_free_domains(struct virt_domain **doms, size_t n)
{
	size_t i;

	if (!doms)
		return;
	for (i = 0; i < n; i++)
		lv_free_domain(doms[i]);
	free(doms);
}

/*
 * Our handle for libvirt's @dom, which it takes over (freed with it, also
 * on error). Returns 0 and *@out, or -errno (logged).
 */
static int wrap_domain(struct virt_conn *c, virDomainPtr dom, struct virt_domain **out)
{
	struct virt_domain *d;
	const char *name;
	int err;

	name = virDomainGetName(dom);
	/* Log before freeing @dom: that resets libvirt's error, and @name is its. */
	if (!name) {
		err = fail(c, NULL, "virDomainGetName");
		virDomainFree(dom);
		return err;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		err = log_err(-ENOMEM, "%s: domain %s: out of memory", c->uri, name);
		virDomainFree(dom);
		return err;
	}
	d->dom = dom;
	d->c = c;
	d->name = strdup(name);
	if (!d->name || asprintf(&d->ctx, "%s: domain %s", c->uri, name) < 0) {
		d->ctx = NULL;                 /* asprintf leaves it undefined */
		err = log_err(-ENOMEM, "%s: domain %s: out of memory", c->uri, name);
		lv_free_domain(d);
		return err;
	}
	*out = d;
	return 0;
}

static int cmp_domain_name(const void *a, const void *b)
{
	const struct virt_domain *const *da = a, *const *db = b;

	return strcmp((*da)->name, (*db)->name);
}

static int lv_list_domains(struct virt_conn *c, struct virt_domain ***out, size_t *n)
{
	virDomainPtr *raw = NULL;
	struct virt_domain **doms = NULL;
	int nraw, i, err;

	nraw = virConnectListAllDomains(c->conn, &raw, 0);
	if (nraw < 0)
		return fail(c, NULL, "virConnectListAllDomains");
	if (nraw > 0) {
		doms = calloc((size_t)nraw, sizeof(*doms));
		if (!doms) {
			err = log_err(-ENOMEM, "%s: listing %d domains: out of memory", c->uri,
				      nraw);
			goto fail_raw;
		}
	}
	for (i = 0; i < nraw; i++) {
		virDomainPtr dom = raw[i];

		raw[i] = NULL;                 /* wrap_domain() owns it now, even on error */
		err = wrap_domain(c, dom, &doms[i]);
		if (err)
			goto fail_doms;
	}
	free(raw);
	if (nraw > 1)
		qsort(doms, (size_t)nraw, sizeof(*doms), cmp_domain_name);
	*out = doms;
	*n = (size_t)nraw;
	return 0;

fail_doms:
	lv_free_domains(doms, (size_t)nraw);
fail_raw:
	for (i = 0; i < nraw; i++) {
		if (raw[i])
			virDomainFree(raw[i]);
	}
	free(raw);
	return err;
}

static int lv_lookup_domain(struct virt_conn *c, const char *name, struct virt_domain **out)
{
	virDomainPtr dom;
	char what[320];

	dom = virDomainLookupByName(c->conn, name);
	if (!dom) {
		snprintf(what, sizeof(what), "virDomainLookupByName(%s)", name);
		return fail(c, NULL, what);
	}
	return wrap_domain(c, dom, out);
}

static int lv_create_transient(struct virt_conn *c, const char *xml, unsigned flags,
			       struct virt_domain **out)
{
	unsigned int lvflags = 0;
	virDomainPtr dom;

	if (flags & VIRT_CREATE_AUTODESTROY)
		lvflags |= VIR_DOMAIN_START_AUTODESTROY;
	dom = virDomainCreateXML(c->conn, xml, lvflags);
	if (!dom)
		return fail(c, NULL, "virDomainCreateXML");
	return wrap_domain(c, dom, out);
}

static int lv_destroy(struct virt_domain *d)
{
	if (virDomainDestroy(d->dom) < 0)
		return fail(d->c, d, "virDomainDestroy");
	return 0;
}

static int lv_domain_info(struct virt_domain *d, struct virt_dom_info *out)
{
	virDomainInfo info;
	unsigned int id;
	int maxv;

	if (virDomainGetInfo(d->dom, &info) < 0)
		return fail(d->c, d, "virDomainGetInfo");
	/* MAXIMUM with AFFECT_CURRENT: the live limit if running, else the config's. */
	maxv = virDomainGetVcpusFlags(d->dom, VIR_DOMAIN_VCPU_MAXIMUM);
	if (maxv < 0)
		return fail(d->c, d, "virDomainGetVcpusFlags(maximum)");
	id = virDomainGetID(d->dom);
	out->name = d->name;
	out->id = id == (unsigned int)-1 || id > INT_MAX ? -1 : (int)id;
	out->state = info.state;
	out->nvcpus = info.nrVirtCpu;
	out->max_vcpus = (unsigned)maxv;
	return 0;
}

static int lv_get_vcpu_pins(struct virt_domain *d, cpu_set_t *pins, size_t cap, size_t *n)
{
	unsigned char *maps;
	size_t i, got;
	int r, err = 0;

	*n = 0;
	if (cap == 0)
		return 0;
	if (cap > (size_t)(INT_MAX / MAPLEN))
		cap = INT_MAX / MAPLEN;
	maps = calloc(cap, MAPLEN);
	if (!maps)
		return log_err(-ENOMEM, "%s: domain %s: vCPU pinning: out of memory",
			       d->c->uri, d->name);
	r = virDomainGetVcpuPinInfo(d->dom, (int)cap, maps, MAPLEN, VIR_DOMAIN_AFFECT_CURRENT);
	if (r < 0) {
		err = fail(d->c, d, "virDomainGetVcpuPinInfo");
		goto out;
	}
	got = (size_t)r < cap ? (size_t)r : cap;
	for (i = 0; i < got; i++) {
		err = virtstats_cpumap_to_set(d->ctx, VIR_GET_CPUMAP(maps, MAPLEN, i), MAPLEN,
					      &pins[i]);
		if (err)
			goto out;
	}
	*n = got;
out:
	free(maps);
	return err;
}

static int lv_get_emulator_pin(struct virt_domain *d, cpu_set_t *out)
{
	unsigned char map[MAPLEN];
	int r;

	memset(map, 0, sizeof(map));
	r = virDomainGetEmulatorPinInfo(d->dom, map, MAPLEN, VIR_DOMAIN_AFFECT_CURRENT);
	if (r < 0)
		return fail(d->c, d, "virDomainGetEmulatorPinInfo");
	/* 0: the driver reports no emulator pinning; the map stays empty. */
	return virtstats_cpumap_to_set(d->ctx, map, MAPLEN, out);
}

/* vcpu < 0: the emulator threads. */
static int pin_call(struct virt_domain *d, int vcpu, unsigned char *map, int maplen,
		    unsigned int lvflags)
{
	if (vcpu < 0)
		return virDomainPinEmulator(d->dom, map, maplen, lvflags);
	return virDomainPinVcpuFlags(d->dom, (unsigned int)vcpu, map, maplen, lvflags);
}

static int pin_common(struct virt_domain *d, int vcpu, const cpu_set_t *cpus, unsigned flags)
{
	unsigned char map[MAPLEN];
	char list[CPULIST_FMT_LEN], what[CPULIST_FMT_LEN + 64], msg[512];
	unsigned int lvflags = 0;
	int maplen, code;

	cpulist_format(cpus, list, sizeof(list));
	if (vcpu < 0)
		snprintf(what, sizeof(what), "virDomainPinEmulator(CPUs %s)", list);
	else
		snprintf(what, sizeof(what), "virDomainPinVcpuFlags(vCPU %d, CPUs %s)", vcpu,
			 list);
	if (!(flags & (VIRT_AFFECT_LIVE | VIRT_AFFECT_CONFIG)))
		return log_err(-EINVAL, "%s: domain %s: %s: neither live nor config asked for",
			       d->c->uri, d->name, what);
	maplen = virtstats_set_to_cpumap(d->ctx, cpus, map, sizeof(map));
	if (maplen < 0)
		return maplen;
	if (maplen == 0)
		return log_err(-EINVAL, "%s: domain %s: %s: empty CPU set", d->c->uri, d->name,
			       what);
	if (flags & VIRT_AFFECT_LIVE)
		lvflags |= VIR_DOMAIN_AFFECT_LIVE;
	if (flags & VIRT_AFFECT_CONFIG)
		lvflags |= VIR_DOMAIN_AFFECT_CONFIG;
	if (pin_call(d, vcpu, map, maplen, lvflags) == 0)
		return 0;
	code = virGetLastErrorCode();
	if (flags != VIRT_AFFECT_LIVE || code != VIR_ERR_INVALID_ARG)
		return fail(d->c, d, what);
	/*
	 * Some drivers (libvirt's test driver for vCPUs) accept only
	 * VIR_DOMAIN_AFFECT_CURRENT, which libvirt defines as the live state
	 * for a running domain. Retry with it only when the domain runs, so
	 * that "live" never turns into "config".
	 */
	snprintf(msg, sizeof(msg), "%s", virGetLastErrorMessage());
	if (virDomainIsActive(d->dom) != 1)
		return fail_with(d->c, d, what, code, msg);
	if (pin_call(d, vcpu, map, maplen, VIR_DOMAIN_AFFECT_CURRENT) == 0)
		return 0;
	return fail(d->c, d, what);
}

static int lv_pin_vcpu(struct virt_domain *d, unsigned vcpu, const cpu_set_t *cpus,
		       unsigned flags)
{
	if (vcpu > INT_MAX)
		return log_err(-EINVAL, "%s: domain %s: no vCPU %u", d->c->uri, d->name, vcpu);
	return pin_common(d, (int)vcpu, cpus, flags);
}

static int lv_pin_emulator(struct virt_domain *d, const cpu_set_t *cpus, unsigned flags)
{
	return pin_common(d, -1, cpus, flags);
}

/* Typed parameters as our own records; the strings stay libvirt's. */
static int convert_params(const struct virt_domain *d, const virTypedParameter *lp, int n,
			  struct virtstats_param **out)
{
	struct virtstats_param *p;
	int i;

	*out = NULL;
	if (n <= 0)
		return 0;
	p = calloc((size_t)n, sizeof(*p));
	if (!p)
		return log_err(-ENOMEM, "%s: domain %s: %d statistics: out of memory",
			       d->c->uri, d->name, n);
	for (i = 0; i < n; i++) {
		p[i].name = lp[i].field;
		p[i].type = (enum virtstats_type)lp[i].type;
		switch (lp[i].type) {
		case VIR_TYPED_PARAM_INT:
			p[i].v.i = lp[i].value.i;
			break;
		case VIR_TYPED_PARAM_UINT:
			p[i].v.u = lp[i].value.ui;
			break;
		case VIR_TYPED_PARAM_LLONG:
			p[i].v.i = lp[i].value.l;
			break;
		case VIR_TYPED_PARAM_ULLONG:
			p[i].v.u = lp[i].value.ul;
			break;
		case VIR_TYPED_PARAM_DOUBLE:
			p[i].v.d = lp[i].value.d;
			break;
		case VIR_TYPED_PARAM_BOOLEAN:
			p[i].v.i = lp[i].value.b != 0;
			break;
		case VIR_TYPED_PARAM_STRING:
			p[i].v.s = lp[i].value.s;
			break;
		default:
			/* A type newer than this code: kept, and rejected if it is a field we use. */
			break;
		}
	}
	*out = p;
	return 0;
}

/* The host CPU each vCPU last ran on, where the driver knows it. Optional. */
static void fill_pcpus(struct virt_domain *d, struct virtstats_dom *out)
{
	virVcpuInfo *info;
	int r, i;

	if (out->nvcpus == 0 || out->nvcpus > INT_MAX)
		return;
	info = calloc(out->nvcpus, sizeof(*info));
	if (!info)
		return;
	r = virDomainGetVcpus(d->dom, info, (int)out->nvcpus, NULL, 0);
	if (r < 0) {
		log_debug("%s: domain %s: virDomainGetVcpus: %s (host CPUs not shown)",
			  d->c->uri, d->name, virGetLastErrorMessage());
		virResetLastError();
	}
	for (i = 0; i < r; i++) {
		if (info[i].number < out->nvcpus && info[i].cpu >= 0)
			out->vcpu[info[i].number].pcpu = info[i].cpu;
	}
	free(info);
}

static int lv_get_vcpu_stats(struct virt_domain *d, size_t nvcpus_hint,
			     struct virtstats_dom *out)
{
	virDomainPtr list[2] = { d->dom, NULL };
	virDomainStatsRecordPtr *recs = NULL;
	struct virtstats_param *p = NULL;
	int64_t t0, t1;
	int r, err;

	t0 = mono_ns();
	r = virDomainListGetStats(list, VIR_DOMAIN_STATS_VCPU, &recs, 0);
	t1 = mono_ns();
	if (r < 0)
		return fail(d->c, d, "virDomainListGetStats(vcpu)");
	if (r < 1 || !recs[0]) {
		err = log_err(-ENOENT, "%s: domain %s: virDomainListGetStats(vcpu): no record",
			      d->c->uri, d->name);
		goto out;
	}
	err = convert_params(d, recs[0]->params, recs[0]->nparams, &p);
	if (err)
		goto out;
	err = virtstats_parse(d->ctx, p, recs[0]->nparams > 0 ? (size_t)recs[0]->nparams : 0,
			      nvcpus_hint, out);
	if (err)
		goto out;
	out->t_ns = t0 + (t1 - t0) / 2;
	fill_pcpus(d, out);
out:
	free(p);
	if (recs)
		virDomainStatsRecordListFree(recs);
	return err;
}

static const struct virt_ops libvirt_ops = {
	.name = "libvirt",
	.connect = lv_connect,
	.close = lv_close,
	.uri = lv_uri,
	.list_domains = lv_list_domains,
	.free_domains = lv_free_domains,
	.lookup_domain = lv_lookup_domain,
	.free_domain = lv_free_domain,
	.create_transient = lv_create_transient,
	.destroy = lv_destroy,
	.domain_info = lv_domain_info,
	.get_vcpu_pins = lv_get_vcpu_pins,
	.get_emulator_pin = lv_get_emulator_pin,
	.pin_vcpu = lv_pin_vcpu,
	.pin_emulator = lv_pin_emulator,
	.get_vcpu_stats = lv_get_vcpu_stats,
};

const struct virt_ops *virt_libvirt_ops(void)
{
	return &libvirt_ops;
}
