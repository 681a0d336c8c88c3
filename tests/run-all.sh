#!/bin/bash
# Every test, in order of cost: unit (Criterion), integration (tiny guests
# on real KVM), stock-kernel boot. Ends with one "N passed, N failed" line.
set -u
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
total_pass=0 total_fail=0 total_skip=0 rc=0

section() { echo; echo "==== $1"; }
count() {   # add the "x passed, y failed[, z skipped]" line of $1
	local line p f s
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | grep -oE '[0-9]+ skipped' | cut -d' ' -f1)
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-1}))
	total_skip=$((total_skip + ${s:-0}))
}

section "unit tests (Criterion)"
"$B/unit-tests" --jobs 2 2>&1 | tee "$T/unit"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
syn=$(grep 'Synthesis' "$T/unit" | tail -1)
p=$(echo "$syn" | sed -E 's/.*Passing: ([0-9]+).*/\1/')
f=$(echo "$syn" | sed -E 's/.*Failing: ([0-9]+).*Crashing: ([0-9]+).*/\1 + \2/')
total_pass=$((total_pass + ${p:-0}))
total_fail=$((total_fail + ${f:-1}))

section "integration tests (tiny guests, real KVM)"
./tests/integration/run.sh "$B/vmm" "$B/guests" 2>&1 | tee "$T/integ"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/integ"

section "boot tests (stock Debian kernel)"
./tests/boot/boot-test.sh "$B/vmm" "$B/guest" 2>&1 | tee "$T/boot"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/boot"

echo
echo "all: $total_pass passed, $total_fail failed, $total_skip skipped"
exit $rc
