/*
 * support/spindom: see spindom.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support/spindom.h"

#include <stdio.h>

void support_spin_domain_xml(char *buf, size_t len, const char *name, int vcpu_cpu,
			     int emu_cpu, const char *kernel, const char *serial)
{
	int n;

	/* Nothing but the spinning vCPU: no USB controller, no balloon. */
	n = snprintf(buf, len,
		     "<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory>"
		     "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='%d'/>"
		     "<emulatorpin cpuset='%d'/></cputune>"
		     "<os><type arch='x86_64'>hvm</type><kernel>%s</kernel></os>"
		     "<features><acpi/></features><on_poweroff>destroy</on_poweroff>"
		     "<on_reboot>destroy</on_reboot><on_crash>destroy</on_crash><devices>"
		     "<controller type='usb' model='none'/><serial type='file'>"
		     "<source path='%s'/><target port='0'/></serial>"
		     "<memballoon model='none'/></devices></domain>",
		     name, vcpu_cpu, emu_cpu, kernel, serial);
	assert_true(n > 0 && (size_t)n < len);
}
