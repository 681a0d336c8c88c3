#!/bin/bash
# virtio-net through the device-level harness (real device code, real
# tap) beside the host's own write()/read() rate on the same tap, in a
# network namespace this script creates and removes. Frames: 64 bytes
# (packets per second), 64000 bytes (MB/s; the tap's MTU is raised so
# the kernel takes them whole), and 64000-byte TCP TSO segments under a
# 1500-byte MTU.
set -u
HARNESS=$(realpath "$1")
SECS=${BENCH_SECS:-5}
NS=vmm-bench-$$
ip netns add $NS || { echo "bench-net: cannot create a namespace (root?)"; exit 1; }
trap 'ip netns del $NS' EXIT
ip netns exec $NS ip tuntap add dev bt0 mode tap
ip netns exec $NS ip link set bt0 mtu 65000 up
for t in "tx 64" "rx 64" "tx 64000" "rx 64000"; do
	set -- $t
	ip netns exec $NS "$HARNESS" bt0 "$1" "$2" "$SECS"
done
# TSO: 64 KiB-class TCP segments under the usual 1500-byte MTU; the tap's
# offloads (set from the negotiated features) let them cross unsplit.
ip netns exec $NS ip link set bt0 mtu 1500
for t in "tx-tso 64000" "rx-tso 64000"; do
	set -- $t
	ip netns exec $NS "$HARNESS" bt0 "$1" "$2" "$SECS"
done
