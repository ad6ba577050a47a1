/*
 * loader: guest memory as the guest expects it at its first instruction
 * (kvm-mini/abi.h): page tables identity-mapping the guest's RAM with
 * 2 MiB pages (nothing above it is mapped, so a stray access is a #PF the
 * guest reports), the config block, and the guest image embedded in this
 * program (guest/ built with its own flags, see the Makefile). Pure: it
 * only writes the memory it is handed, never KVM.
 */
#ifndef STEALSCOPE_KVM_MINI_LOADER_H
#define STEALSCOPE_KVM_MINI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "kvm-mini/abi.h"

/* The guest image linked into this program (kvm-mini/guestimg.S). */
extern const uint8_t kmini_guest_image[];
extern const uint8_t kmini_guest_image_end[];

/*
 * Fill @mem (@len bytes, zeroed, guest-physical 0 at @mem[0], at least
 * KMINI_MEM_BYTES) with page tables, @cfg and @image (@image_len bytes,
 * at KMINI_IMAGE_GPA). Returns 0, -EINVAL when @len is too small, or
 * -EFBIG when the image is larger than KMINI_IMAGE_MAX.
 */
int kmini_load(uint8_t *mem, size_t len, const struct kmini_cfg *cfg, const void *image,
	       size_t image_len);

/* The guest-physical address of the PML4 (CR3). */
#define KMINI_CR3 KMINI_PT_GPA

#endif
