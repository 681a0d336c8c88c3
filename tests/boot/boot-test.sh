#!/bin/bash
# The PVM guard: the stock Debian kernel under vmm on this host's own KVM
# when that KVM is kvm_pvm (a software hypervisor: see DEVELOPERS.md).
# There the guest kernel is emulated instruction by instruction and its
# user space cannot run (its first syscall enters the kernel in user mode
# and faults), so this test boots once with -smp 2 and every device and
# asserts what the kernel shows before init (memory map, RAM, CPUs,
# console, ACPI tables, PCI enumeration), stops at "Run /init" and ends
# the VMM with SIGTERM. It guards vmm/pvm.c.
#
# Everything a stock guest does from user space is checked on real KVM
# by the nested suite (tests/nested/), on every host. Where the host's
# KVM is not PVM, this test has nothing to guard and says so.
#
# Prints one line per assertion and "boot: N passed, N failed, N skipped".
set -u
VMM=$(realpath "$1")
GUEST=$(realpath "$2")
RAM_MB=${BOOT_TEST_RAM_MB:-512}
LIMIT=${BOOT_TEST_TIMEOUT:-900}
T=$(mktemp -d "${TMPDIR:-/tmp}/vmm-boot.XXXXXX")
trap 'rm -rf "$T"; [ -n "${pid:-}" ] && kill -9 $pid 2>/dev/null' EXIT
pass=0 fail=0 skip=0

ok()   { echo "PASS $1"; pass=$((pass + 1)); }
bad()  { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skp()  { echo "SKIP $1: $2"; skip=$((skip + 1)); }
has()  { grep -qE -- "$2" "$1"; }

if [ ! -d /sys/module/kvm_pvm ] || [ ! -c /dev/kvm ]; then
	skp pvm-stock-boot "this host's KVM is not kvm_pvm: nothing to guard (the stock guest runs in tests/nested/)"
	echo "boot: $pass passed, $fail failed, $skip skipped"
	exit 0
fi

truncate -s 32M "$T/disk.img"
truncate -s 1M "$T/ro.img"
log="$T/boot.log"
start=$(date +%s)
"$VMM" -no-reboot -m ${RAM_MB}M -smp 2 -kernel "$GUEST/vmlinuz" \
	-initrd "$GUEST/initramfs.cpio" -nographic \
	-device virtio-balloon-pci,id=balloon0 \
	-drive file="$T/disk.img",if=none,id=d0,format=raw \
	-device virtio-blk-pci,drive=d0,serial=vmm-disk0,num-queues=2 \
	-drive file="$T/ro.img",if=virtio,format=raw,readonly=on \
	-append "console=ttyS0 reboot=k panic=-1" \
	</dev/null >"$log" 2>"$log.err" &
pid=$!
status=124
for ((i = 0; i < LIMIT * 2; i++)); do
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid; status=$?; break
	fi
	if grep -q "Run /init as init process" "$log"; then
		kill -TERM $pid; wait $pid; status=$?
		break
	fi
	sleep 0.5
done
if kill -0 $pid 2>/dev/null; then kill -9 $pid; wait $pid; fi
pid=
echo "boot smp2: status $status after $(( $(date +%s) - start ))s"
if [ $status = 124 ]; then
	bad boots "no 'Run /init' within ${LIMIT}s; last lines: $(tail -3 "$log" | tr '\r\n' '  ')"
else
	has "$log" "Linux version 6\." && ok kernel-starts ||
		bad kernel-starts "no banner: $(head -c 300 "$log.err")"
	end_hex=$(printf '%016x' $((RAM_MB * 1024 * 1024 - 1)))
	has "$log" "BIOS-e820: \[mem 0x0000000000100000-0x$end_hex\] usable" &&
		ok e820 || bad e820 "no usable range up to 0x$end_hex"
	total_k=$(grep -oE 'Memory: [0-9]+K/[0-9]+K' "$log" | sed 's|.*/||; s|K||')
	if [ -n "$total_k" ] && [ "$total_k" -le $((RAM_MB * 1024)) ] &&
	   [ "$total_k" -ge $((RAM_MB * 1024 - 4096)) ]; then
		ok ram-size
	else
		bad ram-size "kernel sees ${total_k:-?}K of ${RAM_MB}M"
	fi
	has "$log" "ACPI: Using ACPI \(MADT\) for SMP" && ok acpi-madt ||
		bad acpi-madt "MADT not used"
	has "$log" "smp: Brought up 1 node, 2 CPUs" && ok cpus-online ||
		bad cpus-online "$(grep 'Brought up' "$log" | tr -d '\r')"
	has "$log" "printk: console \[ttyS0\] enabled" && ok console ||
		bad console "ttyS0 console not enabled"
	has "$log" "pnp: PnP ACPI: found [1-9]" && ok acpi-pnp-devices ||
		bad acpi-pnp-devices "$(grep 'PnP ACPI' "$log" | tr -d '\r')"
	has "$log" "pci 0000:00:00.0: \[1b36:0008\] type 00 class 0x060000" &&
		ok pci-host-bridge || bad pci-host-bridge "not enumerated"
	has "$log" "pci 0000:00:01.0: \[1af4:1045\] type 00 class 0x00ff00" &&
		ok pci-virtio-balloon || bad pci-virtio-balloon "not enumerated"
	has "$log" "pci 0000:00:0[23].0: \[1af4:1042\] type 00 class 0x010000" &&
		ok pci-virtio-blk || bad pci-virtio-blk "not enumerated"
	has "$log" "PCI: MMCONFIG for domain 0000 \[bus 00-00\] at \[mem 0xe0000000-0xe00fffff\]" &&
		ok pci-ecam || bad pci-ecam "$(grep -i mmconfig "$log" | head -2)"
	has "$log" "Run /init as init process" && ok reaches-init ||
		bad reaches-init "no 'Run /init'"
	[ $status = 0 ] && ok sigterm-exit-0 || bad sigterm-exit-0 "status $status"
fi
echo "boot: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
