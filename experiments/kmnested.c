/*
 * kmnested: see kmnested.h. The harness is started with posix_spawn() in a
 * new process group, with the signal mask and dispositions of a fresh
 * process (the runner blocks and catches SIGINT/SIGTERM; the harness must
 * not inherit that, or its trap could never run).
 */
#include "experiments/kmnested.h"

#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef STEALSCOPE_SRCDIR
#define STEALSCOPE_SRCDIR "."
#endif

#define POLL_NS (20 * NS_PER_MS)       /* how often the harness and the stop flag are checked */
#define FIRST_BUILD_S 45               /* unpacking the kernel .deb into the image, once */
#define MARGIN_S 30
#define MAX_TIMEOUT_S 3600             /* the harness's limit */

extern char **environ;

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Is there a @dir/linux-image-*.deb (the kernel the image is built from)? */
static int have_kernel_deb(const char *dir)
{
	static const char pre[] = "linux-image-", suf[] = ".deb";
	struct dirent *e;
	size_t len;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		len = strlen(e->d_name);
		found = len > sizeof(pre) + sizeof(suf) - 2 &&
			!strncmp(e->d_name, pre, sizeof(pre) - 1) &&
			!strcmp(e->d_name + len - (sizeof(suf) - 1), suf);
	}
	closedir(d);
	return found;
}

static int fmt_path(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int kmnested_available(struct kmnested *n, const char *root, int require_image, char *why,
		       size_t len)
{
	char deb_dir[PATH_MAX];
	cpu_set_t online;

	memset(n, 0, sizeof(*n));
	if (!root)
		root = STEALSCOPE_SRCDIR;
	if (fileio_find_program(NULL, "qemu-system-x86_64", NULL, 0)) {
		snprintf(why, len, "no qemu-system-x86_64 on PATH for the nested route "
			 "(apt-get install qemu-system-x86)");
		return -ENOENT;
	}
	if (fmt_path(n->harness, sizeof(n->harness), root, "scripts/kvm-nested.sh") ||
	    fmt_path(n->kmini, sizeof(n->kmini), root, "build/nested/bin/kvm-mini") ||
	    fmt_path(n->image_dir, sizeof(n->image_dir), root, "build/nested")) {
		snprintf(why, len, "the build tree's path is too long: %s", root);
		return -ENOENT;
	}
	if (access(n->harness, X_OK)) {
		snprintf(why, len, "the nested route's harness %s is missing", n->harness);
		return -ENOENT;
	}
	if (!is_file(n->kmini)) {
		snprintf(why, len, "the static kvm-mini for the nested route is not built (make "
			 "build/nested/bin/kvm-mini)");
		return -ENOENT;
	}
	if (require_image) {
		char image[PATH_MAX];

		if (fmt_path(image, sizeof(image), n->image_dir, "base.cpio.gz") ||
		    fmt_path(deb_dir, sizeof(deb_dir), n->image_dir, "debs")) {
			snprintf(why, len, "the build tree's path is too long: %s", root);
			return -ENOENT;
		}
		if (!is_file(image) && !have_kernel_deb(deb_dir)) {
			char guest_debs[PATH_MAX];

			if (fmt_path(guest_debs, sizeof(guest_debs), root, "build/guest/debs") ||
			    !have_kernel_deb(guest_debs)) {
				snprintf(why, len, "the nested guest's image is not built and no "
					 "kernel .deb is at hand (make guest-image downloads one; "
					 "or run --backend kvm-mini once)");
				return -ENOENT;
			}
		}
	}
	n->smp = 2;
	if (cpus_online(NULL, &online) == 0 && CPU_COUNT(&online) > 0) {
		n->smp = CPU_COUNT(&online);
		if (n->smp > KMNESTED_MAX_SMP)
			n->smp = KMNESTED_MAX_SMP;
	}
	return 0;
}

int kmnested_timeout_s(int64_t duration_ns)
{
	int64_t s = (duration_ns + NS_PER_SEC - 1) / NS_PER_SEC;

	s += KMNESTED_BOOT_NS / NS_PER_SEC + FIRST_BUILD_S + MARGIN_S;
	return s > MAX_TIMEOUT_S ? MAX_TIMEOUT_S : (int)s;
}

int kmnested_argv(const struct kmnested *n, char *const *args, int64_t duration_ns,
		  const char *outdir, char *buf, size_t buflen, char **argv, int max)
{
	char *timeout = buf, *smp = buf + 16, *collect = buf + 32;
	int k = 0, i;

	if (buflen < 32 + PATH_MAX + sizeof(KMNESTED_GUEST_DIR) + 1)
		return -E2BIG;
	snprintf(timeout, 16, "%d", kmnested_timeout_s(duration_ns));
	snprintf(smp, 16, "%d", n->smp);
	snprintf(collect, buflen - 32, "%s:%s", KMNESTED_GUEST_DIR, outdir);
#define ADD(x) do { if (k >= max - 1) return -E2BIG; argv[k++] = (char *)(x); } while (0)
	ADD(n->harness);
	ADD("--timeout");
	ADD(timeout);
	ADD("--smp");
	ADD(smp);
	ADD("--file");
	ADD(n->kmini);
	ADD("--collect");
	ADD(collect);
	ADD("--");
	ADD("kvm-mini");
	for (i = 0; args[i]; i++)
		ADD(args[i]);
	ADD("--out");
	ADD(KMNESTED_GUEST_DIR);
#undef ADD
	argv[k] = NULL;
	return k;
}

/* posix_spawn() @argv in a new process group, output into @log_fd. */
static int spawn(char **argv, int log_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int e;

	sigemptyset(&none);
	sigfillset(&all);
	e = posix_spawnattr_init(&at);
	if (e)
		return -e;
	e = posix_spawn_file_actions_init(&fa);
	if (e) {
		posix_spawnattr_destroy(&at);
		return -e;
	}
	e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETSIGDEF);
	if (!e)
		e = posix_spawnattr_setpgroup(&at, 0);
	if (!e)
		e = posix_spawnattr_setsigmask(&at, &none);
	if (!e)
		e = posix_spawnattr_setsigdefault(&at, &all);
	if (!e)
		e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, log_fd, STDOUT_FILENO);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, log_fd, STDERR_FILENO);
	if (!e)
		e = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return -e;
}

/* Has @pid exited? Leaves it a zombie, so its group id stays ours until reaped. */
static int exited(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;         /* ECHILD: nothing left to wait for */
	return info.si_pid == pid;
}

/* Kill what is left of the group @pid leads (its leader exited or not), reap the leader. */
static int reap(pid_t pid)
{
	int st = 0;

	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return 255 << 8;       /* lost: an exit status of 255 */
	}
	return st;
}

/*
 * End the group @pid leads: SIGTERM to all of it (QEMU exits, the harness
 * runs its trap), then after the harness exited or the grace time passed,
 * SIGKILL to whatever is left, and reap the harness. A QEMU the harness did
 * not live to reap is reparented and reaped by init.
 */
static void end_group(pid_t pid)
{
	int64_t until = mono_ns() + KMNESTED_KILL_GRACE_NS;

	kill(-pid, SIGTERM);
	while (!exited(pid) && mono_ns() < until)
		sleep_until_ns(mono_ns() + POLL_NS);
	reap(pid);
}

int kmnested_run(const struct kmnested *n, char *const *args, int64_t duration_ns,
		 const char *outdir, const char *log, int *status)
{
	char buf[2 * PATH_MAX], *argv[2 * 64 + 16];
	int e;

	e = kmnested_argv(n, args, duration_ns, outdir, buf, sizeof(buf), argv,
			  (int)(sizeof(argv) / sizeof(argv[0])));
	if (e < 0)
		return log_err(e, "nested kvm-mini: too many arguments");
	return kmnested_exec(argv, kmnested_timeout_s(duration_ns), log, status);
}

int kmnested_exec(char *const *argv, int timeout_s, const char *log, int *status)
{
	int64_t deadline;
	pid_t pid;
	int fd, e, st;

	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		return log_err(-e, "open %s: %s", log, strerror(e));
	}
	e = spawn((char **)argv, fd, &pid);
	close(fd);
	if (e)
		return log_err(e, "cannot start %s: %s", argv[0], strerror(-e));
	deadline = mono_ns() + (int64_t)timeout_s * NS_PER_SEC + KMNESTED_KILL_GRACE_NS;
	while (!exited(pid)) {
		if (cli_stop_requested()) {
			end_group(pid);
			return -EINTR;
		}
		if (mono_ns() >= deadline) {
			end_group(pid);
			return log_err(-ETIMEDOUT, "%s did not end within its own timeout; killed",
				       argv[0]);
		}
		sleep_until_ns(mono_ns() + POLL_NS);
	}
	/* the harness ended by itself; a straggler of its group goes with it */
	st = reap(pid);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}
