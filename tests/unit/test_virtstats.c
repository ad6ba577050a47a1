/*
 * Unit tests for host-tools/virtstats: per-vCPU statistics from typed
 * parameter records (name parsing, missing fields, ns kept as ns), cpumap
 * <-> cpu_set_t conversion and rate derivation, against values worked out
 * by hand. No libvirt is involved: the records are built here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "host-tools/virtstats.h"

#define EPS 1e-9
#define WHAT "test:///x: domain d"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct virtstats_vcpu buf[8];
static struct virtstats_dom dom;

static int setup(void **state)
{
	(void)state;
	log_set_quiet(1);
	memset(buf, 0xa5, sizeof(buf));        /* stale data must not leak through */
	virtstats_dom_init(&dom, buf, NELEM(buf));
	return 0;
}

static void assert_error_has(const char *needle)
{
	const char *msg = log_last_error();

	if (!strstr(msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", msg, needle);
}

static struct virtstats_param ull(const char *name, uint64_t v)
{
	struct virtstats_param p = { .name = name, .type = VIRTSTATS_ULLONG };

	p.v.u = v;
	return p;
}

static struct virtstats_param uint_(const char *name, unsigned v)
{
	struct virtstats_param p = { .name = name, .type = VIRTSTATS_UINT };

	p.v.u = v;
	return p;
}

static struct virtstats_param int_(const char *name, int v)
{
	struct virtstats_param p = { .name = name, .type = VIRTSTATS_INT };

	p.v.i = v;
	return p;
}

/* What the QEMU driver returns for a running 2-vCPU domain. */
static void test_virtstats_parses_qemu_record(void **state)
{
	const struct virtstats_param p[] = {
		uint_("vcpu.current", 2),
		uint_("vcpu.maximum", 2),
		int_("vcpu.0.state", VIRTSTATS_VCPU_RUNNING),
		ull("vcpu.0.time", 5230000000ULL),
		ull("vcpu.0.wait", 0),
		ull("vcpu.0.delay", 1234567),
		int_("vcpu.1.state", VIRTSTATS_VCPU_BLOCKED),
		ull("vcpu.1.time", 20000000ULL),
		ull("vcpu.1.wait", 7),
		ull("vcpu.1.delay", 987654321012ULL),
	};

	(void)state;
	assert_int_equal(virtstats_parse(WHAT, p, NELEM(p), 0, &dom), 0);
	assert_int_equal(dom.nvcpus, 2);
	assert_int_equal(dom.nreported, 2);
	assert_int_equal(dom.current, 2);
	assert_int_equal(dom.maximum, 2);
	assert_int_equal(dom.present, VIRTSTATS_F_CURRENT | VIRTSTATS_F_MAXIMUM);
	assert_int_equal(dom.missing, 0);
	assert_int_equal(dom.nignored, 0);
	assert_int_equal(dom.vcpu[0].present, VIRTSTATS_F_ALL);
	assert_int_equal(dom.vcpu[0].state, VIRTSTATS_VCPU_RUNNING);
	assert_int_equal(dom.vcpu[0].time_ns, 5230000000ULL);
	assert_int_equal(dom.vcpu[0].delay_ns, 1234567);
	assert_int_equal(dom.vcpu[0].wait_ns, 0);
	assert_int_equal(dom.vcpu[0].pcpu, -1);
	assert_int_equal(dom.vcpu[1].state, VIRTSTATS_VCPU_BLOCKED);
	assert_int_equal(dom.vcpu[1].time_ns, 20000000ULL);
	assert_int_equal(dom.vcpu[1].wait_ns, 7);
}

/* ns in, ns out: 1.5 ms of delay stays 1500000, it is not read as us. */
static void test_virtstats_keeps_ns_units(void **state)
{
	const struct virtstats_param p[] = {
		ull("vcpu.0.delay", 1500000),
		ull("vcpu.0.time", 1),
	};

	(void)state;
	assert_int_equal(virtstats_parse(WHAT, p, NELEM(p), 1, &dom), 0);
	assert_int_equal(dom.vcpu[0].delay_ns, 1500000);
	assert_int_equal(dom.vcpu[0].time_ns, 1);
}

/* An older libvirt without vcpu.N.delay/wait: say which, keep the rest. */
static void test_virtstats_records_missing_fields(void **state)
{
	const struct virtstats_param p[] = {
		uint_("vcpu.current", 2),
		uint_("vcpu.maximum", 2),
		int_("vcpu.0.state", 1),
		ull("vcpu.0.time", 100),
		int_("vcpu.1.state", 1),
		ull("vcpu.1.time", 200),
		ull("vcpu.1.delay", 5),
	};

	(void)state;
	assert_int_equal(virtstats_parse(WHAT, p, NELEM(p), 2, &dom), 0);
	assert_int_equal(dom.nreported, 2);
	assert_int_equal(dom.missing, VIRTSTATS_F_DELAY | VIRTSTATS_F_WAIT);
	assert_int_equal(dom.vcpu[0].present, VIRTSTATS_F_STATE | VIRTSTATS_F_TIME);
	assert_int_equal(dom.vcpu[1].present,
			 VIRTSTATS_F_STATE | VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY);
	assert_int_equal(dom.vcpu[0].delay_ns, 0);
	assert_int_equal(dom.vcpu[1].delay_ns, 5);
	assert_int_equal(dom.vcpu[1].time_ns, 200);
	assert_string_equal(virtstats_field_name(VIRTSTATS_F_DELAY), "vcpu.N.delay");
	assert_string_equal(virtstats_field_name(VIRTSTATS_F_WAIT), "vcpu.N.wait");
}

/* libvirt's test driver: no vcpu.* at all. Everything missing, vCPUs from the hint. */
static void test_virtstats_nothing_reported(void **state)
{
	(void)state;
	assert_int_equal(virtstats_parse(WHAT, NULL, 0, 2, &dom), 0);
	assert_int_equal(dom.nvcpus, 2);
	assert_int_equal(dom.nreported, 0);
	assert_int_equal(dom.missing, VIRTSTATS_F_ALL | VIRTSTATS_F_CURRENT | VIRTSTATS_F_MAXIMUM);
	assert_int_equal(dom.vcpu[1].present, 0);
	assert_int_equal(dom.vcpu[1].delay_ns, 0);
	assert_int_equal(dom.vcpu[1].pcpu, -1);
}

/* Hotplug: vCPU 1 offline, 0 and 2 reported; nvcpus covers vcpu.maximum. */
static void test_virtstats_sparse_indices(void **state)
{
	const struct virtstats_param p[] = {
		uint_("vcpu.current", 2),
		uint_("vcpu.maximum", 4),
		int_("vcpu.0.state", 1), ull("vcpu.0.time", 1),
		ull("vcpu.0.delay", 2), ull("vcpu.0.wait", 3),
		int_("vcpu.2.state", 1), ull("vcpu.2.time", 4),
		ull("vcpu.2.delay", 5), ull("vcpu.2.wait", 6),
	};

	(void)state;
	assert_int_equal(virtstats_parse(WHAT, p, NELEM(p), 2, &dom), 0);
	assert_int_equal(dom.nvcpus, 4);
	assert_int_equal(dom.nreported, 2);
	assert_int_equal(dom.missing, 0);
	assert_int_equal(dom.vcpu[1].present, 0);
	assert_int_equal(dom.vcpu[3].present, 0);
	assert_int_equal(dom.vcpu[2].delay_ns, 5);
}

/* Names are parsed strictly; what is not a field we know is ignored, not misread. */
static void test_virtstats_ignores_unknown_names(void **state)
{
	const struct virtstats_param p[] = {
		ull("vcpu.0.time", 10),
		ull("vcpu.01.time", 99),       /* leading zero */
		ull("vcpu.-1.time", 99),
		ull("vcpu.+1.time", 99),
		ull("vcpu.1x.time", 99),
		ull("vcpu..time", 99),
		ull("vcpu.1", 99),
		ull("vcpu.1.time.extra", 99),
		ull("vcpu.0.timer", 99),
		ull("vcpu.0.halted", 1),       /* a real field we do not use */
		ull("vcpu.0.TIME", 99),
		ull("cpu.time", 99),
		ull("vcpux.0.time", 99),
		ull("vcpu.999999999999999999999.halted", 1),
	};

	(void)state;
	assert_int_equal(virtstats_parse(WHAT, p, NELEM(p), 0, &dom), 0);
	assert_int_equal(dom.nvcpus, 1);
	assert_int_equal(dom.nignored, NELEM(p) - 1);
	assert_int_equal(dom.vcpu[0].present, VIRTSTATS_F_TIME);
	assert_int_equal(dom.vcpu[0].time_ns, 10);
}

static void test_virtstats_index_bounds(void **state)
{
	const struct virtstats_param beyond_max[] = {
		uint_("vcpu.maximum", 2),
		ull("vcpu.2.time", 1),
	};
	const struct virtstats_param beyond_cap[] = { ull("vcpu.8.time", 1) };
	const struct virtstats_param beyond_limit[] = { ull("vcpu.99999999999999999999.delay", 1) };
	const struct virtstats_param hint_ok[] = { ull("vcpu.7.time", 1) };

	(void)state;
	assert_int_equal(virtstats_parse(WHAT, beyond_max, 2, 0, &dom), -ERANGE);
	assert_error_has(WHAT ": vcpu.2.*: vCPU index not below vcpu.maximum 2");
	assert_int_equal(dom.nvcpus, 0);
	assert_int_equal(virtstats_parse(WHAT, beyond_cap, 1, 0, &dom), -ERANGE);
	assert_error_has("vCPU statistics for 9 vCPUs, room for 8");
	assert_int_equal(virtstats_parse(WHAT, beyond_limit, 1, 0, &dom), -ERANGE);
	assert_error_has("vcpu.99999999999999999999.delay: vCPU index beyond the limit");
	assert_int_equal(virtstats_parse(WHAT, hint_ok, 1, 9, &dom), -ERANGE);
	assert_int_equal(virtstats_parse(WHAT, hint_ok, 1, 0, &dom), 0);
	assert_int_equal(dom.nvcpus, 8);
	assert_int_equal(dom.nreported, 1);
}

static void test_virtstats_rejects_bad_values(void **state)
{
	struct virtstats_param p[2];

	(void)state;
	p[0] = int_("vcpu.0.delay", -5);
	assert_int_equal(virtstats_parse(WHAT, p, 1, 0, &dom), -EINVAL);
	assert_error_has(WHAT ": vcpu.0.delay: negative counter -5");

	p[0] = ull("vcpu.0.time", 1);
	p[0].type = VIRTSTATS_DOUBLE;
	p[0].v.d = 1.0;
	assert_int_equal(virtstats_parse(WHAT, p, 1, 0, &dom), -EINVAL);
	assert_error_has("vcpu.0.time: expected an integer counter");

	p[0] = ull("vcpu.0.wait", 1);
	p[1] = ull("vcpu.0.wait", 2);
	assert_int_equal(virtstats_parse(WHAT, p, 2, 0, &dom), -EINVAL);
	assert_error_has("vcpu.0.wait: given twice");

	p[0] = int_("vcpu.maximum", -1);
	assert_int_equal(virtstats_parse(WHAT, p, 1, 0, &dom), -ERANGE);
	assert_error_has("vcpu.maximum: -1 vCPUs is out of range");

	p[0] = ull("vcpu.0.state", 1);
	p[0].type = VIRTSTATS_STRING;
	p[0].v.s = "running";
	assert_int_equal(virtstats_parse(WHAT, p, 1, 0, &dom), -EINVAL);
	assert_error_has("vcpu.0.state: expected an integer");

	/* A counter as a signed type is fine when it is not negative. */
	p[0] = int_("vcpu.0.delay", 42);
	p[0].type = VIRTSTATS_LLONG;
	assert_int_equal(virtstats_parse(WHAT, p, 1, 0, &dom), 0);
	assert_int_equal(dom.vcpu[0].delay_ns, 42);
}

/* CPU i is bit i % 8 of byte i / 8: CPU 9 is bit 1 of byte 1. */
static void test_virtstats_cpumap_to_set(void **state)
{
	const unsigned char map[] = { 0x05, 0x02, 0x00, 0x80 };
	cpu_set_t set;

	(void)state;
	assert_int_equal(virtstats_cpumap_to_set(WHAT, map, sizeof(map), &set), 0);
	assert_int_equal(CPU_COUNT(&set), 4);
	assert_true(CPU_ISSET(0, &set));
	assert_true(CPU_ISSET(2, &set));
	assert_true(CPU_ISSET(9, &set));
	assert_true(CPU_ISSET(31, &set));
	assert_false(CPU_ISSET(1, &set));
	assert_false(CPU_ISSET(8, &set));
}

static void test_virtstats_set_to_cpumap(void **state)
{
	unsigned char map[4];
	cpu_set_t set, back;

	(void)state;
	CPU_ZERO(&set);
	CPU_SET(9, &set);
	memset(map, 0xff, sizeof(map));
	assert_int_equal(virtstats_set_to_cpumap(WHAT, &set, map, sizeof(map)), 2);
	assert_int_equal(map[0], 0x00);
	assert_int_equal(map[1], 0x02);
	assert_int_equal(map[2], 0xff);                /* beyond the length: untouched */

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	assert_int_equal(virtstats_set_to_cpumap(WHAT, &set, map, sizeof(map)), 1);
	assert_int_equal(map[0], 0x02);

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CPU_SET(3, &set);
	CPU_SET(8, &set);
	CPU_SET(31, &set);
	assert_int_equal(virtstats_set_to_cpumap(WHAT, &set, map, sizeof(map)), 4);
	assert_int_equal(map[0], 0x09);
	assert_int_equal(map[1], 0x01);
	assert_int_equal(map[2], 0x00);
	assert_int_equal(map[3], 0x80);
	assert_int_equal(virtstats_cpumap_to_set(WHAT, map, 4, &back), 0);
	assert_true(CPU_EQUAL(&set, &back));

	CPU_SET(32, &set);
	assert_int_equal(virtstats_set_to_cpumap(WHAT, &set, map, sizeof(map)), -ERANGE);
	assert_error_has("CPU 32 needs 5 bytes, room for 4");

	CPU_ZERO(&set);
	assert_int_equal(virtstats_set_to_cpumap(WHAT, &set, map, sizeof(map)), 0);
}

static void test_virtstats_cpumap_beyond_setsize(void **state)
{
	unsigned char map[CPU_SETSIZE / 8 + 1];
	cpu_set_t set;

	(void)state;
	memset(map, 0, sizeof(map));
	map[CPU_SETSIZE / 8] = 0x01;                   /* CPU CPU_SETSIZE */
	CPU_ZERO(&set);
	CPU_SET(5, &set);
	assert_int_equal(virtstats_cpumap_to_set(WHAT, map, sizeof(map), &set), -ERANGE);
	assert_error_has("cpumap: CPU 1024 is beyond 1023");
	assert_true(CPU_ISSET(5, &set));               /* untouched on error */
}

static void test_virtstats_rate(void **state)
{
	(void)state;
	/* 250 ms of delay over 1 s: 25%. */
	assert_float_equal(virtstats_rate_pct(1000000000ULL, 1250000000ULL, 1000000000LL), 25.0,
			   EPS);
	/* 1.5 ms over 10 ms. */
	assert_float_equal(virtstats_rate_pct(0, 1500000, 10000000), 15.0, EPS);
	/* A counter going backwards is 0, not a huge unsigned delta. */
	assert_float_equal(virtstats_rate_pct(500, 400, 1000), 0.0, EPS);
	/* No interval: 0, no division by zero. */
	assert_float_equal(virtstats_rate_pct(0, 100, 0), 0.0, EPS);
	assert_float_equal(virtstats_rate_pct(0, 100, -5), 0.0, EPS);
	/* Lumpy accounting: 1.2 s in a 1 s interval is clamped to 100%. */
	assert_float_equal(virtstats_rate_pct(0, 1200000000ULL, 1000000000LL), 100.0, EPS);
}

static void test_virtstats_vcpu_rates(void **state)
{
	struct virtstats_vcpu ba[2], bb[2];
	struct virtstats_dom a, b;
	struct virtstats_rates r;
	const struct virtstats_param pa[] = {
		ull("vcpu.0.time", 1000000000ULL), ull("vcpu.0.delay", 0),
		ull("vcpu.1.time", 0),
	};
	const struct virtstats_param pb[] = {
		ull("vcpu.0.time", 1400000000ULL), ull("vcpu.0.delay", 500000000ULL),
		ull("vcpu.1.time", 100000000ULL), ull("vcpu.1.delay", 7),
	};

	(void)state;
	virtstats_dom_init(&a, ba, 2);
	virtstats_dom_init(&b, bb, 2);
	assert_int_equal(virtstats_parse(WHAT, pa, NELEM(pa), 2, &a), 0);
	assert_int_equal(virtstats_parse(WHAT, pb, NELEM(pb), 2, &b), 0);
	a.t_ns = 5000000000LL;
	b.t_ns = 7000000000LL;                         /* 2 s apart */
	virtstats_vcpu_rates(&a, &b, 0, &r);
	assert_int_equal(r.present, VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY);
	assert_float_equal(r.time_pct, 20.0, EPS);
	assert_float_equal(r.delay_pct, 25.0, EPS);
	/* vCPU 1 has no delay in the first sample: no delay rate, not a made-up one. */
	virtstats_vcpu_rates(&a, &b, 1, &r);
	assert_int_equal(r.present, VIRTSTATS_F_TIME);
	assert_float_equal(r.time_pct, 5.0, EPS);
	assert_float_equal(r.delay_pct, 0.0, EPS);
	virtstats_vcpu_rates(&a, &b, 2, &r);
	assert_int_equal(r.present, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_virtstats_parses_qemu_record, setup),
		cmocka_unit_test_setup(test_virtstats_keeps_ns_units, setup),
		cmocka_unit_test_setup(test_virtstats_records_missing_fields, setup),
		cmocka_unit_test_setup(test_virtstats_nothing_reported, setup),
		cmocka_unit_test_setup(test_virtstats_sparse_indices, setup),
		cmocka_unit_test_setup(test_virtstats_ignores_unknown_names, setup),
		cmocka_unit_test_setup(test_virtstats_index_bounds, setup),
		cmocka_unit_test_setup(test_virtstats_rejects_bad_values, setup),
		cmocka_unit_test_setup(test_virtstats_cpumap_to_set, setup),
		cmocka_unit_test_setup(test_virtstats_set_to_cpumap, setup),
		cmocka_unit_test_setup(test_virtstats_cpumap_beyond_setsize, setup),
		cmocka_unit_test_setup(test_virtstats_rate, setup),
		cmocka_unit_test_setup(test_virtstats_vcpu_rates, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
