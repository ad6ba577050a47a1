/*
 * report: report.html from a results directory (see report.h).
 *
 * read -> derive -> render, all in one pass here because the page is small:
 * the inputs are loaded into a struct report (spec, meta facts, the summary
 * rows worth showing, the policies and their skip reasons), the reading is
 * derived from the summary numbers only, and the page is rendered with every
 * file-borne string HTML-escaped. A file that is missing is said in the page
 * rather than failing the report: an interrupted run still gets one. This
 * file writes nothing but <dir>/report.html (through afile) and never exits.
 */
#include "experiments/report.h"

#include "common/csvio.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/resdir.h"
#include "experiments/spec.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef STEALSCOPE_VERSION
#define STEALSCOPE_VERSION "unknown"
#endif

#define TEXT_MAX_BYTES (1024 * 1024)   /* spec.ini, SKIPPED */
#define READING_LEN 1024
#define DASH "&ndash;"                 /* an absent figure */

/* ---- small text helpers --------------------------------------------------- */

/* Append to a bounded buffer, snprintf-style: @*n counts what the whole needs. */
static void cat(char *buf, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cat(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(*n < len ? buf + *n : NULL, *n < len ? len - *n : 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n += (size_t)r;
}

/* Write @s HTML-escaped; control characters other than tab and newline are dropped. */
static void html(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			if (c >= 0x20 || c == '\n' || c == '\t')
				fputc(c, fp);
		}
	}
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Read a small text file whole. Returns a malloc'ed NUL-terminated copy, or
 * NULL with *err = -errno (-ENOENT for a missing file, not logged; any other
 * failure logged).
 */
static char *slurp(const char *path, int *err)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp;

	*err = 0;
	fp = fopen(path, "re");
	if (!fp) {
		*err = -errno;
		if (errno != ENOENT)
			log_err(*err, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(TEXT_MAX_BYTES + 1);
	if (!buf) {
		*err = log_err(-ENOMEM, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, TEXT_MAX_BYTES, fp);
	if (ferror(fp)) {
		*err = log_err(-EIO, "read %s: %s", path, strerror(EIO));
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
out:
	fclose(fp);
	return buf;
}

/* Remove trailing blanks and line ends in place. */
static char *rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
			 s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* ---- the reading ---------------------------------------------------------- */

/* "4.1 ms", "850 µs" */
static void fmt_dur(char *buf, size_t len, double ns)
{
	if (ns >= 1e6)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.0f \xc2\xb5s", ns / 1e3);
}

size_t report_reading_text(const struct report_reading *in, char *buf, size_t len)
{
	const struct phase_summary *s = in->s;
	const char *its = in->plural ? "their" : "its";
	int native = in->backend && strcmp(in->backend, "native") == 0;
	size_t n = 0, subj_at;
	char d1[32], d2[32];

	if (len)
		buf[0] = '\0';
	if (native && in->backend_note)
		cat(buf, len, &n, "Native backend: no guest, host run delay of the vCPU threads "
		    "only. ");
	if (in->when && in->when[0])
		cat(buf, len, &n, "%s, ", in->when);
	subj_at = n;
	if (!isnan(s->host_delay_pct))
		cat(buf, len, &n, "%s spent %.1f%% of %s time runnable but waiting (host run "
		    "delay)", in->subject, s->host_delay_pct, its);
	else
		cat(buf, len, &n, "%s had no host run delay recorded", in->subject);
	/* A sentence that starts with "the vCPU" says "The vCPU" ("vCPU 1" stays). */
	if (subj_at < len && !strncmp(in->subject, "the ", 4) && !(in->when && in->when[0]))
		buf[subj_at] = 'T';

	if (!native) {
		if (!isnan(s->guest_steal_pct)) {
			cat(buf, len, &n, "; the guest's own steal clock reported %.1f%%",
			    s->guest_steal_pct);
			if (!isnan(s->guest_tick_steal_pct))
				/* whole ticks: one decimal would claim a precision ticks lack */
				cat(buf, len, &n, " and its tick accounting %.0f%%",
				    s->guest_tick_steal_pct);
		} else if (!isnan(s->guest_tick_steal_pct)) {
			cat(buf, len, &n, "; the guest's tick accounting reported %.0f%% steal",
			    s->guest_tick_steal_pct);
		} else {
			cat(buf, len, &n, "; the guest reported no steal figures");
		}
	}
	if (!isnan(s->longest_stall_ns)) {
		fmt_dur(d1, sizeof(d1), s->longest_stall_ns);
		cat(buf, len, &n, "; progress stalled for up to %s", d1);
		if (!isnan(s->p99_gap_ns)) {
			fmt_dur(d2, sizeof(d2), s->p99_gap_ns);
			cat(buf, len, &n, " (p99 gap %s)", d2);
		}
	}
	if (!isnan(s->work_rate_frac_of_baseline)) {
		double pct = 100.0 * s->work_rate_frac_of_baseline;

		cat(buf, len, &n, "; work rate %s %.0f%% of the baseline",
		    pct < 99.5 ? "fell to" : pct >= 100.5 ? "rose to" : "held at", pct);
	} else if (!isnan(s->work_rate_ups)) {
		cat(buf, len, &n, "; work rate was %.1f units/s", s->work_rate_ups);
	}
	if (native && !isnan(s->host_steal_pct))
		cat(buf, len, &n, "; this machine's own /proc/stat steal on those CPUs was %.1f%%",
		    s->host_steal_pct);
	cat(buf, len, &n, ".");
	return n;
}

/* ---- inputs ----------------------------------------------------------------- */

struct meta {
	int present;
	struct jsonget_doc doc;        /* kept for the per-policy lookups */
	char tool[64], version[64], started[64];
	char hostname[256], machine[64], kernel[256], cpu_model[256], cpus_online[256];
	char kvm_module[32], kvm_dev_error[256], backend[32];
	int kvm_dev_usable;            /* -1 unknown */
	char *cmdline;                 /* joined and shell-quoted; NULL if absent */
};

/* One summary row to show: a "mean" row, or a repetition when there is no mean. */
struct row {
	const char *policy, *phase, *vcpu, *rep;
	int nreps;                     /* numeric repetitions behind a mean row */
	int single;                    /* the only repetition of its key, no mean */
	struct phase_summary s;
};

struct policy_info {
	char name[SPEC_NAME_MAX];
	const char *description;       /* "" when none */
	const struct spec *spec;       /* NULL without a parsed spec */
	char *skipped;                 /* the SKIPPED reason, or NULL */
	char status[16];               /* meta.json policies[].status, "" if absent */
	char reason[256];              /* and its reason, "" if none */
};

struct report {
	const char *dir;
	int incomplete;
	int have_spec;
	struct spec_set set;
	char *spec_text;               /* spec.ini as written, NULL if unreadable */
	char name[SPEC_NAME_MAX], description[SPEC_DESC_MAX];
	struct meta meta;
	int have_summary;
	struct csv_table t;
	struct row *rows;
	size_t nrows;
	struct policy_info *pol;
	size_t npol;
};

static int path_in(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
	int n = b ? snprintf(buf, len, "%s/%s/%s", dir, a, b) : snprintf(buf, len, "%s/%s", dir, a);

	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "%s/%s: path too long", dir, a);
	return 0;
}

/* Characters that need no quoting in a shell word. */
static int shell_plain(const char *s)
{
	if (!*s)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		      "_-./=:,+@%") == strlen(s);
}

static char *join_command_line(const struct jsonget_doc *doc)
{
	char arg[4096], path[48], *out, *p;
	size_t cap = 1, n = 0, i;
	int count = jsonget_count(doc, "command_line"), err;

	if (count < 0)
		return NULL;
	/* worst case every byte becomes '\'' plus quotes and a space */
	cap += doc->len * 4 + 3 * (size_t)count;
	out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < (size_t)count; i++) {
		snprintf(path, sizeof(path), "command_line[%zu]", i);
		err = jsonget_str(doc, path, arg, sizeof(arg));
		if (err && err != -ERANGE)
			continue;              /* not a string: nothing to show */
		if (n)
			cat(out, cap, &n, " ");
		if (shell_plain(arg)) {
			cat(out, cap, &n, "%s", arg);
			continue;
		}
		cat(out, cap, &n, "'");
		for (p = arg; *p; p++) {
			if (*p == '\'')
				cat(out, cap, &n, "'\\''");
			else
				cat(out, cap, &n, "%c", *p);
		}
		cat(out, cap, &n, "'");
	}
	return out;
}

static void load_meta(struct report *r)
{
	struct meta *m = &r->meta;
	const struct jsonget_doc *doc = &m->doc;
	char path[PATH_MAX];
	int v;

	m->kvm_dev_usable = -1;
	if (path_in(path, sizeof(path), r->dir, "meta.json", NULL))
		return;
	if (!is_file(path)) {
		log_warn("%s: missing: the report has no host facts", path);
		return;
	}
	if (jsonget_load(path, &m->doc))
		return;
	m->present = 1;
	jsonget_str(doc, "tool", m->tool, sizeof(m->tool));
	jsonget_str(doc, "version", m->version, sizeof(m->version));
	jsonget_str(doc, "started_utc", m->started, sizeof(m->started));
	jsonget_str(doc, "backend", m->backend, sizeof(m->backend));
	jsonget_str(doc, "host.hostname", m->hostname, sizeof(m->hostname));
	jsonget_str(doc, "host.machine", m->machine, sizeof(m->machine));
	jsonget_str(doc, "host.kernel", m->kernel, sizeof(m->kernel));
	jsonget_str(doc, "host.cpu_model", m->cpu_model, sizeof(m->cpu_model));
	jsonget_str(doc, "host.cpus_online", m->cpus_online, sizeof(m->cpus_online));
	jsonget_str(doc, "host.kvm_module", m->kvm_module, sizeof(m->kvm_module));
	jsonget_str(doc, "host.kvm_dev_error", m->kvm_dev_error, sizeof(m->kvm_dev_error));
	if (jsonget_bool(doc, "host.kvm_dev_usable", &v) == 0)
		m->kvm_dev_usable = v;
	m->cmdline = join_command_line(&m->doc);
}

/* The spec: parsed when it parses, and as text for the page in any case. */
static void load_spec(struct report *r)
{
	char path[PATH_MAX];
	struct ini ini;
	const char *v;
	int err;

	if (path_in(path, sizeof(path), r->dir, "spec.ini", NULL))
		return;
	r->spec_text = slurp(path, &err);
	if (!r->spec_text) {
		if (err == -ENOENT)
			log_warn("%s: missing: the report cannot say what was run", path);
		return;
	}
	if (spec_load(path, &r->set) == 0) {
		r->have_spec = 1;
		snprintf(r->name, sizeof(r->name), "%s", r->set.base.name);
		snprintf(r->description, sizeof(r->description), "%s", r->set.base.description);
		return;
	}
	/* Not a valid spec (an older or hand-edited one): still take its title. */
	if (ini_load(path, &ini))
		return;
	v = ini_get(&ini, "experiment", NULL, "name");
	if (v)
		snprintf(r->name, sizeof(r->name), "%s", v);
	v = ini_get(&ini, "experiment", NULL, "description");
	if (v)
		snprintf(r->description, sizeof(r->description), "%s", v);
	ini_free(&ini);
}

/* A summary cell as a number: empty, "nan" or malformed is NaN. */
static double cell_num(const struct csv_table *t, size_t row, int col)
{
	const char *s;
	char *end;
	double v;

	if (col < 0)
		return NAN;
	s = csv_table_cell(t, row, (size_t)col);
	if (!*s)
		return NAN;
	v = strtod(s, &end);
	if (end == s || *end) {
		log_warn("summary.csv row %zu, column %s: not a number: \"%s\"", row + 1,
			 t->header[col], s);
		return NAN;
	}
	return v;
}

static int is_spread_rep(const char *rep)
{
	return !strcmp(rep, "sd") || !strcmp(rep, "min") || !strcmp(rep, "max");
}

static int same_key(const struct csv_table *t, size_t a, size_t b, const int key[3])
{
	int k;

	for (k = 0; k < 3; k++)
		if (strcmp(csv_table_cell(t, a, (size_t)key[k]), csv_table_cell(t, b, (size_t)key[k])))
			return 0;
	return 1;
}

static void fill_row(struct report *r, size_t i, const int key[4], const int *mcol,
		     struct row *out)
{
	int m;

	out->policy = csv_table_cell(&r->t, i, (size_t)key[0]);
	out->phase = csv_table_cell(&r->t, i, (size_t)key[1]);
	out->vcpu = csv_table_cell(&r->t, i, (size_t)key[2]);
	out->rep = csv_table_cell(&r->t, i, (size_t)key[3]);
	out->nreps = 0;
	for (m = 0; m < SUMMARY_NMETRICS; m++) {
		double v = cell_num(&r->t, i, mcol[m]);

		memcpy((char *)&out->s + summary_metrics[m].offset, &v, sizeof(v));
	}
}

/*
 * Pick the rows to show, in file order of their (policy, phase, vcpu): the
 * "mean" row where there is one, else each repetition's own row.
 */
static int select_rows(struct report *r)
{
	static const char *const keys[4] = { "policy", "phase", "vcpu", "rep" };
	const struct csv_table *t = &r->t;
	int key[4], mcol[SUMMARY_NMETRICS], k;
	size_t i, j;

	for (k = 0; k < 4; k++) {
		key[k] = csv_table_col(t, keys[k]);
		if (key[k] < 0)
			return log_err(-EINVAL, "%s/summary.csv: no column '%s'", r->dir, keys[k]);
	}
	for (k = 0; k < SUMMARY_NMETRICS; k++)
		mcol[k] = csv_table_col(t, summary_metrics[k].name);
	r->rows = calloc(t->nrows ? t->nrows : 1, sizeof(*r->rows));
	if (!r->rows)
		return log_err(-ENOMEM, "summary rows: out of memory");
	for (i = 0; i < t->nrows; i++) {
		int seen = 0, has_mean = 0, nnum = 0;

		for (j = 0; j < i && !seen; j++)
			seen = same_key(t, i, j, key);
		if (seen)
			continue;              /* this key was handled at its first row */
		for (j = i; j < t->nrows; j++) {
			const char *rj = csv_table_cell(t, j, (size_t)key[3]);

			if (!same_key(t, i, j, key) || is_spread_rep(rj))
				continue;
			if (!strcmp(rj, "mean"))
				has_mean = 1;
			else
				nnum++;
		}
		for (j = i; j < t->nrows; j++) {
			const char *rj = csv_table_cell(t, j, (size_t)key[3]);

			if (!same_key(t, i, j, key) || is_spread_rep(rj) ||
			    has_mean != !strcmp(rj, "mean"))
				continue;
			fill_row(r, j, key, mcol, &r->rows[r->nrows]);
			r->rows[r->nrows].nreps = has_mean ? nnum : 0;
			r->rows[r->nrows].single = !has_mean && nnum == 1;
			r->nrows++;
			if (has_mean)
				break;
		}
	}
	return 0;
}

static int load_summary(struct report *r)
{
	char path[PATH_MAX];
	int err;

	err = path_in(path, sizeof(path), r->dir, "summary.csv", NULL);
	if (err)
		return err;
	if (!is_file(path))
		return 0;
	err = csv_table_load(path, &r->t);
	if (err)
		return 0;                      /* logged; the page says it is unreadable */
	err = select_rows(r);
	if (err)
		return err == -ENOMEM ? err : 0;
	r->have_summary = 1;
	return 0;
}

static struct policy_info *add_policy(struct report *r, const char *name, const char *desc,
				      const struct spec *spec)
{
	struct policy_info *p = &r->pol[r->npol++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->description = desc ? desc : "";
	p->spec = spec;
	return p;
}

static const struct policy_info *find_policy(const struct report *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->npol; i++)
		if (!strcmp(r->pol[i].name, name))
			return &r->pol[i];
	return NULL;
}

/* What meta.json's "policies" array says about policy @p: status and reason. */
static void policy_meta(const struct report *r, struct policy_info *p)
{
	const struct jsonget_doc *doc = &r->meta.doc;
	char key[64], name[SPEC_NAME_MAX];
	int i, n;

	if (!r->meta.present)
		return;
	n = jsonget_count(doc, "policies");
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "policies[%d].name", i);
		if (jsonget_str(doc, key, name, sizeof(name)) || strcmp(name, p->name))
			continue;
		snprintf(key, sizeof(key), "policies[%d].status", i);
		jsonget_str(doc, key, p->status, sizeof(p->status));
		snprintf(key, sizeof(key), "policies[%d].reason", i);
		jsonget_str(doc, key, p->reason, sizeof(p->reason));
		return;
	}
}

/*
 * The policies of the spec, then any others that summary.csv names; each
 * with its skip reason from <policy>/SKIPPED, or else from meta.json.
 */
static int load_policies(struct report *r)
{
	char path[PATH_MAX];
	size_t i, cap = 1 + r->set.n_policies + r->nrows;
	int err;

	r->pol = calloc(cap, sizeof(*r->pol));
	if (!r->pol)
		return log_err(-ENOMEM, "policies: out of memory");
	if (r->have_spec && r->set.n_policies == 0)
		add_policy(r, "default", "", &r->set.base);
	for (i = 0; r->have_spec && i < r->set.n_policies; i++)
		add_policy(r, r->set.policies[i].name, r->set.policies[i].description,
			   &r->set.policies[i].spec);
	for (i = 0; i < r->nrows; i++)
		if (r->rows[i].policy[0] && !find_policy(r, r->rows[i].policy))
			add_policy(r, r->rows[i].policy, "", NULL);
	for (i = 0; i < r->npol; i++) {
		struct policy_info *p = &r->pol[i];
		const char *why;
		char *text = NULL;

		policy_meta(r, p);
		if (!path_in(path, sizeof(path), r->dir, p->name, REPORT_SKIPPED))
			text = slurp(path, &err);
		if (!text && strcmp(p->status, "skipped"))
			continue;
		/* the file's words first; an empty file still means skipped */
		why = text && rtrim(text)[0] ? text : p->reason[0] ? p->reason :
		      "no reason recorded";
		p->skipped = strdup(why);
		free(text);
		if (!p->skipped)
			return log_err(-ENOMEM, "policies: out of memory");
	}
	return 0;
}

static void report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->npol; i++)
		free(r->pol[i].skipped);
	free(r->pol);
	free(r->rows);
	csv_table_free(&r->t);
	free(r->meta.cmdline);
	jsonget_free(&r->meta.doc);
	free(r->spec_text);
	if (r->have_spec)
		spec_free(&r->set);
}

/* ---- deriving the sentence's context ------------------------------------------ */

/* duration_format(), but a zero reads "0s" (the start of a run), not "0ns". */
static char *fmt_time(int64_t ns, char *buf, size_t len)
{
	if (ns == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	return duration_format(ns, buf, len);
}

static const char *policy_backend(const struct report *r, const struct policy_info *p)
{
	if (r->meta.backend[0])
		return r->meta.backend;
	if (p->spec)
		return spec_backend_name(p->spec->backend);
	return "";
}

/* "CPU 0", "CPUs 0 and 2", "CPUs 0, 1 and 3" for the contention CPUs of @sp. */
static void contention_cpus(const struct spec *sp, char *buf, size_t len, int *shared)
{
	int cpus[SPEC_MAX_CONTENTION], n = 0, i, j, v;
	size_t w = 0;

	for (i = 0; i < sp->n_contention; i++) {
		v = sp->contention[i].cpu;
		for (j = 0; j < n && cpus[j] != v; j++)
			;
		if (j == n)
			cpus[n++] = v;
	}
	for (i = 1; i < n; i++)                /* insertion sort: at most 8 */
		for (j = i; j > 0 && cpus[j - 1] > cpus[j]; j--) {
			v = cpus[j];
			cpus[j] = cpus[j - 1];
			cpus[j - 1] = v;
		}
	buf[0] = '\0';
	cat(buf, len, &w, "CPU%s ", n > 1 ? "s" : "");
	for (i = 0; i < n; i++)
		cat(buf, len, &w, "%s%d", i == 0 ? "" : i == n - 1 ? " and " : ", ", cpus[i]);
	/* shared: every vCPU is pinned to one of those CPUs */
	*shared = sp->vcpus > 0;
	for (i = 0; i < sp->vcpus; i++) {
		for (j = 0; j < n && cpus[j] != sp->pins[i]; j++)
			;
		if (sp->pins[i] == SPEC_PIN_ANY || j == n)
			*shared = 0;
	}
}

static void build_when(const struct policy_info *p, const char *phase, int native,
		       char *buf, size_t len)
{
	struct spec_phase ph[SPEC_MAX_PHASES];
	char cpus[128], from[DURATION_FMT_LEN], to[DURATION_FMT_LEN];
	const struct spec *sp = p->spec;
	int i, nph, shared;
	size_t w = 0;

	buf[0] = '\0';
	if (!sp) {
		if (!strcmp(phase, "all"))
			cat(buf, len, &w, "Over the whole run");
		else
			cat(buf, len, &w, "During the %s phase", phase);
		return;
	}
	nph = spec_phases(sp, ph);
	for (i = 0; i < nph && strcmp(ph[i].name, phase); i++)
		;
	if (i < nph) {
		fmt_time(ph[i].start_ns, from, sizeof(from));
		fmt_time(ph[i].end_ns, to, sizeof(to));
	}
	if (!strcmp(phase, "contended") && sp->n_contention > 0) {
		contention_cpus(sp, cpus, sizeof(cpus), &shared);
		cat(buf, len, &w, "While %s %s %s", sp->n_contention > 1 ?
		    "host busy loops" : "a host busy loop", shared ? "shared" : "ran on", cpus);
		if (shared)
			cat(buf, len, &w, " with the vCPU%s", sp->vcpus > 1 ?
			    (native ? " threads" : "s") : (native ? " thread" : ""));
	} else if (!strcmp(phase, "all")) {
		cat(buf, len, &w, "Over the whole run%s",
		    sp->n_contention ? "" : " (no host busy loop)");
		return;
	} else {
		cat(buf, len, &w, "During the %s phase", phase);
	}
	if (i < nph)
		cat(buf, len, &w, " (%s to %s)", from, to);
}

/* The phase the reading is about: contended, else all, else the first one shown. */
static const char *main_phase(const struct report *r, const char *policy)
{
	static const char *const pref[] = { "contended", "all" };
	const char *first = NULL;
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < r->nrows; i++)
			if (!strcmp(r->rows[i].policy, policy) && !strcmp(r->rows[i].phase, pref[k]))
				return pref[k];
	for (i = 0; i < r->nrows && !first; i++)
		if (!strcmp(r->rows[i].policy, policy))
			first = r->rows[i].phase;
	return first;
}

/* ---- rendering ------------------------------------------------------------ */

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
	"max-width:72em;padding:0 1em;color:#222;line-height:1.45}\n"
	"h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\n"
	".desc{color:#444;font-size:1.1em;margin-top:0}\n"
	".banner{background:#fff3cd;border:2px solid #e0a800;padding:.8em 1em;"
	"font-weight:bold;margin:1em 0}\n"
	".reading{background:#f4f8fb;border-left:4px solid #3a7bd5;padding:.6em 1em}\n"
	".skipped{background:#f8f0f0;border-left:4px solid #c0392b;padding:.4em 1em}\n"
	"table{border-collapse:collapse;font-size:.88em;margin:.5em 0}\n"
	"th,td{border:1px solid #ccc;padding:.25em .5em}\n"
	"th{background:#f0f0f0;vertical-align:bottom}td.n{text-align:right;"
	"font-variant-numeric:tabular-nums}\n"
	".u{display:block;font-weight:normal;color:#666}\n"
	"figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}\n"
	"figcaption{color:#555;font-size:.9em}\n"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}"
	"dt{font-weight:bold}dd{margin:0}\n"
	"pre{background:#f7f7f7;border:1px solid #ddd;padding:.8em;overflow-x:auto}\n"
	"code{font-family:ui-monospace,monospace}footer{color:#888;font-size:.85em;"
	"margin-top:3em}\n";

struct column {
	enum summary_metric m;
	const char *label;
	const char *unit;
	double scale;
	int decimals;
};

static const struct column columns[] = {
	{ SM_UNITS_DONE, "units done", "count", 1, 0 },
	{ SM_WORK_RATE_UPS, "work rate", "units/s", 1, 1 },
	{ SM_WORK_RATE_FRAC, "of baseline", "%", 100, 1 },
	{ SM_COMPLETION_NS, "completion", "ms", 1e-6, 1 },
	{ SM_LONGEST_STALL_NS, "longest stall", "ms", 1e-6, 2 },
	{ SM_P99_GAP_NS, "p99 gap", "ms", 1e-6, 2 },
	{ SM_GUEST_STEAL_PCT, "guest steal", "%", 1, 1 },
	{ SM_GUEST_TICK_STEAL_PCT, "guest tick steal", "%", 1, 1 },
	{ SM_HOST_DELAY_PCT, "host run delay", "%", 1, 1 },
	{ SM_STEAL_DIFF_PCT, "guest \xe2\x88\x92 host", "points", 1, 1 },
	{ SM_HOST_USR_PCT, "host usr", "%", 1, 1 },
	{ SM_HOST_SYS_PCT, "host sys", "%", 1, 1 },
	{ SM_HOST_STEAL_PCT, "host steal", "%", 1, 1 },
};

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* "%.*f", except that a value rounding to zero prints without a sign ("-0.0"). */
static const char *fmt_cell(char *buf, size_t len, double v, int decimals)
{
	snprintf(buf, len, "%.*f", decimals, v);
	if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
		memmove(buf, buf + 1, strlen(buf));
	return buf;
}

/*
 * What a row stands for: "mean of 3", "1 run" (a mean of one run is that
 * run), or "run 2" for one of several repetitions shown without a mean
 * (summary.csv counts repetitions from 0).
 */
static void render_runs(FILE *fp, const struct row *row)
{
	char *end;
	long k;

	if (row->nreps > 1) {
		fprintf(fp, "mean of %d", row->nreps);
		return;
	}
	if (row->nreps == 1 || row->single) {
		fputs("1 run", fp);
		return;
	}
	k = strtol(row->rep, &end, 10);
	if (end != row->rep && !*end && k >= 0 && k < 1000000) {
		fprintf(fp, "run %ld", k + 1);
		return;
	}
	html(fp, row->rep);
}

static void render_table(FILE *fp, const struct report *r)
{
	char cell[64];
	size_t i, c;

	fputs("<table>\n<tr><th>policy</th><th>phase</th><th>vCPU</th><th>runs</th>", fp);
	for (c = 0; c < NCOLUMNS; c++) {
		fputs("<th>", fp);
		html(fp, columns[c].label);
		fputs("<span class=\"u\">", fp);
		html(fp, columns[c].unit);
		fputs("</span></th>", fp);
	}
	fputs("</tr>\n", fp);
	for (i = 0; i < r->nrows; i++) {
		const struct row *row = &r->rows[i];

		fputs("<tr><td>", fp);
		html(fp, row->policy);
		fputs("</td><td>", fp);
		html(fp, row->phase);
		fputs("</td><td>", fp);
		html(fp, row->vcpu);
		fputs("</td><td>", fp);
		render_runs(fp, row);
		fputs("</td>", fp);
		for (c = 0; c < NCOLUMNS; c++) {
			double v = summary_metric(&row->s, columns[c].m);

			if (isnan(v))
				fputs("<td class=\"n\">" DASH "</td>", fp);
			else
				fprintf(fp, "<td class=\"n\">%s</td>",
					fmt_cell(cell, sizeof(cell), v * columns[c].scale,
						 columns[c].decimals));
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

/* <figure> for <dir>/<base>.png when it exists, with a link to the SVG. */
static void render_plot(FILE *fp, const struct report *r, const char *base, const char *caption)
{
	char png[PATH_MAX], svg[PATH_MAX], name[SPEC_NAME_MAX + 32];
	int have_png, have_svg;

	snprintf(name, sizeof(name), "%s.png", base);
	have_png = !path_in(png, sizeof(png), r->dir, name, NULL) && is_file(png);
	snprintf(name, sizeof(name), "%s.svg", base);
	have_svg = !path_in(svg, sizeof(svg), r->dir, name, NULL) && is_file(svg);
	if (!have_png && !have_svg)
		return;
	fputs("<figure>", fp);
	if (have_png) {
		fputs("<img src=\"", fp);
		html(fp, base);
		fputs(".png\" alt=\"", fp);
		html(fp, caption);
		fputs("\">", fp);
	}
	fputs("<figcaption>", fp);
	html(fp, caption);
	if (have_svg) {
		fputs(" (<a href=\"", fp);
		html(fp, base);
		fputs(".svg\">SVG</a>)", fp);
	}
	fputs("</figcaption></figure>\n", fp);
}

/* The sentences for one policy, one per vCPU row of its main phase. */
static void render_reading(FILE *fp, const struct report *r, const struct policy_info *p)
{
	const char *phase = main_phase(r, p->name), *backend = policy_backend(r, p);
	int native = !strcmp(backend, "native"), have_all = 0, nvcpu = 0, nsentences = 0;
	char when[256], subject[64], text[READING_LEN];
	struct report_reading in;
	size_t i;

	if (!phase)
		return;
	build_when(p, phase, native, when, sizeof(when));
	for (i = 0; i < r->nrows; i++) {
		const struct row *row = &r->rows[i];

		if (strcmp(row->policy, p->name) || strcmp(row->phase, phase))
			continue;
		if (!strcmp(row->vcpu, "all"))
			have_all = 1;
		else
			nvcpu++;
	}
	for (i = 0; i < r->nrows; i++) {
		const struct row *row = &r->rows[i];
		int all = !strcmp(row->vcpu, "all");

		if (strcmp(row->policy, p->name) || strcmp(row->phase, phase) || all != have_all)
			continue;
		/* native: threads of the tool play the vCPUs, so they are named as threads */
		in.plural = all;
		if (all)
			snprintf(subject, sizeof(subject), "the vCPU%s", native ? " threads" : "s");
		else if (nvcpu == 1)
			snprintf(subject, sizeof(subject), "the vCPU%s", native ? " thread" : "");
		else
			snprintf(subject, sizeof(subject), "vCPU%s %.16s", native ? " thread" : "",
				 row->vcpu);
		in.backend = backend;
		in.backend_note = nsentences++ == 0;
		in.when = when;
		in.subject = subject;
		in.s = &row->s;
		report_reading_text(&in, text, sizeof(text));
		fputs("<p class=\"reading\">", fp);
		html(fp, text);
		fputs("</p>\n", fp);
	}
}

static void render_phases(FILE *fp, const struct spec *sp)
{
	struct spec_phase ph[SPEC_MAX_PHASES];
	char a[DURATION_FMT_LEN], b[DURATION_FMT_LEN];
	int i, n = spec_phases(sp, ph);

	fputs("<p>Phases: ", fp);
	for (i = 0; i < n; i++) {
		fmt_time(ph[i].start_ns, a, sizeof(a));
		fmt_time(ph[i].end_ns, b, sizeof(b));
		fprintf(fp, "%s%s [%s, %s)", i ? ", " : "", ph[i].name, a, b);
	}
	fprintf(fp, "; %d repetition%s.</p>\n", sp->repeat, sp->repeat == 1 ? "" : "s");
}

static void render_policy(FILE *fp, const struct report *r, const struct policy_info *p)
{
	char base[SPEC_NAME_MAX + 16];
	int has_rows = 0;
	size_t i;

	for (i = 0; i < r->nrows && !has_rows; i++)
		has_rows = !strcmp(r->rows[i].policy, p->name);
	if (r->npol > 1 || strcmp(p->name, "default")) {
		fputs("<h3>Policy ", fp);
		html(fp, p->name);
		fputs("</h3>\n", fp);
		if (p->description[0]) {
			fputs("<p class=\"desc\">", fp);
			html(fp, p->description);
			fputs("</p>\n", fp);
		}
	}
	if (p->skipped) {
		fputs("<p class=\"skipped\">Skipped: ", fp);
		html(fp, p->skipped);
		fputs("</p>\n", fp);
		return;
	}
	if (!strcmp(p->status, "failed")) {
		fputs("<p class=\"skipped\">Failed", fp);
		if (p->reason[0]) {
			fputs(": ", fp);
			html(fp, p->reason);
		}
		fputs(". What it measured before that is shown below.</p>\n", fp);
	}
	if (p->spec)
		render_phases(fp, p->spec);
	if (has_rows)
		render_reading(fp, r, p);
	else
		fprintf(fp, "<p>No summary for this policy%s.</p>\n", r->incomplete ?
			": the run stopped before it was measured" : "");
	snprintf(base, sizeof(base), "progress-%s", p->name);
	render_plot(fp, r, base, "Progress of each guest task over time (repetition 1); the "
		    "contended interval is shaded.");
	snprintf(base, sizeof(base), "steal-%s", p->name);
	render_plot(fp, r, base, "Guest %steal and host run delay % over time, per vCPU.");
}

static void fact(FILE *fp, const char *label, const char *value)
{
	fputs("<dt>", fp);
	html(fp, label);
	fputs("</dt><dd>", fp);
	html(fp, value && value[0] ? value : "unknown");
	fputs("</dd>\n", fp);
}

static void render_run(FILE *fp, const struct report *r)
{
	const struct meta *m = &r->meta;
	char buf[512];

	fputs("<h2>What was run</h2>\n", fp);
	if (!m->present)
		fputs("<p>meta.json is missing or unreadable: no host facts were recorded.</p>\n", fp);
	fputs("<dl>\n", fp);
	if (m->present) {
		fact(fp, "Started (UTC)", m->started);
		if (m->hostname[0])
			fact(fp, "Host", m->hostname);
		fact(fp, "Machine", m->machine);
		fact(fp, "Kernel", m->kernel);
		fact(fp, "CPU model", m->cpu_model);
		fact(fp, "CPUs online", m->cpus_online);
		fact(fp, "KVM module", m->kvm_module);
		if (m->kvm_dev_usable == 1)
			snprintf(buf, sizeof(buf), "usable");
		else if (m->kvm_dev_usable == 0)
			snprintf(buf, sizeof(buf), "not usable: %s",
				 m->kvm_dev_error[0] ? m->kvm_dev_error : "no reason recorded");
		else
			buf[0] = '\0';
		fact(fp, "/dev/kvm", buf);
	}
	if (m->backend[0])
		fact(fp, "Backend", m->backend);
	else if (r->have_spec)
		fact(fp, "Backend", spec_backend_name(r->set.base.backend));
	if (m->present) {
		fact(fp, "Command line", m->cmdline);
		snprintf(buf, sizeof(buf), "%s %s", m->tool, m->version);
		fact(fp, "Tool", buf);
	}
	fputs("</dl>\n", fp);
	if (r->spec_text) {
		fputs("<p>The spec as run (spec.ini):</p>\n<pre>", fp);
		html(fp, r->spec_text);
		fputs("</pre>\n", fp);
	} else {
		fputs("<p>spec.ini is missing: the spec of this run is unknown.</p>\n", fp);
	}
}

static void render(FILE *fp, const struct report *r)
{
	size_t i, nskipped = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>", fp);
	html(fp, r->name[0] ? r->name : "stealscope run");
	fputs(" \xe2\x80\x94 stealscope report</title>\n<style>\n", fp);
	fputs(css, fp);
	fputs("</style>\n</head>\n<body>\n<h1>", fp);
	html(fp, r->name[0] ? r->name : "stealscope run");
	fputs("</h1>\n", fp);
	if (r->description[0]) {
		fputs("<p class=\"desc\">", fp);
		html(fp, r->description);
		fputs("</p>\n", fp);
	}
	if (r->incomplete)
		fputs("<div class=\"banner\">This run was interrupted; the figures cover what was "
		      "measured.</div>\n", fp);

	fputs("<h2>Result</h2>\n", fp);
	if (!r->have_summary)
		fputs("<p>No readable summary.csv: nothing was summarised"
		      " (the run stopped before its first summary, or the file is damaged).</p>\n",
		      fp);
	render_plot(fp, r, "policies", "Work rate and steal per policy, with the spread across "
		    "repetitions.");
	for (i = 0; i < r->npol; i++)
		render_policy(fp, r, &r->pol[i]);

	for (i = 0; i < r->npol; i++)
		nskipped += r->pol[i].skipped != NULL;
	if (nskipped) {
		fputs("<h2>Skipped policies</h2>\n<ul>\n", fp);
		for (i = 0; i < r->npol; i++) {
			if (!r->pol[i].skipped)
				continue;
			fputs("<li><b>", fp);
			html(fp, r->pol[i].name);
			fputs("</b>: ", fp);
			html(fp, r->pol[i].skipped);
			fputs("</li>\n", fp);
		}
		fputs("</ul>\n", fp);
	}

	if (r->have_summary) {
		fputs("<h2>Summary</h2>\n<p>Per policy, phase and vCPU: the mean over the "
		      "repetitions where there were several (\"mean of N\"), else the one run. "
		      "Percentages are of the phase's wall time; " DASH " marks a figure this run "
		      "did not measure. Every row, with sd, min and max, is in "
		      "<a href=\"summary.csv\">summary.csv</a>.</p>\n", fp);
		render_table(fp, r);
	}
	render_run(fp, r);
	fputs("<footer>Written by stealscope " STEALSCOPE_VERSION " from ", fp);
	html(fp, r->dir);
	fputs(".</footer>\n</body>\n</html>\n", fp);
}

int report_write(const char *dir)
{
	struct report r;
	struct afile *f;
	struct stat st;
	int err;

	memset(&r, 0, sizeof(r));
	r.dir = dir;
	if (stat(dir, &st))
		return log_err(-errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return log_err(-ENOTDIR, "%s: not a directory", dir);
	err = resdir_is_incomplete(dir);
	if (err < 0)
		return err;
	r.incomplete = err;
	load_spec(&r);
	load_meta(&r);
	err = load_summary(&r);
	if (!err)
		err = load_policies(&r);
	if (err)
		goto out;
	f = afile_open(dir, "report.html");
	if (!f) {
		err = -errno;
		goto out;
	}
	render(afile_fp(f), &r);
	err = afile_commit(f);
out:
	report_free(&r);
	return err;
}
