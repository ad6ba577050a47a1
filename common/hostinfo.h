/*
 * hostinfo: facts about the host for meta.json: kernel, CPU model, online
 * CPUs, which KVM module is in use and whether /dev/kvm opens. Reads under a
 * root directory so tests can use fixture trees. It must never load or probe
 * kernel modules, never keep /dev/kvm open, and never write anything but
 * meta.json.
 */
#ifndef STEALSCOPE_HOSTINFO_H
#define STEALSCOPE_HOSTINFO_H

#include <stdint.h>

#include "common/json.h"
#include "common/parse.h"

struct hostinfo {
	char kernel[256];              /* uname -srv style */
	char machine[64];
	char cpu_model[256];           /* /proc/cpuinfo "model name", or "unknown" */
	char cpus_online[CPULIST_FMT_LEN]; /* canonical list, "0,2-3"; "unknown"
					      when the file is missing or unreadable */
	int ncpus_online;              /* CPUs in that list; 0 if unknown */
	char kvm_module[32];           /* first of kvm_intel | kvm_amd | kvm_pvm found
					  under /sys/module, else none */
	int kvm_dev_usable;            /* /dev/kvm opened read-write */
	char kvm_dev_error[128];       /* strerror of the open, when not; else "" */
};

/*
 * Gather facts under @root ("" or NULL for the real system; uname is always
 * real). Missing or unreadable files give "unknown"/0, not errors. Returns 0,
 * or -errno (logged) when uname fails or the online CPU list is malformed
 * (an empty file included) or cannot be read to its end.
 */
int hostinfo_gather(const char *root, struct hostinfo *h);

/* The members of meta.json: "host": {...} inside an open object. */
void hostinfo_json(struct jsonw *j, const struct hostinfo *h);

/*
 * Write <dir>/meta.json atomically (via afile): {"tool", "version"
 * (STEALSCOPE_VERSION), "command_line": [argv...], "started_utc" (the time of
 * this call, "2026-11-26T15:57:00Z"), "host": {...}} with the facts of the
 * real system. Returns 0 or -errno (logged).
 */
int meta_write(const char *dir, const char *tool, int argc, char *const *argv);

/*
 * meta_write() with more: @started_unix (seconds since the epoch; 0: now)
 * is written as "started_utc", so meta.json can be rewritten later in a run
 * without moving its start, and @extra (may be NULL) adds its own members
 * to the top-level object after "host" (it gets @arg). Same return.
 */
int meta_write_ext(const char *dir, const char *tool, int argc, char *const *argv,
		   int64_t started_unix, void (*extra)(struct jsonw *j, void *arg), void *arg);

#endif
