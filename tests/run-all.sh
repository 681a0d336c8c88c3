#!/bin/bash
# Every test, in order of cost: unit (Criterion), integration (tiny guests
# on KVM: this host's, or L1's when this host has none), the same two
# under ASan+UBSan, the race tests under TSan, each fuzz target briefly,
# the PVM guard
# (the stock kernel on this host's KVM when that is PVM), and the stock
# guest on real KVM inside L1 against vmm and QEMU (tests/nested/).
# Ends with one "all: N passed, N failed, N skipped" line.
set -u
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
total_pass=0 total_fail=0 total_skip=0 rc=0

section() { echo; echo "==== $1 ($(date +%T))"; }
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

count_criterion() {   # add Criterion's "Synthesis" line of $1
	local syn p f
	syn=$(grep 'Synthesis' "$1" | tail -1)
	p=$(echo "$syn" | sed -E 's/.*Passing: ([0-9]+).*/\1/')
	f=$(echo "$syn" | sed -E 's/.*Failing: ([0-9]+).*Crashing: ([0-9]+).*/\1 + \2/')
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-1}))
}

section "unit tests (Criterion)"
"$B/unit-tests" --jobs 2 2>&1 | tee "$T/unit"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count_criterion "$T/unit"

section "make install PREFIX= (binary and man page)"
{
	inst=0 instf=0
	if make -s install BUILD="$B" PREFIX="$T/prefix" >"$T/install.log" 2>&1 &&
	   [ -x "$T/prefix/bin/vmm" ] && "$T/prefix/bin/vmm" -version | grep -q '^vmm ' &&
	   [ -f "$T/prefix/share/man/man1/vmm.1" ]; then
		echo "PASS install-prefix"; inst=$((inst + 1))
	else
		echo "FAIL install-prefix: $(tail -3 "$T/install.log")"; instf=$((instf + 1))
	fi
	# The page renders without a single groff warning.
	if LC_ALL=C groff -man -Tutf8 -ww -z "$T/prefix/share/man/man1/vmm.1" 2>"$T/groff.log" &&
	   [ ! -s "$T/groff.log" ]; then
		echo "PASS man-page-renders"; inst=$((inst + 1))
	else
		echo "FAIL man-page-renders: $(head -3 "$T/groff.log")"; instf=$((instf + 1))
	fi
	echo "install: $inst passed, $instf failed"
} 2>&1 | tee "$T/install"
grep -q ' 0 failed' "$T/install" || rc=1
count "$T/install"

if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	section "integration tests (tiny guests, this host's KVM)"
	./tests/integration/run.sh "$B/vmm" "$B/guests" 2>&1 | tee "$T/integ"
else
	section "integration tests (tiny guests; this host has no /dev/kvm: L1's KVM)"
	./tests/nested/integration.sh "$B/vmm" "$B/guests" 2>&1 | tee "$T/integ"
fi
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/integ"

# Sanitizers: built by `make test` (asan-build, tsan-build, fuzz-build);
# a section whose build is missing fails rather than passing unseen.
section "ASan + UBSan: unit tests"
if [ -x build-asan/unit-tests ]; then
	build-asan/unit-tests --jobs 2 2>&1 | tee "$T/asan-unit"
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	count_criterion "$T/asan-unit"
else
	echo "FAIL asan-unit: build-asan/unit-tests is missing (make asan-build)"
	total_fail=$((total_fail + 1)); rc=1
fi

section "ASan + UBSan: integration tests"
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	./tests/integration/run.sh build-asan/vmm build-asan/guests 2>&1 | tee "$T/asan-integ"
else
	GUEST_BUILD="$B/guest" NESTED_DIR="$B/nested" \
		./tests/nested/integration.sh build-asan/vmm build-asan/guests 2>&1 | tee "$T/asan-integ"
fi
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/asan-integ"

section "ThreadSanitizer: the race tests"
./scripts/tsan.sh build-tsan ${TSAN_TESTS:-races qmp_socket net_dev virtio_pci} 2>&1 | tee "$T/tsan"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/tsan"

section "fuzz targets (${CI_FUZZ_SECS:-20} s each)"
./scripts/fuzz.sh build-fuzz "${CI_FUZZ_SECS:-20}" ${FUZZ_NAMES:-$(ls tests/fuzz/fuzz_*.c | sed -E 's|.*/fuzz_(.*)\.c|\1|')} 2>&1 | tee "$T/fuzz"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/fuzz"

section "PVM guard (stock kernel on this host's KVM, when it is PVM)"
./tests/boot/boot-test.sh "$B/vmm" "$B/guest" 2>&1 | tee "$T/boot"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/boot"

section "stock guest on real KVM (nested: vmm, then QEMU as the proof)"
./tests/nested/stock.sh "$B/vmm" "$B/guest" 2>&1 | tee "$T/nested"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
count "$T/nested"

echo
echo "all: $total_pass passed, $total_fail failed, $total_skip skipped ($(date +%T))"
exit $rc
