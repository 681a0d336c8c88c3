/* SPDX-License-Identifier: MIT */
#ifndef UTIL_UTIL_H
#define UTIL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB ((uint64_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* Read a whole file into a malloc'd buffer; 0 or -errno. */
int util_read_file(const char *path, uint8_t **buf, size_t *len, size_t max);
/* The same from an open regular file, from its start (pread). */
int util_read_fd(int fd, uint8_t **buf, size_t *len, size_t max);
/* close(*fd) if it is open, and mark it closed (-1): teardown paths run
 * more than once, and after a partial set-up. */
void util_close_fd(int *fd);

#endif
