/*
 * sampleloop: the measurement loop and the shared options of the host
 * samplers (cpu-sampler, vcpu-sampler).
 *
 * One sample is taken per interval at the absolute CLOCK_MONOTONIC deadlines
 * start + k * interval and stored in a buffer allocated (and touched) before
 * the first sample. Pairs of consecutive samples go to the renderer only
 * outside the timing-critical part: after the run when every sample fits the
 * buffer (bounded runs), otherwise every few samples between two deadlines.
 *
 * The output format is chosen here too (--format, --textfile), for every
 * sampler alike. CSV and table are the tools' own renderers (emit()). With
 * --format prometheus each sample instead goes out as soon as it is stored,
 * the first one included, as one complete exposition (common/promexp.h):
 * the tool's families (expose()), then the loop's own (deadline overruns,
 * the sample's wall-clock time), to stdout or rewritten atomically into the
 * --textfile of node_exporter's textfile collector. Counters are handed on
 * as read, never turned into rates.
 *
 * Between waking up and storing a sample this module never prints, allocates
 * or derives anything; the only file it opens is the --textfile, between
 * two samples.
 */
#ifndef STEALSCOPE_SAMPLELOOP_H
#define STEALSCOPE_SAMPLELOOP_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

struct promexp;                        /* common/promexp.h */

/* Output formats, as bits: a tool offers some of them (sampleloop_opts.formats). */
enum sampleloop_format {
	SAMPLELOOP_FMT_CSV = 1u << 0,
	SAMPLELOOP_FMT_TABLE = 1u << 1,
	SAMPLELOOP_FMT_PROMETHEUS = 1u << 2,
};

/* Options every sampler takes, filled by sampleloop_opts_parse(). */
struct sampleloop_opts {
	int64_t interval_ns;           /* default 1 s, at least 1 ms */
	int64_t duration_ns;           /* 0: not given */
	int64_t count;                 /* intervals; 0: not given */
	const char *root;              /* "" for the real /proc and /sys */
	const char *out;               /* "-" for stdout */
	unsigned formats;              /* SAMPLELOOP_FMT_* the tool offers; set it after
					  sampleloop_opts_init() (default CSV and
					  Prometheus) */
	enum sampleloop_format format; /* --format, default CSV */
	const char *textfile;          /* --textfile PATH (Prometheus), NULL: stdout */
	int64_t t0_ns;                 /* --t0: CLOCK_MONOTONIC origin of t_ns */
	int has_t0;                    /* 0: t_ns counts from the first sample */
	int64_t nintervals;            /* from sampleloop_opts_finish(); 0: until stopped */
};

/*
 * getopt_long entries and short letters of the shared options. --t0 and
 * --textfile have no letter; their getopt values are SAMPLELOOP_OPT_T0 and
 * SAMPLELOOP_OPT_TEXTFILE (the tools' own long-only options take values
 * from SAMPLELOOP_OPT_TOOL on).
 */
#define SAMPLELOOP_OPT_T0 0x100
#define SAMPLELOOP_OPT_TEXTFILE 0x101
#define SAMPLELOOP_OPT_TOOL 0x110
#define SAMPLELOOP_SHORTOPTS "i:d:n:r:o:f:"
#define SAMPLELOOP_LONGOPTS                                   \
	{ "interval", required_argument, NULL, 'i' },         \
	{ "duration", required_argument, NULL, 'd' },         \
	{ "count", required_argument, NULL, 'n' },            \
	{ "root", required_argument, NULL, 'r' },             \
	{ "out", required_argument, NULL, 'o' },               \
	{ "format", required_argument, NULL, 'f' },           \
	{ "t0", required_argument, NULL, SAMPLELOOP_OPT_T0 }, \
	{ "textfile", required_argument, NULL, SAMPLELOOP_OPT_TEXTFILE }

/*
 * Usage lines for the shared options, for the tools' --help (each tool
 * describes -f, --format itself: the formats differ).
 */
#define SAMPLELOOP_HELP                                                               \
	"  -i, --interval DUR   time between samples (default 1s, at least 1ms;\n"    \
	"                       units ns, us, ms, s)\n"                               \
	"  -d, --duration DUR   sample for DUR, i.e. DUR/interval intervals\n"         \
	"  -n, --count N        sample N intervals (N+1 samples); without --count\n"  \
	"                       or --duration: until SIGINT/SIGTERM\n"                \
	"  -r, --root DIR       read proc/ and sys/ under DIR (test fixtures)\n"      \
	"  -o, --out FILE       write to FILE atomically (default: stdout)\n"        \
	"      --t0 NS          t_ns counts from the CLOCK_MONOTONIC instant NS\n"    \
	"                       (e.g. from host-facts --monotonic-ns) instead of\n"  \
	"                       from the first sample; at most 1 minute ahead\n"  \
	"      --textfile PATH  with --format prometheus: rewrite PATH (a *.prom\n" \
	"                       file) atomically after every sample, for\n"          \
	"                       node_exporter's textfile collector (default: the\n"  \
	"                       expositions to stdout, an empty line between two)\n"

void sampleloop_opts_init(struct sampleloop_opts *o);

/*
 * Handle getopt result @opt with argument @arg if it is a shared option.
 * Returns 0 when handled, 1 when @opt is not a shared option, EXIT_USAGE
 * (the message and the --help hint already printed) when the value is bad.
 */
int sampleloop_opts_parse(struct sampleloop_opts *o, int opt, const char *arg);

/*
 * getopt_long() (with opterr 0) that handles the shared options itself with
 * sampleloop_opts_parse(): returns the next option that is not one of them
 * for the tool's own switch, or -1 at the end of the options and when a
 * shared option's value was bad. *@rc is 0, or EXIT_USAGE (printed) in that
 * last case; check it after the loop.
 */
int sampleloop_getopt(struct sampleloop_opts *o, int argc, char *const argv[],
		      const char *shortopts, const struct option *longopts, int *rc);

/*
 * After getopt: refuse --count with --duration and a duration shorter than
 * the interval, --textfile without --format prometheus, --out with it, and a
 * --textfile not named *.prom; check that --root is a directory, set
 * nintervals, and check that --out or --textfile can be written
 * (fileio_check_output()) before anything is sampled. Returns 0, EXIT_USAGE
 * (printed), or EXIT_FAIL when the output cannot be written (logged).
 */
int sampleloop_opts_finish(struct sampleloop_opts *o);

/* One stored sample as the renderer sees it. */
struct sampleloop_rec {
	int64_t seq;                   /* deadline index k: a gap is a skipped interval */
	int64_t t_ns;                  /* monotonic stamp relative to the first sample
					  or to --t0 */
	void *data;                    /* the sampler's slot_bytes */
};

/* read() returns this when nothing is left to sample: the run ends there. */
#define SAMPLELOOP_END 1

struct sampleloop_ops {
	/*
	 * Take one sample into @slot. Runs in the timing-critical part: no
	 * printing, no allocation. Returns 0, SAMPLELOOP_END (the sample is
	 * dropped and the run ends) or -errno (logged; the run ends, what was
	 * measured is still rendered).
	 */
	int (*read)(void *ctx, void *slot);
	/* Render the interval from @prev to @cur. Returns 0 or -errno (logged). */
	int (*emit)(void *ctx, const struct sampleloop_rec *prev,
		    const struct sampleloop_rec *cur);
	/* Optional: push rendered rows out after a batch mid-run. 0 or -errno. */
	int (*flush)(void *ctx);
	/*
	 * --format prometheus (instead of emit() and flush()): write the
	 * families of the sample @cur to @p, counters as read (no rates, no
	 * interval needed: the first sample is exposed too). Called right
	 * after each sample is stored, outside the timing-critical part.
	 * Returns 0 or -errno (logged; promexp errors are sticky in @p, so
	 * returning p->err at the end suffices).
	 */
	int (*expose)(void *ctx, const struct sampleloop_rec *cur, struct promexp *p);
};

struct sampleloop_stats {
	int64_t samples;               /* stored */
	int64_t overruns;              /* times a sample ended after the next deadline */
	int64_t skipped;               /* deadlines skipped because of those */
	int stop_signal;               /* SIGINT/SIGTERM that ended the run, or 0 */
	int source_ended;              /* read() said SAMPLELOOP_END */
};

/*
 * Run the loop: the first sample at once, then one per deadline, until
 * o->nintervals intervals have elapsed (0: until SIGINT/SIGTERM, for which
 * the caller installed cli_install_stop_handlers()) or read() ends it.
 * Every pair of consecutive stored samples is passed to emit() exactly once,
 * in order, until emit() or flush() fails: then the run ends and nothing
 * more is rendered (no pair twice, none against the wrong predecessor).
 * With o->format SAMPLELOOP_FMT_PROMETHEUS every stored sample is exposed
 * instead (see expose()), and a failure to write it ends the run the same
 * way. The loop's own families carry the label sampler="<tool>" (log_tool())
 * and, with a textfile, file="<its name>", so that the files of several
 * samplers in one collector directory never hold the same series:
 *   stealscope_sampler_overruns_total (counter, as in the stats below),
 *   stealscope_sampler_sample_timestamp_seconds (gauge, Unix time of the
 *   sample: alert on it to catch a sampler that stopped).
 * Sleeps go through cli_sleep_until(), so a stop ends a long interval
 * within 100 ms. Returns 0 (also when stopped by a signal) or the first
 * -errno from read(), emit(), flush(), expose() or writing an exposition.
 */
int sampleloop_run(const struct sampleloop_opts *o, size_t slot_bytes,
		   const struct sampleloop_ops *ops, void *ctx, struct sampleloop_stats *st);

/* Warn on stderr about deadline overruns, if there were any. */
void sampleloop_report(const struct sampleloop_stats *st);

#endif
