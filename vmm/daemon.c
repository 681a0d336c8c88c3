// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/daemon.h"

int daemon_start(struct daemon *d)
{
	int p[2], st;
	pid_t pid;
	char c;
	ssize_t n;

	d->ready_fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		d->ready_fd = p[1];
		/* Its own session: no terminal's hangup or job control. */
		setsid();
		return 0;
	}
	close(p[1]);
	do
		n = read(p[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	/* Setup failed; the child has said why on our stderr. */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	_exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
}

void daemon_ready(struct daemon *d)
{
	int fd;

	if (d->ready_fd < 0)
		return;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(d->ready_fd, "r", 1) < 0) {
		/* The parent is gone; nobody is waiting. */
	}
	close(d->ready_fd);
	d->ready_fd = -1;
}
