/* SPDX-License-Identifier: MIT */
#ifndef VMM_DAEMON_H
#define VMM_DAEMON_H

/*
 * -daemonize as QEMU does it: fork before anything is set up (a KVM VM
 * belongs to the process that created it), the parent waits until the
 * child says the VM is ready and exits 0, or exits with the child's
 * status if setup failed; the child's errors go to the caller's stderr
 * until it is ready, then its stdio is /dev/null.
 */
struct daemon {
	int ready_fd;                   /* child: write end; -1 when done */
};

/* In the child: 0. The parent never returns (it exits). -errno if the
 * fork itself failed. */
int daemon_start(struct daemon *d);
/* The VM is set up: detach stdio and let the parent exit 0. */
void daemon_ready(struct daemon *d);

#endif
