// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "util/ratelimit.h"

Test(ratelimit, burst_then_silence)
{
	struct ratelimit rl;
	unsigned int ok = 0;

	ratelimit_init(&rl);
	for (int i = 0; i < 100000; i++)
		ok += ratelimit_ok(&rl);
	cr_assert_eq(ok, RATELIMIT_BURST);
	cr_assert_eq(rl.total_suppressed, 100000 - RATELIMIT_BURST);
}
