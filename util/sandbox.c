// SPDX-License-Identifier: MIT
/*
 * The seccomp allow-lists (docs/sandbox.md explains each line). Sets of
 * system calls are composed per thread class; ioctl() is allowed only for
 * the request numbers a class issues at run time (no KVM_CREATE_*, no
 * TUNSETIFF: those belong to setup, which is over when a thread enters).
 * mmap and mprotect never get PROT_EXEC: nothing maps code after setup.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>

#include "util/log.h"
#include "util/sandbox.h"

enum {
	SET_BASE = 1 << 0,    /* every thread: memory, locks, logging, exit */
	SET_DEVICE = 1 << 1,  /* serving virtqueues: tap, io_uring, balloon */
	SET_EPOLL = 1 << 2,   /* an epoll-driven loop */
	SET_POLL = 1 << 3,    /* poll()-driven waits */
	SET_FILEIO = 1 << 4,  /* aio=threads: positioned file I/O */
	SET_SOCKET = 1 << 5,  /* serving accepted control-socket clients */
	SET_TEARDOWN = 1 << 6,/* main: stop the others, release resources */
	SET_NETSTACK = 1 << 7,/* -netdev user: sockets made for the guest */
};

enum {
	IOC_VCPU = 1 << 0,    /* KVM_RUN and register access */
	IOC_IRQ = 1 << 1,     /* raising interrupts, re-wiring fast paths */
	IOC_TUN = 1 << 2,     /* offloads and queue attach on a tap */
	IOC_TTY = 1 << 3,     /* restoring the terminal */
	IOC_SOCK = 1 << 4,    /* bytes waiting, non-blocking mode */
	IOC_RESET = 1 << 5,   /* machine reset: interrupt controllers */
};

struct sc_set {
	unsigned int bit;
	const char *const *names;
};

static const char *const base_calls[] = {
	"read", "write", "close", "futex", "rt_sigreturn", "rt_sigprocmask",
	"restart_syscall", "exit", "exit_group", "brk", "munmap", "mremap",
	"madvise", "clock_gettime", "clock_nanosleep", "nanosleep", "gettid",
	"getpid", "sched_yield", "fstat", "newfstatat", "getrandom",
	"sigaltstack", NULL,
};
static const char *const device_calls[] = {
	"readv", "writev", "io_uring_enter", "fallocate", "eventfd2",
	"epoll_ctl", "timerfd_settime", NULL,
};
static const char *const epoll_calls[] = {
	"epoll_wait", "epoll_pwait", "epoll_ctl", "timerfd_settime", NULL,
};
static const char *const poll_calls[] = { "poll", "ppoll", NULL };
static const char *const fileio_calls[] = {
	"pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
	"fdatasync", "fsync", "fallocate", NULL,
};
static const char *const socket_calls[] = {
	"accept4", "accept", "recvfrom", "recvmsg", "sendto", "sendmsg",
	"shutdown", "fcntl", NULL,
};
/* libslirp opens, for the guest's connections, the sockets the host
 * end of each needs; openat (read-only, see sandbox_build()) is for
 * /etc/resolv.conf, re-read when the guest asks 10.0.2.3. */
static const char *const netstack_calls[] = {
	"socket", "connect", "bind", "listen", "getsockname", "getpeername",
	"setsockopt", "getsockopt", "accept4", "accept", "recvfrom", "recvmsg",
	"sendto", "sendmsg", "shutdown", "fcntl", "poll", "ppoll", "lseek",
	NULL,
};
static const char *const teardown_calls[] = {
	"unlink", "io_uring_enter", "epoll_ctl", "fcntl",
	"fdatasync", "fsync", NULL,
};

static const struct sc_set sc_sets[] = {
	{ SET_BASE, base_calls },       { SET_DEVICE, device_calls },
	{ SET_EPOLL, epoll_calls },     { SET_POLL, poll_calls },
	{ SET_FILEIO, fileio_calls },   { SET_SOCKET, socket_calls },
	{ SET_TEARDOWN, teardown_calls }, { SET_NETSTACK, netstack_calls },
};

struct ioc_set {
	unsigned int bit;
	unsigned long req[24];
};

static const struct ioc_set ioc_sets[] = {
	{ IOC_VCPU, { KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS,
		      KVM_SET_SREGS, KVM_SET_FPU, KVM_GET_VCPU_EVENTS,
		      KVM_SET_VCPU_EVENTS, KVM_GET_LAPIC, KVM_SET_LAPIC,
		      KVM_TRANSLATE, KVM_SET_MSRS, KVM_SET_CPUID2,
		      /* a machine reset: the power-on state back */
		      KVM_SET_XSAVE, KVM_SET_XCRS, KVM_SET_MP_STATE,
		      KVM_SET_DEBUGREGS } },
	{ IOC_IRQ, { KVM_IRQ_LINE, KVM_SIGNAL_MSI, KVM_SET_GSI_ROUTING,
		     KVM_IRQFD, KVM_IOEVENTFD } },
	{ IOC_TUN, { TUNSETOFFLOAD, TUNSETQUEUE, TUNSETVNETHDRSZ } },
	{ IOC_TTY, { TCGETS, TCSETS, TCSETSW, TCSETSF } },
	{ IOC_SOCK, { FIONREAD, FIONBIO } },
	{ IOC_RESET, { KVM_SET_IRQCHIP, KVM_SET_PIT2 } },
};

struct class_def {
	const char *name;
	unsigned int sets, iocs;
};

static const struct class_def classes[SANDBOX_NR_CLASSES] = {
	/* A reset runs here: devices reset (a tap's offloads off), the
	 * interrupt controllers, -kernel/-initrd re-read (pread64 on those
	 * two fds only, see sandbox_build()). */
	[SANDBOX_MAIN] = { "main", SET_BASE | SET_EPOLL | SET_TEARDOWN,
			   IOC_IRQ | IOC_TTY | IOC_TUN | IOC_RESET },
	/* An MMIO-exit kick serves the queue on the vCPU thread, so a vCPU
	 * needs everything a device thread does. */
	[SANDBOX_VCPU] = { "vcpu", SET_BASE | SET_DEVICE | SET_POLL,
			   IOC_VCPU | IOC_IRQ | IOC_TUN },
	[SANDBOX_IO] = { "io", SET_BASE | SET_DEVICE | SET_EPOLL | SET_POLL,
			 IOC_IRQ | IOC_TUN },
	[SANDBOX_BLK_POOL] = { "blk-pool", SET_BASE | SET_FILEIO, 0 },
	[SANDBOX_QMP] = { "qmp", SET_BASE | SET_EPOLL | SET_SOCKET, IOC_IRQ },
	[SANDBOX_CONSOLE] = { "console", SET_BASE | SET_EPOLL, IOC_IRQ },
	[SANDBOX_NET_USER] = { "net-user", SET_BASE | SET_NETSTACK, IOC_SOCK },
};

const char *sandbox_class_name(enum sandbox_class cls)
{
	return cls < SANDBOX_NR_CLASSES ? classes[cls].name : "?";
}

bool sandbox_allows(enum sandbox_class cls, const char *name)
{
	if (cls >= SANDBOX_NR_CLASSES)
		return false;
	/* Argument-filtered, see sandbox_build(). */
	if (!strcmp(name, "mmap") || !strcmp(name, "mprotect"))
		return true;
	if (!strcmp(name, "tgkill"))
		return classes[cls].sets & SET_BASE;
	if (!strcmp(name, "ioctl"))
		return classes[cls].iocs != 0;
	if (!strcmp(name, "openat"))
		return classes[cls].sets & SET_NETSTACK;
	for (size_t s = 0; s < sizeof(sc_sets) / sizeof(sc_sets[0]); s++) {
		if (!(classes[cls].sets & sc_sets[s].bit))
			continue;
		for (const char *const *n = sc_sets[s].names; *n; n++)
			if (!strcmp(*n, name))
				return true;
	}
	return false;
}

#define SANDBOX_MAX_NR 1024

/* Argument @n equals @v (SCMP_A0() leaves datum_b to the compiler). */
#define ARG_EQ(n, v) ((struct scmp_arg_cmp){ .arg = (n), .op = SCMP_CMP_EQ, \
					     .datum_a = (scmp_datum_t)(v), .datum_b = 0 })

/* Sets overlap (epoll_ctl, fallocate, ...): add each call once. */
static int sandbox_add_name(scmp_filter_ctx ctx, const char *name, bool *seen)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR || nr < 0 || nr >= SANDBOX_MAX_NR)
		return -ENOSYS;
	if (seen[nr])
		return 0;
	seen[nr] = true;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int sandbox_build(scmp_filter_ctx ctx, const struct sandbox *sb,
			 enum sandbox_class cls)
{
	const struct class_def *c = &classes[cls];
	bool seen[SANDBOX_MAX_NR] = { false };
	int r = 0;

	for (size_t s = 0; s < sizeof(sc_sets) / sizeof(sc_sets[0]); s++) {
		if (!(c->sets & sc_sets[s].bit))
			continue;
		for (const char *const *n = sc_sets[s].names; *n && r == 0; n++)
			r = sandbox_add_name(ctx, *n, seen);
	}
	/* No executable mappings after setup. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* Files read-only: the user-mode network's resolv.conf. */
	if (r == 0 && (c->sets & SET_NETSTACK))
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY));
	/* Main re-reads -kernel and -initrd on a reset, and nothing else. */
	for (unsigned int i = 0; r == 0 && cls == SANDBOX_MAIN && i < 2; i++)
		if (sb->main_read_fds[i] >= 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pread64), 1,
					     ARG_EQ(0, sb->main_read_fds[i]));
	/* Signals only to our own threads (pthread_kill, abort). */
	if (r == 0 && (c->sets & SET_BASE))
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     ARG_EQ(0, getpid()));
	for (size_t s = 0; s < sizeof(ioc_sets) / sizeof(ioc_sets[0]); s++) {
		if (!(c->iocs & ioc_sets[s].bit))
			continue;
		for (size_t i = 0; i < 24 && ioc_sets[s].req[i] && r == 0; i++)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					     ARG_EQ(1, ioc_sets[s].req[i]));
	}
	return r;
}

static scmp_filter_ctx sandbox_new(const struct sandbox *sb,
				   enum sandbox_class cls, int *err)
{
	/* KILL_PROCESS needs API level 3; before that, SIGSYS (whose
	 * default action also ends the whole process). */
	uint32_t deny = sb->audit ? SCMP_ACT_LOG :
			seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS :
			SCMP_ACT_TRAP;
	scmp_filter_ctx ctx = seccomp_init(deny);

	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = sandbox_build(ctx, sb, cls);
	if (*err < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int sandbox_enter(const struct sandbox *sb, enum sandbox_class cls)
{
	scmp_filter_ctx ctx;
	int r;

	if (!sb || !sb->on)
		return 0;
	if (cls >= SANDBOX_NR_CLASSES)
		return -EINVAL;
	ctx = sandbox_new(sb, cls, &r);
	if (!ctx)
		return r;
	/* Per thread: no TSYNC. no_new_privs is set by seccomp_load(). */
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

void sandbox_enter_or_die(const struct sandbox *sb, enum sandbox_class cls)
{
	int r = sandbox_enter(sb, cls);

	if (r < 0) {
		pr_err("-sandbox on: cannot confine the %s thread: %s",
		       sandbox_class_name(cls), strerror(-r));
		_exit(1);
	}
}

int sandbox_probe(void)
{
	struct sandbox sb = { .on = true, .main_read_fds = { 0, -1 } };

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
		return -errno;
	if (seccomp_api_get() < 1)
		return -ENOSYS;
	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		int r;
		scmp_filter_ctx ctx = sandbox_new(&sb, c, &r);

		if (!ctx)
			return r;
		seccomp_release(ctx);
	}
	return 0;
}
