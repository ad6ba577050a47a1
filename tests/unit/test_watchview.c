/*
 * Unit tests for experiments/watchview: the order of the vCPU lines
 * (highest delay first, unknown last, stable ties) and the text of a frame,
 * plain (appended blocks, compared byte for byte) and on a terminal (drawn
 * in place, cut to the height, long names cut). Plain rows in, text out:
 * no libvirt, no /proc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "experiments/watchdata.h"
#include "experiments/watchview.h"
#include "tests/support/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL
#define ALL (WATCHVIEW_TIME | WATCHVIEW_DELAY | WATCHVIEW_WAIT)

static struct watchview_vcpu vrow(const char *host, const char *dom, unsigned vcpu,
				  unsigned have, double delay, double time, int pcpu)
{
	struct watchview_vcpu v;

	memset(&v, 0, sizeof(v));
	v.host = host;
	v.domain = dom;
	v.vcpu = vcpu;
	v.have = have;
	v.delay_pct = delay;
	v.time_pct = time;
	v.wait_pct = 0.0;
	v.pcpu = pcpu;
	return v;
}

static void test_watchview_sort_by_delay(void **state)
{
	struct watchview_vcpu v[6];

	(void)state;
	v[0] = vrow("qemu:///system", "b", 1, ALL, 10.0, 90.0, 0);
	v[1] = vrow("qemu:///system", "a", 0, WATCHVIEW_TIME, 0.0, 50.0, 0);  /* no delay */
	v[2] = vrow("qemu:///system", "b", 0, ALL, 10.0, 90.0, 1);
	v[3] = vrow("qemu+ssh://h2/system", "z", 3, ALL, 48.5, 51.0, 1);
	v[4] = vrow("qemu:///system", "a", 2, ALL, 10.0, 90.0, 0);
	v[5] = vrow("qemu+ssh://h2/system", "c", 0, ALL, 0.0, 100.0, 1);
	watchview_sort(v, 6);
	assert_string_equal(v[0].domain, "z");
	/* Equal delays: by host, then domain, then vCPU number. */
	assert_string_equal(v[1].domain, "a");
	assert_int_equal(v[1].vcpu, 2);
	assert_string_equal(v[2].domain, "b");
	assert_int_equal(v[2].vcpu, 0);
	assert_string_equal(v[3].domain, "b");
	assert_int_equal(v[3].vcpu, 1);
	assert_string_equal(v[4].domain, "c");
	/* A vCPU without a delay rate goes last, below a delay of 0. */
	assert_string_equal(v[5].domain, "a");
	assert_int_equal(v[5].vcpu, 0);
}

/* Render @fr into a string (free it). */
static char *render(const struct watchview_frame *fr, int ansi, unsigned rows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(watchview_render(f, fr, ansi, rows), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const struct watchview_cpu cpus[] = {
	{ .cpu = -1, .have = 1, .usr_pct = 25.0, .sys_pct = 5.0, .steal_pct = 1.25 },
	{ .cpu = 0, .have = 1, .usr_pct = 50.0, .sys_pct = 10.0, .steal_pct = 2.5 },
	{ .cpu = 1, .have = 0 },
};

static void frame_init(struct watchview_frame *fr, const struct watchview_host *hosts,
		       size_t nhosts, const struct watchview_vcpu *v, size_t nv)
{
	memset(fr, 0, sizeof(*fr));
	fr->now_ns = 100 * SEC;
	fr->elapsed_ns = 12 * SEC + 300000000;
	fr->interval_ns = SEC / 10;
	fr->cpus = cpus;
	fr->ncpus = 3;
	fr->libvirt = nhosts > 0;
	fr->hosts = hosts;
	fr->nhosts = nhosts;
	fr->vcpus = v;
	fr->nvcpus = nv;
}

static void test_watchview_plain_frame(void **state)
{
	static const char want[] =
		"stealscope watch: 12.300 s, every 100ms\n"
		"CPU     %usr   %sys %steal\n"
		"all     25.0    5.0    1.2\n"
		"0       50.0   10.0    2.5\n"
		"1          -      -      -\n"
		"host qemu:///system       up: 1 domain running, 2 vCPUs\n"
		"host qemu+ssh://h2/system lost for 4.5 s, attempt 3 failed, next in 2.0 s: "
		"cannot connect to qemu+ssh://h2/system: Connection refused\n"
		"host test:///x            not watched any more: its sampler process was killed "
		"by signal 9\n"
		"host test:///y            lost for 3.0 s: no answer for 3.0 s: a libvirt call is "
		"hanging\n"
		"HOST           DOMAIN VCPU %delay  %time  %wait  CPU\n"
		"qemu:///system vm-one    1   49.5   50.5    0.0    0\n"
		"qemu:///system vm-one    0      -   99.0      -    -\n"
		"\n";
	struct watchview_host hosts[4];
	struct watchview_vcpu v[2];
	struct watchview_frame fr;
	char *out;

	(void)state;
	memset(hosts, 0, sizeof(hosts));
	hosts[0] = (struct watchview_host){ .uri = "qemu:///system", .state = WATCH_HOST_UP,
					    .why = "", .ndoms = 1, .nvcpus = 2 };
	hosts[1] = (struct watchview_host){
		.uri = "qemu+ssh://h2/system", .state = WATCH_HOST_LOST, .attempt = 3,
		.since_ns = 95 * SEC + SEC / 2, .retry_ns = 102 * SEC,
		.why = "cannot connect to qemu+ssh://h2/system: Connection refused" };
	hosts[2] = (struct watchview_host){ .uri = "test:///x", .state = WATCH_HOST_DEAD,
					    .why = "its sampler process was killed by signal 9" };
	hosts[3] = (struct watchview_host){
		.uri = "test:///y", .state = WATCH_HOST_LOST, .attempt = 0, .since_ns = 97 * SEC,
		.why = "no answer for 3.0 s: a libvirt call is hanging" };
	v[0] = vrow("qemu:///system", "vm-one", 1, ALL, 49.5, 50.5, 0);
	v[1] = vrow("qemu:///system", "vm-one", 0, WATCHVIEW_TIME, 0.0, 99.0, -1);
	frame_init(&fr, hosts, 4, v, 2);
	out = render(&fr, 0, 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_watchview_plain_without_libvirt(void **state)
{
	struct watchview_frame fr;
	char *out;

	(void)state;
	frame_init(&fr, NULL, 0, NULL, 0);
	out = render(&fr, 0, 0);
	assert_non_null(strstr(out, "\nlibvirt: not watched (no --connect URI)\n\n"));
	assert_null(strstr(out, "HOST"));
	assert_null(strstr(out, "\033"));
	free(out);
}

/* How many lines of @s start with @prefix. */
static int count_lines(const char *s, const char *prefix)
{
	const char *p = s;
	int n = 0;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static void test_watchview_terminal_cut_to_height(void **state)
{
	static const char long_uri[] =
		"qemu+ssh://a-very-long-host-name.example.org/system?keyfile=/root/.ssh/id";
	struct watchview_host host = { .uri = long_uri, .state = WATCH_HOST_UP, .why = "",
				       .ndoms = 1, .nvcpus = 30 };
	struct watchview_vcpu v[30];
	struct watchview_frame fr;
	char *out, *p;
	unsigned i;

	(void)state;
	for (i = 0; i < 30; i++)
		v[i] = vrow(long_uri, "guest", i, ALL, 30.0 - i, 50.0, (int)(i % 2));
	frame_init(&fr, &host, 1, v, 30);
	/* 20 rows: header 1, CPUs 1 + 3, host 1, vCPU title 1, a spare 1: 12 left. */
	out = render(&fr, 1, 20);
	assert_memory_equal(out, "\033[?25l\033[H", 9);
	assert_int_equal(strcmp(out + strlen(out) - 3, "\033[J"), 0);
	/* 11 vCPU lines and one that says how many more there are. */
	assert_int_equal(count_lines(out, "qemu+ssh://a-very-long-host-name.exampl~ guest"), 11);
	assert_non_null(strstr(out, "... 19 more vCPUs (a taller terminal shows them)\033[K\n"));
	/* Every line is cleared to its end before its newline. */
	for (p = strchr(out, '\n'); p; p = strchr(p + 1, '\n'))
		assert_memory_equal(p - 3, "\033[K", 3);
	free(out);
	/* Plain text is never cut. */
	out = render(&fr, 0, 20);
	assert_int_equal(count_lines(out, long_uri), 30 + 0);
	assert_null(strstr(out, "more vCPU"));
	free(out);
}

static void test_watchview_no_running_domain(void **state)
{
	struct watchview_host host = { .uri = "qemu:///system", .state = WATCH_HOST_CONNECTING,
				       .why = "" };
	struct watchview_frame fr;
	char *out;

	(void)state;
	frame_init(&fr, &host, 1, NULL, 0);
	out = render(&fr, 0, 0);
	assert_non_null(strstr(out, "\nhost qemu:///system connecting\n(no running domain)\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchview_sort_by_delay),
		cmocka_unit_test(test_watchview_plain_frame),
		cmocka_unit_test(test_watchview_plain_without_libvirt),
		cmocka_unit_test(test_watchview_terminal_cut_to_height),
		cmocka_unit_test(test_watchview_no_running_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
