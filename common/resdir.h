/*
 * resdir: one results directory per run, results/<name>/<timestamp>/, and
 * atomic files inside it (temporary name + rename). A run is marked
 * incomplete by a file INCOMPLETE that resdir_finish() removes; an
 * interrupted run keeps it and everything already written stays readable.
 */
#ifndef STEALSCOPE_RESDIR_H
#define STEALSCOPE_RESDIR_H

#include <stddef.h>
#include <stdio.h>

#define RESDIR_INCOMPLETE "INCOMPLETE"

/*
 * Create <base>/<name>/<YYYYmmdd-HHMMSS>[-N]/ (parents as needed; -N counts
 * from 2 if the second is taken), write INCOMPLETE into it and point
 * <base>/<name>/latest at it (a relative symlink, replaced atomically). The
 * timestamp is UTC, so runs sort the same whatever the host's time zone.
 * @name must be non-empty, contain no '/' and not start with '.' (else
 * -EINVAL). The path "<base>/<name>/<stamp>" goes to @out (@outlen bytes;
 * PATH_MAX always suffices). Returns 0 or -errno (logged); on error nothing
 * is left behind except the parent directories.
 */
int resdir_create(const char *base, const char *name, char *out, size_t outlen);

/* Remove INCOMPLETE: the run finished. Finishing twice returns 0. */
int resdir_finish(const char *dir);

/* 1 if @dir is marked incomplete, 0 if not, -errno. */
int resdir_is_incomplete(const char *dir);

/*
 * Atomic file: afile_open() returns a FILE on "<dir>/<name>.tmp.<pid>"
 * (NULL + errno, logged, on error); afile_commit() flushes, fsyncs, closes
 * and renames it to <dir>/<name>, and returns 0 or -errno (logged with the
 * path and strerror). Any write error on the FILE, e.g. -ENOSPC, is reported
 * by afile_commit(), which then removes the temporary; afile_abort()
 * discards it. Both free @f.
 */
struct afile;
struct afile *afile_open(const char *dir, const char *name);
FILE *afile_fp(struct afile *f);
int afile_commit(struct afile *f);
void afile_abort(struct afile *f);

/* Write a whole string as <dir>/<name> atomically. */
int afile_write_string(const char *dir, const char *name, const char *text);

#endif
