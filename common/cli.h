/*
 * cli: what every stealscope binary shares on its command line: exit codes,
 * --version text, the stop flag set by SIGINT/SIGTERM, sleeping to a deadline
 * without missing that flag, and whether to show progress (only on a
 * terminal).
 *
 * A short option means the same in every measurement tool (guest-tools/,
 * host-tools/) that has it: -c the CPU(s), -d --duration, -f --format, -i
 * --interval, -n --count, -o --out, -p --pid, -r --root, -h --help, -V
 * --version (-f: csv, table or prometheus, as the tool offers). An option
 * whose letter means something else in another of them (sched-load's
 * --procs, --units and --delay; inf-loop's --period and --nice) is long-only
 * rather than given a letter of its own that a user would confuse.
 */
#ifndef STEALSCOPE_CLI_H
#define STEALSCOPE_CLI_H

#include <signal.h>
#include <stdint.h>

/*
 * The longest --duration, --delay or sampling run any tool accepts: a year
 * and a day. Far below INT64_MAX ns (292 years), so start + duration and
 * start + k * interval cannot overflow.
 */
#define CLI_MAX_DURATION_NS (366LL * 24 * 3600 * 1000000000LL)

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_UNSUPPORTED = 4,          /* no /dev/kvm, no libvirt daemon, ... */
};

/* Print "<tool> (stealscope) <version>" to stdout. */
void cli_print_version(const char *tool);

/*
 * Install SIGINT, SIGTERM and SIGHUP handlers (no SA_RESTART, so blocking
 * calls return EINTR) that set the flag cli_stop_requested() returns: a
 * closed terminal or dropped SSH session stops a run as Ctrl-C does.
 * SIGHUP is left alone when it is ignored (under nohup). Returns 0 or
 * -errno.
 */
int cli_install_stop_handlers(void);

/*
 * The same, but each handler resets itself (SA_RESETHAND): the first
 * signal sets the flag, a second one takes the default action. For a phase
 * whose blocking calls do not look at the flag (a library's connect that
 * retries EINTR), so that the user can still end it; call
 * cli_install_stop_handlers() again after it.
 */
int cli_install_stop_handlers_once(void);

/* Nonzero once SIGINT, SIGTERM or SIGHUP arrived; the signal number. */
int cli_stop_requested(void);

/*
 * Sleep until the absolute CLOCK_MONOTONIC time @deadline_ns (ns), in
 * slices of at most 100 ms, checking the stop flag before each. A stop
 * signal normally wakes the sleep at once (EINTR); one that lands between
 * the check and the sleep is still seen within 100 ms instead of at the
 * deadline, which may be an hour away. Returns 0 at the deadline (at once if
 * it has passed), -EINTR as soon as a stop was requested. Other signals do
 * not end the sleep.
 */
int cli_sleep_until(int64_t deadline_ns);

/* Nonzero when stderr is a terminal (progress lines are shown only then). */
int cli_progress_wanted(void);

/*
 * Usage errors. A parse_*() function (common/parse.h) has already logged
 * "tool: error: <what>: <problem>" when it fails, so the tool only adds the
 * hint: `if (parse_i64(...)) return cli_usage_hint();`. Every message is
 * said once, where the problem is found.
 */

/* Print "Try '<tool> --help' for more information." to stderr; returns EXIT_USAGE. */
int cli_usage_hint(void);

/*
 * A usage error the tool itself found: log "tool: error: <msg>", add the
 * hint, return EXIT_USAGE, for `return cli_usage_error(...)` in main().
 */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long() returned @c ':' (missing value) or '?' (unknown option; the
 * optstring must start with ':' and opterr be 0). Log "option '--x' needs a
 * value" or "unknown option '--y'" (or '-y' for a short option), add the
 * hint and return EXIT_USAGE. Reads optind and optopt, so call it right
 * after getopt_long() returned. @argv is main()'s argv.
 */
int cli_getopt_error(int c, char *const argv[]);

/*
 * After the getopt loop: 0 when no operands are left, else log "unexpected
 * argument '<arg>'", add the hint and return EXIT_USAGE.
 */
int cli_no_operands(int argc, char *const argv[]);

/*
 * The end of every getopt loop's switch: the options all tools share and
 * getopt's errors. @c 'h' prints @usage (to stdout) and 'V' the version of
 * @tool; both return EXIT_OK. Anything else goes to cli_getopt_error().
 * For `default: return cli_common_option(c, argv, usage, "tool");`.
 */
int cli_common_option(int c, char *const argv[], void (*usage)(void), const char *tool);

/*
 * After the getopt loop, a command taking exactly one operand: set
 * *@operand to it and return 0. With none, log @missing; with more, log
 * "unexpected argument '<arg>'"; either way add the hint and return
 * EXIT_USAGE.
 */
int cli_one_operand(int argc, char *const argv[], const char *missing, const char **operand);

/*
 * Parse the value @arg of option @what (e.g. "--t0", "--start-at"): an
 * absolute CLOCK_MONOTONIC instant in ns (e.g. from `host-facts
 * --monotonic-ns`), such as the t0 that tools started together measure
 * their t_ns from. It must be a decimal integer, not negative and not more
 * than a minute in the future (a value from another clock or a typo would
 * otherwise wait for hours); one in the past is fine. Returns 0 and
 * *@out_ns, or EXIT_USAGE (logged as "<what>: ...", with the hint).
 */
int cli_parse_instant(const char *what, const char *arg, int64_t *out_ns);

#endif
