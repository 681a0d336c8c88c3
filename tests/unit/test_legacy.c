// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "devices/legacy.h"

static int stops, last_status;
static enum stop_cause last_cause;

static void stop(void *ctx, enum stop_cause cause, int status, const char *why)
{
	(void)ctx;
	(void)why;
	stops++;
	last_status = status;
	last_cause = cause;
}

Test(i8042, reset_command)
{
	struct i8042 k;
	uint8_t v = 0;

	stops = 0;
	i8042_init(&k, stop, NULL);
	i8042_bus_ops.read(&k, 4, &v, 1);
	cr_assert_eq(v & 0x02, 0, "input buffer never full");
	v = 0xaa;
	i8042_bus_ops.write(&k, 4, &v, 1);
	cr_assert_eq(stops, 0);
	v = 0xfe;
	i8042_bus_ops.write(&k, 4, &v, 1);
	cr_assert_eq(stops, 1);
	cr_assert_eq(last_status, 0);
	cr_assert_eq(last_cause, STOP_GUEST_RESET, "QMP: SHUTDOWN guest-reset");
}

Test(i8042, output_port_reset)
{
	struct i8042 k;
	uint8_t v;

	stops = 0;
	i8042_init(&k, stop, NULL);
	v = 0xd1;
	i8042_bus_ops.write(&k, 4, &v, 1);
	v = 0x01;   /* reset line high: nothing */
	i8042_bus_ops.write(&k, 0, &v, 1);
	cr_assert_eq(stops, 0);
	v = 0xd1;
	i8042_bus_ops.write(&k, 4, &v, 1);
	v = 0x00;
	i8042_bus_ops.write(&k, 0, &v, 1);
	cr_assert_eq(stops, 1);
}

Test(debug_exit, status_like_qemu)
{
	struct debug_exit d = { stop, NULL };
	uint8_t v = 0x10;

	debug_exit_bus_ops.write(&d, 0, &v, 1);
	cr_assert_eq(last_status, 0x21);
	cr_assert_eq(last_cause, STOP_DEBUG_EXIT, "no SHUTDOWN, no error log");
}

static uint8_t from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

Test(cmos, clock_in_bcd_and_uip_clear)
{
	struct cmos c;
	uint8_t idx, v;

	cmos_init(&c);
	cr_assert_eq(cmos_reg_read(&c, 0x0a) & 0x80, 0, "UIP clear");
	cr_assert_eq(cmos_reg_read(&c, 0x0b) & 0x04, 0, "BCD mode");
	cr_assert_leq(from_bcd(cmos_reg_read(&c, 0x00)), 60);
	cr_assert_leq(from_bcd(cmos_reg_read(&c, 0x04)), 23);
	cr_assert_geq(from_bcd(cmos_reg_read(&c, 0x08)), 1);
	cr_assert_leq(from_bcd(cmos_reg_read(&c, 0x08)), 12);
	cr_assert_eq(from_bcd(cmos_reg_read(&c, 0x32)), 20);
	/* NVRAM through the ports, NMI bit masked off the index. */
	idx = 0x80 | 0x40;
	cmos_bus_ops.write(&c, 0, &idx, 1);
	v = 0x5a;
	cmos_bus_ops.write(&c, 1, &v, 1);
	v = 0;
	cmos_bus_ops.read(&c, 1, &v, 1);
	cr_assert_eq(v, 0x5a);
	/* Status registers are not writable. */
	idx = 0x0b;
	cmos_bus_ops.write(&c, 0, &idx, 1);
	v = 0x04;
	cmos_bus_ops.write(&c, 1, &v, 1);
	cr_assert_eq(cmos_reg_read(&c, 0x0b), 0x02);
}

/* ACPI power-off: SLP_TYP 5 with SLP_EN, as Linux writes it for \_S5. */
Test(acpi_sleep, s5_with_slp_en_powers_off)
{
	struct acpi_sleep s = { stop, NULL };
	uint8_t v;

	stops = 0;
	v = 5 << 2;                        /* S5, but no SLP_EN */
	acpi_sleep_bus_ops.write(&s, 0, &v, 1);
	v = 3 << 2 | 1 << 5;               /* another sleep type */
	acpi_sleep_bus_ops.write(&s, 0, &v, 1);
	v = 5 << 2 | 1 << 5;               /* to the status register */
	acpi_sleep_bus_ops.write(&s, 1, &v, 1);
	cr_assert_eq(stops, 0);
	acpi_sleep_bus_ops.read(&s, 1, &v, 1);
	cr_assert_eq(v, 0, "never woken");
	v = 5 << 2 | 1 << 5;
	acpi_sleep_bus_ops.write(&s, 0, &v, 1);
	cr_assert_eq(stops, 1);
	cr_assert_eq(last_status, 0, "a guest power-off is a clean exit");
	cr_assert_eq(last_cause, STOP_GUEST_SHUTDOWN, "QMP: SHUTDOWN guest-shutdown");
}
