#!/usr/bin/env python3
"""-S, stop and cont over QMP with the echo guest: started paused
("prelaunch": the guest prints nothing), cont runs it (RESUME), stop
parks the vCPUs (STOP, "paused": input is not echoed), cont again (the
input is echoed then). Prints PASS/FAIL lines and a summary."""
import os, select, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Checks, start_vmm  # noqa: E402

VMM, GUESTS = sys.argv[1], sys.argv[2]
check = Checks("qmp-runstate")


def read_for(fd, secs):
    out, end = b"", time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            out += chunk
    return out


def wait_for(fd, what, secs):
    out, end = b"", time.time() + secs
    while what not in out and time.time() < end:
        out += read_for(fd, 0.2)
    return out


def status(c):
    return c.cmd("query-status").get("return", {})


with tempfile.TemporaryDirectory() as tmp:
    p, c = start_vmm(VMM, ["-S", "-m", "32M", "-kernel", f"{GUESTS}/echo.elf"],
                     os.path.join(tmp, "qmp.sock"))
    fd = p.console
    st = status(c)
    early = read_for(fd, 2)
    check("prelaunch", st.get("status") == "prelaunch" and st.get("running") is False
          and b"echo ready" not in early, f"{st} {early[-80:]!r}")
    c.cmd("cont")
    out = wait_for(fd, b"echo ready", 60)
    check("cont-runs", b"echo ready" in out and status(c).get("status") == "running"
          and c.wait_event("RESUME", lambda e: True, 5) is not None, repr(out[-80:]))
    r = c.cmd("stop")
    st = status(c)
    p.stdin.write(b"ab")
    p.stdin.flush()
    held = read_for(fd, 2)
    check("stop-parks", r.get("return") == {} and st.get("status") == "paused"
          and b"AB" not in held and c.wait_event("STOP", lambda e: True, 5) is not None,
          f"{r} {st} {held!r}")
    check("stop-twice-one-event", c.cmd("stop").get("return") == {}
          and len([e for e in c.events if e["event"] == "STOP"]) == 1, c.events)
    c.cmd("cont")
    out = wait_for(fd, b"AB", 30)
    check("cont-resumes", b"AB" in out, repr(out[-80:]))
    c.cmd("quit")
    check("exit-0", p.wait(timeout=60) == 0)
sys.exit(check.summary())
