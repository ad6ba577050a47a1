/*
 * kmroute: see kmroute.h. The nested boot is experiments/kmnested.h's
 * harness call with the static agent, kvm-mini and the plan as its files;
 * the kvm route runs the same plan here with kmplan_run().
 */
#include "bench/kmroute.h"

#include "bench/figures.h"
#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/timeutil.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUEST_OUT "/tmp/kb"            /* the agent's --out inside L1 */
#define BOOT_S 120                     /* boot, modules, the tar back, a first image build */

const bench_km_plan_fn bench_km_plans[BENCH_FIGURES] = {
	kmfig_plan_startup, kmfig_plan_stamps, NULL, kmfig_plan_steal, kmfig_plan_slicing,
	kmfig_plan_memory, kmfig_plan_scale,
};

static int group_of(const struct bench_ctx *c, int figure)
{
	if (c->quick)
		return 0;
	return figure == 1 || figure == 6 || figure == 7 ? 0 : 1;
}

static int online_count(void)
{
	cpu_set_t set;

	return cpus_online(NULL, &set) == 0 && CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
}

enum bench_km_route bench_km_probe(struct bench_ctx *c)
{
	struct bench_km *km = c->km;
	const struct hostinfo *h = &c->tab->host;
	char nested_why[512], dir[PATH_MAX];

	if (km->probed)
		return km->route;
	km->probed = 1;
	snprintf(km->kvm_mini, sizeof(km->kvm_mini), "%s/kvm-mini", c->bindir);
	if (h->kvm_dev_usable && access(km->kvm_mini, X_OK) == 0) {
		km->route = BENCH_KM_KVM;
		km->ncpus = online_count();
		km->cpu = c->cpu;
		return km->route;
	}
	if (kmnested_available(&km->nested, NULL, 1, nested_why, sizeof(nested_why)) == 0) {
		snprintf(dir, sizeof(dir), "%s", km->nested.kmini);
		snprintf(km->agent, sizeof(km->agent), "%s/%s", dirname(dir), BENCH_KM_AGENT);
		if (access(km->agent, X_OK) == 0) {
			km->route = BENCH_KM_NESTED;
			km->ncpus = km->nested.smp;
			km->cpu = km->ncpus - 1;
			return km->route;
		}
		snprintf(nested_why, sizeof(nested_why), "the static %s is not built (make %s)",
			 BENCH_KM_AGENT, "build/nested/bin/" BENCH_KM_AGENT);
	}
	if (h->kvm_dev_usable)
		snprintf(km->why, sizeof(km->why), "%.900s is not built (make)", km->kvm_mini);
	else
		snprintf(km->why, sizeof(km->why), "kvm-mini needs /dev/kvm: %s (KVM module here: "
			 "%s); nested route: %s", h->kvm_dev_error[0] ? h->kvm_dev_error :
			 "not usable", h->kvm_module, nested_why);
	km->route = BENCH_KM_NONE;
	return km->route;
}

const char *bench_km_where(const struct bench_ctx *c)
{
	switch (c->km->route) {
	case BENCH_KM_KVM:
		return "kvm";
	case BENCH_KM_NESTED:
		return "nested-tcg";
	default:
		return "";
	}
}

const char *bench_km_where_words(const struct bench_ctx *c)
{
	if (c->km->route == BENCH_KM_KVM)
		return "directly on this host's /dev/kvm";
	return "inside the nested L1 guest of scripts/kvm-nested.sh (Debian's kernel under "
	       "QEMU TCG with nested SVM; docs/kvm-nested.md)";
}

const char *bench_km_group_words(const struct bench_ctx *c, int figure)
{
	static char words[1024];
	const struct bench_km_group *g = &c->km->group[group_of(c, figure)];
	size_t n;
	int fig;

	if (!g->done)
		return "";
	n = (size_t)snprintf(words, sizeof(words), " %s %d kvm-mini runs of figure%s",
			     c->km->route == BENCH_KM_NESTED ? "One boot of the L1 guest ran the" :
			     "The", g->nruns, (g->figures & (g->figures - 1)) ? "s" : "");
	for (fig = 1; fig <= BENCH_FIGURES && n < sizeof(words); fig++)
		if (g->figures & (1u << fig))
			n += (size_t)snprintf(words + n, sizeof(words) - n, "%s %d",
					      (g->figures & ((1u << fig) - 1)) ? "," : "", fig);
	if (n < sizeof(words))
		n += (size_t)snprintf(words + n, sizeof(words) - n,
				      "%s one after another, in %.0f s%s.",
				      c->km->route == BENCH_KM_NESTED ? "," : " ran", g->elapsed_s,
				      c->km->route == BENCH_KM_NESTED ?
				      " from its start to the files back" : "");
	if (g->retried[0] && n < sizeof(words))
		snprintf(words + n, sizeof(words) - n, " The boot before it failed (%s) and was "
			 "repeated once.", g->retried);
	return words;
}

/* Boot L1 once with the agent, kvm-mini and the plan; collect GUEST_OUT into g->dir. */
static int run_nested(struct bench_ctx *c, struct bench_km_group *g, const char *plan_path,
		      const char *log, int timeout_s, int *status)
{
	const struct bench_km *km = c->km;
	char timeout[16], smp[16], collect[PATH_MAX + 32], plan_in_l1[PATH_MAX];
	char base[PATH_MAX];
	char *argv[] = {
		(char *)km->nested.harness, "--timeout", timeout, "--smp", smp,
		"--file", (char *)km->agent, "--file", (char *)km->nested.kmini,
		"--file", (char *)plan_path, "--collect", collect, "--",
		BENCH_KM_AGENT, "--plan", plan_in_l1, "--out", GUEST_OUT,
		"--kvm-mini", "/bin/" KMPLAN_KVM_MINI, NULL,
	};

	snprintf(base, sizeof(base), "%s", plan_path);
	snprintf(timeout, sizeof(timeout), "%d", timeout_s);
	snprintf(smp, sizeof(smp), "%d", km->nested.smp);
	snprintf(collect, sizeof(collect), "%s:%s", GUEST_OUT, g->dir);
	snprintf(plan_in_l1, sizeof(plan_in_l1), "/bin/%s", basename(base));
	return kmnested_exec(argv, timeout_s, log, status);
}

/*
 * run_nested(), and once more when the boot itself failed (timed out, or
 * ended without the agent's status): the L1 guest runs under TCG on a
 * shared machine and, rarely, stalls. The first boot's failure stays in
 * g->retried (said in the method text) and its log as LOG.first; a
 * failure that remains goes to g->why. The agent's own non-zero status is
 * not retried: its runs said why in their .err files.
 */
static int run_nested_twice(struct bench_ctx *c, struct bench_km_group *g,
			    const char *plan_path, const char *log, int timeout_s, int *status)
{
	char first[PATH_MAX + 16];
	int attempt, rc = 0;

	for (attempt = 1; attempt <= 2; attempt++) {
		*status = 0;
		g->why[0] = '\0';
		rc = run_nested(c, g, plan_path, log, timeout_s, status);
		if (rc == -EINTR)
			return rc;
		if (rc)
			snprintf(g->why, sizeof(g->why), "the nested boot failed: %s",
				 log_last_error());
		else if (*status)
			snprintf(g->why, sizeof(g->why), "the nested boot exited %d%s (see %.500s)",
				 *status, *status == KMNESTED_TIMED_OUT ? ", its timeout" :
				 *status == KMNESTED_NO_STATUS ? ", no status from the guest" : "", log);
		if (attempt == 2 || !kmnested_boot_failed(rc, *status))
			break;
		if (cli_stop_requested())
			return -EINTR;
		/* a harness killed mid-collect may have left part of a tar behind */
		fileio_remove_tree(g->dir);
		snprintf(first, sizeof(first), "%s.first", log);
		rename(log, first);
		_Static_assert(sizeof(g->retried) == sizeof(g->why), "retried holds a why");
		memcpy(g->retried, g->why, sizeof(g->retried));
		log_warn("%s; booting it once more (the first log is %s)", g->why, first);
	}
	return rc;
}

/* Plan the selected figures of group @gi and run the plan; fills g (done, ok, why). */
static int run_group(struct bench_ctx *c, int gi)
{
	struct bench_km_group *g = &c->km->group[gi];
	struct kmplan plan = { 0 };
	char name[32], path[PATH_MAX], runs[PATH_MAX + 16], log[PATH_MAX + 8];
	int64_t start = mono_ns();
	int fig, status = 0, timeout_s, rc = 0;

	g->done = 1;
	for (fig = 1; fig <= BENCH_FIGURES && !rc; fig++) {
		if (!bench_km_plans[fig - 1] || !(c->figures & (1u << fig)) ||
		    group_of(c, fig) != gi)
			continue;
		rc = bench_km_plans[fig - 1](c, &plan);
		g->figures |= 1u << fig;
	}
	g->nruns = plan.nruns;
	snprintf(name, sizeof(name), "km-%d.plan", gi);
	rc = rc ? rc : bench_work_path(c, path, sizeof(path), "%s", name);
	rc = rc ? rc : bench_work_path(c, g->dir, sizeof(g->dir), "km-%d", gi);
	rc = rc ? rc : afile_write_string(c->work, name, plan.text ? plan.text : "");
	if (rc)
		goto out;
	timeout_s = BOOT_S + 2 * plan.expect_s;
	if (timeout_s > 3600)
		timeout_s = 3600;
	if (cli_progress_wanted())
		fprintf(stderr, "stealbench: %d kvm-mini runs %s (%s)\n", plan.nruns,
			c->km->route == BENCH_KM_NESTED ? "in one nested boot" : "on /dev/kvm",
			path);
	snprintf(log, sizeof(log), "%s.log", g->dir);
	if (c->km->route == BENCH_KM_NESTED) {
		rc = run_nested_twice(c, g, path, log, timeout_s, &status);
		if (rc == -EINTR)
			goto out;
	} else {
		if (mkdir(g->dir, 0755) && errno != EEXIST) {
			rc = log_err(-errno, "mkdir %s: %s", g->dir, strerror(errno));
			goto out;
		}
		rc = kmplan_run(path, g->dir, c->km->kvm_mini, 0);
		if (rc == -EINTR)
			goto out;
		if (rc)
			snprintf(g->why, sizeof(g->why), "the kvm-mini runs failed: %s",
				 log_last_error());
	}
	g->elapsed_s = (double)(mono_ns() - start) / 1e9;
	if (!rc && !status) {
		snprintf(runs, sizeof(runs), "%s/%s", g->dir, KMPLAN_RUNS);
		if (csv_table_load(runs, &g->runs) == 0)
			g->ok = 1;
		else
			snprintf(g->why, sizeof(g->why), "no runs.csv came back: %s",
				 log_last_error());
	}
	rc = 0;
out:
	kmplan_free(&plan);
	return rc;
}

int bench_km_ready(struct bench_ctx *c, int figure)
{
	struct bench_km_group *g;
	int rc;

	if (bench_km_probe(c) == BENCH_KM_NONE)
		return 1;
	g = &c->km->group[group_of(c, figure)];
	if (!g->done) {
		rc = run_group(c, group_of(c, figure));
		if (rc)
			return rc;
	}
	return g->ok ? 0 : 1;
}

int bench_km_run(const struct bench_ctx *c, int figure, const char *tag,
		 struct bench_km_run *r)
{
	const struct bench_km_group *g = &c->km->group[group_of(c, figure)];
	const struct csv_table *t = &g->runs;
	int c_tag = csv_table_col(t, "tag"), c_st = csv_table_col(t, "status");
	int c_to = csv_table_col(t, "timed_out"), c_wall = csv_table_col(t, "wall_ns");
	int c_cpu = csv_table_col(t, "cpu_ns"), c_rss = csv_table_col(t, "maxrss_kib");
	int c_peak = csv_table_col(t, "rss_peak_kib");
	int64_t st, to, rss, peak;
	size_t i;

	if (c_tag < 0 || c_st < 0 || c_to < 0 || c_wall < 0 || c_cpu < 0 || c_rss < 0 ||
	    c_peak < 0)
		return log_err(-EINVAL, "%s/%s: not the columns of kmplan", g->dir, KMPLAN_RUNS);
	for (i = 0; i < t->nrows; i++) {
		if (strcmp(csv_table_cell(t, i, (size_t)c_tag), tag))
			continue;
		if (csv_table_i64(t, i, (size_t)c_st, &st) ||
		    csv_table_i64(t, i, (size_t)c_to, &to) ||
		    csv_table_i64(t, i, (size_t)c_wall, &r->wall_ns) ||
		    csv_table_i64(t, i, (size_t)c_cpu, &r->cpu_ns) ||
		    csv_table_i64(t, i, (size_t)c_rss, &rss) ||
		    csv_table_i64(t, i, (size_t)c_peak, &peak))
			return -EINVAL;
		r->status = (int)st;
		r->timed_out = (int)to;
		r->maxrss_kib = (long)rss;
		r->rss_peak_kib = (long)peak;
		snprintf(r->dir, sizeof(r->dir), "%s/%s", g->dir, tag);
		snprintf(r->out, sizeof(r->out), "%s/%s.out", g->dir, tag);
		return 0;
	}
	return log_err(-ENOENT, "%s/%s: no run %s", g->dir, KMPLAN_RUNS, tag);
}

int bench_km_good_run(const struct bench_ctx *c, int figure, const char *tag,
		      struct bench_km_run *r, struct bench_km_fails *f)
{
	const char *dir = c->km->group[group_of(c, figure)].dir;

	if (bench_km_run(c, figure, tag, r)) {
		if (!f->n++)
			snprintf(f->first, sizeof(f->first), "%s", log_last_error());
		return 0;
	}
	if (r->status == 0 && !r->timed_out)
		return 1;
	if (!f->n++) {
		if (r->timed_out)
			snprintf(f->first, sizeof(f->first), "run %s timed out (see %s/%s.err)",
				 tag, dir, tag);
		else
			snprintf(f->first, sizeof(f->first), "run %s exited %d (see %s/%s.err)",
				 tag, r->status, dir, tag);
	}
	return 0;
}

void bench_km_fail_read(struct bench_km_fails *f)
{
	if (!f->n++)
		snprintf(f->first, sizeof(f->first), "%s", log_last_error());
}

void bench_km_fails_note(const struct bench_km_fails *f, int total, char *note, size_t len)
{
	if (!f->n)
		snprintf(note, len, "%s", "");
	else
		snprintf(note, len, "%d of %d runs failed and are left out; the first: %s", f->n,
			 total, f->first);
}

int bench_km_missing(struct bench_ctx *c, int figure, const char *id, const char *what,
		     const char *why)
{
	const struct bench_km_group *g = &c->km->group[group_of(c, figure)];
	struct bench_row *r;

	if (!why && c->km->route == BENCH_KM_NONE) {
		r = bench_add_missing(c->tab, figure, id, what, BENCH_UNMEASURABLE, c->km->why);
		return r ? 0 : -ENOSPC;
	}
	r = bench_add_missing(c->tab, figure, id, what, BENCH_NOT_MEASURED, why ? why : g->why);
	if (!r)
		return -ENOSPC;
	snprintf(r->where, sizeof(r->where), "%s", bench_km_where(c));
	return 0;
}

int bench_km_missingf(struct bench_ctx *c, int figure, const char *id_fmt,
		      const char *what_fmt, ...)
{
	char id[BENCH_ID_LEN], what[sizeof(c->tab->rows[0].what)];
	va_list ap, aq;

	va_start(ap, what_fmt);
	va_copy(aq, ap);
	vsnprintf(id, sizeof(id), id_fmt, ap);
	vsnprintf(what, sizeof(what), what_fmt, aq);
	va_end(aq);
	va_end(ap);
	return bench_km_missing(c, figure, id, what, NULL);
}

int bench_km_row(struct bench_ctx *c, int figure, const char *id, const char *what,
		 const char *unit, const double *v, size_t nv, const char *baseline,
		 const double *b, size_t nb, const char *note)
{
	int rc;

	if (!bench_any_number(v, nv) || !bench_any_number(b, nb))
		return bench_km_missing(c, figure, id, what, note && *note ? note :
					"no run gave a number");
	rc = bench_row(c, figure, id, what, unit, v, nv, baseline, b, nb, note);
	if (!rc)
		snprintf(c->tab->rows[c->tab->n - 1].where,
			 sizeof(c->tab->rows[0].where), "%s", bench_km_where(c));
	return rc;
}

void bench_km_free(struct bench_km *km)
{
	int i;

	for (i = 0; i < BENCH_KM_GROUPS; i++)
		csv_table_free(&km->group[i].runs);
}
