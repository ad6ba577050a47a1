/*
 * support/procscan: see procscan.h. Files are read with read() in a loop
 * into a fixed buffer: /proc files report no size, and a cmdline longer
 * than a page comes in several reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/stat's head: pid, comm up to 64 bytes, state, ppid; the rest is not needed. */
#define STAT_TEXT_MAX 1024

/* Up to @cap - 1 bytes of @path into @buf, NUL-terminated: their count, or -1. */
static ssize_t read_text(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* A directory entry named by a pid or tid: that id, else 0. */
static pid_t entry_id(const char *name)
{
	char *end;
	long id;

	if (name[0] < '1' || name[0] > '9')
		return 0;
	id = strtol(name, &end, 10);
	return *end ? 0 : (pid_t)id;
}

/* @fn over <@dir>/ID/@file for every numeric entry of @dir; -1 when @dir will not open. */
static int each_entry(const char *dir, const char *file, support_proc_fn fn, void *arg)
{
	char path[PATH_MAX], text[SUPPORT_PROC_TEXT_MAX];
	struct dirent *e;
	ssize_t n;
	pid_t id;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		id = entry_id(e->d_name);
		if (!id)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, e->d_name, file);
		n = read_text(path, text, sizeof(text));
		if (n > 0 && fn(id, text, (size_t)n, arg))
			break;
	}
	closedir(d);
	return 0;
}

void support_each_proc(const char *file, support_proc_fn fn, void *arg)
{
	if (each_entry("/proc", file, fn, arg))
		fail_msg("cannot list /proc: %s", strerror(errno));
}

int support_each_task(pid_t pid, const char *file, support_proc_fn fn, void *arg)
{
	char dir[64];

	if (pid)
		snprintf(dir, sizeof(dir), "/proc/%ld/task", (long)pid);
	else
		snprintf(dir, sizeof(dir), "/proc/self/task");
	return each_entry(dir, file, fn, arg);
}

int support_proc_stat_parse(const char *text, struct support_proc_stat *st)
{
	const char *lp = strchr(text, '('), *rp = strrchr(text, ')');
	char *end;
	long pid, ppid;
	size_t n;

	if (!lp || !rp || rp < lp)
		return -1;
	pid = strtol(text, &end, 10);
	if (end == text || *end != ' ' || end + 1 != lp || pid <= 0)
		return -1;
	/* ") S 123": the state is one letter, then the parent's pid */
	if (rp[1] != ' ' || !rp[2] || rp[3] != ' ')
		return -1;
	ppid = strtol(rp + 4, &end, 10);
	if (end == rp + 4 || ppid < 0)
		return -1;
	n = (size_t)(rp - lp - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, lp + 1, n);
	st->comm[n] = '\0';
	st->pid = (pid_t)pid;
	st->state = rp[2];
	st->ppid = (pid_t)ppid;
	return 0;
}

int support_proc_stat_read(pid_t pid, struct support_proc_stat *st)
{
	char path[64], text[STAT_TEXT_MAX];

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (read_text(path, text, sizeof(text)) <= 0)
		return -1;
	return support_proc_stat_parse(text, st);
}
