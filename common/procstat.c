/*
 * procstat: see procstat.h. Turns the text of /proc/stat into raw cumulative
 * tick counters, and derives interval percentages from two such samples.
 *
 * The reader half never computes percentages and the derivation half never
 * touches a file: procstat_derive() is a pure function of its arguments.
 * Parsing is strict (no sscanf, no atoi): a CPU line that does not look
 * exactly like the kernel's is an error naming the line, never a silent 0.
 */
#include "common/procstat.h"

#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const procstat_field_names[PS_NFIELDS] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq",
	"steal", "guest", "guest_nice",
};

const char *const cpupct_field_names[CP_NFIELDS] = {
	"usr_pct", "nice_pct", "sys_pct", "iowait_pct", "irq_pct", "soft_pct",
	"steal_pct", "guest_pct", "gnice_pct", "idle_pct",
};

/* Fewer than this many fields predates every kernel we can meet (2.4 had 4). */
#define PROCSTAT_MIN_FIELDS 4

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Print a token for an error message, cut short so the message stays readable. */
static int tok_len_for_msg(size_t n)
{
	return n > 32 ? 32 : (int)n;
}

/*
 * Parse one CPU line; @p points just past "cpu", @end at the end of the line.
 * @what and @lineno only feed the error messages.
 */
static int parse_cpu_line(const char *what, int lineno, const char *p, const char *end,
			  struct procstat_cpu *cpu)
{
	const char *tok;
	uint64_t v;
	int nfields = 0;

	/* "cpu " is the aggregate; "cpuN " is CPU N. */
	if (p < end && is_digit(*p)) {
		tok = p;
		if (parse_u64_token(&p, end, &v))
			return log_err(-EINVAL, "%s line %d: bad CPU number '%.*s'", what,
				       lineno, tok_len_for_msg((size_t)(p - tok)), tok);
		if (v >= PROCSTAT_MAX_CPUS)
			return log_err(-EINVAL, "%s line %d: CPU number %llu out of range (max %d)",
				       what, lineno, (unsigned long long)v,
				       PROCSTAT_MAX_CPUS - 1);
		cpu->cpu = (int)v;
	} else {
		cpu->cpu = PROCSTAT_CPU_ALL;
	}
	memset(cpu->ticks, 0, sizeof(cpu->ticks));

	for (;;) {
		p = parse_skip_blanks(p, end);
		if (p == end)
			break;
		tok = p;
		if (parse_u64_token(&p, end, &v))
			return log_err(-EINVAL,
				       "%s line %d: field %d '%.*s' is not an unsigned integer",
				       what, lineno, nfields + 1,
				       tok_len_for_msg((size_t)(p - tok)), tok);
		/*
		 * A future kernel may append fields: they are checked but not
		 * kept, and nfields stops at the ten we know.
		 */
		if (nfields < PS_NFIELDS)
			cpu->ticks[nfields++] = v;
	}
	if (nfields < PROCSTAT_MIN_FIELDS)
		return log_err(-EINVAL, "%s line %d: %d fields, need at least %d", what,
			       lineno, nfields, PROCSTAT_MIN_FIELDS);
	cpu->nfields = nfields;
	return 0;
}

/* Does the line [@p, @end) start a CPU line ("cpu" then blank, digit or end)? */
static int is_cpu_line(const char *p, const char *end)
{
	if (end - p < 3 || memcmp(p, "cpu", 3) != 0)
		return 0;
	return end - p == 3 || p[3] == ' ' || p[3] == '\t' || is_digit(p[3]);
}

static int parse_stat(const char *what, const char *buf, size_t len,
		      struct procstat_sample *out)
{
	/* One bit per possible CPU number, to refuse a CPU listed twice. */
	unsigned char seen[PROCSTAT_MAX_CPUS / 8] = { 0 };
	const char *p = buf, *buf_end = buf + len;
	int have_all = 0, lineno = 0, rc;

	out->ncpus = 0;
	memset(&out->all, 0, sizeof(out->all));

	while (p < buf_end) {
		const char *eol = memchr(p, '\n', (size_t)(buf_end - p));
		struct procstat_cpu cpu;

		if (!eol)
			eol = buf_end;
		lineno++;
		if (!is_cpu_line(p, eol))
			goto next;	/* intr, ctxt, btime, processes, softirq, ... */

		rc = parse_cpu_line(what, lineno, p + 3, eol, &cpu);
		if (rc)
			return rc;
		if (cpu.cpu == PROCSTAT_CPU_ALL) {
			if (have_all)
				return log_err(-EINVAL, "%s line %d: second aggregate cpu line",
					       what, lineno);
			out->all = cpu;
			have_all = 1;
			goto next;
		}
		if (seen[cpu.cpu / 8] & (1u << (cpu.cpu % 8)))
			return log_err(-EINVAL, "%s line %d: cpu%d listed twice", what, lineno,
				       cpu.cpu);
		/* Unreachable while numbers are unique and below the max; kept as a guard. */
		if (out->ncpus >= PROCSTAT_MAX_CPUS)
			return log_err(-EINVAL, "%s line %d: more than %d CPU lines", what,
				       lineno, PROCSTAT_MAX_CPUS);
		seen[cpu.cpu / 8] |= (unsigned char)(1u << (cpu.cpu % 8));
		out->cpu[out->ncpus++] = cpu;
next:
		p = eol < buf_end ? eol + 1 : buf_end;
	}
	if (!have_all)
		return log_err(-EINVAL, "%s: no aggregate \"cpu\" line", what);
	return 0;
}

int procstat_parse(const char *buf, size_t len, struct procstat_sample *out)
{
	return parse_stat("/proc/stat", buf, len, out);
}

int procstat_open(const char *root, struct procstat_file *f)
{
	int n, err;

	f->fd = -1;
	n = snprintf(f->path, sizeof(f->path), "%s/proc/stat", root ? root : "");
	if (n < 0 || (size_t)n >= sizeof(f->path))
		return log_err(-ENAMETOOLONG, "procstat: root path too long: %s", root);
	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		err = errno;
		return log_err(-err, "open %s: %s", f->path, strerror(err));
	}
	return 0;
}

void procstat_close(struct procstat_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/*
 * The read buffer. It is per thread (so two sampler threads never share it)
 * and lives for the thread's lifetime: it grows to fit the largest file seen
 * and is then reused, so steady-state sampling allocates nothing.
 * procstat_release_buffer() hands it back. The first 16 KiB cover a few
 * dozen CPUs with their intr line; a 1024-CPU host needs a few doublings,
 * once.
 */
static __thread struct fileio_buf read_buf;

void procstat_release_buffer(void)
{
	fileio_buf_free(&read_buf);
}

static int read_and_parse(const char *what, int fd, struct procstat_sample *out)
{
	int rc;

	/*
	 * pread from offset 0, so the same fd serves every sample. /proc/stat
	 * is a single_open seq_file: the whole text is generated on the read
	 * at offset 0 and later reads continue from that same snapshot, so
	 * reading on at later offsets stays consistent.
	 */
	rc = fileio_read_fd(fd, 0, 0, &read_buf);
	if (rc)
		return log_err(rc, "read %s: %s", what, strerror(-rc));
	return parse_stat(what, read_buf.data, read_buf.len, out);
}

int procstat_read_file(const struct procstat_file *f, struct procstat_sample *out)
{
	return read_and_parse(f->path, f->fd, out);
}

int procstat_read(const char *root, struct procstat_sample *out)
{
	struct procstat_file f;
	int rc;

	rc = procstat_open(root, &f);
	if (rc)
		return rc;
	rc = procstat_read_file(&f, out);
	procstat_close(&f);
	return rc;
}

const struct procstat_cpu *procstat_find_cpu(const struct procstat_sample *s, int cpu)
{
	int lo, hi, i;

	if (!s || cpu < PROCSTAT_CPU_ALL || cpu >= PROCSTAT_MAX_CPUS)
		return NULL;
	if (cpu == PROCSTAT_CPU_ALL)
		return &s->all;
	/* No CPU offline below @cpu: it sits at its own index. */
	if (cpu < s->ncpus && s->cpu[cpu].cpu == cpu)
		return &s->cpu[cpu];
	/* The kernel lists CPUs ascending: bisect... */
	lo = 0;
	hi = s->ncpus - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (s->cpu[mid].cpu == cpu)
			return &s->cpu[mid];
		if (s->cpu[mid].cpu < cpu)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	/* ...but a hand-made sample may not be sorted: make sure before saying no. */
	for (i = 0; i < s->ncpus; i++)
		if (s->cpu[i].cpu == cpu)
			return &s->cpu[i];
	return NULL;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void procstat_derive(const struct procstat_cpu *prev, const struct procstat_cpu *cur,
		     struct cpupct *out)
{
	uint64_t d[PS_NFIELDS], user, nice, total;
	int i;

	/* Dyn-tick kernels let idle and iowait step backwards: such a step is 0. */
	for (i = 0; i < PS_NFIELDS; i++)
		d[i] = parse_counter_delta(prev->ticks[i], cur->ticks[i]);

	/*
	 * The kernel adds guest time to both user and guest (and guest_nice to
	 * nice), so user already holds guest. The two are read without a lock
	 * and guest can run a tick ahead of user: then user time outside the
	 * guest is 0 and the guest part is the whole of it, which keeps the
	 * percentages summing to 100.
	 */
	user = max_u64(d[PS_USER], d[PS_GUEST]);
	nice = max_u64(d[PS_NICE], d[PS_GUEST_NICE]);
	total = user + nice + d[PS_SYSTEM] + d[PS_IDLE] + d[PS_IOWAIT] + d[PS_IRQ] +
		d[PS_SOFTIRQ] + d[PS_STEAL];

	memset(out, 0, sizeof(*out));
	out->total_ticks = total;
	if (total == 0)
		return;	/* no tick in the interval: nothing to divide */

	out->pct[CP_USR] = 100.0 * (double)(user - d[PS_GUEST]) / (double)total;
	out->pct[CP_NICE] = 100.0 * (double)(nice - d[PS_GUEST_NICE]) / (double)total;
	out->pct[CP_SYS] = 100.0 * (double)d[PS_SYSTEM] / (double)total;
	out->pct[CP_IOWAIT] = 100.0 * (double)d[PS_IOWAIT] / (double)total;
	out->pct[CP_IRQ] = 100.0 * (double)d[PS_IRQ] / (double)total;
	out->pct[CP_SOFT] = 100.0 * (double)d[PS_SOFTIRQ] / (double)total;
	out->pct[CP_STEAL] = 100.0 * (double)d[PS_STEAL] / (double)total;
	out->pct[CP_GUEST] = 100.0 * (double)d[PS_GUEST] / (double)total;
	out->pct[CP_GNICE] = 100.0 * (double)d[PS_GUEST_NICE] / (double)total;
	out->pct[CP_IDLE] = 100.0 * (double)d[PS_IDLE] / (double)total;
}
