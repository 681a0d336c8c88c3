#!/bin/bash
# Boot test: the stock Debian kernel under vmm, with -smp 1 and -smp 2.
#
# Where KVM is hardware virtualization the guest boots to its /init, which
# loads the stock virtio modules, prints its marker and one line per check
# (RAM, CPUs, modules) and leaves with `reboot -f`: the VMM must exit 0.
#
# On PVM (kvm_pvm, a software hypervisor: see DEVELOPERS.md) the guest
# kernel is emulated instruction by instruction and its user space cannot
# run (its first syscall enters the kernel in user mode and faults), so
# there the test asserts what the kernel shows before init — memory map,
# RAM, CPUs, console, ACPI tables — stops at "Run /init", and skips the
# user-space checks with that reason.
#
# Prints one line per assertion and "N passed, N failed[, N skipped]".
set -u
VMM=$(realpath "$1")
GUEST=$(realpath "$2")
RAM_MB=${BOOT_TEST_RAM_MB:-512}
LIMIT=${BOOT_TEST_TIMEOUT:-900}
SMPS=${BOOT_TEST_SMP:-"1 2"}
T=$(mktemp -d "${TMPDIR:-/tmp}/vmm-boot.XXXXXX")
trap 'rm -rf "$T"; [ -n "${pid:-}" ] && kill -9 $pid 2>/dev/null' EXIT
pass=0 fail=0 skip=0

ok()   { echo "PASS $1"; pass=$((pass + 1)); }
bad()  { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skp()  { echo "SKIP $1: $2"; skip=$((skip + 1)); }
has()  { grep -qE -- "$2" "$1"; }

pvm=0
[ -d /sys/module/kvm_pvm ] && pvm=1

# boot SMP LOG STOP_AT [SIGNAL [CHECKS]]: until the guest stops, or until
# STOP_AT appears in its output (then SIGNAL, TERM unless given).
boot() {
	local smp=$1 log=$2 stop_at=$3 sig=${4:-TERM}
	local checks=${5:-mem,cpus,modules,pci,balloon,blk$NETCHECK} start end
	start=$(date +%s%N)
	$NSRUN "$VMM" -m ${RAM_MB}M -smp "$smp" -kernel "$GUEST/vmlinuz" \
		-initrd "$GUEST/initramfs.cpio" -nographic \
		-device virtio-balloon-pci,id=balloon0 \
		-drive file="$T/disk.img",if=none,id=d0,format=raw \
		-device virtio-blk-pci,drive=d0,serial=vmm-disk0,num-queues=2 \
		-drive file="$T/ro.img",if=virtio,format=raw,readonly=on \
		$NETARGS \
		-append "console=ttyS0 reboot=k panic=-1 vmm.checks=$checks" \
		</dev/null >"$log" 2>"$log.err" &
	pid=$!
	status=124
	for ((i = 0; i < LIMIT * 2; i++)); do
		if ! kill -0 $pid 2>/dev/null; then
			wait $pid; status=$?; break
		fi
		if [ -n "$stop_at" ] && grep -q -- "$stop_at" "$log"; then
			end=$(date +%s%N)
			kill -$sig $pid; wait $pid; status=$?
			break
		fi
		sleep 0.5
	done
	if kill -0 $pid 2>/dev/null; then kill -9 $pid; wait $pid; fi
	pid=
	end=${end:-$(date +%s%N)}
	secs=$(( (end - start) / 1000000000 ))
}

# The network: a tap in a namespace of our own with the host end at
# 10.78.0.1 and tests/boot/net_peer.py serving the guest's nc transfers.
NS=vmm-boot-$$ NSRUN= NETARGS= NETCHECK=
if ip netns add $NS 2>/dev/null; then
	NSRUN="ip netns exec $NS"
	$NSRUN ip link set lo up
	$NSRUN ip tuntap add dev vmmb0 mode tap multi_queue
	$NSRUN ip addr add 10.78.0.1/24 dev vmmb0
	$NSRUN ip link set vmmb0 up
	$NSRUN python3 "$(dirname "$0")/net_peer.py" "$T/peer.md5" &
	peer=$!
	NETARGS="-netdev tap,id=n0,ifname=vmmb0,script=no,downscript=no,queues=2 -device virtio-net-pci,netdev=n0,mq=on"
	NETCHECK=,net
	trap 'rm -rf "$T"; [ -n "${pid:-}" ] && kill -9 $pid 2>/dev/null; kill $peer 2>/dev/null; ip netns del $NS' EXIT
fi
truncate -s 32M "$T/disk.img"
truncate -s 1M "$T/ro.img"
for smp in $SMPS; do
	log="$T/boot-smp$smp.log"
	if [ $pvm = 1 ]; then
		boot "$smp" "$log" "Run /init as init process"
	else
		boot "$smp" "$log" ""
	fi
	n="smp$smp"
	echo "boot $n: status $status after ${secs}s"
	if [ $status = 124 ]; then
		bad "$n-boots" "no result within ${LIMIT}s; last lines: $(tail -3 "$log" | tr '\r\n' '  ')"
		continue
	fi
	has "$log" "Linux version 6\." && ok "$n-kernel-starts" ||
		bad "$n-kernel-starts" "no banner: $(head -c 300 "$log.err")"
	# Memory map: low RAM, the legacy hole, RAM up to -m.
	end_hex=$(printf '%016x' $((RAM_MB * 1024 * 1024 - 1)))
	has "$log" "BIOS-e820: \[mem 0x0000000000100000-0x$end_hex\] usable" &&
		ok "$n-e820" || bad "$n-e820" "no usable range up to 0x$end_hex"
	total_k=$(grep -oE 'Memory: [0-9]+K/[0-9]+K' "$log" | sed 's|.*/||; s|K||')
	if [ -n "$total_k" ] && [ "$total_k" -le $((RAM_MB * 1024)) ] &&
	   [ "$total_k" -ge $((RAM_MB * 1024 - 4096)) ]; then
		ok "$n-ram-size"
	else
		bad "$n-ram-size" "kernel sees ${total_k:-?}K of ${RAM_MB}M"
	fi
	has "$log" "ACPI: Using ACPI \(MADT\) for SMP" && ok "$n-acpi-madt" ||
		bad "$n-acpi-madt" "MADT not used"
	has "$log" "smp: Brought up 1 node, $smp CPUs?.?$" && ok "$n-cpus-online" ||
		bad "$n-cpus-online" "$(grep 'Brought up' "$log" | tr -d '\r')"
	has "$log" "printk: console \[ttyS0\] enabled" && ok "$n-console" ||
		bad "$n-console" "ttyS0 console not enabled"
	# PCI as the kernel enumerates it: host bridge, the balloon and its BAR.
	has "$log" "pci 0000:00:00.0: \[1b36:0008\] type 00 class 0x060000" &&
		ok "$n-pci-host-bridge" || bad "$n-pci-host-bridge" "not enumerated"
	has "$log" "pci 0000:00:01.0: \[1af4:1045\] type 00 class 0x00ff00" &&
		ok "$n-pci-virtio-balloon" || bad "$n-pci-virtio-balloon" "not enumerated"
	has "$log" "pci 0000:00:01.0: (reg 0x10:|BAR 0) \[mem 0xc0000000-0xc0007fff\]" &&
		ok "$n-pci-balloon-bar" || bad "$n-pci-balloon-bar" "$(grep -E '00:01.0: (reg|BAR)' "$log")"
	has "$log" "pci 0000:00:02.0: \[1af4:1042\] type 00 class 0x010000" &&
		ok "$n-pci-virtio-blk" || bad "$n-pci-virtio-blk" "not enumerated"
	has "$log" "pci 0000:00:03.0: \[1af4:1042\] type 00 class 0x010000" &&
		ok "$n-pci-virtio-blk-2" || bad "$n-pci-virtio-blk-2" "second drive not enumerated"
	if [ -n "$NETARGS" ]; then
		has "$log" "pci 0000:00:04.0: \[1af4:1041\] type 00 class 0x020000" &&
			ok "$n-pci-virtio-net" || bad "$n-pci-virtio-net" "not enumerated"
	fi
	has "$log" "PCI: MMCONFIG for domain 0000 \[bus 00-00\] at \[mem 0xe0000000-0xe00fffff\]" &&
		ok "$n-pci-ecam" || bad "$n-pci-ecam" "$(grep -i mmconfig "$log" | head -2)"
	has "$log" "Run /init as init process" && ok "$n-reaches-init" ||
		bad "$n-reaches-init" "no 'Run /init'"
	if [ $pvm = 1 ]; then
		[ $status = 0 ] && ok "$n-sigterm-exit-0" ||
			bad "$n-sigterm-exit-0" "status $status"
		for c in init-marker mem cpus modules pci-sysfs balloon-bound blk blk-discard-frees net reboot-exit-0; do
			skp "$n-$c" "PVM: a stock guest's user space cannot run on this KVM"
		done
		continue
	fi
	has "$log" "VMM-INIT-OK uptime=" && ok "$n-init-marker" ||
		bad "$n-init-marker" "no init marker"
	kb=$(grep -oE 'VMM-CHECK mem result=pass memtotal_kb=[0-9]+' "$log" | sed 's/.*=//')
	if [ -n "$kb" ] && [ "$kb" -gt $((RAM_MB * 1024 * 8 / 10)) ] &&
	   [ "$kb" -le $((RAM_MB * 1024)) ]; then ok "$n-mem"
	else bad "$n-mem" "MemTotal ${kb:-?} kB for ${RAM_MB}M"; fi
	has "$log" "VMM-CHECK cpus result=pass online=$smp" && ok "$n-cpus" ||
		bad "$n-cpus" "$(grep 'VMM-CHECK cpus' "$log")"
	has "$log" "VMM-CHECK modules result=pass" && ok "$n-modules" ||
		bad "$n-modules" "$(grep 'VMM-CHECK modules' "$log")"
	has "$log" "VMM-CHECK pci result=pass" && ok "$n-pci-sysfs" ||
		bad "$n-pci-sysfs" "$(grep 'VMM-CHECK pci' "$log")"
	has "$log" "VMM-CHECK balloon result=pass" && ok "$n-balloon-bound" ||
		bad "$n-balloon-bound" "$(grep 'VMM-CHECK balloon' "$log")"
	has "$log" "VMM-CHECK blk result=pass" && ok "$n-blk" ||
		bad "$n-blk" "$(grep 'VMM-CHECK blk' "$log")"
	# The guest discarded all it wrote: the image holds (almost) no blocks.
	blocks=$(stat -c %b "$T/disk.img")
	[ "$blocks" -lt 2048 ] && ok "$n-blk-discard-frees" ||
		bad "$n-blk-discard-frees" "$blocks blocks still allocated"
	if [ -n "$NETARGS" ]; then
		sent=$(grep -oE 'VMM-CHECK net result=pass queues=2 sent_md5=[0-9a-f]+' "$log" | sed 's/.*=//')
		if [ -n "$sent" ] && [ "$sent" = "$(cat "$T/peer.md5" 2>/dev/null)" ]; then
			ok "$n-net"
		else
			bad "$n-net" "$(grep 'VMM-CHECK net' "$log"); host got $(cat "$T/peer.md5" 2>/dev/null)"
		fi
	else
		skp "$n-net" "cannot create a network namespace here"
	fi
	[ $status = 0 ] && has "$log" "VMM-CHECKS-DONE" && ok "$n-reboot-exit-0" ||
		bad "$n-reboot-exit-0" "status $status"
done

# Durability with the stock driver: write, sync, SIGKILL, read the image.
if [ $pvm = 1 ]; then
	skp blk-sync-survives-kill9 "PVM: a stock guest's user space cannot run on this KVM"
else
	boot 1 "$T/hold.log" "VMM-BLK-SYNCED" KILL blkhold
	if has "$T/hold.log" "VMM-BLK-SYNCED" &&
	   dd if="$T/disk.img" bs=512 skip=32768 count=1 2>/dev/null | grep -q VMM-DURABLE; then
		ok blk-sync-survives-kill9
	else
		bad blk-sync-survives-kill9 "marker not in the image (guest said: $(grep -c VMM-BLK-SYNCED "$T/hold.log"))"
	fi
fi

# The balloon under QMP with the stock guest's own driver.
if [ $pvm = 1 ]; then
	for c in guest-ready inflate-reaches-target rss-drops deflate-reaches-target guest-stats quit-exit-0; do
		skp "stock-balloon-$c" "PVM: a stock guest's user space cannot run on this KVM"
	done
else
	python3 "$(dirname "$0")/stock_balloon.py" "$VMM" "$GUEST" > "$T/sb.out" 2>&1
	grep -E '^(PASS|FAIL|measure)' "$T/sb.out"
	pass=$((pass + $(grep -c '^PASS' "$T/sb.out")))
	fail=$((fail + $(grep -c '^FAIL' "$T/sb.out")))
	grep -q '^stock-balloon: ' "$T/sb.out" || bad stock-balloon "$(tail -5 "$T/sb.out")"
fi

echo "boot: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
