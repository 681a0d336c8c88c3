#!/usr/bin/env python3
"""The QMP queries against a real vmm: -smp 2 with the echo guest, a
balloon with id=, an anonymous rng and a raw drive. query-cpus-fast names
the real vCPU threads, query-pci the devices in their slots with the BARs
the guest sees, query-block the drive as QEMU shows it, qom-list the
tree, human-monitor-command the HMP lines scripts use; every command
refuses an argument it does not take, and query-commands matches the
schema. Prints PASS/FAIL lines and a summary."""
import os, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Checks, start_vmm  # noqa: E402

VMM, GUESTS = sys.argv[1], sys.argv[2]
check = Checks("qmp-query")

with tempfile.TemporaryDirectory() as tmp:
    disk = os.path.join(tmp, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(4 << 20)
    p, c = start_vmm(VMM, ["-m", "64M", "-smp", "2", "-kernel", f"{GUESTS}/echo.elf",
                           "-device", "virtio-balloon-pci,id=b0",
                           "-device", "virtio-rng-pci",
                           "-drive", f"file={disk},if=none,id=d0,format=raw,readonly=on",
                           "-device", "virtio-blk-pci,drive=d0,id=vblk0"],
                     os.path.join(tmp, "qmp.sock"))
    # The vCPU threads record their ids as they start.
    end = time.time() + 30
    while time.time() < end:
        cpus = c.cmd("query-cpus-fast").get("return", [])
        if len(cpus) == 2 and all(x.get("thread-id") for x in cpus):
            break
        time.sleep(0.1)
    tasks = set(int(t) for t in os.listdir(f"/proc/{p.pid}/task"))
    check("cpus-fast", [x["cpu-index"] for x in cpus] == [0, 1]
          and all(x["thread-id"] in tasks and x["thread-id"] != p.pid for x in cpus)
          and all(x["target"] == "x86_64" for x in cpus), f"{cpus} tasks {tasks}")

    pci = c.cmd("query-pci").get("return", [{}])[0].get("devices", [])
    ids = [(d["slot"], d["id"]["vendor"], d["id"]["device"], d["qdev_id"]) for d in pci]
    check("pci", ids == [(0, 0x1b36, 0x0008, ""), (1, 0x1af4, 0x1045, "b0"),
                         (2, 0x1af4, 0x1044, ""), (3, 0x1af4, 0x1042, "vblk0")]
          and all(r["size"] > 0 for d in pci[1:] for r in d["regions"])
          and pci[1]["class_info"]["class"] == 0x00ff, f"{ids} {pci[1:2]}")

    blk = c.cmd("query-block").get("return", [])
    ins = blk[0].get("inserted", {}) if blk else {}
    check("block", len(blk) == 1 and blk[0]["device"] == "d0" and ins.get("ro") is True
          and ins.get("file") == disk and ins.get("image", {}).get("virtual-size") == 4 << 20
          and ins.get("drv") == "raw", f"{blk}")

    per = c.cmd("qom-list", {"path": "/machine/peripheral"}).get("return", [])
    anon = c.cmd("qom-list", {"path": "/machine/peripheral-anon"}).get("return", [])
    check("qom-list", {"name": "b0", "type": "child<virtio-balloon-pci>"} in per
          and {"name": "vblk0", "type": "child<virtio-blk-pci>"} in per
          and {"name": "device[0]", "type": "child<virtio-rng-pci>"} in anon, f"{per} {anon}")

    hmp = c.cmd("human-monitor-command", {"command-line": "info status"}).get("return")
    bal = c.cmd("human-monitor-command", {"command-line": "info balloon"}).get("return")
    check("hmp", hmp == "VM status: running\r\n" and bal == "balloon: actual=64\r\n",
          f"{hmp!r} {bal!r}")

    # Every command: an argument it does not take is refused by name.
    names = [x["name"] for x in c.cmd("query-commands")["return"]]
    schema = c.cmd("query-qmp-schema")["return"]
    in_schema = {e["name"] for e in schema if e["meta-type"] == "command"}
    objs = {e["name"]: e for e in schema if e["meta-type"] == "object"}
    dummy = {"int": 1, "str": "x", "bool": False, "any": 0, "[str]": []}
    bad = {}
    for n in names:
        if n in ("qmp_capabilities",):
            continue
        # What the command requires, well typed, plus one it does not take
        # (QEMU reports a missing argument first).
        arg = objs.get(f"q_obj_{n}-arg", {}).get("members", [])
        args = {m["name"]: dummy[m["type"]] for m in arg if "default" not in m}
        args["no-such-arg"] = 1
        r = c.cmd(n, args)
        if r.get("error", {}).get("desc") != "Parameter 'no-such-arg' is unexpected":
            bad[n] = r
    check("every-command-strict", not bad and p.poll() is None, f"{bad}")
    check("schema-lists-commands", set(names) == in_schema, f"{set(names) ^ in_schema}")
    r = c.cmd("query-status", bogus=1)
    check("unexpected-member", "'bogus' is unexpected" in r.get("error", {}).get("desc", ""), f"{r}")

    c.cmd("quit")
    check("quit-exit-0", p.wait(timeout=30) == 0)
sys.exit(check.summary())
