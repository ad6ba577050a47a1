/*
 * cmd-list: `stealscope list`: every spec in the experiments directory
 * (see experiments/specdir.h for where that is) with its description, one
 * per line, sorted by name. It only reads specs; it never runs anything.
 */
#include "experiments/commands.h"
#include "experiments/spec.h"
#include "experiments/specdir.h"

#include "common/cli.h"
#include "common/log.h"

#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void list_usage(void)
{
	printf("Usage: stealscope list [OPTION]...\n"
	       "List the experiments `stealscope run NAME` finds: NAME and the spec's\n"
	       "description, one per line. The directory is the first that exists of\n"
	       "<directory of the stealscope binary>/../experiments, ./experiments and\n"
	       "<PREFIX>/share/stealscope/experiments.\n"
	       "\n"
	       "  -h, --help     show this help and exit\n"
	       "  -V, --version  show the version and exit\n"
	       "\n"
	       "Exit status: 0 ok, 1 no experiments directory or a spec that does not\n"
	       "parse (the others are still listed), 2 usage error.\n");
}

static int ini_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && d->d_name[0] != '.' && !strcmp(d->d_name + n - 4, ".ini");
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent **names;
	struct spec_set set;
	int opt, n, i, ret = EXIT_OK;

	optind = 0;
	opterr = 0;
	/* --help, --version or a usage error: each ends the command */
	opt = getopt_long(argc, argv, ":hV", longopts, NULL);
	if (opt != -1)
		return cli_common_option(opt, argv, list_usage, "stealscope");
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (specdir_first(dir, sizeof(dir)))
		return EXIT_FAIL;
	n = scandir(dir, &names, ini_name, alphasort);
	if (n < 0)
		return log_err(EXIT_FAIL, "read %s: %m", dir);
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name) - 4;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (spec_load(path, &set)) {
			ret = EXIT_FAIL;       /* the error is logged; list the rest */
		} else {
			printf("%-16.*s %s\n", (int)len, names[i]->d_name, set.base.description);
			spec_free(&set);
		}
		free(names[i]);
	}
	free(names);
	if (fflush(stdout) || ferror(stdout))
		return log_err(EXIT_FAIL, "write stdout: %m");
	return ret;
}
