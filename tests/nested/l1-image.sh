#!/bin/sh
# Build the L1 machine of the nested test bed into $1 (default
# build/nested) from Debian packages only:
#   vmlinuz     the stock linux-image-cloud-amd64 kernel (the .deb the
#               guest build downloaded: $2, default build/guest)
#   base.cpio   busybox-static, kvm.ko + kvm-amd.ko + kvm-intel.ko +
#               irqbypass.ko, tun, loop and virtio-blk from that package,
#               l1-init and kvm-hold (kvm-hold.c)
# QEMU's TCG with -cpu max emulates AMD SVM with nested paging, so the
# kvm-amd inside L1 offers a hardware-model /dev/kvm: what users run.
# Idempotent: does nothing if the outputs are newer than their inputs.
set -eu
out=${1:-build/nested}
guest=${2:-build/guest}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
deb=$(ls "$guest"/linux-image-*.deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] || { echo "l1-image: no kernel package in $guest (make guest)" >&2; exit 1; }

if [ -f "$out/base.cpio" ] && [ "$out/base.cpio" -nt "$deb" ] &&
   [ "$out/base.cpio" -nt "$here/l1-init" ] && [ "$out/base.cpio" -nt "$0" ] &&
   [ "$out/base.cpio" -nt "$here/kvm-hold.c" ]; then
	exit 0
fi
work="$out/work"
rm -rf "$work" && mkdir -p "$work/root"
dpkg-deb -x "$deb" "$work/pkg"
kver=$(ls "$work/pkg/lib/modules")
root="$work/root"
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" \
	"$root/dev" "$root/tmp" "$root/run" "$root/root" "$root/l1/mod" \
	"$root/usr/bin" "$root/usr/sbin" "$root/var/tmp"
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
# In dependency order: irqbypass before kvm before the vendors; the
# virtio ones for the scratch disk (l1-run.sh -s).
for m in irqbypass kvm kvm-amd kvm-intel tun loop virtio_ring virtio \
	 virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
	f=$(find "$work/pkg/lib/modules/$kver" -name "$m.ko" | head -1)
	[ -n "$f" ] || { echo "l1-image: $m.ko not in $(basename "$deb")" >&2; exit 1; }
	cp "$f" "$root/l1/mod/"
done
# glibc's C.UTF-8 (Debian's libc-bin): tmux and python want UTF-8.
if [ -d /usr/lib/locale/C.utf8 ]; then
	mkdir -p "$root/usr/lib/locale" && cp -r /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
fi
# Static: L1 has no libc of its own. See kvm-hold.c for why.
cc -static -O2 -Wall -Wextra -Werror -o "$root/l1/kvm-hold" "$here/kvm-hold.c"
cp "$here/l1-init" "$root/init"
chmod 755 "$root/init"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out/base.cpio.new"
cp "$work/pkg/boot/vmlinuz-$kver" "$out/vmlinuz"
mv "$out/base.cpio.new" "$out/base.cpio"
rm -rf "$work"
echo "l1-image: $out/vmlinuz, $out/base.cpio ($kver)"
