/*
 * resdir: the per-run results directory and atomic files inside it (see
 * resdir.h).
 *
 * Every file reaches its final name by rename(2) of a fully written, fsynced
 * temporary in the same directory, so a reader (or an interrupted run) sees
 * either the old file or the complete new one. The "latest" symlink is
 * replaced the same way. This file must never leave a partial file under a
 * final name, never follow or delete anything outside the directories it was
 * given, and never exit.
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

struct afile {
	FILE *fp;
	char *path;                    /* final name */
	char *tmp;                     /* "<path>.tmp.<pid>" */
};

/*
 * Make the directory entry of @path durable after a rename or unlink. Some
 * filesystems refuse fsync on directories (EINVAL); the rename itself has
 * already happened, so this is best effort and not reported.
 */
static void fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (!slash) {
		strcpy(dir, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

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
	fsync_parent(link);
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
		fsync_parent(marker);
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

/* ---- atomic files ---------------------------------------------------------- */

static void afile_free(struct afile *f)
{
	free(f->path);
	free(f->tmp);
	free(f);
}

struct afile *afile_open(const char *dir, const char *name)
{
	struct afile *f;
	int fd, e;

	if (!dir || !*dir || !name || !*name) {
		errno = -log_err(-EINVAL, "afile_open: need a directory and a file name");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	if (asprintf(&f->path, "%s/%s", dir, name) < 0) {
		f->path = NULL;
		goto nomem_f;
	}
	if (asprintf(&f->tmp, "%s.tmp.%ld", f->path, (long)getpid()) < 0) {
		f->tmp = NULL;
		goto nomem_f;
	}
	fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		log_err(-e, "open %s: %s", f->tmp, strerror(e));
		goto fail_f;
	}
	f->fp = fdopen(fd, "w");
	if (!f->fp) {
		e = errno;
		log_err(-e, "fdopen %s: %s", f->tmp, strerror(e));
		close(fd);
		(void)unlink(f->tmp);
		goto fail_f;
	}
	return f;

nomem_f:
	afile_free(f);
nomem:
	errno = -log_err(-ENOMEM, "afile_open %s/%s: out of memory", dir, name);
	return NULL;
fail_f:
	afile_free(f);
	errno = e;
	return NULL;
}

FILE *afile_fp(struct afile *f)
{
	return f->fp;
}

int afile_commit(struct afile *f)
{
	int err = 0, e;

	/*
	 * Callers write through stdio and do not check each call: a write
	 * that failed earlier shows up here, as fflush() failing again or as
	 * the stream's error flag.
	 */
	errno = 0;
	if (fflush(f->fp) == EOF) {
		e = errno ? errno : EIO;
		err = log_err(-e, "write %s: %s", f->path, strerror(e));
	} else if (ferror(f->fp)) {
		err = log_err(-EIO, "write %s: %s", f->path, strerror(EIO));
	}
	if (!err && fsync(fileno(f->fp)) < 0) {
		e = errno;
		err = log_err(-e, "fsync %s: %s", f->tmp, strerror(e));
	}
	if (fclose(f->fp) == EOF && !err) {
		e = errno;
		err = log_err(-e, "close %s: %s", f->tmp, strerror(e));
	}
	if (!err && rename(f->tmp, f->path) < 0) {
		e = errno;
		err = log_err(-e, "rename %s to %s: %s", f->tmp, f->path, strerror(e));
	}
	if (err)
		(void)unlink(f->tmp);
	else
		fsync_parent(f->path);
	afile_free(f);
	return err;
}

void afile_abort(struct afile *f)
{
	if (!f)
		return;
	fclose(f->fp);
	(void)unlink(f->tmp);
	afile_free(f);
}

int afile_write_string(const char *dir, const char *name, const char *text)
{
	struct afile *f = afile_open(dir, name);

	if (!f)
		return -errno;
	/* An error here sets the stream's error flag; afile_commit() reports it. */
	fputs(text, f->fp);
	return afile_commit(f);
}
