/* SPDX-License-Identifier: MIT */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

/*
 * Logging to stderr. The level is process-wide configuration set once at
 * start-up by the CLI (-v); it is the one piece of global state we accept,
 * because every layer logs and threading a context through each call would
 * buy nothing.
 */
enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
