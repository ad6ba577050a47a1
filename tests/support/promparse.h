/*
 * support/promparse: a strict reader of the Prometheus text exposition
 * format (0.0.4) for tests, and a runner of `promtool check metrics`.
 *
 * Test code: promparse() returns what it found (or why the text is
 * refused) for the test to assert on, and never asserts itself, so a test
 * can also check that bad text is refused; the *_ok() helpers fail the
 * calling test (cmocka) instead. It is written from the format's description,
 * independently of common/promexp.c, so that a bug there is not mirrored
 * here. Stricter than Prometheus where a writer of ours has no reason to
 * differ (marked "strict" below):
 *
 * - valid UTF-8 throughout; every line ends in '\n' (no '\r', no NUL);
 *   empty lines are ignored, as the format says;
 * - "# HELP name text" (escapes \\ and \n only) and "# TYPE name type"
 *   (counter, gauge, histogram, summary, untyped), each at most once per
 *   family and before its first sample; other '#' lines are comments;
 * - strict: every family has both HELP and TYPE before its samples;
 * - a family's lines are contiguous: a family (HELP, TYPE or samples) that
 *   comes back after another one began is refused;
 * - samples: name[{label="value",...}] value [timestamp]; metric names
 *   [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* not
 *   starting with "__", none twice in a sample, label values with the
 *   escapes \\, \" and \n only; a trailing comma inside the braces is
 *   allowed (the format allows it); strict: single spaces between the
 *   parts, no blanks inside the braces or at the end of the line;
 * - values: decimal floats ([+-]digits[.digits][e[+-]digits]), strict: NaN,
 *   +Inf, -Inf spelled exactly so; timestamps: a decimal int64;
 * - a sample of a counter, gauge or untyped family carries the family's
 *   name (histograms and summaries: also _bucket, _sum, _count);
 * - the same series (name and label set, in any order) twice is refused;
 * - the conventions: a counter's name ends in "_total" and its values are
 *   not negative (NaN allowed).
 */
#ifndef STEALSCOPE_TEST_SUPPORT_PROMPARSE_H
#define STEALSCOPE_TEST_SUPPORT_PROMPARSE_H

#include <stddef.h>
#include <stdint.h>

#define PROMPARSE_MAX_LABELS 16

enum promparse_type {
	PROMPARSE_UNTYPED,
	PROMPARSE_COUNTER,
	PROMPARSE_GAUGE,
	PROMPARSE_HISTOGRAM,
	PROMPARSE_SUMMARY,
};

struct promparse_label {
	char *name;
	char *value;                    /* unescaped */
};

struct promparse_sample {
	char *name;
	size_t nlabels;
	struct promparse_label label[PROMPARSE_MAX_LABELS];
	double value;
	int has_timestamp;
	int64_t timestamp_ms;
	size_t line;                    /* 1-based line number in the text */
};

struct promparse_family {
	char *name;
	char *help;                     /* unescaped */
	enum promparse_type type;
	size_t nsamples;
	struct promparse_sample *samples;
};

struct promparse_doc {
	size_t nfamilies;
	struct promparse_family *families; /* in the order of the text */
	size_t ncomments;               /* '#' lines other than HELP and TYPE */
	char err[512];                  /* "line N: why", when promparse() failed */
};

/*
 * Read the exposition @text (@len bytes) into @doc. Returns 0, or -1 with
 * the reason in doc->err; either way promparse_free() releases @doc.
 */
int promparse(const char *text, size_t len, struct promparse_doc *doc);

void promparse_free(struct promparse_doc *doc);

/* The family @name, or NULL. */
const struct promparse_family *promparse_family(const struct promparse_doc *doc,
						const char *name);

/*
 * The sample named @name whose label set is exactly the label name/value
 * pairs that follow, ended by NULL: promparse_find(doc, "x_total", "cpu",
 * "0", "mode", "user", NULL). NULL when there is none.
 */
const struct promparse_sample *promparse_find(const struct promparse_doc *doc,
					      const char *name, ...);

/* The value of label @name of @s, or NULL. */
const char *promparse_label(const struct promparse_sample *s, const char *name);

/*
 * Split @text in place into the expositions a sampler writes to stdout one
 * after another, each but the last followed by an empty line (an
 * exposition holds none): up to @max pointers into @text go to @parts, each
 * a whole exposition ending in '\n'. Returns how many were stored.
 */
size_t promparse_split(char *text, char **parts, size_t max);

/*
 * Run `promtool check metrics` (Debian's prometheus package) with @text on
 * its stdin. Returns its exit status (0: no problem; its stdout and stderr
 * are in @msg, @len bytes, NUL-terminated), or -1 when promtool is not
 * installed.
 */
int promparse_promtool(const char *text, char *msg, size_t len);

/* promparse() that fails the calling test, with the reason and the text. */
void promparse_ok(const char *text, struct promparse_doc *doc);

/*
 * Fail the calling test when `promtool check metrics` finds a problem in
 * @text. Where promtool is not installed, say so (print_message) and
 * return 0: the caller's strict parse is then the only check. Else 1.
 */
int promparse_promtool_ok(const char *text);

#endif
