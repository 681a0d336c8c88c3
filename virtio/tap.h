/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_TAP_H
#define VIRTIO_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The host end of virtio-net: a Linux tap, one fd per queue pair
 * (IFF_MULTI_QUEUE when there are several), with a 12-byte virtio-net
 * header in front of every frame when vnet_hdr is on, so offloaded
 * segments cross without being touched.
 */
/* Open (creating it if absent) tap @ifname with @n queue fds; the name
 * the kernel chose goes to @name. 0 or -errno with a sentence in @err. */
int tap_open(const char *ifname, unsigned int n, bool vnet_hdr, int *fds,
	     char name[IFNAMSIZ], char *err, size_t errlen);
/* Check an fd the user handed us (fd=N) and set it up the same way. */
int tap_adopt(int fd, bool vnet_hdr, char name[IFNAMSIZ], char *err,
	      size_t errlen);
/* TUN_F_* offloads the tap may deliver to us. */
int tap_set_offload(int fd, unsigned int flags);
/* Attach or detach a queue of a multiqueue tap. */
int tap_set_queue(int fd, bool attached);

#endif
