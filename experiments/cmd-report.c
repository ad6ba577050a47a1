/*
 * cmd-report: `stealscope report DIR`: (re)write DIR/report.html from what a
 * results directory holds (see experiments/report.c). It reads the directory
 * and replaces report.html atomically; it never runs an experiment or
 * redraws a plot (that is `stealscope plot`).
 */
#include "experiments/commands.h"
#include "experiments/report.h"
#include "experiments/reportdata.h"

#include "common/cli.h"
#include "common/log.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void report_usage(void)
{
	printf("Usage: stealscope report [OPTION]... DIR\n"
	       "Write DIR/report.html from the results directory DIR (results/<name>/<time>/\n"
	       "or results/<name>/latest): the spec and host facts, a plain-language\n"
	       "reading of the result, the summary table and the plots found beside it.\n"
	       "The page needs no network and no script; it links the PNG/SVG plots in DIR.\n"
	       "DIR may also be results/<name>, meaning its latest run.\n"
	       "\n"
	       "  -h, --help     show this help and exit\n"
	       "  -V, --version  show the version and exit\n"
	       "\n"
	       "Exit status: 0 written, 1 failure, 2 usage error (no DIR, or DIR is not a\n"
	       "results directory: no spec.ini in it).\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char dir[PATH_MAX];
	const char *arg;
	int opt;

	optind = 0;                    /* a fresh getopt scan of this subcommand's argv */
	opterr = 0;
	/* --help, --version or a usage error: each ends the command */
	opt = getopt_long(argc, argv, ":hV", longopts, NULL);
	if (opt != -1)
		return cli_common_option(opt, argv, report_usage, "stealscope");
	if (cli_one_operand(argc, argv, "missing results directory DIR", &arg))
		return EXIT_USAGE;
	/* As `stealscope plot` does: never write report.html into just any directory. */
	if (reportdata_resolve_dir(arg, dir, sizeof(dir)))
		return cli_usage_hint();
	if (report_write(dir))
		return EXIT_FAIL;
	printf("%s/report.html\n", dir);
	if (fflush(stdout) || ferror(stdout))
		return log_err(EXIT_FAIL, "write stdout: %s", strerror(errno));
	return EXIT_OK;
}
