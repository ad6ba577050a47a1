/*
 * cmd-doctor: `stealscope doctor [--kvm-dev PATH]`: run the checks of
 * experiments/doctor.c and print one line per check. The checks live there
 * so tests can call them one by one; this file only parses options, prints
 * and turns the verdict into the exit code (0 ready, 4 kvm-mini cannot run
 * here, 1 something else the default experiment needs is missing, 2 usage).
 */
#include "experiments/commands.h"
#include "experiments/doctor.h"

#include "common/cli.h"
#include "common/log.h"

#include <getopt.h>
#include <stdio.h>

static void doctor_usage(void)
{
	printf("Usage: stealscope doctor [OPTION]...\n"
	       "Check whether this machine can run stealscope's experiments: the KVM\n"
	       "device and module, steal time, the in-kernel irqchip, schedstat, online\n"
	       "CPUs, gnuplot, the libvirt daemon and cgroup CPU quota. One line per\n"
	       "check (OK, WARN or FAIL), with what to do about each problem.\n"
	       "\n"
	       "  -k, --kvm-dev PATH  the KVM device to probe (default %s)\n"
	       "  -h, --help          show this help and exit\n"
	       "  -V, --version       show the version and exit\n"
	       "\n"
	       "Exit status: 0 when the default experiment can run here, 4 when the\n"
	       "kvm-mini backend cannot (use --backend native), 1 when something else\n"
	       "it needs is missing, 2 on a usage error.\n", KMINI_PROBE_DEFAULT_DEV);
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kvm-dev", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_result results[16];
	struct doctor_ctx ctx;
	const char *kvm_dev = NULL;
	int opt, rc;

	optind = 0;                    /* a fresh getopt scan of this subcommand's argv */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			if (!optarg[0])
				return cli_usage_error("--kvm-dev: empty path");
			kvm_dev = optarg;
			break;
		default:
			return cli_common_option(opt, argv, doctor_usage, "stealscope");
		}
	}
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (doctor_ncheck > sizeof(results) / sizeof(results[0]))
		return log_err(EXIT_FAIL, "%zu checks, room for %zu", doctor_ncheck,
			       sizeof(results) / sizeof(results[0]));

	doctor_ctx_init(&ctx, "", kvm_dev, NULL);
	rc = doctor_run(&ctx, results);
	if (doctor_print(stdout, results, rc))
		return EXIT_FAIL;
	return rc;
}
