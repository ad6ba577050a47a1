/*
 * support/spindom: the XML of the spinning test domain that the libvirt
 * integration tests boot on a real daemon: a transient TCG domain running
 * the multiboot guest tests/fixtures/libvirt/spin.s, whose one vCPU spins
 * at 100% (always runnable: whenever it does not run, it waits, so its run
 * delay is exactly the time others had its CPU).
 *
 * Test code; it calls no libvirt function (linking it needs no libvirt).
 */
#ifndef STEALSCOPE_TEST_SUPPORT_SPINDOM_H
#define STEALSCOPE_TEST_SUPPORT_SPINDOM_H

#include <stddef.h>

/*
 * Into @buf (@len bytes; 4096 is plenty): domain @name running @kernel,
 * 32 MiB, its one vCPU pinned to host CPU @vcpu_cpu and the emulator
 * threads to @emu_cpu, its serial port written to the file @serial. A
 * buffer too small fails the test.
 */
void support_spin_domain_xml(char *buf, size_t len, const char *name, int vcpu_cpu,
			     int emu_cpu, const char *kernel, const char *serial);

#endif
