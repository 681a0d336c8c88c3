/* SPDX-License-Identifier: MIT */
#ifndef UTIL_RATELIMIT_H
#define UTIL_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/log.h"

/*
 * Log lines a guest can trigger are rate-limited per device: at most
 * RATELIMIT_BURST lines per RATELIMIT_WINDOW_MS, then one line saying how
 * many were suppressed when the next window opens. A guest that names a
 * million bad PFNs gets a few lines, not a million.
 */
#define RATELIMIT_BURST     10
#define RATELIMIT_WINDOW_MS 5000

struct ratelimit {
	pthread_mutex_t lock;
	uint64_t window_start_ms;
	unsigned int printed;
	unsigned long suppressed;      /* in this window, not yet reported */
	unsigned long total_suppressed;
};

void ratelimit_init(struct ratelimit *rl);
/* Whether one more line may be logged now. */
bool ratelimit_ok(struct ratelimit *rl);

#define pr_warn_rl(rl, ...) \
	do { if (ratelimit_ok(rl)) pr_warn(__VA_ARGS__); } while (0)
#define pr_err_rl(rl, ...) \
	do { if (ratelimit_ok(rl)) pr_err(__VA_ARGS__); } while (0)

#endif
