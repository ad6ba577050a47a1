/*
 * fuzzcheck: what every libFuzzer target of tests/fuzz/ shares: the entry
 * points libFuzzer calls, one-time setup, a NUL-terminated copy of the
 * input, and the invariant check that turns a broken promise of a parser
 * into a finding (abort, which libFuzzer reports with the input that did it).
 *
 * A target checks what the parser's header promises, not only that it did
 * not crash. This module is test code: it may abort, and it never writes
 * stdout.
 */
#ifndef STEALSCOPE_FUZZCHECK_H
#define STEALSCOPE_FUZZCHECK_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points, declared for -Wmissing-prototypes. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Once per process, from LLVMFuzzerInitialize(): silence the project's log
 * (every rejected input logs an error; the last one is still kept for
 * log_last_error()).
 */
void fuzz_init(void);

/*
 * A malloc'd copy of @data with a NUL appended (the parser then sees the
 * text up to the first NUL byte). Aborts when out of memory; free() it.
 */
char *fuzz_strdup(const uint8_t *data, size_t size);

/* Print "fuzz: invariant broken at FILE:LINE: what" to stderr and abort. */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* Check an invariant: on failure, report @cond's text and abort. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, "%s", #cond); \
	} while (0)

/* The same with a printf-style explanation. */
#define FUZZ_CHECKF(cond, ...) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/*
 * Check the error contract of a failing call: @rc is one of the negative
 * codes the parser may return (@ok1..@ok3; repeat one to allow fewer), and a
 * message was logged since the last fuzz_clear_last_error().
 */
void fuzz_check_error(const char *file, int line, int rc, int ok1, int ok2, int ok3);
#define FUZZ_CHECK_ERROR(rc, ok1, ok2, ok3) \
	fuzz_check_error(__FILE__, __LINE__, (rc), (ok1), (ok2), (ok3))

/* Clear the kept last error, so the next failure must log a new one. */
void fuzz_clear_last_error(void);

#endif
