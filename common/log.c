/*
 * log: see log.h. Writes stderr only; formats once into a buffer so the
 * whole line goes out in one write and the last error can be kept.
 *
 * The last error is per thread: threads that fail at the same time (the
 * native backend's contention threads, kvm-mini's vCPU threads) each keep
 * their own message instead of racing on one buffer, and whoever reads
 * log_last_error() reads what its own failing call said. The settings
 * (tool name, level, quiet) stay process-wide: they are set by the main
 * thread, before other threads start or around calls it makes itself.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *tool_name = "stealscope";
static enum log_level max_level = LOG_LVL_INFO;
static int quiet;
static _Thread_local char last_error[512];

void log_init(const char *tool)
{
	const char *slash = tool ? strrchr(tool, '/') : NULL;

	tool_name = slash ? slash + 1 : (tool ? tool : "stealscope");
}

void log_set_level(enum log_level level)
{
	max_level = level;
}

void log_set_quiet(int q)
{
	quiet = q;
}

const char *log_tool(void)
{
	return tool_name;
}

const char *log_last_error(void)
{
	return last_error;
}

__attribute__((format(printf, 2, 0)))
static void log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char msg[sizeof(last_error)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level == LOG_LVL_ERROR)
		memcpy(last_error, msg, sizeof(last_error));
	if (quiet || level > max_level)
		return;
	fprintf(stderr, "%s: %s: %s\n", tool_name, names[level], msg);
}

int log_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	return code;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_WARN, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_DEBUG, fmt, ap);
	va_end(ap);
}
