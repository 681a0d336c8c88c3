// SPDX-License-Identifier: MIT
/* Kernel images from the user: ELF (64 and 32), bzImage headers, and the
 * payload decompressors (gzip, lz4, xz, zstd), into a small guest RAM. */
#include "tests/fuzz/fuzz.h"
#include "boot/boot.h"

static uint8_t *ram;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guestmem gm;
	struct boot_kernel bk = { 0 };
	uint8_t *out = NULL, small[4096];
	size_t out_len = 0;
	const char *algo = NULL;

	if (!ram)
		ram = calloc(1, 32u << 20);
	guestmem_init_with_buffer(&gm, ram, 32u << 20);
	if (elf_is_elf(data, size))
		elf_load_kernel(&gm, data, size, &bk);
	if (bzimage_is_bzimage(data, size) && bzimage_parse(data, size, &bk) == 0) {
		bzimage_load_kernel(&gm, data, size, &bk);
		if (bzimage_extract_vmlinux(data, size, &out, &out_len, &algo) == 0)
			free(out);
	}
	/* The decompressors on their own, whatever the magic. */
	decompress_buffer(data, size, small, sizeof(small), &algo);
	return 0;
}
