/*
 * promexp: the Prometheus text exposition format (version 0.0.4), written.
 * A renderer only: callers hand it counters and gauges they read elsewhere
 * (cpu-sampler's /proc/stat counters, libvirt's vCPU times) and it writes
 * them with the format's rules: one "# HELP" and one "# TYPE" line per
 * family before its samples, families never split, metric and label names
 * checked ([a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*), label
 * values escaped (\\, \", \n), HELP text escaped (\\, \n), values in
 * shortest round-trip form with NaN, +Inf and -Inf spelled as Prometheus
 * does. Names follow its conventions: base units (seconds, not ticks or ns)
 * and "_total" on counters; the caller chooses them, this module checks
 * only the syntax and that a counter ends in "_total".
 *
 * Output goes to a FILE (stdout, an open_memstream() buffer for an HTTP
 * response) or, through promexp_textfile_*(), atomically to a
 * node_exporter textfile-collector file (written to a temporary name in the
 * same directory and renamed, so the collector never reads half a file).
 * Nothing here exits or allocates per sample.
 */
#ifndef STEALSCOPE_PROMEXP_H
#define STEALSCOPE_PROMEXP_H

#include <stddef.h>
#include <stdio.h>

#define PROMEXP_NAME_MAX 128           /* metric and label names, NUL included */

enum promexp_type { PROMEXP_COUNTER, PROMEXP_GAUGE };

struct promexp_label {
	const char *name;
	const char *value;             /* any UTF-8; escaped on output */
};

struct promexp {
	FILE *f;
	int err;                       /* first error, sticky: -EINVAL, -EIO */
	enum promexp_type type;        /* of the open family */
	char family[PROMEXP_NAME_MAX]; /* the open family; "" before the first */
	unsigned nfamilies;            /* families written, for the duplicate check */
	char seen[64][PROMEXP_NAME_MAX]; /* their names: a family may not come twice */
};

/* Start writing to @f. */
void promexp_init(struct promexp *p, FILE *f);

/*
 * Open the family @name (HELP @help, TYPE @type): every sample until the
 * next promexp_family() belongs to it. A bad name, a counter not ending in
 * "_total", or a family already written gives -EINVAL (logged, sticky).
 */
int promexp_family(struct promexp *p, const char *name, enum promexp_type type,
		   const char *help);

/*
 * One sample of the open family with @nlabels labels (0 allowed; a label
 * with an empty value is left out, as Prometheus treats it as absent).
 * Returns 0 or the sticky error (-EINVAL: no family open, a bad label
 * name, a negative or non-finite counter other than NaN; -EIO: write error).
 */
int promexp_sample(struct promexp *p, const struct promexp_label *labels, size_t nlabels,
		   double value);

/* The sticky error after flushing @p->f: 0, -EINVAL or -EIO. */
int promexp_finish(struct promexp *p);

/*
 * node_exporter textfile collector: promexp_textfile_open() starts
 * "<path>.tmp.<pid>" (the directory must exist; @path should end in
 * ".prom", which the collector requires: -EINVAL otherwise) and initialises
 * @p on it; promexp_textfile_commit() finishes, fsyncs and renames it to
 * @path, or removes the temporary file and returns the error. Both return
 * 0 or -errno (logged).
 */
struct promexp_textfile {
	struct promexp p;
	char tmp[4096];
	char path[4096];
	FILE *f;
};

int promexp_textfile_open(struct promexp_textfile *t, const char *path);
int promexp_textfile_commit(struct promexp_textfile *t);
/* Remove the temporary file without committing (after an error). */
void promexp_textfile_abort(struct promexp_textfile *t);

#endif
