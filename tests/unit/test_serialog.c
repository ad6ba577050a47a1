/*
 * Unit tests for experiments/serialog: the host's reader of the guest's
 * serial log (docs/guest-protocol.md). A whole log in one piece and byte by
 * byte must read the same; CR LF line ends, foreign lines (kernel messages,
 * another boot's markers) and the guest tools' "guest: " notes; and each
 * protocol error, with the line numbers its message names and what it does
 * to the file it concerns (rejected, never half-read).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "experiments/serialog.h"

#define ID "0123456789abcdef"
#define P "@@stealscope " ID " "

/* A complete, well-formed log: hello, go, two files, exit, the poweroff message. */
static const char good_log[] =
	"[    0.000000] Linux version 6.1.0\r\n"
	P "hello 0.1.0 6.1.0-56-amd64\r\n"
	P "go 3659423826 1000000000\r\n"
	"guest: sched-load: debug: calibration on CPU 0: 1.8850 ns/loop\r\n"
	"@@stealscope 00000000deadbeef go 1 2\r\n"
	P "file progress.csv\r\n"
	"vcpu,proc,unit,t_ns,progress_pct\r\n"
	"0,0,0,1000000,0.2\r\n"
	"0,1,0,2000000,0.2\r\n"
	P "endfile progress.csv 3\r\n"
	P "file cpu.csv\r\n"
	"seq,t_ns,cpu\r\n"
	"1,10000000,0\r\n"
	P "endfile cpu.csv 2\r\n"
	P "exit 0\r\n"
	"[    5.709548] reboot: Power down\r\n";

static int feed_str(struct serialog *s, const char *text)
{
	return serialog_feed(s, text, strlen(text));
}

static void check_good(const struct serialog *s)
{
	const struct serialog_file *f;

	assert_int_equal(s->errors, 0);
	assert_string_equal(s->tools_version, "0.1.0");
	assert_string_equal(s->kernel_release, "6.1.0-56-amd64");
	assert_true(s->t0_guest_ns == 3659423826LL);
	assert_true(s->margin_ns == 1000000000LL);
	assert_int_equal(s->go_line, 3);
	f = serialog_file(s, "progress.csv");
	assert_non_null(f);
	assert_string_equal(f->text, "vcpu,proc,unit,t_ns,progress_pct\n0,0,0,1000000,0.2\n"
			    "0,1,0,2000000,0.2\n");
	assert_int_equal(f->len, strlen(f->text));
	assert_int_equal(f->lines, 3);
	assert_int_equal(f->first_line, 6);
	assert_int_equal(f->last_line, 10);
	f = serialog_file(s, "cpu.csv");
	assert_non_null(f);
	assert_string_equal(f->text, "seq,t_ns,cpu\n1,10000000,0\n");
	assert_null(serialog_file(s, "other.csv"));
	assert_int_equal(s->exit_status, 0);
	assert_true(s->seen & SERIALOG_EV_EXIT);
	/* the kernel's first line, the note and the other boot's go; after exit nothing counts */
	assert_int_equal(s->foreign, 3);
	assert_int_equal(s->nnotes, 1);
	assert_string_equal(s->notes[0], "sched-load: debug: calibration on CPU 0: 1.8850 ns/loop");
	assert_int_equal(s->lineno, 16);
}

static void test_serialog_whole_log(void **state)
{
	struct serialog s;
	int ev;

	(void)state;
	assert_int_equal(serialog_init(&s, "serial.log", ID), 0);
	ev = feed_str(&s, good_log);
	assert_int_equal(ev, SERIALOG_EV_HELLO | SERIALOG_EV_GO | SERIALOG_EV_FILE |
			 SERIALOG_EV_EXIT);
	check_good(&s);
	assert_int_equal(serialog_end(&s), 0);
	serialog_free(&s);
}

/* Byte by byte: events arrive when their line completes, and the result is the same. */
static void test_serialog_byte_by_byte(void **state)
{
	struct serialog s;
	size_t i, n = strlen(good_log);
	unsigned all = 0;
	int ev, go_at = -1;

	(void)state;
	assert_int_equal(serialog_init(&s, "serial.log", ID), 0);
	for (i = 0; i < n; i++) {
		ev = serialog_feed(&s, good_log + i, 1);
		assert_true(ev >= 0);
		if ((ev & SERIALOG_EV_GO) && go_at < 0)
			go_at = (int)i;
		all |= (unsigned)ev;
	}
	/* go is reported at the '\n' that ends its line, not before */
	assert_int_equal(good_log[go_at], '\n');
	assert_int_equal(strncmp(good_log + go_at - 25, "go 3659423826 1000000000\r\n", 25), 0);
	assert_int_equal(all, SERIALOG_EV_HELLO | SERIALOG_EV_GO | SERIALOG_EV_FILE |
			 SERIALOG_EV_EXIT);
	check_good(&s);
	serialog_free(&s);
}

/* A kernel message inside a file: the count disagrees, the file is rejected; the next is fine. */
static void test_serialog_interleaved_line_rejects_file(void **state)
{
	static const char log_text[] =
		P "go 1 2\n"
		P "file progress.csv\n"
		"vcpu,proc,unit,t_ns,progress_pct\n"
		"[   3.1] random: crng init done\n"
		"0,0,0,5,1.0\n"
		P "endfile progress.csv 2\n"
		P "file cpu.csv\n"
		"seq\n"
		P "endfile cpu.csv 1\n";
	struct serialog s;
	int ev;

	(void)state;
	log_set_quiet(1);
	assert_int_equal(serialog_init(&s, "serial.log", ID), 0);
	ev = feed_str(&s, log_text);
	log_set_quiet(0);
	assert_true(ev & SERIALOG_EV_PROTO);
	assert_int_equal(s.errors, 1);
	assert_string_equal(log_last_error(), "serial.log:6: progress.csv: endfile says 2 lines, "
			    "3 arrived (lines 3-5): a line was lost or another was interleaved");
	assert_null(serialog_file(&s, "progress.csv"));
	assert_int_equal(s.files[0].rejected, 1);
	assert_null(s.files[0].text);
	assert_non_null(serialog_file(&s, "cpu.csv"));
	assert_string_equal(serialog_file(&s, "cpu.csv")->text, "seq\n");
	serialog_free(&s);
}

struct bad_case {
	const char *text;
	const char *msg;               /* log_last_error() */
	int64_t errors;
};

/* Each protocol error is said once, with its line, and reading goes on. */
static void test_serialog_protocol_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ P "file progress.csv\n", "x:1: 'file' before 'go'", 1 },
		{ P "go 1 2\n" P "go 3 4\n", "x:2: a second 'go' (the first at line 1)", 1 },
		{ P "go 1\n", "x:1: 'go' needs T0_GUEST_NS and MARGIN_NS, non-negative integers",
		  1 },
		{ P "go -1 2\n", "x:1: 'go' needs T0_GUEST_NS and MARGIN_NS, non-negative "
		  "integers", 1 },
		{ P "go 1 2\n" P "hello 0.1 6.1\n", "x:2: 'hello' after 'go'", 1 },
		{ P "reboot now\n", "x:1: unknown word 'reboot'", 1 },
		{ P "go 1 2\n" P "endfile a.csv 0\n", "x:2: 'endfile' without 'file'", 1 },
		{ P "go 1 2\n" P "file a.csv\n" "x\n" P "exit 1\n",
		  "x:4: 'exit' while a.csv is open (from line 2)", 1 },
		{ P "go 1 2\n" P "file a.csv\n" P "endfile b.csv 0\n",
		  "x:3: 'endfile b.csv' while a.csv is open (from line 2)", 1 },
		{ P "go 1 2\n" P "file a.csv\n" P "endfile a.csv\n",
		  "x:3: a.csv: 'endfile' needs the name and a line count", 1 },
		{ P "go 1 2\n" P "file a.csv\n" P "endfile a.csv 0\n" P "file a.csv\n",
		  "x:4: a.csv sent a second time (first at line 2)", 1 },
		{ P "go 1 2\n" P "file ../x\n", "x:2: 'file' needs one name of [A-Za-z0-9._-]", 1 },
		{ P "go 1 2\n" P "file a  b\n", "x:2: 'file': malformed arguments", 1 },
		{ P "exit one\n", "x:1: 'exit' needs one integer status", 1 },
		{ P "go 1 2\n" P "file a.csv\n" "y\n",
		  "x:3: a.csv: the log ended inside it (from line 2, 1 lines received)", 1 },
	};
	struct serialog s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log_set_quiet(1);
		assert_int_equal(serialog_init(&s, "x", ID), 0);
		feed_str(&s, cases[i].text);
		serialog_end(&s);
		log_set_quiet(0);
		if (s.errors != cases[i].errors || strcmp(log_last_error(), cases[i].msg))
			fail_msg("case %zu: %lld errors, last '%s'; want %lld, '%s'", i,
				 (long long)s.errors, log_last_error(), (long long)cases[i].errors,
				 cases[i].msg);
		serialog_free(&s);
	}
}

/* An exit status; lines after exit are ignored; an error line is kept. */
static void test_serialog_error_and_exit(void **state)
{
	struct serialog s;
	int ev;

	(void)state;
	assert_int_equal(serialog_init(&s, "x", ID), 0);
	ev = feed_str(&s, P "hello 0.1.0 6.1\n" P "error sched-load --cpu 0 exited with "
		      "status 2: bad\n" P "error second\n" P "exit 2\n" P "go 1 2\n" P "exit 0\n");
	assert_int_equal(ev, SERIALOG_EV_HELLO | SERIALOG_EV_ERROR | SERIALOG_EV_EXIT);
	assert_int_equal(s.exit_status, 2);
	assert_string_equal(s.guest_error, "sched-load --cpu 0 exited with status 2: bad");
	assert_false(s.seen & SERIALOG_EV_GO);
	assert_int_equal(s.errors, 0);
	serialog_free(&s);
}

/* A line longer than the limit: rejected inside a file, ignored outside. */
static void test_serialog_overlong_lines(void **state)
{
	size_t n = SERIALOG_MAX_LINE + 100;
	char *big = malloc(n + 2);
	struct serialog s;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\n';
	big[n + 1] = '\0';
	assert_int_equal(serialog_init(&s, "x", ID), 0);
	feed_str(&s, P "go 1 2\n");
	feed_str(&s, big);             /* outside a file: foreign, and cut */
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.foreign, 1);
	log_set_quiet(1);
	feed_str(&s, P "file a.csv\n");
	feed_str(&s, big);
	feed_str(&s, P "endfile a.csv 1\n");
	log_set_quiet(0);
	assert_int_equal(s.errors, 1);
	assert_null(serialog_file(&s, "a.csv"));
	assert_string_equal(log_last_error(), "x:4: a.csv: a line longer than 4096 bytes (from "
			    "line 3)");
	/* the next line is a line of its own again */
	feed_str(&s, P "exit 0\n");
	assert_int_equal(s.exit_status, 0);
	serialog_free(&s);
	free(big);
}

static void test_serialog_bad_id(void **state)
{
	struct serialog s;

	(void)state;
	log_set_quiet(1);
	assert_int_equal(serialog_init(&s, "x", "0123"), -EINVAL);
	assert_int_equal(serialog_init(&s, "x", "0123456789ABCDEF"), -EINVAL);
	assert_int_equal(serialog_init(&s, "x", "0123456789abcdef0"), -EINVAL);
	log_set_quiet(0);
	assert_string_equal(log_last_error(), "x: boot id '0123456789abcdef0' is not 8-16 "
			    "lowercase hex digits");
	assert_true(serialog_id_valid("deadbeef"));
	assert_false(serialog_id_valid("deadbee"));
	assert_false(serialog_id_valid("deadbeeg"));
}

/* "@@stealscope ID" must be followed by a space: "@@stealscope IDx" is foreign. */
static void test_serialog_prefix_must_match_exactly(void **state)
{
	struct serialog s;

	(void)state;
	assert_int_equal(serialog_init(&s, "x", "deadbeef"), 0);
	assert_int_equal(feed_str(&s, "@@stealscope deadbeef0 go 1 2\n"
				  "@@stealscope deadbeefgo 1 2\n"
				  "@@stealscope deadbee go 1 2\n"), 0);
	assert_int_equal(s.foreign, 3);
	assert_int_equal(feed_str(&s, "@@stealscope deadbeef go 7 8\n"), SERIALOG_EV_GO);
	assert_true(s.t0_guest_ns == 7);
	serialog_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serialog_whole_log),
		cmocka_unit_test(test_serialog_byte_by_byte),
		cmocka_unit_test(test_serialog_interleaved_line_rejects_file),
		cmocka_unit_test(test_serialog_protocol_errors),
		cmocka_unit_test(test_serialog_error_and_exit),
		cmocka_unit_test(test_serialog_overlong_lines),
		cmocka_unit_test(test_serialog_bad_id),
		cmocka_unit_test(test_serialog_prefix_must_match_exactly),
	};

	log_init("test_serialog");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
