// SPDX-License-Identifier: MIT
#include <string.h>
#include <time.h>

#include "devices/legacy.h"

/*
 * Linux reads the wall clock from here when kvmclock is unavailable, and
 * spins on the update-in-progress bit: UIP always reads clear.
 */
#define RTC_SECONDS  0x00
#define RTC_MINUTES  0x02
#define RTC_HOURS    0x04
#define RTC_WEEKDAY  0x06
#define RTC_DAY      0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_REG_A    0x0a
#define RTC_REG_B    0x0b
#define RTC_REG_C    0x0c
#define RTC_REG_D    0x0d
#define RTC_CENTURY  0x32

void cmos_init(struct cmos *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	/* glibc reads /etc/localtime on the first time conversion, even for
	 * gmtime_r(); do it here, before the vCPU thread is sandboxed. */
	tzset();
	c->nvram[RTC_REG_A] = 0x26;   /* 32.768 kHz base, 1024 Hz, UIP clear */
	c->nvram[RTC_REG_B] = 0x02;   /* 24-hour, BCD */
	c->nvram[RTC_REG_D] = 0x80;   /* battery good */
}

static uint8_t bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

uint8_t cmos_reg_read(struct cmos *c, uint8_t reg)
{
	struct tm tm;
	time_t now;

	reg &= 0x7f;
	if (reg > RTC_YEAR && reg != RTC_CENTURY)
		return reg == RTC_REG_C ? 0 : c->nvram[reg];
	now = time(NULL);
	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS: return bcd(tm.tm_sec);
	case RTC_MINUTES: return bcd(tm.tm_min);
	case RTC_HOURS:   return bcd(tm.tm_hour);
	case RTC_WEEKDAY: return bcd(tm.tm_wday + 1);
	case RTC_DAY:     return bcd(tm.tm_mday);
	case RTC_MONTH:   return bcd(tm.tm_mon + 1);
	case RTC_YEAR:    return bcd(tm.tm_year % 100);
	case RTC_CENTURY: return bcd((tm.tm_year + 1900) / 100);
	default:          return c->nvram[reg];  /* alarm registers */
	}
}

static void cmos_read(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int len)
{
	struct cmos *c = opaque;

	memset(data, 0xff, len);
	pthread_mutex_lock(&c->lock);
	if (off == 1)
		data[0] = cmos_reg_read(c, c->index);
	pthread_mutex_unlock(&c->lock);
}

static void cmos_write(void *opaque, uint64_t off, const uint8_t *data,
		       unsigned int len)
{
	struct cmos *c = opaque;

	(void)len;
	pthread_mutex_lock(&c->lock);
	if (off == 0)
		c->index = data[0] & 0x7f;   /* bit 7 is the NMI mask */
	else if (c->index > RTC_YEAR && c->index != RTC_REG_C &&
		 c->index != RTC_REG_D && c->index != RTC_REG_A &&
		 c->index != RTC_REG_B)
		c->nvram[c->index] = data[0];
	pthread_mutex_unlock(&c->lock);
}

const struct bus_ops cmos_bus_ops = {
	.read = cmos_read,
	.write = cmos_write,
};
