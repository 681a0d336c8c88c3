#!/usr/bin/env python3
"""QMP end to end: a real vmm with the balloon test guest, driven over the
QMP socket the way qmp-shell or python's qemu.qmp would. Checks the QMP
dialect, that inflating gives the memory back to the host (the VMM's RSS
drops by >= 90% of the balloon), that deflating brings it back, the
BALLOON_CHANGE events, errors, several clients in turn, a client that
vanishes mid-command, and quit. Prints PASS/FAIL lines and a summary."""
import json, os, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Client, rss_kib  # noqa: E402

VMM, GUESTS = sys.argv[1], sys.argv[2]
MiB = 1 << 20
RAM = 128 * MiB
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS qmp-{name}")
    else:
        failed += 1
        print(f"FAIL qmp-{name}: {detail}")


def wait_actual(c, want, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        r = c.cmd("query-balloon")
        if r.get("return", {}).get("actual") == want:
            return True
        time.sleep(0.2)
    return False


tmp = tempfile.mkdtemp()
sock = os.path.join(tmp, "qmp.sock")
vm = subprocess.Popen([VMM, "-m", "128M", "-kernel", f"{GUESTS}/balloon.elf",
                       "-device", "virtio-balloon-pci,id=balloon0",
                       "-qmp", f"unix:{sock},server=on,wait=off"],
                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
try:
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    c = Client(sock)
    g = c.greeting.get("QMP", {})
    check("greeting", "version" in g and g.get("capabilities") == [], c.greeting)
    r = c.cmd("query-status")
    check("needs-negotiation", r.get("error", {}).get("class") == "CommandNotFound", r)
    r = c.cmd("qmp_capabilities", id="neg-1")
    check("capabilities", r == {"return": {}, "id": "neg-1"}, r)
    r = c.cmd("query-status")
    check("query-status", r.get("return", {}).get("status") == "running", r)
    r = c.cmd("query-version")
    check("query-version", r.get("return", {}).get("qemu", {}).get("major") == 7, r)

    # Wait until the guest has touched its pool.
    line = vm.stdout.readline().decode()
    check("guest-ready", "pool touched" in line, line)
    time.sleep(0.3)
    before = rss_kib(vm.pid)
    r = c.cmd("query-balloon")
    check("query-balloon-full", r == {"return": {"actual": RAM}}, r)

    # Inflate by 64 MiB: the VMM must give that memory back to the host.
    t0 = time.time()
    r = c.cmd("balloon", {"value": RAM - 64 * MiB})
    check("balloon-accepted", r == {"return": {}}, r)
    ok = wait_actual(c, RAM - 64 * MiB)
    secs = time.time() - t0
    check("inflate-reaches-target", ok, c.cmd("query-balloon"))
    after = rss_kib(vm.pid)
    dropped = (before - after) * 1024
    check("rss-drops", dropped >= 0.9 * 64 * MiB,
          f"RSS {before} KiB -> {after} KiB, dropped {dropped / MiB:.1f} MiB")
    print(f"measure: inflate 64 MiB in {secs:.2f} s, RSS {before} -> {after} KiB "
          f"({dropped / MiB / max(secs, 1e-3):.0f} MiB/s returned), "
          f"RSS - (RAM touched - balloon) = {after - (before - 64 * 1024)} KiB")
    e = c.wait_event("BALLOON_CHANGE", lambda e: e["data"]["actual"] == RAM - 64 * MiB, 10)
    check("balloon-change-event", e is not None, c.events[-3:])

    # Deflate: the guest takes its pages back and touches them.
    r = c.cmd("balloon", {"value": RAM})
    check("deflate-accepted", r == {"return": {}}, r)
    check("deflate-reaches-target", wait_actual(c, RAM), c.cmd("query-balloon"))
    time.sleep(0.2)
    again = rss_kib(vm.pid)
    check("rss-back", again - after >= 0.9 * 64 * 1024,
          f"RSS {after} KiB -> {again} KiB")

    # Errors as QMP error objects.
    r = c.cmd("balloon", {"value": "lots"})
    check("wrong-type", r.get("error", {}).get("class") == "GenericError", r)
    r = c.cmd("balloon", {"value": 0})
    check("out-of-range", r.get("error", {}).get("class") == "GenericError", r)
    r = c.cmd("no-such-command")
    check("unknown-command", r.get("error", {}).get("class") == "CommandNotFound", r)
    c.s.sendall(b'{"execute": "query-status"\n}\n{oops}\n')
    r1, r2 = c.recv(), c.recv()
    check("malformed-json", r1.get("return", {}).get("running") is True and
          r2.get("error", {}).get("class") == "GenericError", (r1, r2))
    r = c.cmd("qom-get", {"path": "/machine/peripheral/balloon0",
                          "property": "guest-stats"})
    check("qom-get-stats", "stats" in r.get("return", {}), r)
    r = c.cmd("qom-get", {"path": "/machine/peripheral/balloon0",
                          "property": "guest-stats-polling-interval"})
    check("qom-get-interval", r.get("return") == 0, r)
    c.s.close()

    # Another client, then one that disconnects in the middle of a command.
    c2 = Client(sock)
    r = c2.cmd("qmp_capabilities")
    r = c2.cmd("query-balloon")
    check("second-client", r == {"return": {"actual": RAM}}, r)
    c2.s.sendall(b'{"execute": "balloon", "argum')
    c2.s.close()
    time.sleep(0.2)
    c3 = Client(sock)
    c3.cmd("qmp_capabilities")
    r = c3.cmd("query-status")
    check("survives-half-command", r.get("return", {}).get("running") is True, r)
    r = c3.cmd("quit")
    check("quit", r == {"return": {}}, r)
    status = vm.wait(timeout=10)
    check("exit-status-0", status == 0, status)
    check("socket-removed", not os.path.exists(sock))
finally:
    if vm.poll() is None:
        vm.kill()
        vm.wait()
    err = vm.stderr.read().decode()
    if failed:
        print(err[-2000:])

print(f"qmp: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
