// SPDX-License-Identifier: MIT
#include <string.h>

#include <linux/serial_reg.h>

#include "devices/serial.h"

static void serial_update_irq(struct serial *s);

void serial_init(struct serial *s, void (*tx)(void *, uint8_t), void *tx_ctx,
		 void (*irq)(void *, int), void *irq_ctx)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->tx = tx;
	s->tx_ctx = tx_ctx;
	s->irq = irq;
	s->irq_ctx = irq_ctx;
	s->mcr = UART_MCR_OUT2;
	s->dll = 12;  /* 9600 baud, what the BIOS would leave */
}

/* Machine reset: registers as at power-on, the receive FIFO emptied
 * (what was typed before the reset is not the new boot's input), the
 * interrupt line lowered. The output sink stays. */
void serial_reset(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	s->ier = s->lcr = s->lsr_err = s->scr = s->fcr = s->dlm = 0;
	s->mcr = UART_MCR_OUT2;
	s->dll = 12;
	s->thre_pending = false;
	s->rx_head = s->rx_count = 0;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

void serial_exit(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}

/* The interrupt identification the guest would read now. */
static uint8_t serial_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & UART_FCR_ENABLE_FIFO) ? 0xc0 : 0;

	if ((s->ier & UART_IER_RLSI) && s->lsr_err)
		return fifo | UART_IIR_RLSI;
	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return fifo | UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thre_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & UART_IIR_NO_INT);

	/*
	 * On a PC the UART's interrupt reaches the PIC only through OUT2;
	 * Linux relies on that when it probes the IRQ.
	 */
	if (!(s->mcr & UART_MCR_OUT2))
		level = 0;
	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->irq)
			s->irq(s->irq_ctx, level);
	}
}

static void serial_rx_push(struct serial *s, uint8_t b)
{
	if (s->rx_count == SERIAL_FIFO_SIZE) {
		s->lsr_err |= UART_LSR_OE;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = b;
	s->rx_count++;
}

static uint8_t serial_rx_pop(struct serial *s)
{
	uint8_t b;

	if (!s->rx_count)
		return 0;
	b = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
	s->rx_count--;
	return b;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* In loopback the receiver is wired to our own transmitter. */
	if (!(s->mcr & UART_MCR_LOOP)) {
		while (n < len && s->rx_count < SERIAL_FIFO_SIZE)
			serial_rx_push(s, buf[n++]);
		serial_update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_room(struct serial *s)
{
	size_t room;

	pthread_mutex_lock(&s->lock);
	room = SERIAL_FIFO_SIZE - s->rx_count;
	pthread_mutex_unlock(&s->lock);
	return room;
}

static uint8_t serial_msr(const struct serial *s)
{
	uint8_t m = 0;

	if (!(s->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	/* Loopback: modem outputs feed the modem inputs. */
	if (s->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (s->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (s->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

uint8_t serial_reg_read(struct serial *s, unsigned int off)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	uint8_t v = 0xff;

	switch (off) {
	case UART_RX:
		v = dlab ? s->dll : serial_rx_pop(s);
		break;
	case UART_IER:
		v = dlab ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = serial_iir(s);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((v & 0x0f) == UART_IIR_THRI)
			s->thre_pending = false;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = UART_LSR_TEMT | UART_LSR_THRE | s->lsr_err;
		if (s->rx_count)
			v |= UART_LSR_DR;
		s->lsr_err = 0;
		break;
	case UART_MSR:
		v = serial_msr(s);
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	serial_update_irq(s);
	return v;
}

void serial_reg_write(struct serial *s, unsigned int off, uint8_t val)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (off) {
	case UART_TX:
		if (dlab) {
			s->dll = val;
			break;
		}
		if (s->mcr & UART_MCR_LOOP)
			serial_rx_push(s, val);
		else if (s->tx)
			s->tx(s->tx_ctx, val);
		/* The byte left at once: THR is empty again. */
		s->thre_pending = true;
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = val;
			break;
		}
		/* Enabling THRI while THR is empty raises it at once. */
		if (!(s->ier & UART_IER_THRI) && (val & UART_IER_THRI))
			s->thre_pending = true;
		s->ier = val & 0x0f;
		break;
	case UART_FCR:
		s->fcr = val & (UART_FCR_ENABLE_FIFO | 0xc0);
		if (val & UART_FCR_CLEAR_RCVR)
			s->rx_head = s->rx_count = 0;
		break;
	case UART_LCR:
		s->lcr = val;
		break;
	case UART_MCR:
		s->mcr = val & 0x1f;
		break;
	case UART_SCR:
		s->scr = val;
		break;
	default:  /* LSR and MSR are read-only */
		break;
	}
	serial_update_irq(s);
}

static void serial_bus_read(void *opaque, uint64_t off, uint8_t *data,
			    unsigned int len)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < len; i++)
		data[i] = off + i < 8 ? serial_reg_read(s, off + i) : 0xff;
	pthread_mutex_unlock(&s->lock);
}

static void serial_bus_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned int len)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < len; i++)
		if (off + i < 8)
			serial_reg_write(s, off + i, data[i]);
	pthread_mutex_unlock(&s->lock);
}

const struct bus_ops serial_bus_ops = {
	.read = serial_bus_read,
	.write = serial_bus_write,
};
