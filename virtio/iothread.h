/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_IOTHREAD_H
#define VIRTIO_IOTHREAD_H

#include <stdbool.h>

#include "kvm/kvm.h"
#include "util/evloop.h"
#include "virtio/virtio_pci.h"

/*
 * A virtio-pci device's host side on KVM: the thread that serves it (an
 * event loop the device registers its own fds and timers on: io_uring
 * completions, taps, stats timers) and the fast paths that connect it
 * to KVM: every MSI-X vector a GSI route with an irqfd, every queue's
 * notify address an ioeventfd whose kicks this thread serves. With the
 * fast paths off, interrupts go through KVM_SIGNAL_MSI and kicks arrive
 * as MMIO exits on the notify region: both must give the same result.
 */
struct virtio_iothread;

struct virtio_iothread_kick {
	struct virtio_iothread *t;
	unsigned int q;
	int fd;                          /* eventfd, -1: none */
	uint64_t addr;                   /* where it is attached, 0: nowhere */
};

struct virtio_iothread {
	struct kvm *kvm;
	struct kvm_irq_router *router;
	struct virtio_pci *vp;
	bool use_ioeventfd, use_irqfd;
	bool any_length;                 /* KVM_CAP_IOEVENTFD_ANY_LENGTH */
	int intx_gsi;                    /* -1 until the device has a slot */
	unsigned int intx_source;
	int gsi[VIRTIO_PCI_MAX_VECTORS];
	int irqfd[VIRTIO_PCI_MAX_VECTORS];
	struct virtio_iothread_kick kick[VIRTIO_PCI_MAX_QUEUES];
	struct evloop loop;
	/* How work arrived and left, for -v and the integration tests. */
	unsigned long eventfd_kicks, irqfd_irqs, msi_irqs;
};

/* Fill @host so that a transport talks to KVM through @t, and make the
 * thread's (not yet running) loop; 0 or -errno. */
int virtio_iothread_init(struct virtio_iothread *t, struct kvm *kvm,
			 struct kvm_irq_router *router, bool ioeventfd,
			 bool irqfd, struct virtio_pci_host *host);
/* INTx of the device goes to IO-APIC input @gsi, shared with others:
 * @source (its PCI slot) tells the sharers apart. */
void virtio_iothread_set_intx(struct virtio_iothread *t, int gsi,
			      unsigned int source);
/* After virtio_pci_init(): allocate routes and eventfds for @vp. */
int virtio_iothread_attach(struct virtio_iothread *t, struct virtio_pci *vp);
/* Start the thread; it confines itself with @sb (may be NULL). */
int virtio_iothread_start(struct virtio_iothread *t, const struct sandbox *sb);
/* Stop the thread (nothing of the device runs in it afterwards); the
 * first call also releases the routes and eventfds. Idempotent. */
void virtio_iothread_stop(struct virtio_iothread *t);

#endif
