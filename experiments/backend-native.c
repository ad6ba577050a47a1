/*
 * backend-native: see backend-native.h. The threads sleep on one condition
 * variable with absolute CLOCK_MONOTONIC deadlines (pthread_cond_timedwait
 * is the clock_nanosleep(TIMER_ABSTIME) of a thread that must also wake at
 * once when told to stop, with no lost-wake-up race); their busy loops read
 * only the vDSO clock and an atomic stop flag.
 */
#include "experiments/backend-native.h"

#include "common/log.h"
#include "common/memtouch.h"
#include "common/timeutil.h"
#include "guest-tools/workunit.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define NATIVE_MAX_THREADS (SPEC_MAX_VCPUS + SPEC_MAX_CONTENTION)
#define SPIN_CHUNK_LOOPS 256           /* a few us between clock reads in busy loops */

/* ---- stamps ------------------------------------------------------------------- */

int stampbuf_init(struct stampbuf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if (cap == 0)
		return 0;
	b->v = calloc(cap, sizeof(*b->v));
	if (!b->v)
		return log_err(-ENOMEM, "progress stamps: %zu entries", cap);
	mem_touch(b->v, cap * sizeof(*b->v));      /* no page faults in the vCPU loop */
	b->cap = cap;
	return 0;
}

void stampbuf_push(struct stampbuf *b, int64_t t_ns, int task, uint64_t unit)
{
	struct native_stamp *s;

	if (b->n >= b->cap) {
		b->dropped++;
		return;
	}
	s = &b->v[b->n++];
	s->t_ns = t_ns;
	s->unit = (uint32_t)unit;
	s->task = (uint16_t)task;
}

void stampbuf_free(struct stampbuf *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}

int native_tasks_on_vcpu(const struct spec *s, int vcpu)
{
	if (s->vcpus <= 0 || vcpu < 0 || vcpu >= s->vcpus || vcpu >= s->tasks)
		return 0;
	return (s->tasks - vcpu + s->vcpus - 1) / s->vcpus;
}

size_t native_stamp_capacity(const struct spec *s, int vcpu)
{
	int n = native_tasks_on_vcpu(s, vcpu);
	double est;

	if (s->workload != SPEC_WORKLOAD_SCHED || n == 0)
		return 0;
	est = (double)s->duration_ns / (double)s->unit_work_ns * 1.25 + 1024.0;
	if (s->units > 0 && (double)s->units * n < est)
		est = (double)s->units * n;
	return est > NATIVE_STAMPS_MAX ? NATIVE_STAMPS_MAX : (size_t)est;
}

double native_progress_pct(const struct spec *s, int tasks_on_vcpu, uint64_t unit)
{
	double whole;

	if (s->units > 0)
		return 100.0 * (double)(unit + 1) / (double)s->units;
	if (tasks_on_vcpu < 1)
		tasks_on_vcpu = 1;
	whole = (double)s->duration_ns / ((double)s->unit_work_ns * tasks_on_vcpu);
	return 100.0 * (double)(unit + 1) / whole;
}

/* ---- round-robin -------------------------------------------------------------- */

void native_rr_init(struct native_rr *rr, const struct spec *s, int vcpu, int64_t start_ns)
{
	int j;

	memset(rr, 0, sizeof(*rr));
	for (j = vcpu; j < s->tasks && rr->ntasks < NATIVE_MAX_TASKS; j += s->vcpus)
		rr->task_id[rr->ntasks++] = j;
	rr->left = rr->ntasks;
	rr->cur = rr->ntasks ? 0 : -1;
	rr->units = s->units;
	rr->slice_ns = s->slice_ns > 0 ? s->slice_ns : 1;
	rr->origin_ns = start_ns;
	rr->tick_ns = start_ns + rr->slice_ns;
}

int native_rr_unit_done(struct native_rr *rr, int64_t now_ns)
{
	int i, k, finished, ticked;

	if (rr->cur < 0)
		return -1;
	k = rr->cur;
	rr->done[k]++;
	finished = rr->units > 0 && rr->done[k] >= (uint64_t)rr->units;
	if (finished)
		rr->left--;
	ticked = now_ns >= rr->tick_ns;
	if (ticked)
		rr->tick_ns = rr->origin_ns +
			((now_ns - rr->origin_ns) / rr->slice_ns + 1) * rr->slice_ns;
	if (rr->left == 0) {
		rr->cur = -1;
		return -1;
	}
	if (!finished && !ticked)
		return k;
	for (i = 1; i <= rr->ntasks; i++) {
		int c = (k + i) % rr->ntasks;

		if (rr->units == 0 || rr->done[c] < (uint64_t)rr->units) {
			rr->cur = c;
			return c;
		}
	}
	rr->cur = -1;                  /* not reached: left > 0 */
	return -1;
}

/* ---- threads ------------------------------------------------------------------ */

enum thread_kind { TK_VCPU, TK_HOG };

/*
 * Who touches what: the main thread fills a native_thread before creating
 * it; the thread then owns tid and stamps, and publishes tid and err by
 * taking mu to count itself ready, which native_start() waits for. stamps
 * go back to the main thread through pthread_join(). spec and loops never
 * change once there are threads.
 */
struct native_thread {
	struct native_run *run;
	pthread_t th;
	int created;                   /* main thread only */
	enum thread_kind kind;
	int index;                     /* vCPU number or contention section */
	pid_t tid;
	int err;                       /* setup error, -errno; written under mu */
	struct stampbuf stamps;        /* vCPUs only */
};

struct native_run {
	struct spec spec;
	uint64_t loops;
	pthread_mutex_t mu;            /* guards nready, go, t0_ns and the writes of stop */
	pthread_cond_t cv;             /* on CLOCK_MONOTONIC */
	int nready;
	int go;                        /* 1: go, -1: abort */
	int stop;                      /* every loop ends; read under mu or with stopped() */
	int64_t t0_ns;
	int nthreads;
	int joined;
	struct native_thread th[NATIVE_MAX_THREADS];
};

/* Lock-free, for the busy loops. Relaxed is enough: stop publishes no data
 * (native_stop() stores it under mu, and the waits read it under mu). */
static int stopped(struct native_run *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_RELAXED);
}

/* Sleep until @deadline_ns or a stop request. Returns 1 when stopped. */
static int wait_until(struct native_run *r, int64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = deadline_ns / NS_PER_SEC, .tv_nsec = deadline_ns % NS_PER_SEC,
	};
	int st;

	pthread_mutex_lock(&r->mu);
	while (!r->stop && mono_ns() < deadline_ns)
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	st = r->stop;
	pthread_mutex_unlock(&r->mu);
	return st;
}

/*
 * Wait for native_stop(). A thread that has finished its part stays alive
 * until then, so the sampler's last read of its schedstat (at the end of the
 * run) still finds it.
 */
static void wait_stop(struct native_run *r)
{
	pthread_mutex_lock(&r->mu);
	while (!r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

/* Busy until @until_ns or a stop request; returns the clock when it ended. */
static int64_t spin_until(struct native_run *r, int64_t until_ns, uint64_t *acc)
{
	int64_t now = mono_ns();

	while (now < until_ns && !stopped(r)) {
		*acc = workunit_spin(SPIN_CHUNK_LOOPS, *acc);
		now = mono_ns();
	}
	return now;
}

/* The sched load: units round-robin between this vCPU's tasks, one stamp each. */
static void vcpu_sched(struct native_thread *t, int64_t t0, int64_t end, uint64_t *acc)
{
	struct native_run *r = t->run;
	struct native_rr rr;
	uint64_t loops = r->loops;
	int64_t now;
	int k;

	native_rr_init(&rr, &r->spec, t->index, t0);
	k = rr.cur;
	while (k >= 0 && !stopped(r)) {
		*acc = workunit_spin(loops, *acc);
		now = mono_ns();
		if (now >= end)
			return;                /* a unit that ends after the run is not counted */
		stampbuf_push(&t->stamps, now - t0, rr.task_id[k], rr.done[k]);
		k = native_rr_unit_done(&rr, now);
	}
	if (k < 0)
		wait_until(r, end);    /* every task done: the vCPU idles */
}

static void vcpu_main(struct native_thread *t, int64_t t0)
{
	struct native_run *r = t->run;
	int64_t end = t0 + r->spec.duration_ns;
	volatile uint64_t sink;
	uint64_t acc = 0x9e3779b97f4a7c15ULL * (uint64_t)(t->index + 1);

	if (wait_until(r, t0))
		return;
	switch (r->spec.workload) {
	case SPEC_WORKLOAD_SCHED:
		vcpu_sched(t, t0, end, &acc);
		break;
	case SPEC_WORKLOAD_INF_LOOP:
		spin_until(r, end, &acc);
		break;
	case SPEC_WORKLOAD_IDLE:
		wait_until(r, end);
		break;
	}
	sink = acc;                    /* keep the work observable */
	(void)sink;
}

/*
 * The duty cycle on a fixed grid of periods from the window's start, as
 * inf-loop does it: busy from each period's start for busy_ns, asleep to
 * the next one. A period it fell behind on is skipped, not made up for.
 */
static void hog_main(struct native_thread *t, int64_t t0)
{
	struct native_run *r = t->run;
	const struct spec_contention *c = &r->spec.contention[t->index];
	int64_t start = t0 + c->start_ns, end = t0 + c->end_ns, period = c->period_ns;
	int64_t busy = (int64_t)((double)period * c->duty_pct / 100.0 + 0.5);
	int64_t k, now;
	volatile uint64_t sink;
	uint64_t acc = 0x2545f4914f6cdd1dULL;

	if (busy > period)
		busy = period;
	if (wait_until(r, start))
		return;
	now = mono_ns();
	for (k = 0; !stopped(r); k++) {
		int64_t pstart = start + k * period;
		int64_t busy_end = pstart + busy < end ? pstart + busy : end;
		int64_t next = pstart + period < end ? pstart + period : end;

		if (pstart >= end)
			break;
		if (now < busy_end)
			now = spin_until(r, busy_end, &acc);
		if (stopped(r) || now >= end)
			break;
		if (busy < period) {
			if (wait_until(r, next))
				break;
			now = mono_ns();
		}
		if (now >= next + period)
			k = (now - start) / period - 1;
	}
	sink = acc;
	(void)sink;
}

static int thread_setup(struct native_thread *t)
{
	const struct spec *s = &t->run->spec;

	if (t->kind == TK_VCPU) {
		/* fault the buffer in here, so no page fault lands in the measured loop */
		if (t->stamps.cap)
			memset(t->stamps.v, 0, t->stamps.cap * sizeof(*t->stamps.v));
		return 0;
	}
	/*
	 * nice is per thread on Linux: PRIO_PROCESS with a tid sets just this
	 * one. No logging here: hogs set up concurrently, and log_err() keeps
	 * the last error in one unlocked buffer; native_start() logs for us.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)t->tid, s->contention[t->index].nice))
		return -errno;
	return 0;
}

/* Say why thread @t's setup failed (main thread only: see thread_setup()). */
static void log_setup_error(const struct native_thread *t)
{
	const struct spec_contention *c = &t->run->spec.contention[t->index];

	log_err(t->err, "contention %d (CPU %d): setpriority(nice %d): %s", t->index, c->cpu,
		c->nice, strerror(-t->err));
}

static void *thread_main(void *arg)
{
	struct native_thread *t = arg;
	struct native_run *r = t->run;
	int64_t t0;
	int err, go;

	t->tid = gettid();
	err = thread_setup(t);
	pthread_mutex_lock(&r->mu);
	t->err = err;
	r->nready++;
	pthread_cond_broadcast(&r->cv);
	while (!r->go && !r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	go = r->go > 0 && !r->stop && !err;
	t0 = r->t0_ns;
	pthread_mutex_unlock(&r->mu);
	if (!go)
		return NULL;
	if (t->kind == TK_VCPU)
		vcpu_main(t, t0);
	else
		hog_main(t, t0);
	wait_stop(r);
	return NULL;
}

/*
 * Create a thread pinned to @cpu (SPEC_PIN_ANY: unpinned) with SIGINT and
 * SIGTERM blocked, so those reach the main thread only.
 */
static int create_pinned(pthread_t *th, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t block, old;
	cpu_set_t set;
	int rc;

	pthread_attr_init(&attr);
	if (cpu != SPEC_PIN_ANY) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(th, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -rc;
}

struct calib_job {
	int64_t unit_work_ns;
	struct calib *out;
};

static void *calib_main(void *arg)
{
	struct calib_job *job = arg;

	calibrate_unit(job->unit_work_ns, job->out);
	return NULL;
}

int native_calibrate(const struct spec *s, struct calib *out)
{
	struct calib_job job = { .unit_work_ns = s->unit_work_ns, .out = out };
	pthread_t th;
	int rc;

	rc = create_pinned(&th, s->pins[0], calib_main, &job);
	if (rc)
		return log_err(rc, "calibration thread on CPU %d: %s", s->pins[0], strerror(-rc));
	pthread_join(th, NULL);
	return 0;
}

static int add_thread(struct native_run *r, enum thread_kind kind, int index, int cpu)
{
	struct native_thread *t = &r->th[r->nthreads];
	int rc;

	t->run = r;
	t->kind = kind;
	t->index = index;
	if (kind == TK_VCPU) {
		rc = stampbuf_init(&t->stamps, native_stamp_capacity(&r->spec, index));
		if (rc)
			return rc;
	}
	r->nthreads++;
	rc = create_pinned(&t->th, cpu, thread_main, t);
	if (rc)
		return log_err(rc, "%s %d thread on CPU %d: %s",
			       kind == TK_VCPU ? "vCPU" : "contention", index, cpu, strerror(-rc));
	t->created = 1;
	return 0;
}

int native_start(const struct spec *s, uint64_t loops_per_unit, struct native_run **out)
{
	struct native_run *r;
	pthread_condattr_t ca;
	int i, rc = 0, created = 0;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return log_err(-ENOMEM, "native run");
	r->spec = *s;
	r->loops = loops_per_unit ? loops_per_unit : 1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);

	for (i = 0; i < s->vcpus && !rc; i++)
		rc = add_thread(r, TK_VCPU, i, s->pins[i]);
	for (i = 0; i < s->n_contention && !rc; i++)
		rc = add_thread(r, TK_HOG, i, s->contention[i].cpu);
	for (i = 0; i < r->nthreads; i++)
		created += r->th[i].created;

	pthread_mutex_lock(&r->mu);
	while (r->nready < created)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < r->nthreads; i++) {
		if (!r->th[i].err)
			continue;
		log_setup_error(&r->th[i]);
		if (!rc)
			rc = r->th[i].err;
	}
	if (rc) {
		native_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

pid_t native_vcpu_tid(const struct native_run *r, int i)
{
	return i >= 0 && i < r->spec.vcpus ? r->th[i].tid : 0;
}

void native_go(struct native_run *r, int64_t t0_ns)
{
	pthread_mutex_lock(&r->mu);
	r->t0_ns = t0_ns;
	r->go = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void native_stop(struct native_run *r)
{
	pthread_mutex_lock(&r->mu);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	if (!r->go)
		r->go = -1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

int native_join(struct native_run *r)
{
	int i, rc = 0;

	if (r->joined)
		return 0;
	native_stop(r);
	for (i = 0; i < r->nthreads; i++) {
		if (r->th[i].created)
			pthread_join(r->th[i].th, NULL);
		r->th[i].created = 0;
		if (!rc)
			rc = r->th[i].err;
	}
	r->joined = 1;
	return rc;
}

void native_take_stamps(struct native_run *r, int i, struct stampbuf *out)
{
	*out = r->th[i].stamps;
	memset(&r->th[i].stamps, 0, sizeof(r->th[i].stamps));
}

void native_free(struct native_run *r)
{
	int i;

	if (!r)
		return;
	native_join(r);
	for (i = 0; i < r->nthreads; i++)
		stampbuf_free(&r->th[i].stamps);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
