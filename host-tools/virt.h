/*
 * virt: the interface between stealscope and libvirt.
 *
 * Callers see a small struct of function pointers (struct virt_ops) and
 * opaque handles; virt_libvirt_ops() returns the real implementation
 * (host-tools/virt-libvirt.c, the only file that includes libvirt's
 * headers) and tests substitute a fake. Any libvirt URI works the same way:
 * "qemu:///system", "qemu+ssh://host/system", "test:///default"; nothing
 * here is specific to local hosts.
 *
 * Every op returns 0 or -errno (or a count) and logs its error once, where
 * it happens, with the URI, the domain and libvirt's own message; callers
 * pass the code up without logging again. libvirt's default error handler,
 * which would print every error to stderr a second time, is replaced by a
 * silent one when the first connection is opened.
 *
 * Besides the ops, this module has what callers build from them: the vCPU
 * listing of virt-vcpus (read, sample, render kept apart; the renderer
 * never talks to libvirt), the Prometheus series of vCPU statistics, and
 * the --connect/--domain options of the tools that use them.
 */
#ifndef STEALSCOPE_VIRT_H
#define STEALSCOPE_VIRT_H

#include "host-tools/virtstats.h"

#include <getopt.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VIRT_DEFAULT_URI "qemu:///system"

struct virt_conn;                      /* a connection to one libvirt URI */
struct virt_domain;                    /* one domain of a connection */

/* connect() flags. */
enum {
	VIRT_CONNECT_RO = 1u << 0,     /* read-only: enough for listing and sampling */
};

/* pin_vcpu()/pin_emulator() flags: at least one of them. */
enum {
	VIRT_AFFECT_LIVE = 1u << 0,    /* the running domain, now */
	VIRT_AFFECT_CONFIG = 1u << 1,  /* the persistent definition (next boot) */
};

/* create_transient() flags. */
enum {
	VIRT_CREATE_AUTODESTROY = 1u << 0, /* destroyed when this connection closes,
					      also when the process dies */
};

/* Domain states: libvirt's virDomainState values. */
enum {
	VIRT_DOM_NOSTATE = 0,
	VIRT_DOM_RUNNING = 1,
	VIRT_DOM_BLOCKED = 2,
	VIRT_DOM_PAUSED = 3,
	VIRT_DOM_SHUTDOWN = 4,
	VIRT_DOM_SHUTOFF = 5,
	VIRT_DOM_CRASHED = 6,
	VIRT_DOM_PMSUSPENDED = 7,
};

struct virt_dom_info {
	const char *name;              /* valid while the domain handle lives */
	int id;                        /* -1 when the domain is not running */
	int state;                     /* VIRT_DOM_* */
	unsigned nvcpus;               /* vCPUs now (live if running, else config) */
	unsigned max_vcpus;            /* vCPUs it may have (hotplug limit) */
};

struct virt_ops {
	const char *name;              /* "libvirt", "fake", ... */

	/*
	 * Open @uri (never NULL) with the default authentication callbacks
	 * (remote URIs may ask for a password on the terminal). @flags:
	 * VIRT_CONNECT_RO. Returns 0 and *@out, or -errno: -ECONNREFUSED when
	 * no daemon answers, -EACCES when authentication or permissions fail,
	 * -EINVAL for a bad URI, -EIO otherwise.
	 */
	int (*connect)(const char *uri, unsigned flags, struct virt_conn **out);
	/* Close @c (NULL is fine). Free its domains first. */
	void (*close)(struct virt_conn *c);
	/* The URI @c was opened with, for messages. */
	const char *(*uri)(const struct virt_conn *c);

	/*
	 * All domains, running or not, sorted by name: *@out is an allocated
	 * array of *@n handles (NULL when none), freed with free_domains().
	 */
	int (*list_domains)(struct virt_conn *c, struct virt_domain ***out, size_t *n);
	/* Free the handles and the array from list_domains() (NULL is fine). */
	void (*free_domains)(struct virt_domain **doms, size_t n);

	/*
	 * The domain named @name, running or not: 0 and *@out (free with
	 * free_domain()), -ENOENT when there is no such domain, or -errno.
	 * Logged either way.
	 */
	int (*lookup_domain)(struct virt_conn *c, const char *name, struct virt_domain **out);
	/*
	 * Free one handle from lookup_domain() or create_transient() (NULL is
	 * fine). The domain itself is not touched.
	 */
	void (*free_domain)(struct virt_domain *d);

	/*
	 * Create and start a transient domain from the XML description @xml
	 * (virDomainCreateXML: it exists only while it runs). @flags:
	 * VIRT_CREATE_AUTODESTROY. Returns 0 and *@out once the domain runs
	 * (free with free_domain()), or -errno: -EINVAL for XML the driver
	 * rejects, -EPERM on a read-only connection, -ENOTSUP where the
	 * driver cannot run it.
	 */
	int (*create_transient)(struct virt_conn *c, const char *xml, unsigned flags,
				struct virt_domain **out);
	/*
	 * Stop @d at once (virDomainDestroy: the power is cut, the guest is
	 * not asked). A transient domain then no longer exists. The handle
	 * stays to be freed with free_domain(). Returns 0, -ENOENT when the
	 * domain no longer exists, -EINVAL when it is not running, or -errno.
	 */
	int (*destroy)(struct virt_domain *d);

	int (*domain_info)(struct virt_domain *d, struct virt_dom_info *out);

	/*
	 * The CPUs each vCPU may run on (live if running, else config): up to
	 * @cap sets into @pins, *@n set to how many vCPUs the driver
	 * reported (at most @cap).
	 */
	int (*get_vcpu_pins)(struct virt_domain *d, cpu_set_t *pins, size_t cap, size_t *n);
	/*
	 * The CPUs the emulator threads (everything but vCPUs and iothreads)
	 * may run on; an empty set when the driver reports no pinning.
	 */
	int (*get_emulator_pin)(struct virt_domain *d, cpu_set_t *out);

	/*
	 * Pin vCPU @vcpu / the emulator threads to @cpus (not empty). @flags:
	 * VIRT_AFFECT_LIVE and/or VIRT_AFFECT_CONFIG. Returns 0 or -errno
	 * (-EINVAL for an empty set, a bad vCPU or live pinning of a domain
	 * that is not running; -EPERM on a read-only connection). A driver
	 * that refuses VIRT_AFFECT_LIVE alone as a flag (libvirt's test
	 * driver accepts only "current") is asked again with libvirt's
	 * "current" if the domain runs, which libvirt defines as live then.
	 */
	int (*pin_vcpu)(struct virt_domain *d, unsigned vcpu, const cpu_set_t *cpus,
			unsigned flags);
	int (*pin_emulator)(struct virt_domain *d, const cpu_set_t *cpus, unsigned flags);

	/*
	 * One sample of the per-vCPU statistics into @out (set up with
	 * virtstats_dom_init(), see virtstats_parse(); @nvcpus_hint as
	 * there). out->t_ns is CLOCK_MONOTONIC at the middle of the call
	 * (a remote call takes a round trip). Fields the driver does not
	 * report are in out->missing, not zero. pcpu comes from
	 * virDomainGetVcpus() where the driver has it (running domains),
	 * else -1. Drivers report no vCPU fields for a domain that is not
	 * running (all missing).
	 */
	int (*get_vcpu_stats)(struct virt_domain *d, size_t nvcpus_hint,
			      struct virtstats_dom *out);
};

/* The libvirt implementation. */
const struct virt_ops *virt_libvirt_ops(void);

/* "running", "shut off", ... for a VIRT_DOM_* state. */
const char *virt_dom_state_name(int state);

/* "running", "offline", "blocked" for a VIRTSTATS_VCPU_* state ("?" otherwise). */
const char *virt_vcpu_state_name(int state);

/*
 * The listing of one domain: what virt-vcpus prints. Filled by
 * virt_view_read() and virt_view_sample(), printed by virt_view_print(),
 * released by virt_view_free().
 */
struct virt_dom_view {
	struct virt_dom_info info;
	cpu_set_t *pins;               /* per vCPU, npins of them */
	size_t npins;
	cpu_set_t emulator_pin;
	struct virtstats_vcpu *buf[2]; /* storage of the two samples */
	size_t cap;                    /* entries in each buf */
	struct virtstats_dom sample[2];
	int nsamples;                  /* 0, 1 or 2: sample[0] older than sample[1] */
};

/*
 * Read @d's info, vCPU pinning and emulator pinning into @v (cleared
 * first; free with virt_view_free() even on error). Returns 0 or -errno
 * (logged by the op).
 */
int virt_view_read(const struct virt_ops *ops, struct virt_domain *d, struct virt_dom_view *v);

/*
 * Take one more statistics sample of @d (after virt_view_read()). The
 * newest two are kept. A domain that is not running is not sampled (its
 * vCPUs have no statistics): returns 0 and leaves nsamples alone.
 */
int virt_view_sample(const struct virt_ops *ops, struct virt_domain *d,
		     struct virt_dom_view *v);

/*
 * Print the listing of @v to @f: a domain line, the emulator pinning, one
 * row per vCPU (state, host CPU, pinning, time/delay/wait rates between
 * the two samples, "-" where unknown) and one line per statistics field
 * the driver did not report ("vcpu.N.delay not reported by this driver").
 * Never calls any op. Returns 0 or -EIO when @f has an error.
 */
int virt_view_print(FILE *f, const struct virt_dom_view *v);

void virt_view_free(struct virt_dom_view *v);

/*
 * Prometheus: the vCPU counter families, one per libvirt field, with the
 * same names and HELP in every tool that writes them (vcpu-sampler in both
 * its modes, stealscope watch --listen): node_exporter merges the families
 * of all its textfiles, and Prometheus wants one HELP per name. Rendering
 * only: nothing here calls an op.
 */
struct promexp;

enum { VIRT_PROM_TIME, VIRT_PROM_DELAY, VIRT_PROM_WAIT, VIRT_PROM_NFAMILIES };

struct virt_prom_family {
	unsigned field;                /* VIRTSTATS_F_TIME, _DELAY or _WAIT */
	const char *name;              /* "stealscope_vcpu_run_seconds_total", ... */
	const char *help;
};

extern const struct virt_prom_family virt_prom_families[VIRT_PROM_NFAMILIES];

/*
 * The "host" label of the series of domains reached through the libvirt
 * URI @uri: the URI as given (NULL: VIRT_DEFAULT_URI), never a host name
 * guessed from it. It is what the user typed, it keeps two connections to
 * one machine apart (qemu:///system and qemu:///session, or watch's
 * --connect qemu:///system beside qemu+ssh://thishost/system), and it is
 * the name stealscope watch shows and passes as STEALSCOPE_HOST.
 */
const char *virt_prom_host(const char *uri);

/*
 * Into the family @fam open on @p: one sample per vCPU of the @n in @v
 * (domain @domain at @uri) that has @fam->field, labelled host
 * (virt_prom_host(@uri)), domain and vcpu (its index in @v), valued in
 * seconds. A vCPU without the field has no sample: absent, never 0.
 * Returns @p's sticky error (see common/promexp.h).
 */
int virt_prom_vcpus(struct promexp *p, const struct virt_prom_family *fam, const char *uri,
		    const char *domain, const struct virtstats_vcpu *v, size_t n);

/*
 * The command line of the tools that name a libvirt URI and a domain
 * (virt-vcpus, stealscope pin): -c/--connect URI and -d/--domain NAME, with
 * the same letters, checks and messages in each. The entries go into the
 * tool's getopt_long() table and optstring; virt_target_getopt() handles
 * them.
 */
#define VIRT_TARGET_SHORTOPTS "c:d:"
#define VIRT_TARGET_LONGOPTS                                  \
	{ "connect", required_argument, NULL, 'c' },          \
	{ "domain", required_argument, NULL, 'd' }

/*
 * getopt_long() (with opterr 0) over @shortopts and @longopts, which hold
 * VIRT_TARGET_SHORTOPTS and VIRT_TARGET_LONGOPTS, that handles --connect
 * and --domain itself: it sets *@uri or *@domain to the value (each stays
 * as it was until its option comes) and returns the next option that is
 * neither, for the tool's own switch; -1 at the end of the options, and at
 * an empty value: a usage error, said with the --help hint ("--connect:
 * empty URI", "--domain: empty name"). *@rc is 0, or EXIT_USAGE (2) then.
 */
int virt_target_getopt(int argc, char *const argv[], const char *shortopts,
		       const struct option *longopts, const char **uri, const char **domain,
		       int *rc);

/*
 * The check every tool makes of a libvirt URI given with option @opt
 * ("--connect"): an empty one is a usage error, said with the --help hint
 * ("--connect: empty URI"). Returns 0, or EXIT_USAGE (2).
 */
int virt_check_uri_arg(const char *opt, const char *uri);

#endif
