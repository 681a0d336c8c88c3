/* SPDX-License-Identifier: MIT */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "kvm/guestmem.h"

/*
 * How the kernel is entered: through the PVH entry (32-bit protected mode,
 * %ebx = hvm_start_info) or the 64-bit Linux boot protocol (long mode,
 * %rsi = boot_params).
 */
enum boot_mode {
	BOOT_PVH,
	BOOT_LINUX64,
};

struct boot_kernel {
	enum boot_mode mode;
	uint64_t entry;          /* guest-physical entry point */
	uint64_t start, end;     /* guest-physical range the kernel occupies */
	/* bzImage only: the setup header to copy into boot_params. */
	bool has_setup_header;
	struct setup_header hdr;
	const char *format;      /* for -v: what was loaded and how */
};

/* Xen ELF note carrying the PVH 32-bit entry point. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* ELF vmlinux (ELF64) or PVH image (ELF64 or ELF32): PT_LOAD segments at
 * their physical addresses. 0 or -errno (-ENOEXEC: not an ELF we can
 * boot; -EPROTO: ELF32 without a PVH note; -ERANGE: segments outside
 * RAM). */
int elf_load_kernel(const struct guestmem *gm, const uint8_t *buf, size_t len,
		    struct boot_kernel *bk);
bool elf_is_elf(const uint8_t *buf, size_t len);

/* bzImage */
bool bzimage_is_bzimage(const uint8_t *buf, size_t len);
/* Validate the setup header; fills bk->hdr. 0 or -errno. */
int bzimage_parse(const uint8_t *buf, size_t len, struct boot_kernel *bk);
/* Copy the protected-mode kernel to its load address (64-bit protocol). */
int bzimage_load_kernel(const struct guestmem *gm, const uint8_t *buf,
			size_t len, struct boot_kernel *bk);
/* Decompress the vmlinux payload; *out is malloc'd. */
int bzimage_extract_vmlinux(const uint8_t *buf, size_t len, uint8_t **out,
			    size_t *out_len, const char **algo);

/* Payload decompression, by the compression the data's magic names. */
int decompress_buffer(const uint8_t *in, size_t in_len, uint8_t *out,
		      size_t out_len, const char **algo);

#endif
