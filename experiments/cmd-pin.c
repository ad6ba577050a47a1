/*
 * cmd-pin: `stealscope pin`: pin one vCPU, or the emulator threads, of a
 * libvirt domain to a set of host CPUs, live (the default) and/or in its
 * persistent definition (--config), then read the pinning back, print it
 * and fail when it is not what was asked. Without --cpus it only prints the
 * pinning, over a read-only connection.
 *
 * It works on any libvirt URI: the CPU list names CPUs of the host libvirt
 * manages, so it is checked against this machine's online CPUs only when
 * the URI is this machine's hypervisor; elsewhere libvirt judges it. All
 * libvirt access goes through struct virt_ops (host-tools/virt.h), and the
 * reading goes through virt_view_read(), the same as virt-vcpus (which
 * adds the per-vCPU statistics). It never changes more than the one
 * pinning asked for.
 */
#include "experiments/commands.h"

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "host-tools/virt.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	PIN_OPT_CPUS = 256,
	PIN_OPT_VCPU,
	PIN_OPT_EMULATOR,
	PIN_OPT_LIVE,
	PIN_OPT_CONFIG,
};

struct pin_config {
	const char *uri;
	const char *domain;
	int64_t vcpu;                  /* -1: not given */
	int emulator;                  /* --emulator */
	int has_cpus;                  /* 0: only print the pinning */
	cpu_set_t cpus;
	unsigned flags;                /* VIRT_AFFECT_*; 0 until given */
};

static void pin_usage(void)
{
	printf("Usage: stealscope pin --domain NAME (--vcpu N | --emulator) --cpus LIST\n"
	       "                      [--live] [--config] [--connect URI]\n"
	       "       stealscope pin --domain NAME [--connect URI]\n"
	       "Pin one vCPU, or the emulator threads (everything of the domain's process but\n"
	       "its vCPUs and iothreads), of a libvirt domain to host CPUs; then read the\n"
	       "pinning back and print every vCPU's and the emulator's. Without --cpus, only\n"
	       "print it (read-only). `virt-vcpus` shows it with per-vCPU run delay.\n"
	       "\n"
	       "  -c, --connect URI  libvirt URI (default %s; remote URIs such as\n"
	       "                     qemu+ssh://host/system work the same way)\n"
	       "  -d, --domain NAME  the domain\n"
	       "      --vcpu N       pin vCPU N (0 is the first)\n"
	       "      --emulator     pin the emulator threads\n"
	       "      --cpus LIST    the host CPUs to allow, e.g. 0,2-3: CPUs of the host the\n"
	       "                     URI names (checked against this machine's online CPUs\n"
	       "                     only when the URI is this machine's)\n"
	       "      --live         pin the running domain now (the default)\n"
	       "      --config       pin in its persistent definition, from its next start;\n"
	       "                     with --live, both\n"
	       "  -h, --help         show this help and exit\n"
	       "  -V, --version      show the version and exit\n"
	       "\n"
	       "The pinning read back is the live one when the domain runs, else its\n"
	       "definition's; --config alone on a running domain cannot be read back and\n"
	       "is said so.\n"
	       "\n"
	       "Exit status: 0 ok, 1 failure (also: the pinning read back is not the one\n"
	       "asked for, live pinning of a domain that does not run, no write access),\n"
	       "2 usage error (also: no such domain or vCPU, a CPU not online here),\n"
	       "4 no libvirt daemon answers.\n", VIRT_DEFAULT_URI);
}

/*
 * Whether @uri is a hypervisor on this machine, whose CPUs are ours: no
 * host and no network transport ("qemu:///system", "qemu+unix:///system").
 * A remote URI ("qemu+ssh://host/system") names another machine's CPUs,
 * libvirt's test driver ("test:///default") simulates a host of its own
 * (16 CPUs), and an alias from libvirt.conf (no "://") may be anything:
 * their CPU lists are left to libvirt.
 */
static int uri_is_this_host(const char *uri)
{
	const char *sep = strstr(uri, "://");
	const char *plus, *host;
	size_t scheme_len;

	if (!sep)
		return 0;
	scheme_len = (size_t)(sep - uri);
	plus = memchr(uri, '+', scheme_len);
	if (plus && strncmp(plus, "+unix://", 8))
		return 0;
	if ((size_t)((plus ? plus : sep) - uri) == 4 && !strncmp(uri, "test", 4))
		return 0;
	host = sep + 3;
	return *host == '\0' || *host == '/' || *host == '?';
}

/* Returns -1 to go on, or the exit code. */
static int pin_parse_args(int argc, char **argv, struct pin_config *cfg)
{
	static const struct option longopts[] = {
		VIRT_TARGET_LONGOPTS,
		{ "vcpu", required_argument, NULL, PIN_OPT_VCPU },
		{ "emulator", no_argument, NULL, PIN_OPT_EMULATOR },
		{ "cpus", required_argument, NULL, PIN_OPT_CPUS },
		{ "live", no_argument, NULL, PIN_OPT_LIVE },
		{ "config", no_argument, NULL, PIN_OPT_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->uri = VIRT_DEFAULT_URI;
	cfg->vcpu = -1;
	optind = 0;                    /* a fresh getopt scan of this subcommand's argv */
	while ((opt = virt_target_getopt(argc, argv, ":" VIRT_TARGET_SHORTOPTS "hV", longopts,
					 &cfg->uri, &cfg->domain, &rc)) != -1) {
		switch (opt) {
		case PIN_OPT_VCPU:
			if (parse_i64("--vcpu", optarg, 0, VIRTSTATS_MAX_VCPUS - 1, &cfg->vcpu))
				return cli_usage_hint();
			break;
		case PIN_OPT_EMULATOR:
			cfg->emulator = 1;
			break;
		case PIN_OPT_CPUS:
			if (parse_cpulist("--cpus", optarg, &cfg->cpus))
				return cli_usage_hint();
			cfg->has_cpus = 1;
			break;
		case PIN_OPT_LIVE:
			cfg->flags |= VIRT_AFFECT_LIVE;
			break;
		case PIN_OPT_CONFIG:
			cfg->flags |= VIRT_AFFECT_CONFIG;
			break;
		default:
			return cli_common_option(opt, argv, pin_usage, "stealscope");
		}
	}
	if (rc)
		return rc;
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (!cfg->domain)
		return cli_usage_error("missing --domain NAME");
	if (cfg->vcpu >= 0 && cfg->emulator)
		return cli_usage_error("--vcpu and --emulator exclude each other");
	if (!cfg->has_cpus) {
		if (cfg->vcpu >= 0 || cfg->emulator || cfg->flags)
			return cli_usage_error("%s needs --cpus LIST (without it, pin only prints "
					       "the pinning)", cfg->emulator ? "--emulator" :
					       cfg->vcpu >= 0 ? "--vcpu" : cfg->flags &
					       VIRT_AFFECT_LIVE ? "--live" : "--config");
		return -1;
	}
	if (cfg->vcpu < 0 && !cfg->emulator)
		return cli_usage_error("--cpus needs --vcpu N or --emulator (what to pin)");
	if (uri_is_this_host(cfg->uri) && cpulist_check_online("--cpus", &cfg->cpus, NULL))
		return cli_usage_hint();
	if (!cfg->flags)
		cfg->flags = VIRT_AFFECT_LIVE;
	return -1;
}

/*
 * The pinning of @v on @f: a domain line, then "vcpu N  LIST" per vCPU and
 * "emulator  LIST" ("-" where the driver reports none).
 */
static int pin_print(FILE *f, const char *uri, const struct virt_dom_view *v)
{
	char list[CPULIST_FMT_LEN];
	size_t i;

	fprintf(f, "%s: domain %s", uri, v->info.name);
	if (v->info.id >= 0)
		fprintf(f, " (id %d, %s): live pinning\n", v->info.id,
			virt_dom_state_name(v->info.state));
	else
		fprintf(f, " (%s): pinning of its definition\n",
			virt_dom_state_name(v->info.state));
	for (i = 0; i < v->npins; i++)
		fprintf(f, "  vcpu %-5zu %s\n", i, cpulist_format(&v->pins[i], list, sizeof(list)));
	fprintf(f, "  %-10s %s\n", "emulator",
		CPU_COUNT(&v->emulator_pin) ? cpulist_format(&v->emulator_pin, list, sizeof(list))
					    : "-");
	if (fflush(f) || ferror(f))
		return log_err(-EIO, "write stdout: %s", strerror(errno));
	return 0;
}

/* What the connection attempt's failure means for the user; the exit code. */
static int pin_connect_failed(int rc, const char *uri, int writing)
{
	if (rc == -EACCES) {
		if (writing)
			log_info("pinning needs write access to %s: run as root on that host, or "
				 "as a member of its libvirt group", uri);
		return EXIT_FAIL;
	}
	log_info("no libvirt daemon answers for %s: start it (on that host) with "
		 "scripts/libvirtd.sh start, or: virtlogd -d && libvirtd -d", uri);
	return EXIT_UNSUPPORTED;
}

/* Refuse what libvirt would refuse less clearly. Returns 0 or the exit code (said). */
static int pin_check_target(const struct pin_config *cfg, const struct virt_dom_info *info)
{
	unsigned limit = info->max_vcpus > info->nvcpus ? info->max_vcpus : info->nvcpus;

	if (cfg->vcpu >= (int64_t)limit) {
		if (info->max_vcpus > info->nvcpus)
			return log_err(EXIT_USAGE, "%s: domain %s has %u vCPUs (at most %u): no "
				       "vCPU %lld (they are numbered from 0)", cfg->uri,
				       cfg->domain, info->nvcpus, info->max_vcpus,
				       (long long)cfg->vcpu);
		return log_err(EXIT_USAGE, "%s: domain %s has %u vCPU%s: no vCPU %lld (they "
			       "are numbered from 0)", cfg->uri, cfg->domain, limit,
			       limit == 1 ? "" : "s", (long long)cfg->vcpu);
	}
	if ((cfg->flags & VIRT_AFFECT_LIVE) && info->id < 0)
		return log_err(EXIT_FAIL, "%s: domain %s is not running (%s): live pinning needs "
			       "a running domain; --config alone changes its definition",
			       cfg->uri, cfg->domain, virt_dom_state_name(info->state));
	return 0;
}

/* Pin as @cfg asks. Returns 0 or the exit code (said). */
static int pin_apply(const struct virt_ops *ops, struct virt_domain *d,
		     const struct pin_config *cfg)
{
	int rc;

	if (cfg->emulator)
		rc = ops->pin_emulator(d, &cfg->cpus, cfg->flags);
	else
		rc = ops->pin_vcpu(d, (unsigned)cfg->vcpu, &cfg->cpus, cfg->flags);
	if (rc == -EPERM || rc == -EACCES)
		log_info("this connection to %s may not change domains (read-only access): "
			 "pinning needs root or the libvirt group on that host", cfg->uri);
	return rc ? EXIT_FAIL : 0;
}

/*
 * Compare the pinning read back (@v) with what was asked. Returns 0 or the
 * exit code (said).
 */
static int pin_verify(const struct pin_config *cfg, const struct virt_dom_view *v)
{
	char want[CPULIST_FMT_LEN], got[CPULIST_FMT_LEN];
	const cpu_set_t *now;

	if (v->info.id >= 0 && !(cfg->flags & VIRT_AFFECT_LIVE)) {
		/* virt_ops reads the live pinning of a running domain, not its definition. */
		log_warn("--config changed the definition of running domain %s (from its next "
			 "start), which cannot be read back here; the live pinning above is as "
			 "it was", cfg->domain);
		return 0;
	}
	if (cfg->emulator) {
		now = &v->emulator_pin;
	} else if ((size_t)cfg->vcpu < v->npins) {
		now = &v->pins[cfg->vcpu];
	} else {
		return log_err(EXIT_FAIL, "%s: domain %s: vCPU %lld is not in the pinning read "
			       "back (%zu vCPUs)", cfg->uri, cfg->domain, (long long)cfg->vcpu,
			       v->npins);
	}
	if (CPU_EQUAL(now, &cfg->cpus))
		return 0;
	cpulist_format(&cfg->cpus, want, sizeof(want));
	cpulist_format(now, got, sizeof(got));
	if (cfg->emulator)
		return log_err(EXIT_FAIL, "%s: domain %s: the emulator threads are pinned to "
			       "CPUs %s after pinning them to %s", cfg->uri, cfg->domain,
			       got[0] ? got : "(none reported)", want);
	return log_err(EXIT_FAIL, "%s: domain %s: vCPU %lld is pinned to CPUs %s after pinning "
		       "it to %s", cfg->uri, cfg->domain, (long long)cfg->vcpu,
		       got[0] ? got : "(none reported)", want);
}

static int pin_run(const struct virt_ops *ops, struct virt_conn *c,
		   const struct pin_config *cfg)
{
	struct virt_domain *d = NULL;
	struct virt_dom_view v;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = ops->lookup_domain(c, cfg->domain, &d);
	if (rc == -ENOENT)
		return cli_usage_hint();
	if (rc)
		return EXIT_FAIL;
	if (virt_view_read(ops, d, &v)) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (cfg->has_cpus) {
		rc = pin_check_target(cfg, &v.info);
		if (!rc)
			rc = pin_apply(ops, d, cfg);
		if (rc)
			goto out;
		virt_view_free(&v);
		if (virt_view_read(ops, d, &v)) {
			rc = EXIT_FAIL;
			goto out;
		}
	}
	rc = pin_print(stdout, cfg->uri, &v) ? EXIT_FAIL : EXIT_OK;
	if (cfg->has_cpus && pin_verify(cfg, &v))
		rc = EXIT_FAIL;
out:
	virt_view_free(&v);
	ops->free_domain(d);
	return rc;
}

int cmd_pin(int argc, char **argv)
{
	const struct virt_ops *ops = virt_libvirt_ops();
	struct pin_config cfg;
	struct virt_conn *c;
	int rc;

	rc = pin_parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	rc = ops->connect(cfg.uri, cfg.has_cpus ? 0 : VIRT_CONNECT_RO, &c);
	if (rc)
		return pin_connect_failed(rc, cfg.uri, cfg.has_cpus);
	rc = pin_run(ops, c, &cfg);
	ops->close(c);
	return rc;
}
