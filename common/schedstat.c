/*
 * schedstat: see schedstat.h. Reads a thread's "run delay slices" line as raw
 * cumulative nanoseconds, and derives interval percentages from two reads.
 *
 * The reader never computes percentages; schedstat_derive() never touches a
 * file. The line is parsed strictly: exactly three unsigned decimals, or an
 * error saying what was wrong.
 */
#include "common/schedstat.h"

#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Three 20-digit numbers, two blanks and a newline fit with room to spare. */
#define SCHEDSTAT_BUF 128

/*
 * The parse itself, logging nothing: on failure it writes the problem into
 * @why so each caller can log it once with the context it has (a path, an fd).
 */
static int parse_line(const char *buf, size_t len, struct schedstat *out, char *why,
		      size_t whylen)
{
	static const char *const names[] = { "run time", "run delay", "slices" };
	const char *p = buf, *end = buf + len;
	uint64_t v[3];
	int i;

	/* One trailing newline is how the kernel ends it; nothing may follow. */
	if (len > 0 && end[-1] == '\n')
		end--;
	for (i = 0; i < 3; i++) {
		const char *tok;

		p = parse_skip_blanks(p, end);
		if (p == end) {
			snprintf(why, whylen, "%d fields, need exactly 3", i);
			return -EINVAL;
		}
		tok = p;
		if (parse_u64_token(&p, end, &v[i])) {
			int n = p - tok > 32 ? 32 : (int)(p - tok);

			snprintf(why, whylen, "%s '%.*s' is not an unsigned integer", names[i],
				 n, tok);
			return -EINVAL;
		}
	}
	if (parse_skip_blanks(p, end) != end) {
		snprintf(why, whylen, "more than 3 fields");
		return -EINVAL;
	}
	out->run_ns = v[0];
	out->delay_ns = v[1];
	out->slices = v[2];
	return 0;
}

int schedstat_parse(const char *buf, size_t len, struct schedstat *out)
{
	char why[96];

	if (parse_line(buf, len, out, why, sizeof(why)))
		return log_err(-EINVAL, "schedstat: %s", why);
	return 0;
}

int schedstat_path(const char *root, pid_t pid, pid_t tid, char *buf, size_t len)
{
	int n;

	if (pid <= 0 || tid <= 0)
		return log_err(-EINVAL, "schedstat: bad pid %d / tid %d", (int)pid, (int)tid);
	n = snprintf(buf, len, "%s/proc/%d/task/%d/schedstat", root ? root : "", (int)pid,
		     (int)tid);
	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "schedstat: path for %d/%d under '%s' needs %d bytes, have %zu",
			       (int)pid, (int)tid, root ? root : "", n, len);
	return 0;
}

int schedstat_open(const char *root, pid_t pid, pid_t tid)
{
	char path[PATH_MAX];
	int rc, fd;

	rc = schedstat_path(root, pid, tid, path, sizeof(path));
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		return log_err(-err, "open %s: %s", path, strerror(err));
	}
	return fd;
}

/* pread the whole (tiny) file from offset 0 and parse it. Logs nothing. */
static int read_and_parse(int fd, struct schedstat *out, char *why, size_t whylen)
{
	char buf[SCHEDSTAT_BUF];
	ssize_t n;

	n = fileio_read_upto(fd, 0, buf, sizeof(buf));
	if (n < 0) {
		snprintf(why, whylen, "read: %s", strerror((int)-n));
		return (int)n;
	}
	if ((size_t)n == sizeof(buf)) {
		snprintf(why, whylen, "more than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	return parse_line(buf, (size_t)n, out, why, whylen);
}

int schedstat_read_fd(int fd, struct schedstat *out)
{
	char why[96];
	int rc;

	rc = read_and_parse(fd, out, why, sizeof(why));
	if (rc)
		return log_err(rc, "schedstat (fd %d): %s", fd, why);
	return 0;
}

int schedstat_read(const char *root, pid_t pid, pid_t tid, struct schedstat *out)
{
	char path[PATH_MAX], why[96];
	int fd, rc;

	fd = schedstat_open(root, pid, tid);
	if (fd < 0)
		return fd;
	rc = read_and_parse(fd, out, why, sizeof(why));
	close(fd);
	if (rc) {
		/* schedstat_open() built this same path, so it fits. */
		schedstat_path(root, pid, tid, path, sizeof(path));
		return log_err(rc, "%s: %s", path, why);
	}
	return 0;
}

void schedstat_derive(const struct schedstat *prev, const struct schedstat *cur,
		      int64_t wall_ns, struct schedpct *out)
{
	out->run_ns = parse_counter_delta(prev->run_ns, cur->run_ns);
	out->delay_ns = parse_counter_delta(prev->delay_ns, cur->delay_ns);
	if (wall_ns <= 0) {
		out->run_pct = 0.0;
		out->delay_pct = 0.0;
		return;
	}
	/*
	 * Not clamped to 100: the kernel charges run time at ticks and
	 * switches, and run delay when the wait ends, so an interval can be
	 * credited with time that began before it. Showing 103% says so;
	 * clamping would hide it.
	 */
	out->run_pct = 100.0 * (double)out->run_ns / (double)wall_ns;
	out->delay_pct = 100.0 * (double)out->delay_ns / (double)wall_ns;
}
