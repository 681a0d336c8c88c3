/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_VIRTIO_PCI_H
#define VIRTIO_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "devices/pci.h"
#include "util/evloop.h"
#include "util/ratelimit.h"
#include "virtio/virtqueue.h"

/*
 * The virtio-pci modern transport (virtio 1.2, 4.1): the register model of
 * BAR0 — common configuration, notifications, ISR, device configuration,
 * MSI-X table and PBA — and the vendor capabilities that describe it.
 * Delivery of interrupts and kicks is the backend's (KVM irqfd/ioeventfd
 * in the VMM, a recorder in the unit tests), so this file holds policy
 * only and every rule in it has a unit test.
 */
#define VIRTIO_PCI_MAX_QUEUES  16
#define VIRTIO_PCI_MAX_VECTORS (VIRTIO_PCI_MAX_QUEUES + 1)

/* BAR0 layout. */
#define VPCI_COMMON_OFF   0x0000
#define VPCI_ISR_OFF      0x1000
#define VPCI_DEVICE_OFF   0x2000
#define VPCI_NOTIFY_OFF   0x3000
#define VPCI_MSIX_OFF     0x4000
#define VPCI_PBA_OFF      0x5000
#define VPCI_BAR_SIZE     0x8000
#define VPCI_NOTIFY_MULT  4

struct virtio_pci;

/* What a device (balloon, blk, net) provides to the transport. */
struct virtio_dev_ops {
	uint16_t device_id;            /* VIRTIO_ID_* */
	uint32_t class_code;           /* 24-bit PCI class: base, sub, prog-if */
	uint64_t features;             /* offered, besides the transport's */
	unsigned int num_queues;
	uint16_t max_queue_size;
	unsigned int config_len;
	void (*config_read)(void *dev, unsigned int off, uint8_t *data,
			    unsigned int len);
	/* May be NULL: the config space is then read-only. */
	void (*config_write)(void *dev, unsigned int off, const uint8_t *data,
			     unsigned int len);
	/* A queue was kicked (or activated with work in it). */
	void (*queue_notify)(void *dev, unsigned int q);
	/* DRIVER_OK reached: the queues are live. */
	void (*activate)(void *dev);
	/*
	 * The driver reset the device: drop all queue state. Called with
	 * the transport locked. 0: done. -EBUSY: requests are still in
	 * flight in the host (their data may yet land in guest memory); the
	 * device calls virtio_pci_reset_done_locked() when the last one is
	 * over, and until then the driver reads the old status (a reset
	 * reads back as done only once nothing touches guest memory).
	 */
	int (*reset)(void *dev);
};

/*
 * The host side of one device's transport: where its interrupts go
 * (MSI-X vectors, INTx), where its kicks come from (a fast path attaches
 * to each queue's notify address), and the event loop of the thread
 * that serves it, on which the device registers its own fds and timers.
 * Every member may be NULL (unit tests, fuzzers, benchmarks).
 */
struct virtio_pci_host {
	/* MSI-X vector @vec must fire (it is enabled and unmasked). */
	void (*msix_fire)(void *ctx, unsigned int vec, uint64_t addr,
			  uint32_t data);
	/* MSI-X vector @vec changed (address, data, mask): reroute. */
	void (*msix_update)(void *ctx, unsigned int vec, uint64_t addr,
			    uint32_t data, bool masked);
	/* INTx level, used when MSI-X is off. */
	void (*intx)(void *ctx, int level);
	/* Queue @q's notify address is @addr (0: none); a fast path may
	 * attach to it. */
	void (*notify_moved)(void *ctx, unsigned int q, uint64_t addr);
	void *ctx;
	struct evloop *io;
};

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct virtio_pci_queue {
	struct virtq vq;
	uint16_t msix_vector;
	uint16_t size;                /* as the driver set it */
};

struct virtio_pci {
	struct pci_device pci;
	pthread_mutex_t lock;
	const struct virtio_dev_ops *ops;
	void *dev;
	struct virtio_pci_host host;
	const struct guestmem *gm;

	uint64_t device_features;     /* everything we offer */
	uint64_t driver_features;
	uint32_t dfselect, gfselect;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	bool intx_level;              /* what the backend was last told */
	uint16_t msix_config;
	uint16_t queue_select;
	unsigned int nvectors;
	struct virtio_pci_queue queues[VIRTIO_PCI_MAX_QUEUES];
	struct msix_entry msix[VIRTIO_PCI_MAX_VECTORS];
	uint32_t pba;                 /* pending bits while masked */
	int msix_cap;                 /* config-space offset of MSI-X cap */
	int cfg_cap;                  /* offset of the PCI cfg access cap */
	uint64_t bar_addr;            /* where BAR0 is mapped, 0: nowhere */
	bool reset_pending;           /* 0 written, the device not done yet */
	pthread_cond_t reset_cond;    /* broadcast when a reset completes */
	uint16_t used_snap[VIRTIO_PCI_MAX_QUEUES];
	unsigned long mmio_kicks;     /* kicks that came as MMIO exits */
	struct ratelimit log_rl;      /* for lines the guest can trigger */
};

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops,
		    void *dev, const struct guestmem *gm,
		    const struct virtio_pci_host *host, const char *name);
/* Machine reset of the device (as a driver's write of 0 to the status),
 * waiting up to @timeout_ms for its in-flight I/O: 0, or -ETIMEDOUT with
 * the reset still pending (it completes when the I/O does). Its PCI side
 * (MSI-X table, config space) is reset by pci_bus_reset(). */
int virtio_pci_reset_sync(struct virtio_pci *vp, unsigned int timeout_ms);

/*
 * The device side. A device touches its queues only through these, and
 * only while the transport says the queue is live, under the transport's
 * lock; a reset, a status write or a BAR move on another vCPU can come at
 * any moment and takes the same lock. Devices never take that lock
 * themselves.
 *
 * virtio_pci_serve(): for a kick. Under the lock, while queue @q is live
 * (DRIVER_OK, enabled, no NEEDS_RESET, no reset pending, bus master on),
 * pop each chain into @c and hand it to @fn; kicks are suppressed during
 * the drain, re-armed after it, and the ring looked at again. @fn
 * answers (virtq_push) or keeps the chain and returns 0, or returns < 0
 * with *@why set when the driver broke a rule: the device is then
 * NEEDS_RESET. Interrupts go out for what was answered, if wanted.
 * Returns whether the queue was live.
 */
typedef int (*virtio_chain_fn)(void *dev, unsigned int q, struct virtq *vq,
			       struct virtq_chain *c, const char **why);
bool virtio_pci_serve(struct virtio_pci *vp, unsigned int q,
		      struct virtq_chain *c, virtio_chain_fn fn, void *dev);
/*
 * virtio_pci_locked(): for work that does not start with a kick (I/O
 * completions, a tap becoming readable, a timer). Runs @fn under the
 * lock; @fn may push to a queue for which virtio_pci_queue_live() says
 * yes, and use the *_locked calls below. Interrupts then go out for
 * every queue whose used ring moved.
 */
void virtio_pci_locked(struct virtio_pci *vp, void (*fn)(void *ctx), void *ctx);
/* Inside virtio_pci_locked() or a virtio_chain_fn only. */
bool virtio_pci_queue_live(const struct virtio_pci *vp, unsigned int q);
void virtio_pci_set_needs_reset_locked(struct virtio_pci *vp, const char *why);
void virtio_pci_notify_config_locked(struct virtio_pci *vp);
void virtio_pci_reset_done_locked(struct virtio_pci *vp);

/* Interrupt for queue @q if it is live and the driver wants one. */
void virtio_pci_notify_queue(struct virtio_pci *vp, unsigned int q);
/* Device side: the configuration changed. */
void virtio_pci_notify_config(struct virtio_pci *vp);
/* Device side: a guest broke the rules; log, NEEDS_RESET, config irq. */
void virtio_pci_set_needs_reset(struct virtio_pci *vp, const char *why);
/* Handle a kick (from the notify MMIO slow path or an ioeventfd). */
void virtio_pci_kick(struct virtio_pci *vp, unsigned int q);
bool virtio_pci_feature(const struct virtio_pci *vp, unsigned int bit);
bool virtio_pci_msix_enabled(const struct virtio_pci *vp);

/* BAR0 accesses (the bus calls these through virtio_pci_bar_ops). */
extern const struct bus_ops virtio_pci_bar_ops;

#endif
