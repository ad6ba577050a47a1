/*
 * reportdata: see reportdata.h. Each load_*() reads one file into the
 * struct and logs what is missing or damaged once, as a warning: the page
 * says so in words. The summary rows are chosen here (a mean where there is
 * one) because that is a question of what the file holds, not of layout.
 */
#include "experiments/reportdata.h"

#include "common/ini.h"
#include "common/log.h"
#include "common/resdir.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TEXT_MAX_BYTES (1024 * 1024)   /* spec.ini, SKIPPED */

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

static int path_in(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
	int n = b ? snprintf(buf, len, "%s/%s/%s", dir, a, b) : snprintf(buf, len, "%s/%s", dir, a);

	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "%s/%s: path too long", dir, a);
	return 0;
}

/* meta.json's "libvirt" member and the guests' start-up times, in words. */
static void load_libvirt(struct reportdata_meta *m)
{
	static const char *const img[][2] = {
		{ "kernel_package", "" }, { "kernel_version", " " },
		{ "busybox_version", ", busybox " }, { "guest_tools_version", ", guest tools " },
		{ "built_utc", ", built " },
	};
	const struct jsonget_doc *doc = &m->doc;
	char key[96], val[160], pol[SPEC_NAME_MAX];
	size_t used = 0, i;
	int n;

	if (jsonget_str(doc, "libvirt.domain_type", m->domain_type, sizeof(m->domain_type)))
		return;
	jsonget_str(doc, "libvirt.connect", m->connect_uri, sizeof(m->connect_uri));
	jsonget_str(doc, "libvirt.domain_type_reason", m->domain_type_reason,
		    sizeof(m->domain_type_reason));
	jsonget_str(doc, "libvirt.guest_steal", m->guest_steal, sizeof(m->guest_steal));
	for (i = 0; i < sizeof(img) / sizeof(img[0]) && used < sizeof(m->guest_image); i++) {
		snprintf(key, sizeof(key), "libvirt.guest_image.%s", img[i][0]);
		if (jsonget_str(doc, key, val, sizeof(val)) == 0)
			used += (size_t)snprintf(m->guest_image + used, sizeof(m->guest_image) - used,
						 "%s%s", used ? img[i][1] : "", val);
	}
	n = jsonget_count(doc, "policies");
	used = 0;
	for (i = 0; n > 0 && i < (size_t)n && used < sizeof(m->guest_boot); i++) {
		snprintf(key, sizeof(key), "policies[%zu].reps[0].guest.boot", i);
		if (jsonget_str(doc, key, val, sizeof(val)))
			continue;
		snprintf(key, sizeof(key), "policies[%zu].name", i);
		if (jsonget_str(doc, key, pol, sizeof(pol)))
			pol[0] = '\0';
		used += (size_t)snprintf(m->guest_boot + used, sizeof(m->guest_boot) - used,
					 "%s%s (%s)", used ? ", " : "", val, pol);
	}
}

static void load_meta(struct reportdata *r)
{
	struct reportdata_meta *m = &r->meta;
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
	jsonget_str(doc, "backend_requested", m->backend_requested,
		    sizeof(m->backend_requested));
	jsonget_str(doc, "backend_reason", m->backend_reason, sizeof(m->backend_reason));
	jsonget_str(doc, "host.hostname", m->hostname, sizeof(m->hostname));
	jsonget_str(doc, "host.machine", m->machine, sizeof(m->machine));
	jsonget_str(doc, "host.kernel", m->kernel, sizeof(m->kernel));
	jsonget_str(doc, "host.cpu_model", m->cpu_model, sizeof(m->cpu_model));
	jsonget_str(doc, "host.cpus_online", m->cpus_online, sizeof(m->cpus_online));
	jsonget_str(doc, "host.kvm_module", m->kvm_module, sizeof(m->kvm_module));
	jsonget_str(doc, "host.kvm_dev_error", m->kvm_dev_error, sizeof(m->kvm_dev_error));
	if (jsonget_bool(doc, "host.kvm_dev_usable", &v) == 0)
		m->kvm_dev_usable = v;
	load_libvirt(m);
	jsonget_str(doc, "kvm_mini.route", m->kvm_route, sizeof(m->kvm_route));
	jsonget_str(doc, "kvm_mini.reason", m->kvm_route_reason, sizeof(m->kvm_route_reason));
	jsonget_str(doc, "kvm_mini.caveat", m->kvm_route_caveat, sizeof(m->kvm_route_caveat));
	jsonget_str(doc, "kvm_mini.kvm_module", m->kvm_mini_module, sizeof(m->kvm_mini_module));
	jsonget_str(doc, "kvm_mini.startup", m->kvm_startup, sizeof(m->kvm_startup));
}

/* The spec: parsed when it parses, and as text for the page in any case. */
static void load_spec(struct reportdata *r)
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

static void fill_row(struct reportdata *r, size_t i, const int key[4], const int *mcol,
		     struct reportdata_row *out)
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
static int select_rows(struct reportdata *r)
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

static int load_summary(struct reportdata *r)
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

static struct reportdata_policy *add_policy(struct reportdata *r, const char *name, const char *desc,
				      const struct spec *spec)
{
	struct reportdata_policy *p = &r->pol[r->npol++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->description = desc ? desc : "";
	p->spec = spec;
	return p;
}

static const struct reportdata_policy *find_policy(const struct reportdata *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->npol; i++)
		if (!strcmp(r->pol[i].name, name))
			return &r->pol[i];
	return NULL;
}

/* What meta.json's "policies" array says about policy @p: status and reason. */
static void policy_meta(const struct reportdata *r, struct reportdata_policy *p)
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

int reportdata_skipped(const char *dir, const char *policy, char **reason)
{
	char path[PATH_MAX];
	int err;

	*reason = NULL;
	err = path_in(path, sizeof(path), dir, policy, REPORT_SKIPPED);
	if (err)
		return err;
	*reason = slurp(path, &err);
	if (!*reason)
		return err == -ENOENT ? 0 : err;
	rtrim(*reason);
	return 1;
}

/*
 * The policies of the spec, then any others that summary.csv names; each
 * with its skip reason from <policy>/SKIPPED, or else from meta.json.
 */
static int load_policies(struct reportdata *r)
{
	size_t i, cap = 1 + r->set.n_policies + r->nrows;

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
		struct reportdata_policy *p = &r->pol[i];
		const char *why;
		char *text;

		policy_meta(r, p);
		if (reportdata_skipped(r->dir, p->name, &text) <= 0 && strcmp(p->status, "skipped"))
			continue;
		/* the file's words first; an empty file still means skipped */
		why = text && text[0] ? text : p->reason[0] ? p->reason : "no reason recorded";
		p->skipped = strdup(why);
		free(text);
		if (!p->skipped)
			return log_err(-ENOMEM, "policies: out of memory");
	}
	return 0;
}

int reportdata_has_file(const struct reportdata *r, const char *name)
{
	char path[PATH_MAX];

	return !path_in(path, sizeof(path), r->dir, name, NULL) && is_file(path);
}

/* Does @dir hold a spec.ini (what every run writes first)? */
static int has_spec(const char *dir)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/spec.ini", dir);

	return n > 0 && (size_t)n < sizeof(path) && is_file(path);
}

int reportdata_resolve_dir(const char *arg, char *out, size_t len)
{
	struct stat st;
	int e, n;

	if (stat(arg, &st) < 0) {
		e = errno;
		if (e == ENOENT)
			return log_err(-e, "%s: no such directory", arg);
		return log_err(-e, "%s: %s", arg, strerror(e));
	}
	if (!S_ISDIR(st.st_mode))
		return log_err(-ENOTDIR, "%s: not a directory", arg);
	if (has_spec(arg)) {
		n = snprintf(out, len, "%s", arg);
	} else {
		n = snprintf(out, len, "%s/latest", arg);
		if (n > 0 && (size_t)n < len && !has_spec(out))
			return log_err(-EINVAL, "%s: not a results directory: no spec.ini (and no "
				       "latest run in it)", arg);
		if (n > 0 && (size_t)n < len)
			log_info("%s: using its latest run, %s", arg, out);
	}
	if (n < 0 || (size_t)n >= len)
		return log_err(-ENAMETOOLONG, "%s: %s", arg, strerror(ENAMETOOLONG));
	return 0;
}

int reportdata_load(const char *dir, struct reportdata *r)
{
	struct stat st;
	int err;

	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->meta.kvm_dev_usable = -1;
	if (stat(dir, &st))
		return log_err(-errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return log_err(-ENOTDIR, "%s: not a directory", dir);
	err = resdir_is_incomplete(dir);
	if (err < 0)
		return err;
	r->incomplete = err;
	load_spec(r);
	load_meta(r);
	err = load_summary(r);
	if (!err)
		err = load_policies(r);
	return err;
}

void reportdata_free(struct reportdata *r)
{
	size_t i;

	for (i = 0; i < r->npol; i++)
		free(r->pol[i].skipped);
	free(r->pol);
	free(r->rows);
	csv_table_free(&r->t);
	jsonget_free(&r->meta.doc);
	free(r->spec_text);
	if (r->have_spec)
		spec_free(&r->set);
	memset(r, 0, sizeof(*r));
}
