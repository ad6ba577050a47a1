/*
 * specdir: see specdir.h. The binary's own directory comes from
 * /proc/self/exe, so a checkout works from any working directory.
 */
#include "experiments/specdir.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STEALSCOPE_DATADIR
#define STEALSCOPE_DATADIR "/usr/local/share/stealscope"
#endif

int specdir_candidates(char dirs[][PATH_MAX], int max)
{
	char exe[PATH_MAX];
	ssize_t n;
	int k = 0;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && k < max) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(dirs[k], PATH_MAX, "%s/../experiments", exe) < PATH_MAX)
				k++;
		}
	}
	if (k < max)
		snprintf(dirs[k++], PATH_MAX, "./experiments");
	if (k < max)
		snprintf(dirs[k++], PATH_MAX, "%s/experiments", STEALSCOPE_DATADIR);
	return k;
}

int specdir_is_path(const char *arg)
{
	size_t n = strlen(arg);

	return strchr(arg, '/') || (n >= 4 && !strcmp(arg + n - 4, ".ini"));
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void list_places(char dirs[][PATH_MAX], int n, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", dirs[i]);
}

int specdir_find(const char *arg, char *out, size_t len)
{
	char dirs[SPECDIR_MAX][PATH_MAX], places[3 * PATH_MAX];
	struct stat st;
	int i, n;

	if (specdir_is_path(arg)) {
		if (stat(arg, &st) < 0) {
			int e = errno;

			return log_err(-e, "experiment file %s: %s", arg, strerror(e));
		}
		/* Reading a directory would fail later with a puzzling EIO or EISDIR. */
		if (S_ISDIR(st.st_mode))
			return log_err(-EISDIR, "experiment file %s: %s (give a spec's .ini file "
				       "or name)", arg, strerror(EISDIR));
		if ((size_t)snprintf(out, len, "%s", arg) >= len)
			return log_err(-ENAMETOOLONG, "%s: %s", arg, strerror(ENAMETOOLONG));
		return 0;
	}
	n = specdir_candidates(dirs, SPECDIR_MAX);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(out, len, "%s/%s.ini", dirs[i], arg) >= len)
			continue;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	list_places(dirs, n, places, sizeof(places));
	return log_err(-ENOENT, "unknown experiment '%s' (looked for %s.ini in %s; "
		       "`stealscope list` shows the experiments)", arg, arg, places);
}

int specdir_first(char *out, size_t len)
{
	char dirs[SPECDIR_MAX][PATH_MAX], places[3 * PATH_MAX];
	int i, n;

	n = specdir_candidates(dirs, SPECDIR_MAX);
	for (i = 0; i < n; i++) {
		if (is_dir(dirs[i]) && (size_t)snprintf(out, len, "%s", dirs[i]) < len)
			return 0;
	}
	list_places(dirs, n, places, sizeof(places));
	return log_err(-ENOENT, "no experiments directory (looked in %s)", places);
}
