// SPDX-License-Identifier: MIT
/*
 * A machine reset, as QEMU does one without -no-reboot: the guest starts
 * again from power-on in the same process, with the same devices and
 * backends (taps, -netdev user, -snapshot overlays, QMP clients stay).
 *
 * Who asks: a vCPU (i8042 reset line, ACPI reset register, triple fault,
 * KVM reset event) or QMP's system_reset. The vCPUs are held at once; the
 * main thread then, with every vCPU parked out of KVM_RUN:
 *  1. resets each virtio device as a driver's write of 0 would, and waits
 *     for its in-flight I/O (as long as it takes): after that nothing of it
 *     writes guest RAM;
 *  2. puts PCI config space back as plugged (no BAR decodes, no bus
 *     master, MSI-X off, the table masked), the UART and the i8042;
 *  3. puts the in-kernel PIC, IOAPIC and PIT back as created;
 *  4. writes the kernel, initrd, command line, ACPI tables and boot
 *     information again (a rebooting kernel may have overwritten any of
 *     it; the rest of RAM is left as it is, as on real hardware);
 *  5. emits QMP's RESET and lets the vCPUs go: each puts its own power-on
 *     state back (vmm/cpu_reset.h) before it runs, the boot CPU at the
 *     kernel's entry, the others waiting for INIT/SIPI.
 * A VM paused by QMP stays paused; one powered off under -no-shutdown
 * comes back as "prelaunch" and runs on cont, as QEMU's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/machine.h"

#define RESET_IO_SLICE_MS 1000

void machine_request_reset(struct machine *m, enum stop_cause cause)
{
	uint64_t one = 1;
	bool first;

	pthread_mutex_lock(&m->stop_lock);
	first = !m->stopping && !m->reset_pending;
	if (first) {
		m->reset_pending = true;
		m->reset_cause = cause;
	}
	pthread_mutex_unlock(&m->stop_lock);
	if (!first)
		return;
	/* Out of KVM_RUN now: nothing the guest does after asking counts. */
	vcpus_hold(&m->vcpus, false);
	if (write(m->reset_efd, &one, sizeof(one)) != sizeof(one))
		pr_err("reset: cannot wake the main thread: %s", strerror(errno));
}

static int machine_reset_irqchips(struct machine *m)
{
	struct kvm_irqchip chip;
	struct kvm_pit_state2 pit = m->pit_power_on;
	int r;

	for (unsigned int i = 0; i < 3; i++) {
		chip = m->irqchip_power_on[i];
		if ((r = kvm_vm_ioctl(&m->kvm, KVM_SET_IRQCHIP, &chip)) < 0)
			return r;
	}
	return kvm_vm_ioctl(&m->kvm, KVM_SET_PIT2, &pit);
}

static void machine_reset(struct machine *m, enum stop_cause cause)
{
	bool guest = cause == STOP_GUEST_RESET;
	char err[256];
	int r;

	if (vcpus_hold(&m->vcpus, true) < 0) {
		machine_stop(m, STOP_ERROR, 1,
			     "reset: the vCPUs did not stop within 5 s");
		return;
	}
	if (__atomic_load_n(&m->stopping, __ATOMIC_ACQUIRE))
		return;
	/*
	 * Until each device's I/O is over, however long (QEMU drains too):
	 * a read landing after the boot images are rewritten would write
	 * into the new boot's memory. Only the VMM's end cuts the wait.
	 */
	for (unsigned int i = 0; i < m->ndevs; i++) {
		struct machine_dev *d = &m->devs[i];
		unsigned int waited = 0;

		while (d->vp && virtio_pci_reset_sync(d->vp, RESET_IO_SLICE_MS) < 0) {
			if (__atomic_load_n(&m->stopping, __ATOMIC_ACQUIRE))
				return;
			if (++waited == 5)
				pr_warn("reset: %s still has I/O in flight after %u s; the reset waits for it",
					d->type, 5 * RESET_IO_SLICE_MS / 1000);
		}
	}
	pci_bus_reset(&m->pci);
	serial_reset(&m->com1);
	i8042_reset(&m->i8042);
	r = machine_reset_irqchips(m);
	if (r < 0) {
		snprintf(err, sizeof(err), "reset: KVM refused the interrupt controllers' power-on state: %s",
			 strerror(-r));
		machine_stop(m, STOP_ERROR, 1, err);
		return;
	}
	r = machine_load_boot(m, err, sizeof(err));
	if (r < 0) {
		char why[300];

		snprintf(why, sizeof(why), "reset: %s", err);
		machine_stop(m, STOP_ERROR, 1, why);
		return;
	}
	pthread_mutex_lock(&m->stop_lock);
	m->reset_pending = false;
	m->resets++;
	pr_debug("machine reset %lu done (%s)", m->resets,
		 guest ? "the guest's" : "QMP system_reset");
	if (m->shut_down) {
		m->shut_down = false;
		m->launched = false;      /* QEMU: prelaunch, cont runs it */
	}
	pthread_mutex_unlock(&m->stop_lock);
	if (m->qmp)
		qmp_emit(m->qmp, "RESET", json_pack("{s:b,s:s}", "guest", guest,
						    "reason", guest ? "guest-reset" :
						    "host-qmp-system-reset"));
	vcpus_release_reset(&m->vcpus);
}

static void machine_on_reset(void *ctx, uint32_t events)
{
	struct machine *m = ctx;
	enum stop_cause cause;
	uint64_t n;
	bool pending;

	(void)events;
	if (read(m->reset_efd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&m->stop_lock);
	pending = m->reset_pending;
	cause = m->reset_cause;
	pthread_mutex_unlock(&m->stop_lock);
	if (pending)
		machine_reset(m, cause);
}

/* After the irqchip and the PIT exist, before anything runs. */
int machine_reset_init(struct machine *m, char *err, size_t errlen)
{
	int r;

	for (unsigned int i = 0; i < 3; i++) {
		m->irqchip_power_on[i].chip_id = i;   /* PIC master, slave, IOAPIC */
		r = kvm_vm_ioctl(&m->kvm, KVM_GET_IRQCHIP, &m->irqchip_power_on[i]);
		if (r < 0)
			return machine_err(err, errlen, r, "KVM_GET_IRQCHIP failed: %s.",
					   strerror(-r));
	}
	r = kvm_vm_ioctl(&m->kvm, KVM_GET_PIT2, &m->pit_power_on);
	if (r < 0)
		return machine_err(err, errlen, r, "KVM_GET_PIT2 failed: %s.",
				   strerror(-r));
	m->reset_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->reset_efd < 0)
		return machine_err(err, errlen, -errno, "cannot make an eventfd: %s.",
				   strerror(errno));
	r = evloop_add_fd(&m->loop, m->reset_efd, EPOLLIN, machine_on_reset, m);
	if (r < 0)
		return machine_err(err, errlen, r, "cannot watch the reset eventfd.");
	return 0;
}
