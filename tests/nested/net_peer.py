#!/usr/bin/env python3
"""The host end of the stock guest's net checks: port 7001 takes bytes
and writes their md5 to OUT, 7002 serves 4 MiB of random bytes, 7003
serves those bytes' md5; on the tap's address, or on ADDR if given
(127.0.0.1 for -netdev user, whose gateway leads to the host's
loopback)."""
import hashlib
import os
import socket
import sys
import threading

out = sys.argv[1]
addr = sys.argv[2] if len(sys.argv) > 2 else "10.78.0.1"
data = os.urandom(4 << 20)
digest = hashlib.md5(data).hexdigest().encode()


def serve(port, handle):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    while True:
        c, _ = s.accept()
        with c:
            handle(c)


def sink(c):
    h = hashlib.md5()
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
    with open(out, "w") as f:
        f.write(h.hexdigest() + "\n")


def source(c):
    c.sendall(data)


def md5(c):
    c.sendall(digest + b"\n")


for port, fn in ((7001, sink), (7002, source), (7003, md5)):
    threading.Thread(target=serve, args=(port, fn), daemon=True).start()
threading.Event().wait()
