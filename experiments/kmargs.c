/*
 * kmargs: see kmargs.h. Every argument is formatted into its own slot of
 * the caller's buffer, so a spec that would not fit is refused (-E2BIG,
 * logged with the argument) rather than cut short.
 */
#include "experiments/kmargs.h"

#include "common/log.h"
#include "common/timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int add(struct kmargs *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add(struct kmargs *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->argc >= KMARGS_MAX)
		return log_err(-E2BIG, "kvm-mini arguments: more than %d", KMARGS_MAX);
	va_start(ap, fmt);
	n = vsnprintf(a->buf[a->argc], KMARGS_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= KMARGS_LEN)
		return log_err(-E2BIG, "kvm-mini argument too long: %s...", a->buf[a->argc]);
	a->argv[a->argc] = a->buf[a->argc];
	a->argc++;
	a->argv[a->argc] = NULL;
	return 0;
}

/* --pin: "any", one CPU for all, or one per vCPU in order. */
static int add_pin(struct kmargs *a, const struct spec *s)
{
	char list[KMARGS_LEN] = "";
	size_t n = 0;
	int v, same = 1;

	if (s->pins[0] == SPEC_PIN_ANY)
		return add(a, "any");
	for (v = 1; v < s->vcpus; v++)
		same &= s->pins[v] == s->pins[0];
	if (same)
		return add(a, "%d", s->pins[0]);
	for (v = 0; v < s->vcpus && n < sizeof(list); v++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", v ? "," : "", s->pins[v]);
	return add(a, "%s", list);
}

/* --hog CPU:START[:DURATION],nice=N,duty=PCT,period=DUR for one [contention]. */
static int add_hog(struct kmargs *a, const struct spec_contention *c)
{
	char dur[40] = "";
	int64_t len = c->end_ns - c->start_ns;

	if (!c->until_end) {
		if (len < NS_PER_MS)
			return log_err(-EINVAL, "[contention%s%s] (line %d): its window of %" PRId64
				       " ns is shorter than kvm-mini's 1 ms minimum", c->name[0] ?
				       " " : "", c->name, c->line, len);
		snprintf(dur, sizeof(dur), ":%" PRId64 "ns", len);
	}
	return add(a, "%d:%" PRId64 "ns%s,nice=%d,duty=%.6f,period=%" PRId64 "ns", c->cpu,
		   c->start_ns, dur, c->nice, c->duty_pct, c->period_ns);
}

int kmargs_build(const struct spec *s, struct kmargs *out)
{
	int i, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = add(out, "--vcpus")) || (rc = add(out, "%d", s->vcpus)) ||
	    (rc = add(out, "--pin")) || (rc = add_pin(out, s)) ||
	    (rc = add(out, "--workload")) || (rc = add(out, "%s", spec_workload_name(s->workload))) ||
	    (rc = add(out, "--tasks")) || (rc = add(out, "%d", s->tasks)) ||
	    (rc = add(out, "--units")) || (rc = add(out, "%" PRId64, s->units)) ||
	    (rc = add(out, "--unit-work")) || (rc = add(out, "%" PRId64 "ns", s->unit_work_ns)) ||
	    (rc = add(out, "--slice")) || (rc = add(out, "%" PRId64 "ns", s->slice_ns)) ||
	    (rc = add(out, "--duration")) || (rc = add(out, "%" PRId64 "ns", s->duration_ns)) ||
	    (rc = add(out, "--interval")) ||
	    (rc = add(out, "%" PRId64 "ns", s->sample_interval_ns)))
		return rc;
	for (i = 0; i < s->n_contention; i++)
		if ((rc = add(out, "--hog")) || (rc = add_hog(out, &s->contention[i])))
			return rc;
	return 0;
}
