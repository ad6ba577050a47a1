/*
 * watchdata: what `stealscope watch` knows about one libvirt URI at one
 * moment: whether it answers, and the raw cumulative vCPU counters of its
 * running domains from the latest sample. Plain data shared by the reader
 * (experiments/watchsrc), the derivation (experiments/watchderive) and the
 * exporter (experiments/watchprom).
 *
 * This module never computes rates, never talks to libvirt and never does
 * I/O; it only manages the buffers, which grow and are then reused, so a
 * watch that runs for days allocates only when a host gains domains.
 */
#ifndef STEALSCOPE_WATCHDATA_H
#define STEALSCOPE_WATCHDATA_H

#include "host-tools/virtstats.h"

#include <stddef.h>
#include <stdint.h>

#define WATCH_NAME_MAX 256             /* domain names, NUL included (longer ones are cut) */
#define WATCH_WHY_MAX 256              /* the last error message, NUL included */

enum watch_host_state {
	WATCH_HOST_CONNECTING,         /* first connection attempt under way */
	WATCH_HOST_UP,                 /* answered the latest sample */
	WATCH_HOST_UNREACHABLE,        /* never answered yet: retried with backoff */
	WATCH_HOST_LOST,               /* answered once, then failed: retried with backoff */
	WATCH_HOST_DEAD,               /* its sampler process ended: no more retries */
};

/* One running domain of a sample; its vCPUs are vcpus[first, first + nvcpus). */
struct watch_dom {
	char name[WATCH_NAME_MAX];
	int64_t t_ns;                  /* CLOCK_MONOTONIC of its statistics */
	size_t first;
	size_t nvcpus;
};

struct watch_host {
	int state;                     /* enum watch_host_state */
	uint64_t seq;                  /* samples taken so far (a new one: seq changed) */
	uint64_t epoch;                /* connections made so far: rates only within one */
	uint64_t failures_total;       /* failed connection attempts and lost connections */
	unsigned attempt;              /* consecutive failures; 0 while up */
	int64_t since_ns;              /* CLOCK_MONOTONIC when the state began */
	int64_t retry_ns;              /* next connection attempt, when not up */
	char why[WATCH_WHY_MAX];       /* the last error, "" when none */
	struct watch_dom *doms;        /* sorted by name */
	size_t ndoms, doms_cap;
	struct virtstats_vcpu *vcpus;
	size_t nvcpus, vcpus_cap;
};

/*
 * Make room for @ndoms domains and @nvcpus vCPUs in @h (start from { 0 }).
 * Buffers only grow; their contents are kept. Returns 0 or -ENOMEM (not
 * logged: the caller says what it was doing).
 */
int watchdata_reserve(struct watch_host *h, size_t ndoms, size_t nvcpus);

/*
 * Grow the array *@v of *@cap elements of @size bytes to hold @need
 * (doubling; contents kept). For the other watch modules' row buffers too.
 * Returns 0 or -ENOMEM (not logged).
 */
int watchdata_grow(void **v, size_t *cap, size_t need, size_t size);

/* Copy everything of @src into @dst (its buffers are reused). 0 or -ENOMEM. */
int watchdata_copy(struct watch_host *dst, const struct watch_host *src);

/* Exchange the contents of @a and @b (buffers included): no copying. */
void watchdata_swap(struct watch_host *a, struct watch_host *b);

/* The domain named @name in @h (binary search: doms is sorted), or NULL. */
const struct watch_dom *watchdata_find_dom(const struct watch_host *h, const char *name);

/* "up", "unreachable", ... for a WATCH_HOST_* state ("?" otherwise). */
const char *watchdata_state_name(int state);

/* Free the buffers; @h is { 0 } again. */
void watchdata_free(struct watch_host *h);

#endif
