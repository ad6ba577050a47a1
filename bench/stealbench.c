/*
 * stealbench: the driver behind `make bench`. It runs the seven figures of
 * issue 7 that this machine can measure, each beside a baseline measured in
 * the same run, and writes RESULTS.md and results.csv. It measures the
 * built tools from the outside, as a user runs them, and never judges:
 * there is no pass or fail, and its exit code says only whether the
 * measurements could be taken.
 *
 * It never touches anything outside the work directory and the two result
 * files, and never stops another process than the ones it started.
 */
#include "bench/figures.h"
#include "bench/kmroute.h"

#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOOL "stealbench"
#define DEFAULT_SADC "/usr/lib/sysstat/sadc"

struct sb_config {
	const char *out_dir;
	const char *work;
	const char *bindir;
	const char *guest_dir;
	const char *sadc;
	int quick;
	int cpu;                       /* -1: the highest online CPU */
	cpu_set_t only;                /* figures to run (1..7) */
};

static int (*const figure_fn[BENCH_FIGURES])(struct bench_ctx *) = {
	fig_startup, fig_stamps, fig_samplers, fig_steal, fig_slicing, fig_memory, fig_scale,
};

static void usage(void)
{
	printf("Usage: " TOOL " [OPTION]...\n"
	       "Run stealscope's benchmarks (what `make bench` runs) and write\n"
	       "RESULTS.md and results.csv: for every figure the median of repeated\n"
	       "runs with its spread, a baseline measured in the same run, and their\n"
	       "ratio. Figures: 1 start-up, 2 progress stamp cost, 3 sampler cost,\n"
	       "4 steal accuracy, 5 guest time slicing, 6 memory, 7 scale. kvm-mini's\n"
	       "rows are measured where kvm-mini runs: on /dev/kvm when it opens, else\n"
	       "in the nested L1 guest of scripts/kvm-nested.sh (one boot per figure\n"
	       "group; each row says where), else listed as not measurable.\n"
	       "\n"
	       "  -q, --quick          fewer and shorter runs: a smoke pass, not figures\n"
	       "                       to quote\n"
	       "  -f, --only LIST      run only these figures, e.g. 1,3-4 (default: all)\n"
	       "  -o, --out-dir DIR    write RESULTS.md and results.csv into DIR\n"
	       "                       (default: bench)\n"
	       "  -w, --work DIR       scratch files and results directories of the runs;\n"
	       "                       DIR must be new or empty (default: a new\n"
	       "                       /tmp/stealbench-XXXXXX, kept for inspection)\n"
	       "  -b, --bindir DIR     the stealscope tools (default: bin)\n"
	       "  -g, --guest-dir DIR  the guest image of `make guest-image` (default:\n"
	       "                       $STEALSCOPE_GUEST_DIR, else build/guest)\n"
	       "      --sadc PATH      sysstat's collector (default " DEFAULT_SADC ")\n"
	       "  -c, --cpu N          the CPU pinned loads use (default: the highest\n"
	       "                       online CPU)\n"

	       "  -h, --help           show this help and exit\n"
	       "  -V, --version        show the version and exit\n"
	       "\n"
	       "Takes about 6 minutes (--quick: about a minute; figure 1 boots the guest\n"
	       "image under QEMU TCG when it exists, and the nested route boots its L1\n"
	       "guest once or twice). The table is also printed on stdout.\n"
	       "Exit status: 0 ok; 1 a measurement failed or was interrupted (nothing\n"
	       "is written then); 2 usage error.\n");
}

enum { OPT_SADC = 0x100 };

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct sb_config *cfg)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'f' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "work", required_argument, NULL, 'w' },
		{ "bindir", required_argument, NULL, 'b' },
		{ "guest-dir", required_argument, NULL, 'g' },
		{ "sadc", required_argument, NULL, OPT_SADC },
		{ "cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("STEALSCOPE_GUEST_DIR");
	cpu_set_t set;
	int64_t v;
	int c, i;

	*cfg = (struct sb_config){
		.out_dir = "bench", .bindir = "bin", .sadc = DEFAULT_SADC, .cpu = -1,
		.guest_dir = env && *env ? env : "build/guest",
	};
	CPU_ZERO(&cfg->only);
	for (i = 1; i <= BENCH_FIGURES; i++)
		CPU_SET(i, &cfg->only);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qf:o:w:b:g:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			cfg->quick = 1;
			break;
		case 'f':
			if (parse_cpulist("--only", optarg, &cfg->only))
				return cli_usage_hint();
			for (i = 0; i < CPU_SETSIZE; i++)
				if (CPU_ISSET(i, &cfg->only) && (i < 1 || i > BENCH_FIGURES))
					return cli_usage_error("--only: no figure %d (figures are "
							       "1-%d)", i, BENCH_FIGURES);
			break;
		case 'o':
		case 'w':
		case 'b':
		case 'g':
		case OPT_SADC:
			if (!*optarg)
				return cli_usage_error("%s: empty path", argv[optind - 1]);
			if (c == 'o')
				cfg->out_dir = optarg;
			else if (c == 'w')
				cfg->work = optarg;
			else if (c == 'b')
				cfg->bindir = optarg;
			else if (c == 'g')
				cfg->guest_dir = optarg;
			else
				cfg->sadc = optarg;
			break;
		case 'c':
			if (parse_i64("--cpu", optarg, 0, CPU_SETSIZE - 1, &v))
				return cli_usage_hint();
			cfg->cpu = (int)v;
			CPU_ZERO(&set);
			CPU_SET(cfg->cpu, &set);
			if (cpulist_check_online("--cpu", &set, NULL))
				return cli_usage_hint();
			break;
		default:
			return cli_common_option(c, argv, usage, TOOL);
		}
	}
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	return -1;
}

static int highest_online_cpu(void)
{
	cpu_set_t set;
	int i;

	if (cpus_online(NULL, &set))
		return -1;
	for (i = CPU_SETSIZE - 1; i >= 0; i--)
		if (CPU_ISSET(i, &set))
			return i;
	return -1;
}

/* Every tool a figure runs is there and executable. */
static int check_tools(const struct sb_config *cfg)
{
	static const char *const tools[] = { "sched-load", "cpu-sampler", "vcpu-sampler",
					     "stealscope" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->bindir, tools[i]);
		if (access(path, X_OK))
			return log_err(-errno, "%s: %s (build the tools first: make)", path,
				       strerror(errno));
	}
	return 0;
}

/* A new or empty work directory (one level is created), or a new one in /tmp. */
static int prepare_work(const struct sb_config *cfg, char *work, size_t len)
{
	struct dirent *e;
	DIR *d;

	if (!cfg->work) {
		snprintf(work, len, "/tmp/" TOOL "-XXXXXX");
		if (!mkdtemp(work))
			return log_err(-errno, "mkdtemp %s: %s", work, strerror(errno));
		return 0;
	}
	snprintf(work, len, "%s", cfg->work);
	if (mkdir(work, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return log_err(-errno, "mkdir %s: %s", work, strerror(errno));
	d = opendir(work);
	if (!d)
		return log_err(-errno, "%s: %s", work, strerror(errno));
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			closedir(d);
			return log_err(-EEXIST, "--work %s: not empty (give a new directory)",
				       work);
		}
	closedir(d);
	return 0;
}

/*
 * kernel.sched_autogroup_enabled: 1, 0, or -1 when unknown. With it on,
 * CFS shares a CPU between sessions before threads, which is why other
 * sessions' load takes its part of a measured CPU whatever the nice values.
 */
static int read_autogroup(void)
{
	struct fileio_buf b = { 0 };
	int fd = open("/proc/sys/kernel/sched_autogroup_enabled", O_RDONLY | O_CLOEXEC);
	int on = -1;

	if (fd < 0)
		return -1;
	if (fileio_read_fd(fd, 0, 64, &b) == 0 && (b.data[0] == '0' || b.data[0] == '1'))
		on = b.data[0] == '1';
	close(fd);
	fileio_buf_free(&b);
	return on;
}

/* /proc/loadavg's first three fields into @buf. */
static void read_loadavg(char *buf, size_t len)
{
	struct fileio_buf b = { 0 };
	double l1, l5, l15;

	if (fileio_load("/proc/loadavg", 4096, 0, &b) == 0 &&
	    sscanf(b.data, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", l1, l5, l15);
	else
		snprintf(buf, len, "unknown");
	fileio_buf_free(&b);
}

int main(int argc, char **argv)
{
	char work[PATH_MAX], csv[PATH_MAX], md[PATH_MAX];
	struct bench_table *tab = NULL;
	struct bench_km *km = NULL;
	struct bench_ctx ctx;
	struct sb_config cfg;
	int64_t start;
	time_t now;
	int rc, fig;

	log_init(TOOL);
	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (cfg.cpu < 0 && (cfg.cpu = highest_online_cpu()) < 0)
		return log_err(EXIT_FAIL, "no online CPU found");
	if (fileio_check_output(cfg.out_dir, FILEIO_OUT_DIR) || check_tools(&cfg))
		return EXIT_FAIL;
	if (snprintf(csv, sizeof(csv), "%s/results.csv", cfg.out_dir) >= (int)sizeof(csv) ||
	    snprintf(md, sizeof(md), "%s/RESULTS.md", cfg.out_dir) >= (int)sizeof(md))
		return log_err(EXIT_FAIL, "%s: path too long", cfg.out_dir);
	if (mkdir(cfg.out_dir, 0755) && errno != EEXIST)
		return log_err(EXIT_FAIL, "mkdir %s: %s", cfg.out_dir, strerror(errno));
	tab = calloc(1, sizeof(*tab));
	km = calloc(1, sizeof(*km));
	if (!tab || !km) {
		free(tab);
		free(km);
		return log_err(EXIT_FAIL, "out of memory");
	}
	rc = EXIT_FAIL;
	if (prepare_work(&cfg, work, sizeof(work)) || cli_install_stop_handlers() ||
	    hostinfo_gather(NULL, &tab->host))
		goto out;
	now = time(NULL);
	strftime(tab->date_utc, sizeof(tab->date_utc), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	tab->mode = cfg.quick ? "quick" : "full";
	tab->autogroup = read_autogroup();
	read_loadavg(tab->load_before, sizeof(tab->load_before));
	ctx = (struct bench_ctx){ .bindir = cfg.bindir, .work = work,
				  .guest_dir = cfg.guest_dir, .sadc = cfg.sadc,
				  .quick = cfg.quick, .cpu = cfg.cpu, .tab = tab, .km = km };
	for (fig = 1; fig <= BENCH_FIGURES; fig++)
		if (CPU_ISSET(fig, &cfg.only))
			ctx.figures |= 1u << fig;
	start = mono_ns();
	for (fig = 1; fig <= BENCH_FIGURES; fig++) {
		if (!CPU_ISSET(fig, &cfg.only))
			continue;
		if (cli_progress_wanted())
			fprintf(stderr, "%s: figure %d of %d (%.0f s so far)\n", TOOL, fig,
				BENCH_FIGURES, (double)(mono_ns() - start) / 1e9);
		tab->ran[fig - 1] = 1;
		if (figure_fn[fig - 1](&ctx)) {
			log_err(EXIT_FAIL, "figure %d failed; nothing written (scratch files in "
				"%s)", fig, work);
			goto out;
		}
	}
	tab->elapsed_s = (double)(mono_ns() - start) / 1e9;
	read_loadavg(tab->load_after, sizeof(tab->load_after));
	if (bench_write_csv(tab, csv) || bench_write_md(tab, md))
		goto out;
	bench_md_rows(tab, 0, stdout);
	printf("\n%s: %s and %s written in %.0f s (scratch files in %s)\n", TOOL, md, csv,
	       tab->elapsed_s, work);
	rc = fflush(stdout) ? log_err(EXIT_FAIL, "write stdout: %s", strerror(errno)) : EXIT_OK;
out:
	bench_km_free(km);
	free(km);
	free(tab);
	return rc;
}
