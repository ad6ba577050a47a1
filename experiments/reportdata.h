/*
 * reportdata: what the report of a results directory is made from, read
 * into one struct: the spec as run (parsed, and as text), the facts of
 * meta.json, the summary rows worth showing, and each policy with its
 * status and skip reason. The read step of report.c (read -> derive ->
 * render); the plots (resplot.c) ask it whether a policy was skipped.
 *
 * A missing or damaged file is not an error here: the struct says what is
 * absent and the page says so (an interrupted run still gets a report).
 * Only running out of memory or a directory that cannot be read fails.
 * This module only reads files; it never writes, runs anything or exits.
 */
#ifndef STEALSCOPE_EXPERIMENTS_REPORTDATA_H
#define STEALSCOPE_EXPERIMENTS_REPORTDATA_H

#include <stddef.h>

#include "common/csvio.h"
#include "common/jsonget.h"
#include "experiments/spec.h"
#include "experiments/summary.h"

/* Marker file of a policy the runner did not run: <dir>/<policy>/SKIPPED,
 * one line of text saying why. */
#define REPORT_SKIPPED "SKIPPED"

/* meta.json's facts; "" where a member is absent. */
struct reportdata_meta {
	int present;                   /* meta.json was read */
	struct jsonget_doc doc;        /* kept for command_line and per-policy lookups */
	char tool[64], version[64], started[64];
	char hostname[256], machine[64], kernel[256], cpu_model[256], cpus_online[256];
	char kvm_module[32], kvm_dev_error[256];
	char backend[32];              /* the backend that ran */
	char backend_requested[32];    /* what was asked: "auto", or a backend's name */
	char backend_reason[1024];     /* why --backend auto chose @backend */
	int kvm_dev_usable;            /* -1 unknown */
	/* a real guest (libvirt): meta.json "libvirt" */
	char connect_uri[256];
	char domain_type[16];          /* "kvm", "qemu"; "" without a real guest */
	char domain_type_reason[256];
	char guest_steal[256];         /* why the guest's steal is unavailable; "" if it is not */
	char guest_image[512];         /* the image's facts in one line */
	char guest_boot[512];          /* start-up time per policy's first repetition */
	/* the kvm-mini backend: meta.json "kvm_mini"; all "" otherwise */
	char kvm_route[32];            /* "in-process" or "nested-tcg" */
	char kvm_route_reason[512];
	char kvm_route_caveat[768];    /* what the nested route's figures are worth; "" in-process */
	char kvm_mini_module[32];      /* the KVM module kvm-mini ran on (L1's when nested) */
	char kvm_startup[32];          /* "258.1 ms": the first repetition's start-up */
};

/* One summary row to show: a "mean" row, or a repetition when there is no mean. */
struct reportdata_row {
	const char *policy, *phase, *vcpu, *rep;   /* cells of the table below */
	int nreps;                     /* numeric repetitions behind a mean row */
	int single;                    /* the only repetition of its key, no mean */
	struct phase_summary s;        /* NaN where the cell is empty */
};

struct reportdata_policy {
	char name[SPEC_NAME_MAX];
	const char *description;       /* "" when none */
	const struct spec *spec;       /* NULL without a parsed spec */
	char *skipped;                 /* the skip reason, or NULL when it was not skipped */
	char status[16];               /* meta.json policies[].status, "" if absent */
	char reason[256];              /* and its reason, "" if none */
};

struct reportdata {
	const char *dir;
	int incomplete;                /* INCOMPLETE is there */
	int have_spec;                 /* @set is a parsed spec.ini */
	struct spec_set set;
	char *spec_text;               /* spec.ini as written, NULL if unreadable */
	char name[SPEC_NAME_MAX], description[SPEC_DESC_MAX];
	struct reportdata_meta meta;
	int have_summary;              /* summary.csv was read and has the key columns */
	struct csv_table t;
	struct reportdata_row *rows;   /* per (policy, phase, vcpu), in file order */
	size_t nrows;
	struct reportdata_policy *pol; /* the spec's policies, then others summary.csv names */
	size_t npol;
};

/*
 * The results directory a command-line argument @arg names, into @out
 * (@len bytes): @arg itself when it holds spec.ini, or its `latest` run when
 * @arg is an experiment's directory (results/<name>). What `stealscope plot`
 * and `stealscope report` accept, so both refuse the same things. Returns 0,
 * or, logged: -ENOENT ("<arg>: no such directory"), -ENOTDIR ("<arg>: not a
 * directory"), -EINVAL ("<arg>: not a results directory: no spec.ini (and no
 * latest run in it)"), -ENAMETOOLONG; each is a usage error to the commands.
 */
int reportdata_resolve_dir(const char *arg, char *out, size_t len);

/*
 * Read everything the report shows from the results directory @dir (kept
 * as a pointer: it must outlive @r). Missing pieces are logged as warnings
 * and left empty. Returns 0; -errno (logged) when @dir is not a readable
 * directory or memory runs out; then @r still needs reportdata_free().
 */
int reportdata_load(const char *dir, struct reportdata *r);

void reportdata_free(struct reportdata *r);

/* Nonzero when <@r->dir>/@name is a regular file. */
int reportdata_has_file(const struct reportdata *r, const char *name);

/*
 * Was @policy skipped by the run, i.e. is there a <@dir>/<@policy>/SKIPPED?
 * Returns 1 with its text (trailing blanks cut; "" for an empty file) in
 * *@reason, malloc'ed; 0 when there is no such file (*@reason NULL); or
 * -errno (logged) when it exists but cannot be read.
 */
int reportdata_skipped(const char *dir, const char *policy, char **reason);

#endif
