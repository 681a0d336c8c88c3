// SPDX-License-Identifier: MIT
/* The guest's CPU topology: APIC IDs and the CPUID leaves that say how
 * they split into sockets, cores and threads. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "vmm/cpu.h"
#include "vmm/cpu_reset.h"

Test(cpu, apic_ids_pack_the_levels)
{
	const struct cpu_topo one = { 1, 4, 1 }, smt = { 2, 1, 2 },
			      odd = { 2, 3, 3 };

	for (unsigned int i = 0; i < 4; i++)
		cr_assert_eq(cpu_topo_apic_id(&one, i), i);
	/* 2 sockets x 1 core x 2 threads: thread bit 0, socket bit 1. */
	cr_assert_eq(cpu_topo_apic_id(&smt, 1), 1);
	cr_assert_eq(cpu_topo_apic_id(&smt, 2), 2);
	cr_assert_eq(cpu_topo_apic_id(&smt, 3), 3);
	/* 3 threads take 2 bits, 3 cores 2 bits: socket 1 starts at 16. */
	cr_assert_eq(cpu_topo_count(&odd), 18);
	cr_assert_eq(cpu_topo_apic_id(&odd, 2), 2);
	cr_assert_eq(cpu_topo_apic_id(&odd, 3), 4);
	cr_assert_eq(cpu_topo_apic_id(&odd, 9), 16);
	cr_assert_eq(cpu_topo_apic_id(&odd, 17), 16 + 8 + 2);
}

static struct kvm_cpuid2 *leaves(void)
{
	static const struct { uint32_t fn, idx; } l[] = {
		{ 1, 0 }, { 4, 0 }, { 0xb, 0 }, { 0xb, 1 }, { 0xb, 2 },
		{ 0x80000008, 0 }, { 0x8000001e, 0 },
	};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 7 * sizeof(c->entries[0]));

	c->nent = 7;
	for (unsigned int i = 0; i < 7; i++) {
		c->entries[i].function = l[i].fn;
		c->entries[i].index = l[i].idx;
	}
	return c;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c,
					   uint32_t fn, uint32_t idx)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

/* 2 sockets x 2 cores x 2 threads, the vCPU with APIC ID 6 (socket 1,
 * core 1, thread 0): what Linux's topology code reads. */
Test(cpu, cpuid_describes_the_layout)
{
	const struct cpu_topo t = { 2, 2, 2 };
	struct kvm_cpuid2 *c = leaves();

	cpu_patch_cpuid(c, 6, &t);
	cr_assert_eq(leaf(c, 1, 0)->ebx >> 24, 6, "initial APIC ID");
	cr_assert_eq((leaf(c, 1, 0)->ebx >> 16) & 0xff, 4, "IDs per package");
	cr_assert(leaf(c, 1, 0)->edx & (1u << 28), "HTT");
	cr_assert_eq(leaf(c, 4, 0)->eax >> 26, 1, "core IDs per package - 1");
	cr_assert_eq(leaf(c, 0xb, 0)->eax, 1, "SMT: shift 1");
	cr_assert_eq(leaf(c, 0xb, 0)->ebx, 2, "2 threads per core");
	cr_assert_eq((leaf(c, 0xb, 0)->ecx >> 8) & 0xff, 1, "SMT level");
	cr_assert_eq(leaf(c, 0xb, 1)->eax, 2, "core: shift 2");
	cr_assert_eq(leaf(c, 0xb, 1)->ebx, 4, "4 CPUs per package");
	cr_assert_eq((leaf(c, 0xb, 1)->ecx >> 8) & 0xff, 2, "core level");
	cr_assert_eq(leaf(c, 0xb, 2)->ebx, 0, "no more levels");
	cr_assert_eq(leaf(c, 0xb, 1)->edx, 6, "x2APIC ID");
	cr_assert_eq((leaf(c, 0x80000008, 0)->ecx >> 12) & 0xf, 2);
	cr_assert_eq(leaf(c, 0x80000008, 0)->ecx & 0xff, 3, "NC: 4 - 1");
	cr_assert_eq((leaf(c, 0x8000001e, 0)->ebx >> 8) & 0xff, 1, "threads per core - 1");
	cr_assert_eq(leaf(c, 0x8000001e, 0)->ebx & 0xff, 1, "core 1");
	cr_assert_eq(leaf(c, 0x8000001e, 0)->ecx & 0xff, 1, "node (socket) 1");
	free(c);
}

/* One socket of four single-thread cores: no SMT anywhere. */
Test(cpu, cpuid_cores_only)
{
	const struct cpu_topo t = { 1, 4, 1 };
	struct kvm_cpuid2 *c = leaves();

	cpu_patch_cpuid(c, 3, &t);
	cr_assert_eq(leaf(c, 0xb, 0)->eax, 0);
	cr_assert_eq(leaf(c, 0xb, 0)->ebx, 1);
	cr_assert_eq(leaf(c, 0xb, 1)->ebx, 4);
	cr_assert_eq(leaf(c, 0x8000001e, 0)->ebx & 0xffff, 3, "core 3, 1 thread");
	free(c);
}

/* What a reset puts back of KVM's saved MSRs: the PV clock, steal time,
 * async PF and PV EOI MSRs (to their power-on 0) and the rest, but not the
 * TSC (it keeps counting) nor the wall clocks (a write is a guest-memory
 * write by KVM). */
Test(cpu, reset_msrs_keep_pv_msrs_not_the_clocks)
{
	uint32_t idx[] = { 0x10, 0x11, 0x12, 0x3b, 0x174, 0x4b564d00,
			   0x4b564d01, 0x4b564d02, 0x4b564d03, 0x4b564d04,
			   0xc0000082 };
	const uint32_t want[] = { 0x12, 0x174, 0x4b564d01, 0x4b564d02,
				  0x4b564d03, 0x4b564d04, 0xc0000082 };
	unsigned int n = cpu_reset_filter_msrs(idx, sizeof(idx) / sizeof(idx[0]));

	cr_assert_eq(n, sizeof(want) / sizeof(want[0]));
	for (unsigned int i = 0; i < n; i++)
		cr_assert_eq(idx[i], want[i], "entry %u: %#x", i, idx[i]);
}
