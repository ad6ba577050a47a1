/*
 * Unit tests for experiments/cgquota's pure parts: finding this process's
 * cgroup directory from /proc/self/mountinfo and /proc/self/cgroup texts
 * (cgroup v1 with cpu alone or co-mounted, v2, a mount of a sub-tree, none)
 * and the quota arithmetic. Creating a real cgroup is covered by the
 * stealscope integration test (pinning, policy quota).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>

#include "experiments/cgquota.h"

/* This machine's layout: v1 controllers each on their own, v2 unified. */
static const char mountinfo_split[] =
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char cgroup_split[] =
	"9:name=systemd:/\n"
	"2:cpuacct:/\n"
	"1:cpu:/jobs/a\n"
	"0::/user.slice/x\n";

static void test_cgquota_find_v1_split(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	assert_int_equal(cgquota_find_dir(mountinfo_split, cgroup_split, 1, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/cpu/jobs/a");
	assert_int_equal(cgquota_find_dir(mountinfo_split, cgroup_split, 2, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/unified/user.slice/x");
}

static void test_cgquota_find_v1_comounted(void **state)
{
	static const char mi[] =
		"25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
		"26 24 0:23 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n";
	static const char cg[] = "4:cpuset:/\n3:cpu,cpuacct:/\n";
	char dir[PATH_MAX];

	(void)state;
	/* cpuset is not cpu: the word must match whole */
	assert_int_equal(cgquota_find_dir(mi, cg, 1, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(cgquota_find_dir(mi, cg, 2, dir, sizeof(dir)), -ENOENT);
}

static void test_cgquota_find_v2_subtree(void **state)
{
	/* a container: its cgroup namespace root is /sys/fs/cgroup, the mount's
	 * root field names the sub-tree mounted there */
	static const char mi[] =
		"600 500 0:30 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup rw\n";
	static const char cg[] = "0::/docker/abc/inner\n";
	char dir[PATH_MAX];

	(void)state;
	assert_int_equal(cgquota_find_dir(mi, cg, 2, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/inner");
	assert_int_equal(cgquota_find_dir(mi, cg, 1, dir, sizeof(dir)), -ENOENT);
}

static void test_cgquota_find_none(void **state)
{
	char dir[PATH_MAX], tiny[8];

	(void)state;
	assert_int_equal(cgquota_find_dir("", "", 2, dir, sizeof(dir)), -ENOENT);
	assert_int_equal(cgquota_find_dir(mountinfo_split, "", 1, dir, sizeof(dir)), -ENOENT);
	assert_int_equal(cgquota_find_dir(mountinfo_split, cgroup_split, 1, tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
}

static void test_cgquota_quota_us(void **state)
{
	(void)state;
	assert_int_equal(cgquota_quota_us(50.0), 50000);
	assert_int_equal(cgquota_quota_us(100.0), 100000);
	assert_int_equal(cgquota_quota_us(12.5), 12500);
	/* the kernel refuses less than 1 ms */
	assert_int_equal(cgquota_quota_us(0.1), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgquota_find_v1_split),
		cmocka_unit_test(test_cgquota_find_v1_comounted),
		cmocka_unit_test(test_cgquota_find_v2_subtree),
		cmocka_unit_test(test_cgquota_find_none),
		cmocka_unit_test(test_cgquota_quota_us),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
