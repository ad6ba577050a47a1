/*
 * Unit tests for common/fileio: reading to end of file through read and
 * pread, the growable buffer and its size limit at the exact boundary,
 * fileio_load()'s messages, the up-front output checks, and afile by path and
 * the names its errors give. (afile by directory and name,
 * and its disk-full case, are tested in test_resdir.c.)
 *
 * Tests write only under a fresh mkdtemp() directory in /tmp and remove it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/fileio.h"
#include "common/log.h"
#include "tests/support/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/stealscope-fileio-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	return support_rmtree(tmpdir);
}

/* Write @len bytes of @text to <tmpdir>/<name>; the path goes to @path. */
static void put(char *path, size_t pathlen, const char *name, const char *text, size_t len)
{
	int fd;

	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* A file of @n bytes 'a'..'z' repeating. */
static void put_pattern(char *path, size_t pathlen, const char *name, size_t n)
{
	char *text = malloc(n + 1);
	size_t i;

	assert_non_null(text);
	for (i = 0; i < n; i++)
		text[i] = (char)('a' + i % 26);
	put(path, pathlen, name, text, n);
	free(text);
}

/* A file of @n pattern bytes, opened for reading. */
static int open_pattern(const char *name, size_t n)
{
	char path[128];
	int fd;

	put_pattern(path, sizeof(path), name, n);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

/* The read end of a pipe that holds @len bytes of @text, then end of file. */
static int pipe_with(const char *text, size_t len)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, len), (ssize_t)len);
	close(p[1]);
	return p[0];
}

static void test_fileio_read_upto_stops_at_eof_or_cap(void **state)
{
	char path[128], buf[16];
	int fd;

	(void)state;
	put(path, sizeof(path), "t.txt", "hello world", 11);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fileio_read_upto(fd, FILEIO_AT_CURRENT, buf, 5), 5);
	assert_memory_equal(buf, "hello", 5);
	/* read() goes on from the position; pread() does not move it. */
	assert_int_equal(fileio_read_upto(fd, 0, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(fileio_read_upto(fd, 6, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(fileio_read_upto(fd, FILEIO_AT_CURRENT, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, " world", 6);
	assert_int_equal(fileio_read_upto(fd, FILEIO_AT_CURRENT, buf, sizeof(buf)), 0);
	close(fd);

	assert_int_equal(fileio_read_upto(-1, 0, buf, sizeof(buf)), -EBADF);
}

/* A pipe delivers in pieces: the read goes on to end of file. */
static void test_fileio_read_fd_from_pipe(void **state)
{
	struct fileio_buf b = { 0 };
	int fd;

	(void)state;
	fd = pipe_with("one two", 7);
	assert_int_equal(fileio_read_fd(fd, FILEIO_AT_CURRENT, 0, &b), 0);
	close(fd);
	assert_int_equal(b.len, 7);
	assert_string_equal(b.data, "one two");
	fileio_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
}

static void test_fileio_read_fd_grows_and_reuses(void **state)
{
	struct fileio_buf b = { 0 };
	size_t cap;
	int fd;

	(void)state;
	/* Past the first 16 KiB: the buffer has to grow twice. */
	fd = open_pattern("big.txt", 40000);
	assert_int_equal(fileio_read_fd(fd, 0, 0, &b), 0);
	assert_int_equal(b.len, 40000);
	assert_int_equal(b.data[39999], 'a' + 39999 % 26);
	assert_int_equal(b.data[40000], '\0');
	cap = b.cap;
	assert_true(cap > 40000);

	/* The same fd again, from 0: same text, no new allocation. */
	assert_int_equal(fileio_read_fd(fd, 0, 0, &b), 0);
	assert_int_equal(b.len, 40000);
	assert_int_equal(b.cap, cap);
	/* From an offset. */
	assert_int_equal(fileio_read_fd(fd, 39990, 0, &b), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(b.data[0], 'a' + 39990 % 26);
	close(fd);
	fileio_buf_free(&b);
}

static void test_fileio_read_fd_limit_exact(void **state)
{
	struct fileio_buf b = { 0 };
	char text[100];
	int fd;

	(void)state;
	fd = open_pattern("limit.txt", 100);
	assert_int_equal(fileio_read_fd(fd, 0, 100, &b), 0);
	assert_int_equal(b.len, 100);
	assert_int_equal(fileio_read_fd(fd, 0, 99, &b), -EFBIG);
	close(fd);
	fileio_buf_free(&b);

	/* A pipe has no size to check first: the limit still holds. */
	memset(text, 'x', sizeof(text));
	fd = pipe_with(text, sizeof(text));
	assert_int_equal(fileio_read_fd(fd, FILEIO_AT_CURRENT, 99, &b), -EFBIG);
	close(fd);
	fileio_buf_free(&b);
}

static void test_fileio_load_whole_and_empty(void **state)
{
	struct fileio_buf b = { 0 };
	char path[128];

	(void)state;
	put(path, sizeof(path), "x.ini", "[a]\nk = v\n", 10);
	assert_int_equal(fileio_load(path, 10, FILEIO_REGULAR, &b), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "[a]\nk = v\n");

	put(path, sizeof(path), "empty", "", 0);
	assert_int_equal(fileio_load(path, 0, 0, &b), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	fileio_buf_free(&b);

	/* A /proc file says its size is 0 and still has text. */
	if (access("/proc/self/stat", R_OK) == 0) {
		assert_int_equal(fileio_load("/proc/self/stat", 0, FILEIO_REGULAR, &b), 0);
		assert_true(b.len > 0);
		assert_int_equal(strlen(b.data), b.len);
		fileio_buf_free(&b);
	}
}

static void test_fileio_load_errors_name_path(void **state)
{
	struct fileio_buf b = { 0 };
	char path[128], want[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(fileio_load(path, 0, 0, &b), -ENOENT);
	snprintf(want, sizeof(want), "open %s: No such file or directory", path);
	assert_string_equal(log_last_error(), want);

	assert_int_equal(fileio_load(tmpdir, 0, FILEIO_REGULAR, &b), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	assert_string_equal(log_last_error(), want);
	assert_int_equal(fileio_load(tmpdir, 0, 0, &b), -EISDIR);
	snprintf(want, sizeof(want), "read %s: Is a directory", tmpdir);
	assert_string_equal(log_last_error(), want);

	put_pattern(path, sizeof(path), "big", 101);
	assert_int_equal(fileio_load(path, 100, 0, &b), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 100 bytes", path);
	assert_string_equal(log_last_error(), want);
	fileio_buf_free(&b);
}

static void test_fileio_afile_by_path(void **state)
{
	struct fileio_buf b = { 0 };
	char path[128], tmp[160];
	struct afile *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/table.txt", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = afile_open_path(path);
	assert_non_null(f);
	fprintf(afile_fp(f), "%-6s %5d\n", "cpu0", 42);
	assert_int_equal(access(tmp, F_OK), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(afile_commit(f), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(fileio_load(path, 0, 0, &b), 0);
	assert_string_equal(b.data, "cpu0      42\n");
	fileio_buf_free(&b);

	/* The temporary is not inherited by children. */
	f = afile_open_path(path);
	assert_non_null(f);
	assert_true(fcntl(fileno(afile_fp(f)), F_GETFD) & FD_CLOEXEC);
	afile_abort(f);
	assert_int_equal(access(tmp, F_OK), -1);

	errno = 0;
	assert_null(afile_open_path(""));
	assert_int_equal(errno, EINVAL);
	afile_abort(NULL);
}

static void test_fileio_parent_dir(void **state)
{
	char dir[8];

	(void)state;
	assert_int_equal(fileio_parent_dir("a/b/x.csv", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "a/b");
	assert_int_equal(fileio_parent_dir("/x", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/");
	assert_int_equal(fileio_parent_dir("x.csv", dir, sizeof(dir)), 0);
	assert_string_equal(dir, ".");
	assert_int_equal(fileio_parent_dir("/tmp/y/", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/tmp/y");
	strcpy(dir, "keep");
	assert_int_equal(fileio_parent_dir("12345678/x", dir, sizeof(dir)), -ENAMETOOLONG);
	assert_string_equal(dir, "keep");
	assert_int_equal(fileio_parent_dir("x", dir, 1), -ENAMETOOLONG);
	assert_int_equal(fileio_parent_dir("1234567/x", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "1234567");
}

/* fileio_check_output(@path, @kind) fails with @rc and exactly the message @want. */
static void check_output_fails(const char *path, int kind, int rc, const char *want)
{
	assert_int_equal(fileio_check_output(path, kind), rc);
	assert_string_equal(log_last_error(), want);
}

static void test_fileio_check_output_file(void **state)
{
	char path[256], sub[128], file[128], want[768];

	(void)state;
	snprintf(path, sizeof(path), "%s/new.csv", tmpdir);
	assert_int_equal(fileio_check_output(path, FILEIO_OUT_FILE), 0);
	assert_int_equal(access(path, F_OK), -1);          /* looks, creates nothing */
	put(file, sizeof(file), "old.csv", "x\n", 2);
	assert_int_equal(fileio_check_output(file, FILEIO_OUT_FILE), 0);

	/* a directory in place of the file: what rename() would only find at the end */
	snprintf(want, sizeof(want), "cannot write %s: Is a directory", tmpdir);
	check_output_fails(tmpdir, FILEIO_OUT_FILE, -EISDIR, want);
	snprintf(path, sizeof(path), "%s/", tmpdir);
	snprintf(want, sizeof(want), "cannot write %s: names a directory, not a file", path);
	check_output_fails(path, FILEIO_OUT_FILE, -EISDIR, want);
	/* its directory: missing, or a file */
	snprintf(sub, sizeof(sub), "%s/none", tmpdir);
	snprintf(path, sizeof(path), "%s/x.csv", sub);
	snprintf(want, sizeof(want), "cannot write %s: directory %s: No such file or directory",
		 path, sub);
	check_output_fails(path, FILEIO_OUT_FILE, -ENOENT, want);
	snprintf(path, sizeof(path), "%s/x.csv", file);
	snprintf(want, sizeof(want), "cannot write %s: %s: Not a directory", path, file);
	check_output_fails(path, FILEIO_OUT_FILE, -ENOTDIR, want);
	check_output_fails("", FILEIO_OUT_FILE, -EINVAL, "cannot write '': empty file name");
}

static void test_fileio_check_output_dir(void **state)
{
	char path[256], file[128], want[768];

	(void)state;
	assert_int_equal(fileio_check_output(tmpdir, FILEIO_OUT_DIR), 0);
	snprintf(path, sizeof(path), "%s//", tmpdir);
	assert_int_equal(fileio_check_output(path, FILEIO_OUT_DIR), 0);
	/* not there yet: mkdir -p would make it in a writable ancestor; nothing made now */
	snprintf(path, sizeof(path), "%s/a/b/c", tmpdir);
	assert_int_equal(fileio_check_output(path, FILEIO_OUT_DIR), 0);
	snprintf(path, sizeof(path), "%s/a", tmpdir);
	assert_int_equal(access(path, F_OK), -1);

	put(file, sizeof(file), "plain", "x", 1);
	snprintf(want, sizeof(want), "cannot write under %s: Not a directory", file);
	check_output_fails(file, FILEIO_OUT_DIR, -ENOTDIR, want);
	snprintf(path, sizeof(path), "%s/run/x", file);
	snprintf(want, sizeof(want), "cannot write under %s: %s: Not a directory", path, file);
	check_output_fails(path, FILEIO_OUT_DIR, -ENOTDIR, want);
	check_output_fails("", FILEIO_OUT_DIR, -EINVAL, "cannot write '': empty directory name");
}

/* afile names the file asked for, never its temporary, and says why it cannot be made. */
static void test_fileio_afile_errors_name_final_path(void **state)
{
	char path[128], want[256];

	(void)state;
	errno = 0;
	assert_null(afile_open_path(tmpdir));
	assert_int_equal(errno, EISDIR);
	snprintf(want, sizeof(want), "cannot write %s: Is a directory", tmpdir);
	assert_string_equal(log_last_error(), want);
	snprintf(path, sizeof(path), "%s/.tmp.%ld", tmpdir, (long)getpid());
	assert_int_equal(access(path, F_OK), -1);

	/*
	 * /proc takes no new files. As root the directory passes access(), and
	 * creating the temporary fails with ENOENT in a directory that exists:
	 * said as what it is. Anyone else is told the directory is not writable.
	 */
	errno = 0;
	assert_null(afile_open_path("/proc/version"));
	assert_int_not_equal(errno, 0);
	if (geteuid() == 0)
		assert_string_equal(log_last_error(),
				    "cannot write /proc/version: no file can be created in /proc");
	else
		assert_string_equal(log_last_error(),
				    "cannot write /proc/version: directory /proc: Permission denied");
}

/* Executables on a directory list: empty components skipped, non-executables ignored. */
static void test_fileio_find_program(void **state)
{
	char dirs[256], path[128], out[128], cwd[4096];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/prog", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(dirs, sizeof(dirs), "::/nonexistent-stealscope:%s:", tmpdir);
	assert_int_equal(fileio_find_program(dirs, "prog", out, sizeof(out)), -ENOENT);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(fileio_find_program(dirs, "prog", out, sizeof(out)), 0);
	assert_string_equal(out, path);
	assert_int_equal(fileio_find_program(dirs, "prog", NULL, 0), 0);
	assert_int_equal(fileio_find_program(dirs, "prog", out, 4), -ENAMETOOLONG);
	/* a directory is no program, nor is "" the current directory */
	assert_int_equal(fileio_find_program(dirs, ".", out, sizeof(out)), -ENOENT);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(fileio_find_program(":", "prog", out, sizeof(out)), -ENOENT);
	assert_int_equal(chdir(cwd), 0);
}

/* A tree goes whole; a symlink in it goes, not what it points to; a missing path is fine. */
static void test_fileio_remove_tree(void **state)
{
	char root[PATH_MAX], sub[PATH_MAX + 8], deep[PATH_MAX + 16], f[PATH_MAX + 32];
	char outside[PATH_MAX], link[PATH_MAX + 16];
	FILE *fp;

	(void)state;
	assert_true((size_t)snprintf(root, sizeof(root), "%s/tree", tmpdir) < sizeof(root));
	snprintf(sub, sizeof(sub), "%s/a", root);
	snprintf(deep, sizeof(deep), "%s/b", sub);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(mkdir(deep, 0700), 0);
	snprintf(f, sizeof(f), "%s/x.csv", deep);
	fp = fopen(f, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(outside, sizeof(outside), "%s/keep", tmpdir);
	fp = fopen(outside, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(link, sizeof(link), "%s/to-keep", sub);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(link, sizeof(link), "%s/to-tmp", root);
	assert_int_equal(symlink(tmpdir, link), 0);

	assert_int_equal(fileio_remove_tree(root), 0);
	assert_int_equal(access(root, F_OK), -1);
	assert_int_equal(access(outside, F_OK), 0);
	assert_int_equal(support_count_entries(tmpdir, NULL), 1);
	assert_int_equal(fileio_remove_tree(root), 0);          /* gone already: fine */
	assert_int_equal(fileio_remove_tree(outside), 0);       /* a plain file */
	assert_int_equal(access(outside, F_OK), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_tmpdir, teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fileio_read_upto_stops_at_eof_or_cap),
		T(test_fileio_read_fd_from_pipe),
		T(test_fileio_read_fd_grows_and_reuses),
		T(test_fileio_read_fd_limit_exact),
		T(test_fileio_load_whole_and_empty),
		T(test_fileio_load_errors_name_path),
		T(test_fileio_afile_by_path),
		T(test_fileio_parent_dir),
		T(test_fileio_check_output_file),
		T(test_fileio_check_output_dir),
		T(test_fileio_afile_errors_name_final_path),
		T(test_fileio_find_program),
		T(test_fileio_remove_tree),
	};

	log_set_quiet(1);
	return cmocka_run_group_tests_name("fileio", tests, NULL, NULL);
}
