#!/bin/bash
# Run the ThreadSanitizer builds of the race tests (make tsan-build);
# any report fails the run. Ends with "tsan: N passed, N failed".
#   tsan.sh BUILD_DIR NAME...
set -u
B=$1
shift
pass=0 fail=0
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=tests/tsan/suppressions.txt"
for t in "$@"; do
	if "$B/tsan-$t" > "$B/tsan-$t.log" 2>&1; then
		echo "PASS tsan-$t: $(grep -c '^PASS' "$B/tsan-$t.log") tests, no report"
		pass=$((pass + 1))
	else
		echo "FAIL tsan-$t: $(grep -m3 -E 'WARNING: ThreadSanitizer|FAIL|SUMMARY' "$B/tsan-$t.log" | tr '\n' ' ')"
		fail=$((fail + 1))
	fi
done
echo "tsan: $pass passed, $fail failed"
[ $fail = 0 ]
