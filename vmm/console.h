/* SPDX-License-Identifier: MIT */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <termios.h>

#include "devices/serial.h"
#include "devices/legacy.h"
#include "util/evloop.h"

/*
 * The host side of COM1: guest output to stdout or a file, terminal input
 * into the UART's receive FIFO. While the VM runs an interactive terminal
 * is in raw mode; console_exit() restores it on every exit path (and an
 * atexit handler covers exit() calls). Ctrl-A x quits like QEMU.
 */
struct sandbox;

struct console {
	int out_fd;          /* -1: discard */
	int in_fd;           /* -1: no input */
	bool owns_out;
	bool raw;
	struct termios saved;
	bool escape;         /* saw Ctrl-A */
	struct serial *uart;
	machine_stop_fn stop;
	void *stop_ctx;
	struct evloop loop;  /* the input thread's */
	int in_watch;        /* in_fd's watch (or read tick), -1: none */
	const struct sandbox *sandbox;  /* the input thread confines itself */
};

int console_init(struct console *c, int mode, const char *path,
		 struct serial *uart, machine_stop_fn stop, void *ctx);
int console_start(struct console *c, const struct sandbox *sb);
void console_exit(struct console *c);
/* The UART's transmit sink. */
void console_tx(void *ctx, uint8_t byte);
/* Handle host keystrokes (escape sequences), then feed the UART. */
void console_input(struct console *c, const uint8_t *buf, size_t len);

#endif
