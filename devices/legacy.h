/* SPDX-License-Identifier: MIT */
#ifndef DEVICES_LEGACY_H
#define DEVICES_LEGACY_H

#include <pthread.h>
#include <stdint.h>

#include "devices/bus.h"

/*
 * Small legacy PC devices: just enough of each for Linux and for QEMU-style
 * test guests. They stop the machine through a callback the VMM provides.
 */
/*
 * Why the machine stops: decides QMP's SHUTDOWN event (QEMU's reasons)
 * and how the exit is logged; the exit status is separate.
 */
enum stop_cause {
	STOP_GUEST_RESET,     /* i8042 reset, triple fault, KVM reset event:
			       * a machine reset, or with -no-reboot an exit */
	STOP_GUEST_SHUTDOWN,  /* ACPI S5 */
	STOP_GUEST_PANIC,     /* KVM crash event */
	STOP_DEBUG_EXIT,      /* isa-debug-exit: the status is the guest's */
	STOP_HOST_SIGNAL,     /* SIGTERM, SIGINT, SIGHUP */
	STOP_HOST_QMP_QUIT,
	STOP_HOST_QMP_RESET,  /* system_reset: the same */
	STOP_HOST_UI,         /* Ctrl-A x */
	STOP_ERROR,           /* the VMM cannot go on */
};
typedef void (*machine_stop_fn)(void *ctx, enum stop_cause cause, int status,
				const char *why);

/* i8042 keyboard controller: only the CPU-reset line (0xfe to port 0x64). */
struct i8042 {
	pthread_mutex_t lock;
	uint8_t cmd;          /* last command awaiting a data byte */
	machine_stop_fn stop;
	void *stop_ctx;
};
#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64
void i8042_init(struct i8042 *k, machine_stop_fn stop, void *ctx);
void i8042_reset(struct i8042 *k);
extern const struct bus_ops i8042_bus_ops;   /* base 0x60, size 5 */

/* QEMU's isa-debug-exit: a write of V ends the VMM with status V*2+1. */
struct debug_exit {
	machine_stop_fn stop;
	void *stop_ctx;
};
extern const struct bus_ops debug_exit_bus_ops;

/* MC146818 CMOS RTC reading the host's UTC clock, plus its NVRAM. */
struct cmos {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t nvram[128];
};
#define CMOS_PORT 0x70
void cmos_init(struct cmos *c);
extern const struct bus_ops cmos_bus_ops;    /* base 0x70, size 2 */
uint8_t cmos_reg_read(struct cmos *c, uint8_t reg);

/*
 * ACPI sleep control and status registers of a hardware-reduced platform
 * (ACPI 6.4, 4.8.3.7): the guest powers off by writing SLP_EN with the
 * SLP_TYP that \_S5 names. Status reads 0 (never woken).
 */
#define ACPI_SLEEP_PORT   0x600      /* control; status at +1 */
#define ACPI_SLP_TYP_S5   5
struct acpi_sleep {
	machine_stop_fn stop;
	void *stop_ctx;
};
extern const struct bus_ops acpi_sleep_bus_ops;  /* base 0x600, size 2 */

#endif
