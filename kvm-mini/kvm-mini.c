/*
 * kvm-mini: the command. Parses options (options.c), runs the VM through
 * the library (vmm.h), writes the results directory (output.c) and prints
 * the summary. The only place in kvm-mini that exits: 0 ok, 1 failure
 * (a guest exception, a corrupted shared area), 2 usage, 4 no usable KVM
 * device or a missing capability, with what to do.
 */
#include "common/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kvm-mini/options.h"
#include "kvm-mini/output.h"
#include "kvm-mini/vmm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int device_unusable(int e)
{
	return e == -ENOENT || e == -EACCES || e == -EPERM || e == -ENODEV || e == -ENXIO ||
	       e == -ENOTTY;
}

int main(int argc, char **argv)
{
	int64_t started = mono_ns();
	struct kmini_result res;
	struct kmini_opts o;
	struct kmini_vm *vm;
	int rc, e, we = 0;

	log_init("kvm-mini");
	rc = kmini_parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	o.cfg.process_start_ns = started;
	if (o.out_dir && fileio_check_output(o.out_dir, FILEIO_OUT_DIR))
		return EXIT_FAIL;
	if (cli_install_stop_handlers())
		return EXIT_FAIL;
	e = kmini_vm_create(&o.cfg, &vm);
	if (device_unusable(e)) {
		fprintf(stderr, "kvm-mini: needs a KVM device it can open read-write: load kvm_intel "
			"or kvm_amd (or run inside a VM with nested virtualization, e.g. "
			"scripts/kvm-nested.sh), give this user access (group kvm), or point "
			"--kvm-dev at the device\n");
		return EXIT_UNSUPPORTED;
	}
	if (e == -EOPNOTSUPP || e == -EPROTO)
		return EXIT_UNSUPPORTED;
	if (e)
		return EXIT_FAIL;
	e = kmini_vm_run(vm, &res);
	kmini_vm_destroy(vm);
	if (o.out_dir) {
		we = kmini_out_dir(o.out_dir);
		if (!we)
			we = kmini_write_results(o.out_dir, &o, &res, argc, argv);
	}
	if (res.t0_ns)
		kmini_print_summary(stdout, &o, &res);
	kmini_result_free(&res);
	if (e == -EINTR) {
		log_err(e, "stopped by signal %d", cli_stop_requested());
		return EXIT_FAIL;
	}
	return e || we ? EXIT_FAIL : EXIT_OK;
}
