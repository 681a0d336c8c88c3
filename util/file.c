// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/*
 * From offset 0 with pread, so the same fd can be read again later (a
 * reset reloads -kernel and -initrd from the fds opened at start: the
 * sandboxed main thread cannot open files).
 */
int util_read_fd(int fd, uint8_t **bufp, size_t *lenp, size_t max)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		return -ENOMEM;
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, st.st_size - done, done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			free(buf);
			return err;
		}
		done += n;
	}
	*bufp = buf;
	*lenp = done;
	return 0;
}

int util_read_file(const char *path, uint8_t **bufp, size_t *lenp, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = util_read_fd(fd, bufp, lenp, max);
	close(fd);
	return r;
}

void util_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
