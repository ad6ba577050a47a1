/*
 * cmd-plot: `stealscope plot DIR` redraws every plot of a results directory
 * from its files (experiments/resplot.c), so a figure can be restyled or
 * fixed without measuring again. DIR may also be the experiment's directory
 * (results/<name>), which stands for its `latest` run.
 *
 * This file only turns the command line into a directory and the result
 * into an exit code: 0 ok, 1 a plot failed, 2 usage (no such directory, not
 * a results directory), 4 gnuplot not installed. It never measures.
 */
#include "experiments/commands.h"
#include "experiments/reportdata.h"
#include "experiments/resplot.h"
#include "common/cli.h"
#include "common/log.h"
#include "plots/gnuplot.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>

static void plot_usage(void)
{
	printf("Usage: stealscope plot [options] DIR\n"
	       "Redraw every plot of the results directory DIR from its files, without\n"
	       "measuring again: progress-<policy>, steal-<policy> and, for a comparison,\n"
	       "policies, each as .png and .svg in DIR (and <policy>/rep-1/rates.csv, the\n"
	       "per-interval rates the steal plot draws). DIR may also be results/<name>,\n"
	       "meaning its latest run.\n"
	       "\n"
	       "  -h, --help              show this help and exit\n"
	       "  -V, --version           show the version and exit\n"
	       "\n"
	       "Exit status: 0 ok, 1 a plot failed, 2 usage error or DIR is not a results\n"
	       "directory, 4 gnuplot not installed.\n");
}

int cmd_plot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char dir[PATH_MAX];
	const char *arg;
	int opt, rc;

	opterr = 0;                    /* our own messages, in our format */
	optind = 0;                    /* a fresh scan: main() may have used getopt */
	/* --help, --version or a usage error: each ends the command */
	opt = getopt_long(argc, argv, ":hV", longopts, NULL);
	if (opt != -1)
		return cli_common_option(opt, argv, plot_usage, "stealscope plot");
	if (cli_one_operand(argc, argv, "missing the results directory (DIR)", &arg))
		return EXIT_USAGE;
	if (reportdata_resolve_dir(arg, dir, sizeof(dir)))
		return cli_usage_hint();

	rc = results_plot_all(dir);
	if (rc == GNUPLOT_EMISSING)
		return EXIT_UNSUPPORTED;   /* the install hint is already said */
	return rc ? EXIT_FAIL : EXIT_OK;
}
