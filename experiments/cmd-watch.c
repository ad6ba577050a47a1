/*
 * stealscope watch: steal and vCPU contention, live. Every --interval it
 * reads this host's /proc/stat, takes the newest sample of each --connect
 * URI from its sampler process (experiments/watchsrc), derives the rates
 * (experiments/watchderive), redraws the view (experiments/watchview),
 * feeds the threshold logic (experiments/watchthresh) that starts the
 * --exec actions (experiments/watchexec), and keeps the samples for the
 * /metrics server (experiments/watchhttp, experiments/watchprom).
 *
 * This file is the loop and the command line only: it never talks to
 * libvirt (the samplers do, in their own processes) and never formats a
 * figure itself. The samples are shared with the HTTP server's thread
 * under one mutex; only this thread writes them.
 */
#include "experiments/commands.h"

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/procstat.h"
#include "common/promexp.h"
#include "common/timeutil.h"
#include "experiments/watchderive.h"
#include "experiments/watchexec.h"
#include "experiments/watchhttp.h"
#include "experiments/watchprom.h"
#include "experiments/watchsrc.h"
#include "experiments/watchthresh.h"
#include "experiments/watchview.h"
#include "host-tools/virt.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOSTS 64
#define MIN_INTERVAL_NS (10 * NS_PER_MS)   /* USER_HZ is 100: less shows nothing */
#define MAX_INTERVAL_NS (3600 * NS_PER_SEC)
#define MAX_FOR_NS (24 * 3600 * NS_PER_SEC)
#define MAX_COUNT 1000000000LL
#define ACTION_MIN_GAP_NS (60 * NS_PER_SEC) /* rate limit per vCPU or CPU */
#define FORGET_AFTER_NS (600 * NS_PER_SEC)  /* threshold state of a vanished vCPU */
#define ACTION_GRACE_NS (2 * NS_PER_SEC)    /* for running actions at the end */
#define KEY_MAX (4096 + WATCH_NAME_MAX + 32)

struct watch_config {
	const char *uris[MAX_HOSTS];
	size_t nuris;
	int64_t interval_ns;
	int64_t count;                 /* refreshes; 0: until stopped */
	int64_t duration_ns;           /* 0: until stopped */
	int listen;
	struct watchhttp_addr addr;
	int has_threshold, has_for;
	double threshold_pct;
	int64_t for_ns;
	const char *exec;
};

static void watch_usage(void)
{
	printf("Usage: stealscope watch [--connect URI]... [--interval DUR] [--listen ADDR:PORT]\n"
	       "                        [--threshold PCT --for DUR --exec CMD]\n"
	       "                        [--count N | --duration DUR]\n"
	       "Watch steal and vCPU contention live: this host's per-CPU %%usr, %%sys and\n"
	       "%%steal (/proc/stat) and, for every running domain of every --connect URI,\n"
	       "each vCPU's run delay (what a KVM guest sees as steal), run time and wait\n"
	       "in %% of the interval: one line per vCPU, highest delay first. On a terminal\n"
	       "the view is redrawn in place; otherwise a block of lines is appended per\n"
	       "interval.\n"
	       "\n"
	       "  -c, --connect URI    watch the libvirt domains at URI; repeat for several\n"
	       "                       hosts (qemu:///system, qemu+ssh://host/system, ...).\n"
	       "                       Each URI is sampled by a process of its own: one that\n"
	       "                       does not answer or stops answering is shown as\n"
	       "                       unreachable or lost and retried after 1 s, 2 s, 4 s,\n"
	       "                       ... and then every 30 s, while the others go on.\n"
	       "                       Without --connect only this host's CPUs are watched.\n"
	       "  -i, --interval DUR   refresh every DUR (default 1s; 10ms to 1h)\n"
	       "  -n, --count N        stop after N refreshes\n"
	       "  -d, --duration DUR   stop after DUR (default: run until Ctrl-C or SIGTERM)\n"
	       "      --listen ADDR:PORT  serve Prometheus /metrics there (127.0.0.1:9478,\n"
	       "                       [::1]:9478, 0.0.0.0:9478; port 0: any free port,\n"
	       "                       said on stderr)\n"
	       "      --threshold PCT  run --exec CMD when a vCPU's delay or a CPU's steal\n"
	       "                       stays above PCT (0 < PCT < 100) ...\n"
	       "      --for DUR        ... for DUR (0: one interval above is enough)\n"
	       "      --exec CMD       the action, run as /bin/sh -c CMD\n"
	       "  -h, --help           show this help and exit\n"
	       "  -V, --version        show the version and exit\n"
	       "\n"
	       "/metrics holds the counters of the latest sample (at most one interval\n"
	       "old), never rates: stealscope_cpu_seconds_total{cpu,mode},\n"
	       "stealscope_vcpu_run_seconds_total, stealscope_vcpu_delay_seconds_total and\n"
	       "stealscope_vcpu_wait_seconds_total{host,domain,vcpu}, stealscope_libvirt_up\n"
	       "and stealscope_libvirt_failures_total{host}, and when the figures were taken:\n"
	       "stealscope_cpu_sample_timestamp_seconds and\n"
	       "stealscope_vcpu_sample_timestamp_seconds{host,domain}.\n"
	       "\n"
	       "Threshold actions get STEALSCOPE_HOST (the URI; this host's name for a\n"
	       "CPU), STEALSCOPE_DOMAIN and STEALSCOPE_VCPU or STEALSCOPE_CPU,\n"
	       "STEALSCOPE_VALUE_PCT, STEALSCOPE_THRESHOLD_PCT and STEALSCOPE_TIME (UTC,\n"
	       "2026-11-03T14:05:09Z) in their environment. An action runs once per\n"
	       "crossing: the vCPU or CPU is re-armed only after its figure fell below PCT\n"
	       "minus min(5, PCT/2) points. At most one action per vCPU or CPU every 60 s\n"
	       "and at most %d at a time; each is killed after %lld s. Their output goes to\n"
	       "stderr, their exit status is logged there.\n"
	       "\n"
	       "Exit status: 0 ok (also when stopped by Ctrl-C or SIGTERM), 1 failure (such\n"
	       "as a --listen address in use), 2 usage error.\n",
	       WATCHEXEC_MAX_RUNNING, (long long)(WATCHEXEC_TIMEOUT_NS / NS_PER_SEC));
}

static int add_uri(struct watch_config *cfg, const char *uri)
{
	size_t i;

	if (virt_check_uri_arg("--connect", uri))
		return EXIT_USAGE;
	for (i = 0; i < cfg->nuris; i++) {
		if (!strcmp(cfg->uris[i], uri))
			return cli_usage_error("--connect %s: given twice", uri);
	}
	if (cfg->nuris == MAX_HOSTS)
		return cli_usage_error("--connect: more than %d URIs", MAX_HOSTS);
	cfg->uris[cfg->nuris++] = uri;
	return 0;
}

/* The options that only make sense together. */
static int check_combinations(const struct watch_config *cfg)
{
	if (cfg->has_threshold && (!cfg->has_for || !cfg->exec))
		return cli_usage_error("--threshold needs --for DUR and --exec CMD");
	if (!cfg->has_threshold && (cfg->has_for || cfg->exec))
		return cli_usage_error("%s needs --threshold PCT", cfg->exec ? "--exec" : "--for");
	if (cfg->count && cfg->duration_ns)
		return cli_usage_error("--count and --duration exclude each other");
	return 0;
}

enum { OPT_LISTEN = 256, OPT_THRESHOLD, OPT_FOR, OPT_EXEC };

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct watch_config *cfg)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "for", required_argument, NULL, OPT_FOR },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->interval_ns = NS_PER_SEC;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:i:n:d:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (add_uri(cfg, optarg))
				return EXIT_USAGE;
			break;
		case 'i':
			if (parse_duration_ns("--interval", optarg, MIN_INTERVAL_NS, MAX_INTERVAL_NS,
					      &cfg->interval_ns))
				return cli_usage_hint();
			break;
		case 'n':
			if (parse_i64("--count", optarg, 1, MAX_COUNT, &cfg->count))
				return cli_usage_hint();
			break;
		case 'd':
			if (parse_duration_ns("--duration", optarg, 1, CLI_MAX_DURATION_NS,
					      &cfg->duration_ns))
				return cli_usage_hint();
			break;
		case OPT_LISTEN:
			if (watchhttp_parse_addr("--listen", optarg, &cfg->addr))
				return cli_usage_hint();
			cfg->listen = 1;
			break;
		case OPT_THRESHOLD:
			if (parse_pct("--threshold", optarg, &cfg->threshold_pct))
				return cli_usage_hint();
			/* 0 fires at any figure, 100 never: neither is a threshold */
			if (cfg->threshold_pct <= 0.0 || cfg->threshold_pct >= 100.0)
				return cli_usage_error("--threshold: '%s' is out of range (0, 100)",
						       optarg);
			cfg->has_threshold = 1;
			break;
		case OPT_FOR:
			if (parse_duration_ns("--for", optarg, 0, MAX_FOR_NS, &cfg->for_ns))
				return cli_usage_hint();
			cfg->has_for = 1;
			break;
		case OPT_EXEC:
			if (!optarg[0])
				return cli_usage_error("--exec: empty command");
			cfg->exec = optarg;
			break;
		default:
			return cli_common_option(opt, argv, watch_usage, "stealscope");
		}
	}
	if (cli_no_operands(argc, argv) || check_combinations(cfg))
		return EXIT_USAGE;
	return -1;
}

/* One --connect URI: its sampler and its two newest samples. */
struct watch_slot {
	const char *uri;
	struct watchsrc *src;
	struct watch_host prev, cur;
};

struct watch_run {
	struct watch_config *cfg;
	pthread_mutex_t lock;          /* ps, cur and the slots' samples vs. /metrics */
	struct procstat_file pf;
	struct procstat_sample *ps[2];
	int cur;                       /* ps[cur] is the newest */
	int64_t nsamples;
	struct watch_slot slot[MAX_HOSTS];
	size_t nslots;
	const struct watch_host *hostp[MAX_HOSTS]; /* &slot[i].cur, for watchprom */
	struct watchderive rows;
	struct watchthresh_cfg tcfg;
	struct watchthresh_table thresh;
	struct watchexec exec;
	char hostname[256];
	long user_hz;
	int ansi;
	int64_t start_ns;
};

/* /metrics, on the HTTP server's thread. */
static int render_metrics(void *ctx, FILE *f)
{
	struct watch_run *w = ctx;
	struct timespec rt;
	struct promexp p;
	int64_t offset;
	int err;

	/* Unix times for the sample times: the wall clock is only read here. */
	clock_gettime(CLOCK_REALTIME, &rt);
	offset = rt.tv_sec * NS_PER_SEC + rt.tv_nsec - mono_ns();
	pthread_mutex_lock(&w->lock);
	promexp_init(&p, f);
	err = watchprom_write(&p, w->nsamples ? w->ps[w->cur] : NULL, w->user_hz,
			      w->cfg->uris, w->hostp, w->nslots, offset);
	pthread_mutex_unlock(&w->lock);
	return err;
}

/* The samples of this tick; *@fresh: a bit per slot with a new one. Returns 0 or -errno. */
static int take_samples(struct watch_run *w, uint64_t *fresh)
{
	size_t i;
	int err, r;

	*fresh = 0;
	pthread_mutex_lock(&w->lock);
	if (w->nsamples)
		w->cur ^= 1;
	err = procstat_read_file(&w->pf, w->ps[w->cur]);
	w->ps[w->cur]->t_ns = mono_ns();
	if (!err && w->nsamples)
		watchprom_clamp(w->ps[w->cur], w->ps[!w->cur]);
	for (i = 0; !err && i < w->nslots; i++) {
		r = watchsrc_update(w->slot[i].src, &w->slot[i].prev, &w->slot[i].cur);
		if (r < 0)
			err = r;
		else if (r > 0)
			*fresh |= 1ull << i;
	}
	if (!err)
		w->nsamples++;
	pthread_mutex_unlock(&w->lock);
	return err;
}

static void fire(struct watch_run *w, const struct watchexec_event *ev,
		 enum watchthresh_event what)
{
	if (what == WATCHTHRESH_FIRE) {
		watchexec_start(&w->exec, ev, mono_ns());
	} else if (what == WATCHTHRESH_SUPPRESSED) {
		if (ev->domain)
			log_info("%s %s vCPU %d above %g%% again within %lld s of its last action: "
				 "not run", ev->host, ev->domain, ev->vcpu, ev->threshold_pct,
				 (long long)(ACTION_MIN_GAP_NS / NS_PER_SEC));
		else
			log_info("CPU %d above %g%% again within %lld s of its last action: not run",
				 ev->cpu, ev->threshold_pct,
				 (long long)(ACTION_MIN_GAP_NS / NS_PER_SEC));
	}
}

static void check_cpus(struct watch_run *w)
{
	const struct watchview_cpu *c;
	struct watchthresh_state *st;
	struct watchexec_event ev;
	char key[32];
	size_t i;

	for (i = 0; i < w->rows.ncpus; i++) {
		c = &w->rows.cpus[i];
		if (c->cpu < 0)
			continue;
		snprintf(key, sizeof(key), "cpu %d", c->cpu);
		st = watchthresh_lookup(&w->thresh, key, c->end_ns);
		if (!st)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.host = w->hostname;
		ev.vcpu = -1;
		ev.cpu = c->cpu;
		ev.value_pct = c->steal_pct;
		ev.threshold_pct = w->tcfg.above_pct;
		ev.wall_s = (int64_t)time(NULL);
		fire(w, &ev, watchthresh_update(&w->tcfg, st, c->start_ns, c->end_ns,
						c->have ? c->steal_pct : NAN));
	}
}

/* The vCPU rows [@from, @to) of one host with a new sample. */
static void check_vcpus(struct watch_run *w, size_t from, size_t to)
{
	const struct watchview_vcpu *v;
	struct watchthresh_state *st;
	struct watchexec_event ev;
	char key[KEY_MAX];
	size_t i;

	for (i = from; i < to; i++) {
		v = &w->rows.vcpus[i];
		/* Unit separators: no URI or domain name holds one. */
		snprintf(key, sizeof(key), "vcpu\037%s\037%s\037%u", v->host, v->domain, v->vcpu);
		st = watchthresh_lookup(&w->thresh, key, v->end_ns);
		if (!st)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.host = v->host;
		ev.domain = v->domain;
		ev.vcpu = (int)v->vcpu;
		ev.cpu = -1;
		ev.value_pct = v->delay_pct;
		ev.threshold_pct = w->tcfg.above_pct;
		ev.wall_s = (int64_t)time(NULL);
		fire(w, &ev, watchthresh_update(&w->tcfg, st, v->start_ns, v->end_ns,
						(v->have & WATCHVIEW_DELAY) ? v->delay_pct : NAN));
	}
}

static unsigned terminal_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row == 0)
		return 0;
	return ws.ws_row;
}

/* Derive, act, draw. Returns 0 or -errno. */
static int show(struct watch_run *w, uint64_t fresh, int64_t now)
{
	struct watchview_frame fr;
	size_t i, before;
	int err;

	err = watchderive_cpus(&w->rows, w->nsamples > 1 ? w->ps[!w->cur] : NULL,
			       w->ps[w->cur]);
	if (err)
		return log_err(err, "the view's rows: out of memory");
	if (w->cfg->has_threshold && w->nsamples > 1)
		check_cpus(w);
	watchderive_hosts_begin(&w->rows);
	for (i = 0; i < w->nslots; i++) {
		before = w->rows.nvcpus;
		err = watchderive_host(&w->rows, w->slot[i].uri, &w->slot[i].prev, &w->slot[i].cur);
		if (err)
			return log_err(err, "the view's rows: out of memory");
		if (w->cfg->has_threshold && (fresh & (1ull << i)))
			check_vcpus(w, before, w->rows.nvcpus);
	}
	if (w->cfg->has_threshold) {
		watchexec_reap(&w->exec, now);
		watchthresh_expire(&w->thresh, now - FORGET_AFTER_NS);
	}
	if (w->nsamples < 2)
		return 0;                      /* no interval yet: nothing to show */
	watchview_sort(w->rows.vcpus, w->rows.nvcpus);
	memset(&fr, 0, sizeof(fr));
	fr.now_ns = now;
	fr.elapsed_ns = now - w->start_ns;
	fr.interval_ns = w->cfg->interval_ns;
	fr.cpus = w->rows.cpus;
	fr.ncpus = w->rows.ncpus;
	fr.libvirt = w->nslots > 0;
	fr.hosts = w->rows.hosts;
	fr.nhosts = w->rows.nhosts;
	fr.vcpus = w->rows.vcpus;
	fr.nvcpus = w->rows.nvcpus;
	if (watchview_render(stdout, &fr, w->ansi, w->ansi ? terminal_rows() : 0))
		return log_err(-EIO, "write stdout: %s", strerror(errno));
	return 0;
}

static int loop(struct watch_run *w)
{
	const struct watch_config *cfg = w->cfg;
	int64_t frames = cfg->count, deadline, shown = 0;
	uint64_t fresh;
	int err;

	if (cfg->duration_ns)
		frames = (cfg->duration_ns + cfg->interval_ns - 1) / cfg->interval_ns;
	w->start_ns = mono_ns();
	deadline = w->start_ns;
	for (;;) {
		err = take_samples(w, &fresh);
		if (err)
			return EXIT_FAIL;
		if (show(w, fresh, mono_ns()))
			return EXIT_FAIL;
		if (w->nsamples > 1 && frames && ++shown >= frames)
			return EXIT_OK;
		deadline += cfg->interval_ns;
		if (cli_sleep_until(deadline))
			return EXIT_OK;            /* SIGINT or SIGTERM: a clean end */
	}
}

/* Everything before the loop; the samplers are forked before any thread starts. */
static int setup(struct watch_run *w, int *listen_fd)
{
	struct watch_config *cfg = w->cfg;
	size_t i;

	w->user_hz = sysconf(_SC_CLK_TCK);
	if (w->user_hz <= 0)
		w->user_hz = 100;
	if (gethostname(w->hostname, sizeof(w->hostname) - 1))
		snprintf(w->hostname, sizeof(w->hostname), "localhost");
	w->ansi = isatty(STDOUT_FILENO);
	w->ps[0] = calloc(1, sizeof(*w->ps[0]));
	w->ps[1] = calloc(1, sizeof(*w->ps[1]));
	if (!w->ps[0] || !w->ps[1])
		return log_err(EXIT_FAIL, "out of memory");
	if (procstat_open(NULL, &w->pf))
		return EXIT_FAIL;
	if (cfg->listen) {
		*listen_fd = watchhttp_listen(&cfg->addr);
		if (*listen_fd < 0)
			return EXIT_FAIL;
	}
	for (i = 0; i < cfg->nuris; i++) {
		w->slot[i].uri = cfg->uris[i];
		w->slot[i].cur.state = WATCH_HOST_CONNECTING;
		w->hostp[i] = &w->slot[i].cur;
		if (watchsrc_start(virt_libvirt_ops(), cfg->uris[i], cfg->interval_ns,
				   &w->slot[i].src))
			return EXIT_FAIL;
		w->nslots++;
	}
	if (!cfg->nuris)
		log_info("libvirt is not watched (no --connect URI): only this host's CPUs");
	if (cfg->has_threshold) {
		w->tcfg.above_pct = cfg->threshold_pct;
		w->tcfg.rearm_pct = watchthresh_rearm_pct(cfg->threshold_pct);
		w->tcfg.for_ns = cfg->for_ns;
		w->tcfg.min_gap_ns = ACTION_MIN_GAP_NS;
		watchexec_init(&w->exec, cfg->exec, WATCHEXEC_TIMEOUT_NS);
	}
	return 0;
}

static void teardown(struct watch_run *w)
{
	size_t i;

	for (i = 0; i < w->nslots; i++) {
		watchsrc_stop(w->slot[i].src);
		watchdata_free(&w->slot[i].prev);
		watchdata_free(&w->slot[i].cur);
	}
	if (w->cfg->has_threshold)
		watchexec_finish(&w->exec, ACTION_GRACE_NS);
	watchthresh_table_free(&w->thresh);
	watchderive_free(&w->rows);
	procstat_close(&w->pf);
	procstat_release_buffer();
	free(w->ps[0]);
	free(w->ps[1]);
}

int cmd_watch(int argc, char **argv)
{
	struct watch_config cfg;
	struct watchhttp *http = NULL;
	struct watch_run *w;
	int rc, listen_fd = -1;

	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (cli_install_stop_handlers())
		return EXIT_FAIL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return log_err(EXIT_FAIL, "out of memory");
	w->cfg = &cfg;
	w->pf.fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	rc = setup(w, &listen_fd);
	if (!rc && cfg.listen) {
		if (watchhttp_start(listen_fd, render_metrics, w, &http))
			rc = EXIT_FAIL;
		else
			log_info("serving http://%s/metrics", cfg.addr.text);
		listen_fd = -1;
	}
	if (!rc)
		rc = loop(w);
	watchview_end(stdout, w->ansi);
	watchhttp_stop(http);
	if (listen_fd >= 0)
		close(listen_fd);
	teardown(w);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return rc;
}
