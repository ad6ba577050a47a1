/*
 * Unit tests for experiments/watchderive: the rows of a watch frame from
 * two samples. CPU figures as mpstat computes them (from /proc/stat text),
 * vCPU rates from two libvirt samples of one host, and no rates across a
 * reconnection, for a new domain, or for a vCPU the driver did not report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "experiments/watchderive.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000LL

static void close_to(double got, double want)
{
	if (fabs(got - want) > 1e-6)
		fail_msg("got %.6f, want %.6f", got, want);
}

static void test_watchderive_cpu_rows(void **state)
{
	static const char a[] = "cpu  100 0 50 800 0 0 0 50 0 0\n"
				"cpu0 50 0 25 400 0 0 0 25 0 0\n"
				"cpu1 50 0 25 400 0 0 0 25 0 0\n";
	/* cpu0: +60 user (20 of them guest), +10 system, +20 idle, +10 steal. */
	static const char b[] = "cpu  160 0 60 820 0 0 0 60 20 0\n"
				"cpu0 110 0 35 420 0 0 0 35 20 0\n"
				"cpu1 50 0 25 400 0 0 0 25 0 0\n"
				"cpu2 7 0 0 0 0 0 0 0 0 0\n";
	static struct procstat_sample pa, pb;
	struct watchderive d;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(procstat_parse(b, strlen(b), &pb), 0);
	pb.t_ns = 300 * MS;
	/* The first sample: rows without figures. */
	assert_int_equal(watchderive_cpus(&d, NULL, &pb), 0);
	assert_int_equal(d.ncpus, 4);
	assert_int_equal(d.cpus[0].cpu, -1);
	assert_int_equal(d.cpus[0].have, 0);
	assert_int_equal(procstat_parse(a, strlen(a), &pa), 0);
	pa.t_ns = 200 * MS;
	assert_int_equal(watchderive_cpus(&d, &pa, &pb), 0);
	assert_int_equal(d.ncpus, 4);
	assert_int_equal(d.cpus[1].cpu, 0);
	assert_int_equal(d.cpus[1].have, 1);
	/* Guest time is inside user and not counted twice: 40 of 100 ticks. */
	close_to(d.cpus[1].usr_pct, 40.0);
	close_to(d.cpus[1].sys_pct, 10.0);
	close_to(d.cpus[1].steal_pct, 10.0);
	assert_int_equal(d.cpus[1].start_ns, 200 * MS);
	assert_int_equal(d.cpus[1].end_ns, 300 * MS);
	/* cpu1 had no tick in the interval: no figures rather than zeros. */
	assert_int_equal(d.cpus[2].cpu, 1);
	assert_int_equal(d.cpus[2].have, 0);
	/* cpu2 came online: nothing to compare with yet. */
	assert_int_equal(d.cpus[3].cpu, 2);
	assert_int_equal(d.cpus[3].have, 0);
	close_to(d.cpus[0].steal_pct, 10.0);
	watchderive_free(&d);
}

/* A sample of one host: domain @name with vCPUs of (time, delay) in ms at @t_ms. */
static void host_sample(struct watch_host *h, uint64_t epoch, uint64_t seq, const char *name,
			int64_t t_ms, const int64_t (*v)[2], size_t n)
{
	size_t i;

	h->state = WATCH_HOST_UP;
	h->epoch = epoch;
	h->seq = seq;
	assert_int_equal(watchdata_reserve(h, 1, n), 0);
	h->ndoms = 1;
	h->nvcpus = n;
	memset(&h->doms[0], 0, sizeof(h->doms[0]));
	snprintf(h->doms[0].name, sizeof(h->doms[0].name), "%s", name);
	h->doms[0].t_ns = t_ms * MS;
	h->doms[0].first = 0;
	h->doms[0].nvcpus = n;
	for (i = 0; i < n; i++) {
		memset(&h->vcpus[i], 0, sizeof(h->vcpus[i]));
		h->vcpus[i].pcpu = (int)i;
		if (v[i][0] < 0)
			continue;              /* not reported */
		h->vcpus[i].present = VIRTSTATS_F_STATE | VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY;
		h->vcpus[i].time_ns = (uint64_t)v[i][0] * MS;
		h->vcpus[i].delay_ns = (uint64_t)v[i][1] * MS;
	}
}

static void test_watchderive_vcpu_rates(void **state)
{
	static const int64_t va[3][2] = { { 1000, 500 }, { 2000, 0 }, { -1, -1 } };
	static const int64_t vb[3][2] = { { 1050, 550 }, { 2100, 0 }, { -1, -1 } };
	struct watch_host prev, cur;
	struct watchderive d;

	(void)state;
	memset(&prev, 0, sizeof(prev));
	memset(&cur, 0, sizeof(cur));
	memset(&d, 0, sizeof(d));
	host_sample(&prev, 1, 7, "vm1", 1000, va, 3);
	host_sample(&cur, 1, 8, "vm1", 1100, vb, 3);
	watchderive_hosts_begin(&d);
	assert_int_equal(watchderive_host(&d, "qemu:///system", &prev, &cur), 0);
	assert_int_equal(d.nhosts, 1);
	assert_string_equal(d.hosts[0].uri, "qemu:///system");
	assert_int_equal(d.hosts[0].state, WATCH_HOST_UP);
	assert_int_equal(d.hosts[0].ndoms, 1);
	/* vCPU 2 was not reported: no row. */
	assert_int_equal(d.hosts[0].nvcpus, 2);
	assert_int_equal(d.nvcpus, 2);
	assert_string_equal(d.vcpus[0].domain, "vm1");
	assert_int_equal(d.vcpus[0].vcpu, 0);
	assert_int_equal(d.vcpus[0].have, WATCHVIEW_TIME | WATCHVIEW_DELAY);
	close_to(d.vcpus[0].time_pct, 50.0);
	close_to(d.vcpus[0].delay_pct, 50.0);
	assert_int_equal(d.vcpus[0].start_ns, 1000 * MS);
	assert_int_equal(d.vcpus[0].end_ns, 1100 * MS);
	close_to(d.vcpus[1].time_pct, 100.0);
	close_to(d.vcpus[1].delay_pct, 0.0);
	assert_int_equal(d.vcpus[1].pcpu, 1);

	/* A new connection (the host was lost): no rates across it. */
	cur.epoch = 2;
	watchderive_hosts_begin(&d);
	assert_int_equal(watchderive_host(&d, "qemu:///system", &prev, &cur), 0);
	assert_int_equal(d.nvcpus, 2);
	assert_int_equal(d.vcpus[0].have, 0);
	assert_int_equal(d.vcpus[1].have, 0);

	/* A domain the older sample did not have: rows without rates. */
	host_sample(&cur, 1, 8, "vm2", 1100, vb, 3);
	watchderive_hosts_begin(&d);
	assert_int_equal(watchderive_host(&d, "qemu:///system", &prev, &cur), 0);
	assert_int_equal(d.nvcpus, 2);
	assert_string_equal(d.vcpus[0].domain, "vm2");
	assert_int_equal(d.vcpus[0].have, 0);

	/* A lost host: its row, no vCPU rows. */
	cur.state = WATCH_HOST_LOST;
	cur.ndoms = 0;
	cur.nvcpus = 0;
	watchderive_hosts_begin(&d);
	assert_int_equal(watchderive_host(&d, "qemu:///system", &prev, &cur), 0);
	assert_int_equal(d.nhosts, 1);
	assert_int_equal(d.hosts[0].state, WATCH_HOST_LOST);
	assert_int_equal(d.nvcpus, 0);
	watchdata_free(&prev);
	watchdata_free(&cur);
	watchderive_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchderive_cpu_rows),
		cmocka_unit_test(test_watchderive_vcpu_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
