"""A minimal QMP client for the tests: one JSON message per line, events
kept aside while waiting for a command's answer."""
import json
import os
import pty
import socket
import subprocess
import time


class Client:
    def __init__(self, path):
        """@path: a Unix socket's path, or a (host, port) pair for TCP."""
        self.s = socket.socket(socket.AF_INET if isinstance(path, tuple) else socket.AF_UNIX)
        self.s.connect(path)
        self.s.settimeout(10)
        self.buf = b""
        self.events = []
        self.greeting = self.recv()

    def recv(self):
        while b"\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, args=None, **extra):
        msg = {"execute": name, **extra}
        if args is not None:
            msg["arguments"] = args
        self.s.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.recv()
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def wait_event(self, name, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e["event"] == name and pred(e):
                    return e
            try:
                self.s.settimeout(max(0.1, end - time.time()))
                r = self.recv()
                if "event" in r:
                    self.events.append(r)
            except (socket.timeout, TimeoutError):
                pass
        return None


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0




class Checks:
    """PASS/FAIL lines with a prefix, and the closing summary line."""

    def __init__(self, prefix):
        self.prefix, self.passed, self.failed = prefix, 0, 0

    def __call__(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {self.prefix}-{name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {self.prefix}-{name}: {detail}", flush=True)

    def summary(self):
        print(f"{self.prefix}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def start_vmm(vmm, args, sock, tty=False):
    """vmm with @args and a QMP socket at @sock, its console on a pty
    when @tty (raw there: Ctrl-A is the escape key), else on pipes;
    p.console is the fd to read and write the console. Returns the
    process and a negotiated Client."""
    argv = [vmm] + args + ["-qmp", f"unix:{sock},server=on,wait=off"]
    if tty:
        master, slave = pty.openpty()
        p = subprocess.Popen(argv, stdin=slave, stdout=slave,
                             stderr=subprocess.DEVNULL)
        os.close(slave)
        p.console = master
    else:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        p.console = p.stdout.fileno()
    for _ in range(600):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    c = Client(sock)
    c.cmd("qmp_capabilities")
    return p, c
