/*
 * cgquota: see cgquota.h. Only files under the process's own cgroup are
 * touched, and only the child this module created is removed. A v2 child
 * is made "threaded" so that single threads (not the whole process) can be
 * moved into it; the v1 `tasks` file takes thread ids as they are.
 */
#include "experiments/cgquota.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROC_TEXT_MAX (64 * 1024)
#define RMDIR_TRIES 500                /* x 2 ms: exited threads leave within this */

/* Read a small file whole into @buf (NUL-terminated). 0 or -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (used + 1 < len && (n = read(fd, buf + used, len - 1 - used)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			return -e;
		}
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	return 0;
}

/* Write @text to an existing (cgroup) file with one write(2). 0 or -errno. */
static int write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, e;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	e = n < 0 ? errno : 0;
	if (close(fd) && !e)
		e = errno;
	if (!e && (size_t)n != len)
		e = EIO;
	return -e;
}

static int join_path(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Is @word one of the @sep-separated tokens of @list (length @n)? */
static int has_token(const char *list, size_t n, const char *word, const char *sep)
{
	size_t wl = strlen(word), i = 0;

	while (i < n) {
		size_t tl = strcspn(list + i, sep);

		if (tl > n - i)
			tl = n - i;
		if (tl == wl && !strncmp(list + i, word, wl))
			return 1;
		i += tl + 1;
	}
	return 0;
}

/* The cgroup path of this process for @version, from /proc/self/cgroup text. */
static int proc_cgroup_path(const char *text, int version, const char **path, size_t *plen)
{
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		const char *c1 = strchr(line, ':'), *c2;
		size_t ll = end ? (size_t)(end - line) : strlen(line);

		if (c1 && (size_t)(c1 - line) < ll && (c2 = strchr(c1 + 1, ':')) &&
		    (size_t)(c2 - line) < ll) {
			size_t clen = (size_t)(c2 - c1 - 1);
			int match = version == 2 ?
				(c1 - line == 1 && line[0] == '0' && clen == 0) :
				has_token(c1 + 1, clen, "cpu", ",");

			if (match) {
				*path = c2 + 1;
				*plen = ll - (size_t)(c2 + 1 - line);
				return 0;
			}
		}
		if (!end)
			break;
		line = end + 1;
	}
	return -ENOENT;
}

/* Field @i (0-based, space separated) of @line; its length in *n. */
static const char *field(const char *line, size_t ll, int i, size_t *n)
{
	size_t pos = 0;

	while (i-- > 0) {
		while (pos < ll && line[pos] != ' ')
			pos++;
		if (pos >= ll)
			return NULL;
		pos++;
	}
	*n = strcspn(line + pos, " \n");
	if (*n > ll - pos)
		*n = ll - pos;
	return line + pos;
}

int cgquota_find_dir(const char *mountinfo, const char *proc_cgroup, int version,
		     char *out, size_t len)
{
	const char *cg, *line = mountinfo;
	size_t cglen;

	if (proc_cgroup_path(proc_cgroup, version, &cg, &cglen))
		return -ENOENT;
	while (*line) {
		const char *end = strchr(line, '\n'), *dash, *root, *mnt, *fs, *opts;
		size_t ll = end ? (size_t)(end - line) : strlen(line), rl, ml, fl, ol;

		dash = strstr(line, " - ");
		if (dash && (size_t)(dash - line) < ll &&
		    (root = field(line, ll, 3, &rl)) && (mnt = field(line, ll, 4, &ml)) &&
		    (fs = field(dash + 3, ll - (size_t)(dash + 3 - line), 0, &fl)) &&
		    (opts = field(dash + 3, ll - (size_t)(dash + 3 - line), 2, &ol))) {
			int match = version == 2 ? (fl == 7 && !strncmp(fs, "cgroup2", 7)) :
				(fl == 6 && !strncmp(fs, "cgroup", 6) &&
				 has_token(opts, ol, "cpu", ","));

			if (match) {
				const char *rest = cg;
				size_t restlen = cglen;
				int n;

				/* a mount of a sub-tree: the cgroup path is relative to its root */
				if (!(rl == 1 && root[0] == '/') && cglen >= rl &&
				    !strncmp(cg, root, rl)) {
					rest += rl;
					restlen -= rl;
				}
				if (restlen == 1 && rest[0] == '/')
					restlen = 0;
				n = snprintf(out, len, "%.*s%.*s", (int)ml, mnt, (int)restlen, rest);
				return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
			}
		}
		if (!end)
			break;
		line = end + 1;
	}
	return -ENOENT;
}

long cgquota_quota_us(double pct)
{
	long q = (long)(pct / 100.0 * CGQUOTA_PERIOD_US + 0.5);

	return q < 1000 ? 1000 : q;    /* the kernel's minimum quota is 1 ms */
}

static int find_dir(int version, char *out, size_t len)
{
	char *mi, *pc;
	int rc;

	mi = malloc(PROC_TEXT_MAX);
	pc = malloc(PROC_TEXT_MAX);
	rc = mi && pc ? 0 : -ENOMEM;
	if (!rc)
		rc = read_text("/proc/self/mountinfo", mi, PROC_TEXT_MAX);
	if (!rc)
		rc = read_text("/proc/self/cgroup", pc, PROC_TEXT_MAX);
	if (!rc)
		rc = cgquota_find_dir(mi, pc, version, out, len);
	free(mi);
	free(pc);
	return rc;
}

/* Append "<what>: <problem>" to @reason. */
static void add_reason(char *reason, size_t len, const char *what, const char *path, int err)
{
	size_t used = strlen(reason);

	if (used >= len)
		return;
	snprintf(reason + used, len - used, "%s%s%s%s: %s", used ? "; " : "", what,
		 path ? " " : "", path ? path : "", strerror(-err));
}

static int child_name(struct cgquota *q, const char *tag)
{
	int n = snprintf(q->dir, sizeof(q->dir), "%s/stealscope-%ld-%s", q->parent,
			 (long)getpid(), tag);

	return n < 0 || (size_t)n >= sizeof(q->dir) ? -ENAMETOOLONG : 0;
}

/* Undo our "+cpu" in the parent's cgroup.subtree_control (best effort). */
static void restore_subtree(struct cgquota *q)
{
	char path[PATH_MAX];

	if (q->enabled_cpu && !join_path(path, sizeof(path), q->parent, "cgroup.subtree_control"))
		(void)write_text(path, "-cpu");
	q->enabled_cpu = 0;
}

static int try_v2(struct cgquota *q, const char *tag, double pct, char *reason, size_t rlen)
{
	char path[PATH_MAX], buf[512];
	int rc;

	rc = find_dir(2, q->parent, sizeof(q->parent));
	if (rc) {
		add_reason(reason, rlen, "cgroup v2: not mounted or not a member", NULL, rc);
		return rc;
	}
	rc = join_path(path, sizeof(path), q->parent, "cgroup.controllers");
	if (!rc)
		rc = read_text(path, buf, sizeof(buf));
	if (!rc && !has_token(buf, strlen(buf), "cpu", " \n"))
		rc = -ENOTSUP;
	if (rc) {
		add_reason(reason, rlen, "cgroup v2: no cpu controller in", path, rc);
		return rc;
	}
	rc = child_name(q, tag);
	if (!rc && mkdir(q->dir, 0755))
		rc = -errno;
	if (rc) {
		add_reason(reason, rlen, "cgroup v2: mkdir", q->dir, rc);
		return rc;
	}
	snprintf(buf, sizeof(buf), "%ld %d", cgquota_quota_us(pct), CGQUOTA_PERIOD_US);
	rc = join_path(path, sizeof(path), q->dir, "cgroup.type");
	if (!rc)
		rc = write_text(path, "threaded");
	if (!rc) {
		char ctl[512];

		rc = join_path(path, sizeof(path), q->parent, "cgroup.subtree_control");
		if (!rc)
			rc = read_text(path, ctl, sizeof(ctl));
		if (!rc && !has_token(ctl, strlen(ctl), "cpu", " \n")) {
			rc = write_text(path, "+cpu");
			q->enabled_cpu = !rc;
		}
	}
	if (!rc) {
		rc = join_path(path, sizeof(path), q->dir, "cpu.max");
		if (!rc)
			rc = write_text(path, buf);
	}
	if (rc) {
		add_reason(reason, rlen, "cgroup v2: write", path, rc);
		rmdir(q->dir);
		restore_subtree(q);
		return rc;
	}
	q->version = 2;
	return 0;
}

static int try_v1(struct cgquota *q, const char *tag, double pct, char *reason, size_t rlen)
{
	char path[PATH_MAX], buf[32];
	int rc;

	rc = find_dir(1, q->parent, sizeof(q->parent));
	if (rc) {
		add_reason(reason, rlen, "cgroup v1: no cpu controller mounted", NULL, rc);
		return rc;
	}
	rc = child_name(q, tag);
	if (!rc && mkdir(q->dir, 0755))
		rc = -errno;
	if (rc) {
		add_reason(reason, rlen, "cgroup v1: mkdir", q->dir, rc);
		return rc;
	}
	snprintf(buf, sizeof(buf), "%d", CGQUOTA_PERIOD_US);
	rc = join_path(path, sizeof(path), q->dir, "cpu.cfs_period_us");
	if (!rc)
		rc = write_text(path, buf);
	if (!rc) {
		snprintf(buf, sizeof(buf), "%ld", cgquota_quota_us(pct));
		rc = join_path(path, sizeof(path), q->dir, "cpu.cfs_quota_us");
		if (!rc)
			rc = write_text(path, buf);
	}
	if (rc) {
		add_reason(reason, rlen, "cgroup v1: write", path, rc);
		rmdir(q->dir);
		return rc;
	}
	q->version = 1;
	return 0;
}

int cgquota_create(struct cgquota *q, const char *tag, double pct, char *reason,
		   size_t reason_len)
{
	memset(q, 0, sizeof(*q));
	if (reason_len)
		reason[0] = '\0';
	if (!(pct > 0.0 && pct <= 100.0)) {
		add_reason(reason, reason_len, "quota out of range", NULL, -EINVAL);
		return -EINVAL;
	}
	if (!try_v2(q, tag, pct, reason, reason_len))
		return 0;
	memset(q, 0, sizeof(*q));
	if (!try_v1(q, tag, pct, reason, reason_len))
		return 0;
	memset(q, 0, sizeof(*q));
	return -ENOTSUP;
}

static const char *threads_file(const struct cgquota *q)
{
	return q->version == 2 ? "cgroup.threads" : "tasks";
}

int cgquota_add_thread(const struct cgquota *q, pid_t tid)
{
	char path[PATH_MAX], buf[32];
	int rc;

	if (!q->version)
		return log_err(-EINVAL, "cgroup quota: no cgroup");
	rc = join_path(path, sizeof(path), q->dir, threads_file(q));
	if (rc)
		return log_err(rc, "%s/%s: %s", q->dir, threads_file(q), strerror(-rc));
	snprintf(buf, sizeof(buf), "%ld", (long)tid);
	rc = write_text(path, buf);
	if (rc)
		return log_err(rc, "move thread %ld into %s: %s", (long)tid, path, strerror(-rc));
	return 0;
}

const char *cgquota_mechanism(const struct cgquota *q)
{
	if (q->version == 2)
		return "cgroup v2 cpu.max";
	if (q->version == 1)
		return "cgroup v1 cpu.cfs_quota_us";
	return "none";
}

/* Move every thread listed in the child back to the parent (best effort). */
static void evacuate(const struct cgquota *q)
{
	char from[PATH_MAX], to[PATH_MAX], buf[4096], tid[32];
	const char *p;

	if (join_path(from, sizeof(from), q->dir, threads_file(q)) ||
	    join_path(to, sizeof(to), q->parent, threads_file(q)) ||
	    read_text(from, buf, sizeof(buf)))
		return;
	for (p = buf; *p; ) {
		size_t n = strcspn(p, "\n");

		if (n > 0 && n < sizeof(tid)) {
			memcpy(tid, p, n);
			tid[n] = '\0';
			(void)write_text(to, tid);   /* ESRCH: it has exited meanwhile */
		}
		p += n;
		if (*p)
			p++;
	}
}

int cgquota_destroy(struct cgquota *q)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	int tries, e = 0;

	if (!q->version)
		return 0;
	for (tries = 0; tries < RMDIR_TRIES; tries++) {
		evacuate(q);
		if (!rmdir(q->dir) || errno == ENOENT) {
			e = 0;
			break;
		}
		e = errno;
		if (e != EBUSY)
			break;
		nanosleep(&nap, NULL);
	}
	if (e)
		return log_err(-e, "remove cgroup %s: %s (remove it by hand)", q->dir, strerror(e));
	restore_subtree(q);
	q->version = 0;
	return 0;
}
