// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sandbox.h"
#include "vmm/vcpu.h"

#define SIG_VCPU_KICK SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig;   /* only here to make KVM_RUN return -EINTR */
}

/* -S or QMP stop: wait here, out of KVM_RUN, until cont or the end. */
static void vcpu_park(struct vcpus *s)
{
	pthread_mutex_lock(&s->lock);
	s->n_parked++;
	pthread_cond_broadcast(&s->cond);
	while ((s->paused || s->held) &&
	       !__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&s->cond, &s->lock);
	s->n_parked--;
	pthread_mutex_unlock(&s->lock);
}

static void vcpu_handle_io(const struct vcpu_env *e, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* String I/O (rep outs/ins) arrives as @count back-to-back items. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(e->pio, run->io.port, data, run->io.size);
		else
			bus_read(e->pio, run->io.port, data, run->io.size);
	}
}

static void vcpu_handle_mmio(const struct vcpu_env *e, struct kvm_run *run)
{
	unsigned int len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write)
		bus_write(e->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(e->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

static void vcpu_stop_with_regs(const struct vcpu_env *e, struct kvm_vcpu *vcpu,
				enum stop_cause cause,
				const char *what)
{
	struct kvm_regs regs;
	char why[160];

	if (kvm_vcpu_get_regs(vcpu, &regs) < 0)
		memset(&regs, 0, sizeof(regs));
	snprintf(why, sizeof(why), "%s on vCPU %u at RIP %#" PRIx64, what,
		 vcpu->id, (uint64_t)regs.rip);
	e->stop(e->stop_ctx, cause, 1, why);
}

static void vcpu_handle_internal_error(const struct vcpu_env *e,
				       struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char what[96];

	if (pvm_handle_emulation_failure(e->pvm, vcpu, e->mem) == 0)
		return;
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    run->emulation_failure.ndata >= 1 &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		const uint8_t *b = run->emulation_failure.insn_bytes;

		snprintf(what, sizeof(what),
			 "KVM could not emulate an instruction (bytes %02x %02x %02x %02x)",
			 b[0], b[1], b[2], b[3]);
	} else {
		snprintf(what, sizeof(what),
			 "KVM internal error (suberror %u)", run->internal.suberror);
	}
	vcpu_stop_with_regs(e, vcpu, STOP_ERROR, what);
}

/* The machine was reset since this vCPU last ran: power-on state first. */
static int vcpu_reset_if_due(struct vcpus *s, struct vcpu_thread *t)
{
	unsigned int gen = __atomic_load_n(&s->reset_gen, __ATOMIC_ACQUIRE);
	const struct vcpu_env *e = &s->env;
	char why[96];
	int r;

	if (gen == t->reset_gen)
		return 0;
	t->reset_gen = gen;
	r = e->reset ? e->reset(e->reset_ctx, (unsigned int)(t - s->t), &t->vcpu) : 0;
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot reset vCPU %u: %s",
			 t->vcpu.id, strerror(-r));
		e->stop(e->stop_ctx, STOP_ERROR, 1, why);
	}
	return r;
}

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct vcpus *s = t->set;
	const struct vcpu_env *e = &s->env;
	struct kvm_vcpu *vcpu = &t->vcpu;
	struct kvm_run *run = vcpu->run;
	sigset_t set;
	char why[96];

	/* Only this thread's kick signal gets through, nothing else. */
	sigfillset(&set);
	sigdelset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	__atomic_store_n(&t->tid, (int)gettid(), __ATOMIC_RELEASE);
	sandbox_enter_or_die(e->sandbox, SANDBOX_VCPU);

	while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		int r;

		if (__atomic_load_n(&s->paused, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&s->held, __ATOMIC_ACQUIRE)) {
			vcpu_park(s);
			continue;
		}
		if (vcpu_reset_if_due(s, t) < 0)
			break;
		r = kvm_vcpu_run(vcpu);

		if (r == -EINTR || r == -EAGAIN) {
			run->immediate_exit = 0;
			continue;
		}
		if (r < 0) {
			snprintf(why, sizeof(why), "KVM_RUN failed on vCPU %u: %s",
				 vcpu->id, strerror(-r));
			e->stop(e->stop_ctx, STOP_ERROR, 1, why);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu_handle_io(e, run);
			break;
		case KVM_EXIT_MMIO:
			vcpu_handle_mmio(e, run);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			/* Only without an in-kernel LAPIC; we always have one. */
			break;
		case KVM_EXIT_SHUTDOWN:
			/* A reset request: the machine resets, or with
			 * -no-reboot ends, with status 1 (a triple fault is
			 * a guest bug worth a status). */
			vcpu_stop_with_regs(e, vcpu, STOP_GUEST_RESET,
					    "guest triple fault (KVM_EXIT_SHUTDOWN)");
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			vcpu_handle_internal_error(e, vcpu);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(why, sizeof(why),
				 "KVM could not enter the guest (reason %#llx)",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			vcpu_stop_with_regs(e, vcpu, STOP_ERROR, why);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH)
				vcpu_stop_with_regs(e, vcpu, STOP_GUEST_PANIC,
						    "guest crash event");
			else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
				e->stop(e->stop_ctx, STOP_GUEST_SHUTDOWN, 0,
					     "guest shutdown (KVM system event)");
			else
				e->stop(e->stop_ctx, STOP_GUEST_RESET, 0,
					     "guest reset (KVM system event)");
			break;
		default:
			snprintf(why, sizeof(why), "unexpected KVM exit %u",
				 run->exit_reason);
			vcpu_stop_with_regs(e, vcpu, STOP_ERROR, why);
			break;
		}
	}
	return NULL;
}

int vcpus_init(struct vcpus *s, unsigned int max, const struct vcpu_env *env)
{
	memset(s, 0, sizeof(*s));
	s->env = *env;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->t = calloc(max, sizeof(*s->t));
	if (!s->t)
		return -ENOMEM;
	for (unsigned int i = 0; i < max; i++) {
		s->t[i].set = s;
		s->t[i].vcpu.fd = -1;
	}
	return 0;
}

int vcpus_start(struct vcpus *s, bool paused)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;   /* no SA_RESTART */
	sigaction(SIG_VCPU_KICK, &sa, NULL);
	/* Before any thread exists, so a resume cannot come first. */
	s->paused = paused;
	for (unsigned int i = 0; i < s->n; i++) {
		struct vcpu_thread *t = &s->t[i];
		int r = pthread_create(&t->thread, NULL, vcpu_thread_fn, t);

		if (r)
			return -r;
		t->started = true;
	}
	return 0;
}

/* Out of KVM_RUN, now: each thread then looks at paused and stopping. */
static void vcpus_kick(struct vcpus *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		struct vcpu_thread *t = &s->t[i];

		if (!t->started)
			continue;
		/* Set before the signal: a vCPU about to enter KVM_RUN bounces. */
		__atomic_store_n(&t->vcpu.run->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_kill(t->thread, SIG_VCPU_KICK);
	}
}

/* Until every vCPU is parked (-ETIMEDOUT after 5 s), or they stop.
 * Nothing is held but the lock, which the wait releases. */
static int vcpus_wait_parked(struct vcpus *s)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&s->lock);
	while (s->n_parked < s->n && r == 0 &&
	       !__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE))
		r = pthread_cond_timedwait(&s->cond, &s->lock, &until);
	pthread_mutex_unlock(&s->lock);
	return -r;
}

int vcpus_pause(struct vcpus *s, bool wait, bool *was)
{
	pthread_mutex_lock(&s->lock);
	*was = s->paused;
	__atomic_store_n(&s->paused, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);
	if (*was)
		return 0;
	vcpus_kick(s);
	return wait ? vcpus_wait_parked(s) : 0;
}

int vcpus_hold(struct vcpus *s, bool wait)
{
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->held, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);
	vcpus_kick(s);
	return wait ? vcpus_wait_parked(s) : 0;
}

void vcpus_release_reset(struct vcpus *s)
{
	pthread_mutex_lock(&s->lock);
	__atomic_add_fetch(&s->reset_gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->held, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

bool vcpus_resume(struct vcpus *s)
{
	bool was;

	pthread_mutex_lock(&s->lock);
	was = s->paused;
	__atomic_store_n(&s->paused, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return was;
}

bool vcpus_paused(struct vcpus *s)
{
	return __atomic_load_n(&s->paused, __ATOMIC_ACQUIRE);
}

void vcpus_stop(struct vcpus *s)
{
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->cond);    /* parked ones leave too */
	pthread_mutex_unlock(&s->lock);
	vcpus_kick(s);
}

void vcpus_join(struct vcpus *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		if (!s->t[i].started)
			continue;
		pthread_join(s->t[i].thread, NULL);
		s->t[i].started = false;
	}
}

int vcpus_tid(struct vcpus *s, unsigned int i)
{
	return i < s->n ? __atomic_load_n(&s->t[i].tid, __ATOMIC_ACQUIRE) : 0;
}

void vcpus_destroy(struct vcpus *s)
{
	if (!s->t)
		return;
	vcpus_stop(s);
	vcpus_join(s);
	for (unsigned int i = 0; i < s->n; i++)
		kvm_vcpu_destroy(&s->t[i].vcpu);
	free(s->t);
	s->t = NULL;
	s->n = 0;
}
