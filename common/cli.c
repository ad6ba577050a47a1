/*
 * cli: see cli.h. The signal handler only stores the signal number; usage
 * errors are logged once and followed by one hint line.
 */
#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef STEALSCOPE_VERSION
#define STEALSCOPE_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_signal;

void cli_print_version(const char *tool)
{
	printf("%s (stealscope) %s\n", tool, STEALSCOPE_VERSION);
}

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int install_stop_handlers(int flags)
{
	struct sigaction sa, hup;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;           /* no SA_RESTART: sleeps return EINTR */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, NULL, &hup) ||
	    (hup.sa_handler != SIG_IGN && sigaction(SIGHUP, &sa, NULL)))
		return log_err(-errno, "sigaction: %s", strerror(errno));
	return 0;
}

int cli_install_stop_handlers(void)
{
	return install_stop_handlers(0);
}

int cli_install_stop_handlers_once(void)
{
	return install_stop_handlers(SA_RESETHAND);
}

int cli_stop_requested(void)
{
	return stop_signal;
}

/* The stop flag is looked at this often while sleeping (see cli.h). */
#define SLEEP_SLICE_NS (100 * NS_PER_MS)

int cli_sleep_until(int64_t deadline_ns)
{
	int64_t now;

	for (;;) {
		if (cli_stop_requested())
			return -EINTR;
		now = mono_ns();
		if (now >= deadline_ns)
			return 0;
		/* 0 or -EINTR: either way look at the flag and the clock again */
		(void)sleep_until_ns(deadline_ns - now > SLEEP_SLICE_NS ?
				     now + SLEEP_SLICE_NS : deadline_ns);
	}
}

int cli_progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

int cli_usage_hint(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", log_tool());
	return EXIT_USAGE;
}

int cli_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err(EXIT_USAGE, "%s", msg);
	return cli_usage_hint();
}

/* The length of "--name" in "--name=value" (or the whole of @arg). */
static int long_name_len(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq ? (int)(eq - arg) : (int)strlen(arg);
}

/*
 * glibc's getopt_long() has advanced optind past a long option when it
 * reports it, so argv[optind - 1] names it. A short option can sit inside a
 * group ("-vx") that optind has not left yet, so it is named by optopt.
 * For '?', optopt is 0 for an unknown long option, the option's letter for
 * an unknown short one, and the option's val for a long option that takes
 * no value but was given one ("--help=x").
 */
int cli_getopt_error(int c, char *const argv[])
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int is_long = !strncmp(arg, "--", 2);

	if (c == ':') {
		if (is_long || !optopt)
			return cli_usage_error("option '%s' needs a value", arg);
		return cli_usage_error("option '-%c' needs a value", optopt);
	}
	if (!optopt)
		return cli_usage_error("unknown option '%.*s'", long_name_len(arg), arg);
	if (is_long && strchr(arg, '='))
		return cli_usage_error("option '%.*s' takes no value", long_name_len(arg), arg);
	return cli_usage_error("unknown option '-%c'", optopt);
}

int cli_no_operands(int argc, char *const argv[])
{
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

int cli_common_option(int c, char *const argv[], void (*usage)(void), const char *tool)
{
	switch (c) {
	case 'h':
		usage();
		return EXIT_OK;
	case 'V':
		cli_print_version(tool);
		return EXIT_OK;
	default:
		return cli_getopt_error(c, argv);
	}
}

int cli_one_operand(int argc, char *const argv[], const char *missing, const char **operand)
{
	if (optind >= argc)
		return cli_usage_error("%s", missing);
	*operand = argv[optind++];
	return cli_no_operands(argc, argv) ? EXIT_USAGE : 0;
}

/* An instant further ahead than this is not "now, give or take start-up". */
#define INSTANT_MAX_AHEAD_NS (60 * NS_PER_SEC)

int cli_parse_instant(const char *what, const char *arg, int64_t *out_ns)
{
	int64_t v, now;

	if (parse_i64(what, arg, INT64_MIN, INT64_MAX, &v))
		return cli_usage_hint();
	if (v < 0)
		return cli_usage_error("%s: '%s' is negative: expected a CLOCK_MONOTONIC time "
				       "in ns (e.g. from host-facts --monotonic-ns)", what, arg);
	now = mono_ns();
	if (v > now && v - now > INSTANT_MAX_AHEAD_NS)
		return cli_usage_error("%s: '%s' is %.1f s in the future (at most 60 s allowed): "
				       "expected a CLOCK_MONOTONIC time in ns (e.g. from "
				       "host-facts --monotonic-ns)", what, arg,
				       (double)(v - now) / NS_PER_SEC);
	*out_ns = v;
	return 0;
}
