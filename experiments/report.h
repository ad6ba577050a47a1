/*
 * report: report.html for a results directory: what was run (the spec, host
 * facts from meta.json, the command line), a plain-language reading of the
 * result generated from summary.csv, the summary table, the plots beside it,
 * and which policies were skipped and why.
 *
 * The page is self-contained apart from the plot files in the same
 * directory: inline CSS, no script, no external URL. Every string taken from
 * a file goes through HTML escaping. The report only says what the files
 * contain: a figure that is not there (no guest on the native backend, a
 * phase without samples) is shown as "–", never guessed. This module reads
 * the results directory and writes only report.html (atomically); it never
 * runs anything and never exits.
 */
#ifndef STEALSCOPE_EXPERIMENTS_REPORT_H
#define STEALSCOPE_EXPERIMENTS_REPORT_H

#include <stddef.h>

#include "experiments/summary.h"

/*
 * Write <dir>/report.html from <dir>/spec.ini, meta.json, summary.csv,
 * INCOMPLETE, <policy>/SKIPPED (REPORT_SKIPPED, experiments/reportdata.h)
 * and the plot files found in @dir. Missing
 * pieces are said in the page (an interrupted run may lack summary.csv);
 * only a directory that cannot be read or a page that cannot be written is
 * an error. Returns 0 or -errno (logged).
 */
int report_write(const char *dir);

/* What one sentence of the reading is about. */
struct report_reading {
	const char *backend;           /* "kvm-mini", "libvirt", "native" */
	const char *guest_steal_unavailable; /* why the guest has no steal figures
						(a TCG guest), or NULL */
	int backend_note;              /* native: open with the note that there is no guest
					  (the first sentence of a policy) */
	const char *when;              /* the opening clause: "While a host busy loop
					  shared CPU 0 with the vCPU (1s to 2s)";
					  "" for none */
	const char *subject;           /* "the vCPU", "vCPU 1", "the vCPU thread" */
	int plural;                    /* subject takes "their" rather than "its" */
	const struct phase_summary *s; /* the numbers (NaN where absent) */
};

/*
 * The plain-language reading of @in as plain text (UTF-8, not yet escaped)
 * into @buf (@len bytes, always terminated), e.g.
 *   "While a host busy loop shared CPU 0 with the vCPU (1s to 2s), the vCPU
 *    spent 49.6% of its time runnable but waiting (host run delay); the
 *    guest's own steal clock reported 49.1% and its tick accounting 49%;
 *    progress stalled for up to 4.1 ms (p99 gap 3.9 ms); work rate fell to
 *    51% of the baseline."
 * Clauses whose numbers are NaN are left out; where the guest's steal is
 * unavailable (@guest_steal_unavailable) the guest clause says so and why,
 * never a number. On the native backend there is
 * no guest clause; with @backend_note it starts with "Native backend: no
 * guest, host run delay of the vCPU threads only.", and it adds this
 * machine's own /proc/stat steal where it was measured.
 * Returns the length the full text needs (like snprintf).
 */
size_t report_reading_text(const struct report_reading *in, char *buf, size_t len);

#endif
