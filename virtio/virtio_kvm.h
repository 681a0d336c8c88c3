/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_VIRTIO_KVM_H
#define VIRTIO_VIRTIO_KVM_H

#include <pthread.h>
#include <stdbool.h>

#include "kvm/kvm.h"
#include "virtio/virtio_pci.h"

/*
 * Connects a virtio-pci device to KVM: every MSI-X vector is a GSI route
 * with an irqfd, every queue's notify address an ioeventfd, and one I/O
 * thread per device waits on the kicks (and on an optional periodic
 * timer). With the fast paths off, interrupts go through KVM_SIGNAL_MSI
 * and kicks arrive as MMIO exits on the notify region: both must give
 * the same result.
 */
#define VIRTIO_KVM_MAX_WATCH 8

struct sandbox;

struct virtio_kvm {
	const struct sandbox *sandbox;  /* the I/O thread confines itself */
	struct kvm *kvm;
	struct kvm_irq_router *router;
	struct virtio_pci *vp;
	bool use_ioeventfd, use_irqfd;
	bool any_length;                /* KVM_CAP_IOEVENTFD_ANY_LENGTH */
	int intx_gsi;                   /* -1 until the device has a slot */
	unsigned int intx_source;
	int gsi[VIRTIO_PCI_MAX_VECTORS];
	int irqfd[VIRTIO_PCI_MAX_VECTORS];
	int kickfd[VIRTIO_PCI_MAX_QUEUES];
	uint64_t kick_addr[VIRTIO_PCI_MAX_QUEUES];
	int epfd, stopfd, timerfd;
	void (*tick)(void *ctx);        /* periodic work, e.g. stats polls */
	void *tick_ctx;
	/* Other fds the I/O thread serves: io_uring completions, taps. */
	struct {
		int fd;
		void (*cb)(void *ctx);
		void *ctx;
		bool on;
	} watch[VIRTIO_KVM_MAX_WATCH];
	unsigned int n_watch;
	pthread_t thread;
	bool started;
	/* How work arrived and left, for -v and the integration tests. */
	unsigned long eventfd_kicks, irqfd_irqs, msi_irqs;
};

/* Fill @be so that @vp's transport talks to KVM through @vk. */
int virtio_kvm_init(struct virtio_kvm *vk, struct kvm *kvm,
		    struct kvm_irq_router *router, bool ioeventfd, bool irqfd,
		    struct virtio_pci_backend *be);
/* INTx of the device goes to IO-APIC input @gsi, shared with others:
 * @source (its PCI slot) tells the sharers apart. */
void virtio_kvm_set_intx(struct virtio_kvm *vk, int gsi, unsigned int source);
/* After virtio_pci_init(): allocate routes and eventfds for @vp. */
int virtio_kvm_attach(struct virtio_kvm *vk, struct virtio_pci *vp);
/* Also wait on @fd in the I/O thread and call @cb when it is readable;
 * returns the watch's index (>= 0) or -errno. */
int virtio_kvm_watch_fd(struct virtio_kvm *vk, int fd, void (*cb)(void *),
			void *ctx);
/* Stop or resume waiting for input on watch @idx (e.g. a tap while the
 * guest has no receive buffers: the fd stays readable and would spin the
 * thread). Errors and hang-ups are still reported to its callback. */
int virtio_kvm_watch_enable(struct virtio_kvm *vk, int idx, bool on);
/* Run @tick every @secs seconds in the I/O thread (0: stop). */
int virtio_kvm_set_tick(struct virtio_kvm *vk, unsigned int secs);
/* Start the I/O thread; it confines itself with @sb (may be NULL). */
int virtio_kvm_start(struct virtio_kvm *vk, const struct sandbox *sb);
void virtio_kvm_stop(struct virtio_kvm *vk);

#endif
