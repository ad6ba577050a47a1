/*
 * fuzz_serialog: serialog_feed() on arbitrary bytes as a guest's serial
 * log, for the boot ID 0123456789abcdef (seeds use it).
 *
 * The input is read twice: whole, and in pieces whose sizes come from the
 * input itself (an incremental reader must not care where the reads of a
 * growing file happen to end); both readings must agree on everything.
 * Then what serialog.h promises: one line per '\n', a protocol error flag
 * exactly when an error was counted, an accepted file holding exactly the
 * lines it said it had, each ended by '\n', no file left open after
 * serialog_end(), and `go` values that are non-negative.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "experiments/serialog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ID "0123456789abcdef"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

static void read_whole(const uint8_t *data, size_t size, struct serialog *s)
{
	int rc;

	FUZZ_CHECK(serialog_init(s, "fuzz", ID) == 0);
	rc = serialog_feed(s, (const char *)data, size);
	FUZZ_CHECKF(rc >= 0 || rc == -ENOMEM, "serialog_feed: %d", rc);
	serialog_end(s);
}

/* Pieces of 1..64 bytes, sizes taken from the bytes themselves. */
static void read_pieces(const uint8_t *data, size_t size, struct serialog *s)
{
	size_t i = 0, n;
	unsigned all = 0;
	int rc;

	FUZZ_CHECK(serialog_init(s, "fuzz", ID) == 0);
	while (i < size) {
		n = 1 + (data[i] * 31u + (unsigned)i) % 64;
		if (n > size - i)
			n = size - i;
		rc = serialog_feed(s, (const char *)data + i, n);
		FUZZ_CHECKF(rc >= 0 || rc == -ENOMEM, "serialog_feed: %d", rc);
		if (rc > 0) {
			/* an event is reported once it is seen */
			FUZZ_CHECKF(((unsigned)rc & s->seen) == (unsigned)rc, "events %#x, seen %#x",
				    rc, s->seen);
			all |= (unsigned)rc;
		}
		i += n;
	}
	serialog_end(s);
	FUZZ_CHECKF((all & ~s->seen) == 0, "events %#x not in seen %#x", all, s->seen);
}

static void check_same(const struct serialog *a, const struct serialog *b)
{
	int i;

	FUZZ_CHECKF(a->lineno == b->lineno, "lines %lld vs %lld", (long long)a->lineno,
		    (long long)b->lineno);
	FUZZ_CHECKF(a->seen == b->seen, "seen %#x vs %#x", a->seen, b->seen);
	FUZZ_CHECK(a->errors == b->errors && a->foreign == b->foreign);
	FUZZ_CHECK(a->t0_guest_ns == b->t0_guest_ns && a->margin_ns == b->margin_ns);
	FUZZ_CHECK(a->exit_status == b->exit_status && a->go_line == b->go_line);
	FUZZ_CHECK(!strcmp(a->tools_version, b->tools_version));
	FUZZ_CHECK(!strcmp(a->kernel_release, b->kernel_release));
	FUZZ_CHECK(!strcmp(a->guest_error, b->guest_error));
	FUZZ_CHECK(a->nnotes == b->nnotes && a->nfiles == b->nfiles);
	for (i = 0; i < a->nnotes; i++)
		FUZZ_CHECK(!strcmp(a->notes[i], b->notes[i]));
	for (i = 0; i < a->nfiles; i++) {
		const struct serialog_file *x = &a->files[i], *y = &b->files[i];

		FUZZ_CHECK(!strcmp(x->name, y->name));
		FUZZ_CHECK(x->ok == y->ok && x->rejected == y->rejected);
		FUZZ_CHECK(x->lines == y->lines && x->len == y->len);
		FUZZ_CHECK(x->first_line == y->first_line && x->last_line == y->last_line);
		FUZZ_CHECK(!x->text == !y->text);
		if (x->text)
			FUZZ_CHECK(!memcmp(x->text, y->text, x->len));
	}
}

static void check_promises(const struct serialog *s, const uint8_t *data, size_t size)
{
	size_t newlines = 0, i, nl;
	int f;

	for (i = 0; i < size; i++)
		newlines += data[i] == '\n';
	FUZZ_CHECKF((size_t)s->lineno == newlines, "%lld lines for %zu newlines",
		    (long long)s->lineno, newlines);
	FUZZ_CHECKF(!(s->seen & SERIALOG_EV_PROTO) == (s->errors == 0),
		    "seen %#x with %lld errors", s->seen, (long long)s->errors);
	FUZZ_CHECK(s->open == -1);
	FUZZ_CHECK(s->nfiles >= 0 && s->nfiles <= SERIALOG_MAX_FILES);
	FUZZ_CHECK(s->nnotes >= 0 && s->nnotes <= SERIALOG_MAX_NOTES);
	if (s->seen & SERIALOG_EV_GO)
		FUZZ_CHECK(s->t0_guest_ns >= 0 && s->margin_ns >= 0 && s->go_line >= 1);
	for (f = 0; f < s->nfiles; f++) {
		const struct serialog_file *x = &s->files[f];

		FUZZ_CHECKF(x->ok != x->rejected, "%s: ok %d, rejected %d", x->name, x->ok,
			    x->rejected);
		FUZZ_CHECK(x->last_line > x->first_line);
		FUZZ_CHECK(x->lines == x->last_line - x->first_line - 1);
		if (!x->ok) {
			FUZZ_CHECK(x->text == NULL && x->len == 0);
			continue;
		}
		FUZZ_CHECK(serialog_file(s, x->name) == x);
		FUZZ_CHECK(x->len == 0 || x->text[x->len - 1] == '\n');
		FUZZ_CHECK(x->len == 0 || x->text[x->len] == '\0');
		for (i = 0, nl = 0; i < x->len; i++)
			nl += x->text[i] == '\n';
		FUZZ_CHECKF((int64_t)nl == x->lines, "%s: %zu newlines for %lld lines", x->name, nl,
			    (long long)x->lines);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serialog a, b;

	read_whole(data, size, &a);
	read_pieces(data, size, &b);
	check_same(&a, &b);
	check_promises(&a, data, size);
	serialog_free(&a);
	serialog_free(&b);
	return 0;
}
