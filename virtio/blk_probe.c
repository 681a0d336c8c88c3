// SPDX-License-Identifier: MIT
/*
 * Image format probing, for -drive without format=: QEMU would open a
 * qcow2 (or vmdk, ...) file as that format; handing it to the guest as a
 * raw disk instead lets the guest's first write corrupt it. So the
 * header is probed as QEMU's drivers do and a non-raw image is refused by
 * name. Magic numbers are from the formats' specifications.
 */
#include <stdint.h>
#include <string.h>

#include "util/le.h"
#include "virtio/blk.h"

static bool blk_magic_at(const uint8_t *buf, size_t n, size_t off,
			 const char *magic, size_t len)
{
	return n >= off + len && !memcmp(buf + off, magic, len);
}

const char *blk_probe_format(const uint8_t *buf, size_t n)
{
	if (blk_magic_at(buf, n, 0, "QFI\xfb", 4)) {
		/* Big-endian version: 1 is qcow, 2 and 3 are qcow2. */
		if (n >= 8 && buf[4] == 0 && buf[5] == 0 && buf[6] == 0 && buf[7] == 1)
			return "qcow";
		return "qcow2";
	}
	if (blk_magic_at(buf, n, 0, "QED\0", 4))
		return "qed";
	if (blk_magic_at(buf, n, 0, "KDMV", 4) ||
	    blk_magic_at(buf, n, 0, "# Disk DescriptorFile", 21))
		return "vmdk";
	if (n >= 0x44 && get_le(buf + 0x40, 4) == 0xbeda107fu)
		return "vdi";
	if (blk_magic_at(buf, n, 0, "vhdxfile", 8))
		return "vhdx";
	if (blk_magic_at(buf, n, 0, "conectix", 8))
		return "vpc";
	if (blk_magic_at(buf, n, 0, "LUKS\xba\xbe", 6))
		return "luks";
	if (blk_magic_at(buf, n, 0, "WithoutFreeSpace", 16) ||
	    blk_magic_at(buf, n, 0, "WithouFreSpacExt", 16))
		return "parallels";
	if (blk_magic_at(buf, n, 0, "Bochs Virtual HD Image", 22))
		return "bochs";
	return NULL;
}
