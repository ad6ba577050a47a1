/*
 * doctor: the checks behind `stealscope doctor` (see doctor.h).
 *
 * Each check fills one struct doctor_result: a status and one line that says
 * what was found and, for a WARN or FAIL, what to do. The remedies name real
 * commands (modprobe, apt-get install, virtlogd -d && libvirtd -d) and the
 * way around the problem (--backend native). Checks only look: nothing here
 * loads a module, starts a daemon, creates a cgroup or keeps a file open,
 * and nothing here prints except doctor_print().
 */
#include "experiments/doctor.h"

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/schedstat.h"
#include "experiments/kmnested.h"
#include "plots/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NATIVE_HINT "or use --backend native"

void doctor_ctx_init(struct doctor_ctx *ctx, const char *root, const char *kvm_dev,
		     const char *path_env)
{
	const char *env = getenv("PATH");

	memset(ctx, 0, sizeof(*ctx));
	ctx->root = root ? root : "";
	ctx->kvm_dev = kvm_dev ? kvm_dev : KMINI_PROBE_DEFAULT_DEV;
	ctx->path_env = path_env ? path_env : (env ? env : "/usr/bin:/bin");
}

const char *doctor_status_name(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK:
		return "OK";
	case DOCTOR_WARN:
		return "WARN";
	default:
		return "FAIL";
	}
}

static void set(struct doctor_result *out, enum doctor_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set(struct doctor_result *out, enum doctor_status st, const char *fmt, ...)
{
	va_list ap;

	out->status = st;
	va_start(ap, fmt);
	vsnprintf(out->msg, sizeof(out->msg), fmt, ap);
	va_end(ap);
}

/* The KVM probe and the host facts, once per context. */
static void gather(struct doctor_ctx *ctx)
{
	if (ctx->probed)
		return;
	ctx->probe_err = kmini_probe(ctx->kvm_dev, &ctx->kvm);
	ctx->host_err = hostinfo_gather(ctx->root, &ctx->host);
	ctx->probed = 1;
}

static void root_path(char *buf, size_t len, const struct doctor_ctx *ctx, const char *rel)
{
	snprintf(buf, len, "%s%s", ctx->root, rel);
}

/* ---- KVM ------------------------------------------------------------------ */

void doctor_check_kvm_device(struct doctor_ctx *ctx, struct doctor_result *out)
{
	const struct kmini_probe *k = &ctx->kvm;

	gather(ctx);
	if (ctx->probe_err == 0) {
		set(out, DOCTOR_OK, "%s: KVM API %d, guest memory, in-kernel irqchip, steal time "
		    "(KVM_GET_TSC_KHZ: %s, TSC offset control: %s)", k->dev, k->api_version,
		    kmini_cap_state_name(k->cap_get_tsc_khz),
		    kmini_cap_state_name(k->cap_vcpu_attributes));
		return;
	}
	switch (k->dev_errno) {
	case 0:
		break;
	case ENOENT:
		if (strcmp(ctx->host.kvm_module, "none") != 0) {
			set(out, DOCTOR_FAIL, "%s (%s is loaded but created no device; dmesg says "
			    "why); fix: a host where it binds, " NATIVE_HINT, k->reason,
			    ctx->host.kvm_module);
			return;
		}
		set(out, DOCTOR_FAIL, "%s; fix: load KVM (modprobe kvm_intel or kvm_amd; needs "
		    "VT-x/AMD-V, or nested virtualization in a VM), " NATIVE_HINT, k->reason);
		return;
	case EACCES:
	case EPERM:
		set(out, DOCTOR_FAIL, "%s; fix: run as root or join the kvm group "
		    "(usermod -aG kvm $USER, then log in again), " NATIVE_HINT, k->reason);
		return;
	default:
		/* EISDIR, ENXIO, ENODEV...: something is there, but not a usable KVM device. */
		set(out, DOCTOR_FAIL, "%s; fix: point --kvm-dev at the KVM character device "
		    "(normally /dev/kvm), " NATIVE_HINT, k->reason);
		return;
	}
	if (k->api_version < 0) {
		set(out, DOCTOR_FAIL, "%s (not a KVM device?); fix: point --kvm-dev at the KVM "
		    "device, " NATIVE_HINT, k->reason);
		return;
	}
	/* The device answers, but its KVM lacks something kvm-mini needs (the reason says what). */
	set(out, DOCTOR_FAIL, "%s; fix: a host kernel and CPU whose KVM offers it, " NATIVE_HINT,
	    k->reason);
}

void doctor_check_kvm_module(struct doctor_ctx *ctx, struct doctor_result *out)
{
	const char *m;

	gather(ctx);
	m = ctx->host.kvm_module;
	if (strcmp(m, "none") == 0) {
		if (ctx->probe_err == 0) {
			set(out, DOCTOR_WARN, "%s works, but none of kvm_intel, kvm_amd, kvm_pvm is "
			    "loaded: runs will record the module as none", ctx->kvm.dev);
			return;
		}
		set(out, DOCTOR_FAIL, "no KVM module loaded (kvm_intel, kvm_amd, kvm_pvm); fix: "
		    "modprobe kvm_intel or kvm_amd, " NATIVE_HINT);
		return;
	}
	if (ctx->kvm.dev_errno == ENOENT) {
		set(out, DOCTOR_WARN, "%s is loaded but %s does not exist: the module did not "
		    "bind (dmesg says why, e.g. when this kernel is itself a kvm-pvm guest)",
		    m, ctx->kvm.dev);
		return;
	}
	if (strcmp(m, "kvm_pvm") == 0) {
		set(out, DOCTOR_OK, "kvm_pvm (pagetable-based virtualization: guest ring 0 is "
		    "emulated, kvm-mini does its measured work in ring 3)");
		return;
	}
	set(out, DOCTOR_OK, "%s (hardware virtualization)", m);
}

/* A feature the probe reads only once the device answered. */
static void kvm_feature(struct doctor_ctx *ctx, struct doctor_result *out,
			enum kmini_cap_state st, const char *what, const char *absent)
{
	gather(ctx);
	if (st == KMINI_CAP_YES) {
		set(out, DOCTOR_OK, "%s offered by %s", what, ctx->kvm.dev);
		return;
	}
	if (st == KMINI_CAP_NO) {
		set(out, DOCTOR_FAIL, "%s not offered by %s: %s; fix: a host kernel whose KVM "
		    "offers it, " NATIVE_HINT, what, ctx->kvm.dev, absent);
		return;
	}
	set(out, DOCTOR_FAIL, "%s: not checked, %s is not usable (see kvm-device); fix: "
	    "make the KVM device usable, " NATIVE_HINT, what, ctx->kvm.dev);
}

void doctor_check_steal_time(struct doctor_ctx *ctx, struct doctor_result *out)
{
	gather(ctx);
	kvm_feature(ctx, out, ctx->kvm.steal_time,
		    "paravirtual steal time (KVM_FEATURE_STEAL_TIME)",
		    "the guest could not see its steal");
}

void doctor_check_irqchip(struct doctor_ctx *ctx, struct doctor_result *out)
{
	gather(ctx);
	kvm_feature(ctx, out, ctx->kvm.cap_irqchip, "in-kernel irqchip (KVM_CAP_IRQCHIP)",
		    "the guest has no LAPIC timer to time-slice its tasks");
}

/*
 * Without a usable KVM device, kvm-mini can still run one level down: in an
 * L1 guest under QEMU TCG with nested SVM (experiments/kmnested.h), which
 * --backend auto and --backend kvm-mini then use. Optional: native remains.
 */
void doctor_check_kvm_nested(struct doctor_ctx *ctx, struct doctor_result *out)
{
	struct kmnested n;
	char why[512];

	gather(ctx);
	if (ctx->probe_err == 0) {
		set(out, DOCTOR_OK, "not needed: kvm-mini runs in process on %s", ctx->kvm.dev);
		return;
	}
	if (kmnested_available(&n, NULL, 0, why, sizeof(why)) == 0) {
		set(out, DOCTOR_OK, "kvm-mini runs one level down here, in an L1 guest under QEMU "
		    "TCG with nested SVM (%s); --backend auto and kvm-mini use it: steal is real "
		    "there, start-up and timer precision are not (docs/kvm-nested.md)", n.harness);
		return;
	}
	set(out, DOCTOR_WARN, "no nested route either: %s", why);
}

/* ---- the host ------------------------------------------------------------- */

void doctor_check_schedstat(struct doctor_ctx *ctx, struct doctor_result *out)
{
	char path[PATH_MAX];
	struct schedstat st;
	pid_t pid = getpid(), tid = gettid();
	int fd, err;

	root_path(path, sizeof(path), ctx, "/proc/self/schedstat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		set(out, DOCTOR_FAIL, "%s: %s: no per-thread run delay; fix: a kernel with "
		    "CONFIG_SCHED_INFO (set by CONFIG_SCHEDSTATS or CONFIG_TASK_DELAY_ACCT)",
		    path, strerror(err));
		return;
	}
	close(fd);
	schedstat_path(ctx->root, pid, tid, path, sizeof(path));
	err = schedstat_read(ctx->root, pid, tid, &st);
	if (err) {
		set(out, DOCTOR_FAIL, "%s: %s; fix: a kernel with CONFIG_SCHED_INFO", path,
		    log_last_error());
		return;
	}
	if (st.run_ns == 0) {
		set(out, DOCTOR_FAIL, "%s reads 0 run time for a running thread: run delay is not "
		    "accounted; fix: sysctl kernel.sched_schedstats=1, or a kernel with "
		    "CONFIG_SCHED_INFO", path);
		return;
	}
	set(out, DOCTOR_OK, "per-thread run delay readable (%s: this thread ran %.1f ms, "
	    "waited %.1f ms)", path, (double)st.run_ns / 1e6, (double)st.delay_ns / 1e6);
}

void doctor_check_cpus(struct doctor_ctx *ctx, struct doctor_result *out)
{
	const struct hostinfo *h = &ctx->host;
	char path[PATH_MAX];
	cpu_set_t set0;

	gather(ctx);
	root_path(path, sizeof(path), ctx, "/sys/devices/system/cpu/online");
	if (ctx->host_err || h->ncpus_online <= 0) {
		set(out, DOCTOR_FAIL, "cannot tell which CPUs are online (%s unreadable or "
		    "malformed); fix: mount sysfs (mount -t sysfs sysfs /sys)", path);
		return;
	}
	if (cpus_online(ctx->root, &set0) == 0 && !CPU_ISSET(0, &set0)) {
		set(out, DOCTOR_FAIL, "CPU 0 is offline (online: %s): the shipped specs pin to "
		    "CPU 0; fix: echo 1 > /sys/devices/system/cpu/cpu0/online, or edit pin and "
		    "cpu in the spec", h->cpus_online);
		return;
	}
	if (h->ncpus_online < 2) {
		set(out, DOCTOR_FAIL, "only 1 CPU online (%s): the classic experiment needs 2 "
		    "(vCPU and host loop on CPU 0, the VMM and samplers beside them); fix: a "
		    "machine or VM with 2 or more CPUs", h->cpus_online);
		return;
	}
	set(out, DOCTOR_OK, "%d CPUs online (%s)", h->ncpus_online, h->cpus_online);
}

void doctor_check_gnuplot(struct doctor_ctx *ctx, struct doctor_result *out)
{
	char exe[PATH_MAX];

	if (gnuplot_find_in(ctx->path_env, exe, sizeof(exe)) == 0) {
		set(out, DOCTOR_OK, "%s", exe);
		return;
	}
	set(out, DOCTOR_WARN, "gnuplot not found on PATH: runs still measure, but draw no "
	    "plots; fix: apt-get install gnuplot-nox");
}

/* Is there an executable @name on @dirs (colon-separated)? */
static int on_path(const char *dirs, const char *name)
{
	const char *p = dirs;
	char cand[PATH_MAX];

	while (*p) {
		size_t n = strcspn(p, ":");

		if (n > 0 && snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, name) <
		    (int)sizeof(cand) && access(cand, X_OK) == 0)
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* connect(2) to a unix socket: 0 or -errno. */
static int try_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, err = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = -errno;
	close(fd);
	return err;
}

#define LIBVIRT_START "virtlogd -d && libvirtd -d"

void doctor_check_libvirt(struct doctor_ctx *ctx, struct doctor_result *out)
{
	static const char *const socks[] = { "/run/libvirt/libvirt-sock",
					     "/var/run/libvirt/libvirt-sock" };
	char path[PATH_MAX], seen[PATH_MAX] = "";
	struct stat st;
	int err = 0;
	size_t i;

	for (i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		root_path(path, sizeof(path), ctx, socks[i]);
		if (stat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		err = try_connect(path);
		if (err == 0) {
			set(out, DOCTOR_OK, "libvirtd answers on %s", path);
			return;
		}
		snprintf(seen, sizeof(seen), "%s", path);
	}
	if (seen[0] && (err == -EACCES || err == -EPERM)) {
		set(out, DOCTOR_WARN, "connect %s: %s (only the libvirt backend needs it); fix: run "
		    "as root or join the libvirt group", seen, strerror(-err));
		return;
	}
	if (seen[0]) {
		set(out, DOCTOR_WARN, "connect %s: %s: the daemon is not running (only the libvirt "
		    "backend needs it); fix: " LIBVIRT_START, seen, strerror(-err));
		return;
	}
	if (!on_path(ctx->path_env, "libvirtd")) {
		set(out, DOCTOR_WARN, "no libvirt daemon installed (only the libvirt backend needs "
		    "it); fix: apt-get install libvirt-daemon-system, then " LIBVIRT_START);
		return;
	}
	set(out, DOCTOR_WARN, "libvirtd is not running (no socket at /run/libvirt/libvirt-sock; "
	    "only the libvirt backend needs it); fix: " LIBVIRT_START);
}

/* Does the cgroup v2 mount @dir have the cpu controller? */
static int v2_has_cpu(const char *dir)
{
	char path[PATH_MAX], buf[512], *tok, *save;
	FILE *fp;
	int found = 0;

	if (snprintf(path, sizeof(path), "%s/cgroup.controllers", dir) >= (int)sizeof(path))
		return -1;
	fp = fopen(path, "re");
	if (!fp)
		return -1;                /* not a cgroup v2 mount */
	if (fgets(buf, sizeof(buf), fp))
		for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			if (strcmp(tok, "cpu") == 0)
				found = 1;
	fclose(fp);
	return found;
}

void doctor_check_cgroup(struct doctor_ctx *ctx, struct doctor_result *out)
{
	static const char *const v2[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	static const char *const v1[] = { "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
					  "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us" };
	char path[PATH_MAX], v2_seen[PATH_MAX] = "";
	size_t i;
	int r;

	for (i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
		root_path(path, sizeof(path), ctx, v2[i]);
		r = v2_has_cpu(path);
		if (r < 0)
			continue;
		if (r > 0 && access(path, W_OK) == 0) {
			set(out, DOCTOR_OK, "cgroup v2 with the cpu controller at %s (cpu.max for "
			    "vm.quota)", path);
			return;
		}
		if (!v2_seen[0])
			snprintf(v2_seen, sizeof(v2_seen), "%s", path);
	}
	for (i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		root_path(path, sizeof(path), ctx, v1[i]);
		if (access(path, W_OK) == 0) {
			set(out, DOCTOR_OK, "cgroup v1 CPU quota at %s%s%s", path,
			    v2_seen[0] ? " (cgroup v2 at " : "", v2_seen[0] ? v2_seen : "");
			if (v2_seen[0])
				strncat(out->msg, " has no cpu controller)",
					sizeof(out->msg) - strlen(out->msg) - 1);
			return;
		}
	}
	set(out, DOCTOR_WARN, "no writable cgroup CPU quota (cgroup v2 cpu.max or v1 "
	    "cpu.cfs_quota_us): policies with vm.quota are skipped; fix: run as root with "
	    "cgroup v2 and its cpu controller (mount -t cgroup2 none /sys/fs/cgroup)");
}

/* ---- the table ------------------------------------------------------------ */

const struct doctor_check doctor_checks[] = {
	{ "kvm-device", DOCTOR_NEED_KVM, doctor_check_kvm_device },
	{ "kvm-module", DOCTOR_NEED_KVM, doctor_check_kvm_module },
	{ "steal-time", DOCTOR_NEED_KVM, doctor_check_steal_time },
	{ "irqchip", DOCTOR_NEED_KVM, doctor_check_irqchip },
	{ "kvm-nested", DOCTOR_NEED_OPTIONAL, doctor_check_kvm_nested },
	{ "schedstat", DOCTOR_NEED_DEFAULT, doctor_check_schedstat },
	{ "cpus", DOCTOR_NEED_DEFAULT, doctor_check_cpus },
	{ "gnuplot", DOCTOR_NEED_OPTIONAL, doctor_check_gnuplot },
	{ "libvirt", DOCTOR_NEED_OPTIONAL, doctor_check_libvirt },
	{ "cgroup-quota", DOCTOR_NEED_OPTIONAL, doctor_check_cgroup },
};

const size_t doctor_ncheck = sizeof(doctor_checks) / sizeof(doctor_checks[0]);

const struct doctor_check *doctor_find(const char *name)
{
	size_t i;

	for (i = 0; i < doctor_ncheck; i++)
		if (strcmp(doctor_checks[i].name, name) == 0)
			return &doctor_checks[i];
	return NULL;
}

int doctor_run(struct doctor_ctx *ctx, struct doctor_result *results)
{
	int kvm_failed = 0, default_failed = 0;
	size_t i;

	log_set_quiet(1);
	for (i = 0; i < doctor_ncheck; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		doctor_checks[i].fn(ctx, &results[i]);
		if (results[i].status != DOCTOR_FAIL)
			continue;
		if (doctor_checks[i].need == DOCTOR_NEED_KVM)
			kvm_failed = 1;
		else if (doctor_checks[i].need == DOCTOR_NEED_DEFAULT)
			default_failed = 1;
	}
	log_set_quiet(0);
	if (default_failed)
		return EXIT_FAIL;
	return kvm_failed ? EXIT_UNSUPPORTED : EXIT_OK;
}

int doctor_print(FILE *fp, const struct doctor_result *results, int exit_code)
{
	size_t i;

	for (i = 0; i < doctor_ncheck; i++)
		fprintf(fp, "%-4s  %-13s %s\n", doctor_status_name(results[i].status),
			doctor_checks[i].name, results[i].msg);
	if (exit_code == EXIT_OK)
		fprintf(fp, "ready: the default experiment can run here\n");
	else if (exit_code == EXIT_UNSUPPORTED)
		fprintf(fp, "kvm-mini cannot run in process here: --backend auto runs it nested "
			"where kvm-nested is OK, else natively (the rest of what the default "
			"experiment needs is there)\n");
	else
		fprintf(fp, "not ready: fix the FAIL lines above\n");
	if (fflush(fp) || ferror(fp))
		return log_err(-EIO, "write error");
	return 0;
}
