/*
 * Unit tests for `stealscope pin` (experiments/cmd-pin.c), run in-process
 * against libvirt's built-in test:///default driver: one running,
 * persistent domain "test" with 2 vCPUs on a simulated 16-CPU host, no
 * daemon needed.
 *
 * test:///default keeps its state while any connection to it is open and
 * starts afresh after the last one closes. Each test holds a connection of
 * its own for its whole length, so the connections cmd_pin() opens and
 * closes see one state: what one call pinned, the next call and the test
 * read back; the next test starts afresh. stdout and stderr of each call
 * are captured and compared.
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
#include <unistd.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "experiments/commands.h"
#include "host-tools/virt.h"

#define TEST_URI "test:///default"
/* A local URI whose daemon socket does not exist: nobody answers. */
#define NO_DAEMON_URI "qemu:///system?socket=/nonexistent/stealscope-no-libvirt-sock"

/* What one cmd_pin() call did. */
struct pin_result {
	int status;
	char *out;
	char *err;
};

/* The test's own connection, which keeps test:///default's state alive. */
struct pinfix {
	const struct virt_ops *ops;
	struct virt_conn *c;
	struct virt_domain *dom;       /* "test" */
	struct pin_result r;
};

static char *slurp_stream(FILE *f)
{
	long len;
	char *buf;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

/* Run `stealscope pin ARGS...` (NULL-terminated) with stdout and stderr captured. */
static void run_pin(struct pin_result *r, ...)
{
	char *argv[32];
	FILE *out = tmpfile(), *err = tmpfile();
	int saved_out, saved_err, argc = 0;
	va_list ap;

	free(r->out);
	free(r->err);
	argv[argc++] = (char *)"pin";
	va_start(ap, r);
	while ((argv[argc] = va_arg(ap, char *)) != NULL) {
		argc++;
		assert_true(argc < 31);
	}
	va_end(ap);
	assert_non_null(out);
	assert_non_null(err);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	assert_true(saved_out >= 0 && saved_err >= 0);
	assert_true(dup2(fileno(out), STDOUT_FILENO) >= 0);
	assert_true(dup2(fileno(err), STDERR_FILENO) >= 0);
	r->status = cmd_pin(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	r->out = slurp_stream(out);
	r->err = slurp_stream(err);
}

static void assert_has(const char *what, const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("%s \"%s\" lacks \"%s\"", what, text, needle);
}

/* Exactly one error line, containing @needle. */
static void assert_error(const struct pin_result *r, int status, const char *needle)
{
	const char *first, *mark = "stealscope pin: error: ";

	if (r->status != status)
		fail_msg("exit %d, expected %d; stderr \"%s\"", r->status, status, r->err);
	assert_has("stderr", r->err, needle);
	first = strstr(r->err, mark);
	assert_non_null(first);
	assert_null(strstr(first + 1, mark));
}

static void assert_cpus(const cpu_set_t *set, const char *want)
{
	char buf[CPULIST_FMT_LEN];

	assert_string_equal(cpulist_format(set, buf, sizeof(buf)), want);
}

/* The test's own reading of vCPU @vcpu's and the emulator's pinning. */
static void assert_pins(struct pinfix *f, size_t vcpu, const char *want_vcpu,
			const char *want_emu)
{
	cpu_set_t pins[2], emu;
	size_t n = 0;

	assert_int_equal(f->ops->get_vcpu_pins(f->dom, pins, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_cpus(&pins[vcpu], want_vcpu);
	assert_int_equal(f->ops->get_emulator_pin(f->dom, &emu), 0);
	assert_cpus(&emu, want_emu);
}

static int setup(void **state)
{
	struct pinfix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	log_init("stealscope pin");
	f->ops = virt_libvirt_ops();
	if (f->ops->connect(TEST_URI, 0, &f->c)) {
		free(f);
		return -1;
	}
	if (f->ops->lookup_domain(f->c, "test", &f->dom)) {
		f->ops->close(f->c);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct pinfix *f = *state;

	free(f->r.out);
	free(f->r.err);
	f->ops->free_domain(f->dom);
	f->ops->close(f->c);
	free(f);
	return 0;
}

static void test_cmd_pin_prints_pinning_read_only(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_string_equal(f->r.out, TEST_URI ": domain test (id 1, running): live pinning\n"
				      "  vcpu 0     0-15\n"
				      "  vcpu 1     0-15\n"
				      "  emulator   0-15\n");
	assert_string_equal(f->r.err, "");
}

static void test_cmd_pin_vcpu_live_reads_back(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--vcpu", "1", "--cpus",
		"2-3,7", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_string_equal(f->r.out, TEST_URI ": domain test (id 1, running): live pinning\n"
				      "  vcpu 0     0-15\n"
				      "  vcpu 1     2-3,7\n"
				      "  emulator   0-15\n");
	assert_string_equal(f->r.err, "");
	assert_pins(f, 1, "2-3,7", "0-15");
	assert_pins(f, 0, "0-15", "0-15");

	/* --live said explicitly is the same; the CPUs are the simulated host's, not ours. */
	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--vcpu", "0", "--cpus",
		"15", "--live", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_has("stdout", f->r.out, "  vcpu 0     15\n  vcpu 1     2-3,7\n");
	assert_pins(f, 0, "15", "0-15");
}

static void test_cmd_pin_emulator_live_reads_back(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "-c", TEST_URI, "-d", "test", "--emulator", "--cpus", "0,9", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_string_equal(f->r.out, TEST_URI ": domain test (id 1, running): live pinning\n"
				      "  vcpu 0     0-15\n"
				      "  vcpu 1     0-15\n"
				      "  emulator   0,9\n");
	assert_pins(f, 0, "0-15", "0,9");
	/* The read-only form now shows it too. */
	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_has("stdout", f->r.out, "  emulator   0,9\n");
}

/*
 * --config: on the running domain it changes the definition only, which
 * cannot be read back through virt_ops (said, live pinning unchanged);
 * once the domain is shut off, its definition is what is read back, and
 * there it must match. Live pinning of a domain that does not run is
 * refused before libvirt is asked.
 */
static void test_cmd_pin_config(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--emulator", "--cpus", "3",
		"--config", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_has("stdout", f->r.out, "  emulator   0-15\n");
	assert_has("stderr", f->r.err, "stealscope pin: warning: --config changed the "
		   "definition of running domain test (from its next start), which cannot be "
		   "read back here");
	assert_pins(f, 0, "0-15", "0-15");

	assert_int_equal(f->ops->destroy(f->dom), 0);
	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_string_equal(f->r.out, TEST_URI ": domain test (shut off): pinning of its "
				      "definition\n"
				      "  vcpu 0     0-15\n"
				      "  vcpu 1     0-15\n"
				      "  emulator   3\n");

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--emulator", "--cpus", "4-5",
		"--config", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_has("stdout", f->r.out, "(shut off): pinning of its definition\n");
	assert_has("stdout", f->r.out, "  emulator   4-5\n");
	assert_string_equal(f->r.err, "");
	assert_pins(f, 0, "0-15", "4-5");

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--vcpu", "0", "--cpus", "1",
		NULL);
	assert_error(&f->r, EXIT_FAIL, "stealscope pin: error: " TEST_URI ": domain test is "
		     "not running (shut off): live pinning needs a running domain; --config "
		     "alone changes its definition\n");
	assert_string_equal(f->r.out, "");
	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--emulator", "--cpus", "1",
		"--live", "--config", NULL);
	assert_error(&f->r, EXIT_FAIL, "domain test is not running (shut off)");

	/* The test driver pins vCPUs "current" only: libvirt's refusal, said once. */
	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--vcpu", "0", "--cpus", "1",
		"--config", NULL);
	assert_error(&f->r, EXIT_FAIL, TEST_URI ": domain test: virDomainPinVcpuFlags(vCPU 0, "
		     "CPUs 1): unsupported flags (0x2)");
	assert_pins(f, 0, "0-15", "4-5");
}

static void test_cmd_pin_domain_and_vcpu_errors(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "nosuch", "--vcpu", "0", "--cpus", "1",
		NULL);
	assert_error(&f->r, EXIT_USAGE, TEST_URI ": virDomainLookupByName(nosuch): Domain not "
		     "found");
	assert_has("stderr", f->r.err, "Try 'stealscope pin --help'");
	run_pin(&f->r, "--connect", TEST_URI, "--domain", "nosuch", NULL);
	assert_error(&f->r, EXIT_USAGE, "Domain not found");

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--vcpu", "2", "--cpus", "1",
		NULL);
	assert_error(&f->r, EXIT_USAGE, TEST_URI ": domain test has 2 vCPUs: no vCPU 2 (they "
		     "are numbered from 0)");
	assert_string_equal(f->r.out, "");
	assert_pins(f, 0, "0-15", "0-15");
	assert_pins(f, 1, "0-15", "0-15");
}

/* Nobody answers: exit 4, saying how to start the daemon. */
static void test_cmd_pin_no_daemon(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--connect", NO_DAEMON_URI, "--domain", "x", "--vcpu", "0", "--cpus", "0",
		NULL);
	assert_error(&f->r, EXIT_UNSUPPORTED, "cannot connect to " NO_DAEMON_URI);
	assert_has("stderr", f->r.err, "scripts/libvirtd.sh start");
	run_pin(&f->r, "--connect", NO_DAEMON_URI, "--domain", "x", NULL);
	assert_error(&f->r, EXIT_UNSUPPORTED, "scripts/libvirtd.sh start");
}

/*
 * CPU lists: checked against this machine's online CPUs only for a URI of
 * this machine (before connecting); a remote URI's CPUs are another host's,
 * so the same list goes through to the connection attempt (refused at once
 * by a closed port here), and the test driver's host is simulated.
 */
static void test_cmd_pin_cpus_local_or_remote(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--connect", NO_DAEMON_URI, "--domain", "x", "--vcpu", "0", "--cpus",
		"1000", NULL);
	assert_error(&f->r, EXIT_USAGE, "--cpus: CPU 1000 is not online");
	run_pin(&f->r, "--domain", "x", "--emulator", "--cpus", "1000", NULL);
	assert_error(&f->r, EXIT_USAGE, "--cpus: CPU 1000 is not online");
	run_pin(&f->r, "--connect", "qemu+unix:///system", "--domain", "x", "--emulator",
		"--cpus", "1000", NULL);
	assert_error(&f->r, EXIT_USAGE, "--cpus: CPU 1000 is not online");

	run_pin(&f->r, "--connect", "qemu+tcp://127.0.0.1:1/system", "--domain", "x",
		"--emulator", "--cpus", "1000", NULL);
	assert_error(&f->r, EXIT_UNSUPPORTED, "cannot connect to qemu+tcp://127.0.0.1:1/system");
	run_pin(&f->r, "--connect", "qemu://127.0.0.1:1/system", "--domain", "x", "--emulator",
		"--cpus", "1000", NULL);
	assert_int_equal(f->r.status, EXIT_UNSUPPORTED);

	run_pin(&f->r, "--connect", TEST_URI, "--domain", "test", "--vcpu", "1", "--cpus", "12",
		NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_pins(f, 1, "12", "0-15");
}

static void test_cmd_pin_usage_errors(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--vcpu", "0", "--cpus", "0", NULL);
	assert_error(&f->r, EXIT_USAGE, "missing --domain NAME");
	run_pin(&f->r, "-d", "x", "--vcpu", "0", "--emulator", "--cpus", "0", NULL);
	assert_error(&f->r, EXIT_USAGE, "--vcpu and --emulator exclude each other");
	run_pin(&f->r, "-d", "x", "--cpus", "0", NULL);
	assert_error(&f->r, EXIT_USAGE, "--cpus needs --vcpu N or --emulator");
	run_pin(&f->r, "-d", "x", "--vcpu", "1", NULL);
	assert_error(&f->r, EXIT_USAGE, "--vcpu needs --cpus LIST");
	run_pin(&f->r, "-d", "x", "--emulator", NULL);
	assert_error(&f->r, EXIT_USAGE, "--emulator needs --cpus LIST");
	run_pin(&f->r, "-d", "x", "--config", NULL);
	assert_error(&f->r, EXIT_USAGE, "--config needs --cpus LIST");
	run_pin(&f->r, "-d", "x", "--vcpu", "-1", "--cpus", "0", NULL);
	assert_error(&f->r, EXIT_USAGE, "--vcpu: '-1' is out of range [0, 16383]");
	run_pin(&f->r, "-d", "x", "--vcpu", "one", "--cpus", "0", NULL);
	assert_error(&f->r, EXIT_USAGE, "--vcpu: invalid integer 'one'");
	run_pin(&f->r, "-d", "x", "--vcpu", "0", "--cpus", "3-1", NULL);
	assert_error(&f->r, EXIT_USAGE, "--cpus: ");
	run_pin(&f->r, "-d", "x", "--vcpu", "0", "--cpus", "", NULL);
	assert_error(&f->r, EXIT_USAGE, "--cpus: ");
	run_pin(&f->r, "--domain=", NULL);
	assert_error(&f->r, EXIT_USAGE, "--domain: empty name");
	run_pin(&f->r, "--connect=", "-d", "x", NULL);
	assert_error(&f->r, EXIT_USAGE, "--connect: empty URI");
	run_pin(&f->r, "-d", "x", "extra", NULL);
	assert_error(&f->r, EXIT_USAGE, "unexpected argument 'extra'");
	run_pin(&f->r, "-d", "x", "--emulator=yes", "--cpus", "0", NULL);
	assert_error(&f->r, EXIT_USAGE, "option '--emulator' takes no value");
	run_pin(&f->r, "-d", "x", "--cpus", NULL);
	assert_error(&f->r, EXIT_USAGE, "option '--cpus' needs a value");
	assert_string_equal(f->r.out, "");
}

static void test_cmd_pin_help_and_version(void **state)
{
	struct pinfix *f = *state;

	run_pin(&f->r, "--help", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_has("stdout", f->r.out, "Usage: stealscope pin --domain NAME (--vcpu N | "
		   "--emulator) --cpus LIST");
	assert_has("stdout", f->r.out, "--config");
	assert_string_equal(f->r.err, "");
	run_pin(&f->r, "-V", NULL);
	assert_int_equal(f->r.status, EXIT_OK);
	assert_has("stdout", f->r.out, "stealscope");
	assert_has("stdout", f->r.out, STEALSCOPE_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cmd_pin_prints_pinning_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_vcpu_live_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_emulator_live_reads_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_domain_and_vcpu_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_no_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_cpus_local_or_remote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pin_help_and_version, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
