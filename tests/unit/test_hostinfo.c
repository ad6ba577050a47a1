/*
 * Unit tests for common/hostinfo: facts read from fixture roots
 * (tests/fixtures/host-pvm, host-none) and from small trees built in /tmp,
 * the "host" JSON object, and meta.json written through afile.
 *
 * Fixture trees are only read. Generated trees and outputs live under a fresh
 * mkdtemp() directory that is removed afterwards. Nothing here asserts facts
 * of the machine running the tests beyond what uname and sysconf report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/hostinfo.h"
#include "common/json.h"
#include "common/log.h"
#include "tests/support/files.h"

#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define assert_contains(hay, needle)                                                    \
	do {                                                                            \
		if (!strstr((hay), (needle)))                                           \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));    \
	} while (0)

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
	(void)state;
	return support_mkdtemp(tmpdir, sizeof(tmpdir), "hostinfo");
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	return support_rmtree(tmpdir);
}

/* Create <tmpdir>/<rel> with @text (NULL: a directory), parents included. */
static void put(const char *rel, const char *text)
{
	char path[PATH_MAX], *p;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	for (p = path + strlen(tmpdir) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	if (!text) {
		assert_int_equal(mkdir(path, 0755), 0);
		return;
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_hostinfo_pvm_fixture(void **state)
{
	struct hostinfo h;
	struct utsname u;

	(void)state;
	assert_int_equal(hostinfo_gather(TEST_FIXTURES "/host-pvm", &h), 0);
	assert_string_equal(h.cpu_model, "Intel(R) Xeon(R) Platinum 8269CY CPU @ 2.50GHz");
	assert_string_equal(h.cpus_online, "0-1");
	assert_int_equal(h.ncpus_online, 2);
	assert_string_equal(h.kvm_module, "kvm_pvm");
	/* The fixture has no dev/kvm, like this project's own machines. */
	assert_int_equal(h.kvm_dev_usable, 0);
	assert_string_equal(h.kvm_dev_error, "No such file or directory");

	/* uname always describes the real machine. */
	assert_int_equal(uname(&u), 0);
	assert_string_equal(h.machine, u.machine);
	assert_int_equal(strncmp(h.kernel, u.sysname, strlen(u.sysname)), 0);
	assert_contains(h.kernel, u.release);
}

static void test_hostinfo_none_fixture(void **state)
{
	struct hostinfo h;

	(void)state;
	assert_int_equal(hostinfo_gather(TEST_FIXTURES "/host-none", &h), 0);
	/* An arm64-style cpuinfo has no "model name". */
	assert_string_equal(h.cpu_model, "unknown");
	assert_string_equal(h.cpus_online, "0,2-3");
	assert_int_equal(h.ncpus_online, 3);
	/* The generic kvm module alone is not a backend. */
	assert_string_equal(h.kvm_module, "none");
	assert_int_equal(h.kvm_dev_usable, 0);
}

static void test_hostinfo_missing_root_is_unknown(void **state)
{
	struct hostinfo h;

	(void)state;
	assert_int_equal(hostinfo_gather(TEST_FIXTURES "/no-such-root", &h), 0);
	assert_string_equal(h.cpu_model, "unknown");
	assert_string_equal(h.cpus_online, "unknown");
	assert_int_equal(h.ncpus_online, 0);
	assert_string_equal(h.kvm_module, "none");
	assert_string_equal(h.kvm_dev_error, "No such file or directory");
}

static void test_hostinfo_module_order_and_dev_open(void **state)
{
	struct hostinfo h;

	(void)state;
	put("sys/module/kvm_pvm", NULL);
	put("sys/module/kvm_amd", NULL);
	put("sys/devices/system/cpu/online", "0\n");
	put("proc/cpuinfo", "processor\t: 0\nmodel name\t:   AMD EPYC 7B13  \n");
	/* A regular file stands in for the device: it opens read-write. */
	put("dev/kvm", "");
	assert_int_equal(hostinfo_gather(tmpdir, &h), 0);
	assert_string_equal(h.kvm_module, "kvm_amd");
	assert_int_equal(h.kvm_dev_usable, 1);
	assert_string_equal(h.kvm_dev_error, "");
	assert_string_equal(h.cpu_model, "AMD EPYC 7B13");
	assert_int_equal(h.ncpus_online, 1);

	put("sys/module/kvm_intel", NULL);
	assert_int_equal(hostinfo_gather(tmpdir, &h), 0);
	assert_string_equal(h.kvm_module, "kvm_intel");

	/* A file named like a module is not a loaded module. */
	{
		static const char *const mods[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
		char path[PATH_MAX];
		size_t i;

		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/sys/module/%s", tmpdir, mods[i]);
			assert_int_equal(rmdir(path), 0);
		}
	}
	put("sys/module/kvm_intel", "");
	assert_int_equal(hostinfo_gather(tmpdir, &h), 0);
	assert_string_equal(h.kvm_module, "none");
}

static void test_hostinfo_malformed_online_fails(void **state)
{
	struct hostinfo h;

	(void)state;
	put("sys/devices/system/cpu/online", "1-0\n");
	assert_true(hostinfo_gather(tmpdir, &h) < 0);
	assert_contains(log_last_error(), "sys/devices/system/cpu/online");
}

static void test_hostinfo_empty_online_fails(void **state)
{
	struct hostinfo h;

	(void)state;
	put("sys/devices/system/cpu/online", "\n");
	assert_int_equal(hostinfo_gather(tmpdir, &h), -EINVAL);
	assert_contains(log_last_error(), "sys/devices/system/cpu/online: invalid CPU list '': empty");
}

static void test_hostinfo_long_online_list_whole(void **state)
{
	char list[CPULIST_FMT_LEN], line[CPULIST_FMT_LEN + 1];
	struct hostinfo h;
	size_t n = 0;
	int cpu;

	(void)state;
	/* Every other CPU up to CPU_SETSIZE: about 2000 bytes, far past 256. */
	for (cpu = 0; cpu < CPU_SETSIZE; cpu += 2)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", cpu ? "," : "", cpu);
	assert_true(n > 1000 && n < sizeof(list));
	snprintf(line, sizeof(line), "%s\n", list);
	put("sys/devices/system/cpu/online", line);
	assert_int_equal(hostinfo_gather(tmpdir, &h), 0);
	assert_string_equal(h.cpus_online, list);
	assert_int_equal(h.ncpus_online, CPU_SETSIZE / 2);
}

static void test_hostinfo_real_system(void **state)
{
	struct hostinfo h;

	(void)state;
	assert_int_equal(hostinfo_gather("", &h), 0);
	assert_int_equal(h.ncpus_online, (int)sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(h.kvm_dev_usable, access("/dev/kvm", R_OK | W_OK) == 0);
	if (!h.kvm_dev_usable)
		assert_true(h.kvm_dev_error[0] != '\0');
}

static void test_hostinfo_json_host_object(void **state)
{
	struct hostinfo h;
	struct jsonw j;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(hostinfo_gather(TEST_FIXTURES "/host-pvm", &h), 0);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	jsonw_init(&j, fp);
	jsonw_obj_begin(&j);
	hostinfo_json(&j, &h);
	jsonw_obj_end(&j);
	assert_int_equal(jsonw_finish(&j), 0);
	fclose(fp);

	assert_contains(buf, "\"host\": {");
	assert_contains(buf, "\"cpu_model\": \"Intel(R) Xeon(R) Platinum 8269CY CPU @ 2.50GHz\"");
	assert_contains(buf, "\"cpus_online\": \"0-1\"");
	assert_contains(buf, "\"ncpus_online\": 2");
	assert_contains(buf, "\"kvm_module\": \"kvm_pvm\"");
	assert_contains(buf, "\"kvm_dev_usable\": false");
	assert_contains(buf, "\"kvm_dev_error\": \"No such file or directory\"");
	free(buf);
}

static void test_hostinfo_meta_write_content(void **state)
{
	char *const argv[] = { "cpu-sampler", "--interval", "100ms", "say \"x\"" };
	char path[128], *text, *p;
	struct tm tm;
	time_t before, after, started;
	DIR *d;
	struct dirent *de;

	(void)state;
	before = time(NULL);
	assert_int_equal(meta_write(tmpdir, "cpu-sampler", 4, argv), 0);
	after = time(NULL);

	snprintf(path, sizeof(path), "%s/meta.json", tmpdir);
	text = support_read_file(path);
	assert_non_null(text);
	assert_contains(text, "\"tool\": \"cpu-sampler\"");
	assert_contains(text, "\"version\": \"" STEALSCOPE_VERSION "\"");
	assert_contains(text, "\"command_line\": [\n");
	assert_contains(text, "\"cpu-sampler\",\n");
	assert_contains(text, "\"--interval\",\n");
	assert_contains(text, "\"100ms\",\n");
	assert_contains(text, "\"say \\\"x\\\"\"\n");
	assert_contains(text, "\"host\": {");
	assert_contains(text, "\"kvm_module\": ");
	assert_true(text[0] == '{');
	assert_true(text[strlen(text) - 1] == '\n');

	p = strstr(text, "\"started_utc\": \"");
	assert_non_null(p);
	p += strlen("\"started_utc\": \"");
	memset(&tm, 0, sizeof(tm));
	p = strptime(p, "%Y-%m-%dT%H:%M:%SZ\"", &tm);
	assert_non_null(p);
	started = timegm(&tm);
	assert_true(started >= before && started <= after);
	free(text);

	/* Only meta.json: no temporary left behind. */
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			assert_string_equal(de->d_name, "meta.json");
	closedir(d);
}

static void test_hostinfo_meta_write_missing_dir(void **state)
{
	char *const argv[] = { "x" };
	char dir[128];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/gone", tmpdir);
	assert_int_equal(meta_write(dir, "x", 1, argv), -ENOENT);
	assert_contains(log_last_error(), "gone/meta.json");
}

/* meta_write_ext()'s extra callback: point the stream at /dev/full. */
static void swap_in_dev_full(struct jsonw *j, void *arg)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)arg;
	assert_true(fd >= 0);
	assert_true(dup2(fd, fileno(j->fp)) >= 0);
	close(fd);
}

static void test_hostinfo_meta_write_error_logged_once(void **state)
{
	char *const argv[] = { "x" };
	char errpath[128], path[128], *text, *p;
	struct stat st;
	int saved, fd, rc, nerr = 0;

	(void)state;
	if (stat("/dev/full", &st) < 0 || !S_ISCHR(st.st_mode)) {
		print_message("no /dev/full here: skipping\n");
		skip();
	}
	/* Count the error lines on stderr: one failure, one message. */
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", tmpdir);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	log_set_quiet(0);
	rc = meta_write_ext(tmpdir, "x", 1, argv, 0, swap_in_dev_full, NULL);
	log_set_quiet(1);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(saved);
	close(fd);

	assert_int_equal(rc, -ENOSPC);
	assert_contains(log_last_error(), "meta.json");
	assert_contains(log_last_error(), "No space left on device");
	text = support_read_file(errpath);
	assert_non_null(text);
	for (p = text; (p = strstr(p, ": error: ")); p++)
		nerr++;
	if (nerr != 1)
		fail_msg("%d error lines, want 1:\n%s", nerr, text);
	free(text);
	snprintf(path, sizeof(path), "%s/meta.json", tmpdir);
	assert_int_equal(access(path, F_OK), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_tmpdir, teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hostinfo_pvm_fixture),
		T(test_hostinfo_none_fixture),
		T(test_hostinfo_missing_root_is_unknown),
		T(test_hostinfo_module_order_and_dev_open),
		T(test_hostinfo_malformed_online_fails),
		T(test_hostinfo_empty_online_fails),
		T(test_hostinfo_long_online_list_whole),
		T(test_hostinfo_real_system),
		T(test_hostinfo_json_host_object),
		T(test_hostinfo_meta_write_content),
		T(test_hostinfo_meta_write_missing_dir),
		T(test_hostinfo_meta_write_error_logged_once),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests_name("hostinfo", tests, NULL, NULL);
}
