/*
 * guestimage: see guestimage.h. The places are tried in order; the first
 * that has all three files wins, so a half-built image in one place is
 * not mistaken for an image.
 */
#include "experiments/guestimage.h"

#include "common/fileio.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMAGE_MAX_BYTES 65536
#define MAX_PLACES 3

int guestimage_parse(const char *text, size_t len, const char *what, struct guestimage *img)
{
	const char *p = text, *end = text + len;
	int line = 0, i;

	img->nfacts = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *eq;
		size_t klen, vlen;
		struct guestimage_fact *f;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		eq = memchr(p, '=', (size_t)(le - p));
		if (le == p || *p == '#')
			goto next;
		if (!eq)
			return log_err(-EINVAL, "%s:%d: not key=value", what, line);
		klen = (size_t)(eq - p);
		vlen = (size_t)(le - eq - 1);
		if (klen == 0 || klen >= GUESTIMAGE_KEY_MAX)
			return log_err(-EINVAL, "%s:%d: a key of 1..%d characters is needed", what,
				       line, GUESTIMAGE_KEY_MAX - 1);
		for (i = 0; i < (int)klen; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_", p[i]) || !p[i])
				return log_err(-EINVAL, "%s:%d: key '%.*s' is not [a-z0-9_]", what,
					       line, (int)klen, p);
		if (vlen >= GUESTIMAGE_VALUE_MAX || memchr(eq + 1, '\0', vlen))
			return log_err(-EINVAL, "%s:%d: the value of %.*s is too long or has a NUL",
				       what, line, (int)klen, p);
		for (i = 0; i < img->nfacts; i++)
			if (strlen(img->facts[i].key) == klen && !memcmp(img->facts[i].key, p, klen))
				return log_err(-EINVAL, "%s:%d: %.*s given twice", what, line,
					       (int)klen, p);
		if (img->nfacts == GUESTIMAGE_MAX_FACTS)
			return log_err(-EINVAL, "%s:%d: more than %d facts", what, line,
				       GUESTIMAGE_MAX_FACTS);
		f = &img->facts[img->nfacts++];
		memcpy(f->key, p, klen);
		f->key[klen] = '\0';
		memcpy(f->value, eq + 1, vlen);
		f->value[vlen] = '\0';
next:
		p = nl ? nl + 1 : end;
	}
	return 0;
}

const char *guestimage_fact(const struct guestimage *img, const char *key)
{
	int i;

	for (i = 0; i < img->nfacts; i++)
		if (!strcmp(img->facts[i].key, key))
			return img->facts[i].value;
	return NULL;
}

static int is_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The places to look, in order. */
static int places(char dirs[][PATH_MAX])
{
	const char *env = getenv(GUESTIMAGE_ENV);
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int k = 0;

	/* set, it is the only place: a user who names a directory means that one */
	if (env && *env) {
		snprintf(dirs[k++], PATH_MAX, "%s", env);
		return k;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(dirs[k], PATH_MAX, "%s/../build/guest", exe) < PATH_MAX)
				k++;
			if ((size_t)snprintf(dirs[k], PATH_MAX, "%s/../../build/guest", exe) <
			    PATH_MAX)
				k++;
		}
	}
	return k;
}

int guestimage_find(struct guestimage *img)
{
	char dirs[MAX_PLACES][PATH_MAX], where[MAX_PLACES * (PATH_MAX + 2)], path[PATH_MAX];
	struct fileio_buf b = { 0 };
	size_t used = 0;
	int i, n, rc;

	memset(img, 0, sizeof(*img));
	n = places(dirs);
	where[0] = '\0';
	for (i = 0; i < n; i++) {
		if (is_file(dirs[i], "IMAGE") && is_file(dirs[i], "vmlinuz") &&
		    is_file(dirs[i], "initramfs.cpio.gz"))
			break;
		used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%s", i ? ", " : "",
					 dirs[i]);
		if (used >= sizeof(where))
			used = sizeof(where) - 1;
	}
	if (i == n)
		return log_err(-ENOENT, "no guest image (vmlinuz, initramfs.cpio.gz and IMAGE) "
			       "in %s: run `make guest-image` (or set %s)", where, GUESTIMAGE_ENV);
	if (!realpath(dirs[i], img->dir)) {
		rc = -errno;
		return log_err(rc, "%s: %s", dirs[i], strerror(-rc));
	}
	snprintf(img->kernel, sizeof(img->kernel), "%.*s/vmlinuz", PATH_MAX - 16, img->dir);
	snprintf(img->initrd, sizeof(img->initrd), "%.*s/initramfs.cpio.gz", PATH_MAX - 32,
		 img->dir);
	snprintf(path, sizeof(path), "%.*s/IMAGE", PATH_MAX - 16, img->dir);
	rc = fileio_load(path, IMAGE_MAX_BYTES, FILEIO_REGULAR, &b);
	if (!rc)
		rc = guestimage_parse(b.data, b.len, path, img);
	fileio_buf_free(&b);
	return rc;
}
