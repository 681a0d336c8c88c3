#!/bin/sh
# Install every Debian package the build, the guest image, the tests and the
# benchmarks need. Idempotent: does nothing when everything is present.
set -eu

PKGS="gcc make pkg-config liburing-dev libcriterion-dev libjansson-dev
      liblz4-dev zlib1g-dev liblzma-dev libzstd-dev libseccomp-dev libslirp-dev
      busybox-static cpio
      binutils python3 time tmux acpica-tools socat groff-base
      qemu-system-x86 clang libclang-rt-14-dev"
BENCH_PKGS="fio"

missing=""
want="$PKGS"
[ "${1:-}" = "--bench" ] && want="$PKGS $BENCH_PKGS"
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
