/*
 * fileio: reading files to their end and writing files atomically (see
 * fileio.h).
 *
 * There is one read loop (fileio_read_upto) under every reader in common/,
 * and one temporary-name + fsync + rename + directory-fsync sequence
 * (afile_commit) under every file the tools write: the CSV writer, meta.json,
 * summaries, reports. This file must never parse what it reads, never leave a
 * partial file under a final name, and never exit.
 */
#include "common/fileio.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* First allocation of a growable buffer: /proc/stat of a few dozen CPUs. */
#define FILEIO_BUF_INITIAL (16 * 1024)

/* ---- reading ---------------------------------------------------------------- */

ssize_t fileio_read_upto(int fd, off_t off, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap) {
		if (off == FILEIO_AT_CURRENT)
			n = read(fd, buf + got, cap - got);
		else
			n = pread(fd, buf + got, cap - got, off + (off_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno ? -errno : -EIO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Make room for @want bytes in @b (never shrinks). */
static int buf_reserve(struct fileio_buf *b, size_t want)
{
	char *nd;

	if (want <= b->cap)
		return 0;
	nd = realloc(b->data, want);
	if (!nd)
		return -ENOMEM;
	b->data = nd;
	b->cap = want;
	return 0;
}

int fileio_read_fd(int fd, off_t off, size_t max, struct fileio_buf *b)
{
	size_t room, want;
	ssize_t n;
	int rc;

	b->len = 0;
	for (;;) {
		/*
		 * Keep one byte for the NUL, and read one byte past @max if the
		 * file has it: that is how a file too large is told apart from
		 * one of exactly @max bytes.
		 */
		if (b->cap < b->len + 2) {
			if (b->cap > SIZE_MAX / 2)
				return -ENOMEM;
			want = b->cap ? b->cap * 2 : FILEIO_BUF_INITIAL;
			if (max && want > max + 2)
				want = max + 2;
			rc = buf_reserve(b, want);
			if (rc)
				return rc;
		}
		room = b->cap - 1 - b->len;
		n = fileio_read_upto(fd, off == FILEIO_AT_CURRENT ? off : off + (off_t)b->len,
				     b->data + b->len, room);
		if (n < 0)
			return (int)n;
		b->len += (size_t)n;
		if (max && b->len > max)
			return -EFBIG;
		if ((size_t)n < room)
			break;         /* stopped short of a full buffer: end of file */
	}
	b->data[b->len] = '\0';
	return 0;
}

int fileio_load(const char *path, size_t max, int flags, struct fileio_buf *b)
{
	struct stat st;
	int fd, e, rc;

	b->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return log_err(-e, "open %s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		rc = log_err(-e, "stat %s: %s", path, strerror(e));
		goto out;
	}
	if ((flags & FILEIO_REGULAR) && !S_ISREG(st.st_mode)) {
		rc = log_err(-EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		if (max && (uintmax_t)st.st_size > max) {
			rc = log_err(-EFBIG, "%s: larger than %zu bytes", path, max);
			goto out;
		}
		/*
		 * The size is a hint (the file may still change): room for it, the
		 * NUL and the byte that shows the end, so one read usually does.
		 */
		if ((uintmax_t)st.st_size < SIZE_MAX - 2 &&
		    buf_reserve(b, (size_t)st.st_size + 2) < 0) {
			rc = log_err(-ENOMEM, "read %s: %s", path, strerror(ENOMEM));
			goto out;
		}
	}
	rc = fileio_read_fd(fd, FILEIO_AT_CURRENT, max, b);
	if (rc == -EFBIG)
		log_err(rc, "%s: larger than %zu bytes", path, max);
	else if (rc)
		log_err(rc, "read %s: %s", path, strerror(-rc));
out:
	close(fd);
	return rc;
}

void fileio_buf_free(struct fileio_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int fileio_find_program(const char *dirs, const char *name, char *out, size_t len)
{
	const char *p = dirs ? dirs : getenv("PATH");
	char cand[PATH_MAX];
	struct stat st;
	size_t n;
	int w;

	if (!p)
		p = "/usr/bin:/bin";
	for (; *p; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		if (n == 0)
			continue;
		w = snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, name);
		if (w < 0 || (size_t)w >= sizeof(cand))
			continue;
		if (stat(cand, &st) || !S_ISREG(st.st_mode) || access(cand, X_OK))
			continue;
		if (out && (size_t)w >= len)
			return -ENAMETOOLONG;
		if (out)
			memcpy(out, cand, (size_t)w + 1);
		return 0;
	}
	return -ENOENT;
}

/* ---- atomic files ------------------------------------------------------------ */

struct afile {
	FILE *fp;
	char *path;                    /* final name */
	char *tmp;                     /* "<path>.tmp.<pid>" */
};

int fileio_parent_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	/* "x" -> ".", "/x" -> "/", "a/b/x" -> "a/b". */
	n = !slash || slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dir, slash ? path : ".", n);
	dir[n] = '\0';
	return 0;
}

void fileio_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	if (fileio_parent_dir(path, dir, sizeof(dir)))
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Log why the directory @dir cannot take @path (a file or, @under, a tree), if it cannot. */
static int check_dir(const char *path, int under, const char *dir)
{
	const char *how = under ? "cannot write under" : "cannot write";
	struct stat st;
	int e;

	if (stat(dir, &st) < 0) {
		e = errno;
		return log_err(-e, "%s %s: directory %s: %s", how, path, dir, strerror(e));
	}
	if (!S_ISDIR(st.st_mode)) {
		if (!strcmp(dir, path))
			return log_err(-ENOTDIR, "%s %s: %s", how, path, strerror(ENOTDIR));
		return log_err(-ENOTDIR, "%s %s: %s: %s", how, path, dir, strerror(ENOTDIR));
	}
	/*
	 * access() answers as open() will: EROFS on a read-only mount, and for
	 * root (CAP_DAC_OVERRIDE) yes whatever the mode, so /proc passes here and
	 * is caught when the temporary is created (create_failed()).
	 */
	if (access(dir, W_OK | X_OK) < 0) {
		e = errno;
		if (!strcmp(dir, path))
			return log_err(-e, "%s %s: %s", how, path, strerror(e));
		return log_err(-e, "%s %s: directory %s: %s", how, path, dir, strerror(e));
	}
	return 0;
}

/* A file @path: a name part, not a directory, in a writable directory. */
static int check_output_file(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;

	if (path[strlen(path) - 1] == '/')
		return log_err(-EISDIR, "cannot write %s: names a directory, not a file", path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return log_err(-EISDIR, "cannot write %s: %s", path, strerror(EISDIR));
	if (fileio_parent_dir(path, dir, sizeof(dir)))
		return log_err(-ENAMETOOLONG, "cannot write %s: %s", path, strerror(ENAMETOOLONG));
	return check_dir(path, 0, dir);
}

/* A directory @path that mkdir -p may create: its nearest existing ancestor decides. */
static int check_output_dir(const char *path)
{
	char cur[PATH_MAX], up[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);

	if (n >= sizeof(cur))
		return log_err(-ENAMETOOLONG, "cannot write under %s: %s", path,
			       strerror(ENAMETOOLONG));
	memcpy(cur, path, n + 1);
	while (n > 1 && cur[n - 1] == '/')
		cur[--n] = '\0';
	/* Up from @path until something exists; "." and "/" are their own parents. */
	while (stat(cur, &st) < 0) {
		if (fileio_parent_dir(cur, up, sizeof(up)) || !strcmp(up, cur))
			break;
		strcpy(cur, up);
	}
	return check_dir(path, 1, cur);
}

int fileio_check_output(const char *path, int kind)
{
	if (!path || !*path)
		return log_err(-EINVAL, "cannot write '': empty %s name",
			       kind == FILEIO_OUT_DIR ? "directory" : "file");
	if (kind == FILEIO_OUT_DIR)
		return check_output_dir(path);
	return check_output_file(path);
}

/*
 * Creating the temporary beside @path failed with @e after
 * check_output_file() passed. ENOENT in a directory that exists is a file
 * system that takes no new names (/proc, /sys): say that, not "No such file".
 */
static int create_failed(const char *path, int e)
{
	char dir[PATH_MAX];
	struct stat st;

	if (e == ENOENT && !fileio_parent_dir(path, dir, sizeof(dir)) && stat(dir, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return log_err(-e, "cannot write %s: no file can be created in %s", path, dir);
	return log_err(-e, "cannot write %s: %s", path, strerror(e));
}

static void afile_free(struct afile *f)
{
	free(f->path);
	free(f->tmp);
	free(f);
}

struct afile *afile_open_path(const char *path)
{
	struct afile *f;
	int fd, e;

	if (!path || !*path) {
		errno = -log_err(-EINVAL, "afile_open: need a file name");
		return NULL;
	}
	e = -fileio_check_output(path, FILEIO_OUT_FILE);
	if (e) {
		errno = e;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	f->path = strdup(path);
	if (!f->path)
		goto nomem_f;
	if (asprintf(&f->tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		f->tmp = NULL;
		goto nomem_f;
	}
	fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		create_failed(path, e);
		goto fail_f;
	}
	f->fp = fdopen(fd, "w");
	if (!f->fp) {
		e = errno;
		log_err(-e, "cannot write %s: %s", path, strerror(e));
		close(fd);
		(void)unlink(f->tmp);
		goto fail_f;
	}
	return f;

nomem_f:
	afile_free(f);
nomem:
	errno = -log_err(-ENOMEM, "afile_open %s: out of memory", path);
	return NULL;
fail_f:
	afile_free(f);
	errno = e;
	return NULL;
}

struct afile *afile_open(const char *dir, const char *name)
{
	struct afile *f;
	char *path;
	int e;

	if (!dir || !*dir || !name || !*name) {
		errno = -log_err(-EINVAL, "afile_open: need a directory and a file name");
		return NULL;
	}
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		errno = -log_err(-ENOMEM, "afile_open %s/%s: out of memory", dir, name);
		return NULL;
	}
	f = afile_open_path(path);
	e = errno;
	free(path);
	errno = e;
	return f;
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
		err = log_err(-e, "fsync %s: %s", f->path, strerror(e));
	}
	/* fclose() after a failed write may fail again; only the first error counts. */
	if (fclose(f->fp) == EOF && !err) {
		e = errno;
		err = log_err(-e, "close %s: %s", f->path, strerror(e));
	}
	if (!err && rename(f->tmp, f->path) < 0) {
		e = errno;
		err = log_err(-e, "rename to %s: %s", f->path, strerror(e));
	}
	if (err)
		(void)unlink(f->tmp);
	else
		fileio_fsync_parent(f->path);
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

/* The first error of fileio_remove_tree()'s walk (nftw passes no user pointer). */
static __thread int remove_tree_rc;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT &&
	    !remove_tree_rc)
		remove_tree_rc = log_err(-errno, "removing %s: %s", path, strerror(errno));
	return 0;
}

int fileio_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		return log_err(-errno, "%s: %s", path, strerror(errno));
	}
	remove_tree_rc = 0;
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) && !remove_tree_rc)
		remove_tree_rc = log_err(-errno, "walking %s: %s", path, strerror(errno));
	return remove_tree_rc;
}
