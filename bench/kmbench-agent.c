/*
 * kmbench-agent: the benchmark's hands inside the nested L1 guest. Linked
 * statically (the L1 guest has only busybox), it runs a plan of kvm-mini
 * runs (bench/kmplan.h) one after another and leaves their files and
 * runs.csv in a directory that scripts/kvm-nested.sh --collect brings back
 * to the driver, bench/stealbench. Where /dev/kvm opens the driver runs the
 * same plan itself; this program is only the nested route's.
 *
 * It decides nothing and derives nothing: what a figure means is the
 * driver's business. It never writes outside --out.
 */
#include "bench/kmplan.h"

#include "common/cli.h"
#include "common/log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define TOOL "kmbench-agent"

struct agent_config {
	const char *plan;
	const char *out;
	const char *kvm_mini;
};

static void usage(void)
{
	printf("Usage: " TOOL " --plan FILE --out DIR [OPTION]...\n"
	       "Run the kvm-mini runs of a benchmark plan (bench/kmplan.h), one after\n"
	       "another, and leave their output and runs.csv in DIR. bench/stealbench\n"
	       "starts it inside the nested L1 guest of scripts/kvm-nested.sh.\n"
	       "\n"
	       "  -p, --plan FILE       the plan: one run a line, TAG TIMEOUT_S DIGEST\n"
	       "                        PROGRAM [ARG]...\n"
	       "  -o, --out DIR         where the runs' files go (created)\n"
	       "  -k, --kvm-mini PATH   the program the plan calls kvm-mini (default:\n"
	       "                        kvm-mini in PATH)\n"
	       "  -h, --help            show this help and exit\n"
	       "  -V, --version         show the version and exit\n"
	       "\n"
	       "Each run is reported on stdout as it ends. Exit status: 0 every run was\n"
	       "made (whatever its own exit status, which runs.csv holds); 1 a malformed\n"
	       "plan, a run that could not be started, or runs.csv not written; 2 usage\n"
	       "error.\n");
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct agent_config *cfg)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "kvm-mini", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*cfg = (struct agent_config){ .kvm_mini = KMPLAN_KVM_MINI };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:o:k:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'o':
		case 'k':
			if (!*optarg)
				return cli_usage_error("%s: empty path", argv[optind - 1]);
			if (c == 'p')
				cfg->plan = optarg;
			else if (c == 'o')
				cfg->out = optarg;
			else
				cfg->kvm_mini = optarg;
			break;
		default:
			return cli_common_option(c, argv, usage, TOOL);
		}
	}
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (!cfg->plan || !cfg->out)
		return cli_usage_error("--plan and --out are required");
	return -1;
}

int main(int argc, char **argv)
{
	struct agent_config cfg;
	int rc;

	log_init(TOOL);
	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (mkdir(cfg.out, 0755) && errno != EEXIST)
		return log_err(EXIT_FAIL, "mkdir %s: %s", cfg.out, strerror(errno));
	if (cli_install_stop_handlers())
		return EXIT_FAIL;
	return kmplan_run(cfg.plan, cfg.out, cfg.kvm_mini, 1) ? EXIT_FAIL : EXIT_OK;
}
