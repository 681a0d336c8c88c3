// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/pvm.h"

/*
 * clearcpuid: features whose instructions PVM's emulator cannot run
 * (clearing xsave also clears the AVX family, ssse3 the SSE4 family).
 * Linux 6.1 reads only 127 characters of this argument.
 * The rest skips boot-time work that takes minutes when every kernel
 * instruction is emulated (self-tests, ftrace and kprobe start-up,
 * soft-lockup watchdog, read-only remapping, zeroing every allocation,
 * and initcalls measured with initcall_debug at 10-70 s each here:
 * /sys/kernel/slab, the blktrace tracer, the blake2s and SP800-108 KDF
 * self-tests; none of them is needed to run the guest).
 */
static const char pvm_cmdline[] =
	"clearcpuid=xsave,cx16,smap,popcnt,ssse3,rdrand,rdseed,fsgsbase,"
	"invpcid,pcid,rdpid,aes,pclmulqdq,sha_ni,movbe,umip "
	"cryptomgr.notests nosoftlockup rodata=off init_on_alloc=0 "
	"initcall_blacklist=ftrace_check_for_weak_functions,init_kprobe_trace,"
	"slab_sysfs_init,init_blk_tracer,blake2s_mod_init,crypto_kdf108_init";

_Static_assert(sizeof("clearcpuid=xsave,cx16,smap,popcnt,ssse3,rdrand,rdseed,"
		      "fsgsbase,invpcid,pcid,rdpid,aes,pclmulqdq,sha_ni,"
		      "movbe,umip") <= 128, "6.1 reads 127 chars of clearcpuid");

static const char *const pvm_insn_name[] = {
	"unknown", "int3", "fwait", "ldmxcsr", "clac", "stac",
};

bool pvm_detect(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

void pvm_quirks_init(struct pvm_quirks *q, int want)
{
	memset(q, 0, sizeof(*q));
	q->enabled = want < 0 ? pvm_detect() : want > 0;
	if (q->enabled)
		pr_info("PVM quirks on (%s): kernel arguments appended, "
			"emulation failures on int3/fwait/ldmxcsr/clac/stac "
			"finished by the VMM", want < 0 ? "kvm_pvm detected" :
			"asked for");
}

const char *pvm_cmdline_extra(const struct pvm_quirks *q)
{
	return q->enabled ? pvm_cmdline : NULL;
}

bool pvm_prefers_vmlinux(const struct pvm_quirks *q)
{
	return q->enabled;
}

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x66: case 0x67: case 0xf2: case 0xf3: case 0xf0:
	case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
		return true;
	}
	return false;
}

/* Bytes taken by a ModRM byte and what it implies (SIB, displacement). */
static unsigned int modrm_len(const uint8_t *p, size_t left)
{
	uint8_t modrm, mod, rm;
	unsigned int n = 1;

	if (left < 1)
		return 0;
	modrm = p[0];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (left < 2)
			return 0;
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4;   /* RIP-relative */
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n <= left ? n : 0;
}

enum pvm_insn pvm_decode(const uint8_t *insn, size_t len, unsigned int *ilen)
{
	size_t i = 0;

	if (len >= 1 && insn[0] == 0xcc) {
		*ilen = 1;
		return PVM_INSN_INT3;
	}
	if (len >= 1 && insn[0] == 0x9b) {
		*ilen = 1;
		return PVM_INSN_FWAIT;
	}
	if (len >= 3 && insn[0] == 0x0f && insn[1] == 0x01 &&
	    (insn[2] == 0xca || insn[2] == 0xcb)) {
		*ilen = 3;
		return insn[2] == 0xca ? PVM_INSN_CLAC : PVM_INSN_STAC;
	}
	while (i < len && i < 4 && is_legacy_prefix(insn[i]))
		i++;
	if (i < len && (insn[i] & 0xf0) == 0x40)
		i++;   /* REX */
	if (len - i >= 3 && insn[i] == 0x0f && insn[i + 1] == 0xae &&
	    ((insn[i + 2] >> 3) & 7) == 2 && (insn[i + 2] >> 6) != 3) {
		unsigned int m = modrm_len(insn + i + 2, len - i - 2);

		if (!m)
			return PVM_INSN_UNKNOWN;
		*ilen = i + 2 + m;
		return PVM_INSN_LDMXCSR;
	}
	return PVM_INSN_UNKNOWN;
}

/* The bytes at RIP: from the exit if KVM gave them, else from memory. */
static size_t pvm_fetch(struct kvm_vcpu *vcpu, const struct guestmem *gm,
			uint64_t rip, uint8_t *buf, size_t max)
{
	struct kvm_run *run = vcpu->run;
	size_t n = 0;

	if (run->emulation_failure.ndata >= 1 &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	    run->emulation_failure.insn_size) {
		n = run->emulation_failure.insn_size;
		if (n > max)
			n = max;
		memcpy(buf, run->emulation_failure.insn_bytes, n);
		return n;
	}
	/* Byte by byte: the instruction may cross a page boundary. */
	while (n < max) {
		uint64_t gpa;

		if (kvm_vcpu_translate(vcpu, rip + n, &gpa) < 0 ||
		    guestmem_read(gm, gpa, buf + n, 1) < 0)
			break;
		n++;
	}
	return n;
}

int pvm_handle_emulation_failure(struct pvm_quirks *q, struct kvm_vcpu *vcpu,
				 const struct guestmem *gm)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;
	uint8_t insn[15];
	unsigned int ilen = 0;
	enum pvm_insn kind;
	size_t n;
	int r;

	if (!q->enabled ||
	    vcpu->run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
		return -ENOTSUP;
	r = kvm_vcpu_get_regs(vcpu, &regs);
	if (r < 0)
		return r;
	n = pvm_fetch(vcpu, gm, regs.rip, insn, sizeof(insn));
	kind = pvm_decode(insn, n, &ilen);
	if (kind == PVM_INSN_UNKNOWN)
		return -ENOTSUP;
	__atomic_fetch_add(&q->handled[kind], 1, __ATOMIC_RELAXED);
	regs.rip += ilen;
	if (kind == PVM_INSN_CLAC)
		regs.rflags &= ~(1ULL << 18);   /* AC */
	else if (kind == PVM_INSN_STAC)
		regs.rflags |= 1ULL << 18;
	r = kvm_vcpu_set_regs(vcpu, &regs);
	if (r < 0 || kind != PVM_INSN_INT3)
		return r;
	/* int3 is a trap: #BP is delivered with RIP after the instruction. */
	r = kvm_vcpu_get_events(vcpu, &ev);
	if (r < 0)
		return r;
	ev.exception.injected = 1;
	ev.exception.nr = 3;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	return kvm_vcpu_set_events(vcpu, &ev);
}

void pvm_quirks_report(const struct pvm_quirks *q)
{
	if (!q->enabled)
		return;
	for (unsigned int i = 1; i < sizeof(pvm_insn_name) / sizeof(pvm_insn_name[0]); i++)
		if (q->handled[i])
			pr_info("PVM: finished %lu %s instruction(s)", q->handled[i],
				pvm_insn_name[i]);
}
