/*
 * specdir: where `stealscope run NAME` and `stealscope list` find the
 * shipped experiment specs. The directories searched, in order:
 *
 *   1. <directory of the stealscope binary>/../experiments  (a build tree:
 *      bin/stealscope finds experiments/ of the same checkout)
 *   2. ./experiments                                          (the cwd)
 *   3. STEALSCOPE_DATADIR/experiments                         (installed:
 *      $(PREFIX)/share/stealscope/experiments)
 *
 * An argument that contains a '/' or ends in ".ini" is a path and is used
 * as it is. This module only looks at the file system; it never exits.
 */
#ifndef STEALSCOPE_SPECDIR_H
#define STEALSCOPE_SPECDIR_H

#include <limits.h>
#include <stddef.h>

#define SPECDIR_MAX 3

/*
 * The candidate directories in search order into @dirs (each PATH_MAX
 * bytes), whether they exist or not. Returns how many (1..SPECDIR_MAX).
 */
int specdir_candidates(char dirs[][PATH_MAX], int max);

/* 1 if @arg names a file (contains '/' or ends in ".ini"), 0 if a spec name. */
int specdir_is_path(const char *arg);

/*
 * The spec file for @arg (a name or a path) into @out. Returns 0, or
 * -ENOENT (logged: "unknown experiment 'NAME' (looked in DIR, DIR, ...;
 * `stealscope list` shows them)" or "experiment file PATH: No such file or
 * directory"), -EISDIR ("experiment file PATH: Is a directory"),
 * -ENAMETOOLONG.
 */
int specdir_find(const char *arg, char *out, size_t len);

/*
 * The first candidate directory that exists, into @out. Returns 0 or
 * -ENOENT (logged, naming every place looked at).
 */
int specdir_first(char *out, size_t len);

#endif
