// SPDX-License-Identifier: MIT
/*
 * A small fio for the stock guest (built static, appended to its
 * initramfs by tests/nested/bench.sh): block-device throughput and IOPS
 * through O_DIRECT, so the guest's page cache is not what is measured.
 *
 *   guestbench seqwrite DEV MIB      1 MiB writes, queue depth 8
 *   guestbench seqread  DEV MIB      1 MiB reads, queue depth 8
 *   guestbench randread DEV SECS QD  4 KiB random reads at depth QD
 *
 * Prints one line: "GUESTBENCH <mode> qd=<n> MB/s=<x> IOPS=<y>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define MAX_QD 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "guestbench: %s: %s\n", what, strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	void *buf[MAX_QD];
	uint64_t size, seed = 0x9e3779b97f4a7c15ULL, done = 0, issued = 0;
	uint64_t total_ios, bs, off = 0;
	unsigned int qd, inflight = 0;
	double t0, secs = 0, limit = 0;
	int fd, write, rand_mode, r;

	if (argc < 4) {
		fprintf(stderr, "usage: guestbench seqwrite|seqread DEV MIB | randread DEV SECS QD\n");
		return 2;
	}
	rand_mode = !strcmp(argv[1], "randread");
	write = !strcmp(argv[1], "seqwrite");
	fd = open(argv[2], (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return die(argv[2], errno);
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		return die("BLKGETSIZE64", errno);
	if (rand_mode) {
		limit = atof(argv[3]);
		qd = argc > 4 ? (unsigned int)atoi(argv[4]) : 1;
		bs = 4096;
		total_ios = UINT64_MAX;
	} else {
		qd = 8;
		bs = 1 << 20;
		total_ios = (uint64_t)atoi(argv[3]);
		if (total_ios * bs > size)
			total_ios = size / bs;
	}
	if (qd < 1 || qd > MAX_QD)
		return die("queue depth", EINVAL);
	for (unsigned int i = 0; i < qd; i++) {
		if (posix_memalign(&buf[i], 4096, bs))
			return die("memory", ENOMEM);
		memset(buf[i], 0xa5, bs);
	}
	r = io_uring_queue_init(qd, &ring, 0);
	if (r < 0)
		return die("io_uring", -r);
	t0 = now();
	for (;;) {
		struct io_uring_cqe *cqe;

		while (inflight < qd && issued < total_ios &&
		       (!rand_mode || now() - t0 < limit)) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			unsigned int slot = issued % qd;
			uint64_t at;

			if (rand_mode) {
				at = (rnd(&seed) % (size / bs)) * bs;
			} else {
				at = off;
				off += bs;
			}
			if (write)
				io_uring_prep_write(sqe, fd, buf[slot], bs, at);
			else
				io_uring_prep_read(sqe, fd, buf[slot], bs, at);
			issued++;
			inflight++;
		}
		if (!inflight)
			break;
		io_uring_submit(&ring);
		r = io_uring_wait_cqe(&ring, &cqe);
		if (r < 0)
			return die("wait", -r);
		if (cqe->res != (int)bs)
			return die("I/O", cqe->res < 0 ? -cqe->res : EIO);
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
		done++;
	}
	if (write && fsync(fd) < 0)
		return die("fsync", errno);
	secs = now() - t0;
	printf("GUESTBENCH %s qd=%u MB/s=%.1f IOPS=%.0f\n", argv[1], qd,
	       done * bs / secs / 1e6, done / secs);
	return 0;
}
