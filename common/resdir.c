/*
 * resdir: the per-run results directory (see resdir.h).
 *
 * Files inside it are written with afile (fileio.c): each reaches its final
 * name by rename(2) of a fully written, fsynced temporary in the same
 * directory, so a reader (or an interrupted run) sees either the old file or
 * the complete new one. The "latest" symlink is replaced the same way. This
 * file must never leave a partial file under a final name, never follow or
 * delete anything outside the directories it was given, and never exit.
 */
#include "common/resdir.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RESDIR_MAX_SUFFIX 1000

/* mkdir -p: create @path and its missing parents (mode 0755). */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t len = strlen(path);
	char *p, saved;
	int e;

	if (len == 0 || len >= sizeof(buf))
		return log_err(-ENAMETOOLONG, "mkdir %s: %s", path, strerror(ENAMETOOLONG));
	memcpy(buf, path, len + 1);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			e = errno;
			return log_err(-e, "mkdir %s: %s", buf, strerror(e));
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (stat(path, &st) < 0) {
		e = errno;
		return log_err(-e, "stat %s: %s", path, strerror(e));
	}
	if (!S_ISDIR(st.st_mode))
		return log_err(-ENOTDIR, "%s: %s", path, strerror(ENOTDIR));
	return 0;
}

static int check_name(const char *what, const char *name)
{
	if (!name || !*name || name[0] == '.' || strchr(name, '/'))
		return log_err(-EINVAL, "%s \"%s\": must be non-empty, without '/', "
			       "and not start with '.'", what, name ? name : "");
	return 0;
}

/* Point <parent>/latest at @target (relative): symlink to a temp name, rename. */
static int replace_latest(const char *parent, const char *target)
{
	char link[PATH_MAX], tmp[PATH_MAX];
	int e;

	if (snprintf(link, sizeof(link), "%s/latest", parent) >= (int)sizeof(link) ||
	    snprintf(tmp, sizeof(tmp), "%s/latest.tmp.%ld", parent, (long)getpid()) >=
		    (int)sizeof(tmp))
		return log_err(-ENAMETOOLONG, "%s/latest: %s", parent, strerror(ENAMETOOLONG));
	/* A stale temp link can only be ours (same pid) from an earlier failure. */
	(void)unlink(tmp);
	if (symlink(target, tmp) < 0) {
		e = errno;
		return log_err(-e, "symlink %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, link) < 0) {
		e = errno;
		(void)unlink(tmp);
		return log_err(-e, "rename %s to %s: %s", tmp, link, strerror(e));
	}
	fileio_fsync_parent(link);
	return 0;
}

int resdir_create(const char *base, const char *name, char *out, size_t outlen)
{
	char parent[PATH_MAX], dir[PATH_MAX], stamp[32], leaf[48];
	struct tm tm;
	time_t now;
	int i, e, err;

	err = check_name("results name", name);
	if (err)
		return err;
	if (!base || !*base)
		return log_err(-EINVAL, "results base directory is empty");
	if (snprintf(parent, sizeof(parent), "%s/%s", base, name) >= (int)sizeof(parent))
		return log_err(-ENAMETOOLONG, "%s/%s: %s", base, name, strerror(ENAMETOOLONG));
	err = mkdir_p(parent);
	if (err)
		return err;

	now = time(NULL);
	if (!gmtime_r(&now, &tm))
		return log_err(-EOVERFLOW, "gmtime: %s", strerror(EOVERFLOW));
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);

	for (i = 1; i <= RESDIR_MAX_SUFFIX; i++) {
		if (i == 1)
			snprintf(leaf, sizeof(leaf), "%s", stamp);
		else
			snprintf(leaf, sizeof(leaf), "%s-%d", stamp, i);
		if (snprintf(dir, sizeof(dir), "%s/%s", parent, leaf) >= (int)sizeof(dir))
			return log_err(-ENAMETOOLONG, "%s/%s: %s", parent, leaf,
				       strerror(ENAMETOOLONG));
		if (mkdir(dir, 0755) == 0)
			break;
		if (errno != EEXIST) {
			e = errno;
			return log_err(-e, "mkdir %s: %s", dir, strerror(e));
		}
	}
	if (i > RESDIR_MAX_SUFFIX)
		return log_err(-EEXIST, "%s/%s: %d runs already in this second", parent, stamp,
			       RESDIR_MAX_SUFFIX);
	if (strlen(dir) >= outlen) {
		err = log_err(-ENAMETOOLONG, "%s: longer than the caller's buffer (%zu)", dir,
			      outlen);
		goto fail_rmdir;
	}

	err = afile_write_string(dir, RESDIR_INCOMPLETE,
				 "This run has not finished (still running, or interrupted): "
				 "its results may be incomplete.\n");
	if (err)
		goto fail_rmdir;
	err = replace_latest(parent, leaf);
	if (err)
		goto fail_marker;
	strcpy(out, dir);
	return 0;

fail_marker:
	{
		char marker[PATH_MAX + sizeof(RESDIR_INCOMPLETE) + 1];

		snprintf(marker, sizeof(marker), "%s/%s", dir, RESDIR_INCOMPLETE);
		(void)unlink(marker);
	}
fail_rmdir:
	(void)rmdir(dir);
	return err;
}

int resdir_finish(const char *dir)
{
	char marker[PATH_MAX];
	struct stat st;
	int e;

	if (snprintf(marker, sizeof(marker), "%s/%s", dir, RESDIR_INCOMPLETE) >= (int)sizeof(marker))
		return log_err(-ENAMETOOLONG, "%s: %s", dir, strerror(ENAMETOOLONG));
	if (unlink(marker) == 0) {
		fileio_fsync_parent(marker);
		return 0;
	}
	e = errno;
	/* Finishing twice is harmless; finishing a directory that is not there is not. */
	if (e == ENOENT && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return log_err(-e, "remove %s: %s", marker, strerror(e));
}

int resdir_is_incomplete(const char *dir)
{
	char marker[PATH_MAX];
	struct stat st;
	int e;

	if (snprintf(marker, sizeof(marker), "%s/%s", dir, RESDIR_INCOMPLETE) >= (int)sizeof(marker))
		return log_err(-ENAMETOOLONG, "%s: %s", dir, strerror(ENAMETOOLONG));
	if (lstat(marker, &st) == 0)
		return 1;
	if (errno != ENOENT) {
		e = errno;
		return log_err(-e, "stat %s: %s", marker, strerror(e));
	}
	if (stat(dir, &st) < 0) {
		e = errno;
		return log_err(-e, "stat %s: %s", dir, strerror(e));
	}
	if (!S_ISDIR(st.st_mode))
		return log_err(-ENOTDIR, "%s: %s", dir, strerror(ENOTDIR));
	return 0;
}
