/*
 * Unit tests for tests/support/procscan, the tests' one /proc scanner: the
 * /proc/PID/stat head parser on the names processes give themselves
 * (spaces, parentheses, too long), malformed lines, and a scan that finds
 * this process and a child of it, and stops when asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/procscan.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_procscan_stat_parse(void **state)
{
	struct support_proc_stat st;
	char longname[200];

	(void)state;
	assert_int_equal(support_proc_stat_parse("12 (bash) S 1 12 12 0", &st), 0);
	assert_int_equal(st.pid, 12);
	assert_string_equal(st.comm, "bash");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	/* a name with spaces and parentheses: the last ')' ends it */
	assert_int_equal(support_proc_stat_parse("345 (a) b (c)) Z 34 0", &st), 0);
	assert_string_equal(st.comm, "a) b (c)");
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.ppid, 34);
	/* too long for comm: cut to fit, the rest still read */
	snprintf(longname, sizeof(longname), "7 (%0150d) R 9", 0);
	assert_int_equal(support_proc_stat_parse(longname, &st), 0);
	assert_int_equal(strlen(st.comm), sizeof(st.comm) - 1);
	assert_int_equal(st.ppid, 9);
	/* not of the form */
	assert_int_equal(support_proc_stat_parse("", &st), -1);
	assert_int_equal(support_proc_stat_parse("12 bash S 1", &st), -1);
	assert_int_equal(support_proc_stat_parse("12 (bash S 1", &st), -1);
	assert_int_equal(support_proc_stat_parse("x (bash) S 1", &st), -1);
	assert_int_equal(support_proc_stat_parse("12 (bash)", &st), -1);
}

struct find {
	pid_t want;
	int seen, visits;
	char comm[64];
};

static int find_pid(pid_t pid, char *text, size_t len, void *arg)
{
	struct find *f = arg;
	struct support_proc_stat st;

	(void)len;
	f->visits++;
	if (pid != f->want)
		return 0;
	f->seen++;
	if (support_proc_stat_parse(text, &st) == 0)
		snprintf(f->comm, sizeof(f->comm), "%s", st.comm);
	return 1;                      /* found: stop */
}

static int count_all(pid_t pid, char *text, size_t len, void *arg)
{
	(void)pid;
	(void)text;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

static void test_procscan_finds_a_child(void **state)
{
	struct support_proc_stat st;
	struct find f = { 0 };
	int all = 0, status;
	pid_t child;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_NAME, "scan (me) 1");
		pause();
		_exit(0);
	}
	/* the child names itself: wait until it has */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(support_proc_stat_read(child, &st), 0);
		if (!strcmp(st.comm, "scan (me) 1"))
			break;
		usleep(5000);
	}
	assert_string_equal(st.comm, "scan (me) 1");
	assert_int_equal(st.ppid, getpid());

	f.want = child;
	support_each_proc("stat", find_pid, &f);
	assert_int_equal(f.seen, 1);
	assert_string_equal(f.comm, "scan (me) 1");
	support_each_proc("stat", count_all, &all);
	/* the scan stopped at the child, the full one went on past it */
	assert_true(all >= 2 && f.visits <= all);

	/* this process's one thread */
	all = 0;
	assert_int_equal(support_each_task(0, "stat", count_all, &all), 0);
	assert_int_equal(all, 1);

	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(support_proc_stat_read(child, &st), -1);
	assert_int_equal(support_each_task(child, "stat", count_all, &all), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procscan_stat_parse),
		cmocka_unit_test(test_procscan_finds_a_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
