#!/usr/bin/env python3
"""SHUTDOWN on every exit path, as QEMU words it: the echo guest waits on
the console while a QMP client listens; each way of ending the VM must
send one SHUTDOWN event with QEMU's "guest" and "reason" and a
timestamp, and end the VMM with status 0 (a reset ends it only with
-no-reboot). Without -no-reboot a reset is a machine reset: RESET with
QEMU's data, the guest boots again, a paused VM stays paused, one powered
off under -no-shutdown comes back as prelaunch. Prints PASS/FAIL lines
and a summary."""
import os, select, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Checks, start_vmm  # noqa: E402

VMM, GUESTS = sys.argv[1], sys.argv[2]
check = Checks("qmp-shutdown")


def start(tmp, tty, extra=("-no-reboot",)):
    """The echo guest, up and polling its UART before anything ends it."""
    p, c = start_vmm(VMM, ["-m", "32M", "-kernel", f"{GUESTS}/echo.elf", *extra],
                     os.path.join(tmp, "qmp.sock"), tty)
    p.out = b""
    wait_ready(p, 1)
    return p, c


def wait_ready(p, n, secs=60):
    """Until the console has said "echo ready" @n times (one per boot)."""
    end = time.time() + secs
    while p.out.count(b"echo ready") < n and time.time() < end:
        r, _, _ = select.select([p.console], [], [], 1)
        if r:
            try:
                p.out += os.read(p.console, 4096)
            except OSError:
                break
    return p.out.count(b"echo ready") >= n


def exit_status(p, secs):
    """The VMM's exit status; killed (-9) if it is still there after @secs."""
    try:
        return p.wait(timeout=secs)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def rest(p):
    """What the console printed since "echo ready" (the VMM has ended)."""
    out = p.out
    while select.select([p.console], [], [], 0)[0]:
        try:
            b = os.read(p.console, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
    return out[-300:]


def case(name, guest, reason, act, tty=False):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            p, c = start(tmp, tty)
        except Exception as e:  # noqa: BLE001
            check(name, False, f"could not start: {e}")
            return
        act(p, c)
        st = exit_status(p, 60)
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
              f"status {st}, events {more}, console {rest(p)!r}")


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


def no_shutdown():
    """-no-shutdown: the guest's ACPI power-off stops the VM (SHUTDOWN,
    STOP, runstate "shutdown"), vmm stays; cont wants a reset; quit -> 0.
    Without it the same power-off ends vmm with SHUTDOWN guest-shutdown."""
    with tempfile.TemporaryDirectory() as tmp:
        # -S: the guest powers off at once; the client must be there first.
        p, c = start_vmm(VMM, ["-m", "32M", "-kernel", f"{GUESTS}/poweroff.elf",
                               "-no-shutdown", "-S"], os.path.join(tmp, "qmp.sock"))
        p.out = b""
        c.cmd("cont")
        ev = c.wait_event("SHUTDOWN", lambda e: True, 60)
        stop = c.wait_event("STOP", lambda e: True, 10)
        st = c.cmd("query-status").get("return", {})
        time.sleep(1)
        alive = p.poll() is None
        check("no-shutdown-stays", ev and ev["data"] == {"guest": True, "reason": "guest-shutdown"}
              and stop and st.get("status") == "shutdown" and st.get("running") is False
              and alive, f"SHUTDOWN {ev}, STOP {stop}, status {st}, alive {alive}")
        r = c.cmd("cont")
        check("no-shutdown-cont-needs-reset",
              r.get("error", {}).get("desc") == "Resetting the Virtual Machine is required", r)
        c.cmd("quit")
        rc = exit_status(p, 30)
        out = rest(p)
        check("no-shutdown-quit-exit-0", rc == 0 and b"still running" not in out,
              f"status {rc}, console {out!r}")
    with tempfile.TemporaryDirectory() as tmp:
        p, c = start_vmm(VMM, ["-m", "32M", "-kernel", f"{GUESTS}/poweroff.elf", "-S"],
                         os.path.join(tmp, "qmp.sock"))
        try:
            c.cmd("cont")
        except (EOFError, OSError):
            pass   # the guest was quicker than the reply
        rc = exit_status(p, 60)
        try:
            c.wait_event("SHUTDOWN", lambda e: True, 5)
        except (EOFError, OSError):
            pass
        ev = next((e for e in c.events if e["event"] == "SHUTDOWN"), None)
        check("guest-shutdown", rc == 0 and ev and
              ev["data"] == {"guest": True, "reason": "guest-shutdown"}, f"{rc} {c.events}")


def resets():
    """No -no-reboot: the guest's reset ('q': the i8042) and QMP's
    system_reset each emit RESET and the guest boots again; the VMM stays
    until quit. A paused VM stays paused across system_reset and boots
    again on cont."""
    with tempfile.TemporaryDirectory() as tmp:
        p, c = start(tmp, False, ())
        send(b"q")(p, c)
        ev = c.wait_event("RESET", lambda e: True, 30)
        again = wait_ready(p, 2)
        check("reset-guest", ev and ev["data"] == {"guest": True, "reason": "guest-reset"}
              and again and p.poll() is None, f"RESET {ev}, console {p.out[-200:]!r}")
        c.events.clear()
        c.cmd("system_reset")
        ev = c.wait_event("RESET", lambda e: True, 30)
        again = wait_ready(p, 3)
        check("reset-qmp", ev and ev["data"] == {"guest": False,
                                                  "reason": "host-qmp-system-reset"}
              and isinstance(ev.get("timestamp", {}).get("seconds"), int)
              and again and p.poll() is None, f"RESET {ev}, console {p.out[-200:]!r}")
        c.cmd("stop")
        c.events.clear()
        c.cmd("system_reset")
        ev = c.wait_event("RESET", lambda e: True, 30)
        st = c.cmd("query-status").get("return", {})
        time.sleep(0.5)
        quiet = not wait_ready(p, 4, 1)
        c.cmd("cont")
        again = wait_ready(p, 4)
        check("reset-while-paused", ev and st.get("status") == "paused" and quiet and again,
              f"RESET {ev}, status {st}, stayed quiet {quiet}, booted {again}")
        shut = [e for e in c.events if e["event"] == "SHUTDOWN"]
        c.cmd("quit")
        rc = exit_status(p, 30)
        check("reset-then-quit-exit-0", rc == 0 and not shut, f"status {rc}, {shut}")
    with tempfile.TemporaryDirectory() as tmp:
        # -no-shutdown: powered off, then system_reset: prelaunch; cont
        # runs it again (it powers off again: a second SHUTDOWN).
        p, c = start_vmm(VMM, ["-m", "32M", "-kernel", f"{GUESTS}/poweroff.elf",
                               "-no-shutdown", "-S"], os.path.join(tmp, "qmp.sock"))
        c.cmd("cont")
        c.wait_event("SHUTDOWN", lambda e: True, 60)
        c.events.clear()
        r = c.cmd("system_reset")
        ev = c.wait_event("RESET", lambda e: True, 30)
        st = c.cmd("query-status").get("return", {})
        r2 = c.cmd("cont")
        again = c.wait_event("SHUTDOWN", lambda e: True, 60)
        check("no-shutdown-reset-prelaunch-cont", r == {"return": {}} and ev
              and st.get("status") == "prelaunch" and r2 == {"return": {}} and again,
              f"{r} RESET {ev} status {st} cont {r2} SHUTDOWN {again}")
        c.cmd("quit")
        check("no-shutdown-reset-quit-exit-0", exit_status(p, 30) == 0)


no_shutdown()
resets()
sys.exit(check.summary())
