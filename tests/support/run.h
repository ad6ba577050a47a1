/*
 * support/run: what the integration tests share. Run a built tool with a
 * timeout and capture its stdout, stderr, wait status and CPU time; signal
 * it mid-run; pick the CPU a timing test runs on; and a few small helpers
 * (clocks, sleeping, temporary directories, CSV cells).
 *
 * Test code, linked into every integration test: a failure is a cmocka
 * assertion (or fail_msg) in the calling test, never a return code to check.
 * A tool that outlives its timeout is killed and fails the test, so a hang
 * can never block the suite.
 */
#ifndef STEALSCOPE_TEST_SUPPORT_RUN_H
#define STEALSCOPE_TEST_SUPPORT_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/csvio.h"
#include "tests/support/files.h"

/* What one finished run of a tool left behind. */
struct support_run {
	int exit_code;                  /* -1 unless it exited normally */
	int term_signal;                /* 0 unless killed by a signal */
	double elapsed_ms;              /* spawn to exit */
	double after_signal_ms;         /* first signal sent to exit; -1 if none */
	double cpu_ms;                  /* user + system time of the child (wait4) */
	char *out;                      /* stdout, NUL-terminated */
	char *err;                      /* stderr, NUL-terminated */
};

/* A tool started by support_spawn() and not yet waited for. */
struct support_child {
	pid_t pid;
	const char *path;               /* argv[0], for messages */
	int out_fd;                     /* unlinked temporary files */
	int err_fd;
	double start_ms;                /* support_now_ms() at spawn */
	double signal_ms;               /* at the first support_signal(), else -1 */
};

/*
 * Start @argv (argv[0] is the binary's path, NULL-terminated) with stdin
 * from /dev/null and stdout/stderr into unlinked temporary files.
 */
void support_spawn(const char *const argv[], struct support_child *c);

/* Send @sig to @c; the first one sent starts r->after_signal_ms. */
void support_signal(struct support_child *c, int sig);

/*
 * Wait for @c at most @timeout_ms from its spawn, then fill @r. On timeout
 * the child is killed (SIGKILL) and the test fails with its stderr.
 */
void support_wait(struct support_child *c, int timeout_ms, struct support_run *r);

/* support_spawn() + support_wait(). */
void support_run(const char *const argv[], int timeout_ms, struct support_run *r);

/*
 * Like support_run(), and send @sig @after_ms after the spawn unless the
 * tool has exited by then.
 */
void support_run_signal(const char *const argv[], int sig, int after_ms, int timeout_ms,
			struct support_run *r);

/* Exit code, or 128 + the signal that killed it (for status comparisons). */
int support_status(const struct support_run *r);

void support_run_free(struct support_run *r);

/*
 * The CPU a timing test should use: STEALSCOPE_TEST_CPU when set (it must
 * be online), else the online CPU this process may run on that was idle
 * the most over ~200 ms of /proc/stat (lowest number on a tie). When no CPU
 * was 75% idle, it looks again, up to five windows (~1 s), and takes the
 * best of the last. Other suites spinning on a CPU of a shared machine are
 * thereby avoided when the machine has a quieter one. Prints its choice.
 */
int support_least_busy_cpu(void);

/*
 * Lower this process's nice value to -20 where allowed (root, or
 * CAP_SYS_NICE; else it stays as it is), so that tools and children
 * started meanwhile inherit it: a CFS neighbour from another suite at nice
 * 0 then gets ~1% of a CPU they share instead of half, and the timing
 * claims among the test's own processes (all at -20) are unchanged.
 * Returns the nice value to hand to support_nice_restore().
 */
int support_nice_boost(void);
void support_nice_restore(int nice);

/*
 * Fork a child that pins itself to @cpu and spins until killed (it dies
 * with the test process too). Returns its pid.
 */
pid_t support_spinner(int cpu);

/* SIGKILL @pid and reap it. */
void support_reap(pid_t pid);

/* CLOCK_MONOTONIC in ms and in ns. */
double support_now_ms(void);
int64_t support_mono_ns(void);

/* Sleep @ms milliseconds, resuming after signals. */
void support_sleep_ms(int ms);

/* How often @needle occurs in @s (without overlaps). */
size_t support_count_substr(const char *s, const char *needle);

/*
 * The whole file @path (a /proc file too) as a string, "" when it cannot be
 * opened or read; free() it.
 */
char *support_slurp(const char *path);

/*
 * The cell of @t at data row @row, column named @col, parsed strictly
 * (csv_table_i64 / csv_table_f); the column must exist and the cell parse.
 */
int64_t support_cell_i64(const struct csv_table *t, size_t row, const char *col);
double support_cell_f(const struct csv_table *t, size_t row, const char *col);

#endif
