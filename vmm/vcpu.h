/* SPDX-License-Identifier: MIT */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <pthread.h>
#include <stdbool.h>

#include "devices/bus.h"
#include "devices/legacy.h"
#include "kvm/guestmem.h"
#include "kvm/kvm.h"
#include "util/sandbox.h"
#include "vmm/pvm.h"

/*
 * The VM's vCPU threads and their run control: what their exits reach
 * (the buses), whom they tell when the guest stops, and pause/resume
 * (-S, QMP stop/cont) and the end. The machine creates and configures
 * the vCPUs; nothing here knows the machine.
 */
struct vcpu_env {
	struct bus *pio, *mmio;
	struct pvm_quirks *pvm;          /* emulation-failure quirks */
	const struct guestmem *mem;
	const struct sandbox *sandbox;   /* each thread confines itself */
	machine_stop_fn stop;
	void *stop_ctx;
	/* After a machine reset, on vCPU @i's thread before it runs again:
	 * put its power-on state back. 0 or -errno (the VM then stops). */
	int (*reset)(void *ctx, unsigned int i, struct kvm_vcpu *vcpu);
	void *reset_ctx;
};

struct vcpus;

struct vcpu_thread {
	struct vcpus *set;
	struct kvm_vcpu vcpu;
	pthread_t thread;
	bool started;
	int tid;                         /* set by the thread (query-cpus-fast) */
	unsigned int reset_gen;          /* the machine reset it has done */
};

struct vcpus {
	struct vcpu_env env;
	struct vcpu_thread *t;
	unsigned int n;                  /* created so far */
	pthread_mutex_t lock;            /* paused, n_parked; cond */
	pthread_cond_t cond;
	bool paused;                     /* asked for; vCPUs follow */
	bool held;                       /* a machine reset is under way */
	unsigned int reset_gen;          /* machine resets so far */
	bool stopping;                   /* they leave, for good */
	unsigned int n_parked;           /* waiting in vcpu_park() */
};

/* Room for @max vCPUs (created by the caller into t[0..n)); 0 or -ENOMEM. */
int vcpus_init(struct vcpus *s, unsigned int max, const struct vcpu_env *env);
/* Start every thread; with @paused they park before their first KVM_RUN. */
int vcpus_start(struct vcpus *s, bool paused);
/* Ask every vCPU out of KVM_RUN to park. With @wait, return once all are
 * parked (-ETIMEDOUT after 5 s); *@was: they were paused already. Safe
 * from a vCPU thread without @wait. */
int vcpus_pause(struct vcpus *s, bool wait, bool *was);
/*
 * A machine reset, apart from pause (a paused VM stays paused across it):
 * hold every vCPU out of KVM_RUN, parked. With @wait, return once all are
 * parked (-ETIMEDOUT after 5 s); without, safe from a vCPU thread.
 * vcpus_release_reset(): each vCPU puts its power-on state back (env.reset)
 * before it next runs, and the held ones go on unless paused.
 */
int vcpus_hold(struct vcpus *s, bool wait);
void vcpus_release_reset(struct vcpus *s);
/* Let them run again; returns whether they were paused. */
bool vcpus_resume(struct vcpus *s);
bool vcpus_paused(struct vcpus *s);
/* Every vCPU leaves its loop (parked ones too); any thread, idempotent. */
void vcpus_stop(struct vcpus *s);
void vcpus_join(struct vcpus *s);
/* vCPU @i's thread id, 0 until it runs. */
int vcpus_tid(struct vcpus *s, unsigned int i);
/* Join, destroy the vCPUs, free. */
void vcpus_destroy(struct vcpus *s);

#endif
