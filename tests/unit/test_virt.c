/*
 * Unit tests for host-tools/virt: the libvirt ops against libvirt's own
 * test:///default driver (built into libvirt.so, no daemon needed: one
 * running domain "test" with 2 vCPUs on a fake 16-CPU host), and the
 * listing built from struct virt_ops driven by a fake set of ops, which is
 * how callers substitute libvirt.
 *
 * test:///default keeps its state while any connection to it is open and
 * starts afresh after the last one closes; every test opens and closes its
 * own connection, so pinning done by one test is not seen by the next.
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
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "common/promexp.h"
#include "host-tools/virt.h"

#define TEST_URI "test:///default"

static const struct virt_ops *lv;

static void assert_error_has(const char *needle)
{
	const char *msg = log_last_error();

	if (!strstr(msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", msg, needle);
}

static void assert_cpus(const cpu_set_t *set, const char *want)
{
	char buf[CPULIST_FMT_LEN];

	assert_string_equal(cpulist_format(set, buf, sizeof(buf)), want);
}

static cpu_set_t cpus_of(const char *list)
{
	cpu_set_t set;

	if (parse_cpulist("test", list, &set))
		fail_msg("bad cpulist %s", list);
	return set;
}

/* Connection and the domain "test", for the libvirt tests. */
struct lvfix {
	struct virt_conn *c;
	struct virt_domain **doms;
	size_t n;
};

static int lv_setup_flags(void **state, unsigned flags)
{
	struct lvfix *f = calloc(1, sizeof(*f));

	log_set_quiet(1);
	lv = virt_libvirt_ops();
	if (!f || lv->connect(TEST_URI, flags, &f->c)) {
		free(f);
		return -1;
	}
	if (lv->list_domains(f->c, &f->doms, &f->n)) {
		lv->close(f->c);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int lv_setup(void **state)
{
	return lv_setup_flags(state, 0);
}

static int lv_setup_ro(void **state)
{
	return lv_setup_flags(state, VIRT_CONNECT_RO);
}

static int lv_teardown(void **state)
{
	struct lvfix *f = *state;

	lv->free_domains(f->doms, f->n);
	lv->close(f->c);
	free(f);
	return 0;
}

static void test_virt_libvirt_lists_test_domain(void **state)
{
	struct lvfix *f = *state;
	struct virt_dom_info info;

	assert_string_equal(lv->uri(f->c), TEST_URI);
	assert_int_equal(f->n, 1);
	assert_int_equal(lv->domain_info(f->doms[0], &info), 0);
	assert_string_equal(info.name, "test");
	assert_int_equal(info.id, 1);
	assert_int_equal(info.state, VIRT_DOM_RUNNING);
	assert_int_equal(info.nvcpus, 2);
	assert_int_equal(info.max_vcpus, 2);
}

static void test_virt_libvirt_reads_pins(void **state)
{
	struct lvfix *f = *state;
	cpu_set_t pins[4], emu;
	size_t n = 99;

	assert_int_equal(lv->get_vcpu_pins(f->doms[0], pins, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_cpus(&pins[0], "0-15");
	assert_cpus(&pins[1], "0-15");
	/* Room for fewer vCPUs than the domain has: only that many. */
	assert_int_equal(lv->get_vcpu_pins(f->doms[0], pins, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lv->get_emulator_pin(f->doms[0], &emu), 0);
	assert_cpus(&emu, "0-15");
}

static void test_virt_libvirt_pins_vcpu(void **state)
{
	struct lvfix *f = *state;
	cpu_set_t one = cpus_of("1"), pins[2];
	size_t n;

	assert_int_equal(lv->pin_vcpu(f->doms[0], 0, &one, VIRT_AFFECT_LIVE), 0);
	assert_int_equal(lv->get_vcpu_pins(f->doms[0], pins, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_cpus(&pins[0], "1");
	assert_cpus(&pins[1], "0-15");
}

static void test_virt_libvirt_pin_errors(void **state)
{
	struct lvfix *f = *state;
	cpu_set_t one = cpus_of("1"), none;

	/* The test driver takes no flags but "current"; live+config is refused. */
	assert_int_equal(lv->pin_vcpu(f->doms[0], 0, &one, VIRT_AFFECT_LIVE | VIRT_AFFECT_CONFIG),
			 -EINVAL);
	assert_error_has(TEST_URI ": domain test: virDomainPinVcpuFlags(vCPU 0, CPUs 1): ");
	assert_error_has("unsupported flags");

	CPU_ZERO(&none);
	assert_int_equal(lv->pin_vcpu(f->doms[0], 1, &none, VIRT_AFFECT_LIVE), -EINVAL);
	assert_error_has("empty CPU set");
	assert_int_equal(lv->pin_emulator(f->doms[0], &one, 0), -EINVAL);
	assert_error_has("neither live nor config");
}

static void test_virt_libvirt_pins_emulator(void **state)
{
	struct lvfix *f = *state;
	cpu_set_t set = cpus_of("0,9"), emu, pins[2];
	size_t n;

	assert_int_equal(lv->pin_emulator(f->doms[0], &set, VIRT_AFFECT_LIVE), 0);
	assert_int_equal(lv->get_emulator_pin(f->doms[0], &emu), 0);
	assert_cpus(&emu, "0,9");
	/* The vCPUs are not affected. */
	assert_int_equal(lv->get_vcpu_pins(f->doms[0], pins, 2, &n), 0);
	assert_cpus(&pins[0], "0-15");
}

/*
 * test:///default returns a record without any vcpu.* field: every field is
 * reported missing, not as 0; the host CPU comes from virDomainGetVcpus()
 * (CPU 15 in that driver).
 */
static void test_virt_libvirt_stats_missing(void **state)
{
	struct lvfix *f = *state;
	struct virtstats_vcpu buf[2];
	struct virtstats_dom s;

	virtstats_dom_init(&s, buf, 2);
	assert_int_equal(lv->get_vcpu_stats(f->doms[0], 2, &s), 0);
	assert_int_equal(s.nvcpus, 2);
	assert_int_equal(s.nreported, 0);
	assert_true(s.missing & VIRTSTATS_F_DELAY);
	assert_int_equal(s.missing & VIRTSTATS_F_ALL, VIRTSTATS_F_ALL);
	assert_int_equal(s.vcpu[0].present & VIRTSTATS_F_DELAY, 0);
	assert_int_equal(s.vcpu[0].pcpu, 15);
	assert_int_equal(s.vcpu[1].pcpu, 15);
	assert_true(s.t_ns > 0);
	/* Too little room for the domain's vCPUs is an error, not a truncation. */
	virtstats_dom_init(&s, buf, 1);
	assert_int_equal(lv->get_vcpu_stats(f->doms[0], 2, &s), -ERANGE);
	assert_error_has(TEST_URI ": domain test: vCPU statistics for 2 vCPUs, room for 1");
}

/* Read-only: listing works, pinning is refused, and libvirt itself prints nothing. */
static void test_virt_libvirt_read_only(void **state)
{
	struct lvfix *f = *state;
	cpu_set_t one = cpus_of("1"), pins[2];
	FILE *tmp = tmpfile();
	int saved, rc;
	long len;
	size_t n;

	assert_non_null(tmp);
	assert_int_equal(lv->get_vcpu_pins(f->doms[0], pins, 2, &n), 0);
	assert_int_equal(n, 2);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	rc = lv->pin_vcpu(f->doms[0], 0, &one, VIRT_AFFECT_LIVE);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(rc, -EPERM);
	assert_error_has("domain test: virDomainPinVcpuFlags(vCPU 0, CPUs 1): ");
	assert_error_has("read only");
	/* Our log is quiet here, so anything in the file came from libvirt. */
	fseek(tmp, 0, SEEK_END);
	len = ftell(tmp);
	fclose(tmp);
	assert_int_equal(len, 0);
}

static void test_virt_libvirt_connect_fails(void **state)
{
	struct virt_conn *c = NULL;
	int rc;

	(void)state;
	log_set_quiet(1);
	lv = virt_libvirt_ops();
	rc = lv->connect("stealscope-no-such-driver:///system", 0, &c);
	assert_true(rc < 0);
	assert_null(c);
	assert_error_has("cannot connect to stealscope-no-such-driver:///system: ");
	assert_int_equal(lv->connect("", 0, &c), -EINVAL);
}

/* ---- a fake struct virt_ops ------------------------------------------------ */

struct fake_conn {
	int closed;
};

struct fake_dom {
	const char *name;
	int id;
	int state;
	unsigned nvcpus;
	cpu_set_t pins[2];
	cpu_set_t emu;
	int nsampled;
};

static struct fake_dom fake_doms[2];

static int fake_connect(const char *uri, unsigned flags, struct virt_conn **out)
{
	static struct fake_conn conn;

	(void)flags;
	if (strcmp(uri, "fake:///"))
		return log_err(-ECONNREFUSED, "cannot connect to %s", uri);
	*out = (struct virt_conn *)&conn;
	return 0;
}

static void fake_close(struct virt_conn *c)
{
	((struct fake_conn *)c)->closed = 1;
}

static const char *fake_uri(const struct virt_conn *c)
{
	(void)c;
	return "fake:///";
}

static int fake_list(struct virt_conn *c, struct virt_domain ***out, size_t *n)
{
	struct virt_domain **doms = calloc(2, sizeof(*doms));

	(void)c;
	if (!doms)
		return -ENOMEM;
	doms[0] = (struct virt_domain *)&fake_doms[0];
	doms[1] = (struct virt_domain *)&fake_doms[1];
	*out = doms;
	*n = 2;
	return 0;
}

static void fake_free(struct virt_domain **doms, size_t n)
{
	(void)n;
	free(doms);
}

static int fake_info(struct virt_domain *d, struct virt_dom_info *out)
{
	struct fake_dom *fd = (struct fake_dom *)d;

	out->name = fd->name;
	out->id = fd->id;
	out->state = fd->state;
	out->nvcpus = fd->nvcpus;
	out->max_vcpus = fd->nvcpus;
	return 0;
}

static int fake_pins(struct virt_domain *d, cpu_set_t *pins, size_t cap, size_t *n)
{
	struct fake_dom *fd = (struct fake_dom *)d;
	size_t i;

	*n = fd->nvcpus < cap ? fd->nvcpus : cap;
	for (i = 0; i < *n; i++)
		pins[i] = fd->pins[i];
	return 0;
}

static int fake_emu(struct virt_domain *d, cpu_set_t *out)
{
	*out = ((struct fake_dom *)d)->emu;
	return 0;
}

static int fake_pin_vcpu(struct virt_domain *d, unsigned vcpu, const cpu_set_t *cpus,
			 unsigned flags)
{
	struct fake_dom *fd = (struct fake_dom *)d;

	(void)flags;
	if (vcpu >= fd->nvcpus || vcpu >= sizeof(fd->pins) / sizeof(fd->pins[0]))
		return log_err(-EINVAL, "fake: no vCPU %u", vcpu);
	fd->pins[vcpu] = *cpus;
	return 0;
}

static int fake_pin_emu(struct virt_domain *d, const cpu_set_t *cpus, unsigned flags)
{
	(void)flags;
	((struct fake_dom *)d)->emu = *cpus;
	return 0;
}

/*
 * Sample k (0, 1, ...) of "alpha" is taken at k seconds: vCPU 0 accrues
 * 400 ms of time and 250 ms of delay per second, vCPU 1 100 ms and 10 ms,
 * and vCPU 1 has no wait field.
 */
static int fake_stats(struct virt_domain *d, size_t nvcpus_hint, struct virtstats_dom *out)
{
	struct fake_dom *fd = (struct fake_dom *)d;
	uint64_t k = (uint64_t)fd->nsampled++;
	const struct virtstats_param p[] = {
		{ .name = "vcpu.current", .type = VIRTSTATS_UINT, .v.u = 2 },
		{ .name = "vcpu.maximum", .type = VIRTSTATS_UINT, .v.u = 2 },
		{ .name = "vcpu.0.state", .type = VIRTSTATS_INT, .v.i = VIRTSTATS_VCPU_RUNNING },
		{ .name = "vcpu.0.time", .type = VIRTSTATS_ULLONG, .v.u = 400000000ULL * k },
		{ .name = "vcpu.0.delay", .type = VIRTSTATS_ULLONG, .v.u = 250000000ULL * k },
		{ .name = "vcpu.0.wait", .type = VIRTSTATS_ULLONG, .v.u = 0 },
		{ .name = "vcpu.1.state", .type = VIRTSTATS_INT, .v.i = VIRTSTATS_VCPU_BLOCKED },
		{ .name = "vcpu.1.time", .type = VIRTSTATS_ULLONG, .v.u = 100000000ULL * k },
		{ .name = "vcpu.1.delay", .type = VIRTSTATS_ULLONG, .v.u = 10000000ULL * k },
	};
	int rc;

	if (fd->id < 0)
		return virtstats_parse("fake", NULL, 0, nvcpus_hint, out);
	rc = virtstats_parse("fake", p, sizeof(p) / sizeof(p[0]), nvcpus_hint, out);
	if (rc)
		return rc;
	out->t_ns = (int64_t)k * 1000000000LL;
	out->vcpu[0].pcpu = 1;
	return 0;
}

static const struct virt_ops fake_ops = {
	.name = "fake",
	.connect = fake_connect,
	.close = fake_close,
	.uri = fake_uri,
	.list_domains = fake_list,
	.free_domains = fake_free,
	.domain_info = fake_info,
	.get_vcpu_pins = fake_pins,
	.get_emulator_pin = fake_emu,
	.pin_vcpu = fake_pin_vcpu,
	.pin_emulator = fake_pin_emu,
	.get_vcpu_stats = fake_stats,
};

static int fake_setup(void **state)
{
	(void)state;
	log_set_quiet(1);
	memset(fake_doms, 0, sizeof(fake_doms));
	fake_doms[0].name = "alpha";
	fake_doms[0].id = 3;
	fake_doms[0].state = VIRT_DOM_RUNNING;
	fake_doms[0].nvcpus = 2;
	fake_doms[0].pins[0] = cpus_of("0");
	fake_doms[0].pins[1] = cpus_of("0-1");
	fake_doms[0].emu = cpus_of("1");
	fake_doms[1].name = "beta";
	fake_doms[1].id = -1;
	fake_doms[1].state = VIRT_DOM_SHUTOFF;
	fake_doms[1].nvcpus = 1;
	fake_doms[1].pins[0] = cpus_of("0-1");
	CPU_ZERO(&fake_doms[1].emu);
	return 0;
}

/* Read, sample twice, print: the listing virt-vcpus shows, from any ops. */
static char *listing(const struct virt_ops *ops, int nsamples)
{
	struct virt_conn *c;
	struct virt_domain **doms = NULL;
	struct virt_dom_view v;
	size_t n = 0, i;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int k;

	assert_non_null(f);
	assert_int_equal(ops->connect("fake:///", VIRT_CONNECT_RO, &c), 0);
	assert_int_equal(ops->list_domains(c, &doms, &n), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(virt_view_read(ops, doms[i], &v), 0);
		for (k = 0; k < nsamples; k++)
			assert_int_equal(virt_view_sample(ops, doms[i], &v), 0);
		assert_int_equal(virt_view_print(f, &v), 0);
		virt_view_free(&v);
	}
	ops->free_domains(doms, n);
	ops->close(c);
	fclose(f);
	return text;
}

static void test_virt_fake_listing(void **state)
{
	char *text;

	(void)state;
	text = listing(&fake_ops, 2);
	assert_string_equal(text,
		"domain alpha (id 3, running): 2 vCPUs (max 2)\n"
		"  emulator threads on CPUs 1\n"
		"  vCPU  state    host-CPU   time%  delay%   wait%  pinned-to\n"
		"  0     running  1           40.0    25.0     0.0  0\n"
		"  1     blocked  -           10.0     1.0       -  0-1\n"
		"  vcpu.N.wait not reported for vCPU 1\n"
		"  rates in % of 1.000 s wall time\n"
		"domain beta (shut off): 1 vCPU (max 1)\n"
		"  emulator pinning not reported\n"
		"  vCPU  state    host-CPU   time%  delay%   wait%  pinned-to\n"
		"  0     -        -              -       -       -  0-1\n"
		"  no vCPU statistics: the domain is not running\n");
	free(text);
}

/* Three samples: the rates are between the newest two. One sample: no rates. */
static void test_virt_fake_keeps_newest_samples(void **state)
{
	char *text;

	(void)state;
	text = listing(&fake_ops, 3);
	assert_non_null(strstr(text, "  0     running  1           40.0    25.0     0.0  0\n"));
	free(text);
	fake_setup(state);
	text = listing(&fake_ops, 1);
	assert_non_null(strstr(text, "  0     running  1              -       -       -  0\n"));
	assert_null(strstr(text, "rates in"));
	free(text);
}

/* Callers pin through the ops; the fake records it and the listing shows it. */
static void test_virt_fake_pinning(void **state)
{
	struct virt_conn *c;
	cpu_set_t set = cpus_of("1");
	char *text;

	(void)state;
	assert_int_equal(fake_ops.connect("fake:///", 0, &c), 0);
	assert_int_equal(fake_ops.pin_vcpu((struct virt_domain *)&fake_doms[0], 0, &set,
					   VIRT_AFFECT_LIVE), 0);
	assert_int_equal(fake_ops.pin_vcpu((struct virt_domain *)&fake_doms[0], 2, &set,
					   VIRT_AFFECT_LIVE), -EINVAL);
	set = cpus_of("0");
	assert_int_equal(fake_ops.pin_emulator((struct virt_domain *)&fake_doms[0], &set,
					       VIRT_AFFECT_LIVE), 0);
	fake_ops.close(c);
	text = listing(&fake_ops, 0);
	assert_non_null(strstr(text, "  emulator threads on CPUs 0\n"));
	assert_non_null(strstr(text, "  0     -        -              -       -       -  1\n"));
	free(text);
}

static void test_virt_state_names(void **state)
{
	(void)state;
	assert_string_equal(virt_dom_state_name(VIRT_DOM_SHUTOFF), "shut off");
	assert_string_equal(virt_dom_state_name(VIRT_DOM_PAUSED), "paused");
	assert_string_equal(virt_dom_state_name(42), "?");
	assert_string_equal(virt_vcpu_state_name(VIRTSTATS_VCPU_OFFLINE), "offline");
	assert_string_equal(virt_vcpu_state_name(-1), "?");
}

/*
 * The vCPU series: host is the URI as given (the default one for NULL),
 * values in seconds, a vCPU without the field has no sample.
 */
static void test_virt_prom_vcpus(void **state)
{
	struct virtstats_vcpu v[3];
	struct promexp p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(v, 0, sizeof(v));
	v[0].present = VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY;
	v[0].time_ns = 1500000000;
	v[0].delay_ns = 250000000;
	v[1].present = VIRTSTATS_F_TIME;               /* no delay: no sample */
	v[1].time_ns = 2000000000;
	v[2].present = VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY | VIRTSTATS_F_WAIT;
	v[2].delay_ns = 1;
	v[2].wait_ns = 3000000;
	assert_string_equal(virt_prom_host("qemu+ssh://kvm2/system"), "qemu+ssh://kvm2/system");
	assert_string_equal(virt_prom_host(NULL), VIRT_DEFAULT_URI);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	promexp_init(&p, f);
	promexp_family(&p, virt_prom_families[VIRT_PROM_DELAY].name, PROMEXP_COUNTER,
		       virt_prom_families[VIRT_PROM_DELAY].help);
	assert_int_equal(virt_prom_vcpus(&p, &virt_prom_families[VIRT_PROM_DELAY],
					 "qemu:///system", "web1", v, 3), 0);
	assert_int_equal(virt_prom_vcpus(&p, &virt_prom_families[VIRT_PROM_DELAY], NULL,
					 "db", v, 1), 0);
	promexp_family(&p, virt_prom_families[VIRT_PROM_WAIT].name, PROMEXP_COUNTER,
		       virt_prom_families[VIRT_PROM_WAIT].help);
	assert_int_equal(virt_prom_vcpus(&p, &virt_prom_families[VIRT_PROM_WAIT],
					 "test:///default", "web1", v, 3), 0);
	assert_int_equal(promexp_finish(&p), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf,
		"# TYPE stealscope_vcpu_delay_seconds_total counter\n"
		"stealscope_vcpu_delay_seconds_total{host=\"qemu:///system\",domain=\"web1\","
		"vcpu=\"0\"} 0.25\n"
		"stealscope_vcpu_delay_seconds_total{host=\"qemu:///system\",domain=\"web1\","
		"vcpu=\"2\"} 1e-09\n"
		"stealscope_vcpu_delay_seconds_total{host=\"qemu:///system\",domain=\"db\","
		"vcpu=\"0\"} 0.25\n"
		"# HELP stealscope_vcpu_wait_seconds_total "));
	assert_non_null(strstr(buf,
		"# TYPE stealscope_vcpu_wait_seconds_total counter\n"
		"stealscope_vcpu_wait_seconds_total{host=\"test:///default\",domain=\"web1\","
		"vcpu=\"2\"} 0.003\n"));
	assert_null(strstr(buf, "vcpu=\"1\""));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_virt_libvirt_lists_test_domain, lv_setup,
						lv_teardown),
		cmocka_unit_test_setup_teardown(test_virt_libvirt_reads_pins, lv_setup,
						lv_teardown),
		cmocka_unit_test_setup_teardown(test_virt_libvirt_pins_vcpu, lv_setup,
						lv_teardown),
		cmocka_unit_test_setup_teardown(test_virt_libvirt_pin_errors, lv_setup,
						lv_teardown),
		cmocka_unit_test_setup_teardown(test_virt_libvirt_pins_emulator, lv_setup,
						lv_teardown),
		cmocka_unit_test_setup_teardown(test_virt_libvirt_stats_missing, lv_setup,
						lv_teardown),
		cmocka_unit_test_setup_teardown(test_virt_libvirt_read_only, lv_setup_ro,
						lv_teardown),
		cmocka_unit_test(test_virt_libvirt_connect_fails),
		cmocka_unit_test_setup(test_virt_fake_listing, fake_setup),
		cmocka_unit_test_setup(test_virt_fake_keeps_newest_samples, fake_setup),
		cmocka_unit_test_setup(test_virt_fake_pinning, fake_setup),
		cmocka_unit_test(test_virt_state_names),
		cmocka_unit_test(test_virt_prom_vcpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
