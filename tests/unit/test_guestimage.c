/*
 * Unit tests for experiments/guestimage: IMAGE's key=value facts (the
 * file `make guest-image` writes) and finding the image through
 * $STEALSCOPE_GUEST_DIR: a complete image, a half-built one (refused, with
 * the places looked in and what to run), and a bad IMAGE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/log.h"
#include "experiments/guestimage.h"
#include "tests/support/files.h"

static const char image_text[] =
	"kernel_package=linux-image-6.1.0-56-amd64\n"
	"kernel_version=6.1.192-2\r\n"
	"\n"
	"# a comment\n"
	"busybox_version=1:1.35.0-4+deb12u1+b1\n"
	"built_utc=2026-11-26T18:36:35Z\n"
	"empty=\n"
	"guest_tools_version=0.1.0";

static void test_guestimage_parse(void **state)
{
	struct guestimage img;

	(void)state;
	memset(&img, 0, sizeof(img));
	assert_int_equal(guestimage_parse(image_text, strlen(image_text), "IMAGE", &img), 0);
	assert_int_equal(img.nfacts, 6);
	assert_string_equal(guestimage_fact(&img, "kernel_package"), "linux-image-6.1.0-56-amd64");
	assert_string_equal(guestimage_fact(&img, "kernel_version"), "6.1.192-2");
	assert_string_equal(guestimage_fact(&img, "busybox_version"), "1:1.35.0-4+deb12u1+b1");
	assert_string_equal(guestimage_fact(&img, "empty"), "");
	assert_string_equal(guestimage_fact(&img, "guest_tools_version"), "0.1.0");
	assert_null(guestimage_fact(&img, "kernel"));
}

static void test_guestimage_parse_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "a=1\nno equals sign\n", "IMAGE:2: not key=value" },
		{ "=1\n", "IMAGE:1: a key of 1..47 characters is needed" },
		{ "Kernel=1\n", "IMAGE:1: key 'Kernel' is not [a-z0-9_]" },
		{ "a=1\na=2\n", "IMAGE:2: a given twice" },
	};
	struct guestimage img;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log_set_quiet(1);
		assert_int_equal(guestimage_parse(cases[i].text, strlen(cases[i].text), "IMAGE",
						  &img), -EINVAL);
		log_set_quiet(0);
		assert_string_equal(log_last_error(), cases[i].msg);
	}
}

static void put(const char *dir, const char *name, const char *text)
{
	assert_int_equal(afile_write_string(dir, name, text), 0);
}

static void test_guestimage_find(void **state)
{
	char dir[PATH_MAX], want[PATH_MAX + 32];
	struct guestimage img;

	(void)state;
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "guestimage"), 0);
	setenv(GUESTIMAGE_ENV, dir, 1);
	put(dir, "IMAGE", image_text);
	put(dir, "vmlinuz", "k");
	/* half an image is no image: the message says where it looked and what to do */
	log_set_quiet(1);
	assert_int_equal(guestimage_find(&img), -ENOENT);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), dir));
	assert_non_null(strstr(log_last_error(), "run `make guest-image` (or set "
			       "STEALSCOPE_GUEST_DIR)"));

	put(dir, "initramfs.cpio.gz", "i");
	assert_int_equal(guestimage_find(&img), 0);
	assert_string_equal(img.dir, dir);
	snprintf(want, sizeof(want), "%s/vmlinuz", dir);
	assert_string_equal(img.kernel, want);
	snprintf(want, sizeof(want), "%s/initramfs.cpio.gz", dir);
	assert_string_equal(img.initrd, want);
	assert_string_equal(guestimage_fact(&img, "kernel_version"), "6.1.192-2");

	put(dir, "IMAGE", "broken\n");
	log_set_quiet(1);
	assert_int_equal(guestimage_find(&img), -EINVAL);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "/IMAGE:1: not key=value"));
	unsetenv(GUESTIMAGE_ENV);
	support_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guestimage_parse),
		cmocka_unit_test(test_guestimage_parse_errors),
		cmocka_unit_test(test_guestimage_find),
	};

	log_init("test_guestimage");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
