// SPDX-License-Identifier: MIT
/* The runner for tests built against tests/tsan/criterion/criterion.h. */
#include <criterion/criterion.h>

struct shim_test shim_tests[64];
unsigned int shim_ntests;

int main(void)
{
	for (unsigned int i = 0; i < shim_ntests; i++) {
		if (shim_suite_cfg.init)
			shim_suite_cfg.init();
		shim_tests[i].fn();
		if (shim_suite_cfg.fini)
			shim_suite_cfg.fini();
		printf("PASS %s\n", shim_tests[i].name);
	}
	return 0;
}
