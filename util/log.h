/* SPDX-License-Identifier: MIT */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

/*
 * Logging to stderr (or -D's file). The level and the destination are
 * process-wide configuration set once at start-up by the CLI (-v, -D);
 * they are the one piece of global state we accept,
 * because every layer logs and threading a context through each call would
 * buy nothing.
 */
enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
/* Where lines go (default stderr; -D gives a file). */
void log_set_fd(int fd);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
