/*
 * watchview: see watchview.h. Text only, from the rows it is given.
 */
#include "experiments/watchview.h"

#include "common/parse.h"
#include "experiments/watchdata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HOST_COL_MAX 40                /* on a terminal, longer URIs are cut */
#define DOMAIN_COL_MAX 32

static int cmp_vcpu(const void *pa, const void *pb)
{
	const struct watchview_vcpu *a = pa, *b = pb;
	int ha = !!(a->have & WATCHVIEW_DELAY), hb = !!(b->have & WATCHVIEW_DELAY);
	int c;

	if (ha != hb)
		return hb - ha;
	if (ha && a->delay_pct != b->delay_pct)
		return a->delay_pct > b->delay_pct ? -1 : 1;
	c = strcmp(a->host, b->host);
	if (c)
		return c;
	c = strcmp(a->domain, b->domain);
	if (c)
		return c;
	return a->vcpu < b->vcpu ? -1 : a->vcpu > b->vcpu;
}

void watchview_sort(struct watchview_vcpu *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_vcpu);
}

/* What one frame is written with. */
struct out {
	FILE *f;
	const char *eol;               /* "\n", or clear-to-end-of-line first */
	int ansi;
};

static void pct(struct out *o, int have, double v)
{
	if (have)
		fprintf(o->f, " %6.1f", v);
	else
		fprintf(o->f, " %6s", "-");
}

/* @s in a column of @width, cut with "~" when longer (only when @cut). */
static void cell(struct out *o, const char *s, int width, int cut)
{
	int len = (int)strlen(s);

	if (cut && len > width)
		fprintf(o->f, "%.*s~ ", width - 1, s);
	else
		fprintf(o->f, "%-*s ", width, s);
}

static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

static void header(struct out *o, const struct watchview_frame *fr)
{
	char every[DURATION_FMT_LEN];

	duration_format(fr->interval_ns, every, sizeof(every));
	fprintf(o->f, "stealscope watch: %.3f s, every %s%s", secs(fr->elapsed_ns), every, o->eol);
}

static void cpu_lines(struct out *o, const struct watchview_frame *fr)
{
	const struct watchview_cpu *c;
	size_t i;

	fprintf(o->f, "%-5s %6s %6s %6s%s", "CPU", "%usr", "%sys", "%steal", o->eol);
	for (i = 0; i < fr->ncpus; i++) {
		c = &fr->cpus[i];
		if (c->cpu < 0)
			fprintf(o->f, "%-5s", "all");
		else
			fprintf(o->f, "%-5d", c->cpu);
		pct(o, c->have, c->usr_pct);
		pct(o, c->have, c->sys_pct);
		pct(o, c->have, c->steal_pct);
		fputs(o->eol, o->f);
	}
}

static void host_line(struct out *o, const struct watchview_frame *fr,
		      const struct watchview_host *h, int width)
{
	int64_t next = h->retry_ns - fr->now_ns;

	fprintf(o->f, "host ");
	cell(o, h->uri, width, o->ansi);
	switch (h->state) {
	case WATCH_HOST_UP:
		fprintf(o->f, "up: %zu domain%s running, %zu vCPU%s", h->ndoms,
			h->ndoms == 1 ? "" : "s", h->nvcpus, h->nvcpus == 1 ? "" : "s");
		if (h->why && h->why[0])
			fprintf(o->f, " (%s)", h->why);
		break;
	case WATCH_HOST_UNREACHABLE:
	case WATCH_HOST_LOST:
		if (!h->attempt) {             /* a call hangs: nothing scheduled */
			fprintf(o->f, "%s for %.1f s: %s", watchdata_state_name(h->state),
				secs(fr->now_ns - h->since_ns), h->why ? h->why : "");
			break;
		}
		fprintf(o->f, "%s for %.1f s, attempt %u failed, next in %.1f s: %s",
			watchdata_state_name(h->state), secs(fr->now_ns - h->since_ns), h->attempt,
			secs(next > 0 ? next : 0), h->why ? h->why : "");
		break;
	case WATCH_HOST_DEAD:
		fprintf(o->f, "not watched any more: %s", h->why ? h->why : "");
		break;
	default:
		fprintf(o->f, "%s", watchdata_state_name(h->state));
		break;
	}
	fputs(o->eol, o->f);
}

static void host_lines(struct out *o, const struct watchview_frame *fr)
{
	int width = 4;
	size_t i;

	if (!fr->libvirt) {
		fprintf(o->f, "libvirt: not watched (no --connect URI)%s", o->eol);
		return;
	}
	for (i = 0; i < fr->nhosts; i++) {
		if ((int)strlen(fr->hosts[i].uri) > width)
			width = (int)strlen(fr->hosts[i].uri);
	}
	if (o->ansi && width > HOST_COL_MAX)
		width = HOST_COL_MAX;
	for (i = 0; i < fr->nhosts; i++)
		host_line(o, fr, &fr->hosts[i], width);
}

static void vcpu_line(struct out *o, const struct watchview_vcpu *v, int hw, int dw)
{
	cell(o, v->host, hw, o->ansi);
	cell(o, v->domain, dw, o->ansi);
	fprintf(o->f, "%4u", v->vcpu);
	pct(o, !!(v->have & WATCHVIEW_DELAY), v->delay_pct);
	pct(o, !!(v->have & WATCHVIEW_TIME), v->time_pct);
	pct(o, !!(v->have & WATCHVIEW_WAIT), v->wait_pct);
	if (v->pcpu >= 0)
		fprintf(o->f, " %4d", v->pcpu);
	else
		fprintf(o->f, " %4s", "-");
	fputs(o->eol, o->f);
}

/* The vCPU lines, at most @max of them (0: all). */
static void vcpu_lines(struct out *o, const struct watchview_frame *fr, size_t max)
{
	int hw = 4, dw = 6;
	size_t i, shown = fr->nvcpus;

	if (!fr->libvirt)
		return;
	if (fr->nvcpus == 0) {
		fprintf(o->f, "(no running domain)%s", o->eol);
		return;
	}
	for (i = 0; i < fr->nvcpus; i++) {
		if ((int)strlen(fr->vcpus[i].host) > hw)
			hw = (int)strlen(fr->vcpus[i].host);
		if ((int)strlen(fr->vcpus[i].domain) > dw)
			dw = (int)strlen(fr->vcpus[i].domain);
	}
	if (o->ansi) {
		hw = hw > HOST_COL_MAX ? HOST_COL_MAX : hw;
		dw = dw > DOMAIN_COL_MAX ? DOMAIN_COL_MAX : dw;
	}
	cell(o, "HOST", hw, 0);
	cell(o, "DOMAIN", dw, 0);
	fprintf(o->f, "%4s %6s %6s %6s %4s%s", "VCPU", "%delay", "%time", "%wait", "CPU", o->eol);
	if (max && shown > max)
		shown = max > 1 ? max - 1 : 1;
	for (i = 0; i < shown; i++)
		vcpu_line(o, &fr->vcpus[i], hw, dw);
	if (shown < fr->nvcpus)
		fprintf(o->f, "... %zu more vCPU%s (a taller terminal shows them)%s",
			fr->nvcpus - shown, fr->nvcpus - shown == 1 ? "" : "s", o->eol);
}

int watchview_render(FILE *f, const struct watchview_frame *fr, int ansi, unsigned rows)
{
	struct out o = { f, ansi ? "\033[K\n" : "\n", ansi };
	size_t used, max = 0, hostlines;

	if (ansi)
		fputs("\033[?25l\033[H", f);   /* hide the cursor, go home */
	header(&o, fr);
	cpu_lines(&o, fr);
	host_lines(&o, fr);
	if (ansi && rows) {
		/* header, CPU title and lines, host lines, vCPU title, one spare */
		hostlines = fr->libvirt ? fr->nhosts : 1;
		used = 1 + 1 + fr->ncpus + hostlines + 1 + 1;
		max = rows > used ? rows - used : 1;
	}
	vcpu_lines(&o, fr, max);
	if (ansi)
		fputs("\033[J", f);            /* clear what an older, longer frame left */
	else
		fputc('\n', f);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

void watchview_end(FILE *f, int ansi)
{
	if (ansi) {
		fputs("\033[?25h", f);
		fflush(f);
	}
}
