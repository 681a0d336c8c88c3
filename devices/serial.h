/* SPDX-License-Identifier: MIT */
#ifndef DEVICES_SERIAL_H
#define DEVICES_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"

/*
 * A 16550A UART as Linux's 8250 driver expects it, polled or
 * interrupt-driven. Transmission is instantaneous (THR is always empty);
 * received bytes wait in a FIFO until the guest reads them.
 */
#define SERIAL_FIFO_SIZE 64

struct serial {
	pthread_mutex_t lock;
	/* Output sink, called with the lock held. */
	void (*tx)(void *ctx, uint8_t byte);
	void *tx_ctx;
	/* Interrupt line, called with the lock held on level changes. */
	void (*irq)(void *ctx, int level);
	void *irq_ctx;
	int irq_level;

	uint8_t ier, lcr, mcr, lsr_err, scr, fcr, dll, dlm;
	bool thre_pending;
	uint8_t rx[SERIAL_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

extern const struct bus_ops serial_bus_ops;

void serial_init(struct serial *s, void (*tx)(void *, uint8_t), void *tx_ctx,
		 void (*irq)(void *, int), void *irq_ctx);
void serial_exit(struct serial *s);
/* Machine reset: power-on registers, FIFO emptied, line lowered. */
void serial_reset(struct serial *s);
/* Queue bytes from the host side; returns how many were accepted. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);
/* Room left in the receive FIFO. */
size_t serial_rx_room(struct serial *s);

/* Register access, as the bus calls it (offset 0..7, one byte). */
uint8_t serial_reg_read(struct serial *s, unsigned int off);
void serial_reg_write(struct serial *s, unsigned int off, uint8_t val);

#endif
