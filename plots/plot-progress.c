/*
 * plot-progress: draw the progress-per-task figure from a progress CSV
 * (sched-load or kvm-mini) into BASENAME.png and BASENAME.svg, with the
 * intervals of host contention shaded.
 *
 * All work is in plots/progress.c; this file only turns the command line
 * into a plot_progress_opts and the result into an exit code (2 for usage
 * errors, 4 when gnuplot is not installed, 1 for anything else).
 */
#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "plots/gnuplot.h"
#include "plots/progress.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "plot-progress"
#define MAX_WINDOWS 64

/* A window may start at 0 and end at most a day after the run's start. */
#define WINDOW_MAX_NS (86400LL * 1000000000LL)

struct config {
	struct plot_progress_opts plot;
	struct gnuplot_window windows[MAX_WINDOWS];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s --in PROGRESS.csv --out BASENAME [options]\n"
		"Draw progress (%%) per task over time into BASENAME.png and BASENAME.svg.\n"
		"\n"
		"  -i, --in FILE           progress CSV with columns t_ns, progress_pct and\n"
		"                          task or proc (as sched-load and kvm-mini write it)\n"
		"  -o, --out BASENAME      output name without extension\n"
		"  -t, --title TEXT        figure title (default \"Progress per task\")\n"
		"  -w, --window START:END  shade a host contention interval; durations with\n"
		"                          units since the run's start, e.g. 200ms:1.5s;\n"
		"                          repeatable (at most %d)\n"
		"  -s, --save-script       also write BASENAME.gp, the gnuplot script\n"
		"  -h, --help              show this help and exit\n"
		"  -V, --version           show the version and exit\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage error, 4 gnuplot not installed.\n",
		TOOL, MAX_WINDOWS);
}

/* "START:END", both durations with units. */
static int parse_window(const char *arg, struct gnuplot_window *w)
{
	const char *colon = strchr(arg, ':');
	char start[64];
	size_t n;

	if (!colon || strchr(colon + 1, ':'))
		return cli_usage_error("--window '%s': expected START:END, e.g. 200ms:1.5s", arg);
	n = (size_t)(colon - arg);
	if (n >= sizeof(start))
		return cli_usage_error("--window '%s': start too long", arg);
	memcpy(start, arg, n);
	start[n] = '\0';
	if (parse_duration_ns("--window start", start, 0, WINDOW_MAX_NS, &w->start_ns) ||
	    parse_duration_ns("--window end", colon + 1, 0, WINDOW_MAX_NS, &w->end_ns)) {
		fprintf(stderr, "Try '%s --help' for more information.\n", TOOL);
		return EXIT_USAGE;
	}
	if (w->end_ns <= w->start_ns)
		return cli_usage_error("--window '%s': end must be after start", arg);
	return 0;
}

static int parse_args(int argc, char **argv, struct config *c)
{
	static const struct option longopts[] = {
		{ "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' },
		{ "save-script", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	opterr = 0;                    /* our own messages, in our format */
	while ((opt = getopt_long(argc, argv, ":i:o:t:w:shV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			c->plot.in_csv = optarg;
			break;
		case 'o':
			c->plot.out_base = optarg;
			break;
		case 't':
			c->plot.title = optarg;
			break;
		case 'w':
			if (c->plot.nwindows == MAX_WINDOWS)
				return cli_usage_error("at most %d --window options", MAX_WINDOWS);
			rc = parse_window(optarg, &c->windows[c->plot.nwindows]);
			if (rc)
				return rc;
			c->plot.nwindows++;
			break;
		case 's':
			c->plot.save_script = 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			cli_print_version(TOOL);
			return -1;
		case ':':
			if (optopt && strncmp(argv[optind - 1], "--", 2) != 0)
				return cli_usage_error("option '-%c' needs a value", optopt);
			return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2) != 0)
				return cli_usage_error("unknown option '-%c'", optopt);
			return cli_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!c->plot.in_csv || !*c->plot.in_csv)
		return cli_usage_error("--in is required");
	if (!c->plot.out_base || !*c->plot.out_base)
		return cli_usage_error("--out is required");
	/* "DIR/" would write DIR/.png: a hidden file, surely not what was meant. */
	if (c->plot.out_base[strlen(c->plot.out_base) - 1] == '/')
		return cli_usage_error("--out %s: no file name after the last '/' (BASENAME is a "
				       "path without extension, e.g. plots/progress)",
				       c->plot.out_base);
	return 0;
}

int main(int argc, char **argv)
{
	struct config c;
	int rc;

	log_init(TOOL);
	memset(&c, 0, sizeof(c));
	c.plot.windows = c.windows;
	rc = parse_args(argc, argv, &c);
	if (rc < 0)
		return EXIT_OK;            /* --help or --version */
	if (rc)
		return rc;
	rc = plot_progress(&c.plot);
	if (rc == GNUPLOT_EMISSING)
		return EXIT_UNSUPPORTED;
	return rc ? EXIT_FAIL : EXIT_OK;
}
