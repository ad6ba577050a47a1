/*
 * virt-vcpus: list the domains of a libvirt URI with their vCPUs: where each
 * vCPU may run (pinning), where the emulator threads may run, which host
 * CPU each vCPU was last on, and how much CPU time, run delay (the steal a
 * KVM guest sees) and wait each vCPU accrued over --interval, from two
 * samples of libvirt's per-vCPU statistics. Fields the driver does not
 * report are named, not shown as zero.
 *
 * It only reads: the connection is read-only, so it can never change a
 * pinning. All libvirt access goes through struct virt_ops (host-tools/virt.h).
 */
#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"
#include "host-tools/virt.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INTERVAL_NS (3600 * NS_PER_SEC)

struct vv_config {
	const char *uri;
	const char *domain;            /* NULL: every domain */
	int64_t interval_ns;           /* 0: one sample, no rates */
};

static void usage(void)
{
	printf("Usage: virt-vcpus [OPTION]...\n"
	       "List libvirt domains with their vCPUs: pinning, emulator pinning, the host\n"
	       "CPU each vCPU last ran on, and per-vCPU time, run delay (what a KVM guest\n"
	       "sees as steal) and wait in %% of wall time, measured over --interval.\n"
	       "Statistics fields the driver does not report are named.\n"
	       "\n"
	       "  -c, --connect URI    libvirt URI (default %s; remote URIs such as\n"
	       "                       qemu+ssh://host/system work the same way)\n"
	       "  -d, --domain NAME    only this domain\n"
	       "  -i, --interval DUR   measure rates over DUR (default 1s, at least 1ms;\n"
	       "                       units ns, us, ms, s; 0: no rates)\n"
	       "  -h, --help           show this help and exit\n"
	       "  -V, --version        show the version and exit\n"
	       "\n"
	       "Exit status: 0 ok, 1 failure, 2 usage error, 4 no libvirt connection.\n",
	       VIRT_DEFAULT_URI);
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct vv_config *cfg)
{
	static const struct option longopts[] = {
		VIRT_TARGET_LONGOPTS,
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	cfg->uri = VIRT_DEFAULT_URI;
	cfg->domain = NULL;
	cfg->interval_ns = NS_PER_SEC;
	while ((opt = virt_target_getopt(argc, argv, ":" VIRT_TARGET_SHORTOPTS "i:hV", longopts,
					 &cfg->uri, &cfg->domain, &rc)) != -1) {
		switch (opt) {
		case 'i':
			if (parse_duration_ns("--interval", optarg, 0, MAX_INTERVAL_NS,
					      &cfg->interval_ns))
				return cli_usage_hint();
			if (cfg->interval_ns > 0 && cfg->interval_ns < NS_PER_MS)
				return cli_usage_error("--interval: %s is below 1ms (0 for no rates)",
						       optarg);
			break;
		default:
			return cli_common_option(opt, argv, usage, "virt-vcpus");
		}
	}
	if (rc)
		return rc;
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	return -1;
}

/* Sleep until @deadline_ns; 0, or -EINTR once SIGINT/SIGTERM arrived. */
static int wait_until(int64_t deadline_ns)
{
	while (sleep_until_ns(deadline_ns) == -EINTR) {
		if (cli_stop_requested())
			return -EINTR;
	}
	return 0;
}

struct vv_run {
	const struct virt_ops *ops;
	struct virt_domain **doms;
	size_t ndoms;
	struct virt_dom_view *views;
	int *ok;                       /* per domain: selected and read */
	int failed;
};

/* Pick the domains (all, or the one named) and read their listings. */
static int read_views(struct vv_run *r, const struct vv_config *cfg)
{
	struct virt_dom_info info;
	size_t i, nsel = 0;

	for (i = 0; i < r->ndoms; i++) {
		if (cfg->domain) {
			if (r->ops->domain_info(r->doms[i], &info)) {
				r->failed = 1;
				continue;
			}
			if (strcmp(info.name, cfg->domain))
				continue;
		}
		nsel++;
		if (virt_view_read(r->ops, r->doms[i], &r->views[i])) {
			r->failed = 1;
			continue;
		}
		r->ok[i] = 1;
	}
	if (cfg->domain && nsel == 0 && !r->failed)
		return log_err(-ENOENT, "%s: no domain named '%s'", cfg->uri, cfg->domain);
	return 0;
}

static void sample_views(struct vv_run *r)
{
	size_t i;

	for (i = 0; i < r->ndoms; i++) {
		if (r->ok[i] && virt_view_sample(r->ops, r->doms[i], &r->views[i]))
			r->failed = 1;
	}
}

static int print_views(struct vv_run *r)
{
	size_t i;
	int first = 1;

	for (i = 0; i < r->ndoms; i++) {
		if (!r->ok[i])
			continue;
		if (!first)
			putchar('\n');
		first = 0;
		virt_view_print(stdout, &r->views[i]);
	}
	if (fflush(stdout) || ferror(stdout))
		return log_err(-EIO, "write stdout: %s", strerror(errno));
	return 0;
}

static int run(const struct vv_config *cfg, struct virt_conn *c, const struct virt_ops *ops)
{
	struct vv_run r;
	int64_t start;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.ops = ops;
	if (ops->list_domains(c, &r.doms, &r.ndoms))
		return EXIT_FAIL;
	if (r.ndoms == 0) {
		log_info("%s: no domains", cfg->uri);
		return EXIT_OK;
	}
	r.views = calloc(r.ndoms, sizeof(*r.views));
	r.ok = calloc(r.ndoms, sizeof(*r.ok));
	if (!r.views || !r.ok) {
		rc = log_err(EXIT_FAIL, "out of memory");
		goto out;
	}
	rc = read_views(&r, cfg);
	if (rc) {
		rc = EXIT_FAIL;
		goto out;
	}
	start = mono_ns();
	sample_views(&r);
	if (cfg->interval_ns > 0 && wait_until(start + cfg->interval_ns) == 0)
		sample_views(&r);
	rc = (print_views(&r) || r.failed) ? EXIT_FAIL : EXIT_OK;
out:
	if (r.views) {
		for (i = 0; i < r.ndoms; i++)
			virt_view_free(&r.views[i]);
	}
	free(r.views);
	free(r.ok);
	ops->free_domains(r.doms, r.ndoms);
	return rc;
}

int main(int argc, char **argv)
{
	const struct virt_ops *ops = virt_libvirt_ops();
	struct vv_config cfg;
	struct virt_conn *c;
	int rc;

	log_init(argv[0]);
	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (cli_install_stop_handlers())
		return EXIT_FAIL;
	if (ops->connect(cfg.uri, VIRT_CONNECT_RO, &c)) {
		log_info("is the libvirt daemon running for %s? Start it (on that host) with: "
			 "virtlogd -d && libvirtd -d", cfg.uri);
		return EXIT_UNSUPPORTED;
	}
	rc = run(&cfg, c, ops);
	ops->close(c);
	return rc;
}
