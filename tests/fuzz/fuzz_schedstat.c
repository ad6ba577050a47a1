/*
 * fuzz_schedstat: schedstat_parse() on arbitrary bytes, against a reference.
 *
 * The reference is written here from schedstat.h's words alone: drop one
 * trailing newline, split on spaces and tabs, accept exactly three tokens of
 * decimal digits each at most UINT64_MAX. The parser must accept exactly
 * what the reference accepts and produce the same three numbers; a sample
 * derived against itself gives zero deltas and 0%, against a zero sample
 * its own values, and a zero sample derived against it (counters going
 * backwards) zero deltas. On failure: -EINVAL and a message. The input is
 * passed as it is (not NUL-terminated), so ASan sees any read past it.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "common/schedstat.h"

#include <errno.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The token [p, end) as a u64: 0, or -1 when not digits or above UINT64_MAX. */
static int ref_token(const char *p, const char *end, uint64_t *out)
{
	static const char max[] = "18446744073709551615";
	uint64_t v = 0;
	const char *q;

	for (q = p; q < end; q++)
		if (*q < '0' || *q > '9')
			return -1;
	while (p < end - 1 && *p == '0')
		p++;                   /* leading zeros do not count toward the length */
	if ((size_t)(end - p) > sizeof(max) - 1 ||
	    ((size_t)(end - p) == sizeof(max) - 1 && memcmp(p, max, sizeof(max) - 1) > 0))
		return -1;
	for (; p < end; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	*out = v;
	return 0;
}

/* The reference parse: 0 and @v filled, or -1. */
static int ref_parse(const char *buf, size_t len, uint64_t v[3])
{
	const char *p = buf, *end = buf + len;
	int n = 0;

	if (len > 0 && end[-1] == '\n')
		end--;
	for (;;) {
		const char *tok;

		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && !is_blank(*p))
			p++;
		if (n == 3 || ref_token(tok, p, &v[n]))
			return -1;
		n++;
	}
	return n == 3 ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct schedstat st, zero = { 0, 0, 0 };
	struct schedpct pct;
	uint64_t ref[3] = { 0, 0, 0 };
	int rc, want;

	fuzz_clear_last_error();
	rc = schedstat_parse(buf, size, &st);
	want = ref_parse(buf, size, ref);
	if (rc) {
		FUZZ_CHECK_ERROR(rc, -EINVAL, -EINVAL, -EINVAL);
		FUZZ_CHECKF(want != 0, "rejected a line the reference accepts (%llu %llu %llu)",
			    (unsigned long long)ref[0], (unsigned long long)ref[1],
			    (unsigned long long)ref[2]);
		return 0;
	}
	FUZZ_CHECKF(want == 0, "accepted a line the reference rejects");
	FUZZ_CHECKF(st.run_ns == ref[0] && st.delay_ns == ref[1] && st.slices == ref[2],
		    "parsed %llu %llu %llu, reference %llu %llu %llu",
		    (unsigned long long)st.run_ns, (unsigned long long)st.delay_ns,
		    (unsigned long long)st.slices, (unsigned long long)ref[0],
		    (unsigned long long)ref[1], (unsigned long long)ref[2]);

	schedstat_derive(&st, &st, 1000000000, &pct);
	FUZZ_CHECK(pct.run_ns == 0 && pct.delay_ns == 0);
	FUZZ_CHECK(pct.run_pct == 0 && pct.delay_pct == 0);
	schedstat_derive(&zero, &st, 1000000000, &pct);
	FUZZ_CHECK(pct.run_ns == st.run_ns && pct.delay_ns == st.delay_ns);
	FUZZ_CHECK(pct.run_pct >= 0 && pct.delay_pct >= 0);
	schedstat_derive(&st, &zero, 1000000000, &pct);
	FUZZ_CHECK(pct.run_ns == 0 && pct.delay_ns == 0);
	schedstat_derive(&zero, &st, 0, &pct);
	FUZZ_CHECK(pct.run_pct == 0 && pct.delay_pct == 0);
	return 0;
}
