/*
 * sampleloop: see sampleloop.h. The one place where the samplers' timing
 * lives (deadline grid, overrun accounting, buffer sizing and batching) and
 * where their output format is chosen.
 */
#include "host-tools/sampleloop.h"

#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/memtouch.h"
#include "common/parse.h"
#include "common/promexp.h"
#include "common/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define INTERVAL_MIN_NS NS_PER_MS
#define INTERVAL_MAX_NS (3600 * NS_PER_SEC)
#define COUNT_MAX (INT64_C(1) << 40)

/* Bounded runs keep every sample in memory up to this size, then batch. */
#define BUFFER_BUDGET_BYTES (64u << 20)

/*
 * Unbounded runs render about every 100 ms of samples, at most 32 samples
 * at a time: rendering 32 samples costs a few hundred microseconds, which
 * still fits between two 1 ms deadlines.
 */
#define BATCH_SPAN_NS (100 * NS_PER_MS)
#define BATCH_MAX 32

static const struct {
	const char *name;
	enum sampleloop_format format;
} format_names[] = {
	{ "csv", SAMPLELOOP_FMT_CSV },
	{ "table", SAMPLELOOP_FMT_TABLE },
	{ "prometheus", SAMPLELOOP_FMT_PROMETHEUS },
};

#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

void sampleloop_opts_init(struct sampleloop_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = NS_PER_SEC;
	o->root = "";
	o->out = "-";
	o->formats = SAMPLELOOP_FMT_CSV | SAMPLELOOP_FMT_PROMETHEUS;
	o->format = SAMPLELOOP_FMT_CSV;
}

/* --format NAME, among the formats the tool offers. */
static int parse_format(struct sampleloop_opts *o, const char *arg)
{
	char offered[64] = "";
	size_t i, n = 0, total = 0;

	for (i = 0; i < NFORMATS; i++) {
		if (!(o->formats & format_names[i].format))
			continue;
		if (!strcmp(arg, format_names[i].name)) {
			o->format = format_names[i].format;
			return 0;
		}
		total++;
	}
	/* "csv, table or prometheus" */
	for (i = 0; i < NFORMATS; i++) {
		if (!(o->formats & format_names[i].format))
			continue;
		n++;
		snprintf(offered + strlen(offered), sizeof(offered) - strlen(offered), "%s%s",
			 n == 1 ? "" : n == total ? " or " : ", ", format_names[i].name);
	}
	return cli_usage_error("--format: unknown format '%s' (%s)", arg, offered);
}

/* The parse functions have logged their message: add only the hint. */
static int usage_hint_if(int rc)
{
	return rc ? cli_usage_hint() : 0;
}

int sampleloop_opts_parse(struct sampleloop_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'i':
		return usage_hint_if(parse_duration_ns("--interval", arg, INTERVAL_MIN_NS,
						       INTERVAL_MAX_NS, &o->interval_ns));
	case 'd':
		return usage_hint_if(parse_duration_ns("--duration", arg, INTERVAL_MIN_NS,
						       CLI_MAX_DURATION_NS, &o->duration_ns));
	case 'n':
		return usage_hint_if(parse_i64("--count", arg, 1, COUNT_MAX, &o->count));
	case 'r':
		o->root = arg;
		return 0;
	case 'o':
		if (!*arg)
			return cli_usage_error("--out: empty file name");
		o->out = arg;
		return 0;
	case 'f':
		return parse_format(o, arg);
	case SAMPLELOOP_OPT_TEXTFILE:
		if (!*arg)
			return cli_usage_error("--textfile: empty file name");
		o->textfile = arg;
		return 0;
	case SAMPLELOOP_OPT_T0:
		if (cli_parse_instant("--t0", arg, &o->t0_ns))
			return EXIT_USAGE;
		o->has_t0 = 1;
		return 0;
	default:
		return 1;
	}
}

int sampleloop_getopt(struct sampleloop_opts *o, int argc, char *const argv[],
		      const char *shortopts, const struct option *longopts, int *rc)
{
	int opt;

	*rc = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		*rc = sampleloop_opts_parse(o, opt, optarg);
		if (*rc == 1) {
			*rc = 0;
			return opt;
		}
		if (*rc)
			return -1;
	}
	return -1;
}

int sampleloop_opts_finish(struct sampleloop_opts *o)
{
	struct stat sb;

	if (o->count && o->duration_ns)
		return cli_usage_error("--count and --duration exclude each other");
	if (o->duration_ns) {
		if (o->duration_ns < o->interval_ns)
			return cli_usage_error("--duration must be at least one --interval");
		o->nintervals = o->duration_ns / o->interval_ns;
	} else {
		o->nintervals = o->count;
	}
	/* Keeps start + k * interval far from int64 overflow. */
	if (o->nintervals > CLI_MAX_DURATION_NS / o->interval_ns)
		return cli_usage_error("--count: %lld intervals of --interval last over a year",
				       (long long)o->nintervals);
	if (o->textfile && o->format != SAMPLELOOP_FMT_PROMETHEUS)
		return cli_usage_error("--textfile needs --format prometheus");
	if (o->format == SAMPLELOOP_FMT_PROMETHEUS && strcmp(o->out, "-"))
		return cli_usage_error("--format prometheus writes each sample to stdout or, "
				       "with --textfile PATH, to a file; not to --out");
	if (o->root[0]) {
		if (stat(o->root, &sb))
			return cli_usage_error("--root %s: %s", o->root, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			return cli_usage_error("--root %s: not a directory", o->root);
	}
	/* Now, not after the run: a bad --out would throw every sample away. */
	if (strcmp(o->out, "-") && fileio_check_output(o->out, FILEIO_OUT_FILE))
		return EXIT_FAIL;
	if (o->textfile) {
		int rc = promexp_textfile_check(o->textfile);

		if (rc == -EINVAL)
			return cli_usage_hint();
		if (rc)
			return EXIT_FAIL;
	}
	return 0;
}

/* How many samples the buffer holds. */
static size_t buffer_slots(const struct sampleloop_opts *o, size_t slot_bytes)
{
	size_t per = slot_bytes + sizeof(struct sampleloop_rec);
	size_t budget = BUFFER_BUDGET_BYTES / (per ? per : 1);
	size_t slots;

	if (o->nintervals) {
		slots = (size_t)o->nintervals + 1;
	} else {
		int64_t batch = BATCH_SPAN_NS / o->interval_ns;

		if (batch < 1)
			batch = 1;
		if (batch > BATCH_MAX)
			batch = BATCH_MAX;
		slots = (size_t)batch + 1;
	}
	if (slots > budget)
		slots = budget;
	return slots < 2 ? 2 : slots;
}

/* Render recs[1..n-1] against their predecessors. */
static int emit_all(const struct sampleloop_ops *ops, void *ctx,
		    const struct sampleloop_rec *recs, size_t n)
{
	size_t i;
	int rc;

	for (i = 1; i < n; i++) {
		rc = ops->emit(ctx, &recs[i - 1], &recs[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Mid-run batch: render recs[0..*n-1], then keep the newest sample as slot 0
 * (*n = 1) so the next interval has its predecessor, then flush. The buffer
 * is reset before the flush, so a failed flush leaves nothing rendered twice.
 * After a failed emit() *n is left alone: the caller must not render the
 * buffer again either way.
 */
static int emit_batch(const struct sampleloop_ops *ops, void *ctx,
		      struct sampleloop_rec *recs, size_t *n, size_t slot_bytes)
{
	size_t last = *n - 1;
	int rc = emit_all(ops, ctx, recs, *n);

	if (rc)
		return rc;
	recs[0].seq = recs[last].seq;
	recs[0].t_ns = recs[last].t_ns;
	memcpy(recs[0].data, recs[last].data, slot_bytes);
	*n = 1;
	return ops->flush ? ops->flush(ctx) : 0;
}

/* ---- Prometheus: one exposition per sample ------------------------------ */

/* Unix time, in seconds, of the CLOCK_MONOTONIC instant @mono (in the past). */
static double wall_seconds(int64_t mono)
{
	struct timespec rt;
	int64_t now = mono_ns();

	clock_gettime(CLOCK_REALTIME, &rt);
	return (double)(rt.tv_sec * NS_PER_SEC + rt.tv_nsec - (now - mono)) / NS_PER_SEC;
}

/* The loop's own families, after the tool's. */
static int expose_loop(const struct sampleloop_opts *o, struct promexp *p,
		       const struct sampleloop_stats *st, int64_t mono)
{
	const char *slash = o->textfile ? strrchr(o->textfile, '/') : NULL;
	const struct promexp_label l[] = {
		{ "sampler", log_tool() },
		{ "file", slash ? slash + 1 : o->textfile },   /* NULL: left out */
	};

	promexp_family(p, "stealscope_sampler_overruns_total", PROMEXP_COUNTER,
		       "Samples that ended after the next deadline (the intervals in between "
		       "were skipped).");
	promexp_sample(p, l, 2, (double)st->overruns);
	promexp_family(p, "stealscope_sampler_sample_timestamp_seconds", PROMEXP_GAUGE,
		       "Unix time of the sample these figures come from.");
	return promexp_sample(p, l, 2, wall_seconds(mono));
}

/*
 * Expose sample @rec (taken at CLOCK_MONOTONIC @mono): to stdout, after an
 * empty line unless it is the first (*@nexposed counts what went out), or
 * as a new --textfile. Returns 0 or -errno (logged).
 */
static int expose_sample(const struct sampleloop_opts *o, const struct sampleloop_ops *ops,
			 void *ctx, const struct sampleloop_rec *rec, int64_t mono,
			 const struct sampleloop_stats *st, int64_t *nexposed)
{
	struct promexp_textfile tf;
	struct promexp out, *p = &out;
	int rc;

	if (o->textfile) {
		rc = promexp_textfile_open(&tf, o->textfile);
		if (rc)
			return rc;
		p = &tf.p;
	} else {
		if (*nexposed)
			putchar('\n');
		promexp_init(p, stdout);
	}
	rc = ops->expose(ctx, rec, p);
	if (!rc)
		rc = expose_loop(o, p, st, mono);
	if (o->textfile) {
		if (rc)
			promexp_textfile_abort(&tf);
		else
			rc = promexp_textfile_commit(&tf);
	} else if (!rc) {
		rc = promexp_finish(p);
	}
	if (!rc)
		(*nexposed)++;
	return rc;
}

int sampleloop_run(const struct sampleloop_opts *o, size_t slot_bytes,
		   const struct sampleloop_ops *ops, void *ctx, struct sampleloop_stats *st)
{
	int prom = o->format == SAMPLELOOP_FMT_PROMETHEUS;
	/* Prometheus exposes each sample at once: one slot does. */
	size_t cap = prom ? 1 : buffer_slots(o, slot_bytes), n = 0, i;
	int64_t exposed = 0;
	struct sampleloop_rec *recs;
	char *data;
	int64_t start, k = 0, t0 = 0;
	int rc = 0, render_failed = 0;

	memset(st, 0, sizeof(*st));
	recs = calloc(cap, sizeof(*recs));
	data = malloc(cap * slot_bytes);
	if (!recs || !data) {
		rc = log_err(-ENOMEM, "sample buffer of %zu x %zu bytes", cap, slot_bytes);
		goto out;
	}
	/* Fault every page in now so the loop takes no page faults. */
	mem_touch(data, cap * slot_bytes);
	mem_touch(recs, cap * sizeof(*recs));
	for (i = 0; i < cap; i++)
		recs[i].data = data + i * slot_bytes;

	start = mono_ns();
	for (;;) {
		int64_t before, after, now;

		/* Only SIGINT/SIGTERM end the sleep early; other signals do not. */
		if (k > 0 && cli_sleep_until(start + k * o->interval_ns))
			break;
		if (cli_stop_requested())
			break;
		/* The sample's time is the middle of the read. */
		before = mono_ns();
		rc = ops->read(ctx, recs[n].data);
		after = mono_ns();
		if (rc == SAMPLELOOP_END) {
			st->source_ended = 1;
			rc = 0;
			break;
		}
		if (rc)
			break;
		if (st->samples == 0)
			t0 = o->has_t0 ? o->t0_ns : before + (after - before) / 2;
		recs[n].seq = k;
		recs[n].t_ns = before + (after - before) / 2 - t0;
		n++;
		st->samples++;
		if (prom) {
			n = 0;
			rc = expose_sample(o, ops, ctx, &recs[0], before + (after - before) / 2, st,
					   &exposed);
			if (rc) {
				render_failed = 1;
				break;
			}
		}
		if (o->nintervals && k >= o->nintervals)
			break;
		if (n == cap) {
			rc = emit_batch(ops, ctx, recs, &n, slot_bytes);
			if (rc) {
				render_failed = 1;
				break;
			}
		}
		/*
		 * Woke up (or rendered) past the next deadline: skip to the
		 * first one still ahead, so the grid never drifts.
		 */
		k++;
		now = mono_ns();
		if (now > start + k * o->interval_ns) {
			int64_t next = (now - start) / o->interval_ns + 1;

			st->overruns++;
			st->skipped += next - k;
			k = next;
			if (o->nintervals && k > o->nintervals)
				break;
		}
	}
	st->stop_signal = cli_stop_requested();
	/*
	 * Whatever ended the run, what was measured is rendered, unless the
	 * renderer itself failed: its output is broken already, and after a
	 * failed emit() the buffer holds samples it has partly rendered.
	 */
	if (n > 1 && !render_failed) {
		int erc = emit_all(ops, ctx, recs, n);

		if (!rc)
			rc = erc;
	}
out:
	free(data);
	free(recs);
	return rc;
}

void sampleloop_report(const struct sampleloop_stats *st)
{
	if (st->overruns)
		log_warn("%lld deadline overruns (%lld intervals skipped)",
			 (long long)st->overruns, (long long)st->skipped);
}
