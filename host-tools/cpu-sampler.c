/*
 * cpu-sampler: per-CPU /proc/stat counters and mpstat-style percentages at
 * a fixed interval, as CSV or as a table; or the counters alone, in
 * seconds, as Prometheus exposition (stdout or a node_exporter textfile).
 *
 * It reads /proc/stat into a preallocated buffer at absolute deadlines
 * (host-tools/sampleloop.c) and derives and renders only outside the
 * timing-critical part. It never writes anything but its output (stdout,
 * the --out file renamed into place by csvio or fileio's atomic file, or
 * the --textfile the loop rewrites) and its diagnostics (stderr).
 *
 * USER_HZ is 100: an interval with no tick says nothing about how the CPU
 * was used, so its percentages are left empty (CSV) or shown as "-" (table),
 * never as 0: a 0 %idle there would drag every mean down.
 */
#include "common/cli.h"
#include "common/cpucsv.h"
#include "common/csvio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/procstat.h"
#include "common/promcpu.h"
#include "common/promexp.h"
#include "common/resdir.h"
#include "common/timeutil.h"
#include "host-tools/sampleloop.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cs_config {
	struct sampleloop_opts loop;   /* --format too: csv, table or prometheus */
	int cpus_given;                /* --cpus LIST: only those CPUs */
	int cpus_all;                  /* --cpus all: every CPU plus the aggregate row */
	cpu_set_t cpus;
};

/* One selected CPU in one sample. */
struct cs_entry {
	int present;                   /* 0: absent from /proc/stat (hotplugged away) */
	struct procstat_cpu c;
};

/*
 * Below this interval most intervals hold 0 or 1 tick of USER_HZ (100), so
 * a percentage is 0, 100 or empty: worth a warning.
 */
#define COARSE_INTERVAL_NS (100 * NS_PER_MS)

/* Where rows go: libcsv for CSV, a plain stream for the table. */
struct cs_out {
	enum sampleloop_format format;
	struct csvw *csv;
	FILE *fp;                      /* table: stdout or afile_fp(af) */
	struct afile *af;              /* table to a file, NULL for stdout */
	const char *name;              /* for messages */
};

struct cs_ctx {
	struct procstat_file stat;     /* <root>/proc/stat */
	struct procstat_sample *scratch;
	int nsel;
	int *sel;                      /* CPU numbers; PROCSTAT_CPU_ALL first when wanted */
	char *warned;                  /* per selected CPU: absence reported */
	struct cs_out out;
	/*
	 * Prometheus: per selected CPU, the counters last exposed, which
	 * promcpu_clamp() keeps them from falling below.
	 */
	struct procstat_cpu *exposed;
	long user_hz;                  /* ticks per second of /proc/stat (USER_HZ) */
};

static const char *const table_names[CP_NFIELDS] = {
	"%usr", "%nice", "%sys", "%iowait", "%irq", "%soft", "%steal", "%guest",
	"%gnice", "%idle",
};

static void usage(void)
{
	printf("Usage: cpu-sampler [OPTION]...\n"
	       "Sample per-CPU /proc/stat counters at a fixed interval and print, for\n"
	       "every interval, the raw cumulative counters (USER_HZ ticks) and the\n"
	       "mpstat-style percentages of each selected CPU.\n"
	       "\n"
	       SAMPLELOOP_HELP
	       "  -c, --cpus LIST      CPUs to show, e.g. 0,2-3 (must be online); 'all'\n"
	       "                       adds the aggregate row as cpu -1 (default: every\n"
	       "                       CPU, no aggregate)\n"
	       "  -f, --format FMT     csv (default), table (like mpstat -P ALL) or\n"
	       "                       prometheus (see below)\n"
	       "  -h, --help           show this help and exit\n"
	       "  -V, --version        show the version and exit\n"
	       "\n"
	       "CSV columns: seq,t_ns,cpu, user_ticks..guest_nice_ticks (cumulative at\n"
	       "t_ns), usr_pct..idle_pct (over the interval ending at t_ns),\n"
	       "interval_ticks (ticks in that interval; 0 means no data: the\n"
	       "percentages are left empty, and the table shows '-'). USER_HZ is 100,\n"
	       "so intervals under 100ms mostly see 0 or 1 tick (a warning says so).\n"
	       "seq counts deadlines from the first sample (seq 0, no row): a gap\n"
	       "means intervals skipped after a deadline overrun, which is reported\n"
	       "on stderr. t_ns is CLOCK_MONOTONIC relative to the first\n"
	       "sample, or to --t0 when given. A CPU absent from /proc/stat (offline)\n"
	       "has no rows meanwhile.\n"
	       "\n"
	       "With --format prometheus every sample, the first included, is one\n"
	       "exposition of the cumulative counters (no percentages, no rates):\n"
	       "stealscope_cpu_seconds_total{cpu=\"N\",mode=\"user|nice|system|idle|\n"
	       "iowait|irq|softirq|steal|guest|guest_nice\"} = ticks / USER_HZ (guest\n"
	       "and guest_nice are already inside user and nice, as the kernel counts\n"
	       "them), plus stealscope_sampler_overruns_total and\n"
	       "stealscope_sampler_sample_timestamp_seconds. A counter the kernel moves\n"
	       "backwards keeps its last value; --cpus all adds no aggregate (sum()\n"
	       "gives it); an offline CPU's series are left out meanwhile.\n"
	       "Short options mean the same in every stealscope measurement tool.\n"
	       "SIGINT/SIGTERM end the run; what was measured is written, exit 0.\n");
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct cs_config *cfg)
{
	static const struct option longopts[] = {
		SAMPLELOOP_LONGOPTS,
		{ "cpus", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpus_arg = NULL;
	int opt, rc;

	memset(cfg, 0, sizeof(*cfg));
	sampleloop_opts_init(&cfg->loop);
	cfg->loop.formats |= SAMPLELOOP_FMT_TABLE;
	while ((opt = sampleloop_getopt(&cfg->loop, argc, argv, ":" SAMPLELOOP_SHORTOPTS "c:hV",
					longopts, &rc)) != -1) {
		switch (opt) {
		case 'c':
			cpus_arg = optarg;
			break;
		default:
			return cli_common_option(opt, argv, usage, "cpu-sampler");
		}
	}
	if (rc)
		return rc;
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	rc = sampleloop_opts_finish(&cfg->loop);
	if (rc)
		return rc;

	if (cpus_arg && !strcmp(cpus_arg, "all")) {
		cfg->cpus_all = 1;
	} else if (cpus_arg) {
		cfg->cpus_given = 1;
		rc = parse_cpulist("--cpus", cpus_arg, &cfg->cpus);
		if (!rc)
			rc = cpulist_check_online("--cpus", &cfg->cpus, cfg->loop.root);
		/* Not online is a usage error; an unreadable online list is not. */
		if (rc == -EINVAL || rc == -ERANGE)
			return cli_usage_hint();
		if (rc)
			return EXIT_FAIL;
	}
	return -1;
}

/* ---- output ----------------------------------------------------------- */

static int out_open(struct cs_out *o, enum sampleloop_format format, const char *path)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->format = format;
	o->name = strcmp(path, "-") ? path : "stdout";
	if (format == SAMPLELOOP_FMT_PROMETHEUS)
		return 0;              /* the loop writes each exposition itself */
	if (format == SAMPLELOOP_FMT_CSV) {
		o->csv = cpucsv_open(path);
		return o->csv ? 0 : -errno;
	}
	if (!strcmp(path, "-")) {
		o->fp = stdout;
	} else {
		o->af = afile_open_path(path);
		if (!o->af)
			return -errno;
		o->fp = afile_fp(o->af);
	}
	fprintf(o->fp, "%9s %5s", "Time(s)", "CPU");
	for (i = 0; i < CP_NFIELDS; i++)
		fprintf(o->fp, " %8s", table_names[i]);
	fputc('\n', o->fp);
	return 0;
}

static int out_table_row(struct cs_out *o, const struct sampleloop_rec *cur, int cpu,
			 const struct cpupct *p)
{
	char name[16];
	int i;

	if (cpu == PROCSTAT_CPU_ALL)
		snprintf(name, sizeof(name), "all");
	else
		snprintf(name, sizeof(name), "%d", cpu);
	fprintf(o->fp, "%9.3f %5s", (double)cur->t_ns / NS_PER_SEC, name);
	for (i = 0; i < CP_NFIELDS; i++) {
		if (p->total_ticks)
			fprintf(o->fp, " %8.2f", p->pct[i]);
		else
			fprintf(o->fp, " %8s", "-");
	}
	if (fputc('\n', o->fp) == EOF)
		return log_err(-EIO, "write %s: %s", o->name, strerror(errno));
	return 0;
}

static int out_row(struct cs_out *o, const struct sampleloop_rec *cur, int cpu,
		   const struct procstat_cpu *c, const struct cpupct *p)
{
	struct cpupct none;
	int i;

	if (o->format == SAMPLELOOP_FMT_TABLE)
		return out_table_row(o, cur, cpu, p);
	if (p->total_ticks)
		return cpucsv_row(o->csv, cur->seq, cur->t_ns, cpu, c, p);
	/* no tick, no data: csvio writes NaN as an empty cell */
	none = *p;
	for (i = 0; i < CP_NFIELDS; i++)
		none.pct[i] = NAN;
	return cpucsv_row(o->csv, cur->seq, cur->t_ns, cpu, c, &none);
}

static int out_flush(struct cs_out *o)
{
	if (o->format == SAMPLELOOP_FMT_CSV)
		return csvw_flush(o->csv);
	if (fflush(o->fp))
		return log_err(-errno, "write %s: %s", o->name, strerror(errno));
	return 0;
}

/* Put the output in place. Returns 0 or -errno (logged). Consumes @o. */
static int out_commit(struct cs_out *o)
{
	int rc = 0;

	if (o->format == SAMPLELOOP_FMT_PROMETHEUS)
		return 0;
	if (o->format == SAMPLELOOP_FMT_CSV) {
		rc = csvw_commit(o->csv);
		o->csv = NULL;
		return rc;
	}
	if (o->af) {
		rc = afile_commit(o->af);
		o->af = NULL;
		o->fp = NULL;
		return rc;
	}
	if (fflush(o->fp) || ferror(o->fp))
		rc = log_err(-EIO, "write %s: %s", o->name, strerror(errno ? errno : EIO));
	return rc;
}

/* ---- sampling --------------------------------------------------------- */

/* Timing-critical: read and copy the selected CPUs, nothing else. */
static int cs_read(void *arg, void *slot)
{
	struct cs_ctx *ctx = arg;
	struct cs_entry *e = slot;
	int i, rc;

	rc = procstat_read_file(&ctx->stat, ctx->scratch);
	if (rc)
		return rc;
	for (i = 0; i < ctx->nsel; i++) {
		const struct procstat_cpu *c = procstat_find_cpu(ctx->scratch, ctx->sel[i]);

		e[i].present = c != NULL;
		if (c)
			e[i].c = *c;
	}
	return 0;
}

/* Say once per CPU that selected CPU @i is absent from the sample at @seq. */
static void cs_note_absent(struct cs_ctx *ctx, int i, const struct cs_entry *e, int64_t seq)
{
	if (e->present || ctx->warned[i])
		return;
	log_warn("cpu %d is absent from /proc/stat at seq %lld (offline?); its %s skipped "
		 "while it is absent", ctx->sel[i], (long long)seq,
		 ctx->out.format == SAMPLELOOP_FMT_PROMETHEUS ? "series are" : "rows are");
	ctx->warned[i] = 1;
}

static int cs_emit(void *arg, const struct sampleloop_rec *prev,
		   const struct sampleloop_rec *cur)
{
	struct cs_ctx *ctx = arg;
	const struct cs_entry *pe = prev->data, *ce = cur->data;
	struct cpupct pct;
	int i, rc;

	for (i = 0; i < ctx->nsel; i++) {
		cs_note_absent(ctx, i, &ce[i], cur->seq);
		if (!pe[i].present || !ce[i].present)
			continue;
		procstat_derive(&pe[i].c, &ce[i].c, &pct);
		rc = out_row(&ctx->out, cur, ctx->sel[i], &ce[i].c, &pct);
		if (rc)
			return rc;
	}
	return 0;
}

static int cs_flush(void *arg)
{
	struct cs_ctx *ctx = arg;

	return out_flush(&ctx->out);
}

/* One sample's counters as stealscope_cpu_seconds_total, in seconds. */
static int cs_expose(void *arg, const struct sampleloop_rec *cur, struct promexp *p)
{
	struct cs_ctx *ctx = arg;
	const struct cs_entry *e = cur->data;
	struct procstat_cpu c;
	int i;

	promcpu_family(p);
	for (i = 0; i < ctx->nsel; i++) {
		cs_note_absent(ctx, i, &e[i], cur->seq);
		if (!e[i].present)
			continue;
		/* what was exposed stays the floor, across an absence too */
		c = e[i].c;
		promcpu_clamp(&c, &ctx->exposed[i]);
		ctx->exposed[i] = c;
		promcpu_cpu(p, &c, ctx->user_hz);
	}
	return p->err;
}

/* Fill ctx->sel from the configuration and a first sample in ctx->scratch. */
static int select_cpus(struct cs_ctx *ctx, const struct cs_config *cfg)
{
	int i, n = 0, max = ctx->scratch->ncpus + 1;

	if (cfg->cpus_given)
		max = CPU_COUNT(&cfg->cpus);
	ctx->sel = calloc((size_t)max, sizeof(*ctx->sel));
	ctx->warned = calloc((size_t)max, 1);
	ctx->exposed = calloc((size_t)max, sizeof(*ctx->exposed));
	if (!ctx->sel || !ctx->warned || !ctx->exposed)
		return log_err(-ENOMEM, "CPU selection of %d entries", max);
	if (cfg->cpus_given) {
		for (i = 0; i < CPU_SETSIZE && n < max; i++)
			if (CPU_ISSET(i, &cfg->cpus))
				ctx->sel[n++] = i;
	} else {
		if (cfg->cpus_all)
			ctx->sel[n++] = PROCSTAT_CPU_ALL;
		for (i = 0; i < ctx->scratch->ncpus; i++)
			ctx->sel[n++] = ctx->scratch->cpu[i].cpu;
	}
	ctx->nsel = n;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct sampleloop_ops ops = {
		.read = cs_read, .emit = cs_emit, .flush = cs_flush, .expose = cs_expose,
	};
	struct sampleloop_stats st;
	struct cs_config cfg;
	struct cs_ctx ctx;
	int rc, status = EXIT_FAIL;

	log_init(argv[0]);
	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (cfg.loop.interval_ns < COARSE_INTERVAL_NS &&
	    cfg.loop.format != SAMPLELOOP_FMT_PROMETHEUS)
		log_warn("USER_HZ is 100: intervals under 100ms mostly see 0 or 1 tick; "
			 "percentages are coarse");

	memset(&ctx, 0, sizeof(ctx));
	/* USER_HZ, which /proc/stat counts in: 100 on every Linux architecture we run on */
	ctx.user_hz = sysconf(_SC_CLK_TCK);
	if (ctx.user_hz <= 0)
		ctx.user_hz = 100;
	ctx.scratch = calloc(1, sizeof(*ctx.scratch));
	if (!ctx.scratch) {
		log_err(-ENOMEM, "sample buffer");
		return EXIT_FAIL;
	}
	if (procstat_open(cfg.loop.root, &ctx.stat))
		goto out_scratch;
	/* A first read learns the CPUs and sizes the reader's buffer. */
	if (procstat_read_file(&ctx.stat, ctx.scratch))
		goto out_fd;
	if (select_cpus(&ctx, &cfg))
		goto out_sel;
	if (cli_install_stop_handlers())
		goto out_sel;
	if (out_open(&ctx.out, cfg.loop.format, cfg.loop.out))
		goto out_sel;

	rc = sampleloop_run(&cfg.loop, (size_t)ctx.nsel * sizeof(struct cs_entry), &ops, &ctx,
			    &st);
	sampleloop_report(&st);
	if (out_commit(&ctx.out) == 0 && rc == 0)
		status = EXIT_OK;
out_sel:
	free(ctx.exposed);
	free(ctx.warned);
	free(ctx.sel);
out_fd:
	procstat_close(&ctx.stat);
out_scratch:
	free(ctx.scratch);
	return status;
}
