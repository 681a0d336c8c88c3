#!/usr/bin/env python3
"""QMP's other addresses, as QEMU users spell them: -qmp tcp:HOST:PORT
(on loopback) and -chardev socket,... with -mon chardev=,mode=control;
each answers query-status and ends on quit with status 0, and a port
already taken is a clear error. Prints PASS/FAIL lines and a summary."""
import os, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Checks, Client  # noqa: E402

VMM, GUESTS = sys.argv[1], sys.argv[2]
check = Checks("qmp-transport")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def connect(addr, secs=30):
    end = time.time() + secs
    while True:
        try:
            return Client(addr)
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.1)


def session(name, args, addr):
    p = subprocess.Popen([VMM, "-m", "32M", "-kernel", f"{GUESTS}/echo.elf"] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        c = connect(addr)
        ok = "QMP" in c.greeting and c.cmd("qmp_capabilities").get("return") == {}
        st = c.cmd("query-status").get("return", {}).get("status")
        c.cmd("quit")
        rc = p.wait(timeout=30)
        check(name, ok and st == "running" and rc == 0, f"greeting ok {ok}, status {st}, rc {rc}")
    except Exception as e:  # noqa: BLE001
        p.kill()
        check(name, False, f"{type(e).__name__}: {e}; {p.stdout.read()[-300:]!r}")


port = free_port()
session("tcp-loopback", ["-qmp", f"tcp:127.0.0.1:{port},server=on,wait=off"],
        ("127.0.0.1", port))
with tempfile.TemporaryDirectory() as tmp:
    sock = os.path.join(tmp, "mon.sock")
    session("chardev-mon-unix",
            ["-chardev", f"socket,id=mon0,path={sock},server=on,wait=off",
             "-mon", "chardev=mon0,mode=control"], sock)
port = free_port()
session("chardev-mon-tcp",
        ["-mon", "chardev=m,mode=control",
         "-chardev", f"socket,id=m,host=127.0.0.1,port={port},server=on,wait=off"],
        ("127.0.0.1", port))

# A port someone else holds: one sentence, status 1, no VM.
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
r = subprocess.run([VMM, "-kernel", f"{GUESTS}/echo.elf", "-qmp",
                    f"tcp:127.0.0.1:{busy.getsockname()[1]},server=on,wait=off"],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
check("tcp-port-in-use", r.returncode == 1 and "cannot listen on '127.0.0.1:" in r.stderr
      and "Address already in use" in r.stderr, f"{r.returncode} {r.stderr!r}")
busy.close()
sys.exit(check.summary())
