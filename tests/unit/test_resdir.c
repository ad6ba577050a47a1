/*
 * Unit tests for common/resdir: the results tree, the INCOMPLETE marker, the
 * "latest" symlink, same-second suffixes, name validation and atomic files.
 *
 * Tests write only under a fresh mkdtemp() directory in /tmp and remove it
 * afterwards; they never touch the source tree or a real results/ folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/resdir.h"
#include "tests/support/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	return support_mkdtemp(tmpdir, sizeof(tmpdir), "resdir");
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	return support_rmtree(tmpdir);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static const char *leaf(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void test_resdir_creates_tree_with_marker_and_latest(void **state)
{
	char base[128], dir[PATH_MAX], marker[PATH_MAX + 16], link[256], target[64];
	char prefix[PATH_MAX], *text;
	struct tm tm;
	time_t before, after;
	const char *stamp;
	ssize_t n;

	(void)state;
	/* The base does not exist yet: mkdir -p semantics. */
	snprintf(base, sizeof(base), "%s/results/deep", tmpdir);
	before = time(NULL);
	assert_int_equal(resdir_create(base, "pin-demo", dir, sizeof(dir)), 0);
	after = time(NULL);

	snprintf(prefix, sizeof(prefix), "%s/pin-demo/", base);
	assert_int_equal(strncmp(dir, prefix, strlen(prefix)), 0);
	assert_true(is_dir(dir));

	/* The leaf is the UTC time of creation, YYYYmmdd-HHMMSS. */
	stamp = leaf(dir);
	assert_int_equal(strlen(stamp), 15);
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(stamp, "%Y%m%d-%H%M%S", &tm));
	assert_true(timegm(&tm) >= before && timegm(&tm) <= after);

	snprintf(marker, sizeof(marker), "%s/%s", dir, RESDIR_INCOMPLETE);
	text = support_read_file(marker);
	assert_non_null(text);
	assert_contains(text, "not finished");
	free(text);
	assert_int_equal(resdir_is_incomplete(dir), 1);

	snprintf(link, sizeof(link), "%s/pin-demo/latest", base);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, stamp);  /* relative, so the tree can move */
	assert_int_equal(support_count_entries(prefix, ".tmp."), 0);
	assert_int_equal(support_count_entries(dir, ".tmp."), 0);

	assert_int_equal(resdir_finish(dir), 0);
	assert_false(exists(marker));
	assert_int_equal(resdir_is_incomplete(dir), 0);
	/* Finishing twice is harmless. */
	assert_int_equal(resdir_finish(dir), 0);
}

static void test_resdir_same_second_gets_suffix(void **state)
{
	char base[128], a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], want[PATH_MAX + 4];
	char link[256], target[64];
	time_t t0, t1;
	ssize_t n;
	int attempt;

	(void)state;
	snprintf(base, sizeof(base), "%s/results", tmpdir);
	/* Retry if the clock ticks over between the creations. */
	for (attempt = 0; attempt < 5; attempt++) {
		char name[32];

		snprintf(name, sizeof(name), "exp%d", attempt);
		t0 = time(NULL);
		assert_int_equal(resdir_create(base, name, a, sizeof(a)), 0);
		assert_int_equal(resdir_create(base, name, b, sizeof(b)), 0);
		assert_int_equal(resdir_create(base, name, c, sizeof(c)), 0);
		t1 = time(NULL);
		if (t0 != t1)
			continue;
		snprintf(want, sizeof(want), "%s-2", a);
		assert_string_equal(b, want);
		snprintf(want, sizeof(want), "%s-3", a);
		assert_string_equal(c, want);
		assert_true(is_dir(a) && is_dir(b) && is_dir(c));

		snprintf(link, sizeof(link), "%s/%s/latest", base, name);
		n = readlink(link, target, sizeof(target) - 1);
		assert_true(n > 0);
		target[n] = '\0';
		assert_string_equal(target, leaf(c));
		return;
	}
	fail_msg("the clock crossed a second boundary in 5 attempts");
}

static void test_resdir_rejects_bad_names(void **state)
{
	static const char *const bad[] = { "a/b", ".hidden", "..", ".", "", "/abs" };
	char dir[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(resdir_create(tmpdir, bad[i], dir, sizeof(dir)), -EINVAL);
		assert_contains(log_last_error(), "results name");
	}
	assert_int_equal(resdir_create(tmpdir, NULL, dir, sizeof(dir)), -EINVAL);
}

static void test_resdir_base_is_a_file_fails(void **state)
{
	char base[128], dir[PATH_MAX];
	FILE *fp;

	(void)state;
	snprintf(base, sizeof(base), "%s/file", tmpdir);
	fp = fopen(base, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(resdir_create(base, "x", dir, sizeof(dir)), -ENOTDIR);
	assert_contains(log_last_error(), base);
}

static void test_resdir_short_out_buffer_leaves_nothing(void **state)
{
	char parent[128], dir[16];
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void)state;
	assert_int_equal(resdir_create(tmpdir, "exp", dir, sizeof(dir)), -ENAMETOOLONG);
	snprintf(parent, sizeof(parent), "%s/exp", tmpdir);
	d = opendir(parent);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	assert_int_equal(n, 0);
}

static void test_resdir_is_incomplete_missing_dir(void **state)
{
	char dir[128];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/nope", tmpdir);
	assert_int_equal(resdir_is_incomplete(dir), -ENOENT);
	assert_int_equal(resdir_finish(dir), -ENOENT);
	assert_contains(log_last_error(), dir);
}

static void test_resdir_afile_commit_renames(void **state)
{
	char path[128], tmp[160], *text;
	struct afile *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/summary.json", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = afile_open(tmpdir, "summary.json");
	assert_non_null(f);
	fprintf(afile_fp(f), "{\"ok\": %d}\n", 1);
	assert_true(exists(tmp));
	assert_false(exists(path));
	assert_int_equal(afile_commit(f), 0);
	assert_false(exists(tmp));
	text = support_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "{\"ok\": 1}\n");
	free(text);
	assert_int_equal(support_count_entries(tmpdir, ".tmp."), 0);
}

static void test_resdir_afile_abort_leaves_nothing(void **state)
{
	char path[128];
	struct afile *f;

	(void)state;
	/* An older complete file stays as it was. */
	assert_int_equal(afile_write_string(tmpdir, "report.html", "old\n"), 0);
	f = afile_open(tmpdir, "report.html");
	assert_non_null(f);
	fputs("half-written", afile_fp(f));
	afile_abort(f);
	snprintf(path, sizeof(path), "%s/report.html", tmpdir);
	{
		char *text = support_read_file(path);

		assert_non_null(text);
		assert_string_equal(text, "old\n");
		free(text);
	}
	assert_int_equal(support_count_entries(tmpdir, ".tmp."), 0);
}

static void test_resdir_afile_open_missing_dir(void **state)
{
	char dir[128];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/missing", tmpdir);
	errno = 0;
	assert_null(afile_open(dir, "x.csv"));
	assert_int_equal(errno, ENOENT);
	/* Named as asked for, never by the temporary "x.csv.tmp.<pid>". */
	assert_contains(log_last_error(), "missing/x.csv: directory ");
	assert_contains(log_last_error(), "missing: No such file or directory");
	assert_null(strstr(log_last_error(), ".tmp."));
	assert_int_equal(afile_write_string(dir, "x.csv", "a\n"), -ENOENT);
}

static void test_resdir_afile_write_to_full_device(void **state)
{
	struct afile *f;
	struct stat st;

	(void)state;
	/* /dev/full fails every write with ENOSPC; its "directory" is /dev. */
	if (stat("/dev/full", &st) < 0 || !S_ISCHR(st.st_mode)) {
		print_message("no /dev/full here: skipping\n");
		skip();
	}
	f = afile_open(tmpdir, "full.txt");
	assert_non_null(f);
	/* Swap the stream's descriptor for /dev/full so the flush fails. */
	{
		int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

		assert_true(fd >= 0);
		assert_true(dup2(fd, fileno(afile_fp(f))) >= 0);
		close(fd);
	}
	fputs("data that cannot be written\n", afile_fp(f));
	assert_int_equal(afile_commit(f), -ENOSPC);
	assert_contains(log_last_error(), "full.txt");
	assert_contains(log_last_error(), "No space left on device");
	assert_int_equal(support_count_entries(tmpdir, ".tmp."), 0);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/full.txt", tmpdir);
		assert_false(exists(path));
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_tmpdir, teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_resdir_creates_tree_with_marker_and_latest),
		T(test_resdir_same_second_gets_suffix),
		T(test_resdir_rejects_bad_names),
		T(test_resdir_base_is_a_file_fails),
		T(test_resdir_short_out_buffer_leaves_nothing),
		T(test_resdir_is_incomplete_missing_dir),
		T(test_resdir_afile_commit_renames),
		T(test_resdir_afile_abort_leaves_nothing),
		T(test_resdir_afile_open_missing_dir),
		T(test_resdir_afile_write_to_full_device),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests_name("resdir", tests, NULL, NULL);
}
