// SPDX-License-Identifier: MIT
/*
 * The seccomp allow-lists: each class keeps what it needs and a call
 * outside its list ends the whole process with SIGSYS, also when the call
 * comes from one thread of several (a device thread gone wrong).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "devices/legacy.h"
#include "util/sandbox.h"
#include "util/util.h"

static const struct sandbox on = { .on = true };

/* exit_group() itself: under ASan, _exit() runs LeakSanitizer, which
 * traces the process (ptrace) and would trip the filter under test. */
static void __attribute__((noreturn)) child_exit(int code)
{
	syscall(SYS_exit_group, code);
	__builtin_unreachable();
}

/* Run @fn in a child process; return its wait status. */
static int in_child(void (*fn)(void *), void *arg)
{
	int st;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		fn(arg);
		child_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static bool killed_by_sigsys(int st)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static void enter_and_open(void *arg)
{
	enum sandbox_class cls = (enum sandbox_class)(long)arg;
	int p[2];
	char c = 'x';

	if (pipe(p) < 0)
		child_exit(3);
	if (sandbox_enter(&on, cls) < 0)
		child_exit(2);
	/* Allowed everywhere: write, read, close, a heap allocation. */
	if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
		child_exit(4);
	free(malloc(1 << 20));
	close(p[0]);
	/* Nothing opens a file after setup; the user-mode network may
	 * read one (resolv.conf), never open one for writing. */
	syscall(SYS_openat, AT_FDCWD, "/dev/null",
		cls == SANDBOX_NET_USER ? O_RDWR : O_RDONLY);
	child_exit(5);
}

Test(sandbox, probe)
{
	cr_assert_eq(sandbox_probe(), 0,
		     "this kernel cannot load seccomp filters");
}

Test(sandbox, every_class_keeps_basics_and_dies_on_open)
{
	for (long c = 0; c < SANDBOX_NR_CLASSES; c++) {
		int st = in_child(enter_and_open, (void *)c);

		cr_assert(killed_by_sigsys(st), "class %s: status %#x",
			  sandbox_class_name(c), st);
	}
}

static void *io_thread_socket(void *arg)
{
	(void)arg;
	if (sandbox_enter(&on, SANDBOX_IO) < 0)
		child_exit(2);
	socket(AF_INET, SOCK_STREAM, 0);
	return NULL;
}

static void device_thread_forbidden(void *arg)
{
	pthread_t t;

	(void)arg;
	pthread_create(&t, NULL, io_thread_socket, NULL);
	/* The unconfined main thread must die too: KILL_PROCESS. */
	for (;;)
		pause();
}

Test(sandbox, forbidden_call_from_device_thread_kills_process)
{
	cr_assert(killed_by_sigsys(in_child(device_thread_forbidden, NULL)));
}

static void pool_ioctl(void *arg)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)arg;
	if (sandbox_enter(&on, SANDBOX_BLK_POOL) < 0)
		child_exit(2);
	if (pwrite(fd, "x", 1, 0) != 1)   /* its job: positioned I/O */
		child_exit(4);
	ioctl(fd, KVM_RUN, 0);            /* not its job */
	child_exit(5);
}

Test(sandbox, blk_pool_has_no_ioctl)
{
	cr_assert(killed_by_sigsys(in_child(pool_ioctl, NULL)));
}

static void vcpu_ioctls(void *arg)
{
	(void)arg;
	if (sandbox_enter(&on, SANDBOX_VCPU) < 0)
		child_exit(2);
	/* A listed request on a bad fd is the kernel's to refuse. */
	if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF)
		child_exit(4);
	ioctl(-1, KVM_CREATE_VM, 0);      /* setup-only: forbidden */
	child_exit(5);
}

Test(sandbox, vcpu_ioctls_by_request_number)
{
	cr_assert(killed_by_sigsys(in_child(vcpu_ioctls, NULL)));
}

static void exec_mapping(void *arg)
{
	void *p;

	(void)arg;
	if (sandbox_enter(&on, SANDBOX_VCPU) < 0)
		child_exit(2);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		child_exit(4);
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	child_exit(5);
}

Test(sandbox, no_executable_mappings)
{
	cr_assert(killed_by_sigsys(in_child(exec_mapping, NULL)));
}

static void signal_other_process(void *arg)
{
	(void)arg;
	if (sandbox_enter(&on, SANDBOX_MAIN) < 0)
		child_exit(2);
	syscall(SYS_tgkill, getppid(), getppid(), 0);
	child_exit(5);
}

Test(sandbox, signals_only_to_own_threads)
{
	cr_assert(killed_by_sigsys(in_child(signal_other_process, NULL)));
}

static void sandbox_off(void *arg)
{
	const struct sandbox off = { .on = false };

	(void)arg;
	if (sandbox_enter(&off, SANDBOX_BLK_POOL) < 0)
		child_exit(2);
	if (syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY) < 0)
		child_exit(4);
	child_exit(0);
}

Test(sandbox, off_installs_nothing)
{
	int st = in_child(sandbox_off, NULL);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

Test(sandbox, table_denies_escape_routes_everywhere)
{
	static const char *const never[] = {
		"execve", "execveat", "fork", "vfork", "clone", "clone3",
		"open", "ptrace",
		"process_vm_readv", "process_vm_writev", "mount", "kexec_load",
		"init_module", "bpf", "setuid", "prctl", "seccomp", NULL,
	};
	/* Only the user-mode network makes sockets (the guest's) and reads
	 * a file (resolv.conf, read-only). */
	static const char *const only_net_user[] = {
		"socket", "connect", "openat", NULL,
	};

	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		for (const char *const *n = never; *n; n++)
			cr_assert(!sandbox_allows(c, *n), "%s allows %s",
				  sandbox_class_name(c), *n);
		for (const char *const *n = only_net_user; *n; n++)
			cr_assert_eq(sandbox_allows(c, *n), c == SANDBOX_NET_USER,
				     "%s and %s", sandbox_class_name(c), *n);
	}
	cr_assert(sandbox_allows(SANDBOX_VCPU, "ioctl"));
	cr_assert(!sandbox_allows(SANDBOX_BLK_POOL, "ioctl"));
	cr_assert(sandbox_allows(SANDBOX_QMP, "accept4"));
	cr_assert(!sandbox_allows(SANDBOX_IO, "accept4"));
	cr_assert(sandbox_allows(SANDBOX_BLK_POOL, "pwritev2"));
	cr_assert(!sandbox_allows(SANDBOX_VCPU, "pwritev2"));
}

/* Library state that initialises itself lazily must be set up before a
 * thread is confined: the guest reading the RTC made glibc open
 * /etc/localtime from the vCPU thread (found on the nested bed). */
static void rtc_read_in_vcpu_sandbox(void *arg)
{
	struct cmos c;

	(void)arg;
	cmos_init(&c);
	if (sandbox_enter(&on, SANDBOX_VCPU) < 0)
		child_exit(2);
	(void)cmos_reg_read(&c, 0x00);   /* seconds: a time conversion */
	(void)cmos_reg_read(&c, 0x09);
	child_exit(0);
}

Test(sandbox, rtc_read_needs_no_file_after_setup)
{
	int st = in_child(rtc_read_in_vcpu_sandbox, NULL);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

/*
 * A machine reset re-reads -kernel and -initrd on the sandboxed main
 * thread (vmm/machine_boot.c): pread on exactly those fds, from their
 * start each time; any other fd is a kill.
 */
static void main_rereads_boot_files(void *arg)
{
	char path[] = "/tmp/vmm-sb-XXXXXX";
	int fd = mkstemp(path), other = open("/dev/zero", O_RDONLY);
	struct sandbox sb = { .on = true, .main_read_fds = { -1, -1 } };
	uint8_t *buf, c;
	size_t len;

	(void)arg;
	if (fd < 0 || other < 0 || write(fd, "kernel", 6) != 6)
		child_exit(3);
	unlink(path);
	sb.main_read_fds[1] = fd;
	if (sandbox_enter(&sb, SANDBOX_MAIN) < 0)
		child_exit(2);
	for (int i = 0; i < 2; i++) {
		if (util_read_fd(fd, &buf, &len, 1 << 20) < 0 || len != 6 ||
		    memcmp(buf, "kernel", 6))
			child_exit(4);
		free(buf);
	}
	if (pread(other, &c, 1, 0) >= 0)   /* killed here */
		child_exit(5);
	child_exit(6);
}

Test(sandbox, main_preads_only_the_boot_files)
{
	int st = in_child(main_rereads_boot_files, NULL);

	cr_assert(killed_by_sigsys(st), "status %#x", st);
}
