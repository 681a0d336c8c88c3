// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <linux/serial_reg.h>
#include <string.h>

#include "devices/serial.h"

struct sink {
	uint8_t out[256];
	unsigned int n;
	int level, changes;
};

static void tx(void *ctx, uint8_t b)
{
	struct sink *s = ctx;

	if (s->n < sizeof(s->out))
		s->out[s->n++] = b;
}

static void irq(void *ctx, int level)
{
	struct sink *s = ctx;

	s->level = level;
	s->changes++;
}

static struct serial u;
static struct sink sk;

static void setup(void)
{
	memset(&sk, 0, sizeof(sk));
	serial_init(&u, tx, &sk, irq, &sk);
}

TestSuite(serial, .init = setup);

Test(serial, transmit_polled)
{
	serial_reg_write(&u, UART_TX, 'h');
	serial_reg_write(&u, UART_TX, 'i');
	cr_assert_eq(sk.n, 2);
	cr_assert_eq(sk.out[0], 'h');
	cr_assert(serial_reg_read(&u, UART_LSR) & UART_LSR_THRE);
	cr_assert(serial_reg_read(&u, UART_LSR) & UART_LSR_TEMT);
	cr_assert_eq(sk.level, 0, "no interrupt while IER is 0");
}

Test(serial, ier_readback_as_linux_probes)
{
	serial_reg_write(&u, UART_IER, 0);
	cr_assert_eq(serial_reg_read(&u, UART_IER), 0);
	serial_reg_write(&u, UART_IER, 0x0f);
	cr_assert_eq(serial_reg_read(&u, UART_IER), 0x0f);
	serial_reg_write(&u, UART_IER, 0xff);
	cr_assert_eq(serial_reg_read(&u, UART_IER), 0x0f);
}

Test(serial, fifo_identifies_16550a)
{
	serial_reg_write(&u, UART_FCR, UART_FCR_ENABLE_FIFO);
	cr_assert_eq(serial_reg_read(&u, UART_IIR) & 0xc0, 0xc0);
	serial_reg_write(&u, UART_FCR, 0);
	cr_assert_eq(serial_reg_read(&u, UART_IIR) & 0xc0, 0);
}

Test(serial, thre_interrupt)
{
	serial_reg_write(&u, UART_IER, UART_IER_THRI);
	cr_assert_eq(sk.level, 1);
	cr_assert_eq(serial_reg_read(&u, UART_IIR) & 0x0f, UART_IIR_THRI);
	/* Reading IIR acknowledged it. */
	cr_assert_eq(sk.level, 0);
	cr_assert_eq(serial_reg_read(&u, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	serial_reg_write(&u, UART_TX, 'x');
	cr_assert_eq(sk.level, 1, "THR empty again after a write");
}

Test(serial, out2_gates_the_line)
{
	serial_reg_write(&u, UART_MCR, 0);
	serial_reg_write(&u, UART_IER, UART_IER_THRI);
	cr_assert_eq(sk.level, 0);
	serial_reg_write(&u, UART_MCR, UART_MCR_OUT2);
	cr_assert_eq(sk.level, 1);
}

Test(serial, receive_and_interrupt)
{
	uint8_t in[3] = { 'a', 'b', 'c' };

	serial_reg_write(&u, UART_IER, UART_IER_RDI);
	cr_assert_eq(serial_receive(&u, in, 3), 3);
	cr_assert_eq(sk.level, 1);
	cr_assert_eq(serial_reg_read(&u, UART_IIR) & 0x0f, UART_IIR_RDI);
	cr_assert(serial_reg_read(&u, UART_LSR) & UART_LSR_DR);
	cr_assert_eq(serial_reg_read(&u, UART_RX), 'a');
	cr_assert_eq(serial_reg_read(&u, UART_RX), 'b');
	cr_assert_eq(serial_reg_read(&u, UART_RX), 'c');
	cr_assert_not(serial_reg_read(&u, UART_LSR) & UART_LSR_DR);
	cr_assert_eq(sk.level, 0);
	cr_assert_eq(serial_reg_read(&u, UART_RX), 0, "empty FIFO reads 0");
}

Test(serial, fifo_full_backpressure)
{
	uint8_t in[SERIAL_FIFO_SIZE + 10];

	memset(in, 'z', sizeof(in));
	cr_assert_eq(serial_receive(&u, in, sizeof(in)), SERIAL_FIFO_SIZE);
	cr_assert_eq(serial_rx_room(&u), 0);
	serial_reg_read(&u, UART_RX);
	cr_assert_eq(serial_rx_room(&u), 1);
}

Test(serial, dlab_divisor)
{
	serial_reg_write(&u, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	serial_reg_write(&u, UART_DLL, 1);
	serial_reg_write(&u, UART_DLM, 0);
	cr_assert_eq(serial_reg_read(&u, UART_DLL), 1);
	cr_assert_eq(serial_reg_read(&u, UART_DLM), 0);
	cr_assert_eq(sk.n, 0, "divisor writes are not output");
	serial_reg_write(&u, UART_LCR, UART_LCR_WLEN8);
	cr_assert_eq(serial_reg_read(&u, UART_LCR), UART_LCR_WLEN8);
}

Test(serial, loopback)
{
	serial_reg_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 |
			 UART_MCR_RTS);
	serial_reg_write(&u, UART_TX, 0x55);
	cr_assert_eq(sk.n, 0);
	cr_assert_eq(serial_reg_read(&u, UART_RX), 0x55);
	cr_assert(serial_reg_read(&u, UART_MSR) & UART_MSR_CTS);
}

Test(serial, scratch_and_readonly)
{
	serial_reg_write(&u, UART_SCR, 0xa5);
	cr_assert_eq(serial_reg_read(&u, UART_SCR), 0xa5);
	serial_reg_write(&u, UART_LSR, 0);
	cr_assert(serial_reg_read(&u, UART_LSR) & UART_LSR_THRE);
}

Test(serial, bus_access_wide_and_out_of_range)
{
	uint8_t d[2] = { 'A', 'B' };

	serial_bus_ops.write(&u, 7, d, 1);
	serial_bus_ops.read(&u, 7, d, 1);
	cr_assert_eq(d[0], 'A');
	d[0] = 0;
	serial_bus_ops.read(&u, 8, d, 1);   /* past the registers */
	cr_assert_eq(d[0], 0xff);
}

/* A machine reset: registers as at power-on, typed input from before the
 * reset dropped, the line lowered. */
Test(serial, reset_is_power_on)
{
	const uint8_t in[] = "abc";

	serial_reg_write(&u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	serial_reg_write(&u, UART_LCR, UART_LCR_WLEN8);
	serial_reg_write(&u, UART_SCR, 0x5a);
	serial_receive(&u, in, 3);
	cr_assert_eq(sk.level, 1);
	serial_reset(&u);
	cr_assert_eq(sk.level, 0);
	cr_assert_eq(serial_reg_read(&u, UART_IER), 0);
	cr_assert_eq(serial_reg_read(&u, UART_LCR), 0);
	cr_assert_eq(serial_reg_read(&u, UART_SCR), 0);
	cr_assert_eq(serial_reg_read(&u, UART_LSR) & UART_LSR_DR, 0, "FIFO empty");
	cr_assert_eq(serial_rx_room(&u), SERIAL_FIFO_SIZE);
	cr_assert_eq(serial_reg_read(&u, UART_MCR) & UART_MCR_OUT2, UART_MCR_OUT2);
}
