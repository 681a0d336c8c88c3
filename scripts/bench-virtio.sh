#!/bin/bash
# virtio-pci notification round trip (guest kick -> used-ring MSI-X
# interrupt), fast paths (ioeventfd + irqfd) on and off, measured with the
# rtt test guest: the wall time of N round trips minus that of 0, over N.
# QEMU is not run here: its modern virtio BAR is a 64-bit BAR the 32-bit
# test guest cannot reach, so there is no like-for-like peer yet.
set -u
VMM=$(realpath "$1")
GUESTS=$(realpath "$2")
N=${BENCH_RTT:-20000}
REPS=${BENCH_REPS:-3}

run() {   # run N OPTS: median wall ms of REPS runs
	local n=$1 o=$2
	for ((i = 0; i < REPS; i++)); do
		s=$(date +%s%N)
		"$VMM" -m 64M -kernel "$GUESTS/rtt.elf" -append "$n" \
			-device isa-debug-exit,iobase=0xf4,iosize=4 \
			-device "virtio-balloon-pci$o" </dev/null >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(( (e - s) / 1000 ))
	done | sort -n | sed -n "$(( (REPS + 1) / 2 ))p"
}

for mode in "fast paths (ioeventfd+irqfd)|" "slow paths (MMIO exit+KVM_SIGNAL_MSI)|,ioeventfd=off,irqfd=off" \
	    "ioeventfd only|,irqfd=off" "irqfd only|,ioeventfd=off"; do
	name=${mode%%|*} o=${mode#*|}
	base=$(run 0 "$o")
	full=$(run "$N" "$o")
	awk -v n="$N" -v b="$base" -v f="$full" -v m="$name" 'BEGIN {
		printf "rtt %-40s %7.2f us per round trip (%d in %.0f ms)\n",
			m, (f - b) / n, n, (f - b) / 1000 }'
done
