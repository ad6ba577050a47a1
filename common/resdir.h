/*
 * resdir: one results directory per run, results/<name>/<timestamp>/. A
 * run is marked incomplete by a file INCOMPLETE that resdir_finish()
 * removes; an interrupted run keeps it and everything already written stays
 * readable. Files inside are written atomically with afile (common/fileio.h,
 * included here for the callers that write them). This module must never
 * delete anything it did not create, and never exit.
 */
#ifndef STEALSCOPE_RESDIR_H
#define STEALSCOPE_RESDIR_H

#include <stddef.h>

#include "common/fileio.h"

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

#endif
