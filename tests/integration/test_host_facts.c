/*
 * Integration tests of bin/host-facts: readable lines and JSON, against
 * fixture roots (tests/fixtures/sampler-host-*) and the real machine. JSON
 * is compared with whitespace removed, so only content matters, not layout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL TEST_BINDIR "/host-facts"
#define PVM_ROOT TEST_FIXTURES "/sampler-host-pvm"
#define KVM_ROOT TEST_FIXTURES "/sampler-host-kvm"
#define RUN_TIMEOUT_MS 10000

struct run {
	int status;                    /* exit code, 128 + signal, -1 on timeout */
	char *out;
	char *err;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Read all of @fd (a pipe) into a string. */
static char *drain(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Run the tool; its output is small, so pipes are drained after it exits
 * (a pipe holds 64 KiB). A run past the timeout is killed and fails.
 */
static void run_tool(const char *const *args, struct run *r)
{
	const char *argv[16];
	int out[2], err[2], st = 0, waited = 0, n = 0;
	pid_t pid, w;

	argv[n++] = TOOL;
	while (args[n - 1] && n < 15) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(127);
		execv(TOOL, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && waited < RUN_TIMEOUT_MS) {
		sleep_ms(5);
		waited += 5;
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		r->status = -1;
	} else {
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	r->out = drain(out[0]);
	r->err = drain(err[0]);
	close(out[0]);
	close(err[0]);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* @s without blanks and newlines, in place. */
static char *squeeze(char *s)
{
	char *d = s, *p;

	for (p = s; *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\t')
			*d++ = *p;
	*d = '\0';
	return s;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in '%s'", needle, hay);
}

/* ---- tests ------------------------------------------------------------ */

static void test_host_facts_json_matches_pvm_fixture(void **state)
{
	const char *args[] = { "--json", "--root", PVM_ROOT, NULL };
	struct run r;
	char *json;

	(void)state;
	run_tool(args, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	json = squeeze(r.out);
	assert_true(json[0] == '{' && json[strlen(json) - 1] == '}');
	assert_contains(json, "\"host\":{");
	assert_contains(json, "\"kvm_module\":\"kvm_pvm\"");
	assert_contains(json, "\"kvm_dev_usable\":false");
	assert_contains(json, "\"kvm_dev_error\":\"Nosuchfileordirectory\"");
	assert_contains(json, "\"cpus_online\":\"0-3\"");
	assert_contains(json, "\"ncpus_online\":4");
	assert_contains(json, "\"cpu_model\":\"SamplerFixtureCPU@1.23GHz\"");
	assert_contains(json, "\"kernel\":\"Linux");
	run_free(&r);
}

static void test_host_facts_json_usable_kvm_fixture(void **state)
{
	const char *args[] = { "--root", KVM_ROOT, "--json", NULL };
	struct run r;
	char *json;

	(void)state;
	run_tool(args, &r);
	assert_int_equal(r.status, 0);
	json = squeeze(r.out);
	assert_contains(json, "\"kvm_module\":\"kvm_intel\"");
	assert_contains(json, "\"kvm_dev_usable\":true");
	assert_contains(json, "\"kvm_dev_error\":null");
	assert_contains(json, "\"cpus_online\":\"0\"");
	assert_contains(json, "\"ncpus_online\":1");
	run_free(&r);
}

static void test_host_facts_lines_name_every_fact(void **state)
{
	const char *args[] = { "--root", PVM_ROOT, NULL };
	struct run r;

	(void)state;
	run_tool(args, &r);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "kernel:");
	assert_contains(r.out, "cpu_model:      Sampler Fixture CPU @ 1.23GHz\n");
	assert_contains(r.out, "cpus_online:    0-3 (4)\n");
	assert_contains(r.out, "kvm_module:     kvm_pvm\n");
	assert_contains(r.out, "kvm_dev:        not usable (/dev/kvm: No such file or directory)\n");
	run_free(&r);
}

/* The real machine: whatever it has, every fact is printed and exit is 0. */
static void test_host_facts_real_host(void **state)
{
	const char *lines[] = { NULL }, *json[] = { "--json", NULL };
	struct run r;

	(void)state;
	run_tool(lines, &r);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "kvm_module:");
	assert_contains(r.out, "kvm_dev:");
	run_free(&r);

	run_tool(json, &r);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "\"kvm_module\"");
	assert_contains(r.out, "\"kvm_dev_usable\"");
	run_free(&r);
}

static void test_host_facts_bad_inputs(void **state)
{
	static const struct {
		const char *args[4];
		const char *needle;
	} cases[] = {
		{ { "--root", "/nonexistent" }, "/nonexistent" },
		{ { "--root", "/etc/passwd" }, "not a directory" },
		{ { "--yaml" }, "--yaml" },
		{ { "--root" }, "--root" },
		{ { "extra" }, "extra" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_tool(cases[i].args, &r);
		if (r.status != 2 || !strstr(r.err, cases[i].needle) ||
		    !strstr(r.err, "host-facts: error: ") || r.out[0])
			fail_msg("case %zu (%s): exit %d, stderr '%s'", i, cases[i].args[0],
				 r.status, r.err);
		run_free(&r);
	}
}

static int64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One line, one number: CLOCK_MONOTONIC read between our two readings. */
static void test_host_facts_monotonic_ns(void **state)
{
	const char *args[] = { "--monotonic-ns", NULL };
	int64_t before, after;
	long long v;
	char *end;
	struct run r;

	(void)state;
	before = mono_now_ns();
	run_tool(args, &r);
	after = mono_now_ns();
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	errno = 0;
	v = strtoll(r.out, &end, 10);
	assert_int_equal(errno, 0);
	assert_true(end != r.out);
	assert_string_equal(end, "\n");
	if (v < before || v > after)
		fail_msg("--monotonic-ns printed %lld, not within [%lld, %lld]", v,
			 (long long)before, (long long)after);
	run_free(&r);
}

static void test_host_facts_help_and_version(void **state)
{
	const char *help[] = { "--help", NULL }, *version[] = { "--version", NULL };
	struct run r;

	(void)state;
	run_tool(help, &r);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "Usage: host-facts");
	assert_contains(r.out, "--json");
	assert_contains(r.out, "--monotonic-ns");
	run_free(&r);

	run_tool(version, &r);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "host-facts (stealscope) ");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_facts_json_matches_pvm_fixture),
		cmocka_unit_test(test_host_facts_json_usable_kvm_fixture),
		cmocka_unit_test(test_host_facts_lines_name_every_fact),
		cmocka_unit_test(test_host_facts_real_host),
		cmocka_unit_test(test_host_facts_bad_inputs),
		cmocka_unit_test(test_host_facts_monotonic_ns),
		cmocka_unit_test(test_host_facts_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
