/*
 * backend-native: the `native` backend of the stealscope runner: the guest
 * load without a VM. A native "vCPU" is one thread of this process, pinned
 * as the spec says, that runs the guest tasks itself, time-sliced
 * round-robin in user space (task i's work units until the slice is used
 * up, then task i+1, as the guest kernel's tick would), and stores a
 * progress stamp after each unit in a preallocated buffer. Its
 * /proc/self/task/<tid>/schedstat run delay is therefore the host-side
 * "steal" of that vCPU, exactly as for a KVM vCPU thread. Host contention
 * is one hog thread per [contention] section, pinned and niced, busy in its
 * window (with its duty cycle).
 *
 * Threads start in two steps: native_start() creates them and returns once
 * every one has done its setup (affinity, nice, stamp buffer touched) and
 * waits; native_go() releases them towards the common start t0. The threads
 * never print, allocate or make system calls in their measured loops
 * besides the vDSO clock read; they block SIGINT/SIGTERM (the main thread
 * handles those) and stop within one work unit of native_stop(). Nothing
 * here exits the process or writes files.
 */
#ifndef STEALSCOPE_BACKEND_NATIVE_H
#define STEALSCOPE_BACKEND_NATIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "experiments/spec.h"
#include "guest-tools/calibrate.h"

#define NATIVE_MAX_TASKS 64            /* = the spec's limit on [workload] tasks */
#define NATIVE_STAMPS_MAX (1u << 22)   /* per vCPU: 64 MiB of stamps */

/* ---- pure pieces (unit-tested) ------------------------------------------------ */

/* One finished work unit. */
struct native_stamp {
	int64_t t_ns;                  /* end of the unit, from t0 */
	uint32_t unit;                 /* 0-based index of the unit within its task */
	uint16_t task;                 /* global task number */
	uint16_t pad;
};

/* A preallocated stamp buffer: stamps past its capacity are counted, not stored. */
struct stampbuf {
	struct native_stamp *v;
	size_t cap;
	size_t n;
	uint64_t dropped;
};

/* Allocate room for @cap stamps (0 is allowed). 0 or -ENOMEM (logged). */
int stampbuf_init(struct stampbuf *b, size_t cap);

/* Store a stamp, or count it in b->dropped when the buffer is full. */
void stampbuf_push(struct stampbuf *b, int64_t t_ns, int task, uint64_t unit);

void stampbuf_free(struct stampbuf *b);

/* Tasks that run on vCPU @vcpu: task j runs on vCPU j % vcpus. */
int native_tasks_on_vcpu(const struct spec *s, int vcpu);

/*
 * Stamps vCPU @vcpu can produce in a run of @s: every unit when units are
 * finite, else the run's duration in units of unit_work plus a margin of a
 * quarter and 1024 (units may come out a little faster than calibrated);
 * at most NATIVE_STAMPS_MAX. 0 for a vCPU without tasks or a workload other
 * than sched.
 */
size_t native_stamp_capacity(const struct spec *s, int vcpu);

/*
 * progress_pct of unit @unit (0-based) of a task sharing its vCPU with
 * @tasks_on_vcpu - 1 others: 100 * (unit + 1) / units with finite units,
 * else relative to what the task would finish in the whole run at the
 * uncontended pace, duration / (unit_work * tasks_on_vcpu).
 */
double native_progress_pct(const struct spec *s, int tasks_on_vcpu, uint64_t unit);

/* The user-space round-robin of one vCPU. */
struct native_rr {
	int ntasks;                    /* tasks on this vCPU */
	int cur;                       /* index (into task_id) of the running task; -1: all done */
	int left;                      /* tasks not finished */
	int64_t units;                 /* per task; 0: no limit */
	int64_t slice_ns;
	int64_t origin_ns;             /* ticks at origin + k * slice */
	int64_t tick_ns;               /* the next tick: the running slice ends there */
	int task_id[NATIVE_MAX_TASKS]; /* global task numbers */
	uint64_t done[NATIVE_MAX_TASKS];
};

/* Set up the round-robin of vCPU @vcpu of @s, first tick at @start_ns + slice. */
void native_rr_init(struct native_rr *rr, const struct spec *s, int vcpu, int64_t start_ns);

/*
 * The running task finished a unit at @now_ns: count it and pick the task
 * for the next unit. It switches to the next unfinished task (cyclically)
 * when the tick at tick_ns has passed (the next tick is then the first
 * boundary after @now_ns: a vCPU that was descheduled loses the ticks it
 * missed, as with a periodic guest timer) or when the running task has done
 * its units. Returns the index of the task to run (also in rr->cur), or -1
 * when every task has finished.
 */
int native_rr_unit_done(struct native_rr *rr, int64_t now_ns);

/* ---- the run ------------------------------------------------------------------- */

struct native_run;

/*
 * Calibrate work units of @s on the CPU of vCPU 0 (any CPU when it is
 * unpinned), in a short-lived thread pinned there, so the caller's own
 * affinity is untouched. Returns 0 or -errno (logged).
 */
int native_calibrate(const struct spec *s, struct calib *out);

/*
 * Create the threads of a run of @s (a vCPU thread per vCPU, a hog per
 * contention section) with @loops_per_unit loops per work unit, and wait
 * until each has done its setup. Returns 0 with *@out set, or -errno (a
 * thread's setup failed, e.g. a negative nice without privilege: logged);
 * on error every thread created has been stopped and joined.
 */
int native_start(const struct spec *s, uint64_t loops_per_unit, struct native_run **out);

/* Thread id of vCPU @i (for schedstat and cgroups). */
pid_t native_vcpu_tid(const struct native_run *r, int i);

/* Release every thread: vCPUs start working at @t0_ns (CLOCK_MONOTONIC), hogs
 * at t0 + their start. */
void native_go(struct native_run *r, int64_t t0_ns);

/* Ask every thread to stop now (async-signal-unsafe; call from the main loop). */
void native_stop(struct native_run *r);

/* Join every thread (stopping them first). Returns 0 or the first thread error. */
int native_join(struct native_run *r);

/*
 * Move the stamps of vCPU @i into @out (after native_join()); the caller
 * frees them with stampbuf_free(). A second call gives an empty buffer.
 */
void native_take_stamps(struct native_run *r, int i, struct stampbuf *out);

/* Join if needed, then free everything. NULL is allowed. */
void native_free(struct native_run *r);

#endif
