#!/bin/bash
# Integration tests: the real vmm binary on real KVM with tiny test guests,
# and every kind of bad user input. Prints one line per test and a closing
# "N passed, N failed" line; exits non-zero if anything failed.
set -u
VMM=$(realpath "$1")
GUESTS=$(realpath "$2")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# Keep a helper script's whole output in $1 and show its result lines as
# they come (a nested run's idle watchdog watches for progress). Plain
# bash: L1's grep may be busybox's, without --line-buffered.
results() {
	tee "$1" | while IFS= read -r l; do
		case $l in PASS*|FAIL*|measure*) echo "$l" ;; esac
	done
}
ok()   { echo "PASS $1"; pass=$((pass + 1)); }
bad()  { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# A Python check script (tests/integration/NAME.py): its PASS/FAIL lines
# count here, and it must end with its "PREFIX: n passed" summary.
pyscript() {
	local name=$1 prefix=$2 out="$T/$1.out"
	python3 -u "$(dirname "$0")/$name.py" "$VMM" "$GUESTS" 2>&1 | results "$out"
	pass=$((pass + $(grep -c '^PASS' "$out")))
	fail=$((fail + $(grep -c '^FAIL' "$out")))
	grep -q "^$prefix: " "$out" || bad "$prefix-script" "$(tail -5 "$out")"
}

# run NAME EXPECTED_STATUS STDERR_PATTERN STDOUT_PATTERN -- ARGS...
run() {
	local name=$1 want=$2 errpat=$3 outpat=$4
	shift 5
	${RUN_IN:-} timeout 60 "$VMM" "$@" </dev/null >"$T/out" 2>"$T/err"
	local st=$?
	if [ "$st" != "$want" ]; then
		bad "$name" "status $st, want $want; stderr: $(head -c 300 "$T/err")"
	elif [ -n "$errpat" ] && ! grep -qE -- "$errpat" "$T/err"; then
		bad "$name" "stderr lacks /$errpat/: $(head -c 300 "$T/err")"
	elif [ -n "$outpat" ] && ! grep -qE -- "$outpat" "$T/out"; then
		bad "$name" "stdout lacks /$outpat/: $(head -c 300 "$T/out")"
	elif grep -qiE 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation' "$T/err"; then
		bad "$name" "sanitizer or crash: $(head -c 300 "$T/err")"
	else
		ok "$name"
	fi
}

DX="-device isa-debug-exit,iobase=0xf4,iosize=4"
BAL="-device virtio-balloon-pci"

# ---- test guests on real KVM -------------------------------------------
run guest-pio-mmio 33 "" "MMIO ok" -- -kernel "$GUESTS/hello.elf" $DX
run guest-pio-mmio-smp2 33 "" "MMIO ok" -- -smp 2 -kernel "$GUESTS/hello.elf" $DX
run guest-pio-mmio-4g 33 "" "MMIO ok" -- -m 4G -kernel "$GUESTS/hello.elf" $DX
run guest-elf32-pvh 33 "ELF32, PVH entry" "MMIO ok" -- -v -kernel "$GUESTS/hello32.elf" $DX
run guest-i8042-reset 0 "" "resetting" -- -no-reboot -kernel "$GUESTS/reset.elf"
run guest-debug-exit 1 "" "resetting" -- -no-reboot -kernel "$GUESTS/reset.elf" $DX
run guest-triple-fault 1 "triple fault" "about to triple fault" -- \
	-no-reboot -kernel "$GUESTS/triple.elf"
# Without -no-reboot a reset is a machine reset (QEMU's default): the
# reboot guest boots four times (i8042, triple fault, i8042 output port)
# and checks each time that PCI config, MSI-X, the virtio device and
# KVM's clock MSR are back as at power-on.
for smp in 1 2; do
	run guest-reboot-4-boots-smp$smp 9 "the machine resets" "reboot ok: 4 boots" -- \
		-smp $smp -m 64M -kernel "$GUESTS/reboot.elf" $DX $BAL
	grep -q "kvmclock on" "$T/out" && ok guest-reboot-kvmclock-was-on-smp$smp ||
		bad guest-reboot-kvmclock-was-on-smp$smp "boot 1 could not turn it on: $(head -c 300 "$T/out")"
done
run guest-reboot-no-reboot 0 "" "boot 1" -- \
	-no-reboot -m 64M -kernel "$GUESTS/reboot.elf" $DX $BAL
grep -q "boot 2" "$T/out" && bad guest-reboot-no-reboot-once "booted again: $(head -c 300 "$T/out")" ||
	ok guest-reboot-no-reboot-once
# virtio-pci end to end: conf1 enumeration, capabilities, common_cfg,
# a queue, MSI-X, a kick, the used ring, the page returned to the host —
# with each combination of the fast paths, which must agree.
run virtio-fast-paths 33 "kicks 1 by ioeventfd, 0 by MMIO exit; interrupts 1 by irqfd, 0 by" \
	"virtio ok" -- -v -m 64M -kernel "$GUESTS/virtio.elf" $DX $BAL
run virtio-slow-paths 33 "kicks 0 by ioeventfd, 1 by MMIO exit; interrupts 0 by irqfd, 1 by" \
	"virtio ok" -- -v -m 64M -kernel "$GUESTS/virtio.elf" $DX $BAL,ioeventfd=off,irqfd=off
run virtio-ioeventfd-only 33 "kicks 1 by ioeventfd, 0 by MMIO exit; interrupts 0 by irqfd, 1 by" \
	"virtio ok" -- -v -m 64M -kernel "$GUESTS/virtio.elf" $DX $BAL,irqfd=off
run virtio-irqfd-only 33 "kicks 0 by ioeventfd, 1 by MMIO exit; interrupts 1 by irqfd, 0 by" \
	"virtio ok" -- -v -m 64M -kernel "$GUESTS/virtio.elf" $DX $BAL,ioeventfd=off
run virtio-intx 33 "interrupts 0 by irqfd, 0 by" "virtio ok" -- \
	-v -m 64M -kernel "$GUESTS/virtio.elf" -append intx $DX $BAL
run virtio-slot-addr 33 "virtio-balloon-pci at 00:07.0" "virtio ok" -- \
	-v -m 64M -kernel "$GUESTS/virtio.elf" $DX $BAL,addr=07.0
run balloon-twice 1 "only one balloon device" "" -- -no-reboot -kernel "$GUESTS/reset.elf" $BAL $BAL
run balloon-bad-prop 1 "unknown property 'size'" "" -- -no-reboot -kernel "$GUESTS/reset.elf" $BAL,size=1
run balloon-bad-bool 1 "bad value 'maybe' for 'ioeventfd'" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" $BAL,ioeventfd=maybe
run balloon-bad-addr 1 "bad value '40' for 'addr'" "" -- -no-reboot -kernel "$GUESTS/reset.elf" $BAL,addr=40
# virtio-rng: placed on the bus (the stock guest reads from it, tests/nested);
# QEMU's -object backends are refused by name.
run rng-placed 0 "virtio-rng-pci at 00:05.0" "" -- -v -no-reboot -kernel "$GUESTS/reset.elf" \
	-device virtio-rng-pci,addr=5
run rng-backend-refused 1 "virtio-rng-pci: unknown property 'rng' .the source is the host's getrandom" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -device virtio-rng-pci,rng=rng0

# ---- virtio-net on a tap in a namespace of our own --------------------
# The guest pings the host end through the real kernel; nothing leaves
# the namespace, which goes away with the test.
NS=vmm-it-$$
if ip netns add $NS 2>/dev/null; then
	nsrun() { ip netns exec $NS "$@"; }
	nsrun ip tuntap add dev vt0 mode tap multi_queue
	nsrun ip link set vt0 address 02:00:00:00:00:01
	nsrun ip addr add 10.77.0.1/24 dev vt0
	nsrun ip link set vt0 up
	nsrun ip neigh replace 10.77.0.2 lladdr 52:54:00:12:34:56 dev vt0
	NET="-netdev tap,id=n0,ifname=vt0,script=no,downscript=no -device virtio-net-pci,netdev=n0"
	RUN_IN="ip netns exec $NS"
	run net-ping 33 "1 frames sent, [1-9][0-9]* received, 1/0 dropped" \
		"net ok" -- -v -m 64M -kernel "$GUESTS/net.elf" $DX $NET
	grep -qE "virtio-net: kicks [1-9][0-9]* by ioeventfd, 0 by MMIO exit; interrupts 0 by irqfd" "$T/err" &&
		ok net-kicks-by-ioeventfd || bad net-kicks-by-ioeventfd "$(grep kicks "$T/err")"
	grep -q "TX chain shorter than the virtio-net header" "$T/err" && ok net-short-tx-logged ||
		bad net-short-tx-logged "no log line: $(head -c 300 "$T/err")"
	run net-ping-slow-paths 33 "kicks 0 by ioeventfd" "net ok" -- -v -m 64M \
		-kernel "$GUESTS/net.elf" $DX $NET,ioeventfd=off,irqfd=off
	run net-ping-no-vnet-hdr 33 "no script= given; vmm runs no /etc/qemu-ifup" "net ok" -- \
		-m 64M -kernel "$GUESTS/net.elf" $DX \
		-netdev tap,id=n0,ifname=vt0,vnet_hdr=off -device virtio-net-pci,netdev=n0
	# -nic: the same tap and card in QEMU's one-option shorthand.
	run net-ping-nic 33 "" "net ok" -- -m 64M -kernel "$GUESTS/net.elf" $DX \
		-nic tap,ifname=vt0,script=no,downscript=no,model=virtio-net-pci,mac=52:54:00:12:34:56
	run net-ping-two-queues 33 "2 queue pairs, offloads" "net ok" -- -v -m 64M \
		-kernel "$GUESTS/net.elf" $DX -netdev tap,id=n0,ifname=vt0,queues=2 \
		-device virtio-net-pci,netdev=n0,mq=on
	# fd=: a tap opened by the caller (as libvirt does) and inherited.
	nsrun python3 - "$VMM" "$GUESTS/net.elf" "$T" <<'PY' >"$T/fd.out" 2>&1
import fcntl, os, struct, subprocess, sys
vmm, guest, t = sys.argv[1:4]
fd = os.open("/dev/net/tun", os.O_RDWR)
# TUNSETIFF: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"vt0", 0x0002 | 0x1000 | 0x4000 | 0x0100))
r = subprocess.run([vmm, "-m", "64M", "-kernel", guest, "-device",
                    "isa-debug-exit,iobase=0xf4,iosize=4", "-netdev", "tap,id=n0,fd=%d" % fd,
                    "-device", "virtio-net-pci,netdev=n0"], pass_fds=[fd],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
print("status", r.returncode)
print(r.stdout, r.stderr)
PY
	grep -q "status 33" "$T/fd.out" && grep -q "net ok" "$T/fd.out" && ok net-tap-fd ||
		bad net-tap-fd "$(head -c 300 "$T/fd.out")"
	# The tap deleted under a running guest: link down, no crash.
	nsrun "$VMM" -m 64M -kernel "$GUESTS/net.elf" -append hold $DX $NET \
		</dev/null >"$T/hold.out" 2>"$T/hold.err" &
	vm=$!
	# Generous bounds: a nested or emulated KVM is slow to get there.
	for _ in $(seq 600); do grep -q "net ok" "$T/hold.out" && break; sleep 0.1; done
	nsrun ip link del vt0
	for _ in $(seq 600); do kill -0 $vm 2>/dev/null || break; sleep 0.1; done
	kill -9 $vm 2>/dev/null; wait $vm; st=$?
	if [ $st = 33 ] && grep -q "link down seen" "$T/hold.out" &&
	   grep -q "link down" "$T/hold.err"; then ok net-tap-deleted-link-down
	else bad net-tap-deleted-link-down "status $st: $(tail -c 300 "$T/hold.err")"; fi
	RUN_IN=
	ip netns del $NS
else
	echo "SKIP net-*: cannot create a network namespace (not root)"
fi
run net-no-netdev 1 "no -netdev with id 'n9'" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-device virtio-net-pci,netdev=n9
run net-script 1 "script=/etc/qemu-ifup: this VMM runs no scripts" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -netdev tap,id=n0,script=/etc/qemu-ifup
# -netdev user: the stack's thread starts, confines itself (net-user
# class) and stops with the guest; a taken host port and a bad rule are
# errors before the guest runs.
run net-user-runs 0 "" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-netdev user,id=n0,hostfwd=tcp:127.0.0.1:7555-:22 -device virtio-net-pci,netdev=n0
run net-user-port-taken 1 "-netdev user,id=n0: hostfwd: cannot listen on tcp 127.0.0.1:7556" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" \
	-netdev user,id=n0,hostfwd=tcp:127.0.0.1:7556-:22,hostfwd=tcp:127.0.0.1:7556-:23 \
	-device virtio-net-pci,netdev=n0
run nic-user-bad-fwd 1 "hostfwd=tcp::0-:22 is not \\[tcp\\|udp\\]" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -nic user,hostfwd=tcp::0-:22
run net-bad-mac 1 "bad value '01:00:5e:00:00:01' for 'mac'" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-netdev tap,id=n0 -device virtio-net-pci,netdev=n0,mac=01:00:5e:00:00:01
run net-bad-queues 1 "queues=9 is not between 1 and 7" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-netdev tap,id=n0,queues=9
run net-bad-fd 1 "fd=0 is not an open tap device" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-netdev tap,id=n0,fd=0 -device virtio-net-pci,netdev=n0
run net-netdev-twice 1 "netdev 'n0' is already used" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-netdev tap,id=n0 -device virtio-net-pci,netdev=n0 -device virtio-net-pci,netdev=n0

# QMP end to end with the balloon guest (RSS given back and regained).
# Streamed line by line: a nested run's idle watchdog sees the progress.
pyscript qmp_balloon qmp

# SHUTDOWN with QEMU's reasons on every exit path.
pyscript qmp_shutdown qmp-shutdown

# -S, stop, cont: the vCPUs park and go on; STOP/RESUME; query-status.
pyscript qmp_runstate qmp-runstate

# QMP on TCP (loopback) and through -chardev socket + -mon.
pyscript qmp_transport qmp-transport

# The queries (cpus, pci, block, qom-list, HMP) and QMP's strictness.
pyscript qmp_query qmp-query

# virtio-blk on io_uring: write, flush, read back, serial, refusals; the
# data must be in the image file afterwards; read-only drives refuse.
head -c 1M /dev/zero > "$T/disk.img"
BLK="-drive file=$T/disk.img,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0,serial=vmm-ser1"
run blk-round-trip 33 "kicks 6 by ioeventfd" "blk ok" -- -v -m 64M -kernel "$GUESTS/blk.elf" $DX $BLK
if [ "$(od -A n -t x1 -j 512 -N 4 "$T/disk.img" | tr -d ' ')" = 01005aa5 ]; then
	ok blk-data-in-image
else
	bad blk-data-in-image "sector 1 is $(od -A n -t x1 -j 512 -N 8 "$T/disk.img")"
fi
# -snapshot: the guest writes and reads its data back, the image stays
# as it was (zeros), and nobody could write it meanwhile (read lock).
head -c 1M /dev/zero > "$T/snap.img"
SNAP="-drive file=$T/snap.img,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0,serial=vmm-ser1"
run blk-snapshot 33 "" "blk ok" -- -m 64M -kernel "$GUESTS/blk.elf" $DX $SNAP -snapshot
if [ "$(od -A n -t x1 -j 512 -N 4 "$T/snap.img" | tr -d ' ')" = 00000000 ] &&
   cmp -s "$T/snap.img" <(head -c 1M /dev/zero); then
	ok blk-snapshot-image-untouched
else
	bad blk-snapshot-image-untouched "sector 1 is $(od -A n -t x1 -j 512 -N 8 "$T/snap.img")"
fi
run blk-snapshot-per-drive-off 33 "" "blk ok" -- -m 64M -kernel "$GUESTS/blk.elf" $DX \
	-drive file=$T/snap.img,if=none,id=d0,format=raw,snapshot=off \
	-device virtio-blk-pci,drive=d0,serial=vmm-ser1 -snapshot
if [ "$(od -A n -t x1 -j 512 -N 4 "$T/snap.img" | tr -d ' ')" = 01005aa5 ]; then
	ok blk-snapshot-off-writes-image
else
	bad blk-snapshot-off-writes-image "sector 1 is $(od -A n -t x1 -j 512 -N 8 "$T/snap.img")"
fi
RUN_IN="env TMPDIR=/nonexistent" run blk-snapshot-no-tmpdir 1 "snapshot: cannot make a temporary overlay" "" -- \
	-m 64M -kernel "$GUESTS/blk.elf" $DX $SNAP -snapshot
run blk-slow-paths 33 "kicks 0 by ioeventfd, 6 by MMIO exit" "blk ok" -- \
	-v -m 64M -kernel "$GUESTS/blk.elf" $DX $BLK,ioeventfd=off,irqfd=off
head -c 1M /dev/zero > "$T/ro.img"
# The thread-pool backend, several queues, 4 KiB blocks: same guest.
BLKT="-drive file=$T/disk.img,if=none,id=d0,format=raw,aio=threads -device virtio-blk-pci,drive=d0,serial=vmm-ser1"
run blk-aio-threads 33 "sectors, 1 queue, aio=threads" "blk ok" -- -v -m 64M \
	-kernel "$GUESTS/blk.elf" $DX $BLKT
run blk-mq 33 "3 queues, io_uring" "blk ok" -- -v -m 64M -kernel "$GUESTS/blk.elf" \
	-append mq $DX $BLK,num-queues=3
run blk-mq-threads 33 "2 queues, aio=threads" "blk ok" -- -v -m 64M \
	-kernel "$GUESTS/blk.elf" -append mq $DX $BLKT,num-queues=2
run blk-4k 33 "" "blk ok" -- -m 64M -kernel "$GUESTS/blk.elf" -append 4k $DX \
	$BLK,logical_block_size=4096,physical_block_size=4096
if [ "$(od -A n -t x1 -j 4096 -N 4 "$T/disk.img" | tr -d ' ')" = "01005aa5" ]; then
	ok blk-4k-data-in-image
else
	bad blk-4k-data-in-image "sector 8 is $(od -A n -t x1 -j 4096 -N 8 "$T/disk.img")"
fi

# Durability: once the guest saw its FLUSH complete, kill -9 of the VMM
# must not lose the write (writeback, and O_DIRECT).
for cache in writeback none; do
	truncate -s 0 "$T/dur.img"; truncate -s 1M "$T/dur.img"
	"$VMM" -m 64M -kernel "$GUESTS/blk.elf" -append hold $DX \
		-drive file=$T/dur.img,if=none,id=d0,format=raw,cache=$cache \
		-device virtio-blk-pci,drive=d0,serial=vmm-ser1 </dev/null >"$T/dur.out" 2>&1 &
	vm=$!
	for _ in $(seq 600); do grep -q "blk flushed" "$T/dur.out" && break; sleep 0.1; done
	kill -9 $vm; wait $vm 2>/dev/null
	if ! grep -q "blk flushed" "$T/dur.out"; then
		bad blk-durable-$cache "the guest never flushed: $(head -c 300 "$T/dur.out")"
	elif [ "$(od -A n -t x1 -j 512 -N 4 "$T/dur.img" | tr -d ' ')" = "01005aa5" ]; then
		ok blk-durable-$cache
	else
		bad blk-durable-$cache "sector 1 lost after kill -9"
	fi
done

# A non-raw image without format=: refused by name, the file untouched
# (QEMU would open it as qcow2; as raw, a guest write would corrupt it).
printf 'QFI\xfb\0\0\0\3' > "$T/q.img"; truncate -s 1M "$T/q.img"
sum=$(md5sum < "$T/q.img")
run drive-qcow2-refused 1 "'$T/q.img' is a qcow2 image, and vmm reads raw images only" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -drive file=$T/q.img,if=virtio
run drive-qcow2-as-raw 0 "" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -drive file=$T/q.img,if=virtio,format=raw
if [ "$(md5sum < "$T/q.img")" = "$sum" ]; then ok drive-qcow2-untouched
else bad drive-qcow2-untouched "the image changed"; fi

# The sandbox (-sandbox, default on): every thread of a running VMM with
# each thread class present carries its seccomp filter, SIGTERM still
# tears everything down with status 0; -sandbox off installs nothing.
for sb in on off; do
	truncate -s 0 "$T/sb.img"; truncate -s 1M "$T/sb.img"
	# (LeakSanitizer, in an ASan build, would ptrace the process at exit:
	# the filter rightly kills that; leaks are checked by every other test.)
	ASAN_OPTIONS=detect_leaks=0 \
	"$VMM" -sandbox $sb -m 64M -kernel "$GUESTS/blk.elf" -append hold $DX \
		-drive file=$T/sb.img,if=none,id=d0,format=raw,aio=threads \
		-device virtio-blk-pci,drive=d0,serial=vmm-ser1 $BAL \
		-qmp unix:$T/sb.sock,server=on,wait=off \
		< <(sleep 120) >"$T/sb.out" 2>"$T/sb.err" &
	vm=$!
	for _ in $(seq 600); do grep -q "blk flushed" "$T/sb.out" && break; sleep 0.1; done
	modes=$(grep -h '^Seccomp:' /proc/$vm/task/*/status 2>/dev/null |
		tr -dc '0-9\n' | sort | uniq -c | tr -s ' ' | sed 's/^ //')
	threads=$(ls /proc/$vm/task 2>/dev/null | wc -l)
	kill -TERM $vm; wait $vm; st=$?
	want="$threads $([ $sb = on ] && echo 2 || echo 0)"
	# main, vCPU, console, QMP, 2 device I/O threads, 4 blk workers.
	if [ "$threads" -ge 10 ] && [ "$modes" = "$want" ] && [ $st = 0 ]; then
		ok sandbox-$sb-every-thread
	else
		bad sandbox-$sb-every-thread "$threads threads, Seccomp modes '$modes' (want '$want'), status $st: $(head -c 300 "$T/sb.err")"
	fi
done
run sandbox-bad-value 1 "-sandbox: 'maybe' is not on or off." "" -- \
	-sandbox maybe -no-reboot -kernel "$GUESTS/reset.elf"

# A host filesystem that fills up: the guest gets IOERR, the VMM goes on.
mkdir -p "$T/full"
if mount -t tmpfs -o size=1M tmpfs "$T/full" 2>/dev/null; then
	truncate -s 8M "$T/full/disk.img"
	run blk-host-disk-full 33 "No space left on device \\(logged once\\)" "blk full ok" -- \
		-m 64M -kernel "$GUESTS/blk.elf" -append full $DX \
		-drive file=$T/full/disk.img,if=none,id=d0,format=raw \
		-device virtio-blk-pci,drive=d0
	[ "$(grep -c 'logged once' "$T/err")" = 1 ] && ok blk-host-disk-full-logged-once ||
		bad blk-host-disk-full-logged-once "$(grep -c 'logged once' "$T/err") lines"
	umount "$T/full"
else
	echo "SKIP blk-host-disk-full: cannot mount a small tmpfs (not root)"
fi
# Odd images: a size that is not a multiple of 512 (the tail is not
# seen), a block device (a loop device over the image), and cache=none
# where the filesystem may refuse O_DIRECT (tmpfs): works or says so.
head -c $((1048576 + 100)) /dev/zero > "$T/odd.img"
run blk-odd-size 33 "2048 sectors" "blk ok" -- -v -m 64M -kernel "$GUESTS/blk.elf" $DX \
	-drive file=$T/odd.img,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0,serial=vmm-ser1
[ "$(stat -c %s "$T/odd.img")" = $((1048576 + 100)) ] && ok blk-odd-size-kept ||
	bad blk-odd-size-kept "size changed"
if loopdev=$(losetup -f --show "$T/odd.img" 2>/dev/null); then
	run blk-block-device 33 "'$loopdev', 2048 sectors" "blk ok" -- -v -m 64M \
		-kernel "$GUESTS/blk.elf" $DX -drive file=$loopdev,if=none,id=d0,format=raw,cache=none \
		-device virtio-blk-pci,drive=d0,serial=vmm-ser1
	losetup -d "$loopdev"
else
	echo "SKIP blk-block-device: no loop device here"
fi
mkdir -p "$T/tmpfs"
if mount -t tmpfs -o size=4M tmpfs "$T/tmpfs" 2>/dev/null; then
	truncate -s 1M "$T/tmpfs/d.img"
	timeout 60 "$VMM" -m 64M -kernel "$GUESTS/blk.elf" $DX \
		-drive file=$T/tmpfs/d.img,if=none,id=d0,format=raw,cache=none \
		-device virtio-blk-pci,drive=d0,serial=vmm-ser1 </dev/null >"$T/out" 2>"$T/err"
	st=$?
	if [ $st = 33 ] && grep -q "blk ok" "$T/out"; then ok blk-tmpfs-cache-none
	elif [ $st = 1 ] && grep -q "does not support cache=none (no O_DIRECT" "$T/err"; then
		ok blk-tmpfs-cache-none
	else bad blk-tmpfs-cache-none "status $st: $(head -c 300 "$T/err")"; fi
	umount "$T/tmpfs"
else
	echo "SKIP blk-tmpfs-cache-none: cannot mount tmpfs (not root)"
fi
run blk-read-only 33 "" "blk ok" -- -m 64M -kernel "$GUESTS/blk.elf" -append ro $DX \
	-drive file=$T/ro.img,if=none,id=d0,format=raw,readonly=on \
	-device virtio-blk-pci,drive=d0,serial=vmm-ser1
if cmp -s "$T/ro.img" <(head -c 1M /dev/zero); then ok blk-read-only-untouched
else bad blk-read-only-untouched "the read-only image changed"; fi
run blk-if-virtio 33 "" "blk ok" -- -m 64M -kernel "$GUESTS/blk.elf" -append ro-noserial $DX \
	-drive file=$T/ro.img,if=virtio,format=raw,readonly=on
# An image in use by one VMM cannot be opened for writing by another.
"$VMM" -no-reboot -kernel "$GUESTS/echo.elf" -drive file=$T/disk.img,if=virtio,format=raw \
	< <(sleep 10) >/dev/null 2>&1 &
holder=$!
# Until the holder has the image locked (slow hosts take a while).
ino=$(stat -c %i "$T/disk.img")
for i in $(seq 50); do grep -q ":$ino " /proc/locks && break; sleep 0.2; done
run blk-image-locked 1 "'$T/disk.img' is locked by another process" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -drive file=$T/disk.img,if=virtio,format=raw
kill $holder 2>/dev/null; wait $holder 2>/dev/null
size_before=$(stat -c %s "$T/disk.img")
run blk-format 1 "format 'qcow2' is not supported" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-drive file=$T/disk.img,if=virtio,format=qcow2
run blk-bad-aio 1 "aio=native is not one of io_uring, threads" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-drive file=$T/disk.img,if=virtio,aio=native
run blk-bad-lbs 1 "logical_block_size=1024 is not 512 or 4096" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	$BLK,logical_block_size=1024
run blk-bad-queues 1 "num-queues=17 is not between 1 and 16" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	$BLK,num-queues=17
run blk-missing-file 1 "cannot open '$T/none.img'" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-drive file=$T/none.img,if=virtio
run blk-no-drive 1 "no -drive with id 'd9'" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-device virtio-blk-pci,drive=d9
run blk-drive-twice 1 "drive 'd0' is already used" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-drive file=$T/disk.img,if=none,id=d0 -device virtio-blk-pci,drive=d0 \
	-device virtio-blk-pci,drive=d0
run blk-bad-cache 1 "cache=sometimes is not one of" "" -- -no-reboot -kernel "$GUESTS/reset.elf" \
	-drive file=$T/disk.img,if=virtio,cache=sometimes
[ "$(stat -c %s "$T/disk.img")" = "$size_before" ] && ok blk-image-not-truncated ||
	bad blk-image-not-truncated "size changed"

# The PVM workarounds: active only on PVM, and needed there.
if [ -d /sys/module/kvm_pvm ]; then
	run pvm-quirks-finish-insns 33 "PVM: finished 1 int3" \
		"quirks ok" -- -v -kernel "$GUESTS/quirks.elf" $DX
	run pvm-quirks-off-fails 1 "could not emulate an instruction \(bytes 9b" "" -- \
		-pvm-quirks off -kernel "$GUESTS/quirks.elf" $DX
else
	run quirks-guest-native 33 "" "quirks ok" -- -kernel "$GUESTS/quirks.elf" $DX
	run pvm-quirks-inert 33 "" "quirks ok" -- -v -kernel "$GUESTS/quirks.elf" $DX
	grep -q "PVM quirks on" "$T/err" && bad pvm-quirks-off-on-hardware "quirks enabled without kvm_pvm"
fi

run serial-none 0 "" "" -- -serial none -no-reboot -kernel "$GUESTS/reset.elf"
if [ ! -s "$T/out" ]; then ok serial-none-is-silent; else bad serial-none-is-silent "output: $(cat "$T/out")"; fi
run serial-file 0 "" "" -- -serial "file:$T/serial.log" -no-reboot -kernel "$GUESTS/reset.elf"
if grep -q resetting "$T/serial.log" 2>/dev/null; then ok serial-file-content; else bad serial-file-content "no guest output in the file"; fi

# Console input reaches the guest through the UART.
out=$(printf 'hello vmmq' | timeout 30 "$VMM" -no-reboot -kernel "$GUESTS/echo.elf" 2>"$T/err")
st=$?
if [ $st = 0 ] && echo "$out" | grep -q "HELLO VMMQ"; then ok console-input
else bad console-input "status $st, output: $out"; fi

# SIGTERM stops a running guest cleanly (status 0, like QEMU).
"$VMM" -no-reboot -kernel "$GUESTS/echo.elf" </dev/zero >/dev/null 2>"$T/err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
st=$?
if [ $st = 0 ] && grep -q "signal 15" "$T/err"; then ok sigterm-clean-exit
else bad sigterm-clean-exit "status $st: $(cat "$T/err")"; fi

# -pidfile: the VMM's pid once it is set up, removed when it ends.
"$VMM" -m 32M -no-reboot -kernel "$GUESTS/echo.elf" -name pidtest -pidfile "$T/vmm.pid" \
	< <(sleep 3; echo q) > "$T/pf.out" 2>&1 &
vm=$!
for _ in $(seq 300); do [ -s "$T/vmm.pid" ] && break; sleep 0.1; done
got=$(cat "$T/vmm.pid" 2>/dev/null)
wait $vm; st=$?
if [ "$got" = "$vm" ] && [ $st = 0 ] && [ ! -e "$T/vmm.pid" ]; then ok pidfile-written-and-removed
else bad pidfile-written-and-removed "pidfile '$got' for $vm, status $st, left: $(ls "$T"/vmm.pid 2>&1)"; fi
run pidfile-unwritable 1 "-pidfile: cannot write '/nonexistent/x.pid'" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -pidfile /nonexistent/x.pid

# -D FILE: the VMM's log lines go to the file (appended), not stderr.
echo "earlier line" > "$T/vmm.log"
run log-file 33 "" "MMIO ok" -- -v -kernel "$GUESTS/hello.elf" $DX -D "$T/vmm.log"
if [ "$(head -1 "$T/vmm.log")" = "earlier line" ] && grep -q '^vmm: .*isa-debug-exit' "$T/vmm.log" &&
   ! grep -q $'\r' "$T/vmm.log" && ! grep -q '^vmm: ' "$T/err"; then
	ok log-file-has-the-lines
else
	bad log-file-has-the-lines "log: $(head -c 300 "$T/vmm.log"); stderr: $(head -c 200 "$T/err")"
fi
run log-file-unwritable 1 "-D: cannot open '/nonexistent/vmm.log'" "" -- \
	-kernel "$GUESTS/hello.elf" -D /nonexistent/vmm.log

# QEMU's help requests: what exists, and a device's properties.
run device-help 0 "" 'name "virtio-blk-pci", bus PCI' -- -device help
run device-props-help 0 "" "num-queues=<int>" -- -device virtio-blk-pci,help
run device-props-help-unknown 1 "'nope' is not a device this VMM has" "" -- -device nope,help
run machine-help 0 "" "^microvm" -- -machine help
run cpu-help 0 "" "host" -- -cpu help
run netdev-help 0 "" "^tap" -- -netdev help

# -daemonize: the command returns once the VM is set up (status 0, the
# pidfile names the detached VMM, which runs on: QMP answers, the console
# file fills), and a setup error still reaches the caller with status 1.
rm -f "$T/d.pid" "$T/d.sock" "$T/d.console"
"$VMM" -m 32M -kernel "$GUESTS/hello.elf" -daemonize -pidfile "$T/d.pid" \
	-serial file:"$T/d.console" -qmp unix:"$T/d.sock",server=on,wait=off \
	$DX -S > "$T/d.out" 2>&1
st=$?
dpid=$(cat "$T/d.pid" 2>/dev/null)
if [ $st = 0 ] && [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null && [ -S "$T/d.sock" ] &&
   [ "$(cut -d' ' -f6 "/proc/$dpid/stat")" = "$dpid" ]; then
	ok daemonize-returns-after-setup
else
	bad daemonize-returns-after-setup "status $st, pid '$dpid', $(cat "$T/d.out")"
fi
# The paused guest runs on cont and ends through isa-debug-exit.
timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
f.readline()
for c in (b"qmp_capabilities", b"cont"):
    f.write(b"{\"execute\": \"" + c + b"\"}\n"); f.flush(); print(f.readline().decode())
' "$T/d.sock" > "$T/d.qmp" 2>&1
for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
if grep -q '"return"' "$T/d.qmp" && ! kill -0 "$dpid" 2>/dev/null &&
   grep -q 'MMIO ok' "$T/d.console" && [ ! -e "$T/d.pid" ]; then
	ok daemonize-vm-runs-detached
else
	bad daemonize-vm-runs-detached "qmp: $(head -c 300 "$T/d.qmp"); console: $(head -c 200 "$T/d.console" 2>&1)"
	kill "$dpid" 2>/dev/null
fi
run daemonize-setup-error-reaches-caller 1 "cannot read kernel '/nonexistent'" "" -- \
	-kernel /nonexistent -daemonize -serial none
run daemonize-needs-console-off-stdio 1 "-daemonize: the console cannot stay on stdio" "" -- \
	-kernel "$GUESTS/hello.elf" -daemonize

# The interactive console: raw mode, input, Ctrl-A x, terminal restored
# (also when the guest dies instead of the user quitting).
if command -v tmux >/dev/null; then
	for g in echo triple; do
		tmux kill-session -t vmmtest 2>/dev/null
		tmux new-session -d -s vmmtest -x 100 -y 10 \
			"stty -a > $T/tty.before; $VMM -no-reboot -kernel $GUESTS/$g.elf 2>/dev/null; echo EXIT=\$? > $T/tty.status; stty -a > $T/tty.after; sleep 5"
		sleep 1
		tmux send-keys -t vmmtest 'abc'
		sleep 0.3
		tmux send-keys -t vmmtest C-a x
		for ((i = 0; i < 20; i++)); do [ -s "$T/tty.after" ] && break; sleep 0.2; done
		screen=$(tmux capture-pane -t vmmtest -p)
		tmux kill-session -t vmmtest 2>/dev/null
		want=0; [ $g = triple ] && want=1
		if [ "$(cat "$T/tty.status" 2>/dev/null)" = "EXIT=$want" ] &&
		   cmp -s "$T/tty.before" "$T/tty.after" &&
		   { [ $g != echo ] || echo "$screen" | grep -q ABC; }; then
			ok "tty-$g-raw-mode-restored"
		else
			bad "tty-$g-raw-mode-restored" "$(cat "$T/tty.status" 2>/dev/null) screen: $screen"
		fi
		rm -f "$T"/tty.*
	done
fi

# ---- bad user input: one sentence naming the culprit, non-zero status ----
head -c 65536 /dev/urandom > "$T/random.bin"
head -c 100 "$GUESTS/hello.elf" > "$T/truncated.elf"
head -c 2000000 /dev/zero > "$T/zero.bin"
run missing-kernel 1 "cannot read kernel '$T/nope'" "" -- -kernel "$T/nope"
run kernel-is-directory 1 "kernel '$T' is not a regular file" "" -- -kernel "$T"
run random-kernel 1 "is not a kernel" "" -- -kernel "$T/random.bin"
run truncated-elf 1 "damaged or not a bootable" "" -- -kernel "$T/truncated.elf"
python3 - "$GUESTS/hello.elf" "$T" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
b = bytearray(open(src, 'rb').read())
phoff = struct.unpack_from('<Q', b, 32)[0]
def with_paddr(paddr, name):
    c = bytearray(b)
    struct.pack_into('<Q', c, phoff + 24, paddr)   # p_paddr of PT_LOAD
    open(f'{out}/{name}', 'wb').write(c)
with_paddr(512 * 2**20 - 16, 'past-ram.elf')       # crosses the end of RAM
with_paddr(2**64 - 64, 'wrap.elf')                  # wraps 64 bits
c = bytearray(b)
struct.pack_into('<H', c, 56, 0xffff)               # absurd e_phnum
open(f'{out}/phnum.elf', 'wb').write(c)
PY
run elf-past-ram 1 "does not fit in 512 MiB" "" -- -kernel "$T/past-ram.elf"
run elf-wraps 1 "does not fit" "" -- -kernel "$T/wrap.elf"
run elf-absurd-phnum 1 "damaged or not a bootable" "" -- -kernel "$T/phnum.elf"
run missing-initrd 1 "cannot read initrd '$T/nope'" "" -- \
	-no-reboot -kernel "$GUESTS/reset.elf" -initrd "$T/nope"
head -c 20M /dev/zero > "$T/big.initrd"
run initrd-larger-than-ram 1 "initrd '$T/big.initrd'.*larger than guest RAM" "" -- \
	-m 16M -no-reboot -kernel "$GUESTS/reset.elf" -initrd "$T/big.initrd"
run m-zero 1 "-m: '0'" "" -- -m 0 -no-reboot -kernel "$GUESTS/reset.elf"
run m-huge 1 "-m: '99999999G'" "" -- -m 99999999G -no-reboot -kernel "$GUESTS/reset.elf"
run smp-zero 1 "-smp: '0'" "" -- -smp 0 -no-reboot -kernel "$GUESTS/reset.elf"
run smp-1000 1 "-smp: '1000'" "" -- -smp 1000 -no-reboot -kernel "$GUESTS/reset.elf"
run unknown-option 1 "unknown option '-bogus'" "" -- -bogus -no-reboot -kernel "$GUESTS/reset.elf"
run missing-value 1 "option '-m' needs a value" "" -- -no-reboot -kernel "$GUESTS/reset.elf" -m
run no-kernel 1 "no kernel given" "" -- -m 1G
run serial-file-unwritable 1 "-serial: cannot open" "" -- \
	-serial file:/nonexistent/dir/log -no-reboot -kernel "$GUESTS/reset.elf"
run help 0 "" "-kernel FILE" -- --help
run version 0 "" "^vmm [0-9]" -- --version

# No /dev/kvm, or no permission to open it.
if command -v unshare >/dev/null; then
	unshare -m sh -c "mount -t tmpfs none /dev && exec $VMM -kernel $GUESTS/reset.elf" \
		</dev/null >/dev/null 2>"$T/err"
	st=$?
	if [ $st = 1 ] && grep -q "/dev/kvm does not exist" "$T/err"; then ok no-dev-kvm
	else bad no-dev-kvm "status $st: $(cat "$T/err")"; fi
fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	cp "$GUESTS/reset.elf" "$T/pub.elf"; chmod 755 "$T"; chmod 644 "$T/pub.elf"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VMM" -kernel "$T/pub.elf" \
		</dev/null >/dev/null 2>"$T/err"
	st=$?
	if [ $st = 1 ] && grep -q "no permission to open /dev/kvm" "$T/err"; then ok kvm-permission
	else bad kvm-permission "status $st: $(cat "$T/err")"; fi
fi

echo "integration: $pass passed, $fail failed"
[ $fail = 0 ]
