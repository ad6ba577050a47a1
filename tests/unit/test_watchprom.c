/*
 * Unit tests for experiments/watchprom: the /metrics exposition of
 * `stealscope watch`, read back with the strict parser of
 * tests/support/promparse (and checked by `promtool check metrics` where
 * Debian's prometheus package is installed): the families, their types,
 * the labels and the values in seconds, the up gauge of a lost host, a
 * field the driver (or an old kernel) did not report left out rather than
 * written as 0, and CPU counters that never go backwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "experiments/watchprom.h"
#include "tests/support/promparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void close_to(double got, double want)
{
	if (fabs(got - want) > 1e-9 * (1.0 + fabs(want)))
		fail_msg("got %.12g, want %.12g", got, want);
}

/* The value of the sample @name{labels...}, which must exist. */
static double value_of(const struct promparse_doc *doc, const char *name, const char *l1,
		       const char *v1, const char *l2, const char *v2, const char *l3,
		       const char *v3)
{
	const struct promparse_sample *s = promparse_find(doc, name, l1, v1, l2, v2, l3, v3,
							 NULL);

	if (!s)
		fail_msg("no sample %s{%s=%s,%s=%s,%s=%s}", name, l1, v1, l2 ? l2 : "",
			 v2 ? v2 : "", l3 ? l3 : "", v3 ? v3 : "");
	return s->value;
}

/* One domain "web\"1" with two vCPUs; vCPU 1 has no wait field. */
static void up_host(struct watch_host *h)
{
	memset(h, 0, sizeof(*h));
	h->state = WATCH_HOST_UP;
	h->failures_total = 2;
	assert_int_equal(watchdata_reserve(h, 1, 2), 0);
	h->ndoms = 1;
	h->nvcpus = 2;
	memset(h->doms, 0, sizeof(*h->doms));
	snprintf(h->doms[0].name, sizeof(h->doms[0].name), "web\"1");
	h->doms[0].nvcpus = 2;
	h->doms[0].t_ns = 7250000000LL;
	memset(h->vcpus, 0, 2 * sizeof(*h->vcpus));
	h->vcpus[0].present = VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY | VIRTSTATS_F_WAIT;
	h->vcpus[0].time_ns = 1500000000ULL;
	h->vcpus[0].delay_ns = 250000000ULL;
	h->vcpus[0].wait_ns = 1ULL;
	h->vcpus[1].present = VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY;
	h->vcpus[1].time_ns = 3000000000ULL;
	h->vcpus[1].delay_ns = 12345678901ULL;
}

static void test_watchprom_exposition(void **state)
{
	static const char stat[] = "cpu  300 10 40 1000 5 0 2 7 100 1\n"
				   "cpu0 150 5 20 500 2 0 1 3 100 1\n"
				   "cpu3 150 5 20 500 3 0 1 4 0 0\n";
	static struct procstat_sample ps;
	const char *uris[2] = { "qemu:///system", "qemu+ssh://gone/system" };
	struct watch_host up, lost;
	const struct watch_host *hosts[2] = { &up, &lost };
	const struct promparse_family *fam;
	struct promparse_doc doc;
	struct promexp p;
	char *buf = NULL, msg[4096];
	size_t len = 0;
	FILE *f;
	int rc;

	(void)state;
	assert_int_equal(procstat_parse(stat, strlen(stat), &ps), 0);
	up_host(&up);
	memset(&lost, 0, sizeof(lost));
	lost.state = WATCH_HOST_LOST;
	lost.failures_total = 5;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	promexp_init(&p, f);
	ps.t_ns = 5000000000LL;
	/* The wall clock is 1.7e9 s ahead of the monotonic one. */
	assert_int_equal(watchprom_write(&p, &ps, 100, uris, hosts, 2, 1700000000000000000LL), 0);
	assert_int_equal(fclose(f), 0);
	if (promparse(buf, len, &doc))
		fail_msg("exposition refused: %s\n%s", doc.err, buf);

	assert_int_equal(doc.nfamilies, 8);
	close_to(value_of(&doc, "stealscope_cpu_sample_timestamp_seconds", NULL, NULL, NULL,
			  NULL, NULL, NULL), 1700000005.0);
	close_to(value_of(&doc, "stealscope_vcpu_sample_timestamp_seconds", "host",
			  "qemu:///system", "domain", "web\"1", NULL, NULL), 1700000007.25);
	fam = promparse_family(&doc, "stealscope_cpu_seconds_total");
	assert_non_null(fam);
	assert_int_equal(fam->type, PROMPARSE_COUNTER);
	assert_int_equal(fam->nsamples, 2 * 10);  /* per CPU, not the aggregate */
	close_to(value_of(&doc, "stealscope_cpu_seconds_total", "cpu", "0", "mode", "user",
			  NULL, NULL), 1.5);
	close_to(value_of(&doc, "stealscope_cpu_seconds_total", "cpu", "3", "mode", "steal",
			  NULL, NULL), 0.04);
	close_to(value_of(&doc, "stealscope_cpu_seconds_total", "cpu", "3", "mode", "iowait",
			  NULL, NULL), 0.03);
	/* guest time is inside user already: its own mode, as the kernel counts it */
	close_to(value_of(&doc, "stealscope_cpu_seconds_total", "cpu", "0", "mode", "guest",
			  NULL, NULL), 1.0);
	close_to(value_of(&doc, "stealscope_cpu_seconds_total", "cpu", "0", "mode",
			  "guest_nice", NULL, NULL), 0.01);

	fam = promparse_family(&doc, "stealscope_libvirt_up");
	assert_int_equal(fam->type, PROMPARSE_GAUGE);
	close_to(value_of(&doc, "stealscope_libvirt_up", "host", "qemu:///system", NULL, NULL,
			  NULL, NULL), 1.0);
	close_to(value_of(&doc, "stealscope_libvirt_up", "host", "qemu+ssh://gone/system",
			  NULL, NULL, NULL, NULL), 0.0);
	close_to(value_of(&doc, "stealscope_libvirt_failures_total", "host",
			  "qemu+ssh://gone/system", NULL, NULL, NULL, NULL), 5.0);

	/* Seconds from ns, the domain name unescaped back, one series per vCPU. */
	close_to(value_of(&doc, "stealscope_vcpu_run_seconds_total", "host", "qemu:///system",
			  "domain", "web\"1", "vcpu", "0"), 1.5);
	close_to(value_of(&doc, "stealscope_vcpu_delay_seconds_total", "host",
			  "qemu:///system", "domain", "web\"1", "vcpu", "1"), 12.345678901);
	close_to(value_of(&doc, "stealscope_vcpu_wait_seconds_total", "host", "qemu:///system",
			  "domain", "web\"1", "vcpu", "0"), 1e-9);
	/* vCPU 1's wait was not reported: no sample, not a 0. */
	fam = promparse_family(&doc, "stealscope_vcpu_wait_seconds_total");
	assert_int_equal(fam->nsamples, 1);
	/* The lost host has no vCPU series. */
	fam = promparse_family(&doc, "stealscope_vcpu_delay_seconds_total");
	assert_int_equal(fam->nsamples, 2);
	assert_int_equal(promparse_family(&doc, "stealscope_vcpu_sample_timestamp_seconds")->
			 nsamples, 1);
	promparse_free(&doc);

	rc = promparse_promtool(buf, msg, sizeof(msg));
	if (rc < 0)
		print_message("promtool is not installed: its check is left out\n");
	else if (rc != 0)
		fail_msg("promtool check metrics: status %d: %s", rc, msg);
	free(buf);
	watchdata_free(&up);
}

/* Before the first sample, and without hosts: every family, no sample. */
static void test_watchprom_empty(void **state)
{
	struct promparse_doc doc;
	struct promexp p;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	promexp_init(&p, f);
	assert_int_equal(watchprom_write(&p, NULL, 100, NULL, NULL, 0, 0), 0);
	assert_int_equal(fclose(f), 0);
	if (promparse(buf, len, &doc))
		fail_msg("exposition refused: %s\n%s", doc.err, buf);
	assert_int_equal(doc.nfamilies, 8);
	for (i = 0; i < doc.nfamilies; i++)
		assert_int_equal(doc.families[i].nsamples, 0);
	promparse_free(&doc);
	free(buf);
}

/* An old kernel's four fields; idle stepping back; a CPU coming online. */
static void test_watchprom_clamp_and_old_kernel(void **state)
{
	static const char a[] = "cpu  20 0 20 200\ncpu0 10 0 10 100\ncpu1 10 0 10 100\n";
	static const char b[] = "cpu  30 0 30 190\ncpu0 15 0 15 95\ncpu1 15 0 15 95\n"
				"cpu2 1 0 1 1\n";
	static struct procstat_sample pa, pb;
	struct promparse_doc doc;
	struct promexp p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(procstat_parse(a, strlen(a), &pa), 0);
	assert_int_equal(procstat_parse(b, strlen(b), &pb), 0);
	watchprom_clamp(&pb, &pa);
	assert_int_equal(pb.cpu[0].ticks[PS_IDLE], 100);   /* kept, not 95 */
	assert_int_equal(pb.cpu[0].ticks[PS_USER], 15);    /* moved on */
	assert_int_equal(pb.cpu[2].ticks[PS_IDLE], 1);     /* new: as read */
	f = open_memstream(&buf, &len);
	promexp_init(&p, f);
	assert_int_equal(watchprom_write(&p, &pb, 100, NULL, NULL, 0, 0), 0);
	assert_int_equal(fclose(f), 0);
	if (promparse(buf, len, &doc))
		fail_msg("exposition refused: %s\n%s", doc.err, buf);
	/* Four fields on this kernel: four modes per CPU, no zeros for the others. */
	assert_int_equal(promparse_family(&doc, "stealscope_cpu_seconds_total")->nsamples, 12);
	assert_null(promparse_find(&doc, "stealscope_cpu_seconds_total", "cpu", "1", "mode",
				   "steal", NULL));
	close_to(value_of(&doc, "stealscope_cpu_seconds_total", "cpu", "1", "mode", "idle",
			  NULL, NULL), 1.0);
	promparse_free(&doc);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchprom_exposition),
		cmocka_unit_test(test_watchprom_empty),
		cmocka_unit_test(test_watchprom_clamp_and_old_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
