// SPDX-License-Identifier: MIT
/* The machine as QMP sees it: the callbacks behind struct qmp_ops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/layout.h"
#include "vmm/machine.h"

static void qmp_balloon_set(void *ctx, uint64_t bytes)
{
	struct machine *m = ctx;

	balloon_set_target(m->balloon, (m->cfg->ram_size - bytes) / 4096);
}

static uint64_t qmp_balloon_actual(void *ctx)
{
	struct machine *m = ctx;
	uint64_t given = (uint64_t)balloon_get_actual(m->balloon) * 4096;

	return given < m->cfg->ram_size ? m->cfg->ram_size - given : 0;
}

static json_t *qmp_balloon_stats(void *ctx)
{
	static const char *const names[VIRTIO_BALLOON_S_NR] = {
		"stat-swap-in", "stat-swap-out", "stat-major-faults",
		"stat-minor-faults", "stat-free-memory", "stat-total-memory",
		"stat-available-memory", "stat-disk-caches",
		"stat-htlb-pgalloc", "stat-htlb-pgfail",
	};
	struct machine *m = ctx;
	int64_t vals[VIRTIO_BALLOON_S_NR];
	json_int_t last = balloon_get_stats(m->balloon, vals);
	json_t *stats = json_object();

	for (unsigned int i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		json_object_set_new(stats, names[i], json_integer(vals[i]));
	return json_pack("{s:o,s:I}", "stats", stats, "last-update", last);
}

static unsigned int qmp_stats_interval_get(void *ctx)
{
	struct machine *m = ctx;

	return balloon_get_stats_interval(m->balloon);
}

static int qmp_stats_interval_set(void *ctx, unsigned int secs)
{
	struct machine *m = ctx;

	return balloon_set_stats_interval(m->balloon, secs);
}

static void qmp_quit(void *ctx, const char *reason)
{
	struct machine *m = ctx;

	/* @reason is QMP's own token for the event. */
	machine_stop(m, strcmp(reason, "host-qmp-system-reset") ?
		     STOP_HOST_QMP_QUIT : STOP_HOST_QMP_RESET, 0, reason);
}

/* QMP system_powerdown: press the ACPI power button (its Generic Event
 * Device's interrupt is an edge); the guest decides what to do. */
static void qmp_powerdown(void *ctx)
{
	struct machine *m = ctx;

	qmp_emit(m->qmp, "POWERDOWN", NULL);
	kvm_irq_line(&m->kvm, IRQ_GED, 1);
	kvm_irq_line(&m->kvm, IRQ_GED, 0);
}

static int qmp_stop_vm(void *ctx)
{
	return machine_pause(ctx);
}

static int qmp_cont_vm(void *ctx)
{
	return machine_resume(ctx);
}

static const char *qmp_run_state(void *ctx)
{
	return machine_run_state(ctx);
}

static json_t *qmp_query_cpus(void *ctx)
{
	struct machine *m = ctx;
	json_t *a = json_array();
	char path[64];

	for (unsigned int i = 0; i < m->vcpus.n; i++) {
		snprintf(path, sizeof(path), "/machine/unattached/device[%u]", i);
		json_array_append_new(a, json_pack(
			"{s:i,s:s,s:i,s:{s:i,s:i,s:i},s:s}", "cpu-index", i,
			"qom-path", path, "thread-id",
			vcpus_tid(&m->vcpus, i),
			"props", "core-id", (i / m->topo.threads) % m->topo.cores,
			"thread-id", i % m->topo.threads,
			"socket-id", i / (m->topo.threads * m->topo.cores),
			"target", "x86_64"));
	}
	return a;
}

static json_t *qmp_devices(void *ctx)
{
	struct machine *m = ctx;
	json_t *a = json_array();

	for (unsigned int k = 0; k < m->ndevs; k++) {
		const struct machine_dev *d = &m->devs[k];

		if (!d->vp)
			continue;
		json_array_append_new(a, d->id ?
			json_pack("{s:s,s:s}", "type", d->type, "id", d->id) :
			json_pack("{s:s}", "type", d->type));
	}
	return a;
}

/* BARs as the guest has programmed them (QEMU's "regions"). */
static json_t *qmp_pci_regions(const struct pci_device *d)
{
	json_t *a = json_array();

	for (int b = 0; b < PCI_NUM_BARS; b++) {
		const struct pci_bar *bar = &d->bars[b];
		uint64_t addr;

		if (!bar->size)
			continue;
		addr = pci_cfg_get32(d, PCI_BASE_ADDRESS_0 + 4 * b);
		if (bar->io) {
			json_array_append_new(a, json_pack("{s:i,s:s,s:I,s:I}", "bar", b,
				"type", "io", "address", (json_int_t)(addr & ~3ull),
				"size", (json_int_t)bar->size));
			continue;
		}
		addr &= ~0xfull;
		if (bar->is64 && b + 1 < PCI_NUM_BARS)
			addr |= (uint64_t)pci_cfg_get32(d, PCI_BASE_ADDRESS_0 + 4 * (b + 1)) << 32;
		json_array_append_new(a, json_pack("{s:i,s:s,s:I,s:I,s:b,s:b}", "bar", b,
			"type", "memory", "address", (json_int_t)addr,
			"size", (json_int_t)bar->size, "prefetch", 0,
			"mem_type_64", bar->is64));
	}
	return a;
}

static json_t *qmp_pci_device(const struct pci_device *d, const char *id)
{
	return json_pack("{s:i,s:i,s:i,s:{s:i},s:{s:i,s:i,s:i,s:i},s:i,s:i,s:s,s:o}",
		"bus", 0, "slot", d->slot, "function", 0,
		"class_info", "class", pci_cfg_get16(d, PCI_CLASS_DEVICE),
		"id", "vendor", pci_cfg_get16(d, PCI_VENDOR_ID),
		"device", pci_cfg_get16(d, PCI_DEVICE_ID),
		"subsystem-vendor", pci_cfg_get16(d, PCI_SUBSYSTEM_VENDOR_ID),
		"subsystem", pci_cfg_get16(d, PCI_SUBSYSTEM_ID),
		"irq_pin", d->cfg[PCI_INTERRUPT_PIN], "irq", d->cfg[PCI_INTERRUPT_LINE],
		"qdev_id", id ? id : "", "regions", qmp_pci_regions(d));
}

struct qmp_pci_walk {
	struct machine *m;
	json_t *devs;
};

/* Under the bus lock: a vCPU may be moving a BAR right now. */
static void qmp_pci_one(const struct pci_device *d, void *ctx)
{
	struct qmp_pci_walk *w = ctx;
	const char *id = NULL;

	for (unsigned int k = 0; k < w->m->ndevs; k++)
		if (w->m->devs[k].vp && &w->m->devs[k].vp->pci == d)
			id = w->m->devs[k].id;
	json_array_append_new(w->devs, qmp_pci_device(d, id));
}

static json_t *qmp_query_pci(void *ctx)
{
	struct qmp_pci_walk w = { ctx, json_array() };

	pci_bus_for_each(&w.m->pci, qmp_pci_one, &w);
	return json_pack("[{s:i,s:o}]", "bus", 0, "devices", w.devs);
}

static json_t *qmp_query_block(void *ctx)
{
	static const bool writeback[] = {
		[BLK_CACHE_WRITEBACK] = true, [BLK_CACHE_NONE] = true,
		[BLK_CACHE_WRITETHROUGH] = false, [BLK_CACHE_UNSAFE] = true,
	};
	struct machine *m = ctx;
	const struct vm_config *cfg = m->cfg;
	json_t *a = json_array();

	for (unsigned int i = 0; i < m->nblk; i++) {
		const struct drive_cfg *dr = &cfg->drives[cfg->blks[i].drive];
		const struct blk_dev *b = m->blk[i];
		char name[32];

		if (!b)
			continue;
		/* QEMU names an if=virtio drive without id= "virtioN". */
		if (!dr->id) {
			unsigned int n = 0;

			for (const struct drive_cfg *p = cfg->drives; p < dr; p++)
				n += p->if_virtio;
			snprintf(name, sizeof(name), "virtio%u", n);
		}
		json_array_append_new(a, json_pack(
			"{s:s,s:b,s:b,s:s,s:{s:s,s:b,s:s,s:i,s:b,s:s,s:{s:b,s:b,s:b},s:{s:s,s:s,s:I}}}",
			"device", dr->id ? dr->id : name, "locked", 0, "removable", 0,
			"type", "unknown", "inserted", "file", b->opts.path,
			"ro", b->opts.read_only, "drv", "raw", "backing_file_depth", 0,
			"encrypted", 0, "detect_zeroes", "off",
			"cache", "writeback", writeback[b->opts.cache],
			"direct", b->opts.cache == BLK_CACHE_NONE,
			"no-flush", b->opts.cache == BLK_CACHE_UNSAFE,
			"image", "filename", b->opts.path, "format", "raw",
			"virtual-size", (json_int_t)b->size));
	}
	return a;
}

void machine_balloon_actual_changed(void *ctx, uint32_t pages)
{
	struct machine *m = ctx;
	uint64_t given = (uint64_t)pages * 4096;

	if (m->qmp)
		qmp_emit(m->qmp, "BALLOON_CHANGE", json_pack("{s:I}", "actual",
			 (json_int_t)(given < m->cfg->ram_size ?
				      m->cfg->ram_size - given : 0)));
}

int machine_add_qmp(struct machine *m, char *err, size_t errlen)
{
	struct qmp_ops ops = {
		.name = m->cfg->name,
		.ram_size = m->cfg->ram_size,
		.has_balloon = m->balloon != NULL,
		.balloon_id = m->cfg->balloon.id,
		.balloon_set = qmp_balloon_set,
		.balloon_actual = qmp_balloon_actual,
		.balloon_stats = qmp_balloon_stats,
		.stats_interval_get = qmp_stats_interval_get,
		.stats_interval_set = qmp_stats_interval_set,
		.quit = qmp_quit,
		.powerdown = qmp_powerdown,
		.stop = qmp_stop_vm,
		.cont = qmp_cont_vm,
		.run_state = qmp_run_state,
		.query_cpus = qmp_query_cpus,
		.query_block = qmp_query_block,
		.query_pci = qmp_query_pci,
		.devices = qmp_devices,
		.ctx = m,
	};
	const struct qmp_listen *a = &m->cfg->qmp;
	int r;

	m->qmp = calloc(1, sizeof(*m->qmp));
	if (!m->qmp) {
		snprintf(err, errlen, "out of memory.");
		return -ENOMEM;
	}
	r = a->tcp ? qmp_init_tcp(m->qmp, a->host, a->port, &ops) :
		     qmp_init(m->qmp, a->path, &ops);
	if (r < 0)
		snprintf(err, errlen, "-qmp: cannot listen on '%s%s%s': %s.",
			 a->tcp ? a->host : a->path, a->tcp ? ":" : "",
			 a->tcp ? a->port : "", r == -ENXIO ? "no such host" :
			 strerror(-r));
	return r;
}

