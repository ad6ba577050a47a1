/*
 * cli: what every stealscope binary shares on its command line: exit codes,
 * --version text, the stop flag set by SIGINT/SIGTERM, and whether to show
 * progress (only on a terminal).
 */
#ifndef STEALSCOPE_CLI_H
#define STEALSCOPE_CLI_H

#include <signal.h>

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_UNSUPPORTED = 4,          /* no /dev/kvm, no libvirt daemon, ... */
};

/* Print "<tool> (stealscope) <version>" to stdout. */
void cli_print_version(const char *tool);

/*
 * Install SIGINT/SIGTERM handlers (no SA_RESTART, so blocking calls return
 * EINTR) that set the flag returned by cli_stop_flag(). Returns 0 or -errno.
 */
int cli_install_stop_handlers(void);

/* Nonzero once SIGINT or SIGTERM arrived; the signal number. */
int cli_stop_requested(void);

/* Nonzero when stderr is a terminal (progress lines are shown only then). */
int cli_progress_wanted(void);

/*
 * Usage error: print "tool: error: <msg>" and "Try 'tool --help'." to stderr
 * and return EXIT_USAGE, for `return cli_usage_error(...)` in main().
 */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
