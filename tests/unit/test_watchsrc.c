/*
 * Unit tests for experiments/watchsrc, on a fake struct virt_ops: the
 * backoff, the sampler's states (unreachable with retries, up, lost,
 * reconnected in a new epoch; only running domains sampled), and the
 * sampler process with its frames through the pipe, up to a sampler that
 * dies, or hangs in a call, and is reported as such.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "experiments/watchsrc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEC 1000000000LL
#define MS 1000000LL

/* ---- the fake libvirt ------------------------------------------------------- */

static struct {
	int refuse;                    /* connect fails */
	int list_fails;                /* list_domains fails: the connection is lost */
	int connects, closes;
	uint64_t ticks;                /* grows with each statistics call */
} F;

struct virt_conn {
	char uri[64];
};

struct virt_domain {
	const char *name;
	int state;
	unsigned nvcpus;
};

static int f_connect(const char *uri, unsigned flags, struct virt_conn **out)
{
	(void)flags;
	F.connects++;
	if (F.refuse)
		return log_err(-ECONNREFUSED, "cannot connect to %s: refused by the fake", uri);
	*out = calloc(1, sizeof(**out));
	snprintf((*out)->uri, sizeof((*out)->uri), "%s", uri);
	return 0;
}

static void f_close(struct virt_conn *c)
{
	F.closes++;
	free(c);
}

static const char *f_uri(const struct virt_conn *c)
{
	return c->uri;
}

static int f_list(struct virt_conn *c, struct virt_domain ***out, size_t *n)
{
	static const struct virt_domain doms[] = {
		{ "alpha", VIRT_DOM_RUNNING, 2 },
		{ "beta", VIRT_DOM_SHUTOFF, 4 },
		{ "gamma", VIRT_DOM_RUNNING, 1 },
	};
	size_t i;

	if (F.list_fails)
		return log_err(-EIO, "%s: virConnectListAllDomains: the fake lost it", c->uri);
	*out = calloc(3, sizeof(**out));
	for (i = 0; i < 3; i++) {
		(*out)[i] = malloc(sizeof(***out));
		*(*out)[i] = doms[i];
	}
	*n = 3;
	return 0;
}

static void f_free_domains(struct virt_domain **d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(d[i]);
	free(d);
}

static int f_info(struct virt_domain *d, struct virt_dom_info *out)
{
	memset(out, 0, sizeof(*out));
	out->name = d->name;
	out->state = d->state;
	out->nvcpus = d->nvcpus;
	out->max_vcpus = d->nvcpus;
	out->id = d->state == VIRT_DOM_RUNNING ? 1 : -1;
	return 0;
}

static int f_stats(struct virt_domain *d, size_t hint, struct virtstats_dom *out)
{
	size_t i;

	(void)hint;
	if (!strcmp(d->name, "gamma") && getenv("WATCHSRC_TEST_DIE"))
		raise(SIGKILL);                /* a sampler that dies (in the child) */
	while (F.ticks >= 6 && getenv("WATCHSRC_TEST_HANG"))
		pause();                       /* a call that never returns (in the child) */
	F.ticks++;
	out->nvcpus = d->nvcpus;
	out->nreported = d->nvcpus;
	out->t_ns = (int64_t)F.ticks * 100 * MS;
	for (i = 0; i < d->nvcpus; i++) {
		memset(&out->vcpu[i], 0, sizeof(out->vcpu[i]));
		out->vcpu[i].present = VIRTSTATS_F_STATE | VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY;
		out->vcpu[i].state = VIRTSTATS_VCPU_RUNNING;
		out->vcpu[i].time_ns = F.ticks * 60 * MS;
		out->vcpu[i].delay_ns = F.ticks * 40 * MS + i;
		out->vcpu[i].pcpu = (int)i;
	}
	return 0;
}

static const struct virt_ops fake_ops = {
	.name = "fake",
	.connect = f_connect,
	.close = f_close,
	.uri = f_uri,
	.list_domains = f_list,
	.free_domains = f_free_domains,
	.domain_info = f_info,
	.get_vcpu_stats = f_stats,
};

/* ---- tests -------------------------------------------------------------------- */

static void test_watchsrc_backoff_doubles_to_a_cap(void **state)
{
	(void)state;
	assert_int_equal(watchsrc_backoff_ns(1), 1 * SEC);
	assert_int_equal(watchsrc_backoff_ns(2), 2 * SEC);
	assert_int_equal(watchsrc_backoff_ns(3), 4 * SEC);
	assert_int_equal(watchsrc_backoff_ns(5), 16 * SEC);
	assert_int_equal(watchsrc_backoff_ns(6), 30 * SEC);
	assert_int_equal(watchsrc_backoff_ns(1000), 30 * SEC);
	assert_int_equal(watchsrc_backoff_ns(0), 1 * SEC);
}

static void test_watchsrc_sampler_states(void **state)
{
	struct watchsrc_sampler s;
	const struct watch_host *h = &s.host;
	int64_t next;

	(void)state;
	memset(&F, 0, sizeof(F));
	log_set_quiet(1);
	watchsrc_sampler_init(&s, &fake_ops, "fake:///one", 100 * MS);
	assert_int_equal(h->state, WATCH_HOST_CONNECTING);

	/* Nobody answers: unreachable, retried after 1 s, then 2 s. */
	F.refuse = 1;
	next = watchsrc_sampler_step(&s, 10 * SEC);
	assert_int_equal(h->state, WATCH_HOST_UNREACHABLE);
	assert_int_equal(h->attempt, 1);
	assert_int_equal(h->failures_total, 1);
	assert_int_equal(next, 11 * SEC);
	assert_string_equal(h->why, "cannot connect to fake:///one: refused by the fake");
	/* Before the retry time nothing is tried. */
	assert_int_equal(watchsrc_sampler_step(&s, 10 * SEC + 500 * MS), 11 * SEC);
	assert_int_equal(F.connects, 1);
	next = watchsrc_sampler_step(&s, 11 * SEC);
	assert_int_equal(F.connects, 2);
	assert_int_equal(h->attempt, 2);
	assert_int_equal(next, 13 * SEC);
	assert_int_equal(h->since_ns, 10 * SEC);

	/* It answers: up, only the running domains, by name. */
	F.refuse = 0;
	next = watchsrc_sampler_step(&s, 13 * SEC);
	assert_int_equal(h->state, WATCH_HOST_UP);
	assert_int_equal(h->attempt, 0);
	assert_int_equal(h->epoch, 1);
	assert_int_equal(h->seq, 1);
	assert_string_equal(h->why, "");
	assert_int_equal(h->ndoms, 2);
	assert_string_equal(h->doms[0].name, "alpha");
	assert_int_equal(h->doms[0].first, 0);
	assert_int_equal(h->doms[0].nvcpus, 2);
	assert_string_equal(h->doms[1].name, "gamma");
	assert_int_equal(h->doms[1].first, 2);
	assert_int_equal(h->nvcpus, 3);
	assert_int_equal(h->vcpus[1].delay_ns, 40 * MS + 1);
	assert_int_equal(next, 13 * SEC + 100 * MS);
	/* A step that overran skips the deadlines it missed. */
	next = watchsrc_sampler_step(&s, 13 * SEC + 350 * MS);
	assert_int_equal(next, 13 * SEC + 400 * MS);
	assert_int_equal(h->seq, 2);

	/* The connection breaks: lost, closed, retried after 1 s. */
	F.list_fails = 1;
	next = watchsrc_sampler_step(&s, 20 * SEC);
	assert_int_equal(h->state, WATCH_HOST_LOST);
	assert_int_equal(h->since_ns, 20 * SEC);
	assert_int_equal(h->failures_total, 3);
	assert_int_equal(F.closes, 1);
	assert_int_equal(h->ndoms, 0);
	assert_int_equal(next, 21 * SEC);
	assert_non_null(strstr(h->why, "the fake lost it"));
	/* Back: a new connection, a new epoch. */
	F.list_fails = 0;
	watchsrc_sampler_step(&s, 21 * SEC);
	assert_int_equal(h->state, WATCH_HOST_UP);
	assert_int_equal(h->epoch, 2);
	assert_int_equal(h->seq, 3);
	assert_int_equal(F.connects, 4);
	watchsrc_sampler_fini(&s);
	assert_int_equal(F.closes, 2);
	log_set_quiet(0);
}

/* Update @s into @prev/@cur until @done says so, for at most 5 s. */
static void update_until(struct watchsrc *s, struct watch_host *prev, struct watch_host *cur,
			 int (*done)(const struct watch_host *), int *fresh)
{
	struct timespec ts = { 0, 10 * MS };
	int i, r;

	for (i = 0; i < 500; i++) {
		r = watchsrc_update(s, prev, cur);
		assert_true(r >= 0);
		*fresh += r;
		if (done(cur))
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("state %d after 5 s", cur->state);
}

static int two_samples(const struct watch_host *h)
{
	return h->seq >= 3;
}

static int is_dead(const struct watch_host *h)
{
	return h->state == WATCH_HOST_DEAD;
}

/* A sampler of @uri, its fake started with @env set ("" for none); @prev/@cur cleared. */
static struct watchsrc *start(const char *uri, const char *env, struct watch_host *prev,
			      struct watch_host *cur)
{
	struct watchsrc *s = NULL;

	memset(&F, 0, sizeof(F));
	memset(prev, 0, sizeof(*prev));
	memset(cur, 0, sizeof(*cur));
	if (env[0])
		setenv(env, "1", 1);
	assert_int_equal(watchsrc_start(&fake_ops, uri, 20 * MS, &s), 0);
	if (env[0])
		unsetenv(env);
	return s;
}

static void stop(struct watchsrc *s, struct watch_host *prev, struct watch_host *cur)
{
	watchsrc_stop(s);
	watchdata_free(prev);
	watchdata_free(cur);
}

static void test_watchsrc_process_sends_samples(void **state)
{
	struct watch_host prev, cur;
	struct watchsrc *s = start("fake:///proc", "", &prev, &cur);
	int fresh = 0;

	(void)state;
	update_until(s, &prev, &cur, two_samples, &fresh);
	assert_true(fresh >= 1);
	assert_int_equal(cur.state, WATCH_HOST_UP);
	assert_int_equal(cur.epoch, 1);
	assert_int_equal(cur.ndoms, 2);
	assert_string_equal(cur.doms[1].name, "gamma");
	assert_int_equal(cur.nvcpus, 3);
	/* The older sample moved to prev: the counters grew in between. */
	assert_int_equal(prev.ndoms, 2);
	assert_true(prev.seq < cur.seq);
	assert_true(cur.vcpus[0].time_ns > prev.vcpus[0].time_ns);
	assert_true(cur.doms[0].t_ns > prev.doms[0].t_ns);
	stop(s, &prev, &cur);
}

static void test_watchsrc_dead_sampler_is_reported(void **state)
{
	struct watch_host prev, cur;
	struct watchsrc *s = start("fake:///dies", "WATCHSRC_TEST_DIE", &prev, &cur);
	int fresh = 0;

	(void)state;
	log_set_quiet(1);
	update_until(s, &prev, &cur, is_dead, &fresh);
	log_set_quiet(0);
	assert_int_equal(fresh, 0);
	assert_int_equal(cur.ndoms, 0);
	assert_string_equal(cur.why, "its sampler process was killed by signal 9");
	/* Nothing more comes, and stopping a reaped sampler is fine. */
	assert_int_equal(watchsrc_update(s, &prev, &cur), 0);
	stop(s, &prev, &cur);
}

static int is_lost(const struct watch_host *h)
{
	return h->state == WATCH_HOST_LOST;
}

/* A libvirt call that hangs: the host is shown lost after 2 s without a frame. */
static void test_watchsrc_hanging_call_is_lost(void **state)
{
	struct watch_host prev, cur;
	struct watchsrc *s;
	int fresh = 0;

	(void)state;
	assert_int_equal(watchsrc_stale_ns(20 * MS), 2 * SEC);
	assert_int_equal(watchsrc_stale_ns(5 * SEC), 15 * SEC);
	s = start("fake:///hangs", "WATCHSRC_TEST_HANG", &prev, &cur);
	log_set_quiet(1);
	update_until(s, &prev, &cur, two_samples, &fresh);
	update_until(s, &prev, &cur, is_lost, &fresh);
	log_set_quiet(0);
	assert_int_equal(cur.attempt, 0);
	assert_int_equal(cur.ndoms, 0);
	assert_non_null(strstr(cur.why, "a libvirt call is hanging"));
	/* The hanging sampler is stopped all the same. */
	stop(s, &prev, &cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchsrc_backoff_doubles_to_a_cap),
		cmocka_unit_test(test_watchsrc_sampler_states),
		cmocka_unit_test(test_watchsrc_process_sends_samples),
		cmocka_unit_test(test_watchsrc_dead_sampler_is_reported),
		cmocka_unit_test(test_watchsrc_hanging_call_is_lost),
	};

	log_init("test_watchsrc");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
