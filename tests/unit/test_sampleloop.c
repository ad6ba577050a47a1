/*
 * Unit tests for sampleloop_run() with a fake sampler: read() stores a
 * counter, emit() checks that every pair it is given is two consecutive
 * reads, and either can be told to fail. What is checked is the contract
 * of sampleloop.h: every pair once, in order, and after a failed emit() or
 * flush() nothing more (no pair twice, none against the wrong predecessor).
 * With --format prometheus, expose() instead, for every sample.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/promexp.h"
#include "common/timeutil.h"
#include "host-tools/sampleloop.h"
#include "tests/support/files.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Unbounded runs at 1 ms render in batches of 32 intervals (33 slots). */
#define BATCH 32

struct fake {
	int64_t reads;
	int64_t end_after;              /* read() ends the run after this many */
	int64_t emits;
	int64_t bad_pairs;              /* pairs that were not reads k-1, k */
	int64_t last_cur;               /* counter of the last pair's cur */
	int64_t flushes;
	int64_t fail_emit_at;           /* this emit() call fails (1-based), 0: never */
	int fail_flush;
	int64_t exposes;
	int64_t bad_exposes;            /* samples exposed out of order */
	int64_t fail_expose_at;         /* this expose() call fails (1-based), 0: never */
};

static int fake_read(void *ctx, void *slot)
{
	struct fake *f = ctx;

	if (f->reads == f->end_after)
		return SAMPLELOOP_END;
	f->reads++;
	memcpy(slot, &f->reads, sizeof(f->reads));
	return 0;
}

static int fake_emit(void *ctx, const struct sampleloop_rec *prev,
		     const struct sampleloop_rec *cur)
{
	struct fake *f = ctx;
	int64_t p, c;

	memcpy(&p, prev->data, sizeof(p));
	memcpy(&c, cur->data, sizeof(c));
	f->emits++;
	if (f->emits == f->fail_emit_at)
		return -EIO;
	/* consecutive, and each pair once: cur follows the last cur rendered */
	if (c != p + 1 || c != f->last_cur + (f->last_cur ? 1 : 2))
		f->bad_pairs++;
	f->last_cur = c;
	return 0;
}

static int fake_flush(void *ctx)
{
	struct fake *f = ctx;

	f->flushes++;
	return f->fail_flush ? -ENOSPC : 0;
}

/* The sample's counter as fake_reads_total: each sample once, in order. */
static int fake_expose(void *ctx, const struct sampleloop_rec *cur, struct promexp *p)
{
	struct fake *f = ctx;
	int64_t c;

	memcpy(&c, cur->data, sizeof(c));
	f->exposes++;
	if (f->exposes == f->fail_expose_at)
		return -ENOSPC;
	if (c != f->exposes)
		f->bad_exposes++;
	promexp_family(p, "fake_reads_total", PROMEXP_COUNTER, "Reads so far.");
	return promexp_sample(p, NULL, 0, (double)c);
}

static const struct sampleloop_ops fake_ops = {
	.read = fake_read, .emit = fake_emit, .flush = fake_flush, .expose = fake_expose,
};

/* One run of the fake and what must come of it. */
struct loop_case {
	const char *what;
	struct fake f;                  /* the fake as set up */
	int64_t count;                  /* --count; 0: unbounded, ended by read() */
	int rc;                         /* sampleloop_run()'s result */
	int64_t samples, emits, flushes, last_cur;
};

/*
 * Unbounded cases run at a 1 ms interval and end after a number of samples;
 * they render in batches of BATCH intervals, flushing after each. The bounded
 * case counts deadlines instead, so it runs at 10 ms: at 1 ms a slow
 * (sanitized, loaded) run overran some and took fewer samples. It renders once,
 * at the end.
 */
static const struct loop_case cases[] = {
	/* every pair once, in order; two full batches flushed mid-run */
	{ "no failure", { .end_after = 80 }, 0, 0, 80, 79, 2, 80 },
	/* emit() fails in the first batch: the run ends, nothing rendered again */
	{ "emit fails", { .end_after = 80, .fail_emit_at = 5 }, 0, -EIO, BATCH + 1, 5, 0, 5 },
	/*
	 * flush() fails after the first batch was rendered: the newest sample
	 * is slot 0 by then, so rendering the buffer again would pair samples
	 * 2..33 with sample 33. Nothing more is rendered instead.
	 */
	{ "flush fails", { .end_after = 80, .fail_flush = 1 }, 0, -ENOSPC, BATCH + 1, BATCH, 1,
	  BATCH + 1 },
	/* a bounded run renders once, at the end; its failure is returned */
	{ "bounded, emit fails", { .end_after = 100, .fail_emit_at = 2 }, 4, -EIO, 5, 2, 0, 2 },
};

static void test_sampleloop_renders_every_pair_once(void **state)
{
	struct sampleloop_stats st;
	struct sampleloop_opts o;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct loop_case *c = &cases[i];
		struct fake f = c->f;

		sampleloop_opts_init(&o);
		o.interval_ns = c->count ? 10 * NS_PER_MS : NS_PER_MS;
		o.count = c->count;
		assert_int_equal(sampleloop_opts_finish(&o), 0);
		rc = sampleloop_run(&o, sizeof(int64_t), &fake_ops, &f, &st);
		if (rc != c->rc || st.samples != c->samples || f.emits != c->emits ||
		    f.flushes != c->flushes || f.last_cur != c->last_cur || f.bad_pairs)
			fail_msg("%s: rc %d, %lld samples, %lld emits (%lld bad), %lld flushes, "
				 "last %lld", c->what, rc, (long long)st.samples,
				 (long long)f.emits, (long long)f.bad_pairs, (long long)f.flushes,
				 (long long)f.last_cur);
		assert_int_equal(st.source_ended, c->count == 0 && c->rc == 0);
	}
}

/*
 * SIGTERM during a 10 s interval ends the run within a second (in a child,
 * since the stop flag stays set): sampleloop_run() returns 0, names the
 * signal and renders nothing (one sample, no interval).
 */
static void test_sampleloop_stop_ends_a_long_interval(void **state)
{
	struct timespec nap = { 0, 150 * 1000 * 1000 };
	int64_t sent, waited;
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fake f = { .end_after = 100 };
		struct sampleloop_stats st;
		struct sampleloop_opts o;

		sampleloop_opts_init(&o);
		o.interval_ns = 10 * NS_PER_SEC;
		if (cli_install_stop_handlers() || sampleloop_opts_finish(&o))
			_exit(2);
		if (sampleloop_run(&o, sizeof(int64_t), &fake_ops, &f, &st) != 0)
			_exit(3);
		_exit(st.stop_signal == SIGTERM && st.samples == 1 && f.emits == 0 ? 0 : 4);
	}
	nanosleep(&nap, NULL);
	assert_int_equal(kill(pid, SIGTERM), 0);
	sent = mono_ns();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	waited = mono_ns() - sent;
	print_message("stopped %.1f ms after SIGTERM\n", (double)waited / NS_PER_MS);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(waited < NS_PER_SEC);
}

/*
 * --format prometheus --textfile: every sample, the first included, is
 * exposed once and in order (emit() is never called), the file holds the
 * last one whole with the loop's own families, and a failed expose() ends
 * the run with its error, leaving the last good file.
 */
static void test_sampleloop_prometheus_exposes_every_sample(void **state)
{
	char dir[64], path[PATH_MAX], want[64], *text;
	struct sampleloop_stats st;
	struct sampleloop_opts o;
	struct fake f = { .end_after = 100 };

	(void)state;
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "sampleloop"), 0);
	snprintf(path, sizeof(path), "%s/loop.prom", dir);
	sampleloop_opts_init(&o);
	o.interval_ns = 50 * NS_PER_MS;
	o.count = 3;
	o.format = SAMPLELOOP_FMT_PROMETHEUS;
	o.textfile = path;
	assert_int_equal(sampleloop_opts_finish(&o), 0);
	assert_int_equal(sampleloop_run(&o, sizeof(int64_t), &fake_ops, &f, &st), 0);
	/*
	 * 4 samples; fewer only when writing a file (its fsync) took longer
	 * than an interval on a loaded machine and deadlines were skipped
	 */
	print_message("%lld samples, %lld overruns\n", (long long)st.samples,
		      (long long)st.overruns);
	assert_true(st.samples >= 1 && st.samples <= 4);
	assert_int_equal(st.samples + st.skipped >= 4, 1);
	assert_int_equal(f.exposes, st.samples);
	assert_int_equal(f.bad_exposes, 0);
	assert_int_equal(f.emits, 0);
	text = support_read_file(path);
	assert_non_null(text);
	snprintf(want, sizeof(want), "\nfake_reads_total %lld\n", (long long)st.samples);
	if (!strstr(text, "# TYPE fake_reads_total counter\n") || !strstr(text, want) ||
	    !strstr(text, "stealscope_sampler_overruns_total{sampler=\"") ||
	    !strstr(text, "\",file=\"loop.prom\"} ") ||
	    !strstr(text, "# TYPE stealscope_sampler_sample_timestamp_seconds gauge\n"))
		fail_msg("loop.prom:\n%s", text);
	free(text);

	/* the third expose fails: the run ends there, the file keeps sample 2 */
	memset(&f, 0, sizeof(f));
	f.end_after = 100;
	f.fail_expose_at = 3;
	o.count = 20;
	assert_int_equal(sampleloop_opts_finish(&o), 0);
	assert_int_equal(sampleloop_run(&o, sizeof(int64_t), &fake_ops, &f, &st), -ENOSPC);
	assert_int_equal(f.exposes, 3);
	assert_int_equal(st.samples, 3);
	text = support_read_file(path);
	assert_non_null(strstr(text, "\nfake_reads_total 2\n"));
	free(text);
	assert_int_equal(support_rmtree(dir), 0);
}

/* --textfile without --format prometheus, --out with it, a name not *.prom. */
static void test_sampleloop_prometheus_options(void **state)
{
	struct sampleloop_opts o;

	(void)state;
	log_set_quiet(1);
	sampleloop_opts_init(&o);
	assert_int_equal(sampleloop_opts_parse(&o, 'f', "table"), EXIT_USAGE);
	assert_non_null(strstr(log_last_error(), "unknown format 'table' (csv or prometheus)"));
	o.formats |= SAMPLELOOP_FMT_TABLE;
	assert_int_equal(sampleloop_opts_parse(&o, 'f', "xml"), EXIT_USAGE);
	assert_non_null(strstr(log_last_error(), "(csv, table or prometheus)"));
	assert_int_equal(sampleloop_opts_parse(&o, SAMPLELOOP_OPT_TEXTFILE, "/tmp/x.prom"), 0);
	assert_int_equal(sampleloop_opts_finish(&o), EXIT_USAGE);
	assert_non_null(strstr(log_last_error(), "--textfile needs --format prometheus"));
	assert_int_equal(sampleloop_opts_parse(&o, 'f', "prometheus"), 0);
	assert_int_equal(o.format, SAMPLELOOP_FMT_PROMETHEUS);
	o.out = "x.csv";
	assert_int_equal(sampleloop_opts_finish(&o), EXIT_USAGE);
	assert_non_null(strstr(log_last_error(), "not to --out"));
	o.out = "-";
	o.textfile = "/tmp/x.txt";
	assert_int_equal(sampleloop_opts_finish(&o), EXIT_USAGE);
	assert_non_null(strstr(log_last_error(), "must end in .prom"));
	o.textfile = "/nonexistent-dir/x.prom";
	assert_int_equal(sampleloop_opts_finish(&o), EXIT_FAIL);
	assert_non_null(strstr(log_last_error(), "directory /nonexistent-dir"));
	log_set_quiet(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sampleloop_renders_every_pair_once),
		cmocka_unit_test(test_sampleloop_stop_ends_a_long_interval),
		cmocka_unit_test(test_sampleloop_prometheus_exposes_every_sample),
		cmocka_unit_test(test_sampleloop_prometheus_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
