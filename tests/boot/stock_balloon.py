#!/usr/bin/env python3
"""The stock guest's virtio_balloon under QMP (hardware KVM only: it needs
the guest's user space). The guest touches 70% of its RAM and frees it;
QMP "balloon" to half of RAM must make query-balloon reach the target and
the VMM's RSS drop by at least 90% of the inflated amount; deflating must
bring "actual" back; guest stats must arrive through qom-get."""
import os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from qmpclient import Client, rss_kib  # noqa: E402

VMM, GUEST = sys.argv[1], sys.argv[2]
MiB = 1 << 20
RAM = 512 * MiB
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    passed += bool(ok)
    failed += not ok
    print(f"{'PASS' if ok else 'FAIL'} stock-balloon-{name}{'' if ok else ': ' + str(detail)}")


def wait_actual(c, want, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if c.cmd("query-balloon").get("return", {}).get("actual") == want:
            return True
        time.sleep(0.5)
    return False


tmp = tempfile.mkdtemp()
sock = os.path.join(tmp, "qmp.sock")
log = open(os.path.join(tmp, "console"), "w+")
vm = subprocess.Popen([VMM, "-m", "512M", "-smp", "2", "-kernel", f"{GUEST}/vmlinuz",
                       "-initrd", f"{GUEST}/initramfs.cpio", "-nographic",
                       "-device", "virtio-balloon-pci,id=balloon0,guest-stats-polling-interval=1",
                       "-qmp", f"unix:{sock},server=on,wait=off",
                       "-append", "console=ttyS0 reboot=k panic=-1 vmm.checks=modules,fill,hold"],
                      stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
try:
    end = time.time() + 300
    while time.time() < end and "VMM-HOLD" not in open(log.name).read():
        time.sleep(1)
    console = open(log.name).read()
    check("guest-ready", "VMM-HOLD" in console, console[-500:])
    c = Client(sock)
    c.cmd("qmp_capabilities")
    before = rss_kib(vm.pid)
    t0 = time.time()
    c.cmd("balloon", {"value": RAM // 2})
    check("inflate-reaches-target", wait_actual(c, RAM // 2, 120), c.cmd("query-balloon"))
    secs = time.time() - t0
    time.sleep(1)
    after = rss_kib(vm.pid)
    dropped = (before - after) * 1024
    check("rss-drops", dropped >= 0.9 * RAM // 2,
          f"RSS {before} -> {after} KiB ({dropped / MiB:.0f} MiB)")
    print(f"measure: stock guest inflated {RAM // 2 // MiB} MiB in {secs:.1f} s, "
          f"RSS {before} -> {after} KiB")
    c.cmd("balloon", {"value": RAM})
    check("deflate-reaches-target", wait_actual(c, RAM, 120), c.cmd("query-balloon"))
    time.sleep(3)
    r = c.cmd("qom-get", {"path": "/machine/peripheral/balloon0", "property": "guest-stats"})
    stats = r.get("return", {}).get("stats", {})
    check("guest-stats", stats.get("stat-total-memory", -1) > 0, r)
    c.cmd("quit")
    check("quit-exit-0", vm.wait(timeout=30) == 0)
finally:
    if vm.poll() is None:
        vm.kill()
        vm.wait()
print(f"stock-balloon: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
