// SPDX-License-Identifier: MIT
#include <string.h>
#include <time.h>

#include "util/ratelimit.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ratelimit_init(struct ratelimit *rl)
{
	memset(rl, 0, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
}

bool ratelimit_ok(struct ratelimit *rl)
{
	uint64_t t = now_ms();
	unsigned long dropped = 0;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	if (!rl->window_start_ms || t - rl->window_start_ms >= RATELIMIT_WINDOW_MS) {
		dropped = rl->suppressed;
		rl->window_start_ms = t;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	ok = rl->printed < RATELIMIT_BURST;
	if (ok) {
		rl->printed++;
	} else {
		rl->suppressed++;
		rl->total_suppressed++;
	}
	pthread_mutex_unlock(&rl->lock);
	if (dropped)
		pr_warn("(%lu similar lines suppressed)", dropped);
	return ok;
}
