#!/usr/bin/env python3
"""SHUTDOWN on every exit path, as QEMU words it: the echo guest waits on
the console while a QMP client listens; each way of ending the VM must
send one SHUTDOWN event with QEMU's "guest" and "reason" and a
timestamp, and end the VMM with status 0. Prints PASS/FAIL lines and a
summary."""
import os, pty, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Client  # noqa: E402

VMM, GUESTS = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS qmp-shutdown-{name}", flush=True)
    else:
        failed += 1
        print(f"FAIL qmp-shutdown-{name}: {detail}", flush=True)


def start(tmp, tty):
    """The VMM with the echo guest; on a pty when @tty (the console is
    raw there and Ctrl-A is the escape key), else on pipes."""
    sock = os.path.join(tmp, "qmp.sock")
    args = [VMM, "-m", "32M", "-kernel", f"{GUESTS}/echo.elf",
            "-qmp", f"unix:{sock},server=on,wait=off"]
    if tty:
        master, slave = pty.openpty()
        p = subprocess.Popen(args, stdin=slave, stdout=slave,
                             stderr=subprocess.DEVNULL)
        os.close(slave)
        p.console = master
    else:
        p = subprocess.Popen(args, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        p.console = p.stdout.fileno()
    for _ in range(600):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    c = Client(sock)
    c.cmd("qmp_capabilities")
    # The guest is up and polling its UART before anything ends it.
    out = b""
    end = time.time() + 60
    while b"echo ready" not in out and time.time() < end:
        out += os.read(p.console, 4096)
    return p, c


def case(name, guest, reason, act, tty=False):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            p, c = start(tmp, tty)
        except Exception as e:  # noqa: BLE001
            check(name, False, f"could not start: {e}")
            return
        act(p, c)
        try:
            st = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            st = p.wait()
        try:
            c.wait_event("SHUTDOWN", lambda e: True, 5)
        except (EOFError, OSError):
            pass   # the VMM has gone; what it sent before is in c.events
        ev = next((e for e in c.events if e["event"] == "SHUTDOWN"), None)
        ts = ev.get("timestamp", {}) if ev else {}
        ok = (ev is not None and ev.get("data") == {"guest": guest, "reason": reason}
              and isinstance(ts.get("seconds"), int)
              and isinstance(ts.get("microseconds"), int) and st == 0)
        more = [e for e in c.events if e["event"] == "SHUTDOWN"]
        check(name, ok and len(more) == 1,
              f"status {st}, events {more}")


def send(data):
    def act(p, c):
        os.write(p.stdin.fileno() if p.stdin else p.console, data)
    return act


case("guest-reset", True, "guest-reset", send(b"q"))
case("host-signal", False, "host-signal", lambda p, c: p.send_signal(signal.SIGTERM))
case("host-qmp-quit", False, "host-qmp-quit", lambda p, c: c.cmd("quit"))
case("host-qmp-system-reset", False, "host-qmp-system-reset",
     lambda p, c: c.cmd("system_reset"))
case("host-ui", False, "host-ui", send(b"\x01x"), tty=True)
print(f"qmp-shutdown: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
