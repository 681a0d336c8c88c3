// SPDX-License-Identifier: MIT
/* The machine as QMP sees it: the callbacks behind struct qmp_ops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	return __atomic_load_n(&m->stats_interval, __ATOMIC_RELAXED);
}

static int qmp_stats_interval_set(void *ctx, unsigned int secs)
{
	struct machine *m = ctx;
	int r = virtio_kvm_set_tick(&m->balloon_kvm, secs);

	if (r == 0) {
		__atomic_store_n(&m->stats_interval, secs, __ATOMIC_RELAXED);
		/* A first poll now, so stats do not wait a whole period. */
		if (secs)
			balloon_request_stats(m->balloon);
	}
	return r;
}

static void qmp_quit(void *ctx, const char *reason)
{
	struct machine *m = ctx;

	/* @reason is QMP's own token for the event. */
	machine_stop(m, strcmp(reason, "host-qmp-system-reset") ?
		     STOP_HOST_QMP_QUIT : STOP_HOST_QMP_RESET, 0, reason);
}

static int qmp_stop_vm(void *ctx)
{
	return machine_pause(ctx);
}

static void qmp_cont_vm(void *ctx)
{
	machine_resume(ctx);
}

static const char *qmp_run_state(void *ctx)
{
	struct machine *m = ctx;
	const char *st;

	pthread_mutex_lock(&m->run_lock);
	st = !m->paused ? "running" : m->launched ? "paused" : "prelaunch";
	pthread_mutex_unlock(&m->run_lock);
	return st;
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
		.stop = qmp_stop_vm,
		.cont = qmp_cont_vm,
		.run_state = qmp_run_state,
		.ctx = m,
	};
	char path[256];
	int r;

	/* "unix:PATH,server=on,wait=off": the path ends at the first comma. */
	snprintf(path, sizeof(path), "%.*s",
		 (int)strcspn(m->cfg->qmp_path, ","), m->cfg->qmp_path);
	m->qmp = calloc(1, sizeof(*m->qmp));
	if (!m->qmp) {
		snprintf(err, errlen, "out of memory.");
		return -ENOMEM;
	}
	r = qmp_init(m->qmp, path, &ops);
	if (r < 0)
		snprintf(err, errlen, "-qmp: cannot listen on '%s': %s.", path,
			 strerror(-r));
	return r;
}

