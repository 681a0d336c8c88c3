// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>
#include <zstd.h>

#include "boot/boot.h"

#define SETUP_SECTS 4
#define PM_OFF ((SETUP_SECTS + 1) * 512)

static uint8_t plain[200000];

static void fill_plain(void)
{
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)((i / 7) ^ (i >> 9));
}

/* A bzImage whose payload is @z (already compressed, size appended). */
static uint8_t *make_bzimage(const uint8_t *z, size_t zlen, size_t *len)
{
	size_t total = PM_OFF + 0x100 + zlen + 64;
	uint8_t *b = calloc(1, total);
	struct setup_header h = { 0 };

	h.setup_sects = SETUP_SECTS;
	h.boot_flag = 0xaa55;
	h.jump = 0x66eb;   /* jmp to 0x268 */
	h.header = 0x53726448;
	h.version = 0x020f;
	h.loadflags = LOADED_HIGH;
	h.xloadflags = XLF_KERNEL_64;
	h.relocatable_kernel = 1;
	h.kernel_alignment = 0x200000;
	h.cmdline_size = 2047;
	h.initrd_addr_max = 0x7fffffff;
	h.pref_address = 0x1000000;
	h.init_size = 0x400000;
	h.payload_offset = 0x100;
	h.payload_length = zlen;
	memcpy(b + 0x1f1, &h, sizeof(h));
	memcpy(b + PM_OFF + 0x100, z, zlen);
	*len = total;
	return b;
}

static size_t append_size(uint8_t *z, size_t zlen)
{
	uint32_t n = sizeof(plain);

	memcpy(z + zlen, &n, 4);
	return zlen + 4;
}

static void check_roundtrip(uint8_t *z, size_t zlen, const char *want)
{
	size_t len, out_len;
	uint8_t *img = make_bzimage(z, zlen, &len), *out;
	const char *algo = NULL;

	cr_assert_eq(bzimage_extract_vmlinux(img, len, &out, &out_len, &algo), 0,
		     "%s", want);
	cr_assert_str_eq(algo, want);
	cr_assert_eq(out_len, sizeof(plain));
	cr_assert_eq(memcmp(out, plain, sizeof(plain)), 0);
	free(out);
	/* A corrupted stream is refused, never half-used. */
	z[zlen / 2] ^= 0xff;
	z[zlen / 2 + 1] ^= 0x55;
	free(img);
	img = make_bzimage(z, zlen, &len);
	cr_assert_lt(bzimage_extract_vmlinux(img, len, &out, &out_len, &algo), 0,
		     "%s corrupt", want);
	free(img);
}

Test(bzimage, gzip_payload)
{
	uint8_t *z = malloc(sizeof(plain) + 1024);
	z_stream zs = { 0 };

	fill_plain();
	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = plain;
	zs.avail_in = sizeof(plain);
	zs.next_out = z;
	zs.avail_out = sizeof(plain) + 1024;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	check_roundtrip(z, append_size(z, zs.total_out), "gzip");
	free(z);
}

Test(bzimage, lz4_legacy_payload)
{
	uint8_t *z = malloc(LZ4_compressBound(sizeof(plain)) + 16);
	uint32_t magic = 0x184c2102, bsz;
	int n;

	fill_plain();
	memcpy(z, &magic, 4);
	n = LZ4_compress_default((const char *)plain, (char *)z + 8,
				 sizeof(plain), LZ4_compressBound(sizeof(plain)));
	cr_assert_gt(n, 0);
	bsz = n;
	memcpy(z + 4, &bsz, 4);
	check_roundtrip(z, append_size(z, 8 + n), "lz4");
	free(z);
}

Test(bzimage, zstd_payload)
{
	size_t cap = ZSTD_compressBound(sizeof(plain)) + 8;
	uint8_t *z = malloc(cap);
	size_t n;

	fill_plain();
	n = ZSTD_compress(z, cap, plain, sizeof(plain), 3);
	cr_assert_not(ZSTD_isError(n));
	check_roundtrip(z, append_size(z, n), "zstd");
	free(z);
}

/*
 * A zstd frame that declares a 2 GiB window (windowLog 31) around 16
 * bytes of data. Decoding it must not need that window: under a 512 MiB
 * address-space limit it still decodes (streaming with windowLogMax 31
 * allocated the 2 GiB and failed, or took it). Not under ASan, whose
 * shadow memory needs more address space than the limit allows.
 */
Test(bzimage, zstd_huge_window_needs_no_memory)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("address-space limit and ASan do not mix");
#else
	uint8_t f[4 + 1 + 1 + 3 + 16 + 4] = {
		0x28, 0xb5, 0x2f, 0xfd,     /* magic */
		0x00,                       /* no content size, not single segment */
		(31 - 10) << 3,             /* window descriptor: 2^31 */
		0x81, 0x00, 0x00,           /* last block, raw, 16 bytes */
	};
	struct rlimit rl = { 512u << 20, 512u << 20 };
	uint8_t out[16];
	const char *algo;

	memset(f + 9, 0x5a, 16);
	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
	cr_assert_eq(decompress_buffer(f, sizeof(f), out, sizeof(out), &algo), 0);
	cr_assert_eq(out[15], 0x5a);
#endif
}

Test(bzimage, xz_payload)
{
	size_t cap = sizeof(plain) + 4096, n = 0;
	uint8_t *z = malloc(cap);

	fill_plain();
	cr_assert_eq(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, plain,
					     sizeof(plain), z, &n, cap - 4), LZMA_OK);
	check_roundtrip(z, append_size(z, n), "xz");
	free(z);
}

Test(bzimage, header_checks)
{
	uint8_t z[16] = { 0x1f, 0x8b };
	size_t len;
	uint8_t *img = make_bzimage(z, sizeof(z), &len);
	struct boot_kernel bk;
	struct setup_header *h = (void *)(img + 0x1f1);

	cr_assert(bzimage_is_bzimage(img, len));
	cr_assert_eq(bzimage_parse(img, len, &bk), 0);
	cr_assert_eq(bk.hdr.pref_address, 0x1000000);
	/* Truncated below the header. */
	cr_assert_not(bzimage_is_bzimage(img, 0x200));
	/* Too old a protocol. */
	h->version = 0x0204;
	cr_assert_eq(bzimage_parse(img, len, &bk), -ENOTSUP);
	h->version = 0x020f;
	/* Not 64-bit capable. */
	h->xloadflags = 0;
	cr_assert_eq(bzimage_parse(img, len, &bk), -ENOTSUP);
	h->xloadflags = XLF_KERNEL_64;
	/* Payload claimed past the file. */
	h->payload_length = 0x7fffffff;
	cr_assert_eq(bzimage_parse(img, len, &bk), -ENOEXEC);
	h->payload_length = sizeof(z);
	/* setup_sects past the file. */
	h->setup_sects = 60;
	cr_assert_eq(bzimage_parse(img, len, &bk), -ENOEXEC);
	free(img);
}

Test(bzimage, absurd_decompressed_size)
{
	uint8_t z[16] = { 0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			  0xff, 0xff, 0xff, 0xff };
	size_t len, out_len;
	uint8_t *img = make_bzimage(z, sizeof(z), &len), *out;
	const char *algo;

	cr_assert_eq(bzimage_extract_vmlinux(img, len, &out, &out_len, &algo),
		     -ENOEXEC);
	free(img);
}

Test(bzimage, unknown_compression)
{
	uint8_t z[16] = { 'B', 'Z', 'h', '9', 0, 0, 0, 0, 0, 0, 0, 0,
			  0x10, 0, 0, 0 };
	size_t len, out_len;
	uint8_t *img = make_bzimage(z, sizeof(z), &len), *out;
	const char *algo;

	cr_assert_eq(bzimage_extract_vmlinux(img, len, &out, &out_len, &algo),
		     -EPROTONOSUPPORT);
	free(img);
}

Test(bzimage, load_protected_mode_kernel)
{
	uint8_t z[16] = { 0x1f, 0x8b };
	size_t len;
	uint8_t *img = make_bzimage(z, sizeof(z), &len);
	uint8_t *ram = calloc(1, 64 << 20);
	struct guestmem gm;
	struct boot_kernel bk;

	guestmem_init_with_buffer(&gm, ram, 64 << 20);
	cr_assert_eq(bzimage_parse(img, len, &bk), 0);
	cr_assert_eq(bzimage_load_kernel(&gm, img, len, &bk), 0);
	cr_assert_eq(bk.mode, BOOT_LINUX64);
	cr_assert_eq(bk.entry, 0x1000200);
	cr_assert_eq(ram[0x1000000 + 0x100], 0x1f);
	/* init_size beyond RAM: refused. */
	guestmem_init_with_buffer(&gm, ram, 0x1200000);
	cr_assert_eq(bzimage_load_kernel(&gm, img, len, &bk), -ERANGE);
	free(ram);
	free(img);
}
