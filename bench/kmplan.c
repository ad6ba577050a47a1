/*
 * kmplan: see kmplan.h. A plan is checked whole before its first run, so a
 * typo never costs a nested boot half spent.
 */
#include "bench/kmplan.h"

#include "bench/spawn.h"
#include "common/csvio.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLAN_MAX_BYTES (1 << 20)
#define MAX_TASKS 64                   /* kvm-mini's --tasks limit */

const char *const kmplan_runs_cols[] = {
	"tag", "status", "timed_out", "wall_ns", "cpu_ns", "maxrss_kib", "rss_peak_kib",
};
const size_t kmplan_runs_ncols = sizeof(kmplan_runs_cols) / sizeof(kmplan_runs_cols[0]);

const char *const kmplan_digest_cols[] = {
	"vcpu", "task", "stamps", "first_t_ns", "first_unit", "last_t_ns", "last_unit", "span_ns",
};
const size_t kmplan_digest_ncols = sizeof(kmplan_digest_cols) / sizeof(kmplan_digest_cols[0]);

/* ---- writing a plan ---------------------------------------------------------------- */

static int valid_tag(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return n > 0 && n < KMPLAN_TAG_LEN;
}

/* A word of a line: not empty, no blank, no '#' at its start. */
static int valid_word(const char *s)
{
	if (!*s || *s == '#')
		return 0;
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			return 0;
	return 1;
}

static int append(struct kmplan *p, const char *s)
{
	size_t n = strlen(s);

	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 1024;
		char *t;

		while (p->len + n + 1 > cap)
			cap *= 2;
		t = realloc(p->text, cap);
		if (!t)
			return log_err(-ENOMEM, "out of memory");
		p->text = t;
		p->cap = cap;
	}
	memcpy(p->text + p->len, s, n + 1);
	p->len += n;
	return 0;
}

int kmplan_add(struct kmplan *p, const char *tag, int run_s, const struct kmplan_opts *o,
	       const char *const *argv)
{
	static const struct kmplan_opts none;
	int timeout_s = run_s + KMPLAN_GRACE_S;
	char head[KMPLAN_TAG_LEN + 64], opts[48];
	int i, rc;

	if (!o)
		o = &none;
	if (!valid_tag(tag))
		return log_err(-EINVAL, "plan: bad tag '%s'", tag);
	for (i = 0; argv[i]; i++)
		if (!valid_word(argv[i]) || i >= KMPLAN_MAX_ARGS)
			return log_err(-EINVAL, "plan: run %s: argument %d ('%s') cannot be "
				       "written", tag, i, argv[i]);
	if (i == 0 || run_s < 1 || timeout_s > 3600 || o->digest_k < 0)
		return log_err(-EINVAL, "plan: run %s: no program, or a bad timeout or digest",
			       tag);
	if (o->digest_k)
		snprintf(opts, sizeof(opts), "digest=%d%s", o->digest_k, o->rss ? ",rss" : "");
	else
		snprintf(opts, sizeof(opts), "%s", o->rss ? "rss" : "-");
	snprintf(head, sizeof(head), "%s %d %s", tag, timeout_s, opts);
	rc = append(p, head);
	for (i = 0; argv[i] && !rc; i++) {
		rc = append(p, " ");
		rc = rc ? rc : append(p, argv[i]);
	}
	rc = rc ? rc : append(p, "\n");
	if (!rc) {
		p->nruns++;
		p->expect_s += run_s;
	}
	return rc;
}

void kmplan_free(struct kmplan *p)
{
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* ---- reading and running one ------------------------------------------------------- */

struct plan_line {
	int lineno;
	const char *tag;
	int timeout_s;
	struct kmplan_opts o;
	int argc;
	char *argv[KMPLAN_MAX_ARGS + 1];       /* into the plan's text */
};

struct run_row {
	const char *tag;
	struct spawn_result r;
};

/* The OPTIONS field @s (changed in place) into @o. */
static int parse_opts(char *s, const char *path, int lineno, struct kmplan_opts *o)
{
	char *save = NULL, *w, what[64];
	int64_t v;

	memset(o, 0, sizeof(*o));
	if (!strcmp(s, "-"))
		return 0;
	for (w = strtok_r(s, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "rss")) {
			o->rss = 1;
		} else if (!strncmp(w, "digest=", 7)) {
			snprintf(what, sizeof(what), "%s: line %d: digest", path, lineno);
			if (parse_i64(what, w + 7, 1, 1000000, &v))
				return -EINVAL;
			o->digest_k = (int)v;
		} else {
			return log_err(-EINVAL, "%s: line %d: unknown option '%s' (digest=K, rss)",
				       path, lineno, w);
		}
	}
	return 0;
}

/* Split line @s (NUL-terminated, changed in place) into @l. */
static int parse_line(char *s, const char *path, int lineno, struct plan_line *l)
{
	char *words[KMPLAN_MAX_ARGS + 4], *save = NULL, *w, what[64];
	int64_t v;
	int n = 0;

	for (w = strtok_r(s, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		if (n >= (int)(sizeof(words) / sizeof(words[0])))
			return log_err(-EINVAL, "%s: line %d: more than %d arguments", path, lineno,
				       KMPLAN_MAX_ARGS);
		words[n++] = w;
	}
	if (n < 4)
		return log_err(-EINVAL, "%s: line %d: expected TAG TIMEOUT_S OPTIONS PROGRAM "
			       "[ARG]...", path, lineno);
	if (!valid_tag(words[0]))
		return log_err(-EINVAL, "%s: line %d: bad tag '%s'", path, lineno, words[0]);
	snprintf(what, sizeof(what), "%s: line %d: timeout", path, lineno);
	if (parse_i64(what, words[1], 1, 3600, &v))
		return -EINVAL;
	l->timeout_s = (int)v;
	if (parse_opts(words[2], path, lineno, &l->o))
		return -EINVAL;
	l->lineno = lineno;
	l->tag = words[0];
	l->argc = n - 3;
	memcpy(l->argv, words + 3, (size_t)l->argc * sizeof(char *));
	l->argv[l->argc] = NULL;
	return 0;
}

/* Every line of @text (changed in place) into @lines (allocated). */
static int parse_plan(char *text, const char *path, struct plan_line **lines, int *n)
{
	char *p, *nl;
	int count = 1, k = 0, lineno = 0, rc = 0, i;

	for (p = text; *p; p++)
		count += *p == '\n';
	*lines = calloc((size_t)count, sizeof(**lines));
	if (!*lines)
		return log_err(-ENOMEM, "out of memory");
	for (p = text; p && *p && !rc; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		p = (char *)parse_skip_blanks(p, p + strlen(p));
		if (!*p || *p == '#' || !strcmp(p, "\r"))
			continue;
		rc = parse_line(p, path, lineno, &(*lines)[k]);
		for (i = 0; i < k && !rc; i++)
			if (!strcmp((*lines)[i].tag, (*lines)[k].tag))
				rc = log_err(-EINVAL, "%s: line %d: tag %s again (line %d)", path,
					     lineno, (*lines)[k].tag, (*lines)[i].lineno);
		k++;
	}
	*n = k;
	if (rc) {
		free(*lines);
		*lines = NULL;
	}
	return rc;
}

static int run_line(const struct plan_line *l, const char *out_dir, const char *kvm_mini,
		    struct spawn_result *r)
{
	char so[PATH_MAX], se[PATH_MAX], dir[PATH_MAX];
	const char *argv[KMPLAN_MAX_ARGS + 1];
	struct spawn_opts o = { .stdout_path = so, .stderr_path = se, .poll_rss = l->o.rss,
				.timeout_ns = (int64_t)l->timeout_s * NS_PER_SEC };
	int i;

	if (snprintf(so, sizeof(so), "%s/%s.out", out_dir, l->tag) >= (int)sizeof(so) ||
	    snprintf(se, sizeof(se), "%s/%s.err", out_dir, l->tag) >= (int)sizeof(se) ||
	    snprintf(dir, sizeof(dir), "%s/%s", out_dir, l->tag) >= (int)sizeof(dir))
		return log_err(-ENAMETOOLONG, "%s/%s: path too long", out_dir, l->tag);
	for (i = 0; i < l->argc; i++)
		argv[i] = !strcmp(l->argv[i], KMPLAN_OUT_TOKEN) ? dir : l->argv[i];
	if (!strcmp(argv[0], KMPLAN_KVM_MINI))
		argv[0] = kvm_mini;
	argv[l->argc] = NULL;
	return spawn_run(argv, &o, r);
}

static int write_runs(const char *out_dir, const struct run_row *rows, int n)
{
	char path[PATH_MAX];
	struct csvw *w;
	int i, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", out_dir, KMPLAN_RUNS);
	w = csvw_open(path, kmplan_runs_cols, kmplan_runs_ncols);
	if (!w)
		return -errno;
	for (i = 0; i < n && !rc; i++) {
		rc = csvw_str(w, rows[i].tag);
		rc = rc ? rc : csvw_i64(w, rows[i].r.status);
		rc = rc ? rc : csvw_i64(w, rows[i].r.timed_out);
		rc = rc ? rc : csvw_i64(w, rows[i].r.wall_ns);
		rc = rc ? rc : csvw_i64(w, rows[i].r.cpu_ns);
		rc = rc ? rc : csvw_i64(w, rows[i].r.maxrss_kib);
		rc = rc ? rc : csvw_i64(w, rows[i].r.rss_peak_kib);
		rc = rc ? rc : csvw_end_row(w);
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

int kmplan_run(const char *plan_path, const char *out_dir, const char *kvm_mini, int verbose)
{
	struct fileio_buf text = { 0 };
	struct plan_line *lines = NULL;
	struct run_row *rows = NULL;
	char dir[PATH_MAX];
	int n = 0, i, rc;

	rc = fileio_load(plan_path, PLAN_MAX_BYTES, FILEIO_REGULAR, &text);
	rc = rc ? rc : parse_plan(text.data, plan_path, &lines, &n);
	if (rc)
		goto out;
	rows = calloc((size_t)n + 1, sizeof(*rows));
	if (!rows) {
		rc = log_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n && !rc; i++) {
		rows[i].tag = lines[i].tag;
		rc = run_line(&lines[i], out_dir, kvm_mini, &rows[i].r);
		if (rc)
			break;
		if (verbose) {
			printf("%s: %s %d, %.1f ms\n", lines[i].tag,
			       rows[i].r.timed_out ? "timed out, status" : "exit", rows[i].r.status,
			       (double)rows[i].r.wall_ns / 1e6);
			fflush(stdout);
		}
		if (lines[i].o.digest_k && rows[i].r.status == 0) {
			snprintf(dir, sizeof(dir), "%s/%s", out_dir, lines[i].tag);
			rc = kmplan_digest(dir, lines[i].o.digest_k);
		}
	}
	rc = rc ? rc : write_runs(out_dir, rows, n);
out:
	free(rows);
	free(lines);
	fileio_buf_free(&text);
	return rc;
}

/* ---- the digest of a progress.csv ----------------------------------------------------- */

struct task_stamps {
	int64_t vcpu;
	size_t n, cap;
	int64_t *t_ns, *unit;
};

static int task_push(struct task_stamps *s, int64_t vcpu, int64_t t_ns, int64_t unit)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		int64_t *t = realloc(s->t_ns, cap * sizeof(*t)), *u;

		if (!t)
			return log_err(-ENOMEM, "out of memory");
		s->t_ns = t;
		u = realloc(s->unit, cap * sizeof(*u));
		if (!u)
			return log_err(-ENOMEM, "out of memory");
		s->unit = u;
		s->cap = cap;
	}
	if (s->n == 0)
		s->vcpu = vcpu;
	s->t_ns[s->n] = t_ns;
	s->unit[s->n] = unit;
	s->n++;
	return 0;
}

/* The shortest span of @k units of one task with none lost, -1 when none. */
static int64_t shortest_span(const struct task_stamps *s, int k)
{
	int64_t best = -1, d;
	size_t i;

	for (i = 0; i + (size_t)k < s->n; i++) {
		if (s->unit[i + (size_t)k] - s->unit[i] != k)
			continue;
		d = s->t_ns[i + (size_t)k] - s->t_ns[i];
		if (d > 0 && (best < 0 || d < best))
			best = d;
	}
	return best;
}

static int write_digest(const char *path, const struct task_stamps *ts, int k)
{
	struct csvw *w = csvw_open(path, kmplan_digest_cols, kmplan_digest_ncols);
	int64_t span;
	int j, rc = 0;

	if (!w)
		return -errno;
	for (j = 0; j < MAX_TASKS && !rc; j++) {
		const struct task_stamps *s = &ts[j];

		if (!s->n)
			continue;
		span = shortest_span(s, k);
		rc = csvw_i64(w, s->vcpu);
		rc = rc ? rc : csvw_i64(w, j);
		rc = rc ? rc : csvw_u64(w, s->n);
		rc = rc ? rc : csvw_i64(w, s->t_ns[0]);
		rc = rc ? rc : csvw_i64(w, s->unit[0]);
		rc = rc ? rc : csvw_i64(w, s->t_ns[s->n - 1]);
		rc = rc ? rc : csvw_i64(w, s->unit[s->n - 1]);
		rc = rc ? rc : span < 0 ? csvw_str(w, "") : csvw_i64(w, span);
		rc = rc ? rc : csvw_end_row(w);
	}
	if (rc) {
		csvw_abort(w);
		return rc;
	}
	return csvw_commit(w);
}

int kmplan_digest(const char *run_dir, int k)
{
	static const char *const names[] = { "t_ns", "vcpu", "task", "unit" };
	struct task_stamps ts[MAX_TASKS];
	char in[PATH_MAX], out[PATH_MAX];
	struct csv_table t;
	int64_t v[4];
	int col[4], j, rc;
	size_t i;

	memset(ts, 0, sizeof(ts));
	snprintf(in, sizeof(in), "%s/progress.csv", run_dir);
	snprintf(out, sizeof(out), "%s/%s", run_dir, KMPLAN_DIGEST);
	rc = csv_table_load(in, &t);
	if (rc)
		return rc;
	for (j = 0; j < 4; j++)
		if ((col[j] = csv_table_col(&t, names[j])) < 0)
			rc = log_err(-EINVAL, "%s: no column %s", in, names[j]);
	for (i = 0; i < t.nrows && !rc; i++) {
		for (j = 0; j < 4 && !rc; j++)
			rc = csv_table_i64(&t, i, (size_t)col[j], &v[j]);
		if (!rc && (v[2] < 0 || v[2] >= MAX_TASKS))
			rc = log_err(-EINVAL, "%s: line %zu: task %lld out of 0..%d", in,
				     t.lines[i], (long long)v[2], MAX_TASKS - 1);
		rc = rc ? rc : task_push(&ts[v[2]], v[1], v[0], v[3]);
	}
	csv_table_free(&t);
	rc = rc ? rc : write_digest(out, ts, k);
	if (!rc && unlink(in))
		rc = log_err(-errno, "unlink %s: %s", in, strerror(errno));
	for (j = 0; j < MAX_TASKS; j++) {
		free(ts[j].t_ns);
		free(ts[j].unit);
	}
	return rc;
}
