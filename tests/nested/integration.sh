#!/bin/bash
# The integration tests (tests/integration/run.sh: tiny guests, bad
# input) on the real KVM inside L1, for hosts whose own /dev/kvm is
# missing or cannot run them.
#   integration.sh VMM GUESTS_DIR
set -u
VMM=$1 GUESTS=$2
here=$(dirname "$0")
NESTED_DIR=${NESTED_DIR:-$(dirname "$VMM")/nested}
GUEST_BUILD=${GUEST_BUILD:-$(dirname "$VMM")/guest}
export NESTED_DIR
"$here/l1-image.sh" "$NESTED_DIR" "$GUEST_BUILD" || exit 1
py=$(readlink -f /usr/bin/python3)
files=(-f "$VMM" -f "$GUESTS" -f "$here/../integration" -f /usr/bin/bash
       -f /usr/bin/python3 -f "$py" -f "/usr/lib/$(basename "$py")" -f /usr/sbin/ip)
# vmm loads libslirp only for -netdev user (dlopen): ldd does not see it.
slirp=$(ldconfig -p | awk '/libslirp\.so\.0 /{print $NF; exit}')
[ -n "$slirp" ] && files+=(-f "$slirp")
# The host's own tools, not busybox's: the tests use their options.
for t in $(dpkg -L coreutils grep sed | grep -E '^/usr/bin/[^/]+$') \
	 /usr/bin/setpriv /usr/bin/unshare /usr/sbin/losetup /usr/bin/mount \
	 /usr/bin/umount /usr/bin/tmux /usr/bin/od /usr/share/terminfo /lib/terminfo; do
	[ -e "$t" ] && files+=(-f "$t")
done
T=$(mktemp -d "${TMPDIR:-/tmp}/nested-integ.XXXXXX")
trap 'rm -rf "$T"' EXIT
run_l1() {
	"$here/l1-run.sh" -t "${NESTED_TIMEOUT:-1200}" -i 300 -s 2G \
		-l "$NESTED_DIR/l1-console-integration.log" \
		-e TERM=xterm "${files[@]}" -- "$(realpath "$here/../integration/run.sh")" \
		"$(realpath "$VMM")" "$(realpath "$GUESTS")"
}
run_l1 | tee "$T/out"
st=${PIPESTATUS[0]}
# L1 lost before the suite could say how it went (see l1-run.sh -i; TCG's
# nested SVM has been seen to wedge L1's kernel with both CPUs spinning,
# interrupts off): up to twice more, from the start (about a minute each).
for attempt in 1 2; do
	grep -qE '^integration: [0-9]+ passed' "$T/out" && break
	echo "RETRY nested-integration: L1 ended early (status $st)"
	run_l1 | tee "$T/out"
	st=${PIPESTATUS[0]}
done
exit $st
