/*
 * Unit tests for kvm-mini/loader: guest memory as the guest finds it at its
 * first instruction: identity-mapped 2 MiB pages up to KMINI_MEM_BYTES and
 * nothing beyond, the config block with the ABI's magic, the image at its
 * address; too small a memory or too large an image refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kvm-mini/loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_kvm_mini_loader_layout(void **state)
{
	uint8_t *mem = calloc(1, KMINI_MEM_BYTES);
	const struct kmini_shared *sh = (const struct kmini_shared *)(mem + KMINI_SHARED_GPA);
	struct kmini_cfg cfg = { .nvcpus = 3, .ntasks = 5, .slice_ns = 4000000 };
	const uint8_t image[] = { 0xf4, 0xeb, 0xfe };
	const uint64_t *pml4, *pdpt, *pd;
	uint64_t i;

	(void)state;
	assert_non_null(mem);
	assert_int_equal(kmini_load(mem, KMINI_MEM_BYTES, &cfg, image, sizeof(image)), 0);
	pml4 = (const uint64_t *)(mem + KMINI_CR3);
	pdpt = (const uint64_t *)(mem + KMINI_CR3 + 4096);
	pd = (const uint64_t *)(mem + KMINI_CR3 + 8192);
	assert_int_equal(pml4[0], (KMINI_CR3 + 4096) | 7);
	assert_int_equal(pml4[1], 0);
	assert_int_equal(pdpt[0], (KMINI_CR3 + 8192) | 7);
	assert_int_equal(pdpt[1], 0);
	for (i = 0; i < KMINI_MEM_BYTES / 0x200000; i++)
		assert_int_equal(pd[i], (i * 0x200000) | 0x87);
	/* nothing mapped past guest RAM: a stray access is a #PF */
	assert_int_equal(pd[KMINI_MEM_BYTES / 0x200000], 0);
	assert_int_equal(sh->cfg.magic, KMINI_ABI_MAGIC);
	assert_int_equal(sh->cfg.abi_version, KMINI_ABI_VERSION);
	assert_int_equal(sh->cfg.nvcpus, 3);
	assert_int_equal(sh->cfg.ntasks, 5);
	assert_memory_equal(mem + KMINI_IMAGE_GPA, image, sizeof(image));
	/* the steal structs are 64-byte aligned, as MSR_KVM_STEAL_TIME demands */
	for (i = 0; i < KMINI_MAX_VCPUS; i++)
		assert_int_equal((KMINI_SHARED_GPA + (uintptr_t)&sh->vcpu[i].steal - (uintptr_t)sh) % 64, 0);
	free(mem);
}

static void test_kvm_mini_loader_refuses(void **state)
{
	uint8_t *mem = calloc(1, KMINI_MEM_BYTES);
	struct kmini_cfg cfg = { .nvcpus = 1 };

	(void)state;
	assert_int_equal(kmini_load(mem, KMINI_MEM_BYTES - 1, &cfg, mem, 1), -EINVAL);
	assert_int_equal(kmini_load(mem, KMINI_MEM_BYTES, &cfg, mem, KMINI_IMAGE_MAX + 1), -EFBIG);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_mini_loader_layout),
		cmocka_unit_test(test_kvm_mini_loader_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
