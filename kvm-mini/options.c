/*
 * options: see options.h.
 */
#include "kvm-mini/options.h"

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum kmini_workload wl;
} workloads[] = {
	{ "sched", KMINI_WL_SCHED },
	{ "inf-loop", KMINI_WL_INF_LOOP },
	{ "idle", KMINI_WL_IDLE },
	{ "test-fault", KMINI_WL_FAULT },
	{ "test-garbage", KMINI_WL_GARBAGE },
	{ "test-ring-corrupt", KMINI_WL_RING_CORRUPT },
	{ "test-no-yield", KMINI_WL_NO_YIELD },
	{ "test-ring0-loop", KMINI_WL_RING0_LOOP },
	{ "test-triple-fault", KMINI_WL_TRIPLE_FAULT },
	{ "test-emulation", KMINI_WL_EMULATION },
	{ "test-bad-opcode", KMINI_WL_BAD_OPCODE },
};

const char *kmini_workload_name(enum kmini_workload w)
{
	size_t i;

	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (workloads[i].wl == w)
			return workloads[i].name;
	return NULL;
}

void kmini_usage(void)
{
	printf("Usage: kvm-mini [OPTION]...\n"
	       "Run a tiny KVM guest whose CPL3 tasks do calibrated work, with paravirtual\n"
	       "steal time and Linux-style tick accounting in the guest, and compare the\n"
	       "guest's steal with its vCPU threads' run delay on the host.\n"
	       "\n"
	       "  -n, --vcpus N         vCPUs, 1..8 (default 1)\n"
	       "  -c, --pin CPUS        host CPU of each vCPU thread: one CPU for all (0),\n"
	       "                        one per vCPU in order (0,1), or any (default 0)\n"
	       "  -w, --workload W      sched, inf-loop or idle (default sched); test\n"
	       "                        payloads: test-fault, test-garbage,\n"
	       "                        test-ring-corrupt, test-no-yield,\n"
	       "                        test-ring0-loop, test-triple-fault,\n"
	       "                        test-emulation, test-bad-opcode\n"
	       "      --tasks N         sched tasks in all, 1..64; task j runs on vCPU\n"
	       "                        j %% vcpus (default 2)\n"
	       "      --units N         work units per task, 0 = until the end (default 0)\n"
	       "      --unit-work DUR   CPU time of one unit, 1us..1s (default 1ms),\n"
	       "                        calibrated inside the guest on each vCPU\n"
	       "      --unit-loops N    loops per unit instead of calibrating\n"
	       "      --slice DUR       guest tick and time slice, 200us..100ms (default 4ms)\n"
	       "  -d, --duration DUR    length of the run, 10ms..1h (default 3s)\n"
	       "  -i, --interval DUR    sampling interval, 1ms..10s (default 10ms)\n"
	       "      --hog CPU[:START[:DUR]][,nice=N][,duty=PCT][,period=DUR]\n"
	       "                        a host busy thread pinned to CPU from START for\n"
	       "                        DUR (default from 0 to the end), at nice N\n"
	       "                        (default 0), busy PCT of every period (default\n"
	       "                        100, period 100ms); up to 8\n"
	       "  -o, --out DIR         write progress.csv, vcpu.csv, cpu.csv (the host\n"
	       "                        /proc/stat of the CPUs involved) and meta.json\n"
	       "                        there\n"
	       "      --kvm-dev PATH    the KVM device (default /dev/kvm)\n"
	       "  -h, --help            show this help and exit\n"
	       "  -V, --version         show the version and exit\n"
	       "\n"
	       "On stdout: per vCPU the wall time, guest %%steal (steal clock) and by tick\n"
	       "accounting, host run-delay %%, their difference, and units done.\n"
	       "Exit status: 0 ok, 1 failure (a guest exception, with its vector and RIP,\n"
	       "or a guest that corrupted the shared area), 2 usage error, 4 no usable\n"
	       "KVM device or a missing KVM capability.\n");
}

enum {
	OPT_TASKS = 0x100, OPT_UNITS, OPT_UNIT_WORK, OPT_UNIT_LOOPS, OPT_SLICE, OPT_HOG,
	OPT_KVM_DEV,
};

/* One CPU number of a --pin or --hog, online. */
static int cpu_arg(const char *what, const char *s, int *cpu)
{
	cpu_set_t set;
	int64_t v;

	if (parse_i64(what, s, 0, CPU_SETSIZE - 1, &v))
		return cli_usage_hint();
	CPU_ZERO(&set);
	CPU_SET((int)v, &set);
	if (cpulist_check_online(what, &set, NULL))
		return cli_usage_hint();
	*cpu = (int)v;
	return 0;
}

int kmini_parse_pin(const char *arg, int nvcpus, int pins[KMINI_MAX_VCPUS])
{
	char buf[256], *tok, *save = NULL, *dash;
	int list[KMINI_MAX_VCPUS + 1], n = 0, lo, hi, c, i;

	if (!strcmp(arg, "any")) {
		for (i = 0; i < KMINI_MAX_VCPUS; i++)
			pins[i] = KMINI_PIN_ANY;
		return 0;
	}
	if (!*arg || strlen(arg) >= sizeof(buf))
		return cli_usage_error("--pin: '%s' is not a CPU list or 'any'", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		dash = strchr(tok, '-');
		if (dash)
			*dash = 0;
		if (cpu_arg("--pin", tok, &lo))
			return EXIT_USAGE;
		hi = lo;
		if (dash && cpu_arg("--pin", dash + 1, &hi))
			return EXIT_USAGE;
		if (hi < lo)
			return cli_usage_error("--pin: range '%d-%d' descends", lo, hi);
		for (c = lo; c <= hi; c++) {
			if (n > KMINI_MAX_VCPUS)
				break;
			list[n++] = c;
		}
	}
	if (n == 0 || (arg[strlen(arg) - 1] == ','))
		return cli_usage_error("--pin: '%s' is not a CPU list or 'any'", arg);
	if (n != 1 && n != nvcpus)
		return cli_usage_error("--pin: '%s' names %s%d CPUs for %d vCPUs: give one CPU "
				       "for all, one per vCPU, or 'any'", arg,
				       n > KMINI_MAX_VCPUS ? "more than " : "",
				       n > KMINI_MAX_VCPUS ? KMINI_MAX_VCPUS : n, nvcpus);
	for (i = 0; i < KMINI_MAX_VCPUS; i++)
		pins[i] = n == 1 ? list[0] : i < n ? list[i] : KMINI_PIN_ANY;
	return 0;
}

/* One ",key=value" of a --hog: nice=N, duty=PCT or period=DUR. */
static int hog_setting(const char *kv, struct kmini_hog *h)
{
	const char *eq = strchr(kv, '=');
	int64_t v;

	if (!eq)
		return cli_usage_error("--hog: '%s' is not KEY=VALUE (nice, duty or period)", kv);
	if (!strncmp(kv, "nice=", 5)) {
		if (parse_i64("--hog nice", eq + 1, -20, 19, &v))
			return cli_usage_hint();
		h->nice = (int)v;
	} else if (!strncmp(kv, "duty=", 5)) {
		if (parse_pct_positive("--hog duty", eq + 1, NULL, &h->duty_pct))
			return cli_usage_hint();
	} else if (!strncmp(kv, "period=", 7)) {
		if (parse_duration_ns("--hog period", eq + 1, NS_PER_MS, 10 * NS_PER_SEC,
				      &h->period_ns))
			return cli_usage_hint();
	} else {
		return cli_usage_error("--hog: unknown setting '%.*s' (nice, duty or period)",
				       (int)(eq - kv), kv);
	}
	return 0;
}

int kmini_parse_hog(const char *arg, int64_t max_ns, struct kmini_hog *h)
{
	char buf[128], *start, *dur, *set, *next;

	if (strlen(arg) >= sizeof(buf))
		return cli_usage_error("--hog: '%.20s...' is too long", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	set = strchr(buf, ',');
	if (set)
		*set++ = 0;
	start = strchr(buf, ':');
	dur = NULL;
	if (start) {
		*start++ = 0;
		dur = strchr(start, ':');
		if (dur)
			*dur++ = 0;
	}
	memset(h, 0, sizeof(*h));
	h->duty_pct = 100.0;
	h->period_ns = 100 * NS_PER_MS;
	if (cpu_arg("--hog CPU", buf, &h->cpu))
		return EXIT_USAGE;
	if (start && parse_duration_ns("--hog START", start, 0, max_ns, &h->start_ns))
		return cli_usage_hint();
	if (dur && parse_duration_ns("--hog DURATION", dur, NS_PER_MS, max_ns, &h->duration_ns))
		return cli_usage_hint();
	for (; set; set = next) {
		next = strchr(set, ',');
		if (next)
			*next++ = 0;
		if (hog_setting(set, h))
			return EXIT_USAGE;
	}
	return 0;
}

int kmini_involved_cpus(const struct kmini_config *c, cpu_set_t *out)
{
	int i;

	CPU_ZERO(out);
	for (i = 0; i < c->nvcpus; i++) {
		if (c->pins[i] == KMINI_PIN_ANY)
			return cpus_online(NULL, out);   /* it may run on any of them */
		CPU_SET(c->pins[i], out);
	}
	for (i = 0; i < c->nhogs; i++)
		CPU_SET(c->hogs[i].cpu, out);
	return 0;
}

static int workload_arg(const char *s, enum kmini_workload *w)
{
	size_t i;

	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		if (!strcmp(s, workloads[i].name)) {
			*w = workloads[i].wl;
			return 0;
		}
	}
	return cli_usage_error("--workload: unknown workload '%s' (sched, inf-loop, idle, "
			       "test-fault, test-garbage, test-ring-corrupt, test-no-yield, "
			       "test-ring0-loop, test-triple-fault, test-emulation, "
			       "test-bad-opcode)", s);
}

static int i64_opt(const char *what, const char *s, int64_t min, int64_t max, int64_t *out)
{
	return parse_i64(what, s, min, max, out) ? cli_usage_hint() : 0;
}

static int dur_opt(const char *what, const char *s, int64_t min, int64_t max, int64_t *out)
{
	return parse_duration_ns(what, s, min, max, out) ? cli_usage_hint() : 0;
}

int kmini_parse_args(int argc, char **argv, struct kmini_opts *o)
{
	static const struct option opts[] = {
		{ "vcpus", required_argument, NULL, 'n' },
		{ "pin", required_argument, NULL, 'c' },
		{ "workload", required_argument, NULL, 'w' },
		{ "tasks", required_argument, NULL, OPT_TASKS },
		{ "units", required_argument, NULL, OPT_UNITS },
		{ "unit-work", required_argument, NULL, OPT_UNIT_WORK },
		{ "unit-loops", required_argument, NULL, OPT_UNIT_LOOPS },
		{ "slice", required_argument, NULL, OPT_SLICE },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "hog", required_argument, NULL, OPT_HOG },
		{ "out", required_argument, NULL, 'o' },
		{ "kvm-dev", required_argument, NULL, OPT_KVM_DEV },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hog_args[KMINI_MAX_HOGS];
	struct kmini_config *c = &o->cfg;
	int64_t v;
	int opt, i;

	memset(o, 0, sizeof(*o));
	c->nvcpus = 1;
	c->workload = KMINI_WL_SCHED;
	c->ntasks = 2;
	c->unit_work_ns = NS_PER_MS;
	c->slice_ns = 4 * NS_PER_MS;
	c->duration_ns = 3 * NS_PER_SEC;
	c->interval_ns = 10 * NS_PER_MS;
	o->pin_arg = "0";
	o->workload_arg = "sched";
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":n:c:w:d:i:o:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (i64_opt("--vcpus", optarg, 1, KMINI_MAX_VCPUS, &v))
				return EXIT_USAGE;
			c->nvcpus = (int)v;
			break;
		case 'c':
			o->pin_arg = optarg;
			break;
		case 'w':
			if (workload_arg(optarg, &c->workload))
				return EXIT_USAGE;
			o->workload_arg = optarg;
			break;
		case OPT_TASKS:
			if (i64_opt("--tasks", optarg, 1, KMINI_MAX_TASKS, &v))
				return EXIT_USAGE;
			c->ntasks = (int)v;
			break;
		case OPT_UNITS:
			if (i64_opt("--units", optarg, 0, 10000000, &v))
				return EXIT_USAGE;
			c->units = (uint64_t)v;
			break;
		case OPT_UNIT_WORK:
			if (dur_opt("--unit-work", optarg, NS_PER_US, NS_PER_SEC, &c->unit_work_ns))
				return EXIT_USAGE;
			break;
		case OPT_UNIT_LOOPS:
			if (i64_opt("--unit-loops", optarg, 1, (int64_t)1 << 40, &v))
				return EXIT_USAGE;
			c->loops_per_unit = (uint64_t)v;
			break;
		case OPT_SLICE:
			if (dur_opt("--slice", optarg, 200 * NS_PER_US, 100 * NS_PER_MS, &c->slice_ns))
				return EXIT_USAGE;
			break;
		case 'd':
			if (dur_opt("--duration", optarg, 10 * NS_PER_MS, 3600 * NS_PER_SEC,
				    &c->duration_ns))
				return EXIT_USAGE;
			break;
		case 'i':
			if (dur_opt("--interval", optarg, NS_PER_MS, 10 * NS_PER_SEC, &c->interval_ns))
				return EXIT_USAGE;
			break;
		case OPT_HOG:
			if (c->nhogs >= KMINI_MAX_HOGS)
				return cli_usage_error("--hog: at most %d hogs", KMINI_MAX_HOGS);
			hog_args[c->nhogs++] = optarg;
			break;
		case 'o':
			o->out_dir = optarg;
			break;
		case OPT_KVM_DEV:
			c->kvm_dev = optarg;
			break;
		default:
			return cli_common_option(opt, argv, kmini_usage, "kvm-mini");
		}
	}
	if (cli_no_operands(argc, argv))
		return EXIT_USAGE;
	if (kmini_parse_pin(o->pin_arg, c->nvcpus, c->pins))
		return EXIT_USAGE;
	for (i = 0; i < c->nhogs; i++)
		if (kmini_parse_hog(hog_args[i], c->duration_ns, &c->hogs[i]))
			return EXIT_USAGE;
	if (c->interval_ns > c->duration_ns)
		return cli_usage_error("--interval is longer than --duration");
	if (o->out_dir && kmini_involved_cpus(c, &c->stat_cpus))
		return EXIT_FAIL;
	return -1;
}
