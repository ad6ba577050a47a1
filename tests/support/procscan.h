/*
 * support/procscan: the one place the tests walk /proc. Visit every
 * process (or every thread of one process) with the text of one of its
 * /proc files, and parse /proc/PID/stat's head (pid, comm, state, ppid).
 *
 * Test code, linked into every integration test: it only reads /proc and
 * never signals or reaps anything. A process that exits during a scan is
 * passed over, as are files that cannot be read; the kernel's own answer
 * is racy anyway (a scan sees each process as it was when read).
 */
#ifndef STEALSCOPE_TEST_SUPPORT_PROCSCAN_H
#define STEALSCOPE_TEST_SUPPORT_PROCSCAN_H

#include <stddef.h>
#include <sys/types.h>

/* The most of one /proc file a scan hands over; the rest is cut off. */
#define SUPPORT_PROC_TEXT_MAX 16384

/*
 * Called with a process's (or thread's) id and the @len bytes of text read
 * from its file, NUL-terminated at text[len] (a cmdline also holds NULs
 * between its arguments); @text may be changed in place. Returns 0 to go
 * on, nonzero to end the scan.
 */
typedef int (*support_proc_fn)(pid_t pid, char *text, size_t len, void *arg);

/*
 * Call @fn for every process in /proc whose /proc/PID/@file ("stat",
 * "cmdline", ...) reads as non-empty, in the order of /proc's listing,
 * until @fn returns nonzero. An unreadable /proc fails the test.
 */
void support_each_proc(const char *file, support_proc_fn fn, void *arg);

/*
 * The same over the threads of process @pid (this process when 0), with
 * /proc/@pid/task/TID/@file ("children", "stat", ...). Returns 0, or -1
 * (errno set) when /proc/@pid/task cannot be opened: the process is gone.
 */
int support_each_task(pid_t pid, const char *file, support_proc_fn fn, void *arg);

/* The head of one /proc/PID/stat line. */
struct support_proc_stat {
	pid_t pid;
	char comm[64];                  /* between the first '(' and the last ')' */
	char state;                     /* 'R', 'S', 'Z', ... */
	pid_t ppid;
};

/*
 * Parse @text, "pid (comm) state ppid ...", into @st. comm may hold
 * spaces and ')' (a process names itself): the last ')' ends it; a longer
 * one is cut to fit. Returns 0, or -1 when @text is not of that form.
 */
int support_proc_stat_parse(const char *text, struct support_proc_stat *st);

/* Read and parse /proc/@pid/stat into @st: 0, or -1 (the process is gone). */
int support_proc_stat_read(pid_t pid, struct support_proc_stat *st);

#endif
