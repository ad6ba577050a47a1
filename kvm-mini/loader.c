/*
 * loader: see loader.h. Three page-table pages: PML4 -> PDPT -> one PD of
 * 2 MiB pages (present | writable | user | PS), enough for KMINI_MEM_BYTES.
 */
#include "kvm-mini/loader.h"

#include <errno.h>
#include <string.h>

#define PTE_P  (1ull << 0)
#define PTE_W  (1ull << 1)
#define PTE_U  (1ull << 2)
#define PTE_PS (1ull << 7)
#define PAGE_2M 0x200000ull

_Static_assert(KMINI_MEM_BYTES <= 512 * PAGE_2M, "one PD maps all guest RAM");
_Static_assert(KMINI_PT_GPA + 3 * 4096 <= KMINI_SHARED_GPA, "page tables fit");

int kmini_load(uint8_t *mem, size_t len, const struct kmini_cfg *cfg, const void *image,
	       size_t image_len)
{
	uint64_t *pml4 = (uint64_t *)(mem + KMINI_PT_GPA);
	uint64_t *pdpt = (uint64_t *)(mem + KMINI_PT_GPA + 4096);
	uint64_t *pd = (uint64_t *)(mem + KMINI_PT_GPA + 8192);
	struct kmini_shared *sh = (struct kmini_shared *)(mem + KMINI_SHARED_GPA);
	uint64_t a;

	if (len < KMINI_MEM_BYTES)
		return -EINVAL;
	if (image_len > KMINI_IMAGE_MAX)
		return -EFBIG;
	memset(mem + KMINI_PT_GPA, 0, 3 * 4096);
	pml4[0] = (KMINI_PT_GPA + 4096) | PTE_P | PTE_W | PTE_U;
	pdpt[0] = (KMINI_PT_GPA + 8192) | PTE_P | PTE_W | PTE_U;
	for (a = 0; a < KMINI_MEM_BYTES; a += PAGE_2M)
		pd[a / PAGE_2M] = a | PTE_P | PTE_W | PTE_U | PTE_PS;
	memset(sh, 0, sizeof(*sh));
	sh->cfg = *cfg;
	sh->cfg.magic = KMINI_ABI_MAGIC;
	sh->cfg.abi_version = KMINI_ABI_VERSION;
	memcpy(mem + KMINI_IMAGE_GPA, image, image_len);
	return 0;
}
