#!/bin/bash
# In-guest figures on real KVM, vmm beside QEMU in the same L1 (the
# absolute numbers are TCG's; the ratios are what to read): boot times,
# blk through /dev/vda (tests/nested/guestbench.c, O_DIRECT), net over
# the tap both ways, peak RSS; the balloon inflate rate comes from the
# balloon scenario. Each peer runs ROUNDS times (default 2), alternating.
#   bench.sh VMM GUEST_DIR
set -u
VMM=$1 GUEST=$2
ROUNDS=${ROUNDS:-2}
here=$(dirname "$0")
NESTED_DIR=${NESTED_DIR:-$(dirname "$VMM")/nested}
export NESTED_DIR
"$here/l1-image.sh" "$NESTED_DIR" "$GUEST" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
# The guest's initramfs plus guestbench: a second cpio archive appended.
gcc -O2 -static -Wall -Wextra -Werror -o "$T/guestbench" "$here/guestbench.c" -luring || exit 1
mkdir -p "$T/add/bin" && cp "$T/guestbench" "$T/add/bin/"
(cd "$T/add" && find . | cpio -o -H newc --quiet) > "$T/add.cpio"
cat "$GUEST/initramfs.cpio" "$T/add.cpio" > "$NESTED_DIR/bench-initramfs.cpio"
py=$(readlink -f /usr/bin/python3)
files=(-f "$VMM" -f "$GUEST/vmlinuz" -f "$NESTED_DIR/bench-initramfs.cpio"
       -f "$GUEST/initramfs.cpio"
       -f "$here/stock_guest.py" -f "$here/net_peer.py"
       -f "$here/../integration/qmpclient.py" -f /usr/bin/python3 -f "$py"
       -f "/usr/lib/$(basename "$py")" -f /usr/bin/bash -f /usr/sbin/ip
       -f /usr/bin/qemu-system-x86_64 -f /usr/share/qemu -f /usr/share/seabios
       -f /usr/lib/ipxe/qemu)
items=()
for ((i = 0; i < ROUNDS; i++)); do items+=(vmm:bench qemu:bench); done
items+=(vmm:balloon qemu:balloon)
"$here/l1-run.sh" -t 3000 -i 400 -s 3G -l "$NESTED_DIR/l1-console-bench.log" "${files[@]}" \
	-e BENCH_INITRD="$(realpath "$NESTED_DIR/bench-initramfs.cpio")" -- \
	python3 "$(realpath "$here/stock_guest.py")" --vmm "$(realpath "$VMM")" \
	--guest "$(realpath "$GUEST")" "${items[@]}" | tee "$T/out"
echo
echo "In-guest figures, stock guest on real KVM inside L1 (QEMU 7.2 microvm"
echo "with the same devices as the peer); mean of $ROUNDS runs each:"
python3 - "$T/out" <<'PY'
import collections, re, sys
vals = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    m = re.match(r"measure (vmm|qemu) (\S+) (\S+)$", line.strip())
    if m:
        try:
            vals[m.group(2)][m.group(1)].append(float(m.group(3)))
        except ValueError:
            pass
def lower_better(k):
    # times ("...-s", not rates "...-per-s" or ".../s") and memory
    return (k.endswith("-s") and not k.endswith("per-s")) or "RSS" in k
print(f"| {'figure':38} | {'vmm':>10} | {'QEMU':>10} | vmm/QEMU |")
print(f"|{'-' * 40}|{'-' * 12}|{'-' * 12}|----------|")
for k, v in vals.items():
    a, b = v.get("vmm"), v.get("qemu")
    if not a or not b:
        continue
    a, b = sum(a) / len(a), sum(b) / len(b)
    note = " (lower is better)" if lower_better(k) else ""
    print(f"| {k + note:38} | {a:10.1f} | {b:10.1f} | {a / b:8.2f} |")
PY
