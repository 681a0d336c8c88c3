/* SPDX-License-Identifier: MIT */
#ifndef KVM_KVM_H
#define KVM_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Thin, typed wrappers over the /dev/kvm ioctls. No policy lives here:
 * every function returns 0 (or a value >= 0) or -errno.
 */
struct kvm {
	int sys_fd;
	int vm_fd;
	int vcpu_mmap_size;
};

struct kvm_vcpu {
	int fd;
	unsigned int id;
	struct kvm_run *run;
	int mmap_size;
};

int kvm_open(struct kvm *kvm, const char *path);
void kvm_close(struct kvm *kvm);
int kvm_check_extension(struct kvm *kvm, long cap);
int kvm_set_memory_region(struct kvm *kvm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *host);
int kvm_set_tss_addr(struct kvm *kvm, uint64_t addr);
int kvm_set_identity_map_addr(struct kvm *kvm, uint64_t addr);
int kvm_create_irqchip(struct kvm *kvm);
int kvm_create_pit(struct kvm *kvm);
int kvm_irq_line(struct kvm *kvm, uint32_t irq, int level);
/* Returns a malloc'd table the caller frees. */
int kvm_get_supported_cpuid(struct kvm *kvm, struct kvm_cpuid2 **out);

int kvm_vcpu_create(struct kvm *kvm, struct kvm_vcpu *vcpu, unsigned int id);
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);
int kvm_vcpu_run(struct kvm_vcpu *vcpu);
int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid);
int kvm_vcpu_set_msrs(struct kvm_vcpu *vcpu, const uint32_t *idx,
		      const uint64_t *val, unsigned int n);
int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);
int kvm_vcpu_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu);
int kvm_vcpu_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev);
int kvm_vcpu_set_events(struct kvm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev);
int kvm_vcpu_set_lapic_lint(struct kvm_vcpu *vcpu);
int kvm_vcpu_translate(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa);
/* Any other vCPU or VM ioctl whose argument is a struct (state get/set
 * for reset: KVM_GET_XSAVE, KVM_SET_MP_STATE, KVM_SET_IRQCHIP, ...). */
int kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg);
int kvm_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg);
/* The MSRs KVM can save and restore (KVM_GET_MSR_INDEX_LIST); a malloc'd
 * array the caller frees. */
int kvm_get_msr_index_list(struct kvm *kvm, uint32_t **idx, unsigned int *n);
/* KVM_GET_MSRS / KVM_SET_MSRS on a whole struct kvm_msrs: returns how
 * many entries, from the first, KVM read or wrote (it stops at the first
 * it refuses). */
int kvm_vcpu_msrs(struct kvm_vcpu *vcpu, bool set, struct kvm_msrs *m);


/*
 * Interrupt routing: the GSI table KVM uses for irqfds and MSIs. KVM
 * replaces the whole table on every update, so the default irqchip
 * routes (PIC and IOAPIC pins) are kept here and sent every time.
 */
#define KVM_MAX_MSI_ROUTES 256
#define KVM_FIRST_MSI_GSI  24
#define KVM_IOAPIC_PINS    24

struct kvm_irq_router {
	pthread_mutex_t lock;
	unsigned int nr_msi;
	struct {
		bool used;
		uint64_t addr;
		uint32_t data;
	} msi[KVM_MAX_MSI_ROUTES];
	/* Level-triggered lines several devices share: who asserts each. */
	uint32_t line_sources[KVM_IOAPIC_PINS];
};

void kvm_irq_router_init(struct kvm_irq_router *r);
/* After KVM_CREATE_IRQCHIP: install the irqchip routes (ISA IRQ 0, the
 * PIT, on IO-APIC input 2 as the MADT says). */
int kvm_irq_router_setup(struct kvm *kvm, struct kvm_irq_router *r);
/* Source @source (0..31, e.g. a PCI slot) drives level-triggered line
 * @gsi to @level; the line is the OR of its sources, and KVM sees only
 * its changes. */
int kvm_irq_router_set_line(struct kvm *kvm, struct kvm_irq_router *r,
			    unsigned int gsi, unsigned int source, int level);
/* Allocate a GSI for an MSI route; returns the GSI or -ENOSPC. */
int kvm_irq_router_alloc(struct kvm_irq_router *r);
/* Point @gsi at (addr, data) and push the table to KVM. */
int kvm_irq_router_set_msi(struct kvm *kvm, struct kvm_irq_router *r,
			   int gsi, uint64_t addr, uint32_t data);
int kvm_irqfd(struct kvm *kvm, int fd, uint32_t gsi, bool assign);
int kvm_ioeventfd(struct kvm *kvm, int fd, uint64_t addr, uint32_t len,
		  bool pio, bool assign);
int kvm_signal_msi(struct kvm *kvm, uint64_t addr, uint32_t data);

#endif
