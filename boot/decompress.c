// SPDX-License-Identifier: MIT
/*
 * The compressions a bzImage payload can use, each through its Debian
 * library. Every decoder writes at most out_len bytes and must produce
 * exactly that many: the size the kernel build recorded.
 */
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "boot/boot.h"

#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20)
#define MIN_SZ(a, b) ((a) < (b) ? (a) : (b))

static int decompress_gzip(const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_len)
{
	z_stream zs;
	int r;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = in_len;
	zs.next_out = out;
	zs.avail_out = out_len;
	r = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	return (r == Z_STREAM_END && zs.total_out == out_len) ? 0 : -EBADMSG;
}

/* The kernel uses LZ4's legacy frame: magic, then (le32 size, block)*. */
static int decompress_lz4(const uint8_t *in, size_t in_len, uint8_t *out,
			  size_t out_len)
{
	size_t off = 4, done = 0;

	while (done < out_len && in_len - off >= 4) {
		uint32_t bsz;
		int n;

		memcpy(&bsz, in + off, 4);
		off += 4;
		if (bsz == LZ4_LEGACY_MAGIC)
			continue;   /* concatenated streams */
		if (bsz > in_len - off || bsz > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
			return -EBADMSG;
		n = LZ4_decompress_safe((const char *)in + off, (char *)out + done,
					bsz, (int)MIN_SZ(out_len - done, LZ4_LEGACY_BLOCK));
		if (n < 0)
			return -EBADMSG;
		done += n;
		off += bsz;
	}
	return done == out_len ? 0 : -EBADMSG;
}

static int decompress_xz(const uint8_t *in, size_t in_len, uint8_t *out,
			 size_t out_len)
{
	uint64_t memlimit = 256ULL << 20;
	size_t in_pos = 0, out_pos = 0;
	lzma_ret r;

	/* Leave out the appended size word: liblzma would call it garbage. */
	r = lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos,
				      in_len - 4, out, &out_pos, out_len);
	return (r == LZMA_OK && out_pos == out_len) ? 0 : -EBADMSG;
}

/*
 * One shot into the flat output buffer: zstd then needs no window of its
 * own, whatever window the frame declares. (Streaming with windowLogMax
 * 31 let a crafted frame make us allocate 2 GiB; the kernel's own
 * decompressor works the same single-pass way.)
 */
static int decompress_zstd(const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_len)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	size_t r;

	if (!dctx)
		return -ENOMEM;
	r = ZSTD_decompressDCtx(dctx, out, out_len, in, in_len - 4);
	ZSTD_freeDCtx(dctx);
	if (ZSTD_isError(r) || r != out_len)
		return -EBADMSG;
	return 0;
}

int decompress_buffer(const uint8_t *in, size_t in_len, uint8_t *out,
		      size_t out_len, const char **algo)
{
	static const uint8_t gz[] = { 0x1f, 0x8b };
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
	static const uint8_t zst[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const uint8_t lz4[] = { 0x02, 0x21, 0x4c, 0x18 };

	if (in_len < 8)
		return -EBADMSG;
	if (!memcmp(in, gz, sizeof(gz))) {
		*algo = "gzip";
		return decompress_gzip(in, in_len, out, out_len);
	}
	if (!memcmp(in, lz4, sizeof(lz4))) {
		*algo = "lz4";
		return decompress_lz4(in, in_len, out, out_len);
	}
	if (!memcmp(in, xz, sizeof(xz))) {
		*algo = "xz";
		return decompress_xz(in, in_len, out, out_len);
	}
	if (!memcmp(in, zst, sizeof(zst))) {
		*algo = "zstd";
		return decompress_zstd(in, in_len, out, out_len);
	}
	*algo = "unknown";
	/* bzip2, lzma and lzo kernels exist but Debian builds none of them. */
	return -EPROTONOSUPPORT;
}
