/*
 * Unit tests for common/schedstat: the per-thread schedstat reader against
 * tests/fixtures/sched/proc/<pid>/task/<tid>/schedstat and in-memory texts,
 * and the derivation against percentages worked out by hand.
 *
 * Tests only read fixtures and the real /proc; they never write outside a
 * mkdtemp() directory they remove again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/schedstat.h"
#include "common/timeutil.h"

#define EPS 1e-9
#define SCHED_ROOT TEST_FIXTURES "/sched"

static void assert_error_has(const char *needle)
{
	const char *msg = log_last_error();

	if (!strstr(msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", msg, needle);
}

static int parse_str(const char *text, struct schedstat *s)
{
	return schedstat_parse(text, strlen(text), s);
}

static void test_schedstat_reads_fixture(void **state)
{
	struct schedstat s;

	(void)state;
	assert_int_equal(schedstat_read(SCHED_ROOT, 1234, 1234, &s), 0);
	assert_int_equal(s.run_ns, 5000000000ULL);
	assert_int_equal(s.delay_ns, 250000000ULL);
	assert_int_equal(s.slices, 1200);
	assert_int_equal(schedstat_read(SCHED_ROOT, 1234, 1237, &s), 0);
	assert_int_equal(s.run_ns, 5750000000ULL);
	assert_int_equal(s.delay_ns, 400000000ULL);
	assert_int_equal(s.slices, 1450);
}

static void test_schedstat_read_fd_rereads_from_start(void **state)
{
	struct schedstat a, b;
	int fd;

	(void)state;
	fd = schedstat_open(SCHED_ROOT, 1234, 1237);
	assert_true(fd >= 0);
	assert_int_equal(schedstat_read_fd(fd, &a), 0);
	assert_int_equal(schedstat_read_fd(fd, &b), 0);
	close(fd);
	assert_int_equal(b.run_ns, 5750000000ULL);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_schedstat_malformed_fixture(void **state)
{
	struct schedstat s;

	(void)state;
	assert_int_equal(schedstat_read(SCHED_ROOT, 4321, 4325, &s), -EINVAL);
	assert_error_has("sched/proc/4321/task/4325/schedstat");
	assert_error_has("run delay '-5' is not an unsigned integer");
}

static void test_schedstat_missing_thread(void **state)
{
	struct schedstat s;

	(void)state;
	assert_int_equal(schedstat_read(SCHED_ROOT, 1234, 9999, &s), -ENOENT);
	assert_error_has("open ");
	assert_error_has("/proc/1234/task/9999/schedstat");
	assert_int_equal(schedstat_open(SCHED_ROOT, 7, 7), -ENOENT);
}

static void test_schedstat_parse_strict(void **state)
{
	struct schedstat s;

	(void)state;
	assert_int_equal(parse_str("1 2 3\n", &s), 0);
	assert_int_equal(s.run_ns, 1);
	assert_int_equal(s.delay_ns, 2);
	assert_int_equal(s.slices, 3);
	assert_int_equal(parse_str("18446744073709551615 0 0", &s), 0);	/* no newline */
	assert_int_equal(s.run_ns, UINT64_MAX);

	assert_int_equal(parse_str("1 2\n", &s), -EINVAL);
	assert_error_has("2 fields, need exactly 3");
	assert_int_equal(parse_str("1 2 3 4\n", &s), -EINVAL);
	assert_error_has("more than 3 fields");
	assert_int_equal(parse_str("1 2 x3\n", &s), -EINVAL);
	assert_error_has("slices 'x3' is not an unsigned integer");
	assert_int_equal(parse_str("+1 2 3\n", &s), -EINVAL);
	assert_error_has("run time '+1'");
	assert_int_equal(parse_str("18446744073709551616 2 3\n", &s), -EINVAL);
	assert_error_has("run time '18446744073709551616'");
	assert_int_equal(parse_str("1 2 3\n\n", &s), -EINVAL);
	assert_int_equal(parse_str("", &s), -EINVAL);
	assert_error_has("0 fields");
}

/* The length bounds the parse: the text need not be NUL-terminated. */
static void test_schedstat_parse_respects_len(void **state)
{
	static const char text[] = "10 20 30999";
	struct schedstat s;

	(void)state;
	assert_int_equal(schedstat_parse(text, 7, &s), 0);	/* "10 20 3" */
	assert_int_equal(s.slices, 3);
}

static void test_schedstat_path(void **state)
{
	char buf[64], tiny[24];

	(void)state;
	assert_int_equal(schedstat_path(NULL, 12, 34, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/12/task/34/schedstat");
	assert_int_equal(schedstat_path("", 12, 34, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/12/task/34/schedstat");
	assert_int_equal(schedstat_path("/x", 1, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/proc/1/task/2/schedstat");
	/* "/proc/12/task/34/schedstat" is 26 bytes plus the NUL */
	assert_int_equal(schedstat_path(NULL, 12, 34, tiny, sizeof(tiny)), -ENAMETOOLONG);
	assert_int_equal(schedstat_path(NULL, 12, 34, buf, 26), -ENAMETOOLONG);
	assert_int_equal(schedstat_path(NULL, 12, 34, buf, 27), 0);
	assert_int_equal(schedstat_path(NULL, 0, 34, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(schedstat_path(NULL, 12, -1, buf, sizeof(buf)), -EINVAL);
}

static void test_schedstat_derive_interval(void **state)
{
	struct schedstat prev, cur;
	struct schedpct p;

	(void)state;
	assert_int_equal(schedstat_read(SCHED_ROOT, 1234, 1234, &prev), 0);
	assert_int_equal(schedstat_read(SCHED_ROOT, 1234, 1237, &cur), 0);
	/* run +750 ms, delay +150 ms over 1 s of wall time */
	schedstat_derive(&prev, &cur, NS_PER_SEC, &p);
	assert_int_equal(p.run_ns, 750000000ULL);
	assert_int_equal(p.delay_ns, 150000000ULL);
	assert_float_equal(p.run_pct, 75.0, EPS);
	assert_float_equal(p.delay_pct, 15.0, EPS);
	/* over 500 ms the same run time is 150%: reported, not clamped */
	schedstat_derive(&prev, &cur, 500 * NS_PER_MS, &p);
	assert_float_equal(p.run_pct, 150.0, EPS);
	assert_float_equal(p.delay_pct, 30.0, EPS);
}

static void test_schedstat_derive_backwards_and_zero_wall(void **state)
{
	struct schedstat prev = { .run_ns = 1000, .delay_ns = 500, .slices = 9 };
	struct schedstat cur = { .run_ns = 1400, .delay_ns = 300, .slices = 10 };
	struct schedpct p;

	(void)state;
	schedstat_derive(&prev, &cur, 2000, &p);
	assert_int_equal(p.run_ns, 400);
	assert_int_equal(p.delay_ns, 0);	/* went backwards */
	assert_float_equal(p.run_pct, 20.0, EPS);
	assert_float_equal(p.delay_pct, 0.0, EPS);

	schedstat_derive(&prev, &cur, 0, &p);
	assert_int_equal(p.run_ns, 400);
	assert_float_equal(p.run_pct, 0.0, 0.0);
	assert_float_equal(p.delay_pct, 0.0, 0.0);
	schedstat_derive(&prev, &cur, -5, &p);
	assert_float_equal(p.run_pct, 0.0, 0.0);
}

/* Rewriting the file in place between reads: read_fd sees each new text. */
static void test_schedstat_read_fd_follows_updates(void **state)
{
	char root[] = "/tmp/test_schedstat.XXXXXX", path[256];
	struct schedstat a, b;
	struct schedpct p;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/proc/42", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/proc/42/task", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/proc/42/task/43", root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(schedstat_path(root, 42, 43, path, sizeof(path)), 0);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("100000000 20000000 5\n", f);
	assert_int_equal(fclose(f), 0);
	fd = schedstat_open(root, 42, 43);
	assert_true(fd >= 0);
	assert_int_equal(schedstat_read_fd(fd, &a), 0);

	f = fopen(path, "w");	/* truncates the same inode */
	assert_non_null(f);
	fputs("160000000 50000000 8\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(schedstat_read_fd(fd, &b), 0);
	close(fd);

	assert_int_equal(b.slices, 8);
	schedstat_derive(&a, &b, 100 * NS_PER_MS, &p);
	assert_int_equal(p.run_ns, 60000000ULL);
	assert_int_equal(p.delay_ns, 30000000ULL);
	assert_float_equal(p.run_pct, 60.0, EPS);
	assert_float_equal(p.delay_pct, 30.0, EPS);

	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/42/task/43", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc/42/task", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc/42", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);
}

/* The kernel's line is short: a file that fills the read buffer is not schedstat. */
static void test_schedstat_read_fd_refuses_long_file(void **state)
{
	char path[] = "/tmp/test_schedstat_long.XXXXXX", text[201], want[32];
	struct schedstat s = { 1, 2, 3 };
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(text, '1', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(schedstat_read_fd(fd, &s), -EINVAL);
	snprintf(want, sizeof(want), "(fd %d)", fd);
	assert_error_has(want);
	assert_error_has("more than 127 bytes");
	assert_int_equal(s.run_ns, 1);         /* untouched on error */
	close(fd);
	unlink(path);
}

static void test_schedstat_real_self(void **state)
{
	struct schedstat s;
	char path[128];

	(void)state;
	assert_int_equal(schedstat_path(NULL, getpid(), gettid(), path, sizeof(path)), 0);
	if (access(path, R_OK) != 0)
		skip();	/* kernel built without CONFIG_SCHED_INFO */
	assert_int_equal(schedstat_read(NULL, getpid(), gettid(), &s), 0);
	assert_true(s.run_ns > 0);	/* this thread has run to get here */
	assert_true(s.slices > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedstat_reads_fixture),
		cmocka_unit_test(test_schedstat_read_fd_rereads_from_start),
		cmocka_unit_test(test_schedstat_malformed_fixture),
		cmocka_unit_test(test_schedstat_missing_thread),
		cmocka_unit_test(test_schedstat_parse_strict),
		cmocka_unit_test(test_schedstat_parse_respects_len),
		cmocka_unit_test(test_schedstat_path),
		cmocka_unit_test(test_schedstat_derive_interval),
		cmocka_unit_test(test_schedstat_derive_backwards_and_zero_wall),
		cmocka_unit_test(test_schedstat_read_fd_follows_updates),
		cmocka_unit_test(test_schedstat_read_fd_refuses_long_file),
		cmocka_unit_test(test_schedstat_real_self),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
