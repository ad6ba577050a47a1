/*
 * Unit tests for kvm-mini/kvmprobe: the failure paths with their exact
 * messages (a missing device, a device that is not KVM), the CPUID table
 * lookup on a synthetic table, and, where this machine has a usable
 * /dev/kvm, the real probe (skipped with the reason otherwise; machines
 * without one run it in test_kvm_mini's nested KVM guest, from the build
 * build/nested/bin/test_kvmprobe).
 *
 * Nothing here creates a VM; the only device opened is /dev/null or
 * /dev/kvm, read-write, and closed again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "kvm-mini/kvmprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void assert_unknown_facts(const struct kmini_probe *p)
{
	assert_int_equal(p->api_version, -1);
	assert_int_equal(p->cap_user_memory, KMINI_CAP_UNKNOWN);
	assert_int_equal(p->cap_irqchip, KMINI_CAP_UNKNOWN);
	assert_int_equal(p->cap_get_tsc_khz, KMINI_CAP_UNKNOWN);
	assert_int_equal(p->cap_vcpu_attributes, KMINI_CAP_UNKNOWN);
	assert_int_equal(p->steal_time, KMINI_CAP_UNKNOWN);
	assert_int_equal(p->usable, 0);
}

static void test_kvmprobe_missing_device(void **state)
{
	struct kmini_probe p;

	(void)state;
	assert_int_equal(kmini_probe("/nonexistent-stealscope/kvm", &p), -ENOENT);
	assert_string_equal(p.dev, "/nonexistent-stealscope/kvm");
	assert_int_equal(p.dev_errno, ENOENT);
	assert_string_equal(p.reason, "open /nonexistent-stealscope/kvm: No such file or directory");
	/* logged once, with the same words */
	assert_string_equal(log_last_error(), p.reason);
	assert_unknown_facts(&p);
}

static void test_kvmprobe_not_a_kvm_device(void **state)
{
	struct kmini_probe p;

	(void)state;
	/* /dev/null opens read-write but has no ioctls: the first one says ENOTTY */
	assert_int_equal(kmini_probe("/dev/null", &p), -ENOTTY);
	assert_int_equal(p.dev_errno, 0);
	assert_string_equal(p.reason,
			    "KVM_GET_API_VERSION on /dev/null: Inappropriate ioctl for device");
	assert_string_equal(log_last_error(), p.reason);
	assert_unknown_facts(&p);
}

static void test_kvmprobe_fd_names_the_caller_path(void **state)
{
	char path[] = "/tmp/stealscope-kvmprobe-XXXXXX";
	struct kmini_probe p;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(kmini_probe_fd(fd, "regular-file", &p), -ENOTTY);
	assert_string_equal(p.reason,
			    "KVM_GET_API_VERSION on regular-file: Inappropriate ioctl for device");
	/* the caller's fd is left open */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
}

static void test_kvmprobe_default_device_name(void **state)
{
	struct kmini_probe p;
	int err;

	(void)state;
	err = kmini_probe(NULL, &p);
	assert_string_equal(p.dev, KMINI_PROBE_DEFAULT_DEV);
	if (access(KMINI_PROBE_DEFAULT_DEV, F_OK) != 0) {
		assert_int_equal(err, -ENOENT);
		assert_string_equal(p.reason, "open /dev/kvm: No such file or directory");
	}
}

static void test_kvmprobe_supported_cpuid_on_non_kvm(void **state)
{
	struct kvm_cpuid2 *c = (struct kvm_cpuid2 *)&c;   /* must be reset to NULL */
	int fd;

	(void)state;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(kmini_probe_supported_cpuid(fd, "/dev/null", &c), -ENOTTY);
	assert_null(c);
	assert_string_equal(log_last_error(),
			    "KVM_GET_SUPPORTED_CPUID on /dev/null: Inappropriate ioctl for device");
	close(fd);
}

static void test_kvmprobe_cpuid_leaf_lookup(void **state)
{
	struct kvm_cpuid2 *c;
	unsigned regs[4];

	(void)state;
	c = calloc(1, sizeof(*c) + 4 * sizeof(c->entries[0]));
	assert_non_null(c);
	c->nent = 4;
	c->entries[0].function = 0x40000000;
	c->entries[0].eax = 0x40000001;
	c->entries[1].function = KVM_CPUID_FEATURES;
	c->entries[1].eax = 1u << KVM_FEATURE_STEAL_TIME;
	/* leaf 7 has subleaves: the index counts only when flagged significant */
	c->entries[2].function = 7;
	c->entries[2].index = 0;
	c->entries[2].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	c->entries[2].ebx = 0x70;
	c->entries[3].function = 7;
	c->entries[3].index = 1;
	c->entries[3].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	c->entries[3].ebx = 0x71;

	assert_int_equal(kmini_probe_cpuid_leaf(c, KVM_CPUID_FEATURES, 0, regs), 0);
	assert_int_equal(regs[0], 0x20);
	/* a leaf without a significant index matches any index */
	assert_int_equal(kmini_probe_cpuid_leaf(c, KVM_CPUID_FEATURES, 5, regs), 0);
	assert_int_equal(kmini_probe_cpuid_leaf(c, 7, 1, regs), 0);
	assert_int_equal(regs[1], 0x71);
	assert_int_equal(kmini_probe_cpuid_leaf(c, 7, 0, regs), 0);
	assert_int_equal(regs[1], 0x70);
	assert_int_equal(kmini_probe_cpuid_leaf(c, 7, 2, regs), -ENOENT);
	assert_int_equal(kmini_probe_cpuid_leaf(c, 0x80000001, 0, regs), -ENOENT);
	free(c);
}

static void test_kvmprobe_cap_state_names(void **state)
{
	(void)state;
	assert_string_equal(kmini_cap_state_name(KMINI_CAP_YES), "yes");
	assert_string_equal(kmini_cap_state_name(KMINI_CAP_NO), "no");
	assert_string_equal(kmini_cap_state_name(KMINI_CAP_UNKNOWN), "unknown");
}

/* On a machine with KVM: the probe answers every question. */
static void test_kvmprobe_real_device(void **state)
{
	struct kmini_probe p;
	int fd, err;

	(void)state;
	fd = open(KMINI_PROBE_DEFAULT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s: %s", KMINI_PROBE_DEFAULT_DEV, strerror(errno));
		print_message("skipped: no usable KVM device here (%s); test_kvm_mini runs this "
			      "test in its nested KVM guest (scripts/kvm-nested.sh)\n", why);
		skip();
	}
	close(fd);
	err = kmini_probe(NULL, &p);
	assert_int_equal(p.api_version, KMINI_PROBE_API_VERSION);
	assert_int_not_equal(p.cap_user_memory, KMINI_CAP_UNKNOWN);
	assert_int_not_equal(p.cap_irqchip, KMINI_CAP_UNKNOWN);
	assert_int_not_equal(p.steal_time, KMINI_CAP_UNKNOWN);
	assert_int_equal(p.usable, err == 0);
	if (err == 0)
		assert_string_equal(p.reason, "");
	else
		assert_int_equal(err, -EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvmprobe_missing_device),
		cmocka_unit_test(test_kvmprobe_not_a_kvm_device),
		cmocka_unit_test(test_kvmprobe_fd_names_the_caller_path),
		cmocka_unit_test(test_kvmprobe_default_device_name),
		cmocka_unit_test(test_kvmprobe_supported_cpuid_on_non_kvm),
		cmocka_unit_test(test_kvmprobe_cpuid_leaf_lookup),
		cmocka_unit_test(test_kvmprobe_cap_state_names),
		cmocka_unit_test(test_kvmprobe_real_device),
	};

	log_init("test_kvmprobe");
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
