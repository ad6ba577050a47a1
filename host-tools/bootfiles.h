/*
 * bootfiles: make the files a domain boots from (kernel, initramfs)
 * readable by the hypervisor.
 *
 * libvirt's system daemon runs QEMU as an unprivileged user (libvirt-qemu
 * on Debian). It relabels the files it is given, but it cannot make a path
 * traversable: a kernel under a private directory (a 0700 home or mktemp
 * directory, a clone checked out there) fails to boot with "could not open
 * kernel file ...: Permission denied". So a file that a user with none of
 * our ids could not reach (o+x on every directory above it, o+r on it) is
 * copied into a fresh directory under BOOTFILES_BASE (0755, files 0644),
 * and the copy is what the domain XML names; the copies go when the caller
 * is done. The directory is named BOOTFILES_PREFIX<pid>-XXXXXX: a run that
 * died without removing its copies (SIGKILL, a crash) leaves them to the
 * next staging under the same base, which removes them. Reachable files are used where they are: nothing is copied on a
 * usual checkout.
 *
 * The check is conservative (group membership and ACLs are not looked at):
 * at worst it copies a file that could have been used in place.
 */
#ifndef STEALSCOPE_BOOTFILES_H
#define STEALSCOPE_BOOTFILES_H

#include <limits.h>

#define BOOTFILES_BASE "/var/tmp"
#define BOOTFILES_PREFIX "stealscope-boot-"
#define BOOTFILES_MAX 4

struct bootfiles {
	char dir[PATH_MAX];                  /* the staging directory; "" when none */
	int n;
	char path[BOOTFILES_MAX][PATH_MAX];  /* what the domain should name, in order */
	int staged[BOOTFILES_MAX];           /* path[i] is a copy in dir */
};

/*
 * Whether any user can read @path: every directory on its resolved path
 * (realpath) has o+x and the file has o+r. Returns 1 or 0; -EINVAL
 * (logged) when it is not a regular file; -errno (logged) when it cannot
 * be resolved.
 */
int bootfiles_reachable(const char *path);

/*
 * Fill @bf for the @n (1..BOOTFILES_MAX) files @src: each reachable one by
 * its resolved path, the others copied (same base name) into one new
 * directory under @base (NULL: BOOTFILES_BASE), logged at info level with
 * the reason. Two files of one base name that both need copying are
 * refused (-EINVAL). Returns 0, or -errno (logged) with nothing left
 * behind and @bf empty.
 */
int bootfiles_stage(struct bootfiles *bf, const char *const *src, int n, const char *base);

/* Remove the copies and their directory, if any; @bf is empty afterwards. */
void bootfiles_remove(struct bootfiles *bf);

#endif
