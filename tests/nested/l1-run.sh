#!/bin/bash
# Run a command inside L1, a Debian kernel under QEMU's TCG (-cpu max:
# AMD SVM with nested paging) whose kvm-amd offers a real /dev/kvm. Used
# for every stock-guest check: PVM, this machine's own KVM, cannot run a
# stock guest's user space.
#
#   l1-run.sh [-t SECS] [-i IDLE_SECS] [-m MEM] [-l CONSOLE_LOG]
#             [-s SCRATCH_SIZE] [-e NAME=VALUE]... [-f PATH]... -- COMMAND...
#
# Each -f PATH (a file or a directory) is copied into L1 at the same
# path, with the shared libraries its executables need; COMMAND runs in
# L1 as root in the current directory's path, with stdin /dev/null. Its
# output streams here (through L1's second serial port); L1's own
# console goes to CONSOLE_LOG. The exit status is COMMAND's, 124 if L1
# did not finish within SECS (default 900), 125 if L1 had no /dev/kvm.
# With -s, L1 gets an ext4 scratch disk of that size (a sparse file
# here) and COMMAND's TMPDIR is on it. With -i, L1 is also ended (124)
# when COMMAND prints nothing for IDLE_SECS: TCG emulating SVM has been
# seen to wedge L1 (a CPU spinning with interrupts off), and then
# nothing inside L1 can notice.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NESTED=${NESTED_DIR:-build/nested}
secs=900 idle=0 mem=3G log=/dev/null scratch=
paths=() envs=()
while [ $# -gt 0 ]; do
	case "$1" in
	-t) secs=$2; shift 2 ;;
	-i) idle=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	-l) log=$2; shift 2 ;;
	-s) scratch=$2; shift 2 ;;
	-e) envs+=("$2"); shift 2 ;;
	-f) paths+=("$2"); shift 2 ;;
	--) shift; break ;;
	*) echo "l1-run: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "l1-run: no command given" >&2; exit 2; }
[ -f "$NESTED/vmlinuz" ] && [ -f "$NESTED/base.cpio" ] ||
	{ echo "l1-run: no L1 image in $NESTED (tests/nested/l1-image.sh)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "l1-run: qemu-system-x86_64 is not installed (scripts/deps.sh)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/l1run.XXXXXX")
trap 'rm -rf "$T"' EXIT
P="$T/payload"
mkdir -p "$P/l1" "$P/usr/lib" "$P/usr/lib64" "$P$PWD"
ln -s usr/lib "$P/lib"
ln -s usr/lib64 "$P/lib64"

# add PATH: the file or the directory, with what symlinks point to.
add() {
	local p=$1
	[ -e "$p" ] || { echo "l1-run: '$p' does not exist" >&2; exit 2; }
	# Host paths through merged-/usr symlinks (/lib, /bin) land in /usr;
	# the payload's /lib and /lib64 point there too.
	p=$(realpath -s "$p")
	p="$(realpath "$(dirname "$p")")/$(basename "$p")"
	p=${p#//}; p=/${p#/}
	# Symlinks are followed: L1's /bin and /sbin are busybox, not /usr.
	tar -C / -chf - "${p#/}" | tar -C "$P" -xf - ||
		{ echo "l1-run: cannot copy '$p'" >&2; exit 2; }
}
for p in "${paths[@]}"; do add "$p"; done
add /lib64/ld-linux-x86-64.so.2
# Every ELF executable or library in the payload brings its libraries.
find "$P" -type f \( -perm -u+x -o -name '*.so*' \) -print0 |
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	ldd "$f" 2>/dev/null | awk '/=> \// {print $3}'
done | sort -u > "$T/libs"
while read -r lib; do
	lib="$(realpath "$(dirname "$lib")")/$(basename "$lib")"
	[ -e "$P$lib" ] && continue
	mkdir -p "$P$(dirname "$lib")" && cp -L "$lib" "$P$lib"
done < "$T/libs"

{
	echo '#!/bin/sh'
	for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
	printf 'cd %q || exit 127\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	echo
} > "$P/l1/run"
chmod 755 "$P/l1/run"
(cd "$P" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$T/payload.cpio"
cat "$NESTED/base.cpio" "$T/payload.cpio" > "$T/l1.cpio"
rm -rf "$P"

disk=() append=
if [ -n "$scratch" ]; then
	truncate -s "$scratch" "$T/scratch.img"
	mkfs.ext4 -q -F "$T/scratch.img" ||
		{ echo "l1-run: cannot make the scratch filesystem" >&2; exit 2; }
	disk=(-drive "file=$T/scratch.img,if=virtio,format=raw,cache=unsafe")
	append=" l1.scratch"
fi

# A minute before the limit, what L1's CPUs are doing (for a hang).
# (Its output goes nowhere: an open stdout would hold our caller's pipe.)
( sleep $((secs > 120 ? secs - 60 : secs)) &&
  printf 'info registers -a\n' | timeout 5 socat - UNIX-CONNECT:"$T/monitor" \
	> "$log.registers" 2>&1 ) </dev/null >/dev/null 2>&1 &
watch=$!
if [ "$idle" -gt 0 ]; then
	( last=0 quiet=0
	  while sleep 10; do
		n=$(stat -c %s "$T/out" 2>/dev/null || echo 0)
		if [ "$n" != "$last" ]; then last=$n quiet=0; else quiet=$((quiet + 10)); fi
		# A CPU stuck for minutes (seen: one waiting in
		# smp_call_function_many_cond on an IPI the other, halted with
		# interrupts on, never got: a wake-up TCG lost) does not come
		# back; no need to wait for the whole idle time.
		stuck=$(grep -o 'soft lockup - CPU#[0-9]* stuck for [0-9]*s' "$log" 2>/dev/null |
			sed 's/.* \([0-9]*\)s$/\1/' | sort -n | tail -1)
		[ "${stuck:-0}" -ge 120 ] && quiet=$idle
		if [ $quiet -ge "$idle" ]; then
			printf 'info registers -a\ncpu 0\nx /24gx $esp\ncpu 1\nx /24gx $esp\n' |
				timeout 5 socat - UNIX-CONNECT:"$T/monitor" > "$log.registers" 2>&1
			if [ "${stuck:-0}" -ge 120 ]; then
				echo "l1-run: an L1 CPU was stuck for ${stuck}s (soft lockup): ended" > "$T/idle"
			else
				echo "l1-run: L1 said nothing for ${idle}s: ended" > "$T/idle"
			fi
			printf 'quit\n' | timeout 5 socat - UNIX-CONNECT:"$T/monitor"
			break
		fi
	  done ) </dev/null >/dev/null 2>&1 &
	idlewatch=$!
fi
timeout -k 10 "$secs" qemu-system-x86_64 -accel tcg,thread=multi -cpu max \
	-smp 2 -m "$mem" -M pc -nodefaults -display none -no-reboot \
	-kernel "$NESTED/vmlinuz" -initrd "$T/l1.cpio" "${disk[@]}" \
	-append "console=ttyS0 panic=-1 reboot=k quiet loglevel=4 tsc=reliable nokaslr$append" \
	-serial file:"$log" -chardev stdio,id=out,signal=off -serial chardev:out \
	-monitor unix:"$T/monitor",server=on,wait=off \
	< /dev/null 2>"$T/qemu.err" | sed -u 's/\r$//' | tee "$T/out" | grep --line-buffered -v '^L1-EXIT '
st=${PIPESTATUS[0]}
pkill -P $watch 2>/dev/null; kill $watch 2>/dev/null
[ -n "${idlewatch:-}" ] && { pkill -P $idlewatch 2>/dev/null; kill $idlewatch 2>/dev/null; }
rc=$(sed -n 's/^L1-EXIT \([0-9]*\)$/\1/p' "$T/out" | tail -1)
if [ -z "$rc" ]; then
	if [ -f "$T/idle" ]; then
		cat "$T/idle" >&2
		exit 124
	fi
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		echo "l1-run: L1 did not finish within ${secs}s" >&2
		exit 124
	fi
	echo "l1-run: L1 ended without a status (qemu: $st $(head -c 300 "$T/qemu.err"))" >&2
	exit 1
fi
exit "$rc"
