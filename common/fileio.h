/*
 * fileio: the file plumbing the other modules share. Reading: a file, or a
 * /proc file through an fd kept open for repeated samples, read to its end.
 * Writing: an atomic file, written under a temporary name and renamed into
 * place (a reader never sees half a file, an interrupted run leaves the old
 * one).
 *
 * This module must never interpret what it reads, never leave a partial file
 * under a final name, never touch a path it was not given (other than the
 * temporary "<path>.tmp.<pid>" beside it) and never exit.
 */
#ifndef STEALSCOPE_FILEIO_H
#define STEALSCOPE_FILEIO_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- reading ---------------------------------------------------------------- */

/* Read at the fd's current position with read(2): pipes work too. */
#define FILEIO_AT_CURRENT ((off_t)-1)

/*
 * Read @fd into @buf until end of file or until @cap bytes are in. @off is
 * where to start: FILEIO_AT_CURRENT, or an offset for pread(2), which leaves
 * the fd's position alone (a /proc file re-read from 0 through one fd).
 * EINTR is retried. Returns the number of bytes read (== @cap: the file may
 * hold more), or -errno. Logs nothing: the caller knows the file's name.
 */
ssize_t fileio_read_upto(int fd, off_t off, char *buf, size_t cap);

/*
 * A growable read buffer. Start from { 0 } and reuse it: it keeps its
 * capacity between reads, so a sampler that re-reads one file allocates
 * only until the buffer fits the largest text seen.
 */
struct fileio_buf {
	char *data;                    /* NUL-terminated after a read: data[len] == 0 */
	size_t len;                    /* bytes of the last read */
	size_t cap;                    /* bytes allocated */
};

/*
 * Read @fd from @off (as for fileio_read_upto()) to end of file into @b,
 * replacing what it held; @max bytes at most (0: no limit). Returns 0,
 * -EFBIG past @max, -ENOMEM, or -errno of the read. Logs nothing.
 */
int fileio_read_fd(int fd, off_t off, size_t max, struct fileio_buf *b);

/* fileio_load() flags. */
#define FILEIO_REGULAR 1               /* refuse anything but a regular file */

/*
 * Open @path, read it whole into @b (at most @max bytes, 0: no limit), close.
 * Returns 0 or -errno, logged once with the path: "open <path>: <strerror>",
 * "read <path>: <strerror>", "<path>: larger than <max> bytes" (-EFBIG),
 * "<path>: not a regular file" (-EINVAL, with FILEIO_REGULAR).
 */
int fileio_load(const char *path, size_t max, int flags, struct fileio_buf *b);

/* Free @b's memory; @b is { 0 } again. */
void fileio_buf_free(struct fileio_buf *b);

/*
 * Find the executable @name in the colon-separated directory list @dirs
 * (NULL: $PATH, else "/usr/bin:/bin"); empty components are skipped, never
 * taken as the current directory. Its full path goes to @out (@len bytes)
 * when @out is not NULL. Returns 0, -ENOENT when none is there, or
 * -ENAMETOOLONG when @out is too small. Logs nothing (a missing program is
 * the caller's to explain).
 */
int fileio_find_program(const char *dirs, const char *name, char *out, size_t len);

/* ---- atomic files ------------------------------------------------------------ */

/*
 * The directory holding @path, as open(2) takes it: "a/b/x" -> "a/b",
 * "/x" -> "/", "x" -> ".". Into @dir (@len bytes; PATH_MAX suffices for any
 * path that fits in PATH_MAX). Returns 0 or -ENAMETOOLONG. Logs nothing.
 */
int fileio_parent_dir(const char *path, char *dir, size_t len);

/*
 * Remove @path and, when it is a directory, everything below it, never
 * following a symlink (a link is removed, not what it points to). A path
 * that does not exist is not an error. Returns 0, or the first -errno
 * (logged) after trying the rest.
 */
int fileio_remove_tree(const char *path);

/*
 * Make the directory entry of @path durable after a rename or unlink (fsync
 * of its parent directory). Best effort: some filesystems refuse fsync on a
 * directory, and the rename itself has already happened, so nothing is
 * reported.
 */
void fileio_fsync_parent(const char *path);

/* fileio_check_output() kinds. */
#define FILEIO_OUT_FILE 0              /* a file, written atomically beside itself */
#define FILEIO_OUT_DIR 1               /* a directory, created with its parents if need be */

/*
 * Can @path be written, as far as can be told before the work that fills
 * it? Call it up front (before a run measures anything), so that a bad
 * --out costs nothing. For FILEIO_OUT_FILE: @path has a file name part (it
 * does not end in '/'), is not a directory, and its directory exists and
 * may be written. For FILEIO_OUT_DIR: @path is a directory that may be
 * written, or does not exist yet and its nearest existing ancestor is one.
 * Looks only, creates nothing. Returns 0, or -errno logged with the path
 * as given: "cannot write x.csv: Is a directory", "cannot write d/x.csv:
 * directory d: No such file or directory", "cannot write under f: Not a
 * directory".
 */
int fileio_check_output(const char *path, int kind);

/*
 * Atomic file. afile_open_path() checks @path as fileio_check_output() does
 * for a file, creates "<path>.tmp.<pid>" (O_CLOEXEC, mode 0644) and returns a
 * handle whose stream afile_fp() gives; NULL + errno on error, logged with
 * @path (never the temporary's name: the user did not ask for it).
 * afile_open() is the same for "<dir>/<name>".
 *
 * Callers write through the FILE without checking each call: afile_commit()
 * flushes, checks the stream's error flag, fsyncs, closes, renames the
 * temporary to the final name and fsyncs the directory. It returns 0 or
 * -errno (a write error such as -ENOSPC included), logged once with the path
 * and strerror; on error the temporary is removed and the final name is left
 * as it was. afile_abort() discards the temporary (NULL is a no-op). Both
 * free @f.
 */
struct afile;
struct afile *afile_open_path(const char *path);
struct afile *afile_open(const char *dir, const char *name);
FILE *afile_fp(struct afile *f);
int afile_commit(struct afile *f);
void afile_abort(struct afile *f);

/* Write a whole string as <dir>/<name> atomically. Returns as afile_commit(). */
int afile_write_string(const char *dir, const char *name, const char *text);

#endif
