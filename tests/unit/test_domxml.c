/*
 * Unit tests for experiments/domxml: the transient domain of one libvirt
 * repetition. Its name, the kernel command line (every stealscope.KEY of
 * docs/guest-protocol.md, exactly), where the emulator threads go for each
 * policy of pinning.ini, the per-vCPU quota, and the XML: vcpupin only for
 * pinned vCPUs, emulatorpin, period/quota, escaping of names and paths, and
 * that libvirt's own parser (the test:///default driver) accepts it once
 * the domain type is the driver's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/parse.h"
#include "experiments/domxml.h"
#include "host-tools/virt.h"

#define MS 1000000LL

/* sched-virt as run: 1 vCPU on CPU 0, the hog on CPU 0. */
static struct spec sched_virt(void)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "sched-virt");
	s.duration_ns = 3000 * MS;
	s.repeat = 1;
	s.sample_interval_ns = 10 * MS;
	s.vcpus = 1;
	s.pins[0] = 0;
	s.slice_ns = 4 * MS;
	s.workload = SPEC_WORKLOAD_SCHED;
	s.tasks = 2;
	s.units = 0;
	s.unit_work_ns = 1 * MS;
	s.n_contention = 1;
	s.contention[0].cpu = 0;
	s.contention[0].start_ns = 1000 * MS;
	s.contention[0].end_ns = 2000 * MS;
	return s;
}

static void test_domxml_name(void **state)
{
	char buf[DOMXML_NAME_MAX], big[200];

	(void)state;
	assert_int_equal(domxml_name(buf, sizeof(buf), "sched-virt", 4242, 3), 0);
	assert_string_equal(buf, "stealscope-sched-virt-4242-3");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_set_quiet(1);
	assert_int_equal(domxml_name(buf, sizeof(buf), big, 1, 1), -ENAMETOOLONG);
	assert_int_equal(domxml_name(buf, 10, "sched-virt", 1, 1), -ENAMETOOLONG);
	log_set_quiet(0);
}

static void test_domxml_cmdline(void **state)
{
	struct spec s = sched_virt();
	char buf[DOMXML_CMDLINE_MAX];

	(void)state;
	assert_int_equal(domxml_cmdline(&s, "0123456789abcdef", 1000 * MS, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "console=ttyS0 quiet loglevel=1 panic=-1 "
			    "stealscope.id=0123456789abcdef stealscope.vcpus=1 "
			    "stealscope.workload=sched stealscope.tasks=2 stealscope.units=0 "
			    "stealscope.unit_work=1000000 stealscope.duration=3000000000 "
			    "stealscope.interval=10000000 stealscope.margin=1000000000");
	s.workload = SPEC_WORKLOAD_INF_LOOP;
	s.vcpus = 2;
	assert_int_equal(domxml_cmdline(&s, "deadbeef", 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, " stealscope.vcpus=2 stealscope.workload=inf-loop "));
	assert_non_null(strstr(buf, " stealscope.margin=0"));
	log_set_quiet(1);
	assert_int_equal(domxml_cmdline(&s, "DEADBEEF", 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(domxml_cmdline(&s, "deadbeef", 0, buf, 40), -ENAMETOOLONG);
	log_set_quiet(0);
}

static void emu_of(const struct spec *s, const char *online_list, char *out, size_t len)
{
	cpu_set_t online, emu;

	log_set_quiet(1);
	assert_int_equal(parse_cpulist("online", online_list, &online), 0);
	log_set_quiet(0);
	domxml_emulator_cpus(s, &online, &emu);
	cpulist_format(&emu, out, len);
}

/* The policies of pinning.ini on a 2-CPU host, and a 1-CPU one. */
static void test_domxml_emulator_cpus(void **state)
{
	struct spec s = sched_virt();
	char got[64];

	(void)state;
	emu_of(&s, "0-1", got, sizeof(got));          /* shared: vCPU and hog on 0 */
	assert_string_equal(got, "1");
	s.pins[0] = 1;                                 /* dedicated: vCPU on 1, hog on 0 */
	emu_of(&s, "0-1", got, sizeof(got));
	assert_string_equal(got, "0");
	s.pins[0] = SPEC_PIN_ANY;                      /* floating: anywhere but the hog's */
	emu_of(&s, "0-1", got, sizeof(got));
	assert_string_equal(got, "1");
	s.vcpus = 2;                                   /* overcommit: 2 vCPUs on 0, no hog */
	s.pins[0] = s.pins[1] = 0;
	s.n_contention = 0;
	emu_of(&s, "0-1", got, sizeof(got));
	assert_string_equal(got, "1");
	emu_of(&s, "0-3", got, sizeof(got));
	assert_string_equal(got, "1-3");
	s = sched_virt();                              /* one CPU: nowhere else to go */
	emu_of(&s, "0", got, sizeof(got));
	assert_string_equal(got, "");
}

static void test_domxml_quota(void **state)
{
	struct spec s = sched_virt();
	int64_t period, quota;

	(void)state;
	domxml_quota(&s, &period, &quota);
	assert_true(period == 0 && quota == 0);
	s.quota_pct = 50;
	domxml_quota(&s, &period, &quota);
	assert_true(period == 100000 && quota == 50000);
	s.vcpus = 8;                                   /* 50% for the 8 together */
	domxml_quota(&s, &period, &quota);
	assert_true(period == 100000 && quota == 6250);
	s.quota_pct = 4;                               /* 0.5% each: a longer period */
	domxml_quota(&s, &period, &quota);
	assert_true(period == 1000000 && quota == 5000);
	s.quota_pct = 0.5;                             /* below libvirt's minimum: 1000 us */
	domxml_quota(&s, &period, &quota);
	assert_true(period == 1000000 && quota == 1000);
}

static char *build(const struct spec *s, const char *type, const char *serial,
		   const cpu_set_t *emu)
{
	struct domxml_in in = {
		.spec = s, .name = "stealscope-sched-virt-1-1", .description = "a <test> & more",
		.domain_type = type, .kernel = "/img/vmlinuz", .initrd = "/img/initramfs.cpio.gz",
		.cmdline = "console=ttyS0 stealscope.id=deadbeef", .serial_path = serial,
		.emulator_cpus = emu,
	};
	char *xml = NULL;

	assert_int_equal(domxml_build(&in, &xml), 0);
	assert_non_null(xml);
	return xml;
}

static void test_domxml_build(void **state)
{
	struct spec s = sched_virt();
	cpu_set_t emu;
	char *xml;

	(void)state;
	CPU_ZERO(&emu);
	CPU_SET(1, &emu);
	xml = build(&s, "qemu", "/r/it's & <here>/serial.log", &emu);
	assert_non_null(strstr(xml, "<domain type='qemu'>\n"));
	assert_non_null(strstr(xml, "<name>stealscope-sched-virt-1-1</name>"));
	assert_non_null(strstr(xml, "<description>a &lt;test&gt; &amp; more</description>"));
	assert_non_null(strstr(xml, "<memory unit='MiB'>256</memory>"));
	assert_non_null(strstr(xml, "<vcpu placement='static'>1</vcpu>"));
	assert_non_null(strstr(xml, "<cputune>\n    <vcpupin vcpu='0' cpuset='0'/>\n"
			       "    <emulatorpin cpuset='1'/>\n  </cputune>"));
	assert_non_null(strstr(xml, "<kernel>/img/vmlinuz</kernel>"));
	assert_non_null(strstr(xml, "<initrd>/img/initramfs.cpio.gz</initrd>"));
	assert_non_null(strstr(xml, "<cmdline>console=ttyS0 stealscope.id=deadbeef</cmdline>"));
	assert_non_null(strstr(xml, "<features>\n    <acpi/>\n  </features>"));
	assert_non_null(strstr(xml, "<on_poweroff>destroy</on_poweroff>"));
	assert_non_null(strstr(xml, "<on_reboot>destroy</on_reboot>"));
	assert_non_null(strstr(xml, "<source path='/r/it&#39;s &amp; &lt;here&gt;/serial.log'/>"));
	/* nothing the experiment does not need */
	assert_null(strstr(xml, "<disk"));
	assert_null(strstr(xml, "<interface"));
	assert_null(strstr(xml, "<graphics"));
	assert_non_null(strstr(xml, "<memballoon model='none'/>"));
	assert_null(strstr(xml, "<quota>"));
	free(xml);

	/* two vCPUs, one unpinned; a quota; no emulator pinning */
	s.vcpus = 2;
	s.pins[0] = SPEC_PIN_ANY;
	s.pins[1] = 1;
	s.quota_pct = 50;
	xml = build(&s, "kvm", "/s", NULL);
	assert_non_null(strstr(xml, "<domain type='kvm'>"));
	assert_null(strstr(xml, "<vcpupin vcpu='0'"));
	assert_non_null(strstr(xml, "<vcpupin vcpu='1' cpuset='1'/>"));
	assert_null(strstr(xml, "<emulatorpin"));
	assert_non_null(strstr(xml, "<period>100000</period>\n    <quota>25000</quota>"));
	free(xml);

	/* unpinned, no quota, no emulator pinning: no <cputune> at all */
	s.pins[1] = SPEC_PIN_ANY;
	s.quota_pct = 0;
	CPU_ZERO(&emu);
	xml = build(&s, "qemu", "/s", &emu);
	assert_null(strstr(xml, "<cputune>"));
	free(xml);
}

static void test_domxml_build_refuses(void **state)
{
	struct spec s = sched_virt();
	struct domxml_in in = {
		.spec = &s, .name = "n", .domain_type = "xen", .kernel = "/k", .initrd = "/i",
		.cmdline = "c", .serial_path = "/s",
	};
	char *xml = (char *)"untouched";

	(void)state;
	log_set_quiet(1);
	assert_int_equal(domxml_build(&in, &xml), -EINVAL);
	assert_null(xml);
	assert_string_equal(log_last_error(), "domain XML: domain type 'xen' (kvm or qemu)");
	in.domain_type = "qemu";
	s.vcpus = 0;
	assert_int_equal(domxml_build(&in, &xml), -EINVAL);
	s.vcpus = 1;
	in.serial_path = NULL;
	assert_int_equal(domxml_build(&in, &xml), -EINVAL);
	log_set_quiet(0);
}

/*
 * libvirt's parser takes the XML: the test driver runs domains of type
 * 'test' only, so the type is swapped; everything else is as built. The
 * pinning reads back as written.
 */
static void test_domxml_libvirt_parses_it(void **state)
{
	const struct virt_ops *ops = virt_libvirt_ops();
	struct spec s = sched_virt();
	struct virt_conn *c = NULL;
	struct virt_domain *d = NULL;
	struct virt_dom_info info;
	cpu_set_t emu, pins[2], got_emu;
	char *xml, *t;
	size_t n;

	(void)state;
	s.vcpus = 2;
	s.pins[1] = 1;
	CPU_ZERO(&emu);
	CPU_SET(1, &emu);
	xml = build(&s, "qemu", "/tmp/stealscope-domxml-serial.log", &emu);
	t = strstr(xml, "type='qemu'");
	assert_non_null(t);
	memcpy(t, "type='test'", 11);
	assert_int_equal(ops->connect("test:///default", 0, &c), 0);
	if (ops->create_transient(c, xml, 0, &d))
		fail_msg("test:///default refused the XML: %s\n%s", log_last_error(), xml);
	assert_int_equal(ops->domain_info(d, &info), 0);
	assert_string_equal(info.name, "stealscope-sched-virt-1-1");
	assert_int_equal(info.nvcpus, 2);
	assert_int_equal(ops->get_vcpu_pins(d, pins, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_true(CPU_COUNT(&pins[0]) == 1 && CPU_ISSET(0, &pins[0]));
	assert_true(CPU_COUNT(&pins[1]) == 1 && CPU_ISSET(1, &pins[1]));
	assert_int_equal(ops->get_emulator_pin(d, &got_emu), 0);
	assert_true(CPU_EQUAL(&got_emu, &emu));
	ops->destroy(d);
	ops->free_domain(d);
	ops->close(c);
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domxml_name),
		cmocka_unit_test(test_domxml_cmdline),
		cmocka_unit_test(test_domxml_emulator_cpus),
		cmocka_unit_test(test_domxml_quota),
		cmocka_unit_test(test_domxml_build),
		cmocka_unit_test(test_domxml_build_refuses),
		cmocka_unit_test(test_domxml_libvirt_parses_it),
	};

	log_init("test_domxml");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
