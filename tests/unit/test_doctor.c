/*
 * Unit tests for experiments/doctor and cmd-doctor: each check on this
 * machine (no /dev/kvm here, schedstat, gnuplot and two CPUs present) and on
 * small fixture trees built in a mkdtemp() directory (a module without its
 * device, one CPU online, CPU 0 offline, cgroup v1/v2, a libvirt socket that
 * answers and one that does not), the exit-code rules, and the output lines.
 *
 * Checks that depend on this machine compare with what the machine says
 * independently (sysconf, access) rather than assuming it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cli.h"
#include "common/log.h"
#include "experiments/commands.h"
#include "experiments/doctor.h"
#include "tests/support/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MISSING_DEV "/nonexistent-stealscope/kvm"

#define assert_contains(hay, needle)                                                    \
	do {                                                                            \
		if (!strstr((hay), (needle)))                                           \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));    \
	} while (0)

static char root[64];

static int setup_root(void **state)
{
	(void)state;
	return support_mkdtemp(root, sizeof(root), "doctor");
}

static int teardown_root(void **state)
{
	(void)state;
	log_set_quiet(1);              /* doctor_run() switches logging back on */
	return support_rmtree(root);
}

/* mkdir -p <root>/<rel> */
static void mkdirs(const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

/* Write <root>/<rel> with @text, creating its directories. */
static void put_file(const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mkdirs(dir);
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void run_check(const char *name, struct doctor_ctx *ctx, struct doctor_result *out)
{
	const struct doctor_check *c = doctor_find(name);

	assert_non_null(c);
	memset(out, 0, sizeof(*out));
	c->fn(ctx, out);
}

/* ---- KVM ------------------------------------------------------------------- */

static void test_doctor_kvm_device_missing(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;

	(void)state;
	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	run_check("kvm-device", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "open " MISSING_DEV ": No such file or directory");
	assert_contains(r.msg, "; fix: ");
	assert_contains(r.msg, "use --backend native");
}

/* This machine: no /dev/kvm, although kvm_pvm is loaded (it did not bind). */
static void test_doctor_kvm_device_this_machine(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;

	(void)state;
	doctor_ctx_init(&ctx, "", NULL, NULL);
	run_check("kvm-device", &ctx, &r);
	if (access("/dev/kvm", F_OK) == 0) {
		/* a machine with KVM: whatever it says, it names the device */
		assert_contains(r.msg, "/dev/kvm");
		return;
	}
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "open /dev/kvm: No such file or directory");
	assert_contains(r.msg, "use --backend native");
	if (strcmp(ctx.host.kvm_module, "none"))
		assert_contains(r.msg, "is loaded but created no device; dmesg says why)");
}

/* The kvm-device check with --kvm-dev @dev fails, its message containing @want. */
static void assert_kvm_device_fails(const char *dev, const char *want)
{
	struct doctor_ctx ctx;
	struct doctor_result r;

	doctor_ctx_init(&ctx, "", dev, NULL);
	run_check("kvm-device", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, want);
	/* every piece of advice is whole: never "fix: or use ..." */
	assert_null(strstr(r.msg, "fix: or"));
}

static void test_doctor_kvm_device_not_kvm(void **state)
{
	(void)state;
	assert_kvm_device_fails("/dev/null", "KVM_GET_API_VERSION on /dev/null: Inappropriate "
				"ioctl for device (not a KVM device?); fix: point --kvm-dev at the "
				"KVM device");
}

/* A device path that opens with another error (a directory): a whole piece of advice. */
static void test_doctor_kvm_device_directory(void **state)
{
	(void)state;
	assert_kvm_device_fails("/", "open /: Is a directory; fix: point --kvm-dev at the KVM "
				"character device (normally /dev/kvm), or use --backend native");
}

static void test_doctor_kvm_module_fixtures(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;

	(void)state;
	/* no module at all */
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("kvm-module", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "no KVM module loaded");
	assert_contains(r.msg, "modprobe kvm_intel or kvm_amd");

	/* kvm_pvm loaded, device missing: this machine's situation */
	mkdirs("sys/module/kvm_pvm");
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("kvm-module", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_string_equal(r.msg, "kvm_pvm is loaded but " MISSING_DEV " does not exist: the "
			    "module did not bind (dmesg says why, e.g. when this kernel is itself "
			    "a kvm-pvm guest)");

	/* the device opens (it is /dev/null, but the module check only needs it to open) */
	doctor_ctx_init(&ctx, root, "/dev/null", NULL);
	run_check("kvm-module", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	assert_contains(r.msg, "kvm_pvm (pagetable-based virtualization");

	mkdirs("sys/module/kvm_intel");
	doctor_ctx_init(&ctx, root, "/dev/null", NULL);
	run_check("kvm-module", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	assert_string_equal(r.msg, "kvm_intel (hardware virtualization)");
}

static void test_doctor_kvm_features_unknown_without_device(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;

	(void)state;
	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	run_check("steal-time", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_string_equal(r.msg, "paravirtual steal time (KVM_FEATURE_STEAL_TIME): not checked, "
			    MISSING_DEV " is not usable (see kvm-device); fix: make the KVM device "
			    "usable, or use --backend native");
	run_check("irqchip", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "in-kernel irqchip (KVM_CAP_IRQCHIP): not checked");
}

/* ---- host ------------------------------------------------------------------ */

static void test_doctor_schedstat_this_machine(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;
	char want[128];

	(void)state;
	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	run_check("schedstat", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	snprintf(want, sizeof(want), "per-thread run delay readable (/proc/%d/task/%d/schedstat: "
		 "this thread ran ", (int)getpid(), (int)gettid());
	assert_contains(r.msg, want);
}

static void test_doctor_schedstat_fixtures(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;
	char rel[128];

	(void)state;
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("schedstat", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "/proc/self/schedstat: No such file or directory: no per-thread "
			"run delay; fix: a kernel with CONFIG_SCHED_INFO");

	/* present but all zeros for a thread that is running: not accounted */
	put_file("proc/self/schedstat", "0 0 0\n");
	snprintf(rel, sizeof(rel), "proc/%d/task/%d/schedstat", (int)getpid(), (int)gettid());
	put_file(rel, "0 0 0\n");
	run_check("schedstat", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "reads 0 run time for a running thread");

	put_file(rel, "2500000 1250000 7\n");
	run_check("schedstat", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	assert_contains(r.msg, "this thread ran 2.5 ms, waited 1.2 ms)");

	put_file(rel, "garbage\n");
	run_check("schedstat", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
}

static void test_doctor_cpus_this_machine(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char want[32];

	(void)state;
	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	run_check("cpus", &ctx, &r);
	snprintf(want, sizeof(want), "%ld CPUs online (", n);
	if (n < 2) {
		assert_int_equal(r.status, DOCTOR_FAIL);
		return;
	}
	assert_int_equal(r.status, DOCTOR_OK);
	assert_contains(r.msg, want);
}

static void test_doctor_cpus_fixtures(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;

	(void)state;
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("cpus", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "cannot tell which CPUs are online");

	put_file("sys/devices/system/cpu/online", "0\n");
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("cpus", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "only 1 CPU online (0): the classic experiment needs 2");

	put_file("sys/devices/system/cpu/online", "1-3\n");
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("cpus", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_contains(r.msg, "CPU 0 is offline (online: 1-3)");

	put_file("sys/devices/system/cpu/online", "0-3\n");
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("cpus", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	assert_string_equal(r.msg, "4 CPUs online (0-3)");
}

static void test_doctor_gnuplot(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;

	(void)state;
	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	run_check("gnuplot", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	assert_contains(r.msg, "/gnuplot");
	assert_int_equal(access(r.msg, X_OK), 0);

	doctor_ctx_init(&ctx, "", MISSING_DEV, "/nonexistent-stealscope:");
	run_check("gnuplot", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_contains(r.msg, "fix: apt-get install gnuplot-nox");
}

/* A unix socket at <root>/<rel>; listening or not. Returns its fd. */
static int make_socket(const char *rel, int do_listen)
{
	struct sockaddr_un sa;
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", rel);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", root, rel);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static void test_doctor_libvirt(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;
	char want[PATH_MAX];
	int fd;

	(void)state;
	/* nothing at all, and no libvirtd on the PATH */
	doctor_ctx_init(&ctx, root, MISSING_DEV, "/nonexistent-stealscope");
	run_check("libvirt", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_contains(r.msg, "no libvirt daemon installed");

	/* libvirtd installed but not started */
	put_file("bin/libvirtd", "#!/bin/sh\n");
	snprintf(want, sizeof(want), "%s/bin", root);
	chmod(strcat(want, "/libvirtd"), 0755);
	snprintf(want, sizeof(want), "%s/bin", root);
	doctor_ctx_init(&ctx, root, MISSING_DEV, want);
	run_check("libvirt", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_contains(r.msg, "libvirtd is not running");
	assert_contains(r.msg, "fix: virtlogd -d && libvirtd -d");

	/* a socket left behind by a daemon that is gone */
	fd = make_socket("run/libvirt/libvirt-sock", 0);
	close(fd);
	run_check("libvirt", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_WARN);
	snprintf(want, sizeof(want), "connect %s/run/libvirt/libvirt-sock: Connection refused: "
		 "the daemon is not running", root);
	assert_contains(r.msg, want);
	assert_contains(r.msg, "fix: virtlogd -d && libvirtd -d");

	/* a daemon that listens (the old /var/run spelling) */
	fd = make_socket("var/run/libvirt/libvirt-sock", 1);
	run_check("libvirt", &ctx, &r);
	close(fd);
	assert_int_equal(r.status, DOCTOR_OK);
	snprintf(want, sizeof(want), "libvirtd answers on %s/var/run/libvirt/libvirt-sock", root);
	assert_string_equal(r.msg, want);
}

static void test_doctor_cgroup(void **state)
{
	struct doctor_ctx ctx;
	struct doctor_result r;
	char want[PATH_MAX];

	(void)state;
	doctor_ctx_init(&ctx, root, MISSING_DEV, NULL);
	run_check("cgroup-quota", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_contains(r.msg, "no writable cgroup CPU quota");

	/* v2 without its cpu controller (bound to v1), v1 cpu present: this machine */
	put_file("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
	put_file("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
	run_check("cgroup-quota", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	snprintf(want, sizeof(want), "cgroup v1 CPU quota at %s/sys/fs/cgroup/cpu/cpu.cfs_quota_us "
		 "(cgroup v2 at %s/sys/fs/cgroup/unified has no cpu controller)", root, root);
	assert_string_equal(r.msg, want);

	/* v2 with cpu wins */
	put_file("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
	run_check("cgroup-quota", &ctx, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	snprintf(want, sizeof(want), "cgroup v2 with the cpu controller at %s/sys/fs/cgroup "
		 "(cpu.max for vm.quota)", root);
	assert_string_equal(r.msg, want);
}

/* ---- the whole run ------------------------------------------------------- */

static void test_doctor_exit_codes(void **state)
{
	struct doctor_result res[16];
	struct doctor_ctx ctx;
	size_t i;

	(void)state;
	assert_true(doctor_ncheck <= 16);
	/* this machine without a KVM device: only kvm-mini is out */
	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		assert_int_equal(doctor_run(&ctx, res), EXIT_UNSUPPORTED);
	for (i = 0; i < doctor_ncheck; i++)
		if (doctor_checks[i].need == DOCTOR_NEED_OPTIONAL)
			assert_int_not_equal(res[i].status, DOCTOR_FAIL);

	/* an empty root: schedstat and CPUs fail too, which is not about KVM */
	doctor_ctx_init(&ctx, root, MISSING_DEV, "/nonexistent-stealscope");
	assert_int_equal(doctor_run(&ctx, res), EXIT_FAIL);
	log_set_quiet(1);
}

static void test_doctor_output_format(void **state)
{
	struct doctor_result res[16];
	struct doctor_ctx ctx;
	char *text = NULL, *line, *save;
	size_t len = 0, i, nlines = 0;
	FILE *fp;
	int rc;

	(void)state;
	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	rc = doctor_run(&ctx, res);
	log_set_quiet(1);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	assert_int_equal(doctor_print(fp, res, rc), 0);
	fclose(fp);

	/* "STATUS  name          message": status in 4 columns, name in 13 */
	assert_int_equal(strncmp(text, "FAIL  kvm-device    open " MISSING_DEV
				 ": No such file or directory", 25 + strlen(MISSING_DEV)), 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (nlines < doctor_ncheck) {
			char want[32];

			snprintf(want, sizeof(want), "%-4s  %-13s ",
				 doctor_status_name(res[nlines].status), doctor_checks[nlines].name);
			assert_int_equal(strncmp(line, want, strlen(want)), 0);
			assert_string_equal(line + strlen(want), res[nlines].msg);
		} else if (rc == EXIT_UNSUPPORTED) {
			assert_string_equal(line, "kvm-mini cannot run in process here: --backend "
					    "auto runs it nested where kvm-nested is OK, else natively "
					    "(the rest of what the default experiment needs is there)");
		}
		nlines++;
	}
	assert_int_equal(nlines, doctor_ncheck + 1);
	for (i = 0; i < doctor_ncheck; i++)
		assert_true(strchr(res[i].msg, '\n') == NULL);
	free(text);
}

static void test_doctor_command(void **state)
{
	char *help[] = { "doctor", "--help", NULL };
	char *bad[] = { "doctor", "--bogus", NULL };
	char *extra[] = { "doctor", "now", NULL };
	char *noval[] = { "doctor", "--kvm-dev", NULL };
	char *run[] = { "doctor", "--kvm-dev", MISSING_DEV, NULL };
	struct doctor_result res[16];
	struct doctor_ctx ctx;
	int want;

	(void)state;
	assert_int_equal(cmd_doctor(2, help), EXIT_OK);
	assert_int_equal(cmd_doctor(2, bad), EXIT_USAGE);
	assert_string_equal(log_last_error(), "unknown option '--bogus'");
	assert_int_equal(cmd_doctor(2, extra), EXIT_USAGE);
	assert_string_equal(log_last_error(), "unexpected argument 'now'");
	assert_int_equal(cmd_doctor(2, noval), EXIT_USAGE);
	assert_string_equal(log_last_error(), "option '--kvm-dev' needs a value");

	doctor_ctx_init(&ctx, "", MISSING_DEV, NULL);
	want = doctor_run(&ctx, res);
	assert_int_equal(cmd_doctor(3, run), want);
	log_set_quiet(1);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		assert_int_equal(want, EXIT_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doctor_kvm_device_missing),
		cmocka_unit_test(test_doctor_kvm_device_this_machine),
		cmocka_unit_test(test_doctor_kvm_device_not_kvm),
		cmocka_unit_test(test_doctor_kvm_device_directory),
		cmocka_unit_test_setup_teardown(test_doctor_kvm_module_fixtures, setup_root,
						teardown_root),
		cmocka_unit_test(test_doctor_kvm_features_unknown_without_device),
		cmocka_unit_test(test_doctor_schedstat_this_machine),
		cmocka_unit_test_setup_teardown(test_doctor_schedstat_fixtures, setup_root,
						teardown_root),
		cmocka_unit_test(test_doctor_cpus_this_machine),
		cmocka_unit_test_setup_teardown(test_doctor_cpus_fixtures, setup_root,
						teardown_root),
		cmocka_unit_test(test_doctor_gnuplot),
		cmocka_unit_test_setup_teardown(test_doctor_libvirt, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_doctor_cgroup, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_doctor_exit_codes, setup_root, teardown_root),
		cmocka_unit_test(test_doctor_output_format),
		cmocka_unit_test(test_doctor_command),
	};

	log_init("test_doctor");
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
