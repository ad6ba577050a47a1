/*
 * report: report.html from a results directory (see report.h).
 *
 * read -> derive -> render: the inputs are loaded by experiments/reportdata.c
 * into a struct reportdata (spec, meta facts, the summary rows worth
 * showing, the policies and their skip reasons); here the reading is derived
 * from the summary numbers only, and the page is rendered with every
 * file-borne string HTML-escaped. A file that is missing is said in the page
 * rather than failing the report: an interrupted run still gets one. This
 * file writes nothing but <dir>/report.html (through afile) and never exits.
 */
#include "experiments/report.h"

#include "common/log.h"
#include "common/markup.h"
#include "common/parse.h"
#include "common/resdir.h"
#include "experiments/reportdata.h"
#include "experiments/rates.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STEALSCOPE_VERSION
#define STEALSCOPE_VERSION "unknown"
#endif

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

/* Write @s HTML-escaped (common/markup.h). */
static void html(FILE *fp, const char *s)
{
	markup_escape(fp, s);
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

	if (!native && in->guest_steal_unavailable) {
		cat(buf, len, &n, "; the guest's own steal is unavailable (%s)",
		    in->guest_steal_unavailable);
	} else if (!native) {
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

/* ---- the command line ------------------------------------------------------ */

/* Characters that need no quoting in a shell word. */
static int shell_plain(const char *s)
{
	if (!*s)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		      "_-./=:,+@%") == strlen(s);
}

/* meta.json's command_line as one shell-quoted line (malloc'ed), NULL if absent. */
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

static const char *policy_backend(const struct reportdata *r, const struct reportdata_policy *p)
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

static void build_when(const struct reportdata_policy *p, const char *phase, int native,
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
static const char *main_phase(const struct reportdata *r, const char *policy)
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
	".warning{background:#fff8e1;border-left:4px solid #e0a800;padding:.4em 1em}\n"
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
static void render_runs(FILE *fp, const struct reportdata_row *row)
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

static void render_table(FILE *fp, const struct reportdata *r)
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
		const struct reportdata_row *row = &r->rows[i];

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
static void render_plot(FILE *fp, const struct reportdata *r, const char *base, const char *caption)
{
	char name[SPEC_NAME_MAX + 32];
	int have_png, have_svg;

	snprintf(name, sizeof(name), "%s.png", base);
	have_png = reportdata_has_file(r, name);
	snprintf(name, sizeof(name), "%s.svg", base);
	have_svg = reportdata_has_file(r, name);
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
static void render_reading(FILE *fp, const struct reportdata *r, const struct reportdata_policy *p)
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
		const struct reportdata_row *row = &r->rows[i];

		if (strcmp(row->policy, p->name) || strcmp(row->phase, phase))
			continue;
		if (!strcmp(row->vcpu, "all"))
			have_all = 1;
		else
			nvcpu++;
	}
	for (i = 0; i < r->nrows; i++) {
		const struct reportdata_row *row = &r->rows[i];
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
		in.guest_steal_unavailable = r->meta.guest_steal[0] ? r->meta.guest_steal : NULL;
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

/*
 * The warning the runner prints for a baseline that was not quiet, here for
 * whoever reads the report: one line per vCPU row (or the "all" row) of
 * @p's baseline whose run delay exceeds SUMMARY_QUIET_BASELINE_PCT.
 */
static void render_noisy_baseline(FILE *fp, const struct reportdata *r,
				  const struct reportdata_policy *p)
{
	char text[320], subject[32];
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		const struct reportdata_row *row = &r->rows[i];

		if (strcmp(row->policy, p->name) ||
		    !summary_baseline_noisy(row->phase, &row->s, SUMMARY_QUIET_BASELINE_PCT))
			continue;
		if (strcmp(row->vcpu, "all"))
			snprintf(subject, sizeof(subject), "vCPU %.16s", row->vcpu);
		else
			snprintf(subject, sizeof(subject), "the vCPUs together");
		snprintf(text, sizeof(text), "The baseline was not quiet: %s spent %.1f%% of the "
			 "time waiting before any host contention started (other load on the "
			 "CPU?), so the contended figures and every fraction of the baseline are "
			 "measured against a disturbed reference.", subject, row->s.host_delay_pct);
		fputs("<p class=\"warning\">", fp);
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

/* The steal figure's caption: its rates are windowed (experiments/rates.h). */
static void steal_caption(const struct spec *sp, char *buf, size_t len)
{
	char span[DURATION_FMT_LEN];
	int k;

	if (!sp) {
		snprintf(buf, len, "Guest %%steal and host run delay %% over time, per vCPU, each "
			 "point over a sliding window of max(sample interval, 50ms).");
		return;
	}
	k = rates_window(sp->sample_interval_ns);
	duration_format(k * sp->sample_interval_ns, span, sizeof(span));
	snprintf(buf, len, "Guest %%steal and host run delay %% over time, per vCPU, each point "
		 "over a sliding window of %s (%d sample%s): run delay is credited only when the "
		 "thread gets the CPU back, so single samples are lumpy.", span, k,
		 k == 1 ? "" : "s");
}

static void render_policy(FILE *fp, const struct reportdata *r, const struct reportdata_policy *p)
{
	char base[SPEC_NAME_MAX + 16], caption[320];
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
	if (has_rows) {
		render_reading(fp, r, p);
		render_noisy_baseline(fp, r, p);
	}
	else
		fprintf(fp, "<p>No summary for this policy%s.</p>\n", r->incomplete ?
			": the run stopped before it was measured" : "");
	snprintf(base, sizeof(base), "progress-%s", p->name);
	render_plot(fp, r, base, "Progress of each guest task over time (repetition 1); the "
		    "contended interval is shaded.");
	snprintf(base, sizeof(base), "steal-%s", p->name);
	steal_caption(p->spec, caption, sizeof(caption));
	render_plot(fp, r, base, caption);
}

static void fact(FILE *fp, const char *label, const char *value)
{
	fputs("<dt>", fp);
	html(fp, label);
	fputs("</dt><dd>", fp);
	html(fp, value && value[0] ? value : "unknown");
	fputs("</dd>\n", fp);
}

static void render_run(FILE *fp, const struct reportdata *r)
{
	const struct reportdata_meta *m = &r->meta;
	char buf[2048], *cmdline;

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
	if (m->backend[0] && !strcmp(m->backend_requested, "auto")) {
		snprintf(buf, sizeof(buf), "%s (chosen by --backend auto: %s)", m->backend,
			 m->backend_reason[0] ? m->backend_reason : "no reason recorded");
		fact(fp, "Backend", buf);
	} else if (m->backend[0]) {
		fact(fp, "Backend", m->backend);
	} else if (r->have_spec) {
		fact(fp, "Backend", spec_backend_name(r->set.base.backend));
	}
	if (m->kvm_route[0]) {
		snprintf(buf, sizeof(buf), "%s (%s)", m->kvm_route, m->kvm_route_reason);
		fact(fp, "kvm-mini route", buf);
		fact(fp, "kvm-mini's KVM module", m->kvm_mini_module);
		if (m->kvm_startup[0])
			snprintf(buf, sizeof(buf), "%s from process start to the first guest "
				 "instruction (first repetition)%s", m->kvm_startup,
				 m->kvm_route_caveat[0] ? "; under TCG, not representative" : "");
		else
			buf[0] = '\0';
		fact(fp, "kvm-mini start-up", buf);
		fact(fp, "Guest steal", "exact (KVM paravirtual steal time) and by the guest's "
		     "tick accounting (vcpu.csv guest_steal_ns, tick_steal)");
	}
	if (m->domain_type[0]) {
		snprintf(buf, sizeof(buf), "%s%s (%s)", m->domain_type,
			 strcmp(m->domain_type, "qemu") ? "" : ", TCG", m->domain_type_reason);
		fact(fp, "Domain type", buf);
		fact(fp, "libvirt URI", m->connect_uri);
		fact(fp, "Guest image", m->guest_image);
		fact(fp, "Guest start-up", m->guest_boot);
		fact(fp, "Guest steal", m->guest_steal[0] ? m->guest_steal :
		     "measured by the guest's tick accounting (steal ticks in vcpu.csv)");
	}
	if (m->present) {
		cmdline = join_command_line(&m->doc);
		fact(fp, "Command line", cmdline);
		free(cmdline);
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

static void render(FILE *fp, const struct reportdata *r)
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
	if (r->meta.kvm_route_caveat[0]) {
		fputs("<div class=\"banner\">Nested route: ", fp);
		html(fp, r->meta.kvm_route_caveat);
		fputs(".</div>\n", fp);
	}

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
	struct reportdata r;
	struct afile *f;
	int err;

	err = reportdata_load(dir, &r);
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
	reportdata_free(&r);
	return err;
}
