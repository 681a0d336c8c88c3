// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sandbox.h"
#include "vmm/console.h"
#include "vmm/options.h"

#define CTRL_A 0x01

/*
 * The terminal state to put back if the process leaves through exit()
 * rather than console_exit(); written once, before raw mode is entered.
 */
static struct termios console_saved_tty;
static int console_tty_fd = -1;

static void console_restore_atexit(void)
{
	if (console_tty_fd >= 0)
		tcsetattr(console_tty_fd, TCSAFLUSH, &console_saved_tty);
}

int console_init(struct console *c, int mode, const char *path,
		 struct serial *uart, machine_stop_fn stop, void *ctx)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->out_fd = c->in_fd = -1;
	c->uart = uart;
	c->stop = stop;
	c->stop_ctx = ctx;
	c->in_watch = -1;
	r = evloop_init(&c->loop, "vmm-console");
	if (r < 0)
		return r;
	switch (mode) {
	case SERIAL_STDIO:
		c->out_fd = STDOUT_FILENO;
		c->in_fd = STDIN_FILENO;
		break;
	case SERIAL_FILE:
		c->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				 0644);
		if (c->out_fd < 0)
			return -errno;
		c->owns_out = true;
		break;
	default:
		break;
	}
	return 0;
}

void console_tx(void *ctx, uint8_t byte)
{
	struct console *c = ctx;

	if (c->out_fd < 0)
		return;
	while (write(c->out_fd, &byte, 1) < 0 && errno == EINTR)
		;
}

void console_input(struct console *c, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = buf[i];

		if (c->escape) {
			c->escape = false;
			if (b == 'x' || b == 'X') {
				c->stop(c->stop_ctx, STOP_HOST_UI, 0,
				"Ctrl-A x on the console");
				return;
			}
			if (b == 'h' || b == 'H') {
				static const char help[] =
					"\r\nCtrl-A x  quit\r\nCtrl-A Ctrl-A  send Ctrl-A\r\n";

				if (write(STDERR_FILENO, help, sizeof(help) - 1) < 0)
					return;
				continue;
			}
			if (b != CTRL_A)
				continue;
		} else if (b == CTRL_A && c->raw) {
			c->escape = true;
			continue;
		}
		/* The FIFO drains as the guest reads; wait for room. */
		while (serial_receive(c->uart, &b, 1) == 0) {
			struct timespec ms5 = { .tv_nsec = 5000000 };

			if (evloop_stopping(&c->loop))
				return;
			nanosleep(&ms5, NULL);
		}
	}
}

/* Input is readable (or at its end). */
static void console_read(void *ctx, uint32_t events)
{
	struct console *c = ctx;
	uint8_t buf[256];
	ssize_t n = read(c->in_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/*
		 * End of input: the guest keeps running and this thread
		 * waits for the end. Exiting now would unmap its stack
		 * while the guest runs, and every munmap in the VMM is an
		 * MMU-notifier invalidation for KVM (measured: it costs
		 * PVM's shadow MMU milliseconds).
		 */
		evloop_del(&c->loop, c->in_watch);
		c->in_watch = -1;
		return;
	}
	console_input(c, buf, n);
}

static void console_read_tick(void *ctx)
{
	console_read(ctx, EPOLLIN);
}

/* Watch the input; a regular file or /dev/null cannot be waited on (it
 * is always readable): read it on a timer tick until its end instead. */
static int console_watch_input(struct console *c)
{
	int r = evloop_add_fd(&c->loop, c->in_fd, EPOLLIN, console_read, c);

	if (r != -EPERM) {
		c->in_watch = r;
		return r < 0 ? r : 0;
	}
	r = evloop_add_timer(&c->loop, console_read_tick, c);
	c->in_watch = r;
	return r < 0 ? r : evloop_timer_arm(&c->loop, r, 1, 1);
}

int console_start(struct console *c, const struct sandbox *sb)
{
	int r;

	c->sandbox = sb;
	if (c->in_fd < 0)
		return 0;
	if (isatty(c->in_fd) && tcgetattr(c->in_fd, &c->saved) == 0) {
		struct termios raw = c->saved;

		console_saved_tty = c->saved;
		console_tty_fd = c->in_fd;
		atexit(console_restore_atexit);
		/* Raw, but leave output processing alone for our log lines. */
		raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
		raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
		raw.c_cflag &= ~(CSIZE | PARENB);
		raw.c_cflag |= CS8;
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(c->in_fd, TCSAFLUSH, &raw) == 0)
			c->raw = true;
	}
	r = console_watch_input(c);
	return r < 0 ? r : evloop_start(&c->loop, sb, SANDBOX_CONSOLE);
}

void console_exit(struct console *c)
{
	evloop_exit(&c->loop);
	if (c->raw) {
		tcsetattr(c->in_fd, TCSAFLUSH, &c->saved);
		c->raw = false;
		console_tty_fd = -1;
	}
	if (c->owns_out && c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
}
