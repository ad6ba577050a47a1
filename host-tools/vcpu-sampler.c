/*
 * vcpu-sampler: per-thread scheduler statistics (run time, run delay,
 * timeslices) of chosen threads at a fixed interval, as CSV; or, with
 * --domain, the per-vCPU statistics libvirt keeps for a domain (vcpu.N.time,
 * .delay, .wait), in the columns of kvm-mini's vcpu.csv. With --format
 * prometheus, either as cumulative counters in seconds (stdout or a
 * node_exporter textfile, see host-tools/sampleloop.h).
 *
 * Run delay of a vCPU thread is what KVM hands the guest as steal time, so
 * this is the host-side ground truth. The loop (host-tools/sampleloop.c)
 * only preads the already open schedstat files; deriving and writing happen
 * outside the timing-critical part. The --domain mode lives in
 * host-tools/vcpu-domain.c (which talks to libvirt through struct virt_ops;
 * neither file includes libvirt).
 * It never signals or otherwise touches the threads or domains it watches:
 * its libvirt connection is read-only.
 */
#include "common/cli.h"
#include "common/csvio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/promexp.h"
#include "common/schedstat.h"
#include "common/timeutil.h"
#include "host-tools/sampleloop.h"
#include "host-tools/vcpu-domain.h"
#include "host-tools/virt.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Long-only options (their letters mean other things in other tools). */
enum {
	VS_OPT_CONNECT = SAMPLELOOP_OPT_TOOL,
	VS_OPT_DOMAIN,
};

struct vs_config {
	struct sampleloop_opts loop;
	pid_t pid;                     /* --pid, 0 when not given */
	pid_t *tids;                   /* --tid list, deduplicated */
	size_t ntids;
	const char *uri;               /* --connect, NULL when not given */
	const char *domain;            /* --domain: the libvirt mode; NULL otherwise */
};

struct vs_thread {
	pid_t pid;                     /* thread group (process) */
	pid_t tid;
	int fd;                        /* its schedstat, -1 once gone */
	int gone;                      /* a read failed: exited (ESRCH) or unreadable */
	int gone_rc;                   /* that read's -errno, reported by vs_emit() */
	int warned;
};

/* One thread in one sample. */
struct vs_entry {
	int present;
	struct schedstat s;
};

struct vs_ctx {
	struct vs_thread *th;
	size_t n;
	struct csvw *csv;              /* NULL with --format prometheus */
	int64_t prev_seq;              /* of the last sample exposed (Prometheus) */
};

static void usage(void)
{
	printf("Usage: vcpu-sampler --tid TID[,TID...] | --pid PID [OPTION]...\n"
	       "       vcpu-sampler --domain NAME [--connect URI] [OPTION]...\n"
	       "Sample the scheduler statistics of threads (e.g. a VM's vCPU threads)\n"
	       "from /proc/<pid>/task/<tid>/schedstat at a fixed interval, or those\n"
	       "libvirt keeps for each vCPU of a domain. The run delay of a vCPU thread\n"
	       "is the steal time its guest is charged.\n"
	       "\n"
	       "  -t, --tid LIST       these threads (comma-separated, repeatable)\n"
	       "  -p, --pid PID        every thread of process PID, as listed at start\n"
	       "      --domain NAME    the vCPUs of libvirt domain NAME (running)\n"
	       "      --connect URI    libvirt URI for --domain (default %s; remote\n"
	       "                       URIs such as qemu+ssh://host/system work too)\n"
	       "  -f, --format FMT     csv (default) or prometheus (see below)\n"
	       SAMPLELOOP_HELP
	       "  -h, --help           show this help and exit\n"
	       "  -V, --version        show the version and exit\n"
	       "\n"
	       "CSV columns: seq,t_ns,tid, run_ns,delay_ns,slices (cumulative at t_ns,\n"
	       "as in schedstat), run_pct,delay_pct (of wall time over the interval\n"
	       "ending at t_ns). seq counts deadlines from the first sample (seq 0, no\n"
	       "row): a gap means intervals skipped after a deadline overrun, reported\n"
	       "on stderr. t_ns is CLOCK_MONOTONIC relative to the first sample, or to\n"
	       "--t0 when given. A thread that exits is reported once and its rows end;\n"
	       "when every thread has exited the run ends. SIGINT/SIGTERM end the run;\n"
	       "what was measured is written, exit 0.\n"
	       "\n"
	       "With --domain, the columns are those of kvm-mini's vcpu.csv, one row\n"
	       "per vCPU per sample, the first sample included: t_ns,vcpu,pcpu,\n"
	       "guest_steal_ns,host_run_ns,host_delay_ns,tick_user,tick_system,\n"
	       "tick_idle,tick_steal, then host_wait_ns and delay_pct. host_run_ns,\n"
	       "host_delay_ns and host_wait_ns are libvirt's vcpu.N.time, .delay and\n"
	       ".wait (cumulative ns); pcpu the host CPU the vCPU last ran on; the\n"
	       "guest and tick columns stay empty (libvirt cannot see inside the\n"
	       "guest); delay_pct is over the interval ending at t_ns (empty in the\n"
	       "first row). t_ns is the middle of libvirt's statistics call. A field\n"
	       "the driver does not report is named once on stderr and its cells are\n"
	       "empty. A domain that goes away ends the run (exit 0). --root does not\n"
	       "apply. Exit 4 when no libvirt daemon answers at URI.\n"
	       "\n"
	       "With --format prometheus every sample, the first included, is one\n"
	       "exposition of cumulative counters in seconds (no rates):\n"
	       "stealscope_vcpu_run_seconds_total, stealscope_vcpu_delay_seconds_total\n"
	       "(run delay: what the guest sees as steal) and, with --domain where the\n"
	       "driver reports it, stealscope_vcpu_wait_seconds_total; labelled\n"
	       "host (the --connect URI as given), domain and vcpu, or\n"
	       "pid and tid. A field the driver does not report is left out, never\n"
	       "0, and named once on stderr. Also stealscope_sampler_overruns_total\n"
	       "and stealscope_sampler_sample_timestamp_seconds.\n"
	       "Short options mean the same in every stealscope measurement tool.\n",
	       VIRT_DEFAULT_URI);
}

static int add_tid(struct vs_config *cfg, pid_t tid)
{
	pid_t *n;
	size_t i;

	for (i = 0; i < cfg->ntids; i++)
		if (cfg->tids[i] == tid)
			return 0;
	n = realloc(cfg->tids, (cfg->ntids + 1) * sizeof(*n));
	if (!n)
		return log_err(-ENOMEM, "tid list");
	cfg->tids = n;
	cfg->tids[cfg->ntids++] = tid;
	return 0;
}

/* "12,34" into cfg->tids. Returns 0 or EXIT_USAGE / EXIT_FAIL (printed). */
static int parse_tids(struct vs_config *cfg, const char *arg)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char tok[32];
		int64_t v;

		if (len >= sizeof(tok))
			return cli_usage_error("--tid: '%.*s' is not a thread id", (int)len, p);
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (parse_i64("--tid", tok, 1, INT_MAX, &v))
			return cli_usage_hint();
		if (add_tid(cfg, (pid_t)v))
			return EXIT_FAIL;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct vs_config *cfg)
{
	static const struct option longopts[] = {
		SAMPLELOOP_LONGOPTS,
		{ "tid", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "connect", required_argument, NULL, VS_OPT_CONNECT },
		{ "domain", required_argument, NULL, VS_OPT_DOMAIN },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t v;
	int opt, rc;

	sampleloop_opts_init(&cfg->loop);
	while ((opt = sampleloop_getopt(&cfg->loop, argc, argv, ":" SAMPLELOOP_SHORTOPTS "t:p:hV",
					longopts, &rc)) != -1) {
		switch (opt) {
		case 't':
			rc = parse_tids(cfg, optarg);
			if (rc)
				return rc;
			break;
		case 'p':
			if (parse_i64("--pid", optarg, 1, INT_MAX, &v))
				return cli_usage_hint();
			cfg->pid = (pid_t)v;
			break;
		case VS_OPT_CONNECT:
			if (virt_check_uri_arg("--connect", optarg))
				return EXIT_USAGE;
			cfg->uri = optarg;
			break;
		case VS_OPT_DOMAIN:
			if (!optarg[0])
				return cli_usage_error("--domain: empty name");
			cfg->domain = optarg;
			break;
		default:
			return cli_common_option(opt, argv, usage, "vcpu-sampler");
		}
	}
	if (rc)
		return rc;
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (cfg->domain && (cfg->pid || cfg->ntids))
		return cli_usage_error("--domain and --tid/--pid exclude each other");
	if (cfg->uri && !cfg->domain)
		return cli_usage_error("--connect needs --domain NAME");
	if (cfg->domain && cfg->loop.root[0])
		return cli_usage_error("--root reads /proc, libvirt does not: not with --domain");
	if (!cfg->domain && !cfg->pid && !cfg->ntids)
		return cli_usage_error("say which threads: --tid TID[,TID...] or --pid PID "
				       "(or which domain: --domain NAME)");
	if (cfg->pid && cfg->ntids)
		return cli_usage_error("--tid and --pid exclude each other");
	rc = sampleloop_opts_finish(&cfg->loop);
	return rc ? rc : -1;
}

/*
 * The thread group of @tid from <root>/proc/<tid>/status ("Tgid:"). /proc
 * resolves any thread id there even though only group leaders are listed.
 * Returns the tgid, -ENOENT when there is no such thread, or -errno (logged).
 */
static pid_t tgid_of(const char *root, pid_t tid)
{
	char path[PATH_MAX], what[PATH_MAX + 16], line[256];
	pid_t tgid = -EINVAL;
	int rc = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/proc/%d/status", root, (int)tid);
	fp = fopen(path, "re");
	if (!fp) {
		if (errno == ENOENT || errno == ESRCH)
			return -ENOENT;
		return log_err(-errno, "open %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), fp)) {
		char *p = line + 5, *nl;
		int64_t v;

		if (strncmp(line, "Tgid:", 5))
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		/* a bad value is logged by parse_i64(), named after the file */
		snprintf(what, sizeof(what), "%s: Tgid", path);
		rc = parse_i64(what, p, 1, INT_MAX, &v);
		if (!rc)
			tgid = (pid_t)v;
		break;
	}
	fclose(fp);
	if (rc)
		return rc;
	if (tgid < 0)
		return log_err(-EINVAL, "%s: no Tgid line", path);
	return tgid;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/*
 * Every thread id in <root>/proc/<pid>/task, ascending, into cfg->tids.
 * Returns 0, -ENOENT when there is no such process, or -errno (logged).
 */
static int list_threads(struct vs_config *cfg, const char *root, pid_t pid)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/proc/%d/task", root, (int)pid);
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT || errno == ESRCH)
			return -ENOENT;
		return log_err(-errno, "open %s: %s", path, strerror(errno));
	}
	while ((de = readdir(d))) {
		int64_t v;

		/* ".", ".."; every other entry is a thread id, else /proc is not /proc */
		if (de->d_name[0] == '.')
			continue;
		rc = parse_i64(path, de->d_name, 1, INT_MAX, &v);
		if (rc)
			break;
		rc = add_tid(cfg, (pid_t)v);
		if (rc)
			break;
	}
	closedir(d);
	if (!rc && cfg->ntids == 0)
		return -ENOENT;	/* a zombie's task directory is empty */
	if (!rc)
		qsort(cfg->tids, cfg->ntids, sizeof(*cfg->tids), cmp_pid);
	return rc;
}

/* Resolve the threads and open their schedstat files. Returns an exit code. */
static int open_threads(struct vs_ctx *ctx, struct vs_config *cfg)
{
	const char *root = cfg->loop.root;
	size_t i;
	int rc;

	if (cfg->pid) {
		rc = list_threads(cfg, root, cfg->pid);
		if (rc == -ENOENT)
			return cli_usage_error("--pid %d: no such process", (int)cfg->pid);
		if (rc)
			return EXIT_FAIL;
	}
	ctx->th = calloc(cfg->ntids, sizeof(*ctx->th));
	if (!ctx->th)
		return log_err(EXIT_FAIL, "thread table of %zu entries", cfg->ntids);
	for (i = 0; i < cfg->ntids; i++)
		ctx->th[i].fd = -1;
	ctx->n = cfg->ntids;
	for (i = 0; i < cfg->ntids; i++) {
		struct vs_thread *t = &ctx->th[i];

		t->tid = cfg->tids[i];
		t->pid = cfg->pid ? cfg->pid : tgid_of(root, t->tid);
		if (t->pid == -ENOENT)
			return cli_usage_error("--tid %d: no such thread", (int)t->tid);
		if (t->pid < 0)
			return EXIT_FAIL;
		t->fd = schedstat_open(root, t->pid, t->tid);
		if (t->fd < 0)
			return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Timing-critical: one pread per live thread, nothing else. */
static int vs_read(void *arg, void *slot)
{
	struct vs_ctx *ctx = arg;
	struct vs_entry *e = slot;
	size_t i, alive = 0;

	/*
	 * A thread exiting mid-run is expected, not an error, but
	 * schedstat_read_fd() logs every failure (ESRCH once the thread is
	 * gone). Silence it for the reads: nothing may be printed in the
	 * timing-critical part anyway. The failure is kept in gone_rc and
	 * reported once, as a warning, by vs_note_gone() outside of it.
	 */
	log_set_quiet(1);
	for (i = 0; i < ctx->n; i++) {
		struct vs_thread *t = &ctx->th[i];

		e[i].present = 0;
		if (t->gone)
			continue;
		t->gone_rc = schedstat_read_fd(t->fd, &e[i].s);
		if (t->gone_rc) {
			t->gone = 1;
			continue;
		}
		e[i].present = 1;
		alive++;
	}
	log_set_quiet(0);
	return alive ? 0 : SAMPLELOOP_END;
}

/* Thread @t is missing from a sample: say once why, after seq @prev_seq. */
static void vs_note_gone(struct vs_thread *t, int64_t prev_seq)
{
	if (t->warned)
		return;
	if (t->gone_rc == -ESRCH || t->gone_rc == -ENOENT)
		log_warn("thread %d exited after seq %lld; sampling the others", (int)t->tid,
			 (long long)prev_seq);
	else
		log_warn("thread %d: schedstat unreadable after seq %lld (%s); sampling the others",
			 (int)t->tid, (long long)prev_seq, strerror(-t->gone_rc));
	t->warned = 1;
}

static int vs_emit(void *arg, const struct sampleloop_rec *prev,
		   const struct sampleloop_rec *cur)
{
	struct vs_ctx *ctx = arg;
	const struct vs_entry *pe = prev->data, *ce = cur->data;
	struct schedpct pct;
	size_t i;
	int rc;

	for (i = 0; i < ctx->n; i++) {
		if (!ce[i].present) {
			vs_note_gone(&ctx->th[i], prev->seq);
			continue;
		}
		if (!pe[i].present)
			continue;
		schedstat_derive(&pe[i].s, &ce[i].s, cur->t_ns - prev->t_ns, &pct);
		rc = csvw_i64(ctx->csv, cur->seq);
		if (!rc)
			rc = csvw_i64(ctx->csv, cur->t_ns);
		if (!rc)
			rc = csvw_i64(ctx->csv, ctx->th[i].tid);
		if (!rc)
			rc = csvw_u64(ctx->csv, ce[i].s.run_ns);
		if (!rc)
			rc = csvw_u64(ctx->csv, ce[i].s.delay_ns);
		if (!rc)
			rc = csvw_u64(ctx->csv, ce[i].s.slices);
		if (!rc)
			rc = csvw_f(ctx->csv, pct.run_pct, 2);
		if (!rc)
			rc = csvw_f(ctx->csv, pct.delay_pct, 2);
		if (!rc)
			rc = csvw_end_row(ctx->csv);
		if (rc)
			return rc;
	}
	return 0;
}

static int vs_flush(void *arg)
{
	struct vs_ctx *ctx = arg;

	return csvw_flush(ctx->csv);
}

/* The threads' run time and run delay, in seconds, labelled pid and tid. */
static int vs_expose(void *arg, const struct sampleloop_rec *cur, struct promexp *p)
{
	struct vs_ctx *ctx = arg;
	const struct vs_entry *e = cur->data;
	char pid[16], tid[16];
	const struct promexp_label l[] = { { "pid", pid }, { "tid", tid } };
	size_t f, i;

	for (i = 0; i < ctx->n; i++)
		if (!e[i].present)
			vs_note_gone(&ctx->th[i], ctx->prev_seq);
	ctx->prev_seq = cur->seq;
	for (f = VIRT_PROM_TIME; f <= VIRT_PROM_DELAY; f++) {
		promexp_family(p, virt_prom_families[f].name, PROMEXP_COUNTER,
			       virt_prom_families[f].help);
		for (i = 0; i < ctx->n; i++) {
			uint64_t ns = f == VIRT_PROM_TIME ? e[i].s.run_ns : e[i].s.delay_ns;

			if (!e[i].present)
				continue;
			snprintf(pid, sizeof(pid), "%d", (int)ctx->th[i].pid);
			snprintf(tid, sizeof(tid), "%d", (int)ctx->th[i].tid);
			promexp_sample(p, l, 2, (double)ns / NS_PER_SEC);
		}
	}
	return p->err;
}

/* The --tid/--pid mode. Returns the exit code. */
static int run_threads(struct vs_config *cfg)
{
	static const char *const cols[] = {
		"seq", "t_ns", "tid", "run_ns", "delay_ns", "slices", "run_pct", "delay_pct",
	};
	static const struct sampleloop_ops ops = {
		.read = vs_read, .emit = vs_emit, .flush = vs_flush, .expose = vs_expose,
	};
	struct sampleloop_stats st;
	struct vs_ctx ctx;
	size_t i;
	int rc, status;

	memset(&ctx, 0, sizeof(ctx));
	status = open_threads(&ctx, cfg);
	if (status != EXIT_OK)
		goto out;
	status = EXIT_FAIL;
	if (vcpu_domain_output_start(&cfg->loop, cols, sizeof(cols) / sizeof(cols[0]), &ctx.csv))
		goto out;

	rc = sampleloop_run(&cfg->loop, ctx.n * sizeof(struct vs_entry), &ops, &ctx, &st);
	sampleloop_report(&st);
	if (st.source_ended)
		log_warn("every sampled thread has exited; stopped after %lld samples",
			 (long long)st.samples);
	if (vcpu_domain_output_end(ctx.csv) == 0 && rc == 0)
		status = EXIT_OK;
out:
	for (i = 0; i < ctx.n; i++)
		if (ctx.th[i].fd >= 0)
			close(ctx.th[i].fd);
	free(ctx.th);
	return status;
}

int main(int argc, char **argv)
{
	struct vs_config cfg;
	int status;

	log_init(argv[0]);
	memset(&cfg, 0, sizeof(cfg));
	status = parse_args(argc, argv, &cfg);
	if (status < 0)
		status = cfg.domain ? vcpu_domain_run(&cfg.loop, cfg.uri, cfg.domain) :
				     run_threads(&cfg);
	free(cfg.tids);
	return status;
}
