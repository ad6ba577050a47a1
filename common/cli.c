/*
 * cli: see cli.h. The signal handler only stores the signal number.
 */
#include "common/cli.h"
#include "common/log.h"

#include <errno.h>
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

int cli_install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;               /* no SA_RESTART: sleeps return EINTR */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return log_err(-errno, "sigaction: %s", strerror(errno));
	return 0;
}

int cli_stop_requested(void)
{
	return stop_signal;
}

int cli_progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

int cli_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err(EXIT_USAGE, "%s", msg);
	fprintf(stderr, "Try '%s --help' for more information.\n", log_tool());
	return EXIT_USAGE;
}
