/* SPDX-License-Identifier: MIT */
#ifndef TESTS_UNIT_FIXTURE_H
#define TESTS_UNIT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>

#include "kvm/guestmem.h"

/*
 * A Criterion suite whose tests each get a fresh, zeroed guest RAM of
 * @size bytes in `ram`, seen through `gm` (the real translator).
 */
#define GUEST_RAM_SUITE(suite, size)                          \
	static uint8_t *ram;                                  \
	static struct guestmem gm;                            \
	static void ram_setup(void)                           \
	{                                                     \
		ram = calloc(1, (size));                      \
		guestmem_init_with_buffer(&gm, ram, (size));  \
	}                                                     \
	static void ram_teardown(void)                        \
	{                                                     \
		free(ram);                                    \
	}                                                     \
	TestSuite(suite, .init = ram_setup, .fini = ram_teardown)

#endif
