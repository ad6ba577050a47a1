/*
 * kmnested: the nested route of the kvm-mini backend, for hosts without a
 * usable /dev/kvm. It runs the static kvm-mini (build/nested/bin/kvm-mini)
 * inside an L1 guest that has one: scripts/kvm-nested.sh boots Debian's
 * kernel under QEMU TCG with nested SVM (docs/kvm-nested.md), runs the
 * command and brings a directory back over a second serial port.
 *
 * The harness is a child process in a process group of its own (QEMU and
 * the harness's helpers are in it too). A stop request (the runner's
 * SIGINT/SIGTERM flag) sends SIGTERM to the whole group at once, then
 * SIGKILL to what is left after KMNESTED_KILL_GRACE_NS, and reaps the
 * harness, so no QEMU and no kvm-mini outlive the run; the harness's own
 * timeout and trap are the backstop if this process dies. Nothing here
 * exits, and nothing is written outside the paths the caller names.
 */
#ifndef STEALSCOPE_KMNESTED_H
#define STEALSCOPE_KMNESTED_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define KMNESTED_MAX_SMP 8             /* the harness's --smp limit */
#define KMNESTED_BOOT_NS (10LL * 1000 * 1000 * 1000) /* boot + modules + tar back, typical */
#define KMNESTED_KILL_GRACE_NS (3LL * 1000 * 1000 * 1000)
#define KMNESTED_GUEST_DIR "/tmp/km"   /* kvm-mini's --out inside L1 */

/* Where the nested route's pieces are. */
struct kmnested {
	char harness[PATH_MAX];        /* scripts/kvm-nested.sh */
	char kmini[PATH_MAX];          /* the static kvm-mini */
	char image_dir[PATH_MAX];      /* build/nested: the L1 image */
	int smp;                       /* L1 vCPUs: this host's online CPUs, 1..8 */
};

/*
 * Can the nested route run here? Looks for qemu-system-x86_64 on $PATH,
 * the harness and the static kvm-mini in the build tree @root (NULL: the
 * one this binary was built in), and, with @require_image, the L1 image
 * (build/nested/base.cpio.gz) or a kernel .deb to build it from without a
 * download. Fills @n and returns 0, or returns -ENOENT with what is missing
 * and what to do in @why. Looks at files only; logs nothing.
 */
int kmnested_available(struct kmnested *n, const char *root, int require_image, char *why,
		       size_t len);

/*
 * The harness's timeout for a kvm-mini run of @duration_ns, in seconds:
 * the run, the boot, a first build of the image (~30 s) and a margin.
 */
int kmnested_timeout_s(int64_t duration_ns);

/*
 * The harness's argument vector for running `kvm-mini @args... --out
 * KMNESTED_GUEST_DIR` in L1 and collecting that directory into @outdir,
 * into @argv (room for @max entries, NULL-terminated; the strings are
 * @n's, @args', @outdir and @buf's, which holds the --timeout, --smp and
 * --collect values and needs 2 * PATH_MAX bytes). Returns the count, or
 * -E2BIG when @max is too small. Pure.
 */
int kmnested_argv(const struct kmnested *n, char *const *args, int64_t duration_ns,
		  const char *outdir, char *buf, size_t buflen, char **argv, int max);

/*
 * Run the harness with kmnested_argv()'s arguments, stdin from /dev/null,
 * stdout and stderr into the file @log (created; kvm-mini's output as it
 * streams back, then the harness's messages). @outdir must not exist: the
 * harness creates it with kvm-mini's files. Waits for it (polling the stop
 * flag every few ms, and giving up KMNESTED_KILL_GRACE_NS after its own
 * timeout). Returns 0 with *@status set to the harness's exit status
 * (kvm-mini's own; 124: the harness's timeout, 125: the guest reported no
 * status, 4: no QEMU); -EINTR when a stop was requested (the group was
 * terminated and the harness reaped); -ETIMEDOUT when it outlived its
 * timeout (killed); or -errno when it could not be started (logged).
 */
int kmnested_run(const struct kmnested *n, char *const *args, int64_t duration_ns,
		 const char *outdir, const char *log, int *status);

/*
 * What kmnested_run() does once it has the harness's arguments, for any
 * command in L1: run @argv (argv[0] the harness, NULL-terminated; its own
 * --timeout should be @timeout_s) with output into @log, and wait for it
 * up to @timeout_s plus KMNESTED_KILL_GRACE_NS. Returns as kmnested_run().
 */
int kmnested_exec(char *const *argv, int timeout_s, const char *log, int *status);

/* The harness's exit statuses of its own (kvm-nested.sh --help). */
#define KMNESTED_TIMED_OUT 124         /* its timeout killed QEMU */
#define KMNESTED_NO_STATUS 125         /* the guest reported no status (it crashed) */

/*
 * Whether a kmnested_run()/kmnested_exec() that returned @rc with *@status
 * failed in the boot itself (the harness's timeout, no status from the
 * guest, or the harness outliving its timeout), not in the command: the
 * L1 guest under TCG rarely stalls (docs/kvm-nested.md), and such a boot
 * may be tried once more. A stop request (-EINTR) is not such a failure.
 */
static inline int kmnested_boot_failed(int rc, int status)
{
	return rc == -ETIMEDOUT ||
	       (!rc && (status == KMNESTED_TIMED_OUT || status == KMNESTED_NO_STATUS));
}

#endif
