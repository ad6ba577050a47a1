/*
 * Unit tests for experiments/backend-libvirt, without a daemon: a fake
 * struct virt_ops whose "guest" is a thread that writes the serial log as
 * guest-tools/guest-init.sh does (hello, go, the files, exit) and then
 * "powers off", and whose vCPU statistics grow at known rates (run and
 * delay half the wall time each). One repetition must then give every
 * sample with the fake's counters, the guest's stamps and ticks, the files
 * in the repetition's directory, and no destroy call (the guest ended by
 * itself); a guest that fails before `go`, one that vanishes, and a stop
 * request must each end with the domain gone and the right error. Then the
 * renderers and the summary on that repetition: tick_steal and guest steal
 * unavailable (empty, NaN) for a qemu domain, present for kvm. And the
 * pure pieces: the default domain type, the margin, and native_start() for
 * a spec without vCPUs (the hogs alone, as this backend uses it).
 *
 * The stop-request test sets the process's stop flag for good: it runs last.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/csvio.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "experiments/backend-libvirt.h"
#include "experiments/backend-native.h"
#include "experiments/runfiles.h"
#include "experiments/runsum.h"
#include "tests/support/files.h"

#define MS 1000000LL

/* ---- the fake ------------------------------------------------------------------- */

enum fake_mode { FAKE_OK, FAKE_FAIL_BEFORE_GO, FAKE_VANISH, FAKE_STOP_AFTER_GO };

static struct {
	pthread_mutex_t mu;
	enum fake_mode mode;
	pthread_t th;
	int running;                   /* the thread exists */
	int gone;                      /* the domain no longer exists */
	int destroys;                  /* destroy() calls */
	int64_t created_ns;
	char serial[PATH_MAX];
	char id[32];
	int64_t margin_ns, duration_ns, interval_ns;
	char xml[8192];
} F = { .mu = PTHREAD_MUTEX_INITIALIZER };

struct virt_conn {
	int dummy;
};

struct virt_domain {
	int dummy;
};

static struct virt_conn fake_conn;
static struct virt_domain fake_dom;

static int is_gone(void)
{
	int g;

	pthread_mutex_lock(&F.mu);
	g = F.gone;
	pthread_mutex_unlock(&F.mu);
	return g;
}

static void set_gone(void)
{
	pthread_mutex_lock(&F.mu);
	F.gone = 1;
	pthread_mutex_unlock(&F.mu);
}

/* The text after @key in the XML, up to one of @stop. */
static void xml_value(const char *key, const char *stop, char *out, size_t len)
{
	const char *p = strstr(F.xml, key);
	size_t n;

	assert_non_null(p);
	p += strlen(key);
	n = strcspn(p, stop);
	assert_true(n < len);
	memcpy(out, p, n);
	out[n] = '\0';
}

static int64_t xml_i64(const char *key)
{
	char buf[32];

	xml_value(key, " <", buf, sizeof(buf));
	return strtoll(buf, NULL, 10);
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(fd, line, (size_t)n) != n)
		abort();
}

/* Sleep until @deadline_ns or the domain is destroyed. 1 when destroyed. */
static int nap_until(int64_t deadline_ns)
{
	while (mono_ns() < deadline_ns) {
		if (is_gone())
			return 1;
		usleep(2000);
	}
	return is_gone();
}

/* The guest: /init's protocol, with the tty's CR LF, on the serial log. */
static void *guest_main(void *arg)
{
	int fd = open(F.serial, O_WRONLY | O_APPEND | O_CLOEXEC), k;
	int64_t t0, n = F.duration_ns / F.interval_ns;

	(void)arg;
	if (fd < 0)
		abort();
	say(fd, "[    0.000000] Linux version 6.1.0-56-amd64\r\n");
	if (nap_until(mono_ns() + 30 * MS))
		goto out;
	say(fd, "@@stealscope %s hello 0.1.0 6.1.0-56-amd64\r\n", F.id);
	if (F.mode == FAKE_FAIL_BEFORE_GO) {
		say(fd, "@@stealscope %s error stealscope.vcpus is 1 but the guest has 2 CPUs "
		    "online\r\n", F.id);
		say(fd, "@@stealscope %s exit 1\r\n", F.id);
		nap_until(mono_ns() + 20 * MS);
		set_gone();
		goto out;
	}
	if (F.mode == FAKE_VANISH) {
		set_gone();
		goto out;
	}
	t0 = mono_ns() + F.margin_ns;
	say(fd, "@@stealscope %s go %" PRId64 " %" PRId64 "\r\n", F.id, t0, F.margin_ns);
	if (F.mode == FAKE_STOP_AFTER_GO) {
		nap_until(t0 + F.duration_ns / 2);
		kill(getpid(), SIGINT);
		nap_until(mono_ns() + 10 * NS_PER_SEC);   /* until destroyed */
		goto out;
	}
	say(fd, "guest: sched-load: debug: calibration on CPU 0: 1.8850 ns/loop\r\n");
	/* collecting the files takes the real guest a while: the host's last samples fit */
	if (nap_until(t0 + F.duration_ns + 300 * MS))
		goto out;
	/* task 0 then task 1, as the guest concatenates them: units every 2 ms each */
	say(fd, "@@stealscope %s file progress.csv\r\n", F.id);
	say(fd, "vcpu,proc,unit,t_ns,progress_pct\r\n");
	for (k = 0; k < 3; k++)
		say(fd, "0,0,%d,%d,1.0\r\n", k, 1000000 + 2000000 * k);
	for (k = 0; k < 3; k++)
		say(fd, "0,1,%d,%d,1.0\r\n", k, 2000000 + 2000000 * k);
	say(fd, "@@stealscope %s endfile progress.csv 7\r\n", F.id);
	/* cpu-sampler from go: seq 1 is one interval after go, t_ns from t0 */
	say(fd, "@@stealscope %s file cpu.csv\r\n", F.id);
	say(fd, "seq,t_ns,cpu,user_ticks,nice_ticks,system_ticks,idle_ticks,iowait_ticks,"
	    "irq_ticks,softirq_ticks,steal_ticks,guest_ticks,guest_nice_ticks\r\n");
	for (k = 1; k <= (int)(n + F.margin_ns / F.interval_ns); k++)
		say(fd, "%d,%" PRId64 ",0,%d,0,1,0,0,0,0,0,0,0\r\n", k,
		    k * F.interval_ns - F.margin_ns, k);
	say(fd, "@@stealscope %s endfile cpu.csv %d\r\n", F.id,
	    (int)(n + F.margin_ns / F.interval_ns) + 1);
	say(fd, "@@stealscope %s exit 0\r\n", F.id);
	nap_until(mono_ns() + 20 * MS);
	say(fd, "[    5.709548] reboot: Power down\r\n");
	set_gone();
out:
	close(fd);
	return NULL;
}

static int fake_connect(const char *uri, unsigned flags, struct virt_conn **out)
{
	(void)uri;
	(void)flags;
	*out = &fake_conn;
	return 0;
}

static void fake_close(struct virt_conn *c)
{
	(void)c;
}

static int fake_create(struct virt_conn *c, const char *xml, unsigned flags,
		       struct virt_domain **out)
{
	int fd;

	(void)c;
	assert_true(flags & VIRT_CREATE_AUTODESTROY);
	assert_true(strlen(xml) < sizeof(F.xml));
	snprintf(F.xml, sizeof(F.xml), "%s", xml);
	xml_value("<source path='", "'", F.serial, sizeof(F.serial));
	xml_value("stealscope.id=", " <", F.id, sizeof(F.id));
	F.margin_ns = xml_i64("stealscope.margin=");
	F.duration_ns = xml_i64("stealscope.duration=");
	F.interval_ns = xml_i64("stealscope.interval=");
	/* like QEMU: the serial log exists once the domain runs */
	fd = open(F.serial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	F.gone = 0;
	F.created_ns = mono_ns();
	assert_int_equal(pthread_create(&F.th, NULL, guest_main, NULL), 0);
	F.running = 1;
	*out = &fake_dom;
	return 0;
}

static int fake_destroy(struct virt_domain *d)
{
	(void)d;
	pthread_mutex_lock(&F.mu);
	F.destroys++;
	F.gone = 1;
	pthread_mutex_unlock(&F.mu);
	return 0;
}

static void fake_free_domain(struct virt_domain *d)
{
	(void)d;
	if (F.running)
		pthread_join(F.th, NULL);
	F.running = 0;
}

static int fake_domain_info(struct virt_domain *d, struct virt_dom_info *out)
{
	(void)d;
	if (is_gone())
		return log_err(-ENOENT, "fake: domain is gone");
	memset(out, 0, sizeof(*out));
	out->name = "fake";
	out->state = VIRT_DOM_RUNNING;
	out->nvcpus = 1;
	return 0;
}

/* vcpu.0.time and vcpu.0.delay each grow at half the wall time since creation. */
static int fake_stats(struct virt_domain *d, size_t nvcpus_hint, struct virtstats_dom *out)
{
	int64_t now = mono_ns(), el = now - F.created_ns;

	(void)d;
	if (is_gone())
		return log_err(-ENOENT, "fake: domain is gone");
	assert_int_equal(nvcpus_hint, 1);
	out->nvcpus = 1;
	out->nreported = 1;
	out->vcpu[0].present = VIRTSTATS_F_STATE | VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY;
	out->vcpu[0].time_ns = (uint64_t)(el / 2);
	out->vcpu[0].delay_ns = (uint64_t)(el / 2);
	out->vcpu[0].pcpu = 0;
	out->t_ns = now;
	return 0;
}

static const struct virt_ops fake_ops = {
	.name = "fake",
	.connect = fake_connect,
	.close = fake_close,
	.create_transient = fake_create,
	.destroy = fake_destroy,
	.free_domain = fake_free_domain,
	.domain_info = fake_domain_info,
	.get_vcpu_stats = fake_stats,
};

/* ---- helpers ---------------------------------------------------------------------- */

static struct spec one_vcpu(int64_t duration_ns)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "sched-virt");
	s.backend = SPEC_BACKEND_LIBVIRT;
	s.duration_ns = duration_ns;
	s.repeat = 1;
	s.sample_interval_ns = 10 * MS;
	s.vcpus = 1;
	s.pins[0] = 0;
	s.slice_ns = 4 * MS;
	s.workload = SPEC_WORKLOAD_SCHED;
	s.tasks = 2;
	s.unit_work_ns = MS;
	return s;
}

static void open_session(struct libvirt_session *ls, const char *type)
{
	struct guestimage img;

	memset(&img, 0, sizeof(img));
	snprintf(img.dir, sizeof(img.dir), "/img");
	snprintf(img.kernel, sizeof(img.kernel), "/img/vmlinuz");
	snprintf(img.initrd, sizeof(img.initrd), "/img/initramfs.cpio.gz");
	assert_int_equal(libvirt_open(ls, &fake_ops, "fake:///", type, "sched-virt"), 0);
	ls->image = img;
	/* the files do not exist: what libvirt_stage_image() would give for reachable ones */
	ls->boot.n = 2;
	snprintf(ls->boot.path[0], sizeof(ls->boot.path[0]), "%s", img.kernel);
	snprintf(ls->boot.path[1], sizeof(ls->boot.path[1]), "%s", img.initrd);
	F.destroys = 0;
}

static int has_file(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, R_OK) == 0;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_backend_libvirt_default_domain_type(void **state)
{
	struct hostinfo h;
	char why[256];

	(void)state;
	memset(&h, 0, sizeof(h));
	snprintf(h.kvm_module, sizeof(h.kvm_module), "kvm_pvm");
	snprintf(h.kvm_dev_error, sizeof(h.kvm_dev_error), "No such file or directory");
	assert_string_equal(libvirt_default_domain_type(&h, why, sizeof(why)), "qemu");
	assert_string_equal(why, "/dev/kvm is not usable here (No such file or directory)");
	h.kvm_dev_usable = 1;
	assert_string_equal(libvirt_default_domain_type(&h, why, sizeof(why)), "qemu");
	assert_string_equal(why, "/dev/kvm is provided by kvm_pvm, which cannot boot a stock "
			    "kernel");
	snprintf(h.kvm_module, sizeof(h.kvm_module), "kvm_intel");
	assert_string_equal(libvirt_default_domain_type(&h, why, sizeof(why)), "kvm");
	snprintf(h.kvm_module, sizeof(h.kvm_module), "kvm_amd");
	assert_string_equal(libvirt_default_domain_type(&h, why, sizeof(why)), "kvm");
	assert_string_equal(why, "/dev/kvm is usable (kvm_amd)");
}

static void test_backend_libvirt_margin(void **state)
{
	(void)state;
	assert_true(libvirt_margin_ns(10 * MS) == 1000 * MS);
	assert_true(libvirt_margin_ns(300 * MS) == 1200 * MS);
	assert_true(libvirt_margin_ns(7 * MS) == 1001 * MS);
	assert_true(libvirt_margin_ns(0) == 1000 * MS);
}

/*
 * The backend starts its host contention with native_start() on a copy of
 * the spec without vCPUs: only the hog exists (no vCPU thread id), and it
 * burns CPU in its window.
 */
static void test_backend_libvirt_hogs_only(void **state)
{
	struct spec s = one_vcpu(300 * MS);
	struct native_run *nr = NULL;
	struct timespec a, b;
	int64_t cpu_ns, t0;

	(void)state;
	s.vcpus = 0;
	s.n_contention = 1;
	s.contention[0].cpu = SPEC_PIN_ANY;
	s.contention[0].start_ns = 0;
	s.contention[0].end_ns = 150 * MS;
	s.contention[0].duty_pct = 100;
	s.contention[0].period_ns = 100 * MS;
	assert_int_equal(native_start(&s, 1, &nr), 0);
	assert_int_equal(native_vcpu_tid(nr, 0), 0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	t0 = mono_ns();
	native_go(nr, t0);
	while (sleep_until_ns(t0 + 200 * MS) == -EINTR)
		;
	assert_int_equal(native_join(nr), 0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	native_free(nr);
	cpu_ns = (b.tv_sec - a.tv_sec) * NS_PER_SEC + (b.tv_nsec - a.tv_nsec);
	/* 150 ms of spinning; a loaded machine may give it less, but not nothing */
	if (cpu_ns < 15 * MS || cpu_ns > 260 * MS)
		fail_msg("the hog used %.1f ms of CPU in its 150 ms window", cpu_ns / 1e6);
}

static void test_backend_libvirt_rep(void **state)
{
	struct spec s = one_vcpu(200 * MS);
	struct libvirt_session ls;
	struct libvirt_rep r;
	struct run_rep rep;
	struct run_samples *sm = &rep.samples;
	struct run_guest_ticks gt;
	char dir[PATH_MAX];
	size_t k;

	(void)state;
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "lvrep"), 0);
	open_session(&ls, "qemu");
	F.mode = FAKE_OK;
	r = (struct libvirt_rep){ .spec = &s, .dir = dir, .policy = "default", .rep = 1,
				  .nreps = 1 };
	assert_int_equal(libvirt_run_rep(&ls, &r, &rep), 0);
	assert_true(rep.measured && rep.completed);
	assert_int_equal(F.destroys, 0);       /* it powered off by itself */
	/* the domain: named per run, the guest's settings on its command line */
	assert_non_null(strstr(F.xml, "<name>stealscope-sched-virt-"));
	assert_non_null(strstr(F.xml, " stealscope.duration=200000000 "));
	assert_non_null(strstr(F.xml, "<domain type='qemu'>"));
	assert_true(ls.ndomains == 1);
	/*
	 * Samples at 0, 10, ..., 200 ms with the fake's counters; on a loaded
	 * machine a late one makes the loop skip deadlines already past (seq
	 * keeps the gap), never the last one.
	 */
	assert_true(sm->n >= 3 && sm->n <= 21);
	assert_true(sm->seq[0] == 0 && sm->seq[sm->n - 1] == 20);
	assert_true(sm->t_ns[sm->n - 1] >= 200 * MS);
	for (k = 0; k < sm->n; k++) {
		assert_true(sm->sched_ok[k]);
		if (k == 0)
			continue;
		assert_true(sm->seq[k] > sm->seq[k - 1]);
		assert_true(sm->sched[k].delay_ns > sm->sched[k - 1].delay_ns);
		assert_true(llabs((int64_t)sm->sched[k].run_ns - (int64_t)sm->sched[k].delay_ns) <=
			    1);
	}
	/* the guest's stamps, merged and sorted */
	assert_int_equal(rep.stamps[0].n, 6);
	for (k = 0; k < 6; k++)
		assert_true(rep.stamps[0].v[k].t_ns == (int64_t)(1000000 + 1000000 * k));
	assert_int_equal(rep.stamps[0].v[1].task, 1);
	/* its ticks: from go (a second before t0) to the end, user one more each sample */
	assert_int_equal(sm->gn, 120);
	assert_int_equal(rundata_guest_ticks(sm, 99, 0, &gt), 0);
	assert_true(gt.user == 100 && gt.system == 1 && gt.steal == 0);
	assert_true(sm->g_t_ns[99] == 0);
	assert_int_equal(sm->guest_steal_ticks, 0);
	/* what the guest said */
	assert_true(rep.guest.boot_ns > 0 && rep.guest.boot_ns < 5 * NS_PER_SEC);
	assert_true(rep.guest.margin_ns == 1000 * MS);
	assert_int_equal(rep.guest.exit_status, 0);
	assert_string_equal(rep.guest.tools_version, "0.1.0");
	assert_string_equal(rep.guest.kernel_release, "6.1.0-56-amd64");
	assert_int_equal(rep.guest.nnotes, 1);
	assert_string_equal(rep.guest.notes[0], "sched-load: debug: calibration on CPU 0: "
			    "1.8850 ns/loop");
	assert_true(rep.guest.shutdown_ns >= 0);
	assert_true(rep.guest.serial_bytes > 1000);
	/* the repetition's directory keeps the domain and what the guest sent */
	assert_true(has_file(dir, "domain.xml"));
	assert_true(has_file(dir, "serial.log"));
	assert_true(has_file(dir, "guest-progress.csv"));
	assert_true(has_file(dir, "guest-cpu.csv"));
	rundata_rep_free(&rep);
	libvirt_close(&ls);
	support_rmtree(dir);
}

/* vcpu.csv and the summary of a qemu repetition, then of the same as kvm. */
static void test_backend_libvirt_files_and_summary(void **state)
{
	struct spec s = one_vcpu(200 * MS);
	struct libvirt_session ls;
	struct run_policy *p;
	struct libvirt_rep r;
	struct run_rep rep;
	struct runsum sum;
	struct csv_table t;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int c_steal, c_user, c_gsteal, type, found = 0;
	size_t i;

	(void)state;
	for (type = 0; type < 2; type++) {
		assert_int_equal(support_mkdtemp(dir, sizeof(dir), "lvsum"), 0);
		open_session(&ls, type ? "kvm" : "qemu");
		F.mode = FAKE_OK;
		r = (struct libvirt_rep){ .spec = &s, .dir = dir, .policy = "default", .rep = 1,
					  .nreps = 1 };
		assert_int_equal(libvirt_run_rep(&ls, &r, &rep), 0);
		assert_int_equal(runfiles_write_rep(dir, &s, &rep), 0);
		snprintf(path, sizeof(path), "%s/vcpu.csv", dir);
		assert_int_equal(csv_table_load(path, &t), 0);
		assert_int_equal(t.nrows, rep.samples.n);
		c_steal = csv_table_col(&t, "tick_steal");
		c_user = csv_table_col(&t, "tick_user");
		c_gsteal = csv_table_col(&t, "guest_steal_ns");
		for (i = 0; i < t.nrows; i++) {
			/* a Linux guest has no exact steal clock to show */
			assert_string_equal(csv_table_cell(&t, i, (size_t)c_gsteal), "");
			/* t_ns 10 ms * i on the host: the guest's sample 100 + i */
			if (!csv_table_cell(&t, i, (size_t)c_user)[0])
				continue;
			found++;
			assert_string_equal(csv_table_cell(&t, i, (size_t)c_steal), type ? "0" : "");
		}
		/* each host sample lies within half an interval of one of the guest's */
		if (found < (int)t.nrows - 1)
			fail_msg("guest ticks in %d of %zu rows", found, t.nrows);
		found = 0;
		csv_table_free(&t);

		p = calloc(1, sizeof(*p));
		assert_non_null(p);
		snprintf(p->name, sizeof(p->name), "default");
		p->spec = s;
		memset(&sum, 0, sizeof(sum));
		assert_int_equal(runsum_add_policy(&sum, p, &rep, 1), 0);
		assert_int_equal(sum.n, 1);
		assert_string_equal(sum.rows[0].phase, "all");
		/* the fake's vCPU waited half the time */
		if (fabs(sum.rows[0].reps[0].host_delay_pct - 50.0) > 2.0)
			fail_msg("host delay %.2f%%, want 50%%", sum.rows[0].reps[0].host_delay_pct);
		assert_true(isnan(sum.rows[0].reps[0].guest_steal_pct));
		if (type)
			assert_true(sum.rows[0].reps[0].guest_tick_steal_pct == 0.0);
		else
			assert_true(isnan(sum.rows[0].reps[0].guest_tick_steal_pct));
		assert_true(sum.rows[0].reps[0].units_done == 6.0);
		runsum_free(&sum);
		free(p);
		rundata_rep_free(&rep);
		libvirt_close(&ls);
		support_rmtree(dir);
	}
}

static void test_backend_libvirt_guest_fails_before_go(void **state)
{
	struct spec s = one_vcpu(200 * MS);
	struct libvirt_session ls;
	struct libvirt_rep r;
	struct run_rep rep;
	char dir[PATH_MAX];

	(void)state;
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "lvfail"), 0);
	open_session(&ls, "qemu");
	F.mode = FAKE_FAIL_BEFORE_GO;
	r = (struct libvirt_rep){ .spec = &s, .dir = dir, .policy = "default", .rep = 1,
				  .nreps = 1 };
	log_set_quiet(1);
	assert_int_equal(libvirt_run_rep(&ls, &r, &rep), -EIO);
	log_set_quiet(0);
	assert_false(rep.measured);
	assert_int_equal(rep.guest.exit_status, 1);
	assert_string_equal(rep.guest.guest_error, "stealscope.vcpus is 1 but the guest has 2 "
			    "CPUs online");
	assert_non_null(strstr(log_last_error(), "exited with status 1 before it started "
			       "(stealscope.vcpus is 1 but the guest has 2 CPUs online; see "));
	rundata_rep_free(&rep);

	/* a guest that vanishes without a word */
	F.mode = FAKE_VANISH;
	log_set_quiet(1);
	assert_int_equal(libvirt_run_rep(&ls, &r, &rep), -EIO);
	log_set_quiet(0);
	assert_non_null(strstr(log_last_error(), "ended before it started (no error line; see "));
	assert_int_equal(rep.guest.exit_status, -1);
	assert_true(ls.ndomains == 2);
	rundata_rep_free(&rep);
	libvirt_close(&ls);
	support_rmtree(dir);
}

/* SIGINT mid-run: the sampling stops, the domain is destroyed, -EINTR. */
static void test_backend_libvirt_stop_destroys(void **state)
{
	struct spec s = one_vcpu(400 * MS);
	struct libvirt_session ls;
	struct libvirt_rep r;
	struct run_rep rep;
	char dir[PATH_MAX];

	(void)state;
	assert_int_equal(cli_install_stop_handlers(), 0);
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "lvstop"), 0);
	open_session(&ls, "qemu");
	F.mode = FAKE_STOP_AFTER_GO;
	r = (struct libvirt_rep){ .spec = &s, .dir = dir, .policy = "default", .rep = 1,
				  .nreps = 1 };
	assert_int_equal(libvirt_run_rep(&ls, &r, &rep), -EINTR);
	assert_true(cli_stop_requested() == SIGINT);
	assert_true(rep.measured);
	assert_false(rep.completed);
	assert_int_equal(F.destroys, 1);
	/* about half the samples: 0..~200 ms of 400 */
	assert_true(rep.samples.n >= 5 && rep.samples.n < 41);
	assert_int_equal(rep.stamps[0].n, 0);
	rundata_rep_free(&rep);
	libvirt_close(&ls);
	support_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_libvirt_default_domain_type),
		cmocka_unit_test(test_backend_libvirt_margin),
		cmocka_unit_test(test_backend_libvirt_hogs_only),
		cmocka_unit_test(test_backend_libvirt_rep),
		cmocka_unit_test(test_backend_libvirt_files_and_summary),
		cmocka_unit_test(test_backend_libvirt_guest_fails_before_go),
		cmocka_unit_test(test_backend_libvirt_stop_destroys),   /* last: see above */
	};

	log_init("test_backend_libvirt");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
