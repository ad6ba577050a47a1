/*
 * inf-loop: the noisy neighbour. A CPU-bound loop, optionally pinned and
 * niced, bounded by a duration or running until SIGINT/SIGTERM, busy for a
 * given share of every period and asleep (to absolute CLOCK_MONOTONIC
 * deadlines, so sleep overshoot does not accumulate) for the rest. It must
 * never read the clock or check for a stop on every iteration: the loop is
 * the product, its bookkeeping must stay a rounding error.
 */
#include "common/affinity.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"
#include "guest-tools/workunit.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/*
 * workunit_spin() steps between clock reads: ~2 us of work, fine enough for
 * the shortest period (100us). The clock read is vDSO user time, so checking
 * often does not make the loop any less busy.
 */
#define SPIN_CHUNK 1000

struct inf_cfg {
	int cpu;                        /* -1: not pinned */
	int64_t delay_ns;               /* asleep this long before the first period */
	int64_t duration_ns;            /* 0: until a signal */
	double duty_pct;
	int64_t period_ns;
	int nice;
	int set_nice;
	int64_t t0_ns;                  /* --t0: origin of --delay and of the t_ns printed */
	int has_t0;
};

struct inf_stats {
	int64_t elapsed_ns;
	int64_t busy_ns;                /* wall time spent spinning */
	int64_t cpu_ns;                 /* CPU time actually obtained */
	int64_t first_ns;               /* CLOCK_MONOTONIC when the loop began */
	int64_t last_ns;                /* ... and when it ended */
};

static void usage(void)
{
	printf("Usage: inf-loop [OPTION]...\n"
	       "Burn CPU: busy for PCT of every period, until DUR has passed or until\n"
	       "SIGINT/SIGTERM. On exit, report how long it ran and how busy it was.\n"
	       "\n"
	       "  -c, --cpu C           pin to CPU C (default: not pinned)\n"
	       "      --delay DUR       sleep DUR after starting (or after --t0) before\n"
	       "                        the first period (default 0); --duration counts\n"
	       "                        from its end\n"
	       "  -d, --duration DUR    stop after DUR (default: run until a signal)\n"
	       "  -D, --duty PCT        busy share of every period, above 0 up to 100\n"
	       "                        (default 100)\n"
	       "      --period DUR      duty-cycle period, 100us..60s (default 100ms)\n"
	       "      --nice N          run at nice level N, -20..19\n"
	       "      --t0 NS           count --delay and the t_ns reported from the\n"
	       "                        CLOCK_MONOTONIC instant NS (e.g. from host-facts\n"
	       "                        --monotonic-ns), to share one time axis with other\n"
	       "                        tools; at most 1 minute ahead\n"
	       "  -h, --help            show this help and exit\n"
	       "  -V, --version         show the version and exit\n"
	       "\n"
	       "On exit it reports on stderr how long it ran, how busy it was, and the\n"
	       "start and stop of the loop as t_ns (ns from --t0, or from its own start).\n"
	       "Durations take a unit: 250ns, 10us, 2ms, 1.5s.\n"
	       "Short options mean the same in every stealscope measurement tool:\n"
	       "-p and -n (--pid, --count elsewhere) are not --period and --nice here.\n"
	       "Exit status: 0 ok (also when stopped by a signal, even during --delay),\n"
	       "1 failure, 2 usage error.\n");
}

/* getopt values of the long-only options (-d is --duration here) */
enum { OPT_DELAY = 0x100, OPT_PERIOD, OPT_NICE, OPT_T0 };

/* Returns -1 to go on, or the exit code for main(). */
static int parse_args(int argc, char **argv, struct inf_cfg *cfg)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "duration", required_argument, NULL, 'd' },
		{ "duty", required_argument, NULL, 'D' },
		{ "period", required_argument, NULL, OPT_PERIOD },
		{ "nice", required_argument, NULL, OPT_NICE },
		{ "t0", required_argument, NULL, OPT_T0 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cpu_set_t set;
	int64_t v;
	int c;

	*cfg = (struct inf_cfg){
		.cpu = -1, .delay_ns = 0, .duration_ns = 0, .duty_pct = 100.0,
		.period_ns = 100 * NS_PER_MS, .nice = 0, .set_nice = 0, .t0_ns = 0, .has_t0 = 0,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:D:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_i64("--cpu", optarg, 0, CPU_SETSIZE - 1, &v))
				return cli_usage_hint();
			cfg->cpu = (int)v;
			break;
		case OPT_DELAY:
			if (parse_duration_ns("--delay", optarg, 0, CLI_MAX_DURATION_NS,
					      &cfg->delay_ns))
				return cli_usage_hint();
			break;
		case 'd':
			if (parse_duration_ns("--duration", optarg, NS_PER_US, CLI_MAX_DURATION_NS,
					      &cfg->duration_ns))
				return cli_usage_hint();
			break;
		case 'D':
			if (parse_pct_positive("--duty", optarg, NULL, &cfg->duty_pct))
				return cli_usage_hint();
			break;
		case OPT_PERIOD:
			if (parse_duration_ns("--period", optarg, 100 * NS_PER_US, 60 * NS_PER_SEC,
					      &cfg->period_ns))
				return cli_usage_hint();
			break;
		case OPT_NICE:
			if (parse_i64("--nice", optarg, -20, 19, &v))
				return cli_usage_hint();
			cfg->nice = (int)v;
			cfg->set_nice = 1;
			break;
		case OPT_T0:
			if (cli_parse_instant("--t0", optarg, &cfg->t0_ns))
				return EXIT_USAGE;
			cfg->has_t0 = 1;
			break;
		default:
			return cli_common_option(c, argv, usage, log_tool());
		}
	}
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (cfg->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cfg->cpu, &set);
		if (cpulist_check_online("--cpu", &set, NULL))
			return cli_usage_hint();
	}
	return -1;
}

static int64_t cpu_time_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/*
 * Spin until @deadline_ns or a stop request, reading the clock once per
 * SPIN_CHUNK steps of the work unit's chain. @state carries the chain so the
 * compiler has to keep the work. Returns the time of the last clock read.
 */
static int64_t spin_until(int64_t deadline_ns, uint64_t *state)
{
	uint64_t x = *state;
	int64_t now;

	do {
		x = workunit_spin(SPIN_CHUNK, x);
		now = mono_ns();
	} while (now < deadline_ns && !cli_stop_requested());
	*state = x;
	return now;
}

/*
 * The duty cycle on a fixed grid of periods from @start (CLOCK_MONOTONIC
 * ns): busy from each period's start for busy_ns, asleep to the next
 * period's start. A period we fell behind on (preempted, stopped) is
 * skipped, not made up for: the neighbour keeps its rate, it does not burst.
 */
static void run_loop(const struct inf_cfg *cfg, int64_t start, struct inf_stats *st)
{
	int64_t period = cfg->period_ns;
	int64_t busy = (int64_t)((double)period * cfg->duty_pct / 100.0 + 0.5);
	int64_t end, cpu0, k, now;
	uint64_t state = 0x9e3779b97f4a7c15ULL;

	if (busy > period)
		busy = period;
	cpu0 = cpu_time_ns();
	end = cfg->duration_ns ? start + cfg->duration_ns : INT64_MAX;
	now = mono_ns();
	st->first_ns = now;
	for (k = 0; !cli_stop_requested(); k++) {
		int64_t pstart = start + k * period;
		int64_t busy_end = pstart + busy < end ? pstart + busy : end;
		int64_t next = pstart + period < end ? pstart + period : end;

		if (pstart >= end)
			break;
		if (now < busy_end) {
			int64_t b = now;

			now = spin_until(busy_end, &state);
			st->busy_ns += now - b;
		}
		if (cli_stop_requested() || now >= end)
			break;
		if (busy < period) {
			if (cli_sleep_until(next))
				break;
			now = mono_ns();
		}
		if (now >= next + period)
			k = (now - start) / period - 1;
	}
	st->last_ns = mono_ns();
	st->elapsed_ns = st->last_ns - start;
	st->cpu_ns = cpu_time_ns() - cpu0;
	if (state == 0)                 /* keep the chain observable */
		log_debug("xorshift chain reached 0");
}

/*
 * Where the loop's grid starts: the --delay deadline, counted from @origin
 * (--t0, or our own start). It is slept to as an absolute deadline, so it
 * ends when it was meant to however long the setup took. Returns 0 with
 * *start set, or -EINTR when stopped meanwhile.
 */
static int wait_for_start(const struct inf_cfg *cfg, int64_t origin, int64_t *start)
{
	int64_t deadline = origin + cfg->delay_ns, now = mono_ns();

	if (deadline <= now) {
		if (cfg->has_t0 && cfg->delay_ns)
			log_warn("the --delay deadline (t_ns %lld) had passed at start-up (t_ns %lld): "
				 "starting now", (long long)(deadline - origin),
				 (long long)(now - origin));
		*start = now;
		return 0;
	}
	if (cli_sleep_until(deadline))
		return -EINTR;
	*start = deadline;
	return 0;
}

int main(int argc, char **argv)
{
	struct inf_cfg cfg;
	struct inf_stats st = { 0 };
	int64_t begin, origin, start;
	double el;
	int rc;

	begin = mono_ns();              /* --delay counts from here without --t0 */
	log_init(argv[0]);
	rc = parse_args(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	if (cli_install_stop_handlers())
		return EXIT_FAIL;
	if (cfg.cpu >= 0 && affinity_pin_self(cfg.cpu))
		return EXIT_FAIL;
	if (cfg.set_nice && setpriority(PRIO_PROCESS, 0, cfg.nice))
		return log_err(EXIT_FAIL, "setpriority(nice %d): %s", cfg.nice, strerror(errno));

	origin = cfg.has_t0 ? cfg.t0_ns : begin;
	if (wait_for_start(&cfg, origin, &start)) {
		log_info("stopped by signal %d during --delay: did not run", cli_stop_requested());
		return EXIT_OK;
	}
	run_loop(&cfg, start, &st);

	el = st.elapsed_ns > 0 ? (double)st.elapsed_ns : 1.0;
	log_info("ran %.3f ms%s: busy %.1f%% of the time (target %.1f%%), got %.1f%% CPU",
		 (double)st.elapsed_ns / NS_PER_MS,
		 cli_stop_requested() ? " (stopped by signal)" : "",
		 100.0 * (double)st.busy_ns / el, cfg.duty_pct, 100.0 * (double)st.cpu_ns / el);
	log_info("start t_ns %lld, stop t_ns %lld (ns from %s)", (long long)(st.first_ns - origin),
		 (long long)(st.last_ns - origin), cfg.has_t0 ? "--t0" : "start-up");
	return EXIT_OK;
}
