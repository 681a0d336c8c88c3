// SPDX-License-Identifier: MIT
#include <string.h>

#include "devices/legacy.h"

#define I8042_STATUS_SYS   0x04  /* self-test passed */
#define I8042_CMD_RESET    0xfe  /* pulse the CPU reset line */
#define I8042_CMD_WRITE_OP 0xd1  /* next data byte goes to the output port */

void i8042_init(struct i8042 *k, machine_stop_fn stop, void *ctx)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->stop = stop;
	k->stop_ctx = ctx;
}

static void i8042_read(void *opaque, uint64_t off, uint8_t *data,
		       unsigned int len)
{
	(void)opaque;
	/* No keyboard: nothing ever waits in the output buffer. */
	memset(data, 0, len);
	if (off == I8042_CMD_PORT - I8042_DATA_PORT)
		data[0] = I8042_STATUS_SYS;
}

static void i8042_write(void *opaque, uint64_t off, const uint8_t *data,
			unsigned int len)
{
	struct i8042 *k = opaque;
	int reset = 0;

	(void)len;
	pthread_mutex_lock(&k->lock);
	if (off == I8042_CMD_PORT - I8042_DATA_PORT) {
		k->cmd = data[0];
		if (data[0] == I8042_CMD_RESET)
			reset = 1;
	} else if (off == 0 && k->cmd == I8042_CMD_WRITE_OP) {
		/* Output port bit 0 low holds the CPU in reset. */
		reset = !(data[0] & 1);
		k->cmd = 0;
	}
	pthread_mutex_unlock(&k->lock);
	if (reset)
		k->stop(k->stop_ctx, STOP_GUEST_RESET, 0,
			"guest reset through the i8042");
}

void i8042_reset(struct i8042 *k)
{
	pthread_mutex_lock(&k->lock);
	k->cmd = 0;
	pthread_mutex_unlock(&k->lock);
}

const struct bus_ops i8042_bus_ops = {
	.read = i8042_read,
	.write = i8042_write,
};

static void debug_exit_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned int len)
{
	struct debug_exit *d = opaque;
	uint32_t v = 0;

	(void)off;
	memcpy(&v, data, len > 4 ? 4 : len);
	d->stop(d->stop_ctx, STOP_DEBUG_EXIT, (int)((v << 1) | 1) & 0xff,
		"guest left through isa-debug-exit");
}

const struct bus_ops debug_exit_bus_ops = {
	.read = NULL,
	.write = debug_exit_write,
};
