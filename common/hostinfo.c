/*
 * hostinfo: facts about the host for meta.json (see hostinfo.h).
 *
 * Every file is read under a root directory so tests can point it at a
 * fixture tree; only uname(2) always describes the real machine. A fact that
 * cannot be found (no "model name" on this architecture, no online file) is
 * recorded as "unknown" rather than failing a run. This file must never write
 * anything except meta.json (through afile), never load or probe kernel
 * modules, and never keep /dev/kvm open.
 */
#include "common/hostinfo.h"

#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef STEALSCOPE_VERSION
#error "STEALSCOPE_VERSION must be defined by the build (see the Makefile)"
#endif

static void root_path(char *buf, size_t len, const char *root, const char *rel)
{
	snprintf(buf, len, "%s%s", root ? root : "", rel);
}

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
			 s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* The first "model name : ..." line of /proc/cpuinfo (x86 spelling). */
static void read_cpu_model(const char *root, char *out, size_t outlen)
{
	char path[PATH_MAX];
	char *line = NULL, *p;
	size_t cap = 0;
	FILE *fp;

	snprintf(out, outlen, "unknown");
	root_path(path, sizeof(path), root, "/proc/cpuinfo");
	fp = fopen(path, "re");
	if (!fp) {
		log_debug("open %s: %s", path, strerror(errno));
		return;
	}
	while (getline(&line, &cap, fp) > 0) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		p = line + 10;
		p += strspn(p, " \t");
		if (*p != ':')
			continue;
		p = trim(p + 1);
		if (*p)
			snprintf(out, outlen, "%s", p);
		break;
	}
	free(line);
	fclose(fp);
}

/* The online CPU list, canonical ("0,2-3"), and how many CPUs it names. */
static int read_cpus_online(const char *root, struct hostinfo *h)
{
	char path[PATH_MAX];
	cpu_set_t set;
	int err;

	snprintf(h->cpus_online, sizeof(h->cpus_online), "unknown");
	h->ncpus_online = 0;
	/* No such file (or none we may read) is a fact, not a failure. */
	root_path(path, sizeof(path), root, "/sys/devices/system/cpu/online");
	if (access(path, R_OK) < 0) {
		log_debug("%s: %s", path, strerror(errno));
		return 0;
	}
	err = cpus_online(root, &set);
	if (err)
		return err;
	cpulist_format(&set, h->cpus_online, sizeof(h->cpus_online));
	h->ncpus_online = CPU_COUNT(&set);
	return 0;
}

static void find_kvm_module(const char *root, char *out, size_t outlen)
{
	/* The vendor module is what /dev/kvm runs on; "kvm" alone is the common core. */
	static const char *const modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	char rel[64], path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		snprintf(rel, sizeof(rel), "/sys/module/%s", modules[i]);
		root_path(path, sizeof(path), root, rel);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(out, outlen, "%s", modules[i]);
			return;
		}
	}
	snprintf(out, outlen, "none");
}

static void probe_kvm_dev(const char *root, struct hostinfo *h)
{
	char path[PATH_MAX];
	int fd;

	root_path(path, sizeof(path), root, "/dev/kvm");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		h->kvm_dev_usable = 0;
		snprintf(h->kvm_dev_error, sizeof(h->kvm_dev_error), "%s", strerror(errno));
		return;
	}
	close(fd);
	h->kvm_dev_usable = 1;
	h->kvm_dev_error[0] = '\0';
}

int hostinfo_gather(const char *root, struct hostinfo *h)
{
	struct utsname u;
	int e;

	memset(h, 0, sizeof(*h));
	if (uname(&u) < 0) {
		e = errno;
		return log_err(-e, "uname: %s", strerror(e));
	}
	snprintf(h->kernel, sizeof(h->kernel), "%s %s %s", u.sysname, u.release, u.version);
	snprintf(h->machine, sizeof(h->machine), "%.*s", (int)sizeof(h->machine) - 1, u.machine);
	read_cpu_model(root, h->cpu_model, sizeof(h->cpu_model));
	find_kvm_module(root, h->kvm_module, sizeof(h->kvm_module));
	probe_kvm_dev(root, h);
	return read_cpus_online(root, h);
}

void hostinfo_json(struct jsonw *j, const struct hostinfo *h)
{
	jsonw_key(j, "host");
	jsonw_obj_begin(j);
	jsonw_kv_str(j, "kernel", h->kernel);
	jsonw_kv_str(j, "machine", h->machine);
	jsonw_kv_str(j, "cpu_model", h->cpu_model);
	jsonw_kv_str(j, "cpus_online", h->cpus_online);
	jsonw_kv_i64(j, "ncpus_online", h->ncpus_online);
	jsonw_kv_str(j, "kvm_module", h->kvm_module);
	jsonw_kv_bool(j, "kvm_dev_usable", h->kvm_dev_usable);
	jsonw_kv_str(j, "kvm_dev_error", h->kvm_dev_usable ? NULL : h->kvm_dev_error);
	jsonw_obj_end(j);
}

int meta_write(const char *dir, const char *tool, int argc, char *const *argv)
{
	return meta_write_ext(dir, tool, argc, argv, 0, NULL, NULL);
}

int meta_write_ext(const char *dir, const char *tool, int argc, char *const *argv,
		   int64_t started_unix, void (*extra)(struct jsonw *j, void *arg), void *arg)
{
	struct hostinfo h;
	struct jsonw j;
	struct afile *f;
	struct tm tm;
	char started[32];
	time_t now;
	int i, err;

	/* The start time is taken first: it is when the run began, not when meta.json was done. */
	now = started_unix > 0 ? (time_t)started_unix : time(NULL);
	if (!gmtime_r(&now, &tm))
		return log_err(-EOVERFLOW, "gmtime: %s", strerror(EOVERFLOW));
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);

	err = hostinfo_gather("", &h);
	if (err)
		return err;
	f = afile_open(dir, "meta.json");
	if (!f)
		return -errno;

	jsonw_init(&j, afile_fp(f));
	jsonw_obj_begin(&j);
	jsonw_kv_str(&j, "tool", tool);
	jsonw_kv_str(&j, "version", STEALSCOPE_VERSION);
	jsonw_key(&j, "command_line");
	jsonw_arr_begin(&j);
	for (i = 0; i < argc; i++)
		jsonw_str(&j, argv[i]);
	jsonw_arr_end(&j);
	jsonw_kv_str(&j, "started_utc", started);
	hostinfo_json(&j, &h);
	if (extra)
		extra(&j, arg);
	jsonw_obj_end(&j);

	/*
	 * Misuse is logged by json. Write errors are left to afile_commit(),
	 * which logs them once with the path and the real errno (jsonw_finish()
	 * would log its own "write failed" first).
	 */
	err = jsonw_check_complete(&j);
	if (err) {
		afile_abort(f);
		return err;
	}
	return afile_commit(f);
}
