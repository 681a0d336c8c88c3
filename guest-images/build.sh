#!/bin/sh
# Build the default test guest from Debian packages into $1 ($2: the
# extract-vmlinux tool the Makefile builds):
#   vmlinuz            the stock linux-image-cloud-amd64 kernel, unmodified
#   vmlinux            the ELF kernel extracted from it (PVH entry)
#   initramfs.cpio     busybox-static, the stock virtio modules, our /init
# Idempotent: does nothing if the outputs are newer than their inputs.
set -eu
out=${1:-build/guest}
extract=$(realpath "${2:-build/extract-vmlinux}")
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

stamp="$out/.stamp"
if [ -f "$stamp" ] && [ -z "$(find "$here" -newer "$stamp" -type f)" ]; then
	exit 0
fi

# The kernel package: the version the metapackage points at.
work="$out/work"
rm -rf "$work" && mkdir -p "$work"
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	apt-get update -qq
	pkg=$(apt-cache depends linux-image-cloud-amd64 |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || { echo "guest: cannot find linux-image-cloud-amd64" >&2; exit 1; }
deb=$(ls "$out"/"$pkg"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	(cd "$out" && apt-get download "$pkg" 2>&1 | grep -v '^W:' || true)
	deb=$(ls "$out"/"$pkg"_*.deb | head -1)
fi
echo "guest: kernel package $(basename "$deb")"
dpkg-deb -x "$deb" "$work/pkg"
kver=$(ls "$work/pkg/lib/modules")
cp "$work/pkg/boot/vmlinuz-$kver" "$out/vmlinuz"

# vmlinux, extracted by the same code the VMM uses.
"$extract" "$out/vmlinuz" "$out/vmlinux"

# initramfs
root="$work/root"
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" \
	"$root/dev" "$root/tmp" "$root/lib/modules" "$root/checks" "$root/root"
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
# The drivers we want, and before each the modules it depends on (its
# .modinfo "depends=" list; the .deb ships no modules.dep): /init loads
# /etc/modules in order.
want="virtio_pci virtio_blk virtio_net virtio_balloon virtio_rng button evdev"
moddir="$work/pkg/lib/modules/$kver"
modfile() {   # module name -> .ko path ('-' and '_' are the same)
	find "$moddir" -name '*.ko' | awk -v m="$1" '{
		n = split($0, p, "/"); f = p[n]; sub(/\.ko$/, "", f); gsub("-", "_", f)
		if (f == m) { print; exit } }'
}
: > "$work/order"
add_module() {
	local m=$1 f d
	grep -qx "$m" "$work/order" && return 0
	f=$(modfile "$m")
	[ -n "$f" ] || { echo "guest: module $m not in $pkg" >&2; exit 1; }
	for d in $(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$d"
	done
	cp "$f" "$root/lib/modules/$m.ko"
	echo "$m" >> "$work/order"
}
for m in $want; do add_module "$m"; done
cp "$work/order" "$root/etc/modules"
cp "$here/init" "$root/init"
cp "$here"/checks/* "$root/checks/"
# The ACPI power button (QMP system_powerdown): busybox acpid runs this
# on KEY_POWER, as acpid or systemd-logind would power a distro off.
mkdir -p "$root/etc/acpi/PWRF"
printf '#!/bin/sh\necho VMM-POWER-BUTTON > /dev/console\nsync\npoweroff -f\n' \
	> "$root/etc/acpi/PWRF/00000080"
chmod 755 "$root/etc/acpi/PWRF/00000080"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
# Uncompressed: unpacking needs no decompression in the guest kernel.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) \
	> "$out/initramfs.cpio"
rm -rf "$work"
touch "$stamp"
echo "guest: $out/vmlinuz, $out/vmlinux, $out/initramfs.cpio ($kver)"
