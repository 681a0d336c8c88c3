#!/bin/bash
# Run each libFuzzer target for SECS seconds from its seed corpus
# (tests/fuzz/corpus/NAME, read only: new inputs go to a scratch copy).
# A crash, leak or sanitizer report fails the run and leaves the input
# in build-fuzz/crashes/.
#   fuzz.sh BUILD_DIR SECS NAME...
set -u
B=$1 SECS=$2
shift 2
mkdir -p "$B/crashes"
pass=0 fail=0
for name in "$@"; do
	work=$(mktemp -d)
	seeds=tests/fuzz/corpus/$name
	mkdir -p "$seeds"
	"$B/fuzz_$name" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=20 \
		-artifact_prefix="$B/crashes/$name-" -print_final_stats=1 \
		"$work" "$seeds" > "$work.log" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
	if [ $st = 0 ]; then
		echo "PASS fuzz-$name: ${runs:-?} inputs in ${SECS}s"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz-$name: status $st; $(grep -m3 -E 'ERROR|SUMMARY|Test unit written' "$work.log" | tr '\n' ' ')"
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ $fail = 0 ]
