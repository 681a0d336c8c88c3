// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sandbox.h"
#include "virtio/virtio_kvm.h"

#define EV_STOP  0xffff0000u
#define EV_TIMER 0xffff0001u
#define EV_EXTRA 0xffff0010u   /* + watch index */

static void vk_msix_fire(void *ctx, unsigned int vec, uint64_t addr,
			 uint32_t data)
{
	struct virtio_kvm *vk = ctx;
	uint64_t one = 1;

	if (vk->use_irqfd && vk->irqfd[vec] >= 0) {
		__atomic_fetch_add(&vk->irqfd_irqs, 1, __ATOMIC_RELAXED);
		if (write(vk->irqfd[vec], &one, sizeof(one)) < 0)
			pr_warn("virtio: irqfd write failed: %s", strerror(errno));
		return;
	}
	__atomic_fetch_add(&vk->msi_irqs, 1, __ATOMIC_RELAXED);
	if (kvm_signal_msi(vk->kvm, addr, data) < 0)
		pr_debug("virtio: KVM_SIGNAL_MSI to %#llx refused",
			 (unsigned long long)addr);
}

static void vk_msix_update(void *ctx, unsigned int vec, uint64_t addr,
			   uint32_t data, bool masked)
{
	struct virtio_kvm *vk = ctx;

	(void)masked;   /* masking is done by the transport, not the route */
	if (vk->use_irqfd && vk->gsi[vec] >= 0 &&
	    kvm_irq_router_set_msi(vk->kvm, vk->router, vk->gsi[vec], addr,
				   data) < 0)
		pr_warn("virtio: cannot route MSI-X vector %u", vec);
}

static void vk_intx(void *ctx, int level)
{
	struct virtio_kvm *vk = ctx;

	if (vk->intx_gsi >= 0 &&
	    kvm_irq_router_set_line(vk->kvm, vk->router, vk->intx_gsi,
				    vk->intx_source, level) < 0)
		pr_warn("virtio: cannot set INTx line %d", vk->intx_gsi);
}

void virtio_kvm_set_intx(struct virtio_kvm *vk, int gsi, unsigned int source)
{
	vk->intx_gsi = gsi;
	vk->intx_source = source;
}

static void vk_notify_moved(void *ctx, unsigned int q, uint64_t addr)
{
	struct virtio_kvm *vk = ctx;
	uint32_t len = vk->any_length ? 0 : 2;

	if (!vk->use_ioeventfd || q >= VIRTIO_PCI_MAX_QUEUES || vk->kickfd[q] < 0)
		return;
	if (vk->kick_addr[q])
		kvm_ioeventfd(vk->kvm, vk->kickfd[q], vk->kick_addr[q], len,
			      false, false);
	vk->kick_addr[q] = 0;
	if (addr && kvm_ioeventfd(vk->kvm, vk->kickfd[q], addr, len, false,
				  true) == 0)
		vk->kick_addr[q] = addr;
	/* Without it the MMIO slow path still delivers the kick. */
}

int virtio_kvm_init(struct virtio_kvm *vk, struct kvm *kvm,
		    struct kvm_irq_router *router, bool ioeventfd, bool irqfd,
		    struct virtio_pci_backend *be)
{
	memset(vk, 0, sizeof(*vk));
	vk->kvm = kvm;
	vk->router = router;
	vk->use_ioeventfd = ioeventfd;
	vk->use_irqfd = irqfd;
	vk->intx_gsi = -1;
	vk->any_length = kvm_check_extension(kvm, KVM_CAP_IOEVENTFD_ANY_LENGTH);
	vk->epfd = vk->stopfd = vk->timerfd = -1;
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++)
		vk->gsi[i] = vk->irqfd[i] = -1;
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vk->kickfd[i] = -1;
	*be = (struct virtio_pci_backend){
		.msix_fire = vk_msix_fire, .msix_update = vk_msix_update,
		.intx = vk_intx, .notify_moved = vk_notify_moved, .ctx = vk,
	};
	return 0;
}

static int vk_watch(struct virtio_kvm *vk, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(vk->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int virtio_kvm_attach(struct virtio_kvm *vk, struct virtio_pci *vp)
{
	int r;

	vk->vp = vp;
	vk->epfd = epoll_create1(EPOLL_CLOEXEC);
	vk->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vk->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vk->epfd < 0 || vk->stopfd < 0 || vk->timerfd < 0)
		return -errno;
	if ((r = vk_watch(vk, vk->stopfd, EV_STOP)) < 0 ||
	    (r = vk_watch(vk, vk->timerfd, EV_TIMER)) < 0)
		return r;
	for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
		vk->kickfd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vk->kickfd[q] < 0)
			return -errno;
		if ((r = vk_watch(vk, vk->kickfd[q], q)) < 0)
			return r;
	}
	if (!vk->use_irqfd)
		return 0;
	for (unsigned int v = 0; v < vp->nvectors; v++) {
		vk->gsi[v] = kvm_irq_router_alloc(vk->router);
		if (vk->gsi[v] < 0)
			return vk->gsi[v];
		vk->irqfd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vk->irqfd[v] < 0)
			return -errno;
		r = kvm_irqfd(vk->kvm, vk->irqfd[v], vk->gsi[v], true);
		if (r < 0)
			return r;
	}
	return 0;
}

int virtio_kvm_watch_fd(struct virtio_kvm *vk, int fd, void (*cb)(void *),
			void *ctx)
{
	unsigned int i = vk->n_watch;
	int r;

	if (i == VIRTIO_KVM_MAX_WATCH)
		return -ENOSPC;
	vk->watch[i].fd = fd;
	vk->watch[i].cb = cb;
	vk->watch[i].ctx = ctx;
	r = vk_watch(vk, fd, EV_EXTRA + i);
	if (r < 0)
		return r;
	vk->watch[i].on = true;
	vk->n_watch++;
	return i;
}

int virtio_kvm_watch_enable(struct virtio_kvm *vk, int idx, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0,
				  .data.u32 = EV_EXTRA + idx };

	if (idx < 0 || (unsigned int)idx >= vk->n_watch)
		return -EINVAL;
	if (vk->watch[idx].on == on)
		return 0;
	/* Masked, not removed: EPOLLERR and EPOLLHUP are still reported (a
	 * tap deleted while the guest has no receive buffers), and the
	 * callback must handle them. */
	if (epoll_ctl(vk->epfd, EPOLL_CTL_MOD, vk->watch[idx].fd, &ev) < 0)
		return -errno;
	vk->watch[idx].on = on;
	return 0;
}

int virtio_kvm_set_tick(struct virtio_kvm *vk, unsigned int secs)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = secs }, .it_value = { .tv_sec = secs },
	};

	return timerfd_settime(vk->timerfd, 0, &its, NULL) < 0 ? -errno : 0;
}

static void *vk_thread(void *arg)
{
	struct virtio_kvm *vk = arg;

	sandbox_enter_or_die(vk->sandbox, SANDBOX_IO);
	for (;;) {
		struct epoll_event ev[8];
		int n = epoll_wait(vk->epfd, ev, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;
			uint64_t cnt;

			if (tag == EV_STOP)
				return NULL;
			if (tag >= EV_EXTRA && tag < EV_EXTRA + vk->n_watch) {
				unsigned int w = tag - EV_EXTRA;

				vk->watch[w].cb(vk->watch[w].ctx);
				continue;
			}
			if (tag == EV_TIMER) {
				if (read(vk->timerfd, &cnt, sizeof(cnt)) > 0 && vk->tick)
					vk->tick(vk->tick_ctx);
				continue;
			}
			/* A kick: drain the counter, then serve the queue. */
			if (read(vk->kickfd[tag], &cnt, sizeof(cnt)) > 0) {
				vk->eventfd_kicks++;
				virtio_pci_kick(vk->vp, tag);
			}
		}
	}
	return NULL;
}

int virtio_kvm_start(struct virtio_kvm *vk, const struct sandbox *sb)
{
	int r;

	vk->sandbox = sb;
	r = pthread_create(&vk->thread, NULL, vk_thread, vk);

	if (r)
		return -r;
	vk->started = true;
	return 0;
}

void virtio_kvm_stop(struct virtio_kvm *vk)
{
	uint64_t one = 1;

	if (vk->started) {
		pr_info("%s: kicks %lu by ioeventfd, %lu by MMIO exit; interrupts %lu by irqfd, %lu by KVM_SIGNAL_MSI",
			vk->vp->pci.name, vk->eventfd_kicks, vk->vp->mmio_kicks,
			vk->irqfd_irqs, vk->msi_irqs);
		if (write(vk->stopfd, &one, sizeof(one)) < 0)
			pr_warn("virtio: cannot stop the I/O thread");
		pthread_join(vk->thread, NULL);
		vk->started = false;
	}
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++)
		if (vk->irqfd[i] >= 0) {
			kvm_irqfd(vk->kvm, vk->irqfd[i], vk->gsi[i], false);
			close(vk->irqfd[i]);
			vk->irqfd[i] = -1;
		}
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		if (vk->kickfd[i] >= 0) {
			close(vk->kickfd[i]);
			vk->kickfd[i] = -1;
		}
	if (vk->epfd >= 0)
		close(vk->epfd);
	if (vk->stopfd >= 0)
		close(vk->stopfd);
	if (vk->timerfd >= 0)
		close(vk->timerfd);
	vk->epfd = vk->stopfd = vk->timerfd = -1;
}
