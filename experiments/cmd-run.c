/*
 * cmd-run: `stealscope run EXPERIMENT`: the options of a run, checked
 * strictly, handed to the runner (experiments/runner.c) as a struct. Only
 * option parsing lives here, and the check that --out can be written; the
 * flow and every check of the machine are the runner's.
 */
#include "experiments/commands.h"
#include "experiments/runner.h"
#include "host-tools/virt.h"

#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPEAT_MAX 100
#define OPT_DOMAIN_TYPE 0x100          /* long-only */

static void run_usage(void)
{
	printf("Usage: stealscope run [OPTION]... EXPERIMENT\n"
	       "Run an experiment: the guest load, the host contention and the samplers\n"
	       "as the spec says, for every policy and repetition; write the results\n"
	       "directory (raw CSVs, summary.csv/.json, plots, report.html) and print the\n"
	       "summary table.\n"
	       "\n"
	       "EXPERIMENT is a spec name (`stealscope list` shows them) or the path of\n"
	       "an .ini file. A name is looked up as NAME.ini in, in order:\n"
	       "  <directory of the stealscope binary>/../experiments\n"
	       "  ./experiments\n"
	       "  " "<PREFIX>/share/stealscope/experiments (an installed copy)\n"
	       "\n"
	       "  -b, --backend NAME  run with NAME instead of the spec's backend:\n"
	       "                      kvm-mini (a KVM guest with paravirtual steal time:\n"
	       "                      in this process where /dev/kvm is usable, else\n"
	       "                      nested in a QEMU TCG guest with nested SVM, ~10 s\n"
	       "                      more per repetition), native (no VM: threads of\n"
	       "                      this process play the vCPUs), libvirt (a real Linux\n"
	       "                      guest in a transient libvirt domain; needs `make\n"
	       "                      guest-image` and a libvirt daemon), or auto:\n"
	       "                      kvm-mini in process, else kvm-mini nested (when\n"
	       "                      QEMU and the nested image are there), else native,\n"
	       "                      saying why on stderr\n"
	       "  -c, --connect URI   libvirt: the daemon to use (default %s);\n"
	       "                      any libvirt URI, e.g. qemu+ssh://host/system\n"
	       "      --domain-type TYPE\n"
	       "                      libvirt: kvm or qemu (TCG); default kvm where this\n"
	       "                      host's KVM can boot a stock kernel, else qemu, said\n"
	       "                      on stderr. Under qemu the guest has no steal clock:\n"
	       "                      its steal is reported as unavailable, not as 0\n"
	       "  -r, --repeat N      repetitions of every policy, 1..%d (default: the\n"
	       "                      spec's)\n"
	       "  -q, --quick         a short run for tests: a third of the duration (at\n"
	       "                      least 600ms), contention windows scaled alike, once\n"
	       "  -o, --out DIR       results under DIR/<name>/<time>/ (default: results)\n"
	       "  -p, --policy NAME   run only the policy NAME of a comparison\n"
	       "  -h, --help          show this help and exit\n"
	       "  -V, --version       show the version and exit\n"
	       "\n"
	       "The spec saved as spec.ini in the results directory is the spec as run,\n"
	       "with the changes of --backend, --repeat and --quick written into it.\n"
	       "Ctrl-C (or SIGTERM) stops at once: what was measured is written and the\n"
	       "directory keeps its INCOMPLETE marker.\n"
	       "\n"
	       "Exit status: 0 ok; 1 failure or interrupted; 2 usage error, unknown\n"
	       "experiment or policy, invalid spec, or a CPU of the spec not online;\n"
	       "4 backend not available here (e.g. neither /dev/kvm nor QEMU for\n"
	       "kvm-mini, no guest image or libvirt daemon for libvirt).\n",
	       VIRT_DEFAULT_URI, REPEAT_MAX);
}

/* --backend NAME: a backend, or "auto" (sets *@is_auto, the runner chooses). */
static int parse_backend(const char *arg, enum spec_backend *out, int *is_auto)
{
	static const enum spec_backend all[] = {
		SPEC_BACKEND_KVM_MINI, SPEC_BACKEND_NATIVE, SPEC_BACKEND_LIBVIRT,
	};
	size_t i;

	*is_auto = !strcmp(arg, "auto");
	if (*is_auto)
		return 0;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(arg, spec_backend_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return cli_usage_error("--backend: unknown backend '%s' (kvm-mini, native, libvirt "
			       "or auto)", arg);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'p' },
		{ "connect", required_argument, NULL, 'c' },
		{ "domain-type", required_argument, NULL, OPT_DOMAIN_TYPE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct runner_opts o;
	char **cmdline;
	int64_t v;
	int opt, i, ret;

	memset(&o, 0, sizeof(o));
	o.out_base = "results";
	optind = 0;                    /* a fresh getopt scan of this subcommand's argv */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":b:r:qo:p:c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (parse_backend(optarg, &o.backend, &o.backend_auto))
				return EXIT_USAGE;
			o.backend_set = 1;
			break;
		case 'r':
			if (parse_i64("--repeat", optarg, 1, REPEAT_MAX, &v))
				return cli_usage_hint();
			o.repeat = (int)v;
			break;
		case 'q':
			o.quick = 1;
			break;
		case 'o':
			if (!*optarg)
				return cli_usage_error("--out: empty directory name");
			o.out_base = optarg;
			break;
		case 'p':
			if (!*optarg)
				return cli_usage_error("--policy: empty policy name");
			o.policy = optarg;
			break;
		case 'c':
			if (virt_check_uri_arg("--connect", optarg))
				return EXIT_USAGE;
			o.connect_uri = optarg;
			break;
		case OPT_DOMAIN_TYPE:
			if (strcmp(optarg, "kvm") && strcmp(optarg, "qemu"))
				return cli_usage_error("--domain-type: '%s' is not kvm or qemu",
						       optarg);
			o.domain_type = optarg;
			break;
		default:
			return cli_common_option(opt, argv, run_usage, "stealscope");
		}
	}
	if (cli_one_operand(argc, argv, "missing EXPERIMENT (`stealscope list` shows them)",
			    &o.experiment))
		return EXIT_USAGE;
	if (!*o.experiment)
		return cli_usage_error("empty EXPERIMENT");
	/* Before anything runs: the results go under --out (created if need be). */
	if (fileio_check_output(o.out_base, FILEIO_OUT_DIR))
		return EXIT_FAIL;
	/* meta.json records the whole command line, "stealscope" included */
	cmdline = calloc((size_t)argc + 2, sizeof(*cmdline));
	if (!cmdline)
		return log_err(EXIT_FAIL, "out of memory");
	cmdline[0] = "stealscope";
	for (i = 0; i < argc; i++)
		cmdline[i + 1] = argv[i];
	o.argc = argc + 1;
	o.argv = cmdline;
	ret = runner_run(&o);
	free(cmdline);
	return ret;
}
