/*
 * fuzz_procstat: procstat_parse() on arbitrary bytes.
 *
 * On success the sample must keep procstat.h's promises: one aggregate
 * line, 0..PROCSTAT_MAX_CPUS CPUs with unique numbers below the maximum,
 * 4..10 fields each with the absent ones zero, exactly as many CPUs as the
 * text has "cpuN" lines, and procstat_find_cpu() finding each of them (and
 * nothing else) whatever their order. Deriving a sample against itself gives
 * a zero-tick interval; deriving two different lines gives percentages in
 * [0, 100] that sum to 100. On failure: -EINVAL with a message. The input
 * is passed as it is (not NUL-terminated), so ASan sees any read past it.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "common/procstat.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Counters at or above this may overflow the sum of a derivation; see check_pair(). */
#define FUZZ_TICKS_LIMIT (UINT64_C(1) << 60)

/* Slack for the rounding of percentages (in percentage points). */
#define FUZZ_EPS 1e-9

/* ~90 KiB: kept off the stack. */
static struct procstat_sample sample;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

/* "cpuN" lines in the text, counted independently of the parser. */
static int count_cpu_lines(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	int n = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (eol - p >= 4 && !memcmp(p, "cpu", 3) && p[3] >= '0' && p[3] <= '9')
			n++;
		p = eol < end ? eol + 1 : end;
	}
	return n;
}

static void check_cpu(const struct procstat_cpu *c)
{
	int i;

	FUZZ_CHECKF(c->nfields >= 4 && c->nfields <= PS_NFIELDS, "cpu %d: nfields %d",
		    c->cpu, c->nfields);
	for (i = c->nfields; i < PS_NFIELDS; i++)
		FUZZ_CHECKF(c->ticks[i] == 0, "cpu %d: absent field %d is %llu", c->cpu, i,
			    (unsigned long long)c->ticks[i]);
}

static int ticks_small(const struct procstat_cpu *c)
{
	int i;

	for (i = 0; i < PS_NFIELDS; i++)
		if (c->ticks[i] >= FUZZ_TICKS_LIMIT)
			return 0;
	return 1;
}

/*
 * procstat_derive() between two parsed lines. Every percentage lies in
 * [0, 100] and they sum to 100 when any tick elapsed, both within FUZZ_EPS:
 * 100.0 * d / total rounds, so d == total may give 100.00000000000001.
 * Checked only below FUZZ_TICKS_LIMIT: deltas near 2^64 wrap the u64 total,
 * which no real interval (2^64 ticks at USER_HZ 100 is 5e9 years) reaches.
 */
static void check_pair(const struct procstat_cpu *prev, const struct procstat_cpu *cur)
{
	struct cpupct pct;
	double sum = 0;
	int i;

	procstat_derive(prev, cur, &pct);
	if (pct.total_ticks == 0) {
		for (i = 0; i < CP_NFIELDS; i++)
			FUZZ_CHECKF(pct.pct[i] == 0, "no ticks but %s = %g",
				    cpupct_field_names[i], pct.pct[i]);
		return;
	}
	if (!ticks_small(prev) || !ticks_small(cur))
		return;
	for (i = 0; i < CP_NFIELDS; i++) {
		FUZZ_CHECKF(pct.pct[i] >= 0 && pct.pct[i] <= 100 + FUZZ_EPS, "%s = %.17g",
			    cpupct_field_names[i], pct.pct[i]);
		sum += pct.pct[i];
	}
	FUZZ_CHECKF(fabs(sum - 100) < FUZZ_EPS, "percentages sum to %.17g", sum);
}

static void check_self(const struct procstat_cpu *c)
{
	struct cpupct pct;
	int i;

	procstat_derive(c, c, &pct);
	FUZZ_CHECKF(pct.total_ticks == 0, "cpu %d against itself: %llu ticks", c->cpu,
		    (unsigned long long)pct.total_ticks);
	for (i = 0; i < CP_NFIELDS; i++)
		FUZZ_CHECK(pct.pct[i] == 0);
}

static void check_sample(const struct procstat_sample *s, const char *buf, size_t len)
{
	unsigned char seen[PROCSTAT_MAX_CPUS] = { 0 };
	int i;

	FUZZ_CHECK(s->all.cpu == PROCSTAT_CPU_ALL);
	check_cpu(&s->all);
	check_self(&s->all);
	FUZZ_CHECKF(s->ncpus >= 0 && s->ncpus <= PROCSTAT_MAX_CPUS, "ncpus %d", s->ncpus);
	FUZZ_CHECKF(s->ncpus == count_cpu_lines(buf, len), "ncpus %d, text has %d cpuN lines",
		    s->ncpus, count_cpu_lines(buf, len));
	FUZZ_CHECK(procstat_find_cpu(s, PROCSTAT_CPU_ALL) == &s->all);
	FUZZ_CHECK(procstat_find_cpu(s, PROCSTAT_CPU_ALL - 1) == NULL);
	FUZZ_CHECK(procstat_find_cpu(s, PROCSTAT_MAX_CPUS) == NULL);

	for (i = 0; i < s->ncpus; i++) {
		const struct procstat_cpu *c = &s->cpu[i];

		FUZZ_CHECKF(c->cpu >= 0 && c->cpu < PROCSTAT_MAX_CPUS, "cpu[%d] is cpu%d", i,
			    c->cpu);
		FUZZ_CHECKF(!seen[c->cpu], "cpu%d listed twice", c->cpu);
		seen[c->cpu] = 1;
		check_cpu(c);
		check_self(c);
		check_pair(&s->all, c);
		if (i > 0)
			check_pair(&s->cpu[i - 1], c);
	}
	/* Each present CPU is found where it is; its absent neighbours are not found. */
	for (i = 0; i < s->ncpus; i++) {
		int cpu = s->cpu[i].cpu, n;

		FUZZ_CHECKF(procstat_find_cpu(s, cpu) == &s->cpu[i], "find cpu%d", cpu);
		for (n = cpu - 1; n <= cpu + 1; n += 2)
			if (n >= 0 && n < PROCSTAT_MAX_CPUS && !seen[n])
				FUZZ_CHECKF(procstat_find_cpu(s, n) == NULL,
					    "absent cpu%d was found", n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	int rc;

	fuzz_clear_last_error();
	rc = procstat_parse(buf, size, &sample);
	if (rc) {
		FUZZ_CHECK_ERROR(rc, -EINVAL, -EINVAL, -EINVAL);
		return 0;
	}
	check_sample(&sample, buf, size);
	return 0;
}
