// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio/net_hdr.h"
#include "virtio/tap.h"

static int tap_setup(int fd, bool vnet_hdr)
{
	int hdr = NET_HDR_LEN;

	if (vnet_hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return -errno;
	/* No offloads until the guest has said which it takes. */
	if (vnet_hdr && ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		return -errno;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int tap_open(const char *ifname, unsigned int n, bool vnet_hdr, int *fds,
	     char name[IFNAMSIZ], char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	unsigned int i;
	int r = 0;

	if (ifname && strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "ifname '%s' is longer than %d characters.",
			 ifname, IFNAMSIZ - 1);
		return -EINVAL;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) |
			(n > 1 ? IFF_MULTI_QUEUE : 0);
	if (ifname)
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	for (i = 0; i < n; i++) {
		fds[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fds[i] < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot open /dev/net/tun: %s.",
				 strerror(errno));
			break;
		}
		/* The first open names (or creates) the device; the others
		 * attach more queues to the same one. */
		r = ioctl(fds[i], TUNSETIFF, &ifr);
		/* A tap made with multi_queue takes single-queue users only
		 * with the flag too (and one made without it, never). */
		if (r < 0 && errno == EINVAL && n == 1 &&
		    !(ifr.ifr_flags & IFF_MULTI_QUEUE)) {
			ifr.ifr_flags |= IFF_MULTI_QUEUE;
			r = ioctl(fds[i], TUNSETIFF, &ifr);
		}
		if (r < 0) {
			r = -errno;
			snprintf(err, errlen,
				 "cannot use tap '%s'%s: %s.",
				 ifname ? ifname : "(new)",
				 errno == EINVAL && n > 1 ?
				 " with several queues (does it exist without multi_queue?)" :
				 errno == EBUSY ? " (it is in use, or its flags differ)" : "",
				 strerror(errno));
			close(fds[i]);
			break;
		}
		r = tap_setup(fds[i], vnet_hdr);
		if (r < 0) {
			snprintf(err, errlen, "cannot set up '%s': %s.",
				 ifr.ifr_name, strerror(-r));
			close(fds[i]);
			break;
		}
	}
	if (r < 0) {
		while (i--)
			close(fds[i]);
		return r;
	}
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	return 0;
}

int tap_adopt(int fd, bool vnet_hdr, char name[IFNAMSIZ], char *err,
	      size_t errlen)
{
	struct ifreq ifr = { 0 };
	int r;

	if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_TAP)) {
		snprintf(err, errlen, "fd=%d is not an open tap device.", fd);
		return -EINVAL;
	}
	if (vnet_hdr && !(ifr.ifr_flags & IFF_VNET_HDR)) {
		snprintf(err, errlen,
			 "fd=%d was opened without IFF_VNET_HDR; give vnet_hdr=off.",
			 fd);
		return -EINVAL;
	}
	if (!vnet_hdr && (ifr.ifr_flags & IFF_VNET_HDR)) {
		snprintf(err, errlen,
			 "fd=%d was opened with IFF_VNET_HDR; give vnet_hdr=on.",
			 fd);
		return -EINVAL;
	}
	r = tap_setup(fd, vnet_hdr);
	if (r < 0) {
		snprintf(err, errlen, "cannot set up fd=%d: %s.", fd,
			 strerror(-r));
		return r;
	}
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	return 0;
}

int tap_set_offload(int fd, unsigned int flags)
{
	return ioctl(fd, TUNSETOFFLOAD, flags) < 0 ? -errno : 0;
}

int tap_set_queue(int fd, bool attached)
{
	struct ifreq ifr = { .ifr_flags = attached ? IFF_ATTACH_QUEUE :
						     IFF_DETACH_QUEUE };

	return ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}
