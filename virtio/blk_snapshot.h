/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_BLK_SNAPSHOT_H
#define VIRTIO_BLK_SNAPSHOT_H

#include <sys/types.h>

/* A private, already unlinked copy of the regular file @image_fd (@size
 * bytes) for the guest to write: its fd, or -errno. */
int blk_snapshot_open(int image_fd, off_t size);

#endif
