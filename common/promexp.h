/*
 * promexp: the Prometheus text exposition format (version 0.0.4), written.
 * A renderer only: callers hand it counters and gauges they read elsewhere
 * (cpu-sampler's /proc/stat counters, libvirt's vCPU times) and it writes
 * them with the format's rules: one "# HELP" and one "# TYPE" line per
 * family before its samples, families never split, metric and label names
 * checked ([a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*, label names
 * not starting with the reserved "__", none twice in a sample), label
 * values escaped (\\, \", \n), HELP text escaped (\\, \n), both valid
 * UTF-8 (a scraper refuses the whole exposition otherwise), values in
 * round-trip form (common/numfmt: the shortest of %.15g, %.16g and %.17g
 * that reads back to the same double) with NaN, +Inf and -Inf spelled as Prometheus does.
 * Names follow its conventions: base units (seconds, not ticks or ns) and
 * "_total" on counters; the caller chooses them, this module checks only
 * the syntax and that a counter ends in "_total".
 *
 * Output goes to a FILE (stdout, an open_memstream() buffer for an HTTP
 * response) or, through promexp_textfile_*(), atomically to a
 * node_exporter textfile-collector file: an afile (common/fileio.h),
 * written under a temporary name in the same directory, fsynced and
 * renamed, so the collector never reads half a file. Writing samples
 * never exits or allocates; a textfile allocates its afile once per file.
 */
#ifndef STEALSCOPE_PROMEXP_H
#define STEALSCOPE_PROMEXP_H

#include <stddef.h>
#include <stdio.h>

#define PROMEXP_NAME_MAX 128           /* metric and label names, NUL included */
#define PROMEXP_MAX_FAMILIES 64        /* per exposition */

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
	char seen[PROMEXP_MAX_FAMILIES][PROMEXP_NAME_MAX]; /* their names: a family
							      may not come twice */
};

/* Start writing to @f. */
void promexp_init(struct promexp *p, FILE *f);

/*
 * Open the family @name (HELP @help, not empty; TYPE @type): every sample
 * until the next promexp_family() belongs to it. A bad name, a counter not
 * ending in "_total", a family already written, more than
 * PROMEXP_MAX_FAMILIES or an empty @help gives -EINVAL (logged, sticky).
 */
int promexp_family(struct promexp *p, const char *name, enum promexp_type type,
		   const char *help);

/*
 * One sample of the open family with @nlabels labels (0 allowed; a label
 * with an empty value is left out, as Prometheus treats it as absent).
 * Returns 0 or the sticky error (-EINVAL: no family open, a bad or repeated
 * label name, a value that is not UTF-8, a negative or non-finite counter
 * other than NaN; -EIO: write error).
 */
int promexp_sample(struct promexp *p, const struct promexp_label *labels, size_t nlabels,
		   double value);

/* The sticky error after flushing @p->f: 0, -EINVAL or -EIO. */
int promexp_finish(struct promexp *p);

/*
 * node_exporter textfile collector. The collector reads only files ending
 * in ".prom" and ignores the afile's temporary "<path>.tmp.<pid>" beside it.
 *
 * promexp_textfile_check() is for option parsing, before anything is
 * measured: @path must end in ".prom" after a file name (-EINVAL
 * otherwise) and be writable as fileio_check_output() says (its -errno).
 * promexp_textfile_open() opens the afile for @path and initialises @t->p
 * on its stream; promexp_textfile_commit() finishes @t->p and commits the
 * afile (fsync, rename to @path), or discards it and returns @t->p's error;
 * promexp_textfile_abort() discards it without committing. All return 0 or
 * -errno, logged once with @path.
 */
struct afile;

struct promexp_textfile {
	struct promexp p;
	struct afile *af;              /* NULL when not open */
};

int promexp_textfile_check(const char *path);
int promexp_textfile_open(struct promexp_textfile *t, const char *path);
int promexp_textfile_commit(struct promexp_textfile *t);
void promexp_textfile_abort(struct promexp_textfile *t);

#endif
