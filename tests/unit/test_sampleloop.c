/*
 * Unit tests for sampleloop_run() with a fake sampler: read() stores a
 * counter, emit() checks that every pair it is given is two consecutive
 * reads, and either can be told to fail. What is checked is the contract
 * of sampleloop.h: every pair once, in order, and after a failed emit() or
 * flush() nothing more (no pair twice, none against the wrong predecessor).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cli.h"
#include "common/timeutil.h"
#include "host-tools/sampleloop.h"

#include <errno.h>
#include <signal.h>
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

static const struct sampleloop_ops fake_ops = {
	.read = fake_read, .emit = fake_emit, .flush = fake_flush,
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sampleloop_renders_every_pair_once),
		cmocka_unit_test(test_sampleloop_stop_ends_a_long_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
