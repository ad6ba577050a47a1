/*
 * guestimage: where the libvirt backend finds the guest image that `make
 * guest-image` builds (docs/guest-protocol.md, "The image"): vmlinuz,
 * initramfs.cpio.gz and IMAGE, whose key=value facts (kernel package and
 * version, busybox version, build time, guest-tools version) go into
 * meta.json and the report.
 *
 * It looks in $STEALSCOPE_GUEST_DIR when that is set (and nowhere else),
 * else in build/guest beside the binary's bin/ (<dir of
 * /proc/self/exe>/../build/guest) and, for the sanitizer variants in
 * bin/<variant>/, one level further up. It only
 * reads; it never builds an image, and it never exits.
 */
#ifndef STEALSCOPE_GUESTIMAGE_H
#define STEALSCOPE_GUESTIMAGE_H

#include <limits.h>
#include <stddef.h>

#define GUESTIMAGE_ENV "STEALSCOPE_GUEST_DIR"
#define GUESTIMAGE_MAX_FACTS 16
#define GUESTIMAGE_KEY_MAX 48
#define GUESTIMAGE_VALUE_MAX 160

struct guestimage_fact {
	char key[GUESTIMAGE_KEY_MAX];
	char value[GUESTIMAGE_VALUE_MAX];
};

struct guestimage {
	char dir[PATH_MAX];            /* absolute */
	char kernel[PATH_MAX];         /* <dir>/vmlinuz */
	char initrd[PATH_MAX];         /* <dir>/initramfs.cpio.gz */
	int nfacts;
	struct guestimage_fact facts[GUESTIMAGE_MAX_FACTS];
};

/*
 * Parse the text of an IMAGE file (@len bytes; @what names it in messages)
 * into @img's facts: one key=value per line, keys of [a-z0-9_], values to
 * the end of the line; blank lines and lines starting with '#' are skipped.
 * Returns 0, or -EINVAL (logged, "<what>:<line>: ...") for a line without
 * '=', a bad or repeated key, a value too long, more than
 * GUESTIMAGE_MAX_FACTS facts.
 */
int guestimage_parse(const char *text, size_t len, const char *what, struct guestimage *img);

/* The value of fact @key, or NULL. */
const char *guestimage_fact(const struct guestimage *img, const char *key);

/*
 * Find the image (see above) and read its IMAGE. Returns 0; -ENOENT when no
 * place has all three files, logged with the places looked in and "run
 * `make guest-image` (or set STEALSCOPE_GUEST_DIR)"; or another -errno
 * (logged) when IMAGE cannot be read or parsed.
 */
int guestimage_find(struct guestimage *img);

#endif
