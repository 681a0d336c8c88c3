#!/bin/bash
# virtio-blk through the device-level harness (real device code, real
# io_uring, cache=none) beside fio on the same file with the same pattern
# (--ioengine=io_uring --direct=1), in the same run. Prints both and the
# ratio. The harness kicks once per request, as fio submits once per I/O;
# the last row is the same random read with one kick per refill of the
# queue (a plugging guest), where the device submits the whole batch. The file is filled with data first, so that reads hit the disk
# rather than unwritten extents.
set -u
HARNESS=$(realpath "$1")
FILE=${BENCH_BLK_FILE:-/var/tmp/vmm-bench.img}
SECS=${BENCH_SECS:-5}

if [ ! -s "$FILE" ] || [ "$(stat -c %s "$FILE")" != $((1 << 30)) ]; then
	echo "bench-blk: filling $FILE (1 GiB)"
	dd if=/dev/urandom of="$FILE" bs=1M count=1024 status=none conv=fsync
fi

fio_run() {   # fio_run RW BS DEPTH -> "IOPS MBps"
	fio --name=b --filename="$FILE" --ioengine=io_uring --direct=1 \
		--rw="$1" --bs="$2" --iodepth="$3" --runtime="$SECS" --time_based \
		--output-format=json 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
d = j["write"] if j["write"]["io_bytes"] else j["read"]
print("%.0f %.1f" % (d["iops"], d["bw_bytes"] / 1e6))'
}

printf "%-12s %-5s %12s %12s %12s %12s %8s\n" pattern depth harness-IOPS fio-IOPS harness-MB/s fio-MB/s ratio
for t in "randread4k randread 4k 1" "randread4k randread 4k 32" \
	 "seqread1m read 1m 32" "seqwrite1m write 1m 32" "randread4k randread 4k 32 batch"; do
	set -- $t
	if [ "${5:-}" = batch ]; then
		h=$(BENCH_BLK_BATCH=1 "$HARNESS" "$FILE" "$1" "$4" "$SECS")
	else
		h=$("$HARNESS" "$FILE" "$1" "$4" "$SECS")
	fi
	hi=$(echo "$h" | awk '{print $4}')
	hm=$(echo "$h" | awk '{print $6}')
	cpu=$(echo "$h" | awk '{print $8}')
	read -r fi fm < <(fio_run "$2" "$3" "$4")
	printf "%-12s qd%-3s %12s %12s %12s %12s %8s   (%s us host CPU/request)%s\n" \
		"$1" "$4" "$hi" "$fi" "$hm" "$fm" \
		"$(awk -v a="$hi" -v b="$fi" 'BEGIN { printf "%.2f", a / b }')" "$cpu" \
		"${5:+  one kick per refill}"
done
