// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/kvm.h"

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR && req != KVM_RUN);
	return r < 0 ? -errno : r;
}

int kvm_open(struct kvm *kvm, const char *path)
{
	int r;

	kvm->vm_fd = -1;
	kvm->sys_fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm->sys_fd < 0)
		return -errno;
	r = ioctl(kvm->sys_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		r = -ENOTSUP;
		goto fail;
	}
	kvm->vcpu_mmap_size = ioctl(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		r = -ENOTSUP;
		goto fail;
	}
	do
		kvm->vm_fd = ioctl(kvm->sys_fd, KVM_CREATE_VM, 0);
	while (kvm->vm_fd < 0 && errno == EINTR);
	if (kvm->vm_fd < 0) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	close(kvm->sys_fd);
	kvm->sys_fd = -1;
	return r;
}

void kvm_close(struct kvm *kvm)
{
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
	kvm->vm_fd = kvm->sys_fd = -1;
}

int kvm_check_extension(struct kvm *kvm, long cap)
{
	int r = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_set_memory_region(struct kvm *kvm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return xioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

int kvm_set_tss_addr(struct kvm *kvm, uint64_t addr)
{
	int r = ioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)addr);

	return r < 0 ? -errno : 0;
}

int kvm_set_identity_map_addr(struct kvm *kvm, uint64_t addr)
{
	return xioctl(kvm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr);
}

int kvm_create_irqchip(struct kvm *kvm)
{
	int r = ioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP, 0);

	return r < 0 ? -errno : 0;
}

int kvm_create_pit(struct kvm *kvm)
{
	/* Port 0x61 (speaker/gate) is handled in the kernel too. */
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };

	return xioctl(kvm->vm_fd, KVM_CREATE_PIT2, &cfg);
}

int kvm_irq_line(struct kvm *kvm, uint32_t irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	return xioctl(kvm->vm_fd, KVM_IRQ_LINE, &l);
}

int kvm_get_supported_cpuid(struct kvm *kvm, struct kvm_cpuid2 **out)
{
	for (unsigned int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c;
		int r;

		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		r = xioctl(kvm->sys_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (r == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (r != -E2BIG)
			return r;
	}
	return -E2BIG;
}

int kvm_vcpu_create(struct kvm *kvm, struct kvm_vcpu *vcpu, unsigned int id)
{
	void *p;

	vcpu->id = id;
	vcpu->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0)
		return -errno;
	p = mmap(NULL, kvm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;

		close(vcpu->fd);
		vcpu->fd = -1;
		return err;
	}
	vcpu->run = p;
	vcpu->mmap_size = kvm->vcpu_mmap_size;
	return 0;
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->mmap_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	int r = ioctl(vcpu->fd, KVM_RUN, 0);

	return r < 0 ? -errno : 0;
}

int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid)
{
	return xioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
}

int kvm_vcpu_set_msrs(struct kvm_vcpu *vcpu, const uint32_t *idx,
		      const uint64_t *val, unsigned int n)
{
	/* struct kvm_msrs ends in a flexible array: room for 32 entries. */
	uint64_t buf[(sizeof(struct kvm_msrs) +
		      32 * sizeof(struct kvm_msr_entry)) / sizeof(uint64_t)];
	struct kvm_msrs *m = (struct kvm_msrs *)buf;
	int r;

	if (n > 32)
		return -E2BIG;
	memset(buf, 0, sizeof(buf));
	m->nmsrs = n;
	for (unsigned int i = 0; i < n; i++) {
		m->entries[i].index = idx[i];
		m->entries[i].data = val[i];
	}
	r = xioctl(vcpu->fd, KVM_SET_MSRS, m);
	if (r < 0)
		return r;
	/* KVM_SET_MSRS returns how many it set; a short count is an error. */
	return r == (int)n ? 0 : -EINVAL;
}

int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	return xioctl(vcpu->fd, KVM_GET_REGS, regs);
}

int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	return xioctl(vcpu->fd, KVM_SET_REGS, (void *)regs);
}

int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	return xioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return xioctl(vcpu->fd, KVM_SET_SREGS, (void *)sregs);
}

int kvm_vcpu_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	return xioctl(vcpu->fd, KVM_SET_FPU, (void *)fpu);
}

int kvm_vcpu_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	return xioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, ev);
}

int kvm_vcpu_set_events(struct kvm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev)
{
	return xioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, (void *)ev);
}

/*
 * LINT0 as ExtINT and LINT1 as NMI, as firmware leaves them, so the legacy
 * PIC and NMIs reach the BSP before the guest programs its local APIC.
 */
int kvm_vcpu_set_lapic_lint(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_state la;
	uint32_t *lint0, *lint1;
	int r;

	r = xioctl(vcpu->fd, KVM_GET_LAPIC, &la);
	if (r < 0)
		return r;
	lint0 = (uint32_t *)&la.regs[0x350];
	lint1 = (uint32_t *)&la.regs[0x360];
	*lint0 = (*lint0 & ~0x700u & ~0x10000u) | (7u << 8);  /* ExtINT */
	*lint1 = (*lint1 & ~0x700u & ~0x10000u) | (4u << 8);  /* NMI */
	return xioctl(vcpu->fd, KVM_SET_LAPIC, &la);
}

int kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg)
{
	return xioctl(vcpu->fd, req, arg);
}

int kvm_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg)
{
	return xioctl(kvm->vm_fd, req, arg);
}

int kvm_get_msr_index_list(struct kvm *kvm, uint32_t **idx, unsigned int *n)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	int r;

	/* The first call fails with E2BIG and says how many there are. */
	r = xioctl(kvm->sys_fd, KVM_GET_MSR_INDEX_LIST, &probe);
	if (r < 0 && r != -E2BIG)
		return r;
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(uint32_t));
	if (!l)
		return -ENOMEM;
	l->nmsrs = probe.nmsrs;
	r = xioctl(kvm->sys_fd, KVM_GET_MSR_INDEX_LIST, l);
	if (r < 0) {
		free(l);
		return r;
	}
	*idx = malloc((l->nmsrs ? l->nmsrs : 1) * sizeof(uint32_t));
	if (!*idx) {
		free(l);
		return -ENOMEM;
	}
	memcpy(*idx, l->indices, l->nmsrs * sizeof(uint32_t));
	*n = l->nmsrs;
	free(l);
	return 0;
}

int kvm_vcpu_msrs(struct kvm_vcpu *vcpu, bool set, struct kvm_msrs *m)
{
	return xioctl(vcpu->fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, m);
}

int kvm_vcpu_translate(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = gva };
	int r = xioctl(vcpu->fd, KVM_TRANSLATE, &t);

	if (r < 0)
		return r;
	if (!t.valid)
		return -EFAULT;
	*gpa = t.physical_address;
	return 0;
}
