/*
 * test_cli: unit tests for common/cli.c's cli_parse_instant(), the one
 * parser of --t0 (every tool) and sched-load's --start-at: each message
 * names the option it was given, a value in the past is fine, one more
 * than a minute ahead or negative is not, and *out is left alone on error.
 * (The hint line goes to stderr; the message is read from log_last_error.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void expect_refused(const char *what, const char *arg, const char *msg_start)
{
	int64_t out = 42;

	log_set_quiet(1);
	assert_int_equal(cli_parse_instant(what, arg, &out), EXIT_USAGE);
	log_set_quiet(0);
	assert_int_equal(out, 42);
	if (strncmp(log_last_error(), msg_start, strlen(msg_start)))
		fail_msg("%s '%s': message '%s' does not start with '%s'", what, arg,
			 log_last_error(), msg_start);
}

static void test_cli_instant_refusals_name_the_option(void **state)
{
	static const char *const names[] = { "--t0", "--start-at" };
	char future[32], msg[128];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const char *w = names[i];

		snprintf(msg, sizeof(msg), "%s: invalid integer 'soon'", w);
		expect_refused(w, "soon", msg);
		snprintf(msg, sizeof(msg), "%s: '-1' is negative: expected a CLOCK_MONOTONIC "
			 "time in ns (e.g. from host-facts --monotonic-ns)", w);
		expect_refused(w, "-1", msg);
		/* two minutes ahead: more than the minute allowed */
		snprintf(future, sizeof(future), "%" PRId64, (int64_t)(mono_ns() + 120 * NS_PER_SEC));
		snprintf(msg, sizeof(msg), "%s: '%s' is 12", w, future);
		expect_refused(w, future, msg);
		assert_non_null(strstr(log_last_error(), " s in the future (at most 60 s allowed)"));
		snprintf(msg, sizeof(msg), "%s: '9223372036854775807' is ", w);
		expect_refused(w, "9223372036854775807", msg);
	}
}

static void test_cli_instant_takes_past_and_near_future(void **state)
{
	int64_t now = mono_ns(), out = -1;
	char arg[32];

	(void)state;
	assert_int_equal(cli_parse_instant("--t0", "0", &out), 0);
	assert_int_equal(out, 0);
	snprintf(arg, sizeof(arg), "%" PRId64, (int64_t)(now - 5 * NS_PER_SEC));
	assert_int_equal(cli_parse_instant("--start-at", arg, &out), 0);
	assert_int_equal(out, now - 5 * NS_PER_SEC);
	/* half a minute ahead: a script's margin for start-up, allowed */
	snprintf(arg, sizeof(arg), "%" PRId64, (int64_t)(now + 30 * NS_PER_SEC));
	assert_int_equal(cli_parse_instant("--start-at", arg, &out), 0);
	assert_int_equal(out, now + 30 * NS_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_instant_refusals_name_the_option),
		cmocka_unit_test(test_cli_instant_takes_past_and_near_future),
	};

	log_init("test_cli");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
