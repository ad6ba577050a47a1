/*
 * watchsrc: see watchsrc.h. The sampler (a state machine over struct
 * virt_ops), the child process that runs it, and the pipe between them:
 * each step's result goes up as one frame, a header and the raw arrays of
 * struct watch_host. Both ends are this same binary, so the frame is the
 * structs' own bytes; the reader still checks the magic and the sizes.
 *
 * The sampler never computes a rate; the watch process side never calls
 * libvirt.
 */
#include "experiments/watchsrc.h"

#include "common/log.h"
#include "common/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define FRAME_MAGIC 0x57415443u        /* "WATC" */
#define FRAME_MAX_DOMS (1u << 16)
#define FRAME_MAX_VCPUS (1u << 22)
#define STOP_WAIT_NS (1000 * NS_PER_MS)

int64_t watchsrc_stale_ns(int64_t interval_ns)
{
	return 3 * interval_ns > WATCHSRC_STALE_MIN_NS ? 3 * interval_ns : WATCHSRC_STALE_MIN_NS;
}

int64_t watchsrc_backoff_ns(unsigned attempt)
{
	int64_t d = WATCHSRC_BACKOFF_FIRST_NS;
	unsigned i;

	for (i = 1; i < attempt && d < WATCHSRC_BACKOFF_MAX_NS; i++)
		d *= 2;
	return d < WATCHSRC_BACKOFF_MAX_NS ? d : WATCHSRC_BACKOFF_MAX_NS;
}

/* ---- the sampler ---------------------------------------------------------- */

void watchsrc_sampler_init(struct watchsrc_sampler *s, const struct virt_ops *ops,
			   const char *uri, int64_t interval_ns)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->uri = uri;
	s->interval_ns = interval_ns;
	s->host.state = WATCH_HOST_CONNECTING;
}

/* The connection failed or was lost at @now_ns, libvirt saying @why. */
static void set_failed(struct watchsrc_sampler *s, int64_t now_ns, const char *why)
{
	struct watch_host *h = &s->host;
	int state = s->ever_up ? WATCH_HOST_LOST : WATCH_HOST_UNREACHABLE;

	if (h->state != state)
		h->since_ns = now_ns;
	h->state = state;
	h->attempt++;
	h->failures_total++;
	h->retry_ns = now_ns + watchsrc_backoff_ns(h->attempt);
	snprintf(h->why, sizeof(h->why), "%s", why && why[0] ? why : "unknown error");
	h->ndoms = 0;
	h->nvcpus = 0;
}

/*
 * Append the statistics of @d to s->host if it runs. A domain that
 * vanished since the listing, or whose statistics fail, is left out and
 * counted in *@skipped (the op has logged why). Returns 0 or -ENOMEM.
 */
static int sample_domain(struct watchsrc_sampler *s, struct virt_domain *d, size_t *skipped)
{
	struct watch_host *h = &s->host;
	struct virt_dom_info info;
	struct virtstats_dom st;
	struct watch_dom *wd;
	size_t cap;

	if (s->ops->domain_info(d, &info)) {
		(*skipped)++;
		return 0;
	}
	if (info.state != VIRT_DOM_RUNNING)
		return 0;
	/* vCPU numbers may be sparse up to the hotplug limit. */
	cap = info.max_vcpus > info.nvcpus ? info.max_vcpus : info.nvcpus;
	if (cap == 0)
		cap = 1;
	if (watchdata_grow((void **)&s->buf, &s->buf_cap, cap, sizeof(*s->buf)))
		return log_err(-ENOMEM, "%s: domain %s: %zu vCPUs: out of memory", s->uri,
			       info.name, cap);
	virtstats_dom_init(&st, s->buf, cap);
	if (s->ops->get_vcpu_stats(d, info.nvcpus, &st)) {
		(*skipped)++;
		return 0;
	}
	if (watchdata_reserve(h, h->ndoms + 1, h->nvcpus + st.nvcpus))
		return log_err(-ENOMEM, "%s: domain %s: out of memory", s->uri, info.name);
	wd = &h->doms[h->ndoms++];
	snprintf(wd->name, sizeof(wd->name), "%s", info.name);
	wd->t_ns = st.t_ns;
	wd->first = h->nvcpus;
	wd->nvcpus = st.nvcpus;
	memcpy(&h->vcpus[h->nvcpus], st.vcpu, st.nvcpus * sizeof(*st.vcpu));
	h->nvcpus += st.nvcpus;
	return 0;
}

/* A sample of every running domain into s->host. Returns 0 or -errno. */
static int sample_all(struct watchsrc_sampler *s, size_t *skipped)
{
	struct virt_domain **doms = NULL;
	size_t n = 0, i;
	int err;

	err = s->ops->list_domains(s->conn, &doms, &n);
	if (err)
		return err;
	s->host.ndoms = 0;
	s->host.nvcpus = 0;
	for (i = 0; i < n && !err; i++)
		err = sample_domain(s, doms[i], skipped);
	s->ops->free_domains(doms, n);
	return err;
}

int64_t watchsrc_sampler_step(struct watchsrc_sampler *s, int64_t now_ns)
{
	struct watch_host *h = &s->host;
	size_t skipped = 0;
	int64_t late;

	if (!s->conn) {
		if (h->state != WATCH_HOST_CONNECTING && now_ns < h->retry_ns)
			return h->retry_ns;
		if (s->ops->connect(s->uri, VIRT_CONNECT_RO, &s->conn)) {
			s->conn = NULL;
			set_failed(s, now_ns, log_last_error());
			return h->retry_ns;
		}
		h->epoch++;
		s->next_ns = now_ns;
	}
	if (sample_all(s, &skipped)) {
		set_failed(s, now_ns, log_last_error());
		s->ops->close(s->conn);
		s->conn = NULL;
		return h->retry_ns;
	}
	if (h->state != WATCH_HOST_UP)
		h->since_ns = now_ns;
	h->state = WATCH_HOST_UP;
	h->attempt = 0;
	h->seq++;
	if (skipped)
		snprintf(h->why, sizeof(h->why), "%zu domain%s not sampled", skipped,
			 skipped == 1 ? "" : "s");
	else
		h->why[0] = '\0';
	s->ever_up = 1;
	/* The next deadline on the grid; a step that overran skips the missed ones. */
	s->next_ns += s->interval_ns;
	if (s->next_ns <= now_ns) {
		late = now_ns - s->next_ns;
		s->next_ns += (late / s->interval_ns + 1) * s->interval_ns;
	}
	return s->next_ns;
}

void watchsrc_sampler_fini(struct watchsrc_sampler *s)
{
	if (s->conn)
		s->ops->close(s->conn);
	s->conn = NULL;
	free(s->buf);
	s->buf = NULL;
	watchdata_free(&s->host);
}

/* ---- frames ---------------------------------------------------------------- */

struct frame_hdr {
	uint32_t magic;
	int32_t state;
	uint64_t ndoms;
	uint64_t nvcpus;
	uint64_t seq;
	uint64_t epoch;
	uint64_t failures_total;
	uint32_t attempt;
	uint32_t reserved;
	int64_t since_ns;
	int64_t retry_ns;
	char why[WATCH_WHY_MAX];
};

static size_t frame_size(const struct frame_hdr *f)
{
	return sizeof(*f) + f->ndoms * sizeof(struct watch_dom) +
	       f->nvcpus * sizeof(struct virtstats_vcpu);
}

/* Write all of @buf to @fd. Returns 0 or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_frame(int fd, const struct watch_host *h)
{
	struct frame_hdr f;
	int err;

	memset(&f, 0, sizeof(f));
	f.magic = FRAME_MAGIC;
	f.state = h->state;
	f.ndoms = h->ndoms;
	f.nvcpus = h->nvcpus;
	f.seq = h->seq;
	f.epoch = h->epoch;
	f.failures_total = h->failures_total;
	f.attempt = h->attempt;
	f.since_ns = h->since_ns;
	f.retry_ns = h->retry_ns;
	memcpy(f.why, h->why, sizeof(f.why));
	err = write_all(fd, &f, sizeof(f));
	if (!err && h->ndoms)
		err = write_all(fd, h->doms, h->ndoms * sizeof(*h->doms));
	if (!err && h->nvcpus)
		err = write_all(fd, h->vcpus, h->nvcpus * sizeof(*h->vcpus));
	return err;
}

/* ---- the sampler process ------------------------------------------------------ */

/* Runs in the child: sample, send, sleep, until the watch process goes away. */
__attribute__((noreturn))
static void child_main(const struct virt_ops *ops, const char *uri, int64_t interval_ns,
		       int wfd)
{
	struct watchsrc_sampler s;
	int64_t next;

	watchsrc_sampler_init(&s, ops, uri, interval_ns);
	for (;;) {
		next = watchsrc_sampler_step(&s, mono_ns());
		if (send_frame(wfd, &s.host))
			break;                 /* the reading end is gone */
		while (sleep_until_ns(next) == -EINTR) {
			/* only SIGTERM ends us, by its default action */
		}
	}
	watchsrc_sampler_fini(&s);
	_exit(0);
}

/* In the child right after fork(): die with the parent, keep only @wfd and stdio. */
static void child_setup(pid_t parent, int wfd)
{
	struct sigaction sa;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(0);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;       /* Ctrl-C is the watch process's to handle */
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	if (wfd > 3)
		close_range(3, (unsigned)wfd - 1, 0);
	close_range((unsigned)wfd + 1, ~0u, 0);
	/* The watch process says what matters, from the frames: once per change. */
	log_set_quiet(1);
}

struct watchsrc {
	const char *uri;
	pid_t pid;                     /* 0 once reaped */
	int fd;                        /* the pipe's reading end; -1 after end of file */
	char *rx;                      /* bytes received, not yet a whole frame */
	size_t len, cap;
	int64_t stale_ns;              /* no frame for this long while up: lost */
	int64_t last_frame_ns;         /* CLOCK_MONOTONIC of the newest frame */
};

int watchsrc_start(const struct virt_ops *ops, const char *uri, int64_t interval_ns,
		   struct watchsrc **out)
{
	struct watchsrc *s;
	pid_t parent = getpid();
	int p[2], err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return log_err(-ENOMEM, "%s: out of memory", uri);
	s->uri = uri;
	s->stale_ns = watchsrc_stale_ns(interval_ns);
	s->last_frame_ns = mono_ns();
	if (pipe2(p, O_CLOEXEC)) {
		err = log_err(-errno, "%s: pipe: %s", uri, strerror(errno));
		goto fail_free;
	}
	/* Nothing buffered may be written twice, by both processes. */
	fflush(stdout);
	fflush(stderr);
	s->pid = fork();
	if (s->pid < 0) {
		err = log_err(-errno, "%s: fork: %s", uri, strerror(errno));
		goto fail_pipe;
	}
	if (s->pid == 0) {
		close(p[0]);
		child_setup(parent, p[1]);
		child_main(ops, uri, interval_ns, p[1]);
	}
	close(p[1]);
	s->fd = p[0];
	if (fcntl(s->fd, F_SETFL, O_NONBLOCK)) {
		err = log_err(-errno, "%s: fcntl(O_NONBLOCK): %s", uri, strerror(errno));
		watchsrc_stop(s);
		return err;
	}
	*out = s;
	return 0;

fail_pipe:
	close(p[0]);
	close(p[1]);
fail_free:
	free(s);
	return err;
}

/* Read what is there. Returns 0 (*@eof set at end of file) or -ENOMEM. */
static int drain(struct watchsrc *s, int *eof)
{
	ssize_t n;
	char *nb;

	*eof = 0;
	for (;;) {
		if (s->cap - s->len < 65536) {
			nb = realloc(s->rx, s->cap + 65536);
			if (!nb)
				return log_err(-ENOMEM, "%s: sampler data: out of memory", s->uri);
			s->rx = nb;
			s->cap += 65536;
		}
		n = read(s->fd, s->rx + s->len, s->cap - s->len);
		if (n > 0) {
			s->len += (size_t)n;
			continue;
		}
		if (n == 0)
			*eof = 1;
		else if (errno == EINTR)
			continue;
		/* EAGAIN: all read; another error reads as the end */
		else if (errno != EAGAIN)
			*eof = 1;
		return 0;
	}
}

/*
 * The offset of the last whole frame in s->rx and the end of the whole
 * frames, or -EPROTO for bytes that are no frame.
 */
static int last_frame(const struct watchsrc *s, size_t *last, size_t *end)
{
	struct frame_hdr f;
	size_t off = 0, size;
	int found = 0;

	while (s->len - off >= sizeof(f)) {
		memcpy(&f, s->rx + off, sizeof(f));
		if (f.magic != FRAME_MAGIC || f.ndoms > FRAME_MAX_DOMS ||
		    f.nvcpus > FRAME_MAX_VCPUS || f.state < WATCH_HOST_CONNECTING ||
		    f.state > WATCH_HOST_LOST)
			return -EPROTO;
		size = frame_size(&f);
		if (s->len - off < size)
			break;
		*last = off;
		found = 1;
		off += size;
	}
	*end = off;
	return found;
}

/* Say a change of state once, with libvirt's message. */
static void log_change(const char *uri, const struct watch_host *old, const struct watch_host *h)
{
	if (h->state == old->state)
		return;
	switch (h->state) {
	case WATCH_HOST_UNREACHABLE:
	case WATCH_HOST_LOST:
		if (!h->attempt) {
			log_warn("%s: %s: %s", uri, watchdata_state_name(h->state), h->why);
			break;
		}
		log_warn("%s: %s: %s; retrying after %lld s, doubling up to %lld s", uri,
			 watchdata_state_name(h->state), h->why,
			 (long long)(WATCHSRC_BACKOFF_FIRST_NS / NS_PER_SEC),
			 (long long)(WATCHSRC_BACKOFF_MAX_NS / NS_PER_SEC));
		break;
	case WATCH_HOST_UP:
		if (old->state != WATCH_HOST_CONNECTING)
			log_info("%s: up again", uri);
		break;
	case WATCH_HOST_DEAD:
		log_warn("%s: %s", uri, h->why);
		break;
	default:
		break;
	}
}

/*
 * An up host whose sampler sent nothing for s->stale_ns is stuck in a
 * libvirt call (a host that stopped answering mid-call: TCP keeps waiting).
 * Say it is lost until a frame comes again; its counters are dropped, not
 * exposed stale.
 */
static void check_stale(struct watchsrc *s, struct watch_host *cur, int64_t now_ns)
{
	struct watch_host old = *cur;

	if (cur->state != WATCH_HOST_UP || now_ns - s->last_frame_ns <= s->stale_ns)
		return;
	cur->state = WATCH_HOST_LOST;
	cur->since_ns = s->last_frame_ns;
	cur->attempt = 0;                      /* no attempt: the old call still waits */
	cur->retry_ns = 0;
	cur->ndoms = 0;
	cur->nvcpus = 0;
	snprintf(cur->why, sizeof(cur->why), "no answer for %.1f s: a libvirt call is hanging",
		 (double)(now_ns - s->last_frame_ns) / NS_PER_SEC);
	log_change(s->uri, &old, cur);
}

/* The newest frame, at @off of s->rx, into @prev/@cur. Returns 1 for a new sample. */
static int take_frame(struct watchsrc *s, size_t off, struct watch_host *prev,
		      struct watch_host *cur)
{
	struct frame_hdr f;
	struct watch_host old = *cur;
	const char *p = s->rx + off + sizeof(f);
	int fresh;

	memcpy(&f, s->rx + off, sizeof(f));
	fresh = f.state == WATCH_HOST_UP && f.seq != cur->seq;
	if (fresh) {
		watchdata_swap(prev, cur);
		if (watchdata_reserve(cur, f.ndoms, f.nvcpus))
			return log_err(-ENOMEM, "%s: sample of %llu vCPUs: out of memory", s->uri,
				       (unsigned long long)f.nvcpus);
		memcpy(cur->doms, p, f.ndoms * sizeof(*cur->doms));
		memcpy(cur->vcpus, p + f.ndoms * sizeof(*cur->doms),
		       f.nvcpus * sizeof(*cur->vcpus));
		cur->ndoms = f.ndoms;
		cur->nvcpus = f.nvcpus;
	} else if (f.state != WATCH_HOST_UP) {
		cur->ndoms = 0;
		cur->nvcpus = 0;
	}
	cur->state = f.state;
	cur->seq = f.seq;
	cur->epoch = f.epoch;
	cur->failures_total = f.failures_total;
	cur->attempt = f.attempt;
	cur->since_ns = f.since_ns;
	cur->retry_ns = f.retry_ns;
	memcpy(cur->why, f.why, sizeof(cur->why));
	cur->why[sizeof(cur->why) - 1] = '\0';
	log_change(s->uri, &old, cur);
	return fresh;
}

/* The sampler's pipe ended: reap it and say how it ended. */
static void ended(struct watchsrc *s, struct watch_host *cur)
{
	struct watch_host old = *cur;
	int status = 0;
	pid_t r;

	close(s->fd);
	s->fd = -1;
	do {
		r = waitpid(s->pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	s->pid = 0;
	cur->state = WATCH_HOST_DEAD;
	cur->ndoms = 0;
	cur->nvcpus = 0;
	if (r > 0 && WIFSIGNALED(status))
		snprintf(cur->why, sizeof(cur->why), "its sampler process was killed by signal %d",
			 WTERMSIG(status));
	else if (r > 0 && WIFEXITED(status))
		snprintf(cur->why, sizeof(cur->why), "its sampler process exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(cur->why, sizeof(cur->why), "its sampler process ended");
	log_change(s->uri, &old, cur);
}

int watchsrc_update(struct watchsrc *s, struct watch_host *prev, struct watch_host *cur)
{
	size_t last = 0, end = 0;
	int eof = 0, found, fresh = 0, err;

	if (s->fd < 0)
		return 0;
	err = drain(s, &eof);
	if (err)
		return err;
	found = last_frame(s, &last, &end);
	if (found < 0) {
		/* Never expected from our own child: stop listening to it. */
		log_warn("%s: the sampler sent data that is no frame; stopping it", s->uri);
		kill(s->pid, SIGKILL);
		s->len = 0;
		ended(s, cur);
		return 0;
	}
	if (found) {
		s->last_frame_ns = mono_ns();
		fresh = take_frame(s, last, prev, cur);
		if (fresh < 0)
			return fresh;
		memmove(s->rx, s->rx + end, s->len - end);
		s->len -= end;
	}
	if (eof)
		ended(s, cur);
	else
		check_stale(s, cur, mono_ns());
	return fresh;
}

void watchsrc_stop(struct watchsrc *s)
{
	int64_t deadline;
	pid_t r;

	if (!s)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		deadline = mono_ns() + STOP_WAIT_NS;
		while ((r = waitpid(s->pid, NULL, WNOHANG)) == 0 && mono_ns() < deadline)
			usleep(5000);
		if (r == 0) {
			kill(s->pid, SIGKILL);
			while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {
				/* again */
			}
		}
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->rx);
	free(s);
}
