// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static enum log_level log_level = LOG_WARN;
static int log_fd = STDERR_FILENO;
static bool log_crlf = true;

void log_set_fd(int fd)
{
	log_fd = fd;
	log_crlf = fd == STDERR_FILENO;
}

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (lvl > log_level)
		return;
	n = snprintf(buf, sizeof(buf), "vmm: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 2)
		n = sizeof(buf) - 3;
	/* The terminal may be in raw mode: end lines with CR LF (a log
	 * file gets plain lines). */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (log_crlf)
		buf[n++] = '\r';
	buf[n++] = '\n';
	/* One write() per line so lines from vCPU threads do not interleave. */
	if (write(log_fd, buf, n) < 0)
		return;
}
