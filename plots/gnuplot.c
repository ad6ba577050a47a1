/*
 * gnuplot: see gnuplot.h. The child is started with fork/execv, reads the
 * script from a pipe and writes its diagnostics to another pipe that the
 * parent drains while it writes (a chatty gnuplot must not block on a full
 * stderr pipe while we block on its full stdin). Every path out of
 * gnuplot_run_timeout() reaps the child. This file never opens /proc and
 * never interprets a plot's data.
 */
#include "plots/gnuplot.h"
#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GNUPLOT_NOT_FOUND_MSG \
	"gnuplot not found: install gnuplot-nox (apt-get install gnuplot-nox)"

/* How much of gnuplot's stderr we keep; log_err() truncates long lines anyway. */
#define CAPTURE_MAX 4096
/* The stop flag (cli.h) is looked at this often while gnuplot runs. */
#define STOP_CHECK_MS 100

/* ---- finding the executable ------------------------------------------- */

int gnuplot_find_in(const char *dirs, char *out, size_t len)
{
	const char *p = dirs ? dirs : "";

	while (*p) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		char cand[PATH_MAX];
		struct stat st;
		int n;

		if (dlen == 0 || dlen >= sizeof(cand))
			goto next;
		n = snprintf(cand, sizeof(cand), "%.*s/gnuplot", (int)dlen, p);
		if (n < 0 || (size_t)n >= sizeof(cand))
			goto next;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			if ((size_t)n >= len)
				return log_err(-ENAMETOOLONG, "gnuplot path %s too long", cand);
			memcpy(out, cand, (size_t)n + 1);
			return 0;
		}
next:
		p += dlen;
		if (*p == ':')
			p++;
	}
	return log_err(GNUPLOT_EMISSING, GNUPLOT_NOT_FOUND_MSG);
}

int gnuplot_find(char *out, size_t len)
{
	const char *path = getenv("PATH");

	return gnuplot_find_in(path ? path : "/usr/bin:/bin", out, len);
}

/* ---- running it ---------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Child side: only async-signal-safe calls between fork and exec. */
static void __attribute__((noreturn))
child_exec(const char *exe, const char *workdir, int in_fd, int err_fd, int null_fd)
{
	static const char chdir_msg[] = "cannot chdir to the work directory\n";
	static const char exec_msg[] = "cannot execute gnuplot\n";
	char *const argv[] = { (char *)"gnuplot", (char *)"/dev/stdin", NULL };
	int in2, null2, err2;

	/*
	 * Move the three ends above 2 first: if the caller had closed one of
	 * its standard streams, a pipe end may sit on 0..2 and a direct dup2()
	 * chain could overwrite it. dup2() then clears close-on-exec.
	 */
	in2 = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
	null2 = fcntl(null_fd, F_DUPFD_CLOEXEC, 3);
	err2 = fcntl(err_fd, F_DUPFD_CLOEXEC, 3);
	if (in2 < 0 || null2 < 0 || err2 < 0 || dup2(in2, STDIN_FILENO) < 0 ||
	    dup2(null2, STDOUT_FILENO) < 0 || dup2(err2, STDERR_FILENO) < 0)
		_exit(126);
	if (workdir && chdir(workdir) != 0) {
		if (write(STDERR_FILENO, chdir_msg, sizeof(chdir_msg) - 1) < 0)
			_exit(126);
		_exit(126);
	}
	execv(exe, argv);
	if (write(STDERR_FILENO, exec_msg, sizeof(exec_msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Collapse gnuplot's multi-line report into one line for the log, drop the
 * caret that points into a line we do not show, and call the script what it
 * is rather than the /dev/stdin it was read from.
 */
static void flatten_message(char *msg)
{
	static const char from[] = "\"/dev/stdin\" line";
	static const char to[] = "script line";
	char *r = msg, *w = msg;
	int space = 0;

	for (; *r; r++) {
		unsigned char c = (unsigned char)*r;

		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			space = w != msg;
			continue;
		}
		if (c == '^')
			continue;
		if (space) {
			*w++ = ' ';
			space = 0;
		}
		if (strncmp(r, from, sizeof(from) - 1) == 0) {
			/* "to" is shorter than "from": the write side stays behind. */
			memcpy(w, to, sizeof(to) - 1);
			w += sizeof(to) - 1;
			r += sizeof(from) - 2;
			continue;
		}
		*w++ = (char)(c < 0x20 ? '?' : c);
	}
	*w = '\0';
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Write the script and drain stderr until gnuplot closes it or the deadline
 * passes. Closes *in_fd (setting it to -1) once the script is written or
 * gnuplot stopped reading. Returns 0, -ETIMEDOUT, -EINTR (a stop was
 * requested: Ctrl-C also reaches gnuplot, whose SIGINT handler longjmps out
 * of whatever it was doing and may then hang on a lock it left held) or
 * -errno.
 */
static int pump(int *in_fd, int err_fd, const char *script, char *cap, size_t *cap_len,
		int64_t deadline_ms)
{
	size_t len = strlen(script), off = 0;

	if (len == 0)
		close_fd(in_fd);
	for (;;) {
		struct pollfd pfd[2];
		nfds_t nfd = 1;
		int64_t left = deadline_ms - now_ms();
		int r;

		if (cli_stop_requested())
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		pfd[0].fd = err_fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (*in_fd >= 0) {
			pfd[1].fd = *in_fd;
			pfd[1].events = POLLOUT;
			pfd[1].revents = 0;
			nfd = 2;
		}
		r = poll(pfd, nfd, left > STOP_CHECK_MS ? STOP_CHECK_MS : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (nfd == 2 && pfd[1].revents) {
			ssize_t n = write(*in_fd, script + off, len - off);

			if (n < 0 && errno != EAGAIN && errno != EINTR)
				close_fd(in_fd);   /* EPIPE: gnuplot quit; its status says why */
			else if (n > 0 && (off += (size_t)n) == len)
				close_fd(in_fd);   /* EOF ends the script */
		}
		if (pfd[0].revents) {
			char tmp[1024];
			ssize_t n = read(err_fd, tmp, sizeof(tmp));

			if (n == 0)
				return 0;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			if (n > 0 && *cap_len < CAPTURE_MAX) {
				size_t room = CAPTURE_MAX - *cap_len;
				size_t take = (size_t)n < room ? (size_t)n : room;

				memcpy(cap + *cap_len, tmp, take);
				*cap_len += take;
			}
		}
	}
}

/* Wait for @pid until the deadline; kill it when the deadline passes. */
static int reap(pid_t pid, int64_t deadline_ms, int *status, int *killed)
{
	*killed = 0;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0 && now_ms() >= deadline_ms)
			break;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	*killed = 1;
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int gnuplot_run_timeout(const char *script, const char *workdir, int timeout_ms)
{
	char exe[PATH_MAX];
	char cap[CAPTURE_MAX + 1];
	size_t cap_len = 0;
	int in_p[2], err_p[2], null_fd;
	int rc, status = 0, killed = 0, pipe_was_pending;
	int64_t deadline_ms;
	sigset_t pipe_set, old_set, pending;
	pid_t pid;

	/* after SIGINT/SIGTERM nothing new is drawn; the caller reports the stop */
	if (cli_stop_requested())
		return -EINTR;
	rc = gnuplot_find(exe, sizeof(exe));
	if (rc)
		return rc;
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0)
		return log_err(-errno, "open /dev/null: %s", strerror(errno));
	if (pipe2(in_p, O_CLOEXEC)) {
		rc = log_err(-errno, "pipe: %s", strerror(errno));
		goto err_null;
	}
	if (pipe2(err_p, O_CLOEXEC)) {
		rc = log_err(-errno, "pipe: %s", strerror(errno));
		goto err_in;
	}
	deadline_ms = now_ms() + (timeout_ms > 0 ? timeout_ms : GNUPLOT_TIMEOUT_MS);
	pid = fork();
	if (pid < 0) {
		rc = log_err(-errno, "fork gnuplot: %s", strerror(errno));
		goto err_err;
	}
	if (pid == 0)
		child_exec(exe, workdir, in_p[0], err_p[1], null_fd);

	close(in_p[0]);
	close(err_p[1]);
	close(null_fd);
	fcntl(in_p[1], F_SETFL, fcntl(in_p[1], F_GETFL) | O_NONBLOCK);
	fcntl(err_p[0], F_SETFL, fcntl(err_p[0], F_GETFL) | O_NONBLOCK);

	/*
	 * A write to a pipe whose reader is gone raises SIGPIPE, which would
	 * kill the caller. Block it while we write and discard the one we
	 * caused (but not one that was already pending for someone else).
	 */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	pipe_was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

	rc = pump(&in_p[1], err_p[0], script, cap, &cap_len, deadline_ms);

	sigpending(&pending);
	if (!pipe_was_pending && sigismember(&pending, SIGPIPE)) {
		struct timespec zero = { 0, 0 };

		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	close_fd(&in_p[1]);
	close(err_p[0]);

	if (rc == -ETIMEDOUT || rc == -EINTR) {
		kill(pid, SIGKILL);
		killed = 1;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (rc == -EINTR)
			return rc;
	} else {
		int wrc = reap(pid, deadline_ms, &status, &killed);

		if (wrc)
			return log_err(wrc, "waitpid gnuplot: %s", strerror(-wrc));
		if (rc)
			return log_err(rc, "talking to gnuplot: %s", strerror(-rc));
	}

	cap[cap_len] = '\0';
	flatten_message(cap);
	if (killed)
		return log_err(-ETIMEDOUT, "gnuplot did not finish within %d ms and was killed",
			       timeout_ms > 0 ? timeout_ms : GNUPLOT_TIMEOUT_MS);
	if (WIFSIGNALED(status))
		return log_err(-EIO, "gnuplot killed by signal %d%s%s", WTERMSIG(status),
			       cap[0] ? ": " : "", cap);
	if (WEXITSTATUS(status) != 0)
		return log_err(-EIO, "gnuplot failed (exit status %d): %s", WEXITSTATUS(status),
			       cap[0] ? cap : "no message");
	if (cap[0])
		log_warn("gnuplot: %s", cap);
	return 0;

err_err:
	close(err_p[0]);
	close(err_p[1]);
err_in:
	close(in_p[0]);
	close(in_p[1]);
err_null:
	close(null_fd);
	return rc;
}

int gnuplot_run(const char *script, const char *workdir)
{
	return gnuplot_run_timeout(script, workdir, GNUPLOT_TIMEOUT_MS);
}

/* ---- building scripts -------------------------------------------------- */

int gnuplot_quote(const char *s, char *buf, size_t len)
{
	size_t w = 0;

	if (len < 3)
		return -ENAMETOOLONG;
	buf[w++] = '\'';
	for (const char *p = s; *p; p++) {
		size_t need = *p == '\'' ? 2 : 1;

		if (*p == '\n' || *p == '\r')
			return -EINVAL;
		if (w + need + 2 > len)    /* keep room for the closing quote and NUL */
			return -ENAMETOOLONG;
		if (*p == '\'')
			buf[w++] = '\'';
		buf[w++] = *p;
	}
	buf[w++] = '\'';
	buf[w] = '\0';
	return 0;
}

void gnuplot_script_init(struct gnuplot_script *s)
{
	s->buf = NULL;
	s->len = 0;
	s->cap = 0;
	s->err = 0;
}

static int script_reserve(struct gnuplot_script *s, size_t more)
{
	size_t want = s->len + more + 1;
	char *nb;
	size_t ncap;

	if (s->err)
		return s->err;
	if (want <= s->cap)
		return 0;
	ncap = s->cap ? s->cap : 1024;
	while (ncap < want)
		ncap *= 2;
	nb = realloc(s->buf, ncap);
	if (!nb) {
		s->err = -ENOMEM;
		return s->err;
	}
	s->buf = nb;
	s->cap = ncap;
	return 0;
}

void gnuplot_script_add(struct gnuplot_script *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s->err = -EINVAL;
		return;
	}
	if (script_reserve(s, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

void gnuplot_script_quoted(struct gnuplot_script *s, const char *str)
{
	size_t need = 2;

	for (const char *p = str; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			if (!s->err)
				s->err = -EINVAL;
			return;
		}
		need += *p == '\'' ? 2 : 1;
	}
	if (script_reserve(s, need))
		return;
	s->buf[s->len++] = '\'';
	for (const char *p = str; *p; p++) {
		if (*p == '\'')
			s->buf[s->len++] = '\'';
		s->buf[s->len++] = *p;
	}
	s->buf[s->len++] = '\'';
	s->buf[s->len] = '\0';
}

int gnuplot_script_take(struct gnuplot_script *s, char **out)
{
	int err = s->err;

	if (!err && !s->buf)
		err = script_reserve(s, 0);
	if (err) {
		gnuplot_script_free(s);
		*out = NULL;
		return err;
	}
	s->buf[s->len] = '\0';
	*out = s->buf;
	gnuplot_script_init(s);
	return 0;
}

void gnuplot_script_free(struct gnuplot_script *s)
{
	free(s->buf);
	gnuplot_script_init(s);
}

const char *gnuplot_color(size_t i)
{
	/* Distinguishable on white and for the common colour-vision deficiencies. */
	static const char *const palette[] = {
		"#0072b2", "#e69f00", "#009e73", "#cc79a7",
		"#56b4e9", "#d55e00", "#000000", "#f0e442",
	};

	return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

int gnuplot_windows_check(const struct gnuplot_window *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (w[i].start_ns < 0 || w[i].end_ns <= w[i].start_ns)
			return log_err(-EINVAL,
				       "window %zu: start %lld ns, end %lld ns: need 0 <= start < end",
				       i, (long long)w[i].start_ns, (long long)w[i].end_ns);
	}
	return 0;
}

void gnuplot_script_windows(struct gnuplot_script *s, const struct gnuplot_window *w,
			    size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++) {
		double x0 = (double)w[i].start_ns / 1e6, x1 = (double)w[i].end_ns / 1e6;

		gnuplot_script_add(s, "set object rectangle from %.3f, graph 0 to %.3f, graph 1"
				   " behind fillcolor rgb '#d62728'"
				   " fillstyle transparent solid 0.15 noborder\n", x0, x1);
		if (label) {
			gnuplot_script_add(s, "set label ");
			gnuplot_script_quoted(s, label);
			gnuplot_script_add(s, " at %.3f, graph 0.97 center front"
					   " textcolor rgb '#a01010'\n", (x0 + x1) / 2);
		}
	}
}

void gnuplot_script_png(struct gnuplot_script *s, const char *path, int width, int height)
{
	/* Let gnuplot pick: a build without cairo still has the libgd png. */
	gnuplot_script_add(s,
		"if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		"    set terminal pngcairo noenhanced size %d,%d font 'Sans,11'\n"
		"} else {\n"
		"    set terminal png noenhanced size %d,%d\n"
		"}\n"
		"set output ", width, height, width, height);
	gnuplot_script_quoted(s, path);
	gnuplot_script_add(s, "\n");
}

void gnuplot_script_svg_replot(struct gnuplot_script *s, const char *path, int width,
			       int height)
{
	gnuplot_script_add(s, "set terminal svg noenhanced size %d,%d font 'Sans,11'"
			   " background rgb 'white'\nset output ", width, height);
	gnuplot_script_quoted(s, path);
	gnuplot_script_add(s, "\nreplot\nunset output\n");
}

/* ---- rendering files ------------------------------------------------------ */

static int make_name(char *buf, size_t len, const char *base, const char *ext, int tmp)
{
	int n = tmp ? snprintf(buf, len, "%s.%s.tmp.%ld", base, ext, (long)getpid())
		    : snprintf(buf, len, "%s.%s", base, ext);

	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "output name %s.%s too long", base, ext);
	return 0;
}

static int write_file_atomic(const char *path, const char *text)
{
	struct afile *f = afile_open_path(path);

	if (!f)
		return -errno;
	/* An error sets the stream's error flag; afile_commit() reports it. */
	fputs(text, afile_fp(f));
	return afile_commit(f);
}

/*
 * Fail early and by name when an output cannot be written (its directory
 * missing or read-only, a directory in its place); gnuplot would report it
 * too, but about a temporary file name and after the work.
 */
static int check_outputs(const char *png, const char *svg, const char *gp)
{
	int rc = fileio_check_output(png, FILEIO_OUT_FILE);

	if (!rc)
		rc = fileio_check_output(svg, FILEIO_OUT_FILE);
	if (!rc && gp)
		rc = fileio_check_output(gp, FILEIO_OUT_FILE);
	return rc;
}

static int build_text(int (*build)(struct gnuplot_script *, const void *, const char *,
				   const char *),
		      const void *ctx, const char *png, const char *svg, char **text)
{
	struct gnuplot_script s;
	int rc;

	gnuplot_script_init(&s);
	rc = build(&s, ctx, png, svg);
	if (rc) {
		gnuplot_script_free(&s);
		return rc;
	}
	rc = gnuplot_script_take(&s, text);
	if (rc == -EINVAL)
		return log_err(rc, "a name or title contains a line break");
	if (rc)
		return log_err(rc, "building the gnuplot script: %s", strerror(-rc));
	return 0;
}

int gnuplot_render(const char *out_base, int save_script,
		   int (*build)(struct gnuplot_script *s, const void *ctx,
				const char *png_path, const char *svg_path),
		   const void *ctx)
{
	char png[PATH_MAX], svg[PATH_MAX], png_tmp[PATH_MAX], svg_tmp[PATH_MAX];
	char gp[PATH_MAX];
	char *text = NULL;
	int rc;

	if (!out_base || !*out_base)
		return log_err(-EINVAL, "no output name given");
	if ((rc = make_name(png, sizeof(png), out_base, "png", 0)) ||
	    (rc = make_name(svg, sizeof(svg), out_base, "svg", 0)) ||
	    (rc = make_name(gp, sizeof(gp), out_base, "gp", 0)) ||
	    (rc = make_name(png_tmp, sizeof(png_tmp), out_base, "png", 1)) ||
	    (rc = make_name(svg_tmp, sizeof(svg_tmp), out_base, "svg", 1)) ||
	    (rc = check_outputs(png, svg, save_script ? gp : NULL)))
		return rc;

	rc = build_text(build, ctx, png_tmp, svg_tmp, &text);
	if (rc)
		return rc;
	rc = gnuplot_run(text, NULL);
	free(text);
	if (rc)
		goto out_unlink;
	if (rename(png_tmp, png) != 0) {
		rc = log_err(-errno, "rename to %s: %s", png, strerror(errno));
		goto out_unlink;
	}
	if (rename(svg_tmp, svg) != 0) {
		rc = log_err(-errno, "rename to %s: %s", svg, strerror(errno));
		goto out_unlink;
	}
	if (save_script) {
		rc = build_text(build, ctx, png, svg, &text);
		if (rc)
			return rc;
		rc = write_file_atomic(gp, text);
		free(text);
	}
	return rc;

out_unlink:
	unlink(png_tmp);
	unlink(svg_tmp);
	return rc;
}

int gnuplot_script_text(const char *out_base, const char *what,
			int (*build)(struct gnuplot_script *s, const void *ctx,
				     const char *png_path, const char *svg_path),
			const void *ctx, char **script)
{
	struct gnuplot_script s;
	char png[4096], svg[4096];
	int rc;

	*script = NULL;
	if ((size_t)snprintf(png, sizeof(png), "%s.png", out_base) >= sizeof(png) ||
	    (size_t)snprintf(svg, sizeof(svg), "%s.svg", out_base) >= sizeof(svg))
		return log_err(-ENAMETOOLONG, "output name %s too long", out_base);
	gnuplot_script_init(&s);
	rc = build(&s, ctx, png, svg);
	if (rc) {
		gnuplot_script_free(&s);
		return rc;
	}
	rc = gnuplot_script_take(&s, script);
	if (rc)
		rc = log_err(rc, "building the %s script: %s", what, rc == -EINVAL ?
			     "a name or title contains a line break" : strerror(-rc));
	return rc;
}
