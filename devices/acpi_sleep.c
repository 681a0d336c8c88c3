// SPDX-License-Identifier: MIT
#include <string.h>

#include "devices/legacy.h"

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK  (7u << SLP_TYP_SHIFT)
#define SLP_EN        (1u << 5)

static void acpi_sleep_read(void *opaque, uint64_t off, uint8_t *data,
			    unsigned int len)
{
	(void)opaque;
	(void)off;
	memset(data, 0, len);
}

static void acpi_sleep_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned int len)
{
	struct acpi_sleep *s = opaque;

	(void)len;
	if (off != 0 || !(data[0] & SLP_EN))
		return;
	/* S5 is the only sleep state \_S5 offers; others are not entered. */
	if (((data[0] & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == ACPI_SLP_TYP_S5)
		s->stop(s->stop_ctx, STOP_GUEST_SHUTDOWN, 0,
			"guest powered off (ACPI S5)");
}

const struct bus_ops acpi_sleep_bus_ops = {
	.read = acpi_sleep_read,
	.write = acpi_sleep_write,
};
