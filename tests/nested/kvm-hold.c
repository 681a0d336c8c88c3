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
 *
 * The same holds one per-task perf event open: a VMM whose guest has a
 * PMU (QEMU's -cpu host) makes KVM create and free perf events, which
 * flips perf_sched_events, another static branch in __schedule(). An L1
 * running QEMU's guests was later lost the way the int3 loop ends
 * (recursive page faults from native_irq_return_iret until the stack
 * guard page); with the count held above zero it is never patched either.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);

	struct perf_event_attr pa = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(pa),
		.config = PERF_COUNT_SW_DUMMY, .disabled = 1,
	};

	if (vm < 0) {
		perror("kvm-hold: cannot create the VM to hold");
		return 1;
	}
	/* This task, any CPU: a task event, which is what keeps the key on. */
	if (syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0) < 0)
		perror("kvm-hold: no perf event held (perf_sched_events may flip)");
	for (;;)
		pause();
}
