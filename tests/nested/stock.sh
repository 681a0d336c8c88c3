#!/bin/bash
# The stock-guest suite on real KVM: builds the L1 image, then runs
# tests/nested/stock_guest.py inside L1 against vmm and, to prove every
# check, against QEMU in the same L1. Prints one line per check and
# "nested: N passed, N failed".
#   stock.sh VMM GUEST_DIR [PEER:SCENARIO ...]
# NESTED_GDB=1 also copies gdb into L1: a VMM that hangs gets its
# threads' backtraces printed.
set -u
VMM=$1 GUEST=$2
shift 2
here=$(dirname "$0")
NESTED_DIR=${NESTED_DIR:-$(dirname "$VMM")/nested}
export NESTED_DIR
"$here/l1-image.sh" "$NESTED_DIR" "$GUEST" || exit 1
py=$(readlink -f /usr/bin/python3)
T=$(mktemp -d "${TMPDIR:-/tmp}/nested.XXXXXX")
trap 'rm -rf "$T"' EXIT
files=(-f "$VMM" -f "$GUEST/vmlinuz" -f "$GUEST/initramfs.cpio"
       -f "$here/stock_guest.py" -f "$here/net_peer.py"
       -f "$here/../integration/qmpclient.py" -f /usr/bin/python3 -f "$py"
       -f "/usr/lib/$(basename "$py")" -f /usr/bin/bash -f /usr/sbin/ip
       -f /usr/bin/qemu-system-x86_64 -f /usr/share/qemu -f /usr/share/seabios
       -f /usr/lib/ipxe/qemu)
[ -n "${NESTED_GDB:-}" ] && files+=(-f /usr/bin/gdb -f /usr/share/gdb)
# vmm loads libslirp only for -netdev user (dlopen): ldd does not see it.
slirp=$(ldconfig -p | awk '/libslirp\.so\.0 /{print $NF; exit}')
[ -n "$slirp" ] && files+=(-f "$slirp")
# The exact command `make run` runs, checked as the README shows it.
make_run=$(make -s --no-print-directory -n run 2>/dev/null |
	   sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -E '^[^ ]*/vmm ' | tail -1)

items=("$@")
if [ ${#items[@]} = 0 ]; then
	items=(vmm:make-run)
	all="devices intx console panic sigterm durable balloon oom powerdown usernet topology reboot"
	for s in $all; do items+=(vmm:$s); done
	for s in $all; do items+=(qemu:$s); done
fi

log="$NESTED_DIR/l1-console.log"   # kept: what L1's kernel said
run_l1() {
	"$here/l1-run.sh" -t "${NESTED_TIMEOUT:-1500}" -i 400 -l "$log" "${files[@]}" -- \
		python3 "$(realpath "$here/stock_guest.py")" --vmm "$(realpath "$VMM")" \
		--guest "$(realpath "$GUEST")" --logs /tmp/stock-logs \
		--make-run "$make_run" "$@"
}
run_l1 "${items[@]}" | tee "$T/out"
st=${PIPESTATUS[0]}
# L1 itself lost (QEMU's TCG under nested SVM has been seen to panic
# L1's kernel, running vmm's L2 and QEMU's alike): up to twice more with
# the scenarios not finished; each lost L1's console is kept as $log.N.
for attempt in 1 2; do
	grep -q '^stock: ' "$T/out" && break
	left=()
	for it in "${items[@]}"; do
		grep -q "^scenario ${it%%:*} ${it#*:}: " "$T/out" || left+=("$it")
	done
	cp "$log" "$log.$attempt" 2>/dev/null
	echo "RETRY nested-l1: L1 ended early (status $st; L1 console: $(tail -c 400 "$log" | tr '\n' ' ')); again: ${left[*]}"
	run_l1 "${left[@]}" | tee -a "$T/out"
	st=${PIPESTATUS[0]}
done
p=$(grep -c '^PASS' "$T/out")
f=$(grep -c '^FAIL' "$T/out")
r=$(grep -c '^RETRY' "$T/out")
if [ "$st" != 0 ] && [ "$f" = 0 ]; then
	echo "FAIL nested-l1: status $st; L1 console ($log): $(tail -c 600 "$log" | tr '\n' ' ')"
	f=$((f + 1))
fi
echo "nested: $p passed, $f failed, 0 skipped ($r retried)"
[ "$f" = 0 ]
