/*
 * Integration tests of the guest image (`make guest-image`, the guest side
 * of docs/guest-protocol.md): boot build/guest/vmlinuz and
 * initramfs.cpio.gz with qemu-system-x86_64 under TCG, directly (no
 * libvirt), with the serial console in a file, and check what /init sends:
 * the hello/go/file/endfile/exit lines in order, progress.csv with the
 * vcpu column and global task numbers and stamps across the whole run,
 * cpu.csv with rows for every guest CPU, exit status 0, and QEMU ending by
 * itself through the guest's ACPI power-off. A bad setting must give an
 * error line and a non-zero exit status and still power off.
 *
 * This test builds nothing: `make check` builds the image first. Every
 * boot has a watchdog (WATCHDOG_MS) and the teardown kills a QEMU that is
 * still running, whatever failed. Timings (boot to go, serial throughput,
 * the calibrated unit cost under TCG against this host) are printed, not
 * asserted, beyond loose bounds that only a broken guest would miss.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/csvio.h"
#include "tests/support/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define QEMU "/usr/bin/qemu-system-x86_64"
#define KERNEL TEST_GUEST_DIR "/vmlinuz"
#define INITRD TEST_GUEST_DIR "/initramfs.cpio.gz"
#define IMAGE TEST_GUEST_DIR "/IMAGE"
#define SCHED_LOAD TEST_BINDIR "/sched-load"

#define GUEST_ID "5eed0123abcd"
#define PREFIX "@@stealscope " GUEST_ID " "
/* A boot takes 5-10 s here under TCG; a host loaded by other suites, longer. */
#define WATCHDOG_MS 180000
/* From the exit line to QEMU gone: power-off is immediate. */
#define POWEROFF_MS 15000
#define POLL_MS 1

#define DURATION_NS 500000000LL
#define MARGIN_NS 1000000000LL
#define INTERVAL_NS 10000000LL
#define UNIT_NS 1000000LL

/* A file the guest sent between `file NAME` and `endfile NAME LINES`. */
struct sent_file {
	char name[32];
	char *text;                     /* the lines, "\n"-terminated, \r removed */
	size_t len;
	int64_t lines;                  /* lines counted between the markers */
	int64_t declared;               /* LINES of the endfile line; -1 if none */
};

/* What the guest said, from the serial log. */
struct guest_said {
	char verbs[256];                /* the protocol verbs in order, space-separated */
	char hello[256];                /* the words after "hello" */
	int64_t t0_ns, margin_ns;       /* of the go line */
	char error[256];                /* the first error line's message */
	int exit_status;                /* of the exit line; -1 if none */
	struct sent_file files[4];
	int nfiles;
};

/* One QEMU boot, from spawn to exit. */
struct boot {
	char dir[64];
	char serial[128];
	struct support_child child;
	int running;                    /* spawned and not yet reaped */
	double go_ms, file_ms, endfile_ms, exit_line_ms, qemu_exit_ms;  /* from spawn, -1 */
	size_t csv_bytes;               /* bytes of every sent file */
	struct support_run run;
	char *log;                      /* the whole serial log, \r removed */
	struct guest_said said;
};

static int setup(void **state)
{
	struct boot *b = calloc(1, sizeof(*b));

	if (!b || support_mkdtemp(b->dir, sizeof(b->dir), "guest-image"))
		return -1;
	snprintf(b->serial, sizeof(b->serial), "%s/serial.log", b->dir);
	*state = b;
	return 0;
}

/* Whatever happened, no QEMU outlives its test. */
static int teardown(void **state)
{
	struct boot *b = *state;
	int i;

	if (b->running) {
		kill(b->child.pid, SIGKILL);
		waitpid(b->child.pid, NULL, 0);
		close(b->child.out_fd);
		close(b->child.err_fd);
	}
	if (b->run.out)
		support_run_free(&b->run);
	for (i = 0; i < b->said.nfiles; i++)
		free(b->said.files[i].text);
	free(b->log);
	support_rmtree(b->dir);
	free(b);
	return 0;
}

/* Skip without QEMU (the machine cannot boot a guest); fail without an image. */
static void require_image(void)
{
	struct stat st;

	if (access(QEMU, X_OK)) {
		print_message("skipping: %s is not installed (scripts/deps.sh installs "
			      "qemu-system-x86)\n", QEMU);
		skip();
	}
	if (stat(KERNEL, &st) || stat(INITRD, &st) || stat(IMAGE, &st))
		fail_msg("no guest image in %s: run `make guest-image` (make check does)",
			 TEST_GUEST_DIR);
}

/* The value of @key in build/guest/IMAGE ("" when absent); free() it. */
static char *image_value(const char *key)
{
	char *text = support_read_file(IMAGE), *line, *save = NULL, *v = NULL;
	size_t klen = strlen(key);

	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			v = strdup(line + klen + 1);
			break;
		}
	free(text);
	if (!v)
		v = strdup("");
	assert_non_null(v);
	return v;
}

/* The kernel command line of a repetition, as the host side writes it. */
static void cmdline(char *buf, size_t len, int vcpus, const char *workload, const char *tasks)
{
	snprintf(buf, len,
		 "console=ttyS0 quiet loglevel=1 panic=-1 stealscope.id=%s stealscope.vcpus=%d "
		 "stealscope.workload=%s stealscope.tasks=%s stealscope.units=0 "
		 "stealscope.unit_work=%lld stealscope.duration=%lld stealscope.interval=%lld "
		 "stealscope.margin=%lld",
		 GUEST_ID, vcpus, workload, tasks, UNIT_NS, DURATION_NS, INTERVAL_NS, MARGIN_NS);
}

/* Note when each marker line of interest first appears in @line. */
static void note_line(struct boot *b, const char *line, double now)
{
	const char *v;

	if (strncmp(line, PREFIX, strlen(PREFIX)))
		return;
	v = line + strlen(PREFIX);
	if (!strncmp(v, "go ", 3) && b->go_ms < 0)
		b->go_ms = now;
	else if (!strncmp(v, "file ", 5) && b->file_ms < 0)
		b->file_ms = now;
	else if (!strncmp(v, "endfile ", 8))
		b->endfile_ms = now;
	else if (!strncmp(v, "exit ", 5) && b->exit_line_ms < 0)
		b->exit_line_ms = now;
}

/*
 * Boot the image with @smp CPUs and @append, watch the serial log grow
 * (timing the marker lines) until QEMU exits, then reap it and keep the
 * log. QEMU still running after WATCHDOG_MS is killed and fails the test.
 */
static void boot_guest(struct boot *b, int smp, const char *append)
{
	char smp_s[16], serial_arg[160], pending[4096];
	const char *argv[] = { QEMU, "-accel", "tcg", "-m", "256M", "-smp", smp_s,
			       "-nodefaults", "-nographic", "-no-reboot",
			       "-serial", serial_arg, "-kernel", KERNEL, "-initrd", INITRD,
			       "-append", append, NULL };
	size_t npending = 0;
	off_t off = 0;
	int fd = -1;

	snprintf(smp_s, sizeof(smp_s), "%d", smp);
	snprintf(serial_arg, sizeof(serial_arg), "file:%s", b->serial);
	b->go_ms = b->file_ms = b->endfile_ms = b->exit_line_ms = b->qemu_exit_ms = -1;
	support_spawn(argv, &b->child);
	b->running = 1;
	for (;;) {
		siginfo_t si;
		double now;
		ssize_t n;
		char *nl;

		memset(&si, 0, sizeof(si));
		assert_int_equal(waitid(P_PID, (id_t)b->child.pid, &si,
					WEXITED | WNOHANG | WNOWAIT), 0);
		now = support_now_ms() - b->child.start_ms;
		if (fd < 0)
			fd = open(b->serial, O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && (n = pread(fd, pending + npending,
					     sizeof(pending) - npending - 1, off)) > 0) {
			off += n;
			npending += (size_t)n;
			pending[npending] = '\0';
			while ((nl = strchr(pending, '\n'))) {
				*nl = '\0';
				note_line(b, pending, now);
				npending -= (size_t)(nl + 1 - pending);
				memmove(pending, nl + 1, npending + 1);
			}
			if (npending == sizeof(pending) - 1)
				npending = 0;  /* a line longer than any marker line */
		}
		if (si.si_pid == b->child.pid) {
			b->qemu_exit_ms = now;
			break;
		}
		if (now > WATCHDOG_MS) {
			char *log = support_slurp(b->serial);
			size_t len = strlen(log);

			kill(b->child.pid, SIGKILL);
			fail_msg("QEMU still running %d s after its start; serial log ends: %s",
				 WATCHDOG_MS / 1000, log + (len > 2000 ? len - 2000 : 0));
		}
		support_sleep_ms(POLL_MS);
	}
	if (fd >= 0)
		close(fd);
	support_wait(&b->child, WATCHDOG_MS * 2, &b->run);
	b->running = 0;
	b->log = support_slurp(b->serial);
	/* the guest's tty ends every line with \r\n */
	{
		char *r = b->log, *w = b->log;

		for (; *r; r++)
			if (*r != '\r')
				*w++ = *r;
		*w = '\0';
	}
}

static void add_verb(struct guest_said *g, const char *verb)
{
	size_t len = strlen(g->verbs);

	snprintf(g->verbs + len, sizeof(g->verbs) - len, "%s%s", len ? " " : "", verb);
}

static void append_line(struct sent_file *f, const char *line, size_t n)
{
	f->text = realloc(f->text, f->len + n + 2);
	assert_non_null(f->text);
	memcpy(f->text + f->len, line, n);
	f->len += n;
	f->text[f->len++] = '\n';
	f->text[f->len] = '\0';
	f->lines++;
}

/*
 * Read the protocol out of the serial log as the host would: lines that
 * start with PREFIX are markers; between `file` and `endfile` every other
 * line belongs to the file; everything else is ignored.
 */
static void parse_log(struct boot *b)
{
	struct guest_said *g = &b->said;
	struct sent_file *cur = NULL;
	const char *p = b->log, *end;

	memset(g, 0, sizeof(*g));
	g->exit_status = -1;
	g->t0_ns = g->margin_ns = -1;
	for (; *p; p = *end ? end + 1 : end) {
		char verb[16] = "", rest[256] = "", name[32];
		long long a, c;
		size_t n;

		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n < strlen(PREFIX) || strncmp(p, PREFIX, strlen(PREFIX))) {
			if (cur)
				append_line(cur, p, n);
			continue;
		}
		snprintf(rest, sizeof(rest), "%.*s", (int)(n - strlen(PREFIX)), p + strlen(PREFIX));
		sscanf(rest, "%15s", verb);
		add_verb(g, verb);
		if (!strcmp(verb, "hello")) {
			snprintf(g->hello, sizeof(g->hello), "%s", rest + 6);
		} else if (!strcmp(verb, "go")) {
			assert_int_equal(sscanf(rest, "go %lld %lld", &a, &c), 2);
			g->t0_ns = a;
			g->margin_ns = c;
		} else if (!strcmp(verb, "file")) {
			assert_null(cur);
			assert_true(g->nfiles < 4);
			cur = &g->files[g->nfiles++];
			snprintf(cur->name, sizeof(cur->name), "%.31s", rest + 5);
			cur->declared = -1;
		} else if (!strcmp(verb, "endfile")) {
			assert_non_null(cur);
			assert_int_equal(sscanf(rest, "endfile %31s %lld", name, &a), 2);
			assert_string_equal(name, cur->name);
			cur->declared = a;
			b->csv_bytes += cur->len;
			cur = NULL;
		} else if (!strcmp(verb, "error")) {
			if (!g->error[0])
				snprintf(g->error, sizeof(g->error), "%s", rest + 6);
		} else if (!strcmp(verb, "exit")) {
			assert_int_equal(sscanf(rest, "exit %lld", &a), 1);
			g->exit_status = (int)a;
		}
	}
}

static const struct sent_file *sent(const struct boot *b, const char *name)
{
	int i;

	for (i = 0; i < b->said.nfiles; i++)
		if (!strcmp(b->said.files[i].name, name))
			return &b->said.files[i];
	fail_msg("the guest sent no %s", name);
	return NULL;
}

/* QEMU ended by itself, through the guest's power-off, soon after the exit line. */
static void check_powered_off(const struct boot *b)
{
	if (b->run.exit_code != 0)
		fail_msg("QEMU exited %d (signal %d): %s", b->run.exit_code, b->run.term_signal,
			 b->run.err);
	assert_null(strstr(b->log, "Kernel panic"));
	assert_non_null(strstr(b->log, "reboot: Power down"));
	assert_true(b->exit_line_ms >= 0);
	assert_true(b->qemu_exit_ms - b->exit_line_ms < POWEROFF_MS);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * progress.csv: vcpu,proc,unit,t_ns,progress_pct; task j on CPU j % vcpus;
 * each task's units 0, 1, 2, ... at increasing times inside [0, duration);
 * the stamps of all tasks together span the run. Returns the median gap
 * between a task's consecutive stamps (ns): about one unit when the
 * calibration under TCG is right.
 */
static int64_t check_progress(const struct sent_file *f, int vcpus, int tasks)
{
	static const char *const cols[] = { "vcpu", "proc", "unit", "t_ns", "progress_pct" };
	int64_t next_unit[8] = { 0 }, last_t[8], min_t = INT64_MAX, max_t = 0, median;
	int64_t *gaps;
	size_t i, ngaps = 0;
	struct csv_table t;
	int j;

	assert_true(tasks <= 8);
	for (j = 0; j < tasks; j++)
		last_t[j] = -1;
	assert_int_equal(f->declared, f->lines);
	assert_int_equal(csv_table_parse(f->text, f->len, &t), 0);
	assert_int_equal(t.ncols, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(t.header[i], cols[i]);
	assert_int_equal((int64_t)t.nrows + 1, f->lines);
	gaps = calloc(t.nrows + 1, sizeof(*gaps));
	assert_non_null(gaps);
	for (i = 0; i < t.nrows; i++) {
		int64_t v = support_cell_i64(&t, i, "vcpu"), p = support_cell_i64(&t, i, "proc");
		int64_t u = support_cell_i64(&t, i, "unit"), ts = support_cell_i64(&t, i, "t_ns");
		double pct = support_cell_f(&t, i, "progress_pct");
		int on_cpu = (tasks - (int)v + vcpus - 1) / vcpus;
		double fair = (double)DURATION_NS / ((double)UNIT_NS * on_cpu);

		assert_in_range(v, 0, vcpus - 1);
		assert_in_range(p, 0, tasks - 1);
		assert_int_equal(p % vcpus, v);
		assert_int_equal(u, next_unit[p]);
		next_unit[p]++;
		assert_true(ts > last_t[p]);
		assert_in_range(ts, 1, DURATION_NS - 1);
		/* --duration alone: toward a fair share of the CPU, as natively */
		assert_float_equal(pct, 100.0 * (double)(u + 1) / fair, 0.01);
		if (last_t[p] >= 0)
			gaps[ngaps++] = ts - last_t[p];
		last_t[p] = ts;
		min_t = ts < min_t ? ts : min_t;
		max_t = ts > max_t ? ts : max_t;
	}
	for (j = 0; j < tasks; j++)
		if (next_unit[j] < 2)
			fail_msg("task %d has %lld stamps", j, (long long)next_unit[j]);
	print_message("progress.csv: %zu stamps, first at %.1f ms, last at %.1f ms\n", t.nrows,
		      (double)min_t / 1e6, (double)max_t / 1e6);
	assert_true(min_t < DURATION_NS / 5);
	assert_true(max_t > DURATION_NS * 4 / 5);
	csv_table_free(&t);
	qsort(gaps, ngaps, sizeof(*gaps), cmp_i64);
	median = gaps[ngaps / 2];
	free(gaps);
	return median;
}

/* cpu.csv: rows for every guest CPU, sampled across the run. */
static void check_cpu(const struct sent_file *f, int vcpus)
{
	int64_t rows[8] = { 0 }, min_t = INT64_MAX, max_t = INT64_MIN;
	struct csv_table t;
	size_t i;
	int c;

	assert_int_equal(f->declared, f->lines);
	assert_int_equal(csv_table_parse(f->text, f->len, &t), 0);
	assert_string_equal(t.header[0], "seq");
	assert_string_equal(t.header[1], "t_ns");
	assert_string_equal(t.header[2], "cpu");
	assert_true(csv_table_col(&t, "steal_ticks") >= 0);
	assert_true(csv_table_col(&t, "usr_pct") >= 0);
	for (i = 0; i < t.nrows; i++) {
		int64_t cpu = support_cell_i64(&t, i, "cpu"), ts = support_cell_i64(&t, i, "t_ns");

		assert_in_range(cpu, 0, vcpus - 1);
		rows[cpu]++;
		min_t = ts < min_t ? ts : min_t;
		max_t = ts > max_t ? ts : max_t;
	}
	for (c = 0; c < vcpus; c++)
		if (rows[c] < 2)
			fail_msg("cpu.csv has %lld rows for guest CPU %d", (long long)rows[c], c);
	print_message("cpu.csv: %zu rows, t_ns from %.1f ms to %.1f ms\n", t.nrows,
		      (double)min_t / 1e6, (double)max_t / 1e6);
	assert_true(min_t < DURATION_NS / 5);
	assert_true(max_t >= DURATION_NS);
	csv_table_free(&t);
}

/* "calibration on CPU N: X ns/loop" in @text (sched-load --verbose); 0 if absent. */
static double calib_ns_per_loop(const char *text)
{
	const char *p = strstr(text, "calibration on CPU ");
	double x = 0;
	int cpu;

	if (p)
		sscanf(p, "calibration on CPU %d: %lf ns/loop", &cpu, &x);
	return x;
}

/* Boot with @vcpus CPUs running @tasks sched tasks and check the whole exchange. */
static void check_sched_boot(struct boot *b, int vcpus, int tasks)
{
	char append[512], tasks_s[16];
	char *kernel = image_value("kernel_release"), hello[160];
	int64_t median;

	require_image();
	snprintf(tasks_s, sizeof(tasks_s), "%d", tasks);
	cmdline(append, sizeof(append), vcpus, "sched", tasks_s);
	boot_guest(b, vcpus, append);
	parse_log(b);
	if (strcmp(b->said.verbs, "hello go file endfile file endfile exit"))
		fail_msg("protocol lines '%s' (error: '%s'); serial log:\n%s", b->said.verbs,
			 b->said.error, b->log);
	snprintf(hello, sizeof(hello), "%s %s", STEALSCOPE_VERSION, kernel);
	assert_string_equal(b->said.hello, hello);
	free(kernel);
	assert_int_equal(b->said.margin_ns, MARGIN_NS);
	assert_true(b->said.t0_ns > MARGIN_NS);
	assert_string_equal(b->said.files[0].name, "progress.csv");
	assert_string_equal(b->said.files[1].name, "cpu.csv");
	assert_int_equal(b->said.exit_status, 0);
	median = check_progress(sent(b, "progress.csv"), vcpus, tasks);
	check_cpu(sent(b, "cpu.csv"), vcpus);
	check_powered_off(b);

	print_message("-smp %d: go %.2f s after QEMU started, QEMU gone after %.2f s; "
		      "%zu bytes of CSV in %.0f ms of serial output (%.0f kB/s)\n",
		      vcpus, b->go_ms / 1e3, b->qemu_exit_ms / 1e3, b->csv_bytes,
		      b->endfile_ms - b->file_ms,
		      (double)b->csv_bytes / 1e3 /
		      ((b->endfile_ms - b->file_ms + POLL_MS) / 1e3));
	print_message("median gap between a task's stamps: %.3f ms (unit %.3f ms)\n",
		      (double)median / 1e6, (double)UNIT_NS / 1e6);
	/*
	 * Calibration keeps the fastest timed run, so a unit can be slowed
	 * (by the other task, by host contention: other suites load this host
	 * too) but never much shortened: a median gap well under a unit means
	 * the calibration under TCG is wrong.
	 */
	assert_true(median >= UNIT_NS * 7 / 10);
}

static void test_guest_image_boots_one_vcpu(void **state)
{
	struct boot *b = *state;
	const char *argv[] = { SCHED_LOAD, "--procs", "1", "--units", "1", "--verbose", NULL };
	struct support_run r;
	double guest, native;

	check_sched_boot(b, 1, 2);
	/* the unit cost under TCG against this host's */
	guest = calib_ns_per_loop(b->log);
	support_run(argv, 30000, &r);
	assert_int_equal(r.exit_code, 0);
	native = calib_ns_per_loop(r.err);
	support_run_free(&r);
	print_message("calibration: %.4f ns/loop in the TCG guest, %.4f ns/loop natively "
		      "(x%.2f)\n", guest, native, native > 0 ? guest / native : 0.0);
	/*
	 * Sane, not a benchmark: TCG compiles this integer chain to host
	 * code (about x1 here), so a guest figure off by orders of magnitude
	 * means a broken clock or calibration in the guest.
	 */
	assert_true(native > 0);
	assert_true(guest > native / 10);
	assert_true(guest < native * 50);
}

static void test_guest_image_boots_two_vcpus(void **state)
{
	check_sched_boot(*state, 2, 3);
}

/* A bad setting: an error line naming it, a non-zero exit status, power-off. */
static void test_guest_image_bad_value_powers_off(void **state)
{
	struct boot *b = *state;
	char append[512];

	require_image();
	cmdline(append, sizeof(append), 1, "sched", "abc");
	boot_guest(b, 1, append);
	parse_log(b);
	if (strcmp(b->said.verbs, "hello error exit"))
		fail_msg("protocol lines '%s'; serial log:\n%s", b->said.verbs, b->log);
	assert_string_equal(b->said.error,
			    "stealscope.tasks: 'abc' is not a non-negative integer");
	assert_int_equal(b->said.exit_status, 2);
	assert_int_equal(b->said.nfiles, 0);
	check_powered_off(b);
	print_message("bad value: QEMU gone %.2f s after its start\n", b->qemu_exit_ms / 1e3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guest_image_boots_one_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_image_boots_two_vcpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_image_bad_value_powers_off, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
