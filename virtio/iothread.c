// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"
#include "virtio/iothread.h"

static void iothread_msix_fire(void *ctx, unsigned int vec, uint64_t addr,
			 uint32_t data)
{
	struct virtio_iothread *t = ctx;
	uint64_t one = 1;

	if (t->use_irqfd && t->irqfd[vec] >= 0) {
		__atomic_fetch_add(&t->irqfd_irqs, 1, __ATOMIC_RELAXED);
		if (write(t->irqfd[vec], &one, sizeof(one)) < 0)
			pr_warn("virtio: irqfd write failed: %s", strerror(errno));
		return;
	}
	__atomic_fetch_add(&t->msi_irqs, 1, __ATOMIC_RELAXED);
	if (kvm_signal_msi(t->kvm, addr, data) < 0)
		pr_debug("virtio: KVM_SIGNAL_MSI to %#llx refused",
			 (unsigned long long)addr);
}

static void iothread_msix_update(void *ctx, unsigned int vec, uint64_t addr,
			   uint32_t data, bool masked)
{
	struct virtio_iothread *t = ctx;

	(void)masked;   /* masking is done by the transport, not the route */
	if (t->use_irqfd && t->gsi[vec] >= 0 &&
	    kvm_irq_router_set_msi(t->kvm, t->router, t->gsi[vec], addr,
				   data) < 0)
		pr_warn("virtio: cannot route MSI-X vector %u", vec);
}

static void iothread_intx(void *ctx, int level)
{
	struct virtio_iothread *t = ctx;

	if (t->intx_gsi >= 0 &&
	    kvm_irq_router_set_line(t->kvm, t->router, t->intx_gsi,
				    t->intx_source, level) < 0)
		pr_warn("virtio: cannot set INTx line %d", t->intx_gsi);
}

void virtio_iothread_set_intx(struct virtio_iothread *t, int gsi,
			      unsigned int source)
{
	t->intx_gsi = gsi;
	t->intx_source = source;
}

static void iothread_notify_moved(void *ctx, unsigned int q, uint64_t addr)
{
	struct virtio_iothread *t = ctx;
	struct virtio_iothread_kick *k;
	uint32_t len = t->any_length ? 0 : 2;

	if (!t->use_ioeventfd || q >= VIRTIO_PCI_MAX_QUEUES)
		return;
	k = &t->kick[q];
	if (k->fd < 0)
		return;
	if (k->addr)
		kvm_ioeventfd(t->kvm, k->fd, k->addr, len, false, false);
	k->addr = 0;
	if (addr && kvm_ioeventfd(t->kvm, k->fd, addr, len, false, true) == 0)
		k->addr = addr;
	/* Without it the MMIO slow path still delivers the kick. */
}

int virtio_iothread_init(struct virtio_iothread *t, struct kvm *kvm,
			 struct kvm_irq_router *router, bool ioeventfd,
			 bool irqfd, struct virtio_pci_host *host)
{
	memset(t, 0, sizeof(*t));
	t->kvm = kvm;
	t->router = router;
	t->use_ioeventfd = ioeventfd;
	t->use_irqfd = irqfd;
	t->intx_gsi = -1;
	t->any_length = kvm_check_extension(kvm, KVM_CAP_IOEVENTFD_ANY_LENGTH);
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++)
		t->gsi[i] = t->irqfd[i] = -1;
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		t->kick[q] = (struct virtio_iothread_kick){ .t = t, .q = q, .fd = -1 };
	*host = (struct virtio_pci_host){
		.msix_fire = iothread_msix_fire,
		.msix_update = iothread_msix_update,
		.intx = iothread_intx,
		.notify_moved = iothread_notify_moved,
		.ctx = t,
		.io = &t->loop,
	};
	return evloop_init(&t->loop, "vmm-io");
}

/* A kick by ioeventfd: drain the counter, then serve the queue. */
static void iothread_kick(void *ctx, uint32_t events)
{
	struct virtio_iothread_kick *k = ctx;
	uint64_t cnt;

	if (read(k->fd, &cnt, sizeof(cnt)) > 0) {
		k->t->eventfd_kicks++;
		virtio_pci_kick(k->t->vp, k->q);
	}
}

int virtio_iothread_attach(struct virtio_iothread *t, struct virtio_pci *vp)
{
	int r;

	t->vp = vp;
	for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
		struct virtio_iothread_kick *k = &t->kick[q];

		k->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (k->fd < 0)
			return -errno;
		r = evloop_add_fd(&t->loop, k->fd, EPOLLIN, iothread_kick, k);
		if (r < 0)
			return r;
	}
	if (!t->use_irqfd)
		return 0;
	for (unsigned int v = 0; v < vp->nvectors; v++) {
		t->gsi[v] = kvm_irq_router_alloc(t->router);
		if (t->gsi[v] < 0)
			return t->gsi[v];
		t->irqfd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->irqfd[v] < 0)
			return -errno;
		r = kvm_irqfd(t->kvm, t->irqfd[v], t->gsi[v], true);
		if (r < 0)
			return r;
	}
	return 0;
}

int virtio_iothread_start(struct virtio_iothread *t, const struct sandbox *sb)
{
	return evloop_start(&t->loop, sb, SANDBOX_IO);
}

void virtio_iothread_stop(struct virtio_iothread *t)
{
	if (t->loop.started) {
		evloop_stop(&t->loop);
		pr_info("%s: kicks %lu by ioeventfd, %lu by MMIO exit; interrupts %lu by irqfd, %lu by KVM_SIGNAL_MSI",
			t->vp->pci.name, t->eventfd_kicks, t->vp->mmio_kicks,
			t->irqfd_irqs, t->msi_irqs);
	}
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++) {
		if (t->irqfd[i] >= 0)
			kvm_irqfd(t->kvm, t->irqfd[i], t->gsi[i], false);
		util_close_fd(&t->irqfd[i]);
	}
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		util_close_fd(&t->kick[q].fd);
	evloop_exit(&t->loop);
}
