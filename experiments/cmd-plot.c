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

static void plot_usage(FILE *f)
{
	fprintf(f,
		"Usage: stealscope plot [options] DIR\n"
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
	int opt, rc;

	opterr = 0;                    /* our own messages, in our format */
	optind = 0;                    /* a fresh scan: main() may have used getopt */
	while ((opt = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			plot_usage(stdout);
			return EXIT_OK;
		case 'V':
			cli_print_version("stealscope plot");
			return EXIT_OK;
		default:
			return cli_getopt_error(opt, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("missing the results directory (DIR)");
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (reportdata_resolve_dir(argv[optind], dir, sizeof(dir)))
		return cli_usage_hint();

	rc = results_plot_all(dir);
	if (rc == GNUPLOT_EMISSING)
		return EXIT_UNSUPPORTED;   /* the install hint is already said */
	return rc ? EXIT_FAIL : EXIT_OK;
}
