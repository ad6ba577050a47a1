/*
 * virtstats: pure conversions for the libvirt backend, kept apart from
 * libvirt itself so they can be tested without it.
 *
 * - Per-vCPU statistics from the typed parameters that
 *   virConnectGetAllDomainStats()/virDomainListGetStats() return for
 *   VIR_DOMAIN_STATS_VCPU ("vcpu.current", "vcpu.maximum", "vcpu.<N>.state",
 *   "vcpu.<N>.time", "vcpu.<N>.delay", "vcpu.<N>.wait"), recording which
 *   fields the driver did not report. Times stay in nanoseconds as libvirt
 *   delivers them (some libvirt documentation says microseconds; the QEMU
 *   driver reads them from schedstat/cpuacct in ns). vcpu.<N>.delay is the
 *   vCPU thread's run delay: what a KVM guest sees as steal.
 * - libvirt cpumaps <-> cpu_set_t (VIR_CPU_MAPLEN semantics: CPU i is bit
 *   i % 8 of byte i / 8).
 * - Rates between two samples.
 *
 * This file never includes libvirt headers, never does I/O and never
 * allocates: the caller owns every buffer.
 */
#ifndef STEALSCOPE_VIRTSTATS_H
#define STEALSCOPE_VIRTSTATS_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Value types of a typed parameter. The numbers are libvirt's
 * virTypedParameterType, so the libvirt module converts with a cast
 * (host-tools/virt-libvirt.c asserts that they match).
 */
enum virtstats_type {
	VIRTSTATS_INT = 1,
	VIRTSTATS_UINT = 2,
	VIRTSTATS_LLONG = 3,
	VIRTSTATS_ULLONG = 4,
	VIRTSTATS_DOUBLE = 5,
	VIRTSTATS_BOOLEAN = 6,
	VIRTSTATS_STRING = 7,
};

/* One typed parameter: a copy of libvirt's virTypedParameter we can fake. */
struct virtstats_param {
	const char *name;
	enum virtstats_type type;
	union {
		int64_t i;             /* INT, LLONG, BOOLEAN */
		uint64_t u;            /* UINT, ULLONG */
		double d;              /* DOUBLE */
		const char *s;         /* STRING */
	} v;
};

/* vCPU states: libvirt's virVcpuState values. */
enum {
	VIRTSTATS_VCPU_OFFLINE = 0,
	VIRTSTATS_VCPU_RUNNING = 1,
	VIRTSTATS_VCPU_BLOCKED = 2,
};

/* Per-vCPU fields, as bits of virtstats_vcpu.present and virtstats_dom.missing. */
enum {
	VIRTSTATS_F_STATE = 1u << 0,   /* vcpu.<N>.state */
	VIRTSTATS_F_TIME = 1u << 1,    /* vcpu.<N>.time */
	VIRTSTATS_F_DELAY = 1u << 2,   /* vcpu.<N>.delay */
	VIRTSTATS_F_WAIT = 1u << 3,    /* vcpu.<N>.wait */
	VIRTSTATS_F_ALL = 0xfu,
	/* Domain-wide fields, only in virtstats_dom.present/missing. */
	VIRTSTATS_F_CURRENT = 1u << 4, /* vcpu.current */
	VIRTSTATS_F_MAXIMUM = 1u << 5, /* vcpu.maximum */
};

/* No domain has more vCPUs than this (QEMU's limit is 4096 today). */
#define VIRTSTATS_MAX_VCPUS 16384

struct virtstats_vcpu {
	unsigned present;              /* VIRTSTATS_F_STATE..WAIT that were reported */
	int state;                     /* VIRTSTATS_VCPU_*, or what the driver said */
	uint64_t time_ns;              /* cumulative CPU time of the vCPU thread */
	uint64_t delay_ns;             /* cumulative run delay (steal as the guest sees it) */
	uint64_t wait_ns;              /* cumulative I/O wait, where reported */
	int pcpu;                      /* host CPU it last ran on (virDomainGetVcpus), -1: unknown */
};

/* The vCPU statistics of one domain at one instant. */
struct virtstats_dom {
	struct virtstats_vcpu *vcpu;   /* caller's array of @cap entries */
	size_t cap;
	size_t nvcpus;                 /* entries filled, see virtstats_parse() */
	size_t nreported;              /* of those, vCPUs with at least one field */
	unsigned present;              /* VIRTSTATS_F_CURRENT, VIRTSTATS_F_MAXIMUM */
	unsigned missing;              /* VIRTSTATS_F_* the driver did not report */
	unsigned current;              /* vcpu.current, if present */
	unsigned maximum;              /* vcpu.maximum, if present */
	size_t nignored;               /* parameters that are not vCPU fields we know */
	int64_t t_ns;                  /* CLOCK_MONOTONIC of the sample (set by the reader) */
};

/* Attach the caller's array @buf of @cap entries to @d and clear @d. */
void virtstats_dom_init(struct virtstats_dom *d, struct virtstats_vcpu *buf, size_t cap);

/*
 * Extract the vCPU statistics from the @n parameters @p into @d (set up
 * with virtstats_dom_init(); every entry is cleared first, pcpu set to -1).
 *
 * Names are parsed strictly: "vcpu.<N>.<field>" with N a decimal number
 * without sign or leading zeros; anything else (other groups, unknown
 * suffixes such as vcpu.<N>.halted, "vcpu.01.time") is counted in nignored.
 * The counters take any non-negative integer type, the state an integer;
 * vcpu.current/vcpu.maximum an integer in [0, VIRTSTATS_MAX_VCPUS].
 *
 * d->nvcpus becomes the largest of vcpu.maximum, @nvcpus_hint (the count
 * the caller knows from elsewhere, e.g. the domain's vCPU count; 0 if none)
 * and the highest index seen + 1. Because of vCPU hotplug the reported
 * indices may be sparse; a vCPU without any field is taken as offline and
 * not reported. d->missing gets every per-vCPU field that at least one
 * reported vCPU lacks, all four when no vCPU was reported at all, and
 * vcpu.current/vcpu.maximum when absent.
 *
 * Returns 0; -EINVAL (wrong type, negative counter, a field given twice);
 * -ERANGE (an index not below vcpu.maximum or VIRTSTATS_MAX_VCPUS, or
 * d->nvcpus would exceed d->cap); then d->nvcpus is 0. Errors are logged
 * once as "<what>: <parameter>: <problem>"; @what says whose statistics
 * these are ("qemu:///system: domain vm1").
 */
int virtstats_parse(const char *what, const struct virtstats_param *p, size_t n,
		    size_t nvcpus_hint, struct virtstats_dom *d);

/* "vcpu.N.state", "vcpu.N.time", ... for one VIRTSTATS_F_* bit ("?" otherwise). */
const char *virtstats_field_name(unsigned field);

/*
 * The cpumap @map of @maplen bytes as a set. Returns 0, or -ERANGE (logged
 * with @what) when a CPU at or above CPU_SETSIZE is set.
 */
int virtstats_cpumap_to_set(const char *what, const unsigned char *map, size_t maplen,
			    cpu_set_t *out);

/*
 * Write @set as a cpumap into @map (@cap bytes): VIR_CPU_MAPLEN(highest CPU
 * + 1) bytes, the shortest map that holds the set. Returns that length
 * (0 for an empty set, nothing written), or -ERANGE (logged with @what)
 * when @cap is too small.
 */
int virtstats_set_to_cpumap(const char *what, const cpu_set_t *set, unsigned char *map,
			    size_t cap);

/*
 * The rate of a cumulative ns counter between two samples @wall_ns apart,
 * in percent of wall time: (cur - prev) / wall * 100. A counter that went
 * backwards (a vCPU was unplugged and replugged, the domain restarted) gives
 * 0; a non-positive interval gives 0. The result is clamped to [0, 100]: one
 * vCPU thread cannot run or wait longer than the interval, and the kernel's
 * lumpy accounting (run delay is added when a task is picked, not while it
 * waits) would otherwise show more.
 */
double virtstats_rate_pct(uint64_t prev_ns, uint64_t cur_ns, int64_t wall_ns);

/* Rates of one vCPU between two samples; a rate is present when its field is in both. */
struct virtstats_rates {
	unsigned present;              /* VIRTSTATS_F_TIME, _DELAY, _WAIT */
	double time_pct;
	double delay_pct;
	double wait_pct;
};

/*
 * Rates of vCPU @vcpu from sample @a to the later sample @b (wall time
 * b->t_ns - a->t_ns). A vCPU beyond either sample's nvcpus has no rates.
 */
void virtstats_vcpu_rates(const struct virtstats_dom *a, const struct virtstats_dom *b,
			  size_t vcpu, struct virtstats_rates *out);

#endif
