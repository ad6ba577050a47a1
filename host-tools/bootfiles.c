/*
 * bootfiles: see bootfiles.h.
 */
#include "host-tools/bootfiles.h"

#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK 65536

/* bootfiles_reachable(), leaving @path's resolved form in @resolved (PATH_MAX bytes). */
static int reachable(const char *path, char *resolved)
{
	char real[PATH_MAX], *slash;
	struct stat st;
	int rc;

	if (!realpath(path, resolved)) {
		rc = -errno;
		return log_err(rc, "%s: %s", path, strerror(-rc));
	}
	memcpy(real, resolved, sizeof(real));   /* cut up below, one directory at a time */
	if (stat(real, &st)) {
		rc = -errno;
		return log_err(rc, "%s: %s", real, strerror(-rc));
	}
	/* a FIFO would block the copy, a directory cannot be booted */
	if (!S_ISREG(st.st_mode))
		return log_err(-EINVAL, "%s: not a regular file", real);
	if (!(st.st_mode & S_IROTH))
		return 0;
	/* every directory above it, from the innermost to "/" */
	for (slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
		*slash = '\0';
		if (stat(real[0] ? real : "/", &st)) {
			rc = -errno;
			return log_err(rc, "%s: %s", real[0] ? real : "/", strerror(-rc));
		}
		if (!(st.st_mode & S_IXOTH))
			return 0;
		if (!real[0])
			break;
	}
	return 1;
}

int bootfiles_reachable(const char *path)
{
	char resolved[PATH_MAX];

	return reachable(path, resolved);
}

/* Copy @src to the new file @dst (mode 0644, whatever the umask). */
static int copy_file(const char *src, const char *dst)
{
	char *buf = malloc(COPY_CHUNK);
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	if (!buf)
		return log_err(-ENOMEM, "copying %s: %s", src, strerror(ENOMEM));
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = -errno;
		log_err(rc, "%s: %s", src, strerror(-rc));
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0 || fchmod(out, 0644)) {
		rc = -errno;
		log_err(rc, "%s: %s", dst, strerror(-rc));
		goto out;
	}
	while ((n = read(in, buf, COPY_CHUNK)) != 0) {
		ssize_t done = 0, w;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			log_err(rc, "reading %s: %s", src, strerror(-rc));
			goto out;
		}
		while (done < n) {
			w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = w < 0 ? -errno : -EIO;
				log_err(rc, "writing %s: %s", dst, strerror(-rc));
				goto out;
			}
			done += w;
		}
	}
out:
	if (out >= 0 && close(out) && !rc) {
		rc = -errno;
		log_err(rc, "writing %s: %s", dst, strerror(-rc));
	}
	if (in >= 0)
		close(in);
	if (rc && out >= 0)
		unlink(dst);
	free(buf);
	return rc;
}

/* Remove directory @name under the open directory @dfd and the files in it. */
static void remove_copies(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == 0)
		log_info("removed %s, the boot files of a run that died", name);
}

/*
 * The copies of runs that died without removing them (SIGKILL, a crash):
 * directories BOOTFILES_PREFIX<pid>-* under @base, ours, whose pid no
 * longer exists. Best effort and quiet: nothing here fails a run.
 */
static void sweep(const char *base)
{
	size_t plen = strlen(BOOTFILES_PREFIX);
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, BOOTFILES_PREFIX, plen))
			continue;
		errno = 0;
		pid = strtol(e->d_name + plen, &end, 10);
		if (errno || end == e->d_name + plen || *end != '-' || pid <= 0 ||
		    pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		remove_copies(dirfd(d), e->d_name);
	}
	closedir(d);
}

/*
 * A new directory under @base, mode 0755 whatever the umask, into @dir,
 * named after this process so that a later run can tell a dead run's copies.
 */
static int make_dir(char *dir, size_t len, const char *base)
{
	int rc;

	sweep(base);
	if ((size_t)snprintf(dir, len, "%s/%s%d-XXXXXX", base, BOOTFILES_PREFIX, (int)getpid()) >=
	    len) {
		dir[0] = '\0';
		return log_err(-ENAMETOOLONG, "%s: %s", base, strerror(ENAMETOOLONG));
	}
	if (!mkdtemp(dir)) {
		rc = -errno;
		dir[0] = '\0';
		return log_err(rc, "making a directory for the boot files under %s: %s", base,
			       strerror(-rc));
	}
	if (chmod(dir, 0755)) {
		rc = -errno;
		log_err(rc, "%s: %s", dir, strerror(-rc));
		rmdir(dir);
		dir[0] = '\0';
		return rc;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int bootfiles_stage(struct bootfiles *bf, const char *const *src, int n, const char *base)
{
	int i, j, r, rc = 0;

	memset(bf, 0, sizeof(*bf));
	if (n < 1 || n > BOOTFILES_MAX)
		return log_err(-EINVAL, "bootfiles: %d files (1..%d)", n, BOOTFILES_MAX);
	if (!base)
		base = BOOTFILES_BASE;
	for (i = 0; i < n && !rc; i++) {
		r = reachable(src[i], bf->path[i]);
		if (r < 0) {
			rc = r;
			break;
		}
		bf->staged[i] = !r;
		for (j = 0; j < i && !rc; j++)
			if (!r && bf->staged[j] &&
			    !strcmp(base_name(bf->path[i]), base_name(bf->path[j])))
				rc = log_err(-EINVAL, "bootfiles: %s and %s have one name",
					     bf->path[j], bf->path[i]);
	}
	if (rc) {
		memset(bf, 0, sizeof(*bf));
		return rc;
	}
	bf->n = n;
	for (i = 0; i < n; i++) {
		char copy[PATH_MAX];

		if (!bf->staged[i])
			continue;
		if (!bf->dir[0]) {
			rc = make_dir(bf->dir, sizeof(bf->dir), base);
			if (rc)
				goto fail;
		}
		if ((size_t)snprintf(copy, sizeof(copy), "%s/%s", bf->dir,
				     base_name(bf->path[i])) >= sizeof(copy)) {
			rc = log_err(-ENAMETOOLONG, "%s/%s: %s", bf->dir, base_name(bf->path[i]),
				     strerror(ENAMETOOLONG));
			goto fail;
		}
		rc = copy_file(bf->path[i], copy);
		if (rc)
			goto fail;
		log_info("%s is out of reach of other users (libvirt's QEMU runs as one): "
			 "booting a copy, %s", bf->path[i], copy);
		memcpy(bf->path[i], copy, sizeof(copy));
	}
	return 0;
fail:
	/* only the copies made so far: path[] of the others still names the originals */
	for (j = 0; j < i; j++)
		if (bf->staged[j])
			unlink(bf->path[j]);
	if (bf->dir[0])
		rmdir(bf->dir);
	memset(bf, 0, sizeof(*bf));
	return rc;
}

void bootfiles_remove(struct bootfiles *bf)
{
	int i;

	for (i = 0; i < bf->n; i++)
		if (bf->staged[i] && unlink(bf->path[i]) && errno != ENOENT)
			log_warn("removing %s: %s", bf->path[i], strerror(errno));
	if (bf->dir[0] && rmdir(bf->dir) && errno != ENOENT)
		log_warn("removing %s: %s", bf->dir, strerror(errno));
	memset(bf, 0, sizeof(*bf));
}
