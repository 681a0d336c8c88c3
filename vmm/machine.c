// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sandbox.h"
#include "util/util.h"
#include "boot/bootinfo.h"
#include "vmm/cpu.h"
#include "boot/layout.h"
#include "vmm/machine.h"

/* One sentence for the user in @err; returns @r (or -EINVAL if @r is not
 * an error), so a caller can "return machine_err(...)". */
int machine_err(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EINVAL;
}

/* QMP's SHUTDOWN event as QEMU words it; NULL: QEMU sends none (an
 * isa-debug-exit, or an error it would abort on). */
static const char *machine_shutdown_reason(enum stop_cause cause, bool *guest)
{
	*guest = cause <= STOP_GUEST_PANIC;
	switch (cause) {
	case STOP_GUEST_RESET:    return "guest-reset";
	case STOP_GUEST_SHUTDOWN: return "guest-shutdown";
	case STOP_GUEST_PANIC:    return "guest-panic";
	case STOP_HOST_SIGNAL:    return "host-signal";
	case STOP_HOST_QMP_QUIT:  return "host-qmp-quit";
	case STOP_HOST_QMP_RESET: return "host-qmp-system-reset";
	case STOP_HOST_UI:        return "host-ui";
	default:                  return NULL;
	}
}

/*
 * -no-shutdown: the guest powered off; the VM stops and vmm stays, as
 * QEMU's runstate "shutdown" (SHUTDOWN, then STOP). Called on a vCPU
 * thread, which parks once it is back in its loop; nothing here waits.
 */
static void machine_shutdown_stay(struct machine *m, const char *why)
{
	bool first, was;

	pthread_mutex_lock(&m->stop_lock);
	first = !m->shut_down;
	m->shut_down = true;
	vcpus_pause(&m->vcpus, false, &was);
	pthread_mutex_unlock(&m->stop_lock);
	if (!first)
		return;
	pr_info("%s; -no-shutdown: the VM is stopped (QMP quit ends vmm)", why);
	if (m->qmp) {
		qmp_emit(m->qmp, "SHUTDOWN", json_pack("{s:b,s:s}", "guest", 1,
						       "reason", "guest-shutdown"));
		qmp_emit(m->qmp, "STOP", NULL);
	}
}

void machine_stop(void *opaque, enum stop_cause cause, int status,
		  const char *why)
{
	struct machine *m = opaque;
	bool guest;
	const char *reason;

	/* A reset is an exit only with -no-reboot, as in QEMU. */
	if ((cause == STOP_GUEST_RESET || cause == STOP_HOST_QMP_RESET) &&
	    !m->cfg->no_reboot) {
		if (status)
			pr_warn("%s; the machine resets", why);
		else
			pr_info("%s; the machine resets", why);
		machine_request_reset(m, cause);
		return;
	}
	if (cause == STOP_GUEST_SHUTDOWN && m->cfg->no_shutdown) {
		machine_shutdown_stay(m, why);
		return;
	}
	pthread_mutex_lock(&m->stop_lock);
	if (!m->stopping) {
		m->stop_cause = cause;
		m->exit_status = status;
		snprintf(m->stop_reason, sizeof(m->stop_reason), "%s", why);
		/*
		 * Queue SHUTDOWN before anyone can see "stopping": the main
		 * loop stops the QMP thread as soon as it does, and from a
		 * non-vCPU thread (console, signal) an event queued after
		 * that was lost. Emitting only queues under the QMP lock,
		 * which is never held while stop_lock is wanted.
		 */
		reason = machine_shutdown_reason(cause, &guest);
		if (m->qmp && reason)
			qmp_emit(m->qmp, "SHUTDOWN",
				 json_pack("{s:b,s:s}", "guest", guest,
					   "reason", reason));
		__atomic_store_n(&m->stopping, true, __ATOMIC_RELEASE);
		evloop_break(&m->loop);
	}
	pthread_mutex_unlock(&m->stop_lock);
	vcpus_stop(&m->vcpus);
}

int machine_pause(struct machine *m)
{
	bool was;
	int r = vcpus_pause(&m->vcpus, true, &was);

	if (!was && m->qmp)
		qmp_emit(m->qmp, "STOP", NULL);
	return r;
}

int machine_resume(struct machine *m)
{
	bool was;

	pthread_mutex_lock(&m->stop_lock);
	if (m->shut_down) {
		pthread_mutex_unlock(&m->stop_lock);
		return -EBUSY;
	}
	m->launched = true;
	was = vcpus_resume(&m->vcpus);
	pthread_mutex_unlock(&m->stop_lock);
	if (was && m->qmp)
		qmp_emit(m->qmp, "RESUME", NULL);
	return 0;
}

const char *machine_run_state(struct machine *m)
{
	const char *st;

	pthread_mutex_lock(&m->stop_lock);
	st = m->shut_down ? "shutdown" : !vcpus_paused(&m->vcpus) ? "running" :
	     m->launched ? "paused" : "prelaunch";
	pthread_mutex_unlock(&m->stop_lock);
	return st;
}

static void com1_irq(void *ctx, int level)
{
	struct machine *m = ctx;

	kvm_irq_line(&m->kvm, IRQ_COM1, level);
}

static int machine_setup_kvm(struct machine *m, char *err, size_t errlen)
{
	int r;

	r = kvm_open(&m->kvm, "/dev/kvm");
	if (r == -ENOENT)
		return machine_err(err, errlen, r,
				 "/dev/kvm does not exist: KVM is not available on this host.");
	if (r == -EACCES || r == -EPERM)
		return machine_err(err, errlen, r,
				 "no permission to open /dev/kvm (run as root or join the kvm group).");
	if (r < 0)
		return machine_err(err, errlen, r, "cannot use /dev/kvm: %s.",
				 strerror(-r));
	if (!kvm_check_extension(&m->kvm, KVM_CAP_IRQCHIP) ||
	    !kvm_check_extension(&m->kvm, KVM_CAP_USER_MEMORY))
		return machine_err(err, errlen, -ENOTSUP,
				 "this KVM lacks the in-kernel irqchip or user memory.");
	r = guestmem_init(&m->mem, m->cfg->ram_size);
	if (r < 0)
		return machine_err(err, errlen, r,
				 "cannot allocate %" PRIu64 " MiB of guest RAM: %s.",
				 m->cfg->ram_size / MiB, strerror(-r));
	/*
	 * Memory slots before the irqchip: once the in-kernel irqchip exists
	 * a slot update waits for an SRCU grace period (measured: 5-6 ms of
	 * a 25 ms start-to-exit run on this host).
	 */
	for (unsigned int i = 0; i < m->mem.nr_regions; i++) {
		const struct guestmem_region *reg = &m->mem.regions[i];

		r = kvm_set_memory_region(&m->kvm, i, reg->gpa, reg->size,
					  m->mem.host + reg->offset);
		if (r < 0)
			return machine_err(err, errlen, r,
					 "KVM refused guest RAM: %s.", strerror(-r));
	}
	if ((r = kvm_set_tss_addr(&m->kvm, LAYOUT_TSS)) < 0 ||
	    (kvm_check_extension(&m->kvm, KVM_CAP_SET_IDENTITY_MAP_ADDR) &&
	     (r = kvm_set_identity_map_addr(&m->kvm, LAYOUT_IDENTITY_MAP)) < 0) ||
	    (r = kvm_create_irqchip(&m->kvm)) < 0 ||
	    (r = kvm_irq_router_setup(&m->kvm, &m->router)) < 0 ||
	    (r = kvm_create_pit(&m->kvm)) < 0)
		return machine_err(err, errlen, r, "KVM machine setup failed: %s.",
				 strerror(-r));
	return 0;
}

static int machine_add_devices(struct machine *m, char *err, size_t errlen)
{
	const struct vm_config *cfg = m->cfg;
	int r;

	serial_init(&m->com1, console_tx, &m->console, com1_irq, m);
	r = console_init(&m->console, cfg->serial, cfg->serial_path, &m->com1,
			 machine_stop, m);
	if (r < 0)
		return machine_err(err, errlen, r, "-serial: cannot open '%s': %s.",
				 cfg->serial_path ? cfg->serial_path : "stdio",
				 strerror(-r));
	i8042_init(&m->i8042, machine_stop, m);
	cmos_init(&m->cmos);
	m->debug_exit = (struct debug_exit){ machine_stop, m };
	m->acpi_sleep = (struct acpi_sleep){ machine_stop, m };

	if ((r = bus_register(&m->pio, 0x3f8, 8, &serial_bus_ops, &m->com1,
			      "serial")) < 0 ||
	    (r = bus_register(&m->pio, I8042_DATA_PORT, 5, &i8042_bus_ops,
			      &m->i8042, "i8042")) < 0 ||
	    (r = bus_register(&m->pio, CMOS_PORT, 2, &cmos_bus_ops, &m->cmos,
			      "cmos")) < 0 ||
	    (r = bus_register(&m->pio, ACPI_SLEEP_PORT, 2, &acpi_sleep_bus_ops,
			      &m->acpi_sleep, "acpi-sleep")) < 0)
		return machine_err(err, errlen, r, "cannot place the legacy devices.");
	r = pci_bus_init(&m->pci, &m->pio, &m->mmio, LAYOUT_PCI_ECAM,
			 LAYOUT_PCI_MMIO, LAYOUT_PCI_MMIO_SIZE);
	if (r < 0)
		return machine_err(err, errlen, r, "cannot set up the PCI bus.");
	if ((r = machine_add_virtio(m, err, errlen)) < 0)
		return r;
	if (cfg->qmp.set && (r = machine_add_qmp(m, err, errlen)) < 0)
		return r;
	if (cfg->debug_exit) {
		r = bus_register(&m->pio, cfg->debug_exit_port,
				 cfg->debug_exit_size, &debug_exit_bus_ops,
				 &m->debug_exit, "isa-debug-exit");
		if (r < 0)
			return machine_err(err, errlen, r,
					 "-device isa-debug-exit: ports %#x-%#x are taken by another device.",
					 cfg->debug_exit_port,
					 cfg->debug_exit_port + cfg->debug_exit_size - 1);
	}
	return 0;
}

/* On vCPU @i's own thread, before its first KVM_RUN after a reset: its
 * power-on state, and the boot CPU's registers at the kernel's entry. */
static int machine_vcpu_reset(void *ctx, unsigned int i, struct kvm_vcpu *vcpu)
{
	struct machine *m = ctx;
	int r = cpu_power_on_restore(&m->power_on[i], vcpu);

	if (r == 0 && i == 0)
		r = cpu_setup_boot_regs(vcpu, &m->kernel, m->boot_info);
	return r;
}

static int machine_create_vcpus(struct machine *m, char *err, size_t errlen)
{
	const struct vcpu_env env = {
		.pio = &m->pio, .mmio = &m->mmio, .pvm = &m->pvm,
		.mem = &m->mem, .sandbox = &m->sandbox,
		.stop = machine_stop, .stop_ctx = m,
		.reset = machine_vcpu_reset, .reset_ctx = m,
	};
	struct kvm_cpuid2 *cpuid;
	uint32_t *msrs = NULL;
	unsigned int nmsrs = 0;
	int r;

	r = kvm_get_supported_cpuid(&m->kvm, &cpuid);
	if (r < 0)
		return machine_err(err, errlen, r, "KVM_GET_SUPPORTED_CPUID failed: %s.",
				 strerror(-r));
	r = kvm_get_msr_index_list(&m->kvm, &msrs, &nmsrs);
	if (r < 0) {
		free(cpuid);
		return machine_err(err, errlen, r, "KVM_GET_MSR_INDEX_LIST failed: %s.",
				   strerror(-r));
	}
	nmsrs = cpu_reset_filter_msrs(msrs, nmsrs);
	m->power_on = calloc(m->cfg->ncpus, sizeof(*m->power_on));
	if (!m->power_on || vcpus_init(&m->vcpus, m->cfg->ncpus, &env) < 0) {
		free(cpuid);
		free(msrs);
		return machine_err(err, errlen, -ENOMEM, "out of memory.");
	}
	for (unsigned int i = 0; i < m->cfg->ncpus; i++) {
		struct vcpu_thread *t = &m->vcpus.t[i];

		/* KVM's vCPU id is its APIC ID (vmm/cpu.h). */
		r = kvm_vcpu_create(&m->kvm, &t->vcpu, m->apic_ids[i]);
		if (r < 0)
			break;
		m->vcpus.n++;
		r = cpu_setup_vcpu(&t->vcpu, cpuid, &m->topo);
		if (r == 0)
			r = cpu_power_on_save(&m->power_on[i], &m->kvm, &t->vcpu,
					      msrs, nmsrs);
		if (r < 0)
			break;
	}
	free(cpuid);
	free(msrs);
	if (r == 0)
		r = cpu_setup_boot_regs(&m->vcpus.t[0].vcpu, &m->kernel, m->boot_info);
	if (r < 0)
		return machine_err(err, errlen, r, "cannot set up vCPU %u: %s.",
				 m->vcpus.n ? m->vcpus.n - 1 : 0, strerror(-r));
	return 0;
}

/* -pidfile: written once the VM is set up (a caller waiting for it can
 * then use QMP), removed at exit. */
static int machine_write_pidfile(struct machine *m, char *err, size_t errlen)
{
	char buf[24];
	int fd, n;

	if (!m->cfg->pidfile)
		return 0;
	fd = open(m->cfg->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return machine_err(err, errlen, -errno, "-pidfile: cannot write '%s': %s.",
				 m->cfg->pidfile, strerror(errno));
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, n) != n) {
		close(fd);
		return machine_err(err, errlen, -EIO, "-pidfile: cannot write '%s'.",
				 m->cfg->pidfile);
	}
	close(fd);
	m->pidfile_written = true;
	return 0;
}

int machine_build(struct machine *m, const struct vm_config *cfg, char *err,
		  size_t errlen)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->kvm.sys_fd = m->kvm.vm_fd = -1;
	m->mem.memfd = -1;
	m->sigfd = -1;
	m->kernel_fd = m->initrd_fd = m->reset_efd = -1;
	pthread_mutex_init(&m->stop_lock, NULL);
	r = evloop_init(&m->loop, "vmm");
	if (r < 0)
		return machine_err(err, errlen, r, "cannot make the main loop: %s.",
				   strerror(-r));
	bus_init(&m->pio, "pio");
	bus_init(&m->mmio, "mmio");
	kvm_irq_router_init(&m->router);
	pvm_quirks_init(&m->pvm, cfg->pvm);
	m->sandbox.on = cfg->sandbox;
	m->sandbox.audit = getenv("VMM_SANDBOX_AUDIT") != NULL;
	if (m->sandbox.on && (r = sandbox_probe()) < 0)
		return machine_err(err, errlen, r,
				 "-sandbox on: this system cannot install seccomp filters (%s); use -sandbox off.",
				 strerror(-r));

	/* The user's files before anything touches /dev/kvm; kept open for
	 * resets. */
	if ((r = machine_open_boot_files(m, err, errlen)) < 0 ||
	    (r = machine_setup_kvm(m, err, errlen)) < 0 ||
	    (r = machine_reset_init(m, err, errlen)) < 0)
		return r;
	m->topo = (struct cpu_topo){ cfg->sockets, cfg->cores, cfg->threads };
	for (unsigned int i = 0; i < cfg->ncpus; i++)
		m->apic_ids[i] = (uint8_t)cpu_topo_apic_id(&m->topo, i);
	if ((r = machine_load_boot(m, err, errlen)) < 0)
		return r;
	m->sandbox.main_read_fds[0] = m->kernel_fd;
	m->sandbox.main_read_fds[1] = m->initrd_fd;
	if ((r = machine_add_devices(m, err, errlen)) < 0 ||
	    (r = machine_create_vcpus(m, err, errlen)) < 0)
		return r;
	return machine_write_pidfile(m, err, errlen);
}

/* SIGINT/SIGTERM/SIGHUP: QEMU's behaviour, a clean exit with status 0. */
static void machine_signal(void *ctx, uint32_t events)
{
	struct machine *m = ctx;
	struct signalfd_siginfo si;
	char why[64];

	if (read(m->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	snprintf(why, sizeof(why), "terminating on signal %u", si.ssi_signo);
	pr_warn("%s", why);
	machine_stop(m, STOP_HOST_SIGNAL, 0, why);
}

static int machine_watch_signals(struct machine *m)
{
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sigfd < 0)
		return -errno;
	r = evloop_add_fd(&m->loop, m->sigfd, EPOLLIN, machine_signal, m);
	return r < 0 ? r : 0;
}

int machine_run(struct machine *m)
{
	int r;

	/* -S: the vCPUs park before their first KVM_RUN, until cont. */
	m->launched = !m->cfg->start_paused;
	r = machine_watch_signals(m);
	if (r == 0)
		r = console_start(&m->console, &m->sandbox);
	for (unsigned int i = 0; r == 0 && i < m->ndevs; i++) {
		struct machine_dev *d = &m->devs[i];

		r = virtio_iothread_start(&d->io, &m->sandbox);
		if (r == 0 && d->start)
			r = d->start(d->dev, &m->sandbox);
	}
	if (r == 0 && m->qmp)
		r = qmp_start(m->qmp, &m->sandbox);
	if (r == 0)
		r = vcpus_start(&m->vcpus, m->cfg->start_paused);
	/* Last: every other thread exists and confines itself. */
	if (r == 0)
		sandbox_enter_or_die(&m->sandbox, SANDBOX_MAIN);
	if (r < 0) {
		char why[96];

		snprintf(why, sizeof(why), "cannot start: %s", strerror(-r));
		machine_stop(m, STOP_ERROR, 1, why);
	}
	/* Until machine_stop() breaks it, from any thread. */
	evloop_run(&m->loop);
	vcpus_stop(&m->vcpus);
	vcpus_join(&m->vcpus);
	if (m->qmp)
		qmp_stop(m->qmp);
	for (unsigned int i = 0; i < m->ndevs; i++) {
		struct machine_dev *d = &m->devs[i];

		virtio_iothread_stop(&d->io);
		if (d->stop)
			d->stop(d->dev);
		if (d->report && d->vp)
			d->report(d->dev);
	}
	console_exit(&m->console);
	pvm_quirks_report(&m->pvm);
	/* isa-debug-exit statuses are the guest's verdict, not our error. */
	if (m->exit_status && m->stop_cause != STOP_DEBUG_EXIT)
		pr_err("%s", m->stop_reason);
	else
		pr_info("%s", m->stop_reason);
	return m->exit_status;
}

void machine_destroy(struct machine *m)
{
	if (m->pidfile_written)
		unlink(m->cfg->pidfile);
	vcpus_destroy(&m->vcpus);
	for (unsigned int i = 0; m->power_on && i < m->cfg->ncpus; i++)
		cpu_power_on_free(&m->power_on[i]);
	free(m->power_on);
	m->power_on = NULL;
	if (m->qmp) {
		qmp_stop(m->qmp);
		free(m->qmp);
		m->qmp = NULL;
	}
	for (unsigned int i = 0; i < m->ndevs; i++) {
		struct machine_dev *d = &m->devs[i];

		virtio_iothread_stop(&d->io);
		d->free(d->dev);
		d->dev = NULL;
	}
	m->ndevs = 0;
	m->balloon = NULL;
	m->nblk = 0;
	console_exit(&m->console);
	guestmem_exit(&m->mem);
	kvm_close(&m->kvm);
	bus_exit(&m->pio);
	bus_exit(&m->mmio);
	evloop_exit(&m->loop);
	util_close_fd(&m->sigfd);
	util_close_fd(&m->reset_efd);
	util_close_fd(&m->kernel_fd);
	util_close_fd(&m->initrd_fd);
}
