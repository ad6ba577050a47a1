/*
 * runner: the flow behind `stealscope run`: load the spec, apply the
 * command line (specedit), check the machine (backend, online CPUs, output
 * directory), create the results directory, and for every policy and
 * repetition start the backend's threads, sample at absolute deadlines,
 * stop, join and write the files; then the summary, the plots and the
 * report. SIGINT/SIGTERM stop the threads at once, restore cgroups, write
 * what was measured and leave INCOMPLETE in place.
 *
 * The native, kvm-mini and libvirt backends run here. kvm-mini runs in this
 * process where /dev/kvm is usable, else nested in a QEMU TCG guest where
 * that route is ready (experiments/backend-kvmmini.h), else it is refused
 * with EXIT_UNSUPPORTED and a message saying what to do, as is libvirt
 * without a daemon or a guest image; --backend auto takes kvm-mini where it
 * can run (in-process, else nested), else native, says which and why on
 * stderr in one line and records both in meta.json. With libvirt the domain
 * type (--domain-type, else kvm where this host's KVM boots a stock kernel,
 * else qemu) is said on stderr and recorded too. The only child process the
 * runner starts is the nested route's harness (libvirt's daemon starts its
 * QEMU): it is ended with its whole process group on a stop request; every
 * thread it starts is joined and every domain destroyed before it returns.
 */
#ifndef STEALSCOPE_RUNNER_H
#define STEALSCOPE_RUNNER_H

#include "experiments/spec.h"

struct runner_opts {
	const char *experiment;        /* a name in the experiments directory, or a path */
	int backend_set;               /* --backend given */
	int backend_auto;              /* --backend auto: the runner chooses @backend */
	enum spec_backend backend;
	int repeat;                    /* --repeat; 0: the spec's */
	int quick;                     /* --quick */
	const char *out_base;          /* --out; "results" by default */
	const char *policy;            /* --policy; NULL: every policy */
	const char *connect_uri;       /* --connect; NULL: VIRT_DEFAULT_URI (libvirt only) */
	const char *domain_type;       /* --domain-type kvm|qemu; NULL: the runner chooses */
	int argc;                      /* the whole command line, for meta.json */
	char *const *argv;
};

/*
 * Run the experiment. Returns the exit code: EXIT_OK; EXIT_USAGE for an
 * unknown experiment or policy, an invalid spec or a CPU that is not
 * online; EXIT_UNSUPPORTED for a backend this machine or build cannot run;
 * EXIT_FAIL for a failure or an interrupt (then "interrupted: partial
 * results in DIR" on stderr). Messages are logged where found.
 */
int runner_run(const struct runner_opts *o);

#endif
