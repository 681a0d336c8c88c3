/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_BLK_TYPES_H
#define VIRTIO_BLK_TYPES_H

/*
 * The -drive choices, one definition for the command line (vmm/options*)
 * and the device (virtio/blk.c). The order of each is the order of the
 * names the CLI accepts (blk_cache_names, blk_aio_names).
 */
enum blk_cache { BLK_CACHE_WRITEBACK, BLK_CACHE_NONE, BLK_CACHE_WRITETHROUGH,
		 BLK_CACHE_UNSAFE };
enum blk_aio { BLK_AIO_DEFAULT, BLK_AIO_IO_URING, BLK_AIO_THREADS };

#define BLK_CACHE_NAMES { "writeback", "none", "writethrough", "unsafe", NULL }
#define BLK_AIO_NAMES   { "default", "io_uring", "threads", NULL }

#endif
