// SPDX-License-Identifier: MIT
/*
 * kvm-hold: keep one empty VM open in L1 for the whole session.
 *
 * Why: KVM_CREATE_VM and the VM's destruction each flip the kernel's
 * preempt_notifier_key static branch (preempt_notifier_inc/dec), which
 * live-patches __schedule() with text_poke_bp() (an int3 over a 5-byte
 * nop, then the new jump). QEMU's multi-threaded TCG, which runs L1,
 * sometimes keeps executing the int3 after the patch is done: both L1
 * CPUs were caught looping through exc_int3 on the int3 at
 * __schedule+0x2ab (the preempt-notifier site), interrupts off, and L1
 * was lost (l1-run.sh -i). Every test VM created and destroyed patched
 * that code twice. With one VM held open the key's count never returns
 * to zero, so no test VM patches the kernel: 80 runs of qmp_shutdown.py
 * (400 VMs) without a wedge, against a wedge every 12 to 37 runs
 * without it.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0) {
		perror("kvm-hold: cannot create the VM to hold");
		return 1;
	}
	for (;;)
		pause();
}
