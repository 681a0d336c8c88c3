// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sandbox.h"
#include "vmm/machine.h"

#define SIG_VCPU_KICK SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig;   /* only here to make KVM_RUN return -EINTR */
}

/* -S or QMP stop: wait here, out of KVM_RUN, until cont or the end. */
static void vcpu_park(struct machine *m)
{
	pthread_mutex_lock(&m->run_lock);
	m->n_parked++;
	pthread_cond_broadcast(&m->run_cond);
	while (m->paused && !__atomic_load_n(&m->stopping, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&m->run_cond, &m->run_lock);
	m->n_parked--;
	pthread_mutex_unlock(&m->run_lock);
}

static void vcpu_handle_io(struct machine *m, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* String I/O (rep outs/ins) arrives as @count back-to-back items. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(&m->pio, run->io.port, data, run->io.size);
		else
			bus_read(&m->pio, run->io.port, data, run->io.size);
	}
}

static void vcpu_handle_mmio(struct machine *m, struct kvm_run *run)
{
	unsigned int len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write)
		bus_write(&m->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&m->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

static void vcpu_stop_with_regs(struct machine *m, struct kvm_vcpu *vcpu,
				enum stop_cause cause,
				const char *what)
{
	struct kvm_regs regs;
	char why[160];

	if (kvm_vcpu_get_regs(vcpu, &regs) < 0)
		memset(&regs, 0, sizeof(regs));
	snprintf(why, sizeof(why), "%s on vCPU %u at RIP %#" PRIx64, what,
		 vcpu->id, (uint64_t)regs.rip);
	machine_stop(m, cause, 1, why);
}

static void vcpu_handle_internal_error(struct machine *m,
				       struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char what[96];

	if (pvm_handle_emulation_failure(&m->pvm, vcpu, &m->mem) == 0)
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
	vcpu_stop_with_regs(m, vcpu, STOP_ERROR, what);
}

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct machine *m = t->m;
	struct kvm_vcpu *vcpu = &t->vcpu;
	struct kvm_run *run = vcpu->run;
	sigset_t set;
	char why[96];

	/* Only this thread's kick signal gets through, nothing else. */
	sigfillset(&set);
	sigdelset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	__atomic_store_n(&t->tid, (int)gettid(), __ATOMIC_RELEASE);
	sandbox_enter_or_die(&m->sandbox, SANDBOX_VCPU);

	while (!__atomic_load_n(&m->stopping, __ATOMIC_ACQUIRE)) {
		int r;

		if (__atomic_load_n(&m->paused, __ATOMIC_ACQUIRE)) {
			vcpu_park(m);
			continue;
		}
		r = kvm_vcpu_run(vcpu);

		if (r == -EINTR || r == -EAGAIN) {
			run->immediate_exit = 0;
			continue;
		}
		if (r < 0) {
			snprintf(why, sizeof(why), "KVM_RUN failed on vCPU %u: %s",
				 vcpu->id, strerror(-r));
			machine_stop(m, STOP_ERROR, 1, why);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu_handle_io(m, run);
			break;
		case KVM_EXIT_MMIO:
			vcpu_handle_mmio(m, run);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			/* Only without an in-kernel LAPIC; we always have one. */
			break;
		case KVM_EXIT_SHUTDOWN:
			/* QEMU -no-reboot: a reset request (we exit 1: a
			 * triple fault is a guest bug worth a status). */
			vcpu_stop_with_regs(m, vcpu, STOP_GUEST_RESET,
					    "guest triple fault (KVM_EXIT_SHUTDOWN)");
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			vcpu_handle_internal_error(m, vcpu);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(why, sizeof(why),
				 "KVM could not enter the guest (reason %#llx)",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			vcpu_stop_with_regs(m, vcpu, STOP_ERROR, why);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH)
				vcpu_stop_with_regs(m, vcpu, STOP_GUEST_PANIC,
						    "guest crash event");
			else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
				machine_stop(m, STOP_GUEST_SHUTDOWN, 0,
					     "guest shutdown (KVM system event)");
			else
				machine_stop(m, STOP_GUEST_RESET, 0,
					     "guest reset (KVM system event)");
			break;
		default:
			snprintf(why, sizeof(why), "unexpected KVM exit %u",
				 run->exit_reason);
			vcpu_stop_with_regs(m, vcpu, STOP_ERROR, why);
			break;
		}
	}
	return NULL;
}

int vcpu_threads_start(struct machine *m)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;   /* no SA_RESTART */
	sigaction(SIG_VCPU_KICK, &sa, NULL);
	for (unsigned int i = 0; i < m->nr_vcpus; i++) {
		struct vcpu_thread *t = &m->vcpus[i];
		int r = pthread_create(&t->thread, NULL, vcpu_thread_fn, t);

		if (r)
			return -r;
		t->started = true;
	}
	return 0;
}

void vcpu_threads_kick(struct machine *m)
{
	for (unsigned int i = 0; i < m->nr_vcpus; i++) {
		struct vcpu_thread *t = &m->vcpus[i];

		if (!t->started)
			continue;
		/* Set before the signal: a vCPU about to enter KVM_RUN bounces. */
		__atomic_store_n(&t->vcpu.run->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_kill(t->thread, SIG_VCPU_KICK);
	}
}

void vcpu_threads_join(struct machine *m)
{
	for (unsigned int i = 0; i < m->nr_vcpus; i++) {
		if (!m->vcpus[i].started)
			continue;
		pthread_join(m->vcpus[i].thread, NULL);
		m->vcpus[i].started = false;
	}
}
