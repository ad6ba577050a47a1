/*
 * fuzzcheck: see fuzzcheck.h. Shared setup and checks of the fuzz targets.
 * It aborts on a broken invariant (that is how libFuzzer learns of a
 * finding) and never writes stdout.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_init(void)
{
	log_init("fuzz");
	log_set_quiet(1);
}

char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s) {
		fprintf(stderr, "fuzz: out of memory copying %zu bytes\n", size);
		abort();
	}
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: invariant broken at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz: last logged error: '%s'\n", log_last_error());
	abort();
}

void fuzz_clear_last_error(void)
{
	/* log.c keeps the last message; logging an empty one (quietly) clears it. */
	log_err(0, "%s", "");
}

void fuzz_check_error(const char *file, int line, int rc, int ok1, int ok2, int ok3)
{
	if (rc != ok1 && rc != ok2 && rc != ok3)
		fuzz_fail(file, line, "error code %d is not one of %d, %d, %d", rc, ok1, ok2,
			  ok3);
	if (!*log_last_error())
		fuzz_fail(file, line, "error %d was returned without a logged message", rc);
}
