/*
 * support/libvirtd: see libvirtd.h. The watchdog's state is static: a
 * signal handler can reach nothing else, and it uses only
 * async-signal-safe calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/libvirtd.h"
#include "tests/support/procscan.h"
#include "tests/support/run.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static struct {
	char script[4096];
	char holder[16];
	volatile pid_t *child;
} W;

int support_lock_wait(const char *path, int wait_s)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666), i;

	if (fd < 0)
		return -1;             /* e.g. another user's file: run anyway */
	for (i = 0; i < wait_s * 10; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (i == 0)
			print_message("waiting for another test holding %s\n", path);
		support_sleep_ms(100);
	}
	print_message("%s was held for %d s; running anyway\n", path, wait_s);
	return fd;
}

/* scripts/libvirtd.sh @cmd as our holder; its status. */
static int script(const struct support_libvirtd *d, const char *cmd, int timeout_ms)
{
	const char *argv[] = { d->script, cmd, "--holder", d->holder, NULL };
	struct support_run r;
	int status;

	support_run(argv, timeout_ms, &r);
	if (r.err && r.err[0])
		print_message("%s", r.err);     /* the script names itself */
	status = support_status(&r);
	support_run_free(&r);
	return status;
}

const char *support_libvirtd_up(struct support_libvirtd *d, const char *script_path,
				const char *deps)
{
	const char *argv[] = { deps, NULL };
	struct support_run r;
	int status;

	memset(d, 0, sizeof(*d));
	d->script = script_path;
	snprintf(d->holder, sizeof(d->holder), "%d", (int)getpid());
	if (geteuid() != 0)
		return "not root: the system libvirt daemon cannot be started or used to create "
		       "domains";
	status = script(d, "start", 120000);
	if (status == 4) {
		print_message("libvirt packages missing: installing them with %s\n", deps);
		support_run(argv, 900000, &r);
		status = support_status(&r);
		if (r.err && r.err[0])
			print_message("%s", r.err);
		support_run_free(&r);
		if (status != 0)
			return "the libvirt daemon packages are missing and scripts/deps.sh could "
			       "not install them";
		status = script(d, "start", 120000);
	}
	if (status != 0)
		fail_msg("%s start failed with status %d", script_path, status);
	d->held = 1;
	return NULL;
}

int support_libvirtd_down(struct support_libvirtd *d)
{
	int rc = 0;

	if (d->held && script(d, "stop", 60000) != 0)
		rc = -1;
	d->held = 0;
	return rc;
}

/* What support_qemu_of() looks for, and what it found. */
struct qemu_search {
	char needle[256];               /* "guest=<prefix>" */
	pid_t found;
};

static int match_qemu(pid_t pid, char *cmd, size_t len, void *arg)
{
	struct qemu_search *q = arg;
	size_t i;

	for (i = 0; i < len; i++)       /* NULs between the arguments */
		if (!cmd[i])
			cmd[i] = ' ';
	if (strstr(cmd, "qemu-system") && strstr(cmd, q->needle))
		q->found = pid;
	return q->found != 0;
}

pid_t support_qemu_of(const char *prefix)
{
	struct qemu_search q = { .found = 0 };

	snprintf(q.needle, sizeof(q.needle), "guest=%s", prefix);
	support_each_proc("cmdline", match_qemu, &q);
	return q.found;
}

static void on_alarm(int sig)
{
	static const char msg[] = "watchdog: the test did not end in time\n";
	char *const argv[] = { W.script, (char *)"stop", (char *)"--holder", W.holder, NULL };
	pid_t parent = getpid(), child = W.child ? *W.child : 0;
	int i;

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to say */
	}
	if (child > 0)
		kill(child, SIGKILL);
	if (W.holder[0] && fork() == 0) {
		setsid();
		for (i = 0; i < 100 && getppid() == parent; i++)
			usleep(50000);
		execv(W.script, argv);
		_exit(127);
	}
	_exit(1);
}

void support_watchdog(struct support_libvirtd *d, volatile pid_t *child, unsigned seconds)
{
	if (!seconds) {
		alarm(0);
		return;
	}
	W.holder[0] = '\0';
	if (d && d->held && d->script) {
		snprintf(W.script, sizeof(W.script), "%s", d->script);
		snprintf(W.holder, sizeof(W.holder), "%s", d->holder);
	}
	W.child = child;
	signal(SIGALRM, on_alarm);
	alarm(seconds);
}
