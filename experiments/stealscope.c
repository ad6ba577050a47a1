/*
 * stealscope: the main command. It dispatches to a subcommand (see
 * experiments/commands.h) that parses its own options and returns the
 * exit code; main() itself only handles --help and --version.
 *
 * Once the subcommand is known, the tool name for messages becomes
 * "stealscope COMMAND": errors read "stealscope run: error: ..." and the
 * usage hint (common/cli.c, from log_tool()) points at the help that
 * describes the options, "Try 'stealscope run --help'".
 */
#include "experiments/commands.h"

#include "common/cli.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run an experiment and write its results directory" },
	{ "list", cmd_list, "list the experiments with their descriptions" },
	{ "plot", cmd_plot, "redraw the plots of a results directory" },
	{ "report", cmd_report, "rewrite report.html of a results directory" },
	{ "doctor", cmd_doctor, "check what this machine can run" },
	{ "pin", cmd_pin, "pin a libvirt domain's vCPUs or emulator threads" },
	{ "watch", cmd_watch, "live per-CPU steal and per-vCPU delay, Prometheus /metrics" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(void)
{
	size_t i;

	printf("Usage: stealscope [--help | --version] COMMAND [ARG]...\n"
	       "Measure steal time and vCPU contention: run experiment specs, compare vCPU\n"
	       "pinning policies, and write results with plots and a report.\n"
	       "\n"
	       "Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\n"
	       "  -h, --help     show this help and exit\n"
	       "  -V, --version  show the version and exit\n"
	       "\n"
	       "`stealscope COMMAND --help` describes a command. Example:\n"
	       "  stealscope run sched-virt --backend native\n"
	       "\n"
	       "Exit status: 0 ok, 1 failure, 2 usage error, 4 not available here.\n");
}

int main(int argc, char **argv)
{
	static char tool[32];          /* log_init() keeps the pointer */
	size_t i;

	log_init("stealscope");
	if (argc < 2)
		return cli_usage_error("missing COMMAND");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage();
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		cli_print_version("stealscope");
		return EXIT_OK;
	}
	if (argv[1][0] == '-')
		return cli_usage_error("unknown option '%s' (options go after COMMAND)", argv[1]);
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		snprintf(tool, sizeof(tool), "stealscope %s", commands[i].name);
		log_init(tool);
		return commands[i].run(argc - 1, argv + 1);
	}
	return cli_usage_error("unknown command '%s'", argv[1]);
}
