/*
 * support/libvirtd: a libvirt daemon for the integration tests that need a
 * real one, through scripts/libvirtd.sh with the test as a holder (--holder
 * <pid>): it starts libvirtd when none runs and stops at the end only what
 * it started, and only when no other holder still needs it. Missing
 * packages are installed with scripts/deps.sh; a test skips, saying why,
 * only when that is impossible. Also what such tests need around it: a lock
 * file so that two of them (release and asan suites run together) do not
 * disturb each other's CPU, and a watchdog that bounds the whole run.
 *
 * Test code, linked into every integration test; the scripts' paths are
 * the caller's (only some tests are given them). Nothing here creates a
 * domain.
 */
#ifndef STEALSCOPE_TEST_SUPPORT_LIBVIRTD_H
#define STEALSCOPE_TEST_SUPPORT_LIBVIRTD_H

#include <sys/types.h>

struct support_libvirtd {
	const char *script;            /* scripts/libvirtd.sh */
	char holder[16];               /* our pid, as registered */
	int held;
};

/*
 * Hold the lock file @path, waiting at most @wait_s for another holder
 * (saying so once). Returns its fd (close it to release), or -1 when the
 * file cannot be opened (then the test runs anyway).
 */
int support_lock_wait(const char *path, int wait_s);

/*
 * Start or join the daemon with @script (installing the packages with
 * @deps when the script says they are missing, exit 4). Returns NULL when
 * the daemon answers, else why the tests must skip (not root, no package
 * manager); a script that fails otherwise fails the test.
 */
const char *support_libvirtd_up(struct support_libvirtd *d, const char *script,
				const char *deps);

/*
 * The pid of a QEMU process running a libvirt domain whose name starts
 * with @prefix (its command line holds "guest=<name>,"), or 0.
 */
pid_t support_qemu_of(const char *prefix);

/* Release the daemon (stop it if we started it and nobody else holds it). 0 or -1. */
int support_libvirtd_down(struct support_libvirtd *d);

/*
 * After @seconds: say so on stderr, SIGKILL *@child when it is positive
 * (the tool the test is waiting for), release @d from a child that outlives
 * this process, and _exit(1). @child is read when the alarm fires. 0
 * seconds disarms it.
 */
void support_watchdog(struct support_libvirtd *d, volatile pid_t *child, unsigned seconds);

#endif
