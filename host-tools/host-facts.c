/*
 * host-facts: print what stealscope knows about this host (kernel, CPU
 * model, online CPUs, KVM module, whether /dev/kvm opens and why not), as
 * readable lines or as the JSON object that meta.json carries. With
 * --monotonic-ns it prints CLOCK_MONOTONIC instead, so that a shell script
 * can hand the tools it starts one common --t0.
 *
 * It only reports: it never loads modules, never changes permissions and
 * never keeps /dev/kvm open (common/hostinfo.c probes and closes it). An
 * unusable /dev/kvm is a fact, not a failure: the exit code stays 0.
 */
#include "common/cli.h"
#include "common/hostinfo.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct hf_config {
	const char *root;              /* "" for the real system */
	int json;
	int monotonic_ns;              /* --monotonic-ns: print the clock and stop */
};

static void usage(void)
{
	printf("Usage: host-facts [OPTION]...\n"
	       "Print the host facts stealscope records: kernel, CPU model, online\n"
	       "CPUs, the KVM module in use and whether /dev/kvm can be opened.\n"
	       "\n"
	       "  -r, --root DIR   read proc/, sys/ and dev/ under DIR (test fixtures;\n"
	       "                   the kernel line always describes the running kernel)\n"
	       "  -j, --json       print one JSON object {\"host\": {...}} instead\n"
	       "  -m, --monotonic-ns\n"
	       "                   print CLOCK_MONOTONIC now in ns and exit (a common\n"
	       "                   --t0 for tools a script starts together)\n"
	       "  -h, --help       show this help and exit\n"
	       "  -V, --version    show the version and exit\n"
	       "\n"
	       "Short options mean the same in every stealscope measurement tool\n"
	       "(-r is --root in the samplers too).\n");
}

/* 1 when <@root>/@sub is a directory. */
static int has_dir(const char *root, const char *sub)
{
	char path[PATH_MAX];
	struct stat sb;
	int n = snprintf(path, sizeof(path), "%s/%s", root, sub);

	return n > 0 && (size_t)n < sizeof(path) && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct hf_config *cfg)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "monotonic-ns", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat sb;
	int opt;

	cfg->root = "";
	cfg->json = 0;
	cfg->monotonic_ns = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":r:jmhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			cfg->root = optarg;
			break;
		case 'j':
			cfg->json = 1;
			break;
		case 'm':
			cfg->monotonic_ns = 1;
			break;
		default:
			return cli_common_option(opt, argv, usage, "host-facts");
		}
	}
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (cfg->root[0]) {
		if (stat(cfg->root, &sb))
			return cli_usage_error("--root %s: %s", cfg->root, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			return cli_usage_error("--root %s: not a directory", cfg->root);
		/* Else every fact would read "unknown", which looks like an answer. */
		if (!has_dir(cfg->root, "proc") && !has_dir(cfg->root, "sys"))
			return cli_usage_error("--root %s: no proc/ or sys/ under it", cfg->root);
	}
	return -1;
}

static void print_lines(const struct hostinfo *h)
{
	printf("kernel:         %s\n", h->kernel);
	printf("machine:        %s\n", h->machine);
	printf("cpu_model:      %s\n", h->cpu_model);
	printf("cpus_online:    %s (%d)\n", h->cpus_online, h->ncpus_online);
	printf("kvm_module:     %s\n", h->kvm_module);
	if (h->kvm_dev_usable)
		printf("kvm_dev:        usable (/dev/kvm opens read-write)\n");
	else
		printf("kvm_dev:        not usable (/dev/kvm: %s)\n", h->kvm_dev_error);
}

static int print_json(const struct hostinfo *h)
{
	struct jsonw j;

	jsonw_init(&j, stdout);
	jsonw_obj_begin(&j);
	hostinfo_json(&j, h);
	jsonw_obj_end(&j);
	return jsonw_finish(&j);
}

int main(int argc, char **argv)
{
	struct hf_config cfg;
	struct hostinfo h;
	int rc;

	log_init(argv[0]);
	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (cfg.monotonic_ns) {
		printf("%lld\n", (long long)mono_ns());
		if (fflush(stdout) || ferror(stdout))
			return log_err(EXIT_FAIL, "write stdout: %s", strerror(errno));
		return EXIT_OK;
	}
	if (hostinfo_gather(cfg.root, &h))
		return EXIT_FAIL;
	if (cfg.json) {
		if (print_json(&h))
			return log_err(EXIT_FAIL, "writing JSON to stdout failed");
		return EXIT_OK;
	}
	print_lines(&h);
	if (fflush(stdout) || ferror(stdout))
		return log_err(EXIT_FAIL, "write stdout: %s", strerror(errno));
	return EXIT_OK;
}
