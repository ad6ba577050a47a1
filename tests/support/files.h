/*
 * support/files: temporary directories and whole-file reads for tests.
 *
 * Test code, linked into every test (unit and integration): a failure
 * inside a helper is a cmocka assertion in the calling test. The helpers
 * only ever create and remove what lives under /tmp.
 */
#ifndef STEALSCOPE_TEST_SUPPORT_FILES_H
#define STEALSCOPE_TEST_SUPPORT_FILES_H

#include <stddef.h>

/*
 * Create a fresh directory /tmp/stealscope-<@tag>-XXXXXX with mkdtemp() and
 * write its name to @buf (@len bytes). Returns 0, or -1 (errno set), the
 * convention of a cmocka setup function.
 */
int support_mkdtemp(char *buf, size_t len, const char *tag);

/* Remove @dir and everything below it, never following symlinks; 0 or -1. */
int support_rmtree(const char *dir);

/*
 * The whole regular file @path as a NUL-terminated string (free() it), or
 * NULL when it cannot be opened. A short read fails the test.
 */
char *support_read_file(const char *path);

/*
 * How many entries of @dir (. and .. left out) have @part in their name
 * (NULL: all of them). A directory that cannot be read fails the test.
 */
int support_count_entries(const char *dir, const char *part);

#endif
