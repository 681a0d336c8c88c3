#!/bin/bash
# Start-to-exit wall time and peak RSS of vmm for a minimal PVH guest that
# writes one line to the serial port and leaves, against QEMU's microvm
# booting the same ELF, in the same run. Prints medians and the ratios.
set -u
VMM=$(realpath "$1")
GUESTS=$(realpath "$2")
N=${BENCH_RUNS:-20}
ELF="$GUESTS/reset.elf"
QEMU=$(command -v qemu-system-x86_64 || true)

measure() {   # measure OUT_PREFIX CMD...: N runs, wall ms and max RSS KiB
	local pfx=$1
	shift
	: > "$pfx.wall"; : > "$pfx.rss"
	for ((i = 0; i < N; i++)); do
		/usr/bin/time -f "%e %M" -o "$pfx.one" "$@" </dev/null >/dev/null 2>&1
		read -r secs rss < <(tail -1 "$pfx.one")
		echo "$secs" | awk '{ printf "%.1f\n", $1 * 1000 }' >> "$pfx.wall"
		echo "$rss" >> "$pfx.rss"
	done
}
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DX="-device isa-debug-exit,iobase=0xf4,iosize=4"

# Our wall time uses a precise clock too: /usr/bin/time has 10 ms steps.
precise() {
	local pfx=$1
	shift
	: > "$pfx.wallp"
	for ((i = 0; i < N; i++)); do
		s=$(date +%s%N)
		"$@" </dev/null >/dev/null 2>&1
		e=$(date +%s%N)
		echo "$(( (e - s) / 1000 ))" | awk '{ printf "%.2f\n", $1 / 1000 }' >> "$pfx.wallp"
	done
}

measure "$T/vmm" "$VMM" -no-reboot -m 128M -kernel "$ELF" $DX
precise "$T/vmm" "$VMM" -no-reboot -m 128M -kernel "$ELF" $DX
vw=$(median "$T/vmm.wallp"); vr=$(median "$T/vmm.rss")
echo "vmm:   median wall ${vw} ms, median peak RSS $((vr)) KiB ($N runs)"

if [ -n "$QEMU" ]; then
	Q=("$QEMU" -M microvm -enable-kvm -m 128M -nographic -no-reboot
	   -kernel "$ELF" $DX -nodefaults -serial stdio)
	measure "$T/qemu" "${Q[@]}"
	precise "$T/qemu" "${Q[@]}"
	qw=$(median "$T/qemu.wallp"); qr=$(median "$T/qemu.rss")
	echo "qemu:  median wall ${qw} ms, median peak RSS $((qr)) KiB ($N runs, microvm)"
	awk -v a="$vw" -v b="$qw" -v c="$vr" -v d="$qr" 'BEGIN {
		printf "ratio: vmm wall = %.3f x QEMU (%.1fx faster), vmm RSS = %.3f x QEMU\n",
			a / b, b / a, c / d }'
else
	echo "qemu:  not installed (scripts/deps.sh --bench installs it)"
fi

# CPU time and the kernel's own clock, where perf works.
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
	echo "perf stat -r $N (task-clock = CPU the VMM used; elapsed = wall):"
	perf stat -r "$N" "$VMM" -no-reboot -m 128M -kernel "$ELF" $DX </dev/null 2>&1 >/dev/null |
		grep -E 'task-clock|elapsed' | sed 's/^/  vmm  /'
	[ -n "$QEMU" ] && perf stat -r "$N" "${Q[@]}" </dev/null 2>&1 >/dev/null |
		grep -E 'task-clock|elapsed' | sed 's/^/  qemu /'
fi
