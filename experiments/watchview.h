/*
 * watchview: the live view of `stealscope watch`, rendered from plain rows
 * (experiments/watchderive fills them): per-CPU %usr/%sys/%steal of this
 * host, one line per libvirt URI saying whether it answers, and one line
 * per vCPU with its run delay, run time and wait in % of the interval,
 * sorted by delay, host and domain named.
 *
 * On a terminal (ansi) each frame is drawn in place: cursor home, every
 * line cleared to its end, the rest of the screen cleared, and the vCPU
 * lines cut to the terminal's height with a line saying how many are not
 * shown. Otherwise frames are appended as plain text, one block per
 * interval, nothing cut.
 *
 * A renderer: it never reads /proc, never talks to libvirt, never sorts
 * behind the caller's back (watchview_sort() is separate).
 */
#ifndef STEALSCOPE_WATCHVIEW_H
#define STEALSCOPE_WATCHVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct watchview_cpu {
	int cpu;                       /* -1: all CPUs (the aggregate line) */
	int have;                      /* 0: no interval yet (shown as "-") */
	double usr_pct, sys_pct, steal_pct;
	int64_t start_ns, end_ns;      /* the interval the figures cover */
};

struct watchview_host {
	const char *uri;
	int state;                     /* enum watch_host_state */
	unsigned attempt;              /* consecutive failures */
	int64_t since_ns;              /* when the state began */
	int64_t retry_ns;              /* next attempt, when not up */
	const char *why;               /* the last error, "" when none */
	size_t ndoms, nvcpus;          /* running domains and their vCPUs, when up */
};

/* Bits of watchview_vcpu.have. */
enum {
	WATCHVIEW_TIME = 1u << 0,
	WATCHVIEW_DELAY = 1u << 1,
	WATCHVIEW_WAIT = 1u << 2,
};

struct watchview_vcpu {
	const char *host;              /* the URI */
	const char *domain;
	unsigned vcpu;
	unsigned have;                 /* WATCHVIEW_*: rates known (both samples had them) */
	double time_pct, delay_pct, wait_pct;
	int pcpu;                      /* host CPU it last ran on, -1: unknown */
	int64_t start_ns, end_ns;      /* the interval the rates cover */
};

struct watchview_frame {
	int64_t now_ns;                /* CLOCK_MONOTONIC of the frame */
	int64_t elapsed_ns;            /* since the watch started */
	int64_t interval_ns;
	const struct watchview_cpu *cpus;
	size_t ncpus;
	int libvirt;                   /* 0: no --connect, libvirt not watched */
	const struct watchview_host *hosts;
	size_t nhosts;
	const struct watchview_vcpu *vcpus; /* in the order to show (watchview_sort()) */
	size_t nvcpus;
};

/*
 * Sort @v: highest run delay first; vCPUs without a delay rate last; ties
 * by host, domain and vCPU number, so the order is stable between frames.
 */
void watchview_sort(struct watchview_vcpu *v, size_t n);

/*
 * Write frame @fr to @f. @ansi: draw in place (see above); @rows: the
 * terminal's height for cutting the vCPU lines (0: no limit; only used
 * with @ansi). Returns 0, or -EIO when @f has an error.
 */
int watchview_render(FILE *f, const struct watchview_frame *fr, int ansi, unsigned rows);

/* Leave the terminal as it was (show the cursor again) after ansi frames. */
void watchview_end(FILE *f, int ansi);

#endif
