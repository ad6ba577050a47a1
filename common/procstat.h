/*
 * procstat: reader for /proc/stat CPU lines, and the pure derivation of
 * per-interval percentages from two samples.
 *
 * The reader returns raw cumulative counters in USER_HZ ticks and never
 * computes percentages. Kernels before 2.6.33 print fewer fields; missing
 * ones read as 0 and nfields says how many were present. USER_HZ is 100:
 * steal below 10 ms per interval is invisible here.
 */
#ifndef STEALSCOPE_PROCSTAT_H
#define STEALSCOPE_PROCSTAT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum procstat_field {
	PS_USER, PS_NICE, PS_SYSTEM, PS_IDLE, PS_IOWAIT, PS_IRQ, PS_SOFTIRQ,
	PS_STEAL, PS_GUEST, PS_GUEST_NICE, PS_NFIELDS
};

#define PROCSTAT_MAX_CPUS 1024
#define PROCSTAT_CPU_ALL (-1)

/* Column names, in field order: "user", "nice", ... "guest_nice". */
extern const char *const procstat_field_names[PS_NFIELDS];

struct procstat_cpu {
	int cpu;                       /* CPU number, PROCSTAT_CPU_ALL for the "cpu" line */
	int nfields;                   /* fields present in the file (4..10) */
	uint64_t ticks[PS_NFIELDS];    /* cumulative, USER_HZ ticks */
};

struct procstat_sample {
	int64_t t_ns;                  /* set by the caller (monotonic, run-relative) */
	struct procstat_cpu all;       /* the aggregate "cpu" line */
	int ncpus;                     /* entries used in cpu[] */
	struct procstat_cpu cpu[PROCSTAT_MAX_CPUS]; /* in file order (ascending) */
};

/*
 * Parse the text of /proc/stat (@len bytes, need not be NUL-terminated).
 * Returns 0, or -EINVAL (logged) when no "cpu" line parses or a CPU line is
 * malformed: a field that is not an unsigned decimal, fewer than 4 fields, a
 * CPU number not below PROCSTAT_MAX_CPUS, a CPU (or the aggregate) listed
 * twice. The message names the line number. Lines that are not CPU lines
 * (intr, ctxt, btime, ...) are skipped; fields past the tenth are checked and
 * dropped. @out->t_ns is left alone; on error the rest of @out is unspecified.
 */
int procstat_parse(const char *buf, size_t len, struct procstat_sample *out);

/* /proc/stat kept open for repeated samples, with its path for messages. */
struct procstat_file {
	int fd;                        /* -1 when not open */
	char path[PATH_MAX];           /* "<root>/proc/stat" */
};

/*
 * Open <root>/proc/stat (root "" or NULL for the real one) into @f. Returns
 * 0, or -errno (logged: "open <path>: <strerror>") with @f->fd -1.
 */
int procstat_open(const char *root, struct procstat_file *f);

/*
 * Re-read @f (pread from offset 0, until EOF) into @out. The text goes
 * through a per-thread buffer that grows to the largest file seen and is
 * then reused: steady-state reads allocate nothing. Returns 0 or -errno,
 * logged with @f->path ("read <path>: ...", "<path> line 3: ...").
 */
int procstat_read_file(const struct procstat_file *f, struct procstat_sample *out);

/* Close @f (a closed one too); its fd becomes -1. */
void procstat_close(struct procstat_file *f);

/* Open, read and close. */
int procstat_read(const char *root, struct procstat_sample *out);

/* Free the calling thread's read buffer (optional; e.g. before thread exit). */
void procstat_release_buffer(void);

/*
 * The entry for @cpu in @s, or NULL when absent (offline/hotplugged away).
 * PROCSTAT_CPU_ALL gives &s->all. Correct whether or not cpu[] is sorted.
 */
const struct procstat_cpu *procstat_find_cpu(const struct procstat_sample *s, int cpu);

/* Per-interval figures for one CPU, the way mpstat shows them. */
enum cpupct_field {
	CP_USR, CP_NICE, CP_SYS, CP_IOWAIT, CP_IRQ, CP_SOFT, CP_STEAL, CP_GUEST,
	CP_GNICE, CP_IDLE, CP_NFIELDS
};
extern const char *const cpupct_field_names[CP_NFIELDS]; /* "usr_pct", ... */

struct cpupct {
	uint64_t total_ticks;          /* ticks elapsed in the interval (0: no data) */
	double pct[CP_NFIELDS];
};

/*
 * Derive percentages between @prev and @cur. Each counter that went
 * backwards counts as 0. Guest time is already inside user (and guest_nice
 * inside nice): %usr = (user - guest) / total, and total = user + nice +
 * system + idle + iowait + irq + softirq + steal does not count guest twice.
 * If the guest delta exceeds the user delta (they are read unlocked), user
 * counts as the guest delta (so %usr is 0); likewise nice vs guest_nice. The
 * percentages then always sum to 100. A zero-tick interval gives total_ticks
 * 0 and all percentages 0.
 */
void procstat_derive(const struct procstat_cpu *prev, const struct procstat_cpu *cur,
		     struct cpupct *out);

#endif
