/* SPDX-License-Identifier: MIT */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <pthread.h>
#include <stdbool.h>

#include "devices/bus.h"
#include "devices/legacy.h"
#include "devices/pci.h"
#include "devices/serial.h"
#include "kvm/guestmem.h"
#include "kvm/kvm.h"
#include "util/sandbox.h"
#include "boot/boot.h"
#include "vmm/console.h"
#include "vmm/cpu.h"
#include "vmm/cpu_reset.h"
#include "vmm/options.h"
#include "vmm/pvm.h"
#include "vmm/qmp.h"
#include "vmm/vcpu.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/iothread.h"

struct machine;

/*
 * One virtio device the command line asked for: its type and id (QMP's
 * query-pci, qom-list), its transport, the I/O thread that serves it
 * (struct virtio_iothread: ioeventfds, irqfds, and the loop on which the
 * device registered its own fds and timers), and
 * what to do with it at the end. machine_run starts and stops every
 * entry, machine_destroy frees every entry: a new device adds itself to
 * this list and needs nothing else from machine.c.
 */
struct machine_dev {
	const char *type;                 /* "virtio-blk-pci", ... */
	const char *id;                   /* -device id=, or NULL */
	struct virtio_pci *vp;            /* NULL until the device exists */
	struct virtio_iothread io;
	void *dev;
	/* Threads of its own beside its I/O thread (-netdev user's stack):
	 * started after it, stopped after it; may be NULL. */
	int (*start)(void *dev, const struct sandbox *sb);
	void (*stop)(void *dev);
	/* At exit, after its threads stopped: one line of figures; may be NULL. */
	void (*report)(void *dev);
	/* Undo the device's init and free it (the thread is stopped). */
	void (*free)(void *dev);
};

/* The whole VM; owns everything it creates. */
struct machine {
	const struct vm_config *cfg;
	struct kvm kvm;
	struct guestmem mem;
	struct bus pio, mmio;
	struct serial com1;
	struct i8042 i8042;
	struct cmos cmos;
	struct debug_exit debug_exit;
	struct acpi_sleep acpi_sleep;
	struct pci_bus pci;
	struct kvm_irq_router router;
	/* Every virtio device, in command-line (slot) order. */
	struct machine_dev devs[VMM_MAX_DEVICES];
	unsigned int ndevs;
	/* The devices QMP talks to, typed (entries of devs[]). */
	struct balloon *balloon;          /* NULL without -device virtio-balloon-pci */
	struct blk_dev *blk[VMM_MAX_DRIVES];
	unsigned int nblk;
	struct qmp *qmp;                  /* NULL without -qmp */
	struct console console;
	struct pvm_quirks pvm;
	struct sandbox sandbox;           /* -sandbox: each thread enters it */
	bool pidfile_written;             /* -pidfile: ours to remove */
	struct boot_kernel kernel;
	struct vcpus vcpus;               /* threads, pause/resume, the end */
	struct cpu_topo topo;             /* -smp's sockets, cores, threads */
	uint8_t apic_ids[VMM_MAX_CPUS];   /* vCPU i's (< 255 for 64 vCPUs) */
	struct cpu_power_on *power_on;    /* per vCPU, put back on reset */
	uint64_t boot_info;               /* zero page or PVH start info */
	int kernel_fd, initrd_fd;         /* -kernel, -initrd: re-read on reset */
	/* In-kernel PIC (master, slave), IOAPIC and PIT as created. */
	struct kvm_irqchip irqchip_power_on[3];
	struct kvm_pit_state2 pit_power_on;
	/* Reset: requested by a vCPU or QMP, done by the main thread. */
	int reset_efd;
	bool reset_pending;               /* under stop_lock */
	enum stop_cause reset_cause;      /* guest or QMP, for RESET */
	unsigned long resets;             /* done so far */

	/* Stop request: the first one sets the status and the reason. The
	 * same lock orders the run state QMP reports (pause/resume go to
	 * the vCPUs under it; lock order: stop_lock, then vcpus.lock). */
	pthread_mutex_t stop_lock;
	bool launched;                    /* ran once (not "prelaunch") */
	bool shut_down;                   /* -no-shutdown: powered off, stopped */
	bool stopping;
	int exit_status;
	enum stop_cause stop_cause;
	char stop_reason[160];
	struct evloop loop;               /* the main thread's: stops, signals */
	int sigfd;                        /* SIGINT, SIGTERM, SIGHUP */
};

/* 0 or -errno; on error @err holds one sentence for the user. */
int machine_build(struct machine *m, const struct vm_config *cfg, char *err,
		  size_t errlen);
/* Run until the guest or the user stops the VM; returns the exit status. */
int machine_run(struct machine *m);
void machine_destroy(struct machine *m);
/* QMP stop: every vCPU out of KVM_RUN and parked before it returns (or
 * -ETIMEDOUT after 5 s); STOP is emitted once. cont: they go on, RESUME. */
int machine_pause(struct machine *m);
/* 0, or -EBUSY after a -no-shutdown power-off (QEMU: a reset is needed). */
int machine_resume(struct machine *m);
/* Ask every vCPU to stop; safe from any thread, idempotent. */
void machine_stop(void *m, enum stop_cause cause, int status,
		  const char *why);

int machine_err(char *err, size_t len, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* machine_boot.c: open -kernel/-initrd (kept open), and write what the
 * guest finds in RAM at power-on (at start and on every reset). */
int machine_open_boot_files(struct machine *m, char *err, size_t errlen);
int machine_load_boot(struct machine *m, char *err, size_t errlen);

/* machine_reset.c: a reset as QEMU does one without -no-reboot: the
 * guest starts again from power-on, in the same process, with the same
 * devices and backends (taps, -snapshot overlays, QMP clients). Safe from
 * any thread: the vCPUs are held at once, the main thread does the rest. */
void machine_request_reset(struct machine *m, enum stop_cause cause);
int machine_reset_init(struct machine *m, char *err, size_t errlen);

/* machine_devs.c: every -device virtio-*, on m->devs. */
int machine_add_virtio(struct machine *m, char *err, size_t errlen);

/* machine_qmp.c */
int machine_add_qmp(struct machine *m, char *err, size_t errlen);
void machine_balloon_actual_changed(void *ctx, uint32_t pages);

/* QMP's runstate: "running", "paused", "prelaunch" or "shutdown". */
const char *machine_run_state(struct machine *m);

#endif
