/*
 * test_log: unit tests for common/log.c: log_err() returns its code and
 * keeps the message without the prefix; warnings do not replace it; quiet
 * mode still keeps it; and the last error is the calling thread's own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void test_log_err_keeps_message(void **state)
{
	(void)state;
	log_set_quiet(1);
	assert_int_equal(log_err(-ENOENT, "open %s: %s", "/x", strerror(ENOENT)), -ENOENT);
	assert_string_equal(log_last_error(), "open /x: No such file or directory");
	log_warn("a warning is no error");
	assert_string_equal(log_last_error(), "open /x: No such file or directory");
	log_set_quiet(0);
}

struct thread_view {
	char before[64];               /* log_last_error() on entry */
	char after[64];                /* after its own log_err() */
};

static void *other_thread(void *arg)
{
	struct thread_view *tv = arg;

	snprintf(tv->before, sizeof(tv->before), "%s", log_last_error());
	log_err(-EIO, "thread %d failed", 2);
	snprintf(tv->after, sizeof(tv->after), "%s", log_last_error());
	return NULL;
}

/* Each thread reads what its own failing call said, never another thread's. */
static void test_log_last_error_per_thread(void **state)
{
	struct thread_view tv;
	pthread_t th;

	(void)state;
	memset(&tv, 0, sizeof(tv));
	log_set_quiet(1);
	log_err(-EINVAL, "main failed");
	assert_int_equal(pthread_create(&th, NULL, other_thread, &tv), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	log_set_quiet(0);
	assert_string_equal(tv.before, "");
	assert_string_equal(tv.after, "thread 2 failed");
	assert_string_equal(log_last_error(), "main failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_err_keeps_message),
		cmocka_unit_test(test_log_last_error_per_thread),
	};

	log_init("test_log");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
