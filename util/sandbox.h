/* SPDX-License-Identifier: MIT */
#ifndef UTIL_SANDBOX_H
#define UTIL_SANDBOX_H

#include <stdbool.h>

/*
 * A seccomp allow-list per thread class, installed by each thread on
 * itself once its setup is done (-sandbox on|off). What each class may
 * call, and why, is written down in docs/sandbox.md; util/sandbox.c is
 * the code form of that table. A system call outside the list kills the
 * whole process (SIGSYS), not only the thread that made it.
 */
enum sandbox_class {
	SANDBOX_MAIN,     /* signals, stop, teardown */
	SANDBOX_VCPU,     /* KVM_RUN and the exits it handles (MMIO kicks
			   * serve virtqueues on the vCPU thread) */
	SANDBOX_IO,       /* a device's I/O thread: kicks, tap, io_uring */
	SANDBOX_BLK_POOL, /* aio=threads workers: file I/O only */
	SANDBOX_QMP,      /* the control socket */
	SANDBOX_CONSOLE,  /* serial input from stdin */
	SANDBOX_NET_USER, /* -netdev user: libslirp, the guest's sockets */
	SANDBOX_NR_CLASSES
};

struct sandbox {
	bool on;
	/* Debugging aid: log a forbidden call (kernel audit log) instead of
	 * killing; never the default. */
	bool audit;
	/* Files the main thread may pread (-kernel, -initrd: a reset reads
	 * them again); -1: none. */
	int main_read_fds[2];
};

/* Install the filter for @cls on the calling thread; 0 when the sandbox
 * is off. Call it after every fd and mapping the thread needs exists. */
int sandbox_enter(const struct sandbox *sb, enum sandbox_class cls);
/* As sandbox_enter(), but a failure ends the process with a message:
 * a thread that was to be confined must never run unconfined. */
void sandbox_enter_or_die(const struct sandbox *sb, enum sandbox_class cls);
/* 0 when this kernel and libseccomp can build and load every class's
 * filter; -errno otherwise (checked before any thread starts). */
int sandbox_probe(void);
const char *sandbox_class_name(enum sandbox_class cls);
/* Is @name (a syscall name) allowed for @cls? For docs and tests. */
bool sandbox_allows(enum sandbox_class cls, const char *name);

#endif
