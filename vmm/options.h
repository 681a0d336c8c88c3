/* SPDX-License-Identifier: MIT */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "virtio/blk_types.h"
#include "virtio/net_user.h"
#include "vmm/optprop.h"

/*
 * The machine the user asked for, as the command line spelled it. Parsing
 * is pure (no I/O) so that every rule here has a unit test.
 */
#define VMM_MAX_CPUS     64
#define VMM_DEFAULT_RAM  (512ULL << 20)
#define VMM_MIN_RAM      (16ULL << 20)
#define VMM_MAX_RAM      (1ULL << 40)   /* 1 TiB */
#define VMM_MAX_DEVICES  32

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };
enum tristate { TRI_AUTO = -1, TRI_OFF = 0, TRI_ON = 1 };


struct balloon_cfg {
	bool present;
	const char *id;
	int slot;                       /* -1: first free */
	bool deflate_on_oom;
	bool free_page_reporting;
	unsigned int stats_interval;    /* seconds */
	bool ioeventfd, irqfd;          /* fast paths (default on) */
};

/* -device virtio-rng-pci[,id=,addr=,ioeventfd=,irqfd=] */
struct rng_cfg {
	bool present;
	const char *id;                 /* id=; NULL: anonymous */
	int slot;                       /* -1: first free */
	bool ioeventfd, irqfd;
};

#define VMM_MAX_DRIVES 8

struct drive_cfg {
	const char *id;
	const char *file;
	bool if_virtio;                 /* if=virtio: has its own device */
	bool format_raw;                /* format=raw given (else probed) */
	bool read_only;
	enum blk_cache cache;
	bool discard;
	enum blk_aio aio;
	bool snapshot, snapshot_given;  /* snapshot=; else -snapshot decides */
	bool used;
};

struct blk_cfg {
	int drive;                      /* index into drives[] */
	const char *id;                 /* id=; NULL: anonymous */
	const char *serial;
	int slot;
	unsigned int queue_size;
	unsigned int num_queues;
	unsigned int logical_block_size, physical_block_size;
	bool ioeventfd, irqfd;
};

#define VMM_MAX_NETDEVS 4

struct netdev_cfg {
	const char *id;
	bool user;                      /* -netdev user (libslirp), else tap */
	struct net_user_opts user_opts;
	const char *ifname;             /* NULL: the kernel picks tapN */
	int fd;                         /* fd=N: an open tap; -1 if none */
	unsigned int queues;
	bool vnet_hdr;
	bool script_given;              /* script= said (it must say no) */
	bool used;
};

struct net_cfg {
	int netdev;                     /* index into netdevs[] */
	const char *id;                 /* id=; NULL: anonymous */
	uint8_t mac[6];
	bool mq;
	unsigned int host_mtu;
	int slot;
	bool ioeventfd, irqfd;
};

/* Where QMP listens: -qmp unix:PATH or tcp:HOST:PORT (server=on,
 * wait=off), or -chardev socket,... named by -mon chardev=,mode=control. */
struct qmp_listen {
	bool set, tcp;
	char path[108];                 /* unix: sun_path's size */
	char host[64], port[12];        /* tcp: host "" = every address */
};

/* -chardev socket,id=ID,...: only a QMP monitor's (-mon) is supported. */
#define VMM_MAX_CHARDEVS 4
struct chardev_cfg {
	char id[32];
	struct qmp_listen addr;
	bool used;                      /* a -mon names it */
};

/* PCI devices in command-line order (slots are handed out in it). */
enum pci_kind { PCI_BALLOON, PCI_BLK, PCI_NET, PCI_RNG };

/* Sanitizer runtimes trace the process at exit (LeakSanitizer uses
 * ptrace) and map memory on their own: the sandbox is off by default in
 * those builds only. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VMM_SANDBOX_DEFAULT false
#else
#define VMM_SANDBOX_DEFAULT true
#endif

struct vm_config {
	uint64_t ram_size;
	unsigned int ncpus;
	unsigned int sockets, cores, threads;   /* -smp's layout; product ncpus */
	const char *kernel;
	const char *initrd;
	const char *append;
	enum serial_mode serial;
	unsigned int serial_given;      /* -serial seen (once allowed) */
	const char *serial_path;
	bool debug_exit;
	uint16_t debug_exit_port, debug_exit_size;
	enum tristate pvm;
	bool sandbox;                   /* -sandbox on|off */
	int verbose;
	bool help, version;
	int help_topic;                 /* OPT_HELP_*: "-device help" and such */
	const char *help_arg;           /* the value that asked for it */
	struct balloon_cfg balloon;
	struct rng_cfg rng;
	unsigned int ndrives, nblks, npci;
	unsigned int nnetdevs, nnets;
	struct netdev_cfg netdevs[VMM_MAX_NETDEVS];
	struct net_cfg nets[VMM_MAX_NETDEVS];
	struct drive_cfg drives[VMM_MAX_DRIVES];
	struct blk_cfg blks[VMM_MAX_DRIVES];
	struct { enum pci_kind kind; unsigned int index; } pci_order[VMM_MAX_DEVICES];
	struct qmp_listen qmp;          /* -qmp, or -chardev socket + -mon */
	bool mon_pending;               /* -mon seen; qmp.host holds its chardev */
	unsigned int nchardevs;
	struct chardev_cfg chardevs[VMM_MAX_CHARDEVS];
	const char *name;               /* -name [guest=]NAME */
	bool daemonize;                 /* -daemonize: detach after setup */
	bool no_shutdown;               /* -no-shutdown: power-off stops the VM */
	bool no_reboot;                 /* -no-reboot: a reset ends vmm */
	const char *logfile;            /* -D FILE */
	bool snapshot;                  /* -snapshot: every drive without snapshot= */
	bool nodefaults;                /* -nodefaults: no default serial */
	const char *pidfile;            /* -pidfile FILE */
	bool start_paused;              /* -S: vCPUs wait for QMP cont */
	unsigned int ndevices;
	struct kv_opts devices[VMM_MAX_DEVICES];
};

/* 0, or -EINVAL with one sentence in @err naming what is wrong. */
int options_parse(int argc, char **argv, struct vm_config *cfg, char *err,
		  size_t errlen);
void options_free(struct vm_config *cfg);
void options_usage(FILE *out);

/* "512", "512M", "2G", "1024k": bytes, default unit MiB as in QEMU. */
int options_parse_size(const char *s, uint64_t *bytes);

#endif
