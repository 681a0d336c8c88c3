// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/kvm.h"

void kvm_irq_router_init(struct kvm_irq_router *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
}

int kvm_irq_router_alloc(struct kvm_irq_router *r)
{
	int gsi = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	for (unsigned int i = 0; i < KVM_MAX_MSI_ROUTES; i++) {
		if (!r->msi[i].used) {
			r->msi[i].used = true;
			r->msi[i].addr = 0;
			r->msi[i].data = 0;
			gsi = KVM_FIRST_MSI_GSI + i;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return gsi;
}

/* The default routes KVM_CREATE_IRQCHIP installs, plus our MSIs. Locked. */
static int kvm_irq_router_commit(struct kvm *kvm, struct kvm_irq_router *r)
{
	unsigned int max = 16 + 24 + KVM_MAX_MSI_ROUTES, n = 0;
	struct kvm_irq_routing *t;
	int ret;

	t = calloc(1, sizeof(*t) + max * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	for (unsigned int pin = 0; pin < 16; pin++) {
		if (pin == 2)
			continue;   /* the cascade */
		t->entries[n].gsi = pin;
		t->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		t->entries[n].u.irqchip.irqchip = pin < 8 ? KVM_IRQCHIP_PIC_MASTER :
						  KVM_IRQCHIP_PIC_SLAVE;
		t->entries[n].u.irqchip.pin = pin % 8;
		n++;
	}
	/* ISA IRQ 0 (the PIT) is IO-APIC input 2, as the MADT's override
	 * says; GSI 2 itself is the PIC cascade and goes nowhere. */
	for (unsigned int gsi = 0; gsi < KVM_IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		t->entries[n].gsi = gsi;
		t->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		t->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		t->entries[n].u.irqchip.pin = gsi == 0 ? 2 : gsi;
		n++;
	}
	for (unsigned int i = 0; i < KVM_MAX_MSI_ROUTES; i++) {
		if (!r->msi[i].used)
			continue;
		t->entries[n].gsi = KVM_FIRST_MSI_GSI + i;
		t->entries[n].type = KVM_IRQ_ROUTING_MSI;
		t->entries[n].u.msi.address_lo = (uint32_t)r->msi[i].addr;
		t->entries[n].u.msi.address_hi = (uint32_t)(r->msi[i].addr >> 32);
		t->entries[n].u.msi.data = r->msi[i].data;
		n++;
	}
	t->nr = n;
	ret = ioctl(kvm->vm_fd, KVM_SET_GSI_ROUTING, t);
	free(t);
	return ret < 0 ? -errno : 0;
}

int kvm_irq_router_setup(struct kvm *kvm, struct kvm_irq_router *r)
{
	int ret;

	pthread_mutex_lock(&r->lock);
	ret = kvm_irq_router_commit(kvm, r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int kvm_irq_router_set_line(struct kvm *kvm, struct kvm_irq_router *r,
			    unsigned int gsi, unsigned int source, int level)
{
	uint32_t before, after;
	int ret = 0;

	if (gsi >= KVM_IOAPIC_PINS || source >= 32)
		return -EINVAL;
	/* Under the lock: two sources changing at once must not leave KVM
	 * with the level of the one that lost the race. */
	pthread_mutex_lock(&r->lock);
	before = r->line_sources[gsi];
	after = level ? before | 1u << source : before & ~(1u << source);
	r->line_sources[gsi] = after;
	if (!before != !after)
		ret = kvm_irq_line(kvm, gsi, after != 0);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int kvm_irq_router_set_msi(struct kvm *kvm, struct kvm_irq_router *r,
			   int gsi, uint64_t addr, uint32_t data)
{
	unsigned int i = gsi - KVM_FIRST_MSI_GSI;
	int ret;

	if (gsi < KVM_FIRST_MSI_GSI || i >= KVM_MAX_MSI_ROUTES)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (r->msi[i].addr == addr && r->msi[i].data == data) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	r->msi[i].addr = addr;
	r->msi[i].data = data;
	ret = kvm_irq_router_commit(kvm, r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int kvm_irqfd(struct kvm *kvm, int fd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd f = {
		.fd = fd, .gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(kvm->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int kvm_ioeventfd(struct kvm *kvm, int fd, uint64_t addr, uint32_t len,
		  bool pio, bool assign)
{
	struct kvm_ioeventfd e = {
		.addr = addr, .len = len, .fd = fd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(kvm->vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}

int kvm_signal_msi(struct kvm *kvm, uint64_t addr, uint32_t data)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int r = ioctl(kvm->vm_fd, KVM_SIGNAL_MSI, &m);

	return r < 0 ? -errno : 0;
}
