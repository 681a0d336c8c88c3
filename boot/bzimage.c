// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/util.h"
#include "boot/boot.h"
#include "boot/layout.h"

#define SETUP_HDR_OFF     0x1f1
#define BOOT_FLAG         0xaa55
#define HDRS_MAGIC        0x53726448  /* "HdrS" */
#define MIN_PROTOCOL      0x020c      /* 2.12: xloadflags, 64-bit entry */
#define MAX_SETUP_SECTS   64
/* Kernels decompress to tens of MiB; refuse to allocate absurd sizes. */
#define MAX_VMLINUX_SIZE  (512 * MiB)

bool bzimage_is_bzimage(const uint8_t *buf, size_t len)
{
	uint32_t magic;
	uint16_t flag;

	if (len < 0x264)
		return false;
	memcpy(&flag, buf + 0x1fe, 2);
	memcpy(&magic, buf + 0x202, 4);
	return flag == BOOT_FLAG && magic == HDRS_MAGIC;
}

static size_t bzimage_setup_size(const struct setup_header *h)
{
	return ((size_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
}

int bzimage_parse(const uint8_t *buf, size_t len, struct boot_kernel *bk)
{
	struct setup_header *h = &bk->hdr;
	size_t hdr_end;

	if (!bzimage_is_bzimage(buf, len))
		return -ENOEXEC;
	memset(h, 0, sizeof(*h));
	/* The header's own length: the jump at 0x200 skips over it. */
	hdr_end = 0x202 + buf[0x201];
	if (hdr_end > len || hdr_end < 0x264)
		return -ENOEXEC;
	memcpy(h, buf + SETUP_HDR_OFF,
	       MIN(hdr_end - SETUP_HDR_OFF, sizeof(*h)));
	if (h->version < MIN_PROTOCOL)
		return -ENOTSUP;
	if (!(h->loadflags & LOADED_HIGH) || !(h->xloadflags & XLF_KERNEL_64))
		return -ENOTSUP;
	if (h->setup_sects > MAX_SETUP_SECTS || bzimage_setup_size(h) >= len)
		return -ENOEXEC;
	if ((uint64_t)h->payload_offset + h->payload_length >
	    len - bzimage_setup_size(h) || h->payload_length < 8)
		return -ENOEXEC;
	bk->has_setup_header = true;
	return 0;
}

int bzimage_load_kernel(const struct guestmem *gm, const uint8_t *buf,
			size_t len, struct boot_kernel *bk)
{
	size_t setup = bzimage_setup_size(&bk->hdr);
	size_t pm_len = len - setup;
	uint64_t load = bk->hdr.pref_address;
	uint64_t span = MAX((uint64_t)bk->hdr.init_size, (uint64_t)pm_len);
	uint8_t *dst;

	if (!(bk->hdr.relocatable_kernel) && load < LAYOUT_HIGH_MEM)
		return -ENOEXEC;
	if (load < LAYOUT_KERNEL_MIN)
		load = LAYOUT_KERNEL_MIN;
	/* The decompressor works in place over init_size bytes. */
	dst = guestmem_ptr(gm, load, span);
	if (!dst)
		return -ERANGE;
	memcpy(dst, buf + setup, pm_len);
	bk->mode = BOOT_LINUX64;
	bk->start = load;
	bk->end = load + span;
	bk->entry = load + 0x200;   /* startup_64 of the compressed kernel */
	bk->hdr.code32_start = (uint32_t)load;
	bk->format = "bzImage, 64-bit boot protocol";
	return 0;
}

int bzimage_extract_vmlinux(const uint8_t *buf, size_t len, uint8_t **out,
			    size_t *out_len, const char **algo)
{
	struct boot_kernel bk;
	const uint8_t *payload;
	uint32_t plen, size;
	uint8_t *dst;
	int r;

	r = bzimage_parse(buf, len, &bk);
	if (r < 0)
		return r;
	payload = buf + bzimage_setup_size(&bk.hdr) + bk.hdr.payload_offset;
	plen = bk.hdr.payload_length;
	/* The build appends the decompressed size, little-endian, to the data. */
	memcpy(&size, payload + plen - 4, 4);
	if (size == 0 || size > MAX_VMLINUX_SIZE)
		return -ENOEXEC;
	dst = malloc(size);
	if (!dst)
		return -ENOMEM;
	r = decompress_buffer(payload, plen, dst, size, algo);
	if (r < 0) {
		free(dst);
		return r;
	}
	*out = dst;
	*out_len = size;
	return 0;
}
