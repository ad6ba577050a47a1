/*
 * hostinfo: facts about the host for meta.json: kernel, CPU model, online
 * CPUs, which KVM module is in use and whether /dev/kvm opens. Reads under a
 * root directory so tests can use fixture trees.
 */
#ifndef STEALSCOPE_HOSTINFO_H
#define STEALSCOPE_HOSTINFO_H

#include "common/json.h"

struct hostinfo {
	char kernel[256];              /* uname -srv style */
	char machine[64];
	char cpu_model[256];           /* /proc/cpuinfo "model name" */
	char cpus_online[256];         /* "0-1" */
	int ncpus_online;
	char kvm_module[32];           /* kvm_intel | kvm_amd | kvm_pvm | none */
	int kvm_dev_usable;            /* /dev/kvm opened read-write */
	char kvm_dev_error[128];       /* why not, when not */
};

/* Gather facts under @root ("" for the real system; uname is always real). */
int hostinfo_gather(const char *root, struct hostinfo *h);

/* The members of meta.json: "host": {...} inside an open object. */
void hostinfo_json(struct jsonw *j, const struct hostinfo *h);

/*
 * Write <dir>/meta.json atomically: tool, version, command line, start time
 * (UTC, ISO 8601) and the host facts.
 */
int meta_write(const char *dir, const char *tool, int argc, char *const *argv);

#endif
