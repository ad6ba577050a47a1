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
 * Create <base>/<name>/<YYYYmmdd-HHMMSS>[-N]/ (parents as needed; -N added if
 * the second is taken), write INCOMPLETE into it and point <base>/<name>/latest
 * at it. The path goes to @out (PATH_MAX). Returns 0 or -errno (logged).
 */
int resdir_create(const char *base, const char *name, char *out, size_t outlen);

/* Remove INCOMPLETE: the run finished. */
int resdir_finish(const char *dir);

/* 1 if @dir is marked incomplete, 0 if not, -errno. */
int resdir_is_incomplete(const char *dir);

/*
 * Atomic file: afile_open() returns a FILE on "<dir>/<name>.tmp.<pid>";
 * afile_commit() flushes, fsyncs, closes and renames it to <dir>/<name>
 * (removing the temporary on any error); afile_abort() discards it.
 */
struct afile;
struct afile *afile_open(const char *dir, const char *name);
FILE *afile_fp(struct afile *f);
int afile_commit(struct afile *f);
void afile_abort(struct afile *f);

/* Write a whole string as <dir>/<name> atomically. */
int afile_write_string(const char *dir, const char *name, const char *text);

#endif
