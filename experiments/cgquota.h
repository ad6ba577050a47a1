/*
 * cgquota: a CPU bandwidth limit on a set of threads of this process, for
 * the `[vm] quota` of a native run: a child cgroup of the process's own
 * cgroup with cgroup v2 `cpu.max` where the cpu controller is available in
 * v2, else cgroup v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`, and the
 * threads moved into it (v2 `cgroup.threads` of a threaded child, v1
 * `tasks`; both take thread ids).
 *
 * The cgroup is created by cgquota_create() and removed by
 * cgquota_destroy(), which first moves any thread still inside back to the
 * parent, so nothing is left behind on success, error or interrupt. This
 * module never exits and never prints to stdout; a missing feature is a
 * reason string for the caller (the policy is skipped), not a log line.
 */
#ifndef STEALSCOPE_CGQUOTA_H
#define STEALSCOPE_CGQUOTA_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define CGQUOTA_PERIOD_US 100000       /* 50% = 50 ms of CPU every 100 ms */
#define CGQUOTA_REASON_LEN 512

struct cgquota {
	int version;                   /* 1 or 2; 0 when not created */
	char parent[PATH_MAX];         /* the process's own cgroup directory */
	char dir[PATH_MAX];            /* the child cgroup */
	int enabled_cpu;               /* v2: we added "+cpu" to the parent's subtree_control */
};

/*
 * The directory of this process's cgroup for cgroup @version (2, or 1 for
 * the v1 hierarchy that has the "cpu" controller), from the text of
 * /proc/self/mountinfo (@mountinfo) and /proc/self/cgroup (@proc_cgroup),
 * into @out. A pure function. Returns 0, or -ENOENT when that hierarchy is
 * not mounted or the process is not in it, -ENAMETOOLONG.
 */
int cgquota_find_dir(const char *mountinfo, const char *proc_cgroup, int version,
		     char *out, size_t len);

/* The quota in microseconds per CGQUOTA_PERIOD_US for @pct of one CPU (>= 1000). */
long cgquota_quota_us(double pct);

/*
 * Create a child cgroup limited to @pct (0 < pct <= 100) of one CPU, named
 * after the process and @tag (e.g. the policy), trying v2 then v1. On
 * success returns 0 with @q set. When neither works returns -ENOTSUP (or
 * another -errno) with the reasons of both attempts in @reason, and leaves
 * nothing behind; nothing is logged.
 */
int cgquota_create(struct cgquota *q, const char *tag, double pct, char *reason,
		   size_t reason_len);

/*
 * Move thread @tid of this process into the cgroup. Returns 0 or -errno
 * (logged with the file).
 */
int cgquota_add_thread(const struct cgquota *q, pid_t tid);

/* "cgroup v2 cpu.max" or "cgroup v1 cpu.cfs_quota_us" (for meta.json). */
const char *cgquota_mechanism(const struct cgquota *q);

/*
 * Move every thread still in the cgroup back to the parent and remove it
 * (retrying briefly while the kernel finishes releasing exited threads).
 * Safe on a never-created or already destroyed @q. Returns 0 or -errno
 * (logged: the directory is named, so the user can remove it).
 */
int cgquota_destroy(struct cgquota *q);

#endif
