/*
 * virt: what callers build from struct virt_ops (see virt.h): state names,
 * the vCPU listing of virt-vcpus and the Prometheus vCPU series of
 * vcpu-sampler and stealscope watch. Everything here goes through the ops,
 * so a fake set of ops drives it in the unit tests; it never includes
 * libvirt, and the renderer never calls an op.
 */
#include "host-tools/virt.h"

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/promexp.h"
#include "common/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *virt_dom_state_name(int state)
{
	switch (state) {
	case VIRT_DOM_NOSTATE:
		return "no state";
	case VIRT_DOM_RUNNING:
		return "running";
	case VIRT_DOM_BLOCKED:
		return "blocked";
	case VIRT_DOM_PAUSED:
		return "paused";
	case VIRT_DOM_SHUTDOWN:
		return "shutting down";
	case VIRT_DOM_SHUTOFF:
		return "shut off";
	case VIRT_DOM_CRASHED:
		return "crashed";
	case VIRT_DOM_PMSUSPENDED:
		return "suspended";
	default:
		return "?";
	}
}

const char *virt_vcpu_state_name(int state)
{
	switch (state) {
	case VIRTSTATS_VCPU_OFFLINE:
		return "offline";
	case VIRTSTATS_VCPU_RUNNING:
		return "running";
	case VIRTSTATS_VCPU_BLOCKED:
		return "blocked";
	default:
		return "?";
	}
}

void virt_view_free(struct virt_dom_view *v)
{
	free(v->pins);
	free(v->buf[0]);
	free(v->buf[1]);
	memset(v, 0, sizeof(*v));
}

int virt_view_read(const struct virt_ops *ops, struct virt_domain *d, struct virt_dom_view *v)
{
	size_t n;
	int i, rc;

	memset(v, 0, sizeof(*v));
	rc = ops->domain_info(d, &v->info);
	if (rc)
		return rc;
	n = v->info.max_vcpus > v->info.nvcpus ? v->info.max_vcpus : v->info.nvcpus;
	if (n > VIRTSTATS_MAX_VCPUS)
		return log_err(-ERANGE, "domain %s: %zu vCPUs, more than %d", v->info.name, n,
			       VIRTSTATS_MAX_VCPUS);
	v->cap = n ? n : 1;
	v->pins = calloc(v->cap, sizeof(*v->pins));
	v->buf[0] = calloc(v->cap, sizeof(*v->buf[0]));
	v->buf[1] = calloc(v->cap, sizeof(*v->buf[1]));
	if (!v->pins || !v->buf[0] || !v->buf[1])
		return log_err(-ENOMEM, "domain %s: out of memory", v->info.name);
	for (i = 0; i < 2; i++)
		virtstats_dom_init(&v->sample[i], v->buf[i], v->cap);
	rc = ops->get_vcpu_pins(d, v->pins, n, &v->npins);
	if (rc)
		return rc;
	CPU_ZERO(&v->emulator_pin);
	return ops->get_emulator_pin(d, &v->emulator_pin);
}

int virt_view_sample(const struct virt_ops *ops, struct virt_domain *d,
		     struct virt_dom_view *v)
{
	struct virtstats_dom tmp;
	int slot, rc;

	if (v->info.id < 0)
		return 0;                      /* not running: no vCPU threads to measure */
	if (v->nsamples == 2) {
		tmp = v->sample[0];
		v->sample[0] = v->sample[1];
		v->sample[1] = tmp;
		v->nsamples = 1;
	}
	slot = v->nsamples;
	virtstats_dom_init(&v->sample[slot], v->sample[slot].vcpu, v->cap);
	rc = ops->get_vcpu_stats(d, v->info.nvcpus, &v->sample[slot]);
	if (rc)
		return rc;
	v->nsamples++;
	return 0;
}

static void print_pct(FILE *f, unsigned present, unsigned field, double pct)
{
	if (present & field)
		fprintf(f, " %7.1f", pct);
	else
		fprintf(f, " %7s", "-");
}

/* One line per per-vCPU field that some reported vCPU (or every vCPU) lacks. */
static void print_missing(FILE *f, const struct virtstats_dom *s)
{
	static const unsigned fields[] = {
		VIRTSTATS_F_STATE, VIRTSTATS_F_TIME, VIRTSTATS_F_DELAY, VIRTSTATS_F_WAIT,
	};
	char list[CPULIST_FMT_LEN];
	cpu_set_t lacking;
	size_t i, k, nlacking;

	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		if (!(s->missing & fields[k]))
			continue;
		CPU_ZERO(&lacking);
		nlacking = 0;
		for (i = 0; i < s->nvcpus; i++) {
			if (!s->vcpu[i].present || (s->vcpu[i].present & fields[k]))
				continue;
			nlacking++;
			if (i < CPU_SETSIZE)
				CPU_SET(i, &lacking);
		}
		if (s->nreported == 0 || nlacking == s->nreported)
			fprintf(f, "  %s not reported by this driver\n",
				virtstats_field_name(fields[k]));
		else
			fprintf(f, "  %s not reported for vCPU %s\n",
				virtstats_field_name(fields[k]),
				cpulist_format(&lacking, list, sizeof(list)));
	}
}

int virt_view_print(FILE *f, const struct virt_dom_view *v)
{
	const struct virtstats_dom *last = v->nsamples ? &v->sample[v->nsamples - 1] : NULL;
	const struct virtstats_vcpu *vc;
	struct virtstats_rates r;
	char list[CPULIST_FMT_LEN];
	size_t i, rows;
	unsigned rated = 0;
	char pcpu[16];

	fprintf(f, "domain %s", v->info.name);
	if (v->info.id >= 0)
		fprintf(f, " (id %d, %s)", v->info.id, virt_dom_state_name(v->info.state));
	else
		fprintf(f, " (%s)", virt_dom_state_name(v->info.state));
	fprintf(f, ": %u vCPU%s (max %u)\n", v->info.nvcpus, v->info.nvcpus == 1 ? "" : "s",
		v->info.max_vcpus);
	if (CPU_COUNT(&v->emulator_pin))
		fprintf(f, "  emulator threads on CPUs %s\n",
			cpulist_format(&v->emulator_pin, list, sizeof(list)));
	else
		fprintf(f, "  emulator pinning not reported\n");
	rows = v->npins;
	if (v->info.nvcpus > rows)
		rows = v->info.nvcpus;
	if (last && last->nvcpus > rows)
		rows = last->nvcpus;
	fprintf(f, "  %-5s %-8s %-8s %7s %7s %7s  %s\n", "vCPU", "state", "host-CPU", "time%",
		"delay%", "wait%", "pinned-to");
	for (i = 0; i < rows; i++) {
		vc = last && i < last->nvcpus ? &last->vcpu[i] : NULL;
		memset(&r, 0, sizeof(r));
		if (v->nsamples == 2)
			virtstats_vcpu_rates(&v->sample[0], &v->sample[1], i, &r);
		rated |= r.present;
		if (vc && vc->pcpu >= 0)
			snprintf(pcpu, sizeof(pcpu), "%d", vc->pcpu);
		else
			snprintf(pcpu, sizeof(pcpu), "-");
		fprintf(f, "  %-5zu %-8s %-8s", i,
			vc && (vc->present & VIRTSTATS_F_STATE) ? virt_vcpu_state_name(vc->state)
								: "-",
			pcpu);
		print_pct(f, r.present, VIRTSTATS_F_TIME, r.time_pct);
		print_pct(f, r.present, VIRTSTATS_F_DELAY, r.delay_pct);
		print_pct(f, r.present, VIRTSTATS_F_WAIT, r.wait_pct);
		fprintf(f, "  %s\n", i < v->npins ? cpulist_format(&v->pins[i], list, sizeof(list))
						 : "-");
	}
	if (v->info.id < 0)
		fprintf(f, "  no vCPU statistics: the domain is not running\n");
	else if (last)
		print_missing(f, last);
	if (rated)
		fprintf(f, "  rates in %% of %.3f s wall time\n",
			(double)(v->sample[1].t_ns - v->sample[0].t_ns) / 1e9);
	return ferror(f) ? -EIO : 0;
}

const struct virt_prom_family virt_prom_families[VIRT_PROM_NFAMILIES] = {
	[VIRT_PROM_TIME] = { VIRTSTATS_F_TIME, "stealscope_vcpu_run_seconds_total",
		"Time the vCPU thread ran on a host CPU, seconds (libvirt vcpu.N.time, or the "
		"thread's schedstat)." },
	[VIRT_PROM_DELAY] = { VIRTSTATS_F_DELAY, "stealscope_vcpu_delay_seconds_total",
		"Time the vCPU thread was runnable but waited for a host CPU (run delay: what a "
		"KVM guest is told as steal time), seconds (libvirt vcpu.N.delay, or the "
		"thread's schedstat)." },
	[VIRT_PROM_WAIT] = { VIRTSTATS_F_WAIT, "stealscope_vcpu_wait_seconds_total",
		"libvirt's vcpu.N.wait: time the vCPU wanted to run while the host ran something "
		"else, seconds (only where the driver reports it)." },
};

const char *virt_prom_host(const char *uri)
{
	return uri ? uri : VIRT_DEFAULT_URI;
}

int virt_prom_vcpus(struct promexp *p, const struct virt_prom_family *fam, const char *uri,
		    const char *domain, const struct virtstats_vcpu *v, size_t n)
{
	char vcpu[24];
	const struct promexp_label l[] = {
		{ "host", virt_prom_host(uri) }, { "domain", domain }, { "vcpu", vcpu },
	};
	uint64_t ns;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(v[i].present & fam->field))
			continue;
		ns = fam->field == VIRTSTATS_F_TIME ? v[i].time_ns :
		     fam->field == VIRTSTATS_F_DELAY ? v[i].delay_ns : v[i].wait_ns;
		snprintf(vcpu, sizeof(vcpu), "%zu", i);
		promexp_sample(p, l, 3, (double)ns / NS_PER_SEC);
	}
	return p->err;
}

int virt_check_uri_arg(const char *opt, const char *uri)
{
	return uri[0] ? 0 : cli_usage_error("%s: empty URI", opt);
}

int virt_target_getopt(int argc, char *const argv[], const char *shortopts,
		       const struct option *longopts, const char **uri, const char **domain,
		       int *rc)
{
	int opt;

	*rc = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) == 'c' || opt == 'd') {
		if (opt == 'c')
			*rc = virt_check_uri_arg("--connect", optarg);
		else if (!optarg[0])
			*rc = cli_usage_error("--domain: empty name");
		if (*rc)
			return -1;
		*(opt == 'c' ? uri : domain) = optarg;
	}
	return opt;
}
