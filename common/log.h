/*
 * log: diagnostics to stderr as "tool: level: message".
 *
 * Data goes to stdout; this module only ever writes stderr. It keeps a copy of
 * the last error message, per thread, so tests can assert what a failing
 * call said and callers can quote it. It never exits the process.
 */
#ifndef STEALSCOPE_LOG_H
#define STEALSCOPE_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set the tool name printed before every message (default "stealscope"). */
void log_init(const char *tool);

/* Messages above @level are dropped (default LOG_LVL_INFO). */
void log_set_level(enum log_level level);

/* Quiet mode: nothing is written to stderr, the last error is still kept. */
void log_set_quiet(int quiet);

/* Log an error and return @code unchanged: `return log_err(-errno, "open %s", p);` */
int log_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The text of the last log_err() message of the calling thread (without
 * prefix), "" if it logged none. An error logged on another thread is not
 * seen here: a thread that fails hands its -errno to the thread that
 * reports it, as kvm-mini's vCPU threads and the native backend's do.
 */
const char *log_last_error(void);

/* The tool name given to log_init(). */
const char *log_tool(void);

#endif
