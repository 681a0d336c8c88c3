#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/ (committed; rerun this
after changing an input format). Each seed is a well-formed case the
fuzzer then mutates: a ring with a chain, a blk request, a bring-up and a
kick for each device, QMP commands, kernel images."""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus")


def put(name, seed, data):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data)


# virtqueue: qsize exponent, flags, then RAM from 0 (desc at 0, avail at
# 0x4000, used at 0x6000).
ram = bytearray(0x8000)
struct.pack_into("<QIHH", ram, 0, 0x7000, 64, 1, 1)          # desc 0 -> 1
struct.pack_into("<QIHH", ram, 16, 0x7100, 32, 2, 0)         # writable
struct.pack_into("<HHH", ram, 0x4000, 0, 1, 0)               # avail idx 1
put("virtqueue", "chain", bytes([3, 3]) + bytes(ram))
ind = bytearray(ram)
struct.pack_into("<QIHH", ind, 0, 0x7200, 32, 4, 0)          # indirect
struct.pack_into("<QIHH", ind, 0x7200, 0x7000, 16, 1, 1)
struct.pack_into("<QIHH", ind, 0x7210, 0x7100, 16, 2, 0)
put("virtqueue", "indirect", bytes([3, 3]) + bytes(ind))

# blk_req: capacity, ro, discard, lbs, max segs, n bufs, n_out, then
# each buffer (u16 length, bytes).
def blk(typ, sector, bufs, n_out):
    s = struct.pack("<QBBBBBB", 2048, 0, 1, 0, 8, len(bufs), n_out)
    for b in bufs:
        s += struct.pack("<H", len(b)) + b
    return s


put("blk_req", "read", blk(0, 8, [struct.pack("<IIQ", 0, 0, 8), bytes(512), bytes(1)], 1))
put("blk_req", "write", blk(1, 8, [struct.pack("<IIQ", 1, 0, 8), bytes(512), bytes(1)], 2))
put("blk_req", "discard", blk(11, 0, [struct.pack("<IIQ", 11, 0, 0),
                                       struct.pack("<QII", 0, 8, 0), bytes(1)], 2))


# Device guests: ops of (op u8, off u16, width u8, value u64).
def op(o, off=0, w=2, v=0):
    return struct.pack("<BHBQ", o, off, w, v)


def mem(addr, data):
    """Guest memory writes through op 6 (offsets are from 0x10000)."""
    s = b""
    for i in range(0, len(data), 8):
        chunk = data[i:i + 8].ljust(8, b"\0")
        s += op(6, (addr - 0x10000 + i) & 0xffff, 3, struct.unpack("<Q", chunk)[0])
    return s


def chain_q(q, descs):
    base = 0x10000 + q * 0x1000
    s = b""
    for i, (addr, ln, fl, nx) in enumerate(descs):
        s += mem(base + 16 * i, struct.pack("<QIHH", addr, ln, fl, nx))
    s += mem(base + 0x100, struct.pack("<HHH", 0, 1, 0))
    return s + op(5, q)


up = op(9, 0, 2, 0xffffffff)
put("virtio_pci", "bringup-kick", up + chain_q(0, [(0x20000, 64, 0, 0)]) + op(8))
put("virtio_pci", "registers", b"".join(op(0, off, 2, off * 7) + op(1, off, 2)
                                       for off in range(0, 0x40, 2)) + op(3, 4, 1, 6))
put("balloon", "inflate", up + mem(0x20000, struct.pack("<II", 0x30, 0x31)) +
    chain_q(0, [(0x20000, 8, 0, 0)]) + op(7))
put("balloon", "stats", up + mem(0x20000, struct.pack("<HQ", 4, 12345)) +
    chain_q(2, [(0x20000, 10, 0, 0)]) + op(7))
put("net", "tx-rx", bytes([1]) + up + chain_q(1, [(0x20000, 72, 0, 0)]) +
    chain_q(0, [(0x30000, 2048, 2, 0)]) + op(7))
put("net", "ctrl", bytes([1]) + up + mem(0x20000, bytes([0, 0, 1])) +
    chain_q(2, [(0x20000, 3, 1, 1), (0x20100, 1, 2, 0)]))
put("blk", "read", bytes([0, 0]) + up + mem(0x20000, struct.pack("<IIQ", 0, 0, 0)) +
    chain_q(0, [(0x20000, 16, 1, 1), (0x21000, 512, 3, 2), (0x20100, 1, 2, 0)]) +
    op(7) + op(7))
put("blk", "write-reset", bytes([1, 1]) + up + mem(0x20000, struct.pack("<IIQ", 1, 0, 0)) +
    chain_q(0, [(0x20000, 16, 1, 1), (0x21000, 4096, 1, 2), (0x20100, 1, 2, 0)]) +
    op(8) + op(7))

put("qmp", "session", b'{"execute":"qmp_capabilities"}\n{"execute":"query-status","id":1}\n'
    b'{"execute":"balloon","arguments":{"value":536870912}}\n'
    b'{"execute":"qom-get","arguments":{"path":"b0","property":"guest-stats"}}\n')
put("qmp", "errors", b'{"execute":"nope"}\n[1,2]\n42\n{"execute":"qmp_capabilities",}\n'
    b'{"execute":"x\xc3\xa9"}\n')
put("qmp", "commands", b'{"execute":"qmp_capabilities"}\n{"execute":"query-qmp-schema"}\n'
    b'{"execute":"qom-list","arguments":{"path":"/machine/peripheral"}}\n'
    b'{"execute":"human-monitor-command","arguments":{"command-line":"info balloon"}}\n'
    b'{"execute":"query-status","bogus":1}\n{"exec-oob":"stop"}\n'
    b'{"execute":"balloon","arguments":{"value":1,"x":[]}}\n')

if len(sys.argv) > 1:   # kernel images given on the command line
    for p in sys.argv[1:]:
        put("boot", os.path.basename(p), open(p, "rb").read())
zst = bytes([0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x81, 0, 0]) + b"Z" * 16 + b"\x10\0\0\0"
put("boot", "zstd-frame", zst)
