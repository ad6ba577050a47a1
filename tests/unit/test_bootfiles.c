/*
 * Unit tests for host-tools/bootfiles: which files another user could
 * read (mode bits along the resolved path), and staging: reachable files
 * used in place, the others copied whole into one fresh 0755 directory as
 * 0644 files whatever the umask, removed again, and nothing left behind
 * when staging fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "host-tools/bootfiles.h"
#include "tests/support/files.h"

/* Per test: a root 0755 with open/ (0755), closed/ (0700) and base/ (0755). */
static struct {
	char root[PATH_MAX];
	char open[PATH_MAX], closed[PATH_MAX], base[PATH_MAX];
} T;

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void in_dir(char *out, const char *dir, const char *name)
{
	assert_true((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static int setup(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	if (support_mkdtemp(T.root, sizeof(T.root), "bootfiles") || chmod(T.root, 0755))
		return -1;
	in_dir(T.open, T.root, "open");
	in_dir(T.closed, T.root, "closed");
	in_dir(T.base, T.root, "base");
	if (mkdir(T.open, 0755) || mkdir(T.closed, 0700) || mkdir(T.base, 0755) ||
	    chmod(T.open, 0755) || chmod(T.base, 0755))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return support_rmtree(T.root);
}

static void test_bootfiles_reachable(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], link[PATH_MAX];

	(void)state;
	in_dir(a, T.open, "vmlinuz");
	in_dir(b, T.closed, "vmlinuz");
	in_dir(c, T.open, "private");
	write_file(a, "kernel", 0644);
	write_file(b, "kernel", 0644);
	write_file(c, "kernel", 0600);
	assert_int_equal(bootfiles_reachable(a), 1);
	assert_int_equal(bootfiles_reachable(b), 0);     /* the directory: no o+x */
	assert_int_equal(bootfiles_reachable(c), 0);     /* the file: no o+r */
	log_set_quiet(1);
	assert_int_equal(bootfiles_reachable(T.open), -EINVAL); /* not a regular file */
	assert_non_null(strstr(log_last_error(), "/open: not a regular file"));
	assert_int_equal(bootfiles_reachable("/"), -EINVAL);
	log_set_quiet(0);
	/* judged by where a link leads, not by the link's own directory */
	in_dir(link, T.open, "to-closed");
	assert_int_equal(symlink(b, link), 0);
	assert_int_equal(bootfiles_reachable(link), 0);
	assert_int_equal(unlink(link), 0);
	in_dir(link, T.closed, "to-open");
	assert_int_equal(symlink(a, link), 0);
	assert_int_equal(bootfiles_reachable(link), 1);
	/* opening the root directory again makes it reachable */
	assert_int_equal(chmod(T.closed, 0711), 0);
	assert_int_equal(bootfiles_reachable(b), 1);

	log_set_quiet(1);
	assert_int_equal(bootfiles_reachable("/nonexistent-stealscope/vmlinuz"), -ENOENT);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "/nonexistent-stealscope/vmlinuz"));
}

static void test_bootfiles_reachable_files_stay(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], real[PATH_MAX];
	const char *src[2];
	struct bootfiles bf;

	(void)state;
	in_dir(a, T.open, "vmlinuz");
	in_dir(b, T.open, "initramfs.cpio.gz");
	write_file(a, "kernel", 0644);
	write_file(b, "initrd", 0644);
	/* a path with a detour: the domain gets the resolved one */
	in_dir(real, T.closed, "../open/vmlinuz");
	src[0] = real;
	src[1] = b;
	assert_int_equal(bootfiles_stage(&bf, src, 2, T.base), 0);
	assert_string_equal(bf.dir, "");
	assert_int_equal(bf.n, 2);
	assert_string_equal(bf.path[0], a);
	assert_string_equal(bf.path[1], b);
	assert_int_equal(bf.staged[0] | bf.staged[1], 0);
	assert_int_equal(support_count_entries(T.base, NULL), 0);
	bootfiles_remove(&bf);
	/* removing staged nothing removes nothing */
	assert_int_equal(access(a, R_OK), 0);
	assert_int_equal(access(b, R_OK), 0);
	assert_int_equal(bf.n, 0);
}

static void test_bootfiles_private_files_copied(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], want[PATH_MAX];
	const char *src[2];
	struct bootfiles bf;
	struct stat st;
	mode_t old;
	char *text;

	(void)state;
	in_dir(a, T.closed, "vmlinuz");
	in_dir(b, T.open, "initramfs.cpio.gz");
	write_file(a, "the kernel\n", 0600);
	write_file(b, "the initramfs\n", 0644);
	src[0] = a;
	src[1] = b;
	old = umask(077);            /* the copies are 0644 and 0755 all the same */
	assert_int_equal(bootfiles_stage(&bf, src, 2, T.base), 0);
	umask(old);

	/* the one out of reach is copied, the other stays */
	assert_int_equal(bf.staged[0], 1);
	assert_int_equal(bf.staged[1], 0);
	assert_string_equal(bf.path[1], b);
	/* named after this process: <base>/stealscope-boot-<pid>-XXXXXX */
	assert_true((size_t)snprintf(want, sizeof(want), "%s/%s%d-", T.base, BOOTFILES_PREFIX,
				     (int)getpid()) < sizeof(want));
	assert_int_equal(strncmp(bf.dir, want, strlen(want)), 0);
	assert_int_equal(strlen(bf.dir), strlen(want) + 6);
	in_dir(want, bf.dir, "vmlinuz");
	assert_string_equal(bf.path[0], want);
	text = support_read_file(bf.path[0]);
	assert_non_null(text);
	assert_string_equal(text, "the kernel\n");
	free(text);
	assert_int_equal(stat(bf.path[0], &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(stat(bf.dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(bootfiles_reachable(bf.path[0]), 1);
	assert_int_equal(support_count_entries(T.base, NULL), 1);
	assert_int_equal(support_count_entries(bf.dir, NULL), 1);

	bootfiles_remove(&bf);
	assert_int_equal(support_count_entries(T.base, NULL), 0);
	assert_string_equal(bf.dir, "");
	/* the originals are untouched */
	assert_int_equal(access(a, R_OK), 0);
	assert_int_equal(access(b, R_OK), 0);
}

static void test_bootfiles_big_file_copied_whole(void **state)
{
	char a[PATH_MAX];
	const char *src[1];
	struct bootfiles bf;
	struct stat st;
	size_t len = 3 * 65536 + 123, i;
	char *buf = malloc(len), *back;
	FILE *fp;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + (i * 7919) % 26);
	in_dir(a, T.closed, "vmlinuz");
	fp = fopen(a, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	src[0] = a;
	assert_int_equal(bootfiles_stage(&bf, src, 1, T.base), 0);
	assert_int_equal(stat(bf.path[0], &st), 0);
	assert_int_equal(st.st_size, (off_t)len);
	fp = fopen(bf.path[0], "r");
	assert_non_null(fp);
	back = malloc(len);
	assert_non_null(back);
	assert_int_equal(fread(back, 1, len, fp), len);
	fclose(fp);
	assert_memory_equal(back, buf, len);
	free(back);
	free(buf);
	bootfiles_remove(&bf);
	assert_int_equal(support_count_entries(T.base, NULL), 0);
}

static void test_bootfiles_failures_leave_nothing(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], sub[PATH_MAX], nobase[PATH_MAX];
	const char *src[2];
	struct bootfiles bf;

	(void)state;
	in_dir(sub, T.closed, "other");
	assert_int_equal(mkdir(sub, 0755), 0);
	in_dir(a, T.closed, "vmlinuz");
	in_dir(b, sub, "vmlinuz");
	write_file(a, "one", 0644);
	write_file(b, "two", 0644);
	src[0] = a;
	src[1] = b;
	log_set_quiet(1);
	/* two copies of one name would overwrite each other */
	assert_int_equal(bootfiles_stage(&bf, src, 2, T.base), -EINVAL);
	assert_non_null(strstr(log_last_error(), "have one name"));
	assert_int_equal(support_count_entries(T.base, NULL), 0);
	assert_int_equal(bf.n, 0);

	/* no place to copy to */
	in_dir(nobase, T.root, "missing");
	assert_int_equal(bootfiles_stage(&bf, src, 1, nobase), -ENOENT);
	assert_non_null(strstr(log_last_error(), "making a directory for the boot files"));
	assert_string_equal(bf.dir, "");

	/* the second file is missing: refused before anything is copied */
	src[1] = "/nonexistent-stealscope/initrd";
	assert_int_equal(bootfiles_stage(&bf, src, 2, T.base), -ENOENT);
	assert_int_equal(support_count_entries(T.base, NULL), 0);

	/* a directory is refused up front */
	src[1] = sub;
	assert_int_equal(bootfiles_stage(&bf, src, 2, T.base), -EINVAL);
	assert_non_null(strstr(log_last_error(), "/other: not a regular file"));
	assert_int_equal(support_count_entries(T.base, NULL), 0);
	assert_int_equal(bf.n, 0);
	assert_string_equal(bf.path[0], "");

	/*
	 * The second copy fails: /proc/self/mem is a regular file only its
	 * owner may read (so it is copied), and reading it at offset 0 fails
	 * (EIO). The first copy goes again.
	 */
	src[1] = "/proc/self/mem";
	assert_int_equal(bootfiles_stage(&bf, src, 2, T.base), -EIO);
	assert_non_null(strstr(log_last_error(), "reading"));
	assert_int_equal(support_count_entries(T.base, NULL), 0);
	assert_int_equal(bf.n, 0);

	/* a count out of range */
	assert_int_equal(bootfiles_stage(&bf, src, 0, T.base), -EINVAL);
	assert_int_equal(bootfiles_stage(&bf, src, BOOTFILES_MAX + 1, T.base), -EINVAL);
	log_set_quiet(0);
}

/* The copies of a run that died are removed by the next staging; a live run's are not. */
static void test_bootfiles_dead_runs_swept(void **state)
{
	char dead[PATH_MAX], live[PATH_MAX], other[PATH_MAX], a[PATH_MAX], f[PATH_MAX];
	const char *src[1];
	struct bootfiles bf;
	pid_t pid;
	int status;

	(void)state;
	/* a pid that surely no longer exists: a child that has been reaped */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true((size_t)snprintf(dead, sizeof(dead), "%s/%s%d-abcdef", T.base,
				     BOOTFILES_PREFIX, (int)pid) < sizeof(dead));
	assert_true((size_t)snprintf(live, sizeof(live), "%s/%s%d-abcdef", T.base,
				     BOOTFILES_PREFIX, (int)getppid()) < sizeof(live));
	in_dir(other, T.base, "stealscope-bootX-1-abcdef");   /* not ours by name */
	assert_int_equal(mkdir(dead, 0755), 0);
	assert_int_equal(mkdir(live, 0755), 0);
	assert_int_equal(mkdir(other, 0755), 0);
	in_dir(f, dead, "vmlinuz");
	write_file(f, "left behind", 0644);
	in_dir(f, live, "vmlinuz");
	write_file(f, "in use", 0644);

	in_dir(a, T.closed, "vmlinuz");
	write_file(a, "kernel", 0644);
	src[0] = a;
	assert_int_equal(bootfiles_stage(&bf, src, 1, T.base), 0);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(f, R_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
	/* the new copy, the live run's and the stranger */
	assert_int_equal(support_count_entries(T.base, NULL), 3);
	bootfiles_remove(&bf);
	assert_int_equal(support_count_entries(T.base, NULL), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bootfiles_reachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootfiles_reachable_files_stay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bootfiles_private_files_copied, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bootfiles_big_file_copied_whole, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bootfiles_failures_leave_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bootfiles_dead_runs_swept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
