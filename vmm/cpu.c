// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/util.h"
#include "vmm/cpu.h"
#include "boot/layout.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT        (1u << 28)

#define X86_CR0_PE  (1u << 0)
#define X86_CR0_ET  (1u << 4)
#define X86_CR0_PG  (1u << 31)
#define X86_CR4_PAE (1u << 5)
#define EFER_LME    (1u << 8)
#define EFER_LMA    (1u << 10)

#define MSR_IA32_TSC            0x10
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_MTRR_DEF_TYPE       0x2ff
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102

static unsigned int order_base_2(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

unsigned int cpu_topo_count(const struct cpu_topo *t)
{
	return t->sockets * t->cores * t->threads;
}

unsigned int cpu_topo_apic_id(const struct cpu_topo *t, unsigned int i)
{
	unsigned int tb = order_base_2(t->threads), cb = order_base_2(t->cores);
	unsigned int thread = i % t->threads;
	unsigned int core = (i / t->threads) % t->cores;
	unsigned int socket = i / (t->threads * t->cores);

	return socket << (cb + tb) | core << tb | thread;
}

void cpu_patch_cpuid(struct kvm_cpuid2 *c, unsigned int apic,
		     const struct cpu_topo *t)
{
	unsigned int tb = order_base_2(t->threads), cb = order_base_2(t->cores);
	unsigned int per_pkg = t->cores * t->threads;   /* logical CPUs */
	unsigned int core = (apic >> tb) & ((1u << cb) - 1);

	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC ID; IDs a package spans (a power of two). */
			e->ebx = (e->ebx & 0xffff) | (apic << 24) |
				 ((1u << (cb + tb)) << 16);
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (per_pkg > 1)
				e->edx |= CPUID_1_EDX_HTT;
			else
				e->edx &= ~CPUID_1_EDX_HTT;
			break;
		case 0xb:
		case 0x1f:
			/* Level 0: threads of a core; level 1: a package. */
			e->edx = apic;
			if (e->index == 0) {
				e->eax = tb;
				e->ebx = t->threads;
				e->ecx = (1u << 8) | 0;
			} else if (e->index == 1) {
				e->eax = cb + tb;
				e->ebx = per_pkg;
				e->ecx = (2u << 8) | 1;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 4:
			/* Core IDs per package, for the Intel topology code. */
			e->eax = (e->eax & 0x03ffffff) | (((1u << cb) - 1) << 26);
			break;
		case 0x80000008:
			/* AMD: APIC ID bits of a package, logical CPUs - 1. */
			e->ecx = (e->ecx & ~0xf0ffu) | ((cb + tb) << 12) |
				 ((per_pkg - 1) & 0xff);
			break;
		case 0x8000001e:
			/* AMD TOPOEXT: threads per core - 1, core ID; one node
			 * per socket. */
			e->eax = apic;
			e->ebx = (e->ebx & ~0xffffu) | ((t->threads - 1) << 8) | core;
			e->ecx = (e->ecx & ~0x7ffu) | (apic >> (cb + tb));
			break;
		}
	}
}

static void cpu_set_msrs(struct kvm_vcpu *vcpu)
{
	static const uint32_t idx[] = {
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
		MSR_IA32_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
		MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE, MSR_IA32_TSC,
		MSR_IA32_MISC_ENABLE, MSR_MTRR_DEF_TYPE,
	};
	static const uint64_t val[] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0,
		1,                 /* fast strings */
		(1u << 11) | 6,    /* MTRRs on, write-back by default */
	};

	if (kvm_vcpu_set_msrs(vcpu, idx, val, ARRAY_SIZE(idx)) == 0)
		return;
	/* Some KVMs refuse a few of these; set what they take. */
	for (unsigned int i = 0; i < ARRAY_SIZE(idx); i++)
		if (kvm_vcpu_set_msrs(vcpu, &idx[i], &val[i], 1) < 0)
			pr_debug("vCPU %u: MSR %#x not settable", vcpu->id, idx[i]);
}

int cpu_setup_vcpu(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *supported,
		   const struct cpu_topo *t)
{
	size_t sz = sizeof(*supported) +
		    supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	int r;

	if (!c)
		return -ENOMEM;
	memcpy(c, supported, sz);
	cpu_patch_cpuid(c, vcpu->id, t);
	r = kvm_vcpu_set_cpuid(vcpu, c);
	free(c);
	if (r < 0)
		return r;
	cpu_set_msrs(vcpu);
	r = kvm_vcpu_set_fpu(vcpu, &fpu);
	if (r < 0)
		return r;
	return kvm_vcpu_set_lapic_lint(vcpu);
}

/* GDT: null, null, 32/64-bit code at 0x10, data at 0x18, TSS at 0x20. */
#define GDT_CODE 0x10
#define GDT_DATA 0x18
#define GDT_TSS  0x20

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000) << 32) |
	       ((uint64_t)(base & 0x00ffffff) << 16) |
	       ((uint64_t)(limit & 0x000f0000) << 32) |
	       (uint64_t)(limit & 0x0000ffff) |
	       ((uint64_t)(flags & 0xf0ff) << 40);
}

int cpu_write_boot_tables(const struct guestmem *gm, enum boot_mode mode)
{
	uint64_t gdt[5] = {
		0, 0,
		mode == BOOT_LINUX64 ? gdt_entry(0xa09b, 0, 0xfffff) :
				      gdt_entry(0xc09b, 0, 0xfffff),
		gdt_entry(0xc093, 0, 0xfffff),  /* data */
		gdt_entry(0x008b, 0, 0x67),     /* busy 32-bit TSS */
	};
	uint64_t *pml4 = guestmem_ptr(gm, LAYOUT_PML4, 4096);
	uint64_t *pdpt = guestmem_ptr(gm, LAYOUT_PDPT, 4096);
	uint64_t *pd = guestmem_ptr(gm, LAYOUT_PD, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	if (guestmem_write(gm, LAYOUT_GDT, gdt, sizeof(gdt)) < 0)
		return -EFAULT;
	/* Identity map of the first 4 GiB in 2 MiB pages. */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | 0x3;
	for (unsigned int i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | 0x3;
	for (unsigned int i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;   /* present, rw, 2M */
	return 0;
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     int l, int db)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = db, .s = 1, .l = l, .g = 1,
	};
}

int cpu_setup_boot_regs(struct kvm_vcpu *vcpu, const struct boot_kernel *bk,
			uint64_t boot_info_gpa)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 0x2, .rip = bk->entry };
	bool lm = bk->mode == BOOT_LINUX64;
	int r;

	r = kvm_vcpu_get_sregs(vcpu, &sregs);
	if (r < 0)
		return r;
	seg_flat(&sregs.cs, GDT_CODE, 0xb, lm, !lm);
	seg_flat(&sregs.ds, GDT_DATA, 0x3, 0, 1);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){
		.base = 0, .limit = 0x67, .selector = GDT_TSS, .type = 0xb,
		.present = 1,
	};
	sregs.gdt.base = LAYOUT_GDT;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (lm) {
		sregs.cr3 = LAYOUT_PML4;
		sregs.cr4 |= X86_CR4_PAE;
		sregs.cr0 |= X86_CR0_PG;
		sregs.efer |= EFER_LME | EFER_LMA;
		regs.rsi = boot_info_gpa;
	} else {
		regs.rbx = boot_info_gpa;
	}
	r = kvm_vcpu_set_sregs(vcpu, &sregs);
	if (r < 0)
		return r;
	return kvm_vcpu_set_regs(vcpu, &regs);
}
