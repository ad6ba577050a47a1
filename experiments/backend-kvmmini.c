/*
 * backend-kvmmini: see backend-kvmmini.h. Both routes end in the same
 * place: kvm-mini's results directory, read back by kmresult_read(), so the
 * in-process route (which cannot run on a host without /dev/kvm) shares
 * every line of its reading with the nested one that can. This file only
 * chooses the route and runs kvm-mini; what it runs is kmargs_build()'s.
 */
#include "experiments/backend-kvmmini.h"

#include "common/cli.h"
#include "common/fileio.h"
#include "common/hostinfo.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "experiments/kmargs.h"
#include "experiments/runprogress.h"
#include "kvm-mini/kvmprobe.h"
#include "kvm-mini/options.h"
#include "kvm-mini/output.h"
#include "kvm-mini/vmm.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_NAME "kvm-mini.log"        /* the nested run's console, in the repetition's dir */
#define LOG_TAIL 1024                  /* bytes of it quoted when kvm-mini failed */

const char kvmmini_nested_caveat[] =
	"kvm-mini ran one level down, in an L1 guest under QEMU TCG with nested SVM: guest "
	"steal, its tick accounting and the vCPU thread's run delay are real there (L1's "
	"scheduler), but L1 itself runs under TCG, so start-up (tens to hundreds of ms) and "
	"progress-stamp gaps outside contention (tens of ms when this host is busy) are not "
	"representative of a KVM host (docs/kvm-nested.md)";

const char *kvmmini_route_name(enum kvmmini_route r)
{
	switch (r) {
	case KVMMINI_ROUTE_IN_PROCESS:
		return "in-process";
	case KVMMINI_ROUTE_NESTED:
		return "nested-tcg";
	default:
		return "none";
	}
}

/* ---- choosing the route ---------------------------------------------------------- */

enum kvmmini_route kvmmini_open(struct kvmmini_session *ks, const char *kvm_dev,
				int require_image)
{
	const char *dev = kvm_dev ? kvm_dev : KMINI_PROBE_DEFAULT_DEV;
	char dev_why[512], nested_why[384];
	struct kmini_probe p;
	struct hostinfo h;

	memset(ks, 0, sizeof(*ks));
	ks->kvm_dev = kvm_dev;
	ks->opened = 1;
	/* hostinfo opens the device without logging; the probe then checks what kvm-mini needs */
	memset(&h, 0, sizeof(h));
	if (!kvm_dev && hostinfo_gather(NULL, &h) == 0 && !h.kvm_dev_usable) {
		snprintf(dev_why, sizeof(dev_why), "%s",
			 h.kvm_dev_error[0] ? h.kvm_dev_error : "not usable");
	} else if (kmini_probe(kvm_dev, &p) == 0) {
		ks->route = KVMMINI_ROUTE_IN_PROCESS;
		snprintf(ks->reason, sizeof(ks->reason), "%.64s is usable", dev);
		return ks->route;
	} else {
		snprintf(dev_why, sizeof(dev_why), "%s", p.reason);
	}
	if (kmnested_available(&ks->nested, NULL, require_image, nested_why,
			       sizeof(nested_why)) == 0) {
		ks->route = KVMMINI_ROUTE_NESTED;
		snprintf(ks->reason, sizeof(ks->reason), "no usable %.64s (%.300s): kvm-mini runs "
			 "nested, in an L1 guest under QEMU TCG with nested SVM", dev, dev_why);
		return ks->route;
	}
	snprintf(ks->reason, sizeof(ks->reason), "kvm-mini needs %.64s: %.300s; nested route: "
		 "%.380s", dev, dev_why, nested_why);
	return ks->route;
}

/* ---- one repetition ---------------------------------------------------------------- */

/* The argument vector "kvm-mini ARGS --out @kdir" for kmini_parse_args(). */
static int full_argv(const struct kmargs *a, const char *kdir, char **argv, int max)
{
	int k = 0, i;

	if (a->argc + 4 > max)
		return -E2BIG;
	argv[k++] = "kvm-mini";
	for (i = 0; i < a->argc; i++)
		argv[k++] = a->argv[i];
	argv[k++] = "--out";
	argv[k++] = (char *)kdir;
	argv[k] = NULL;
	return k;
}

/*
 * The in-process route: the kvm-mini library, its files written into
 * @kdir. kmini_vm_run() keeps its sampling thread (this one) off the vCPUs'
 * CPUs; the runner's affinity is restored afterwards.
 */
static int run_in_process(struct kvmmini_session *ks, const struct run_policy *p, int r,
			  const struct kmargs *a, const char *kdir, int progress)
{
	char *argv[KMARGS_MAX + 8];
	struct kmini_result res;
	struct runprogress pg;
	struct kmini_opts o;
	struct kmini_vm *vm;
	cpu_set_t saved;
	int argc, have_saved, e, we;

	argc = full_argv(a, kdir, argv, (int)(sizeof(argv) / sizeof(argv[0])) - 1);
	if (argc < 0)
		return log_err(argc, "kvm-mini: too many arguments");
	e = kmini_parse_args(argc, argv, &o);
	if (e >= 0)
		return log_err(-EINVAL, "kvm-mini refused the arguments of policy %s (a bug: "
			       "please report it)", p->name);
	o.cfg.kvm_dev = ks->kvm_dev;
	o.cfg.process_start_ns = mono_ns();
	e = kmini_vm_create(&o.cfg, &vm);
	if (e)
		return e;
	have_saved = sched_getaffinity(0, sizeof(saved), &saved) == 0;
	runprogress_start(&pg, progress, p->name, r + 1, p->spec.repeat, mono_ns(),
			  p->spec.duration_ns);
	e = kmini_vm_run(vm, &res);
	runprogress_stop(&pg);
	kmini_vm_destroy(vm);
	if (have_saved)
		sched_setaffinity(0, sizeof(saved), &saved);
	we = kmini_out_dir(kdir);
	if (!we)
		we = kmini_write_results(kdir, &o, &res, argc, argv);
	kmini_result_free(&res);
	return e ? e : we;
}

/* Remove the flat directory @dir and its files (a collection that did not come whole). */
static void remove_flat_dir(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp) {
		while ((d = readdir(dp)))
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				unlinkat(dirfd(dp), d->d_name, 0);
		closedir(dp);
	}
	rmdir(dir);
}

/* The last @max bytes of the file @path, from a line start, into @buf. */
static void tail_of(const char *path, char *buf, size_t max)
{
	struct fileio_buf b = { 0 };
	const char *from;

	buf[0] = '\0';
	if (fileio_load(path, 1 << 20, 0, &b) || !b.len)
		goto out;
	from = b.data + (b.len > max - 1 ? b.len - (max - 1) : 0);
	if (from > b.data) {
		const char *nl = memchr(from, '\n', (size_t)(b.data + b.len - from));

		if (nl)
			from = nl + 1;
	}
	snprintf(buf, max, "%.*s", (int)(b.data + b.len - from), from);
out:
	fileio_buf_free(&b);
}

/* Why the harness exited @status: its exit codes, else kvm-mini's. */
static int nested_failure(int status, const char *log)
{
	char tail[LOG_TAIL + 1];

	tail_of(log, tail, sizeof(tail));
	switch (status) {
	case KMNESTED_TIMED_OUT:
		return log_err(-ETIMEDOUT, "nested kvm-mini: the L1 guest did not finish in time "
			       "(QEMU killed); the end of %s:\n%s", log, tail);
	case KMNESTED_NO_STATUS:
		return log_err(-EPROTO, "nested kvm-mini: the L1 guest reported no exit status (it "
			       "crashed?); the end of %s:\n%s", log, tail);
	default:
		return log_err(-EFAULT, "nested kvm-mini exited with status %d; the end of %s:\n%s",
			       status, log, tail);
	}
}

/* The highest host CPU @s names (pins and contention), -1 when none. */
static int highest_cpu(const struct spec *s)
{
	int i, top = -1;

	for (i = 0; i < s->vcpus; i++)
		if (s->pins[i] > top)
			top = s->pins[i];
	for (i = 0; i < s->n_contention; i++)
		if (s->contention[i].cpu > top)
			top = s->contention[i].cpu;
	return top;
}

/*
 * The nested route: kvm-mini in L1, its files collected into a temporary
 * directory beside @kdir and renamed to it once whole (also after kvm-mini
 * failed: what it measured came back); its console in <dir>/kvm-mini.log.
 */
static int run_nested(struct kvmmini_session *ks, const struct run_policy *p, int r,
		      const struct kmargs *a, const char *dir, const char *kdir,
		      int progress)
{
	char tmp[PATH_MAX], log_tmp[PATH_MAX], log_path[PATH_MAX], meta[PATH_MAX + 16];
	char tail[LOG_TAIL + 1];
	struct kmnested n = ks->nested;
	struct runprogress pg;
	int e, fd, attempt, status = -1, top = highest_cpu(&p->spec);

	if (top >= KMNESTED_MAX_SMP)
		return log_err(-EINVAL, "policy %s: CPU %d: the nested route's L1 guest has at "
			       "most %d CPUs", p->name, top, KMNESTED_MAX_SMP);
	if (top + 1 > n.smp)
		n.smp = top + 1;       /* L1 CPU numbers stand for this host's */
	if (snprintf(tmp, sizeof(tmp), "%s/" KVMMINI_DIR ".tmp.XXXXXX", dir) >= (int)sizeof(tmp) ||
	    snprintf(log_tmp, sizeof(log_tmp), "%s/" LOG_NAME ".tmp.XXXXXX", dir) >=
	    (int)sizeof(log_tmp) ||
	    snprintf(log_path, sizeof(log_path), "%s/" LOG_NAME, dir) >= (int)sizeof(log_path))
		return log_err(-ENAMETOOLONG, "%s: %s", dir, strerror(ENAMETOOLONG));
	if (!mkdtemp(tmp)) {
		e = errno;
		return log_err(-e, "mkdtemp %s: %s", tmp, strerror(e));
	}
	fd = mkstemp(log_tmp);
	if (fd < 0) {
		e = errno;
		rmdir(tmp);
		return log_err(-e, "mkstemp %s: %s", log_tmp, strerror(e));
	}
	close(fd);
	snprintf(meta, sizeof(meta), "%s/meta.json", tmp);
	for (attempt = 1;; attempt++) {
		runprogress_start(&pg, progress, p->name, r + 1, p->spec.repeat, mono_ns(),
				  p->spec.duration_ns + KMNESTED_BOOT_NS);
		e = kmnested_run(&n, a->argv, p->spec.duration_ns, tmp, log_tmp, &status);
		runprogress_stop(&pg);
		/*
		 * A boot that hung or crashed before kvm-mini's files came back
		 * measured nothing this side can read: on a shared machine the
		 * TCG L1 guest rarely stalls (docs/kvm-nested.md), so it gets
		 * one more boot, said on stderr.
		 */
		if (attempt > 1 || access(meta, F_OK) == 0 || !kmnested_boot_failed(e, status))
			break;
		if (cli_stop_requested()) {
			e = -EINTR;    /* the harness ended as the stop came: no second boot */
			break;
		}
		/* a harness killed mid-collect may have left part of a tar behind */
		remove_flat_dir(tmp);
		if (mkdir(tmp, 0700)) {
			e = log_err(-errno, "mkdir %s: %s", tmp, strerror(errno));
			break;
		}
		tail_of(log_tmp, tail, sizeof(tail));
		log_warn("policy %s repetition %d: the nested L1 guest %s; booting it once more. "
			 "The end of its console:\n%s", p->name, r + 1, status == KMNESTED_NO_STATUS ?
			 "reported no exit status" : "did not finish in time", tail);
	}
	if (rename(log_tmp, log_path)) {
		unlink(log_tmp);
		snprintf(log_path, sizeof(log_path), "%s", "(lost)");
	}
	if (e || access(meta, R_OK)) {
		remove_flat_dir(tmp);
		if (e)
			return e;      /* -EINTR: stopped, everything killed; else logged */
		return nested_failure(status, log_path);
	}
	remove_flat_dir(kdir);         /* a leftover of an earlier run of this rep, if any */
	if (rename(tmp, kdir)) {
		e = errno;
		remove_flat_dir(tmp);
		return log_err(-e, "rename %s to %s: %s", tmp, kdir, strerror(e));
	}
	return status ? nested_failure(status, log_path) : 0;
}

int kvmmini_run_rep(struct kvmmini_session *ks, struct run_policy *p, int r, const char *dir,
		    int progress, struct run_rep *out)
{
	struct kmresult_facts facts;
	struct kmargs a;
	char kdir[PATH_MAX];
	int rc, rrc, in_process = ks->route == KVMMINI_ROUTE_IN_PROCESS;

	memset(out, 0, sizeof(*out));
	if (snprintf(kdir, sizeof(kdir), "%s/" KVMMINI_DIR, dir) >= (int)sizeof(kdir))
		return log_err(-ENAMETOOLONG, "%s: %s", dir, strerror(ENAMETOOLONG));
	rc = kmargs_build(&p->spec, &a);
	if (rc)
		return rc;
	if (in_process)
		rc = run_in_process(ks, p, r, &a, kdir, progress);
	else if (ks->route == KVMMINI_ROUTE_NESTED)
		rc = run_nested(ks, p, r, &a, dir, kdir, progress);
	else
		return log_err(-ENODEV, "backend kvm-mini: %s", ks->reason);
	if (access(kdir, F_OK))
		return rc;             /* nothing came back (or nothing ran) */
	rrc = kmresult_read(kdir, &p->spec, in_process, out, &facts);
	if (rrc)
		return rc ? rc : rrc;
	if (r == 0 && facts.loops_per_unit) {
		p->calib.loops_per_unit = facts.loops_per_unit;
		p->calib.ns_per_loop = facts.ns_per_loop;
		p->calib_by = "the kvm-mini guest (vCPU 0)";
		p->calibrated = 1;
	}
	if (!ks->have_first) {
		ks->first = facts;
		ks->have_first = 1;
	}
	return rc;
}
