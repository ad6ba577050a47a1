/*
 * guestcsv: the CSV files a real guest sends back over the serial console
 * (docs/guest-protocol.md), turned into the runner's arrays: progress.csv
 * (`vcpu,proc,unit,t_ns,progress_pct`) into per-vCPU progress stamps, and
 * the guest's cpu.csv (cpu-sampler's columns) into the per-vCPU guest tick
 * samples of struct run_samples.
 *
 * Pure: it reads tables already parsed (csv_table_load()/csv_table_parse(),
 * whose strict cell accessors name the file, line and column of a bad
 * cell) and fills buffers; it never opens a file or a VM. Every error is
 * logged once and leaves the outputs empty. Nothing here exits.
 */
#ifndef STEALSCOPE_GUESTCSV_H
#define STEALSCOPE_GUESTCSV_H

#include "common/csvio.h"
#include "experiments/backend-native.h"
#include "experiments/rundata.h"

/*
 * The guest's progress.csv @t into @out[0..s->vcpus) (initialised here;
 * free with stampbuf_free()), each vCPU's stamps sorted by time (the guest
 * writes them task by task; stalls are measured on the merged, ascending
 * stream). Checks, naming the row's line: vcpu in [0, vcpus), proc in
 * [0, tasks) and on its vCPU (task j runs on vCPU j % vcpus, as on the
 * native backend), unit in [0, 2^32). progress_pct is not read: the runner
 * derives it the same way for every backend (native_progress_pct()).
 * kvm-mini's progress.csv, whose proc column is called task, reads alike.
 * Returns 0, -EINVAL or -ENOMEM (logged).
 */
int guestcsv_progress(const struct csv_table *t, const struct spec *s, struct stampbuf *out);

/*
 * The samples of a table whose rows of one sample are together and share
 * the value of column @col (cpu.csv's seq, kvm-mini's vcpu.csv's t_ns),
 * ascending: their number into @n. Returns 0, or -EINVAL (logged: "@what:
 * line N: seq 3 after 4 (rows must come in time order)", a bad cell).
 */
int guestcsv_count_groups(const struct csv_table *t, const char *what, int col, size_t *n);

/*
 * The guest's cpu.csv @t into @sm's guest samples (rundata_guest_alloc();
 * sm->nvcpus must be set): one guest sample per seq, rows of one seq
 * together and seqs ascending, guest CPU c as vCPU c (the aggregate row,
 * cpu -1, is skipped). A vCPU absent from a seq stays marked missing.
 * Returns 0, -EINVAL (a missing column, a bad cell, a CPU that is no
 * vCPU, seqs out of order, a CPU twice in one seq) or -ENOMEM, logged.
 */
int guestcsv_cpu(const struct csv_table *t, struct run_samples *sm);

#endif
