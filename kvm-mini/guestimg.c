/*
 * guestimg: the flat guest image (kvm-mini/guest/, linked by guest.ld and
 * flattened by the Makefile) embedded read-only in the VMM, so kvm-mini is
 * one file. KMINI_GUEST_BIN is the image's path, given by the Makefile.
 * Only an assembler directive: nothing here runs.
 */
#include "kvm-mini/loader.h"

#ifndef KMINI_GUEST_BIN
#error "KMINI_GUEST_BIN (the path of the flat guest image) must be defined"
#endif

__asm__(".section .rodata\n"
	".globl kmini_guest_image\n"
	".globl kmini_guest_image_end\n"
	".balign 16\n"
	"kmini_guest_image:\n"
	".incbin \"" KMINI_GUEST_BIN "\"\n"
	"kmini_guest_image_end:\n"
	".previous\n");
