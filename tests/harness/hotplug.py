#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hot-unplug under load: drive QEMU over QMP, then judge what the guest and QEMU showed.

  hotplug.py run   --log LOG --journal J --arch ARCH --shm FILE --cycles N --seed S
                   [--virtio-disk IMAGE] [--kmemleak] [--timeout T] [--counts F]
                   [--config C] -- QEMU ARGS...
  hotplug.py judge --log LOG --journal J --cycles N [--virtio-disk IMAGE] [--kmemleak]
                   [--counts F] [--config C]

`run` starts QEMU (its base command after `--`: emulator, machine, CPUs, kernel,
initramfs, command line) with each PCI sample device behind a pcie-root-port of its
own (DEVICES, root_ports), a QMP socket and the console on QEMU's standard output,
which goes to LOG. With --virtio-disk, the virtio samples' devices too (VIRTIO_DEVICES):
a virtio-blk whose disk is IMAGE, a block node of its own that outlives each removal, and a
virtio-rng; the guest keeps requests in flight on both while they are bound. The guest's /init (init.sh, hotplug mode) loads the drivers with
hotplug=1: each keeps its device with an I/O loop on every CPU. Then, for every
device at once, CYCLES times: wait a random time, `device_del`; wait for QEMU's
DEVICE_DELETED and for the guest's report of the removal; look at QMP's view of the
device tree (query-pci) and, for ivshmem, at the file behind its memory; wait again,
`device_add` the same device; wait for the guest's report of the new probe; look at
query-pci again. With --serialize, one device's removal or addition runs at a time
(the others' loops run on, and the delays overlap): with q35's ACPI hot-plug, a
device_add made while the guest handles another slot's eject was lost in our runs
(QEMU listed the device, the guest never scanned its slot again). What the host saw
goes to the journal J, one JSON object a line. The random delays come from
`random.Random` seeded with SEED and the device's name, so HOTPLUG_SEED=SEED
repeats them. After the last cycle /init unloads the drivers, has kmemleak scan
and powers off. `run` then judges the run; `judge` judges a
recorded one again.

What is judged, from LOG and J
------------------------------

For each device, the first probe (its driver's I/O checks passed and its loops
run), then for each cycle K:

  unplugged     QEMU reported DEVICE_DELETED, and query-pci no longer lists it
  remove_path   the driver's remove path ran with the device still bound, stopped
                the loops' writes and found the device agreeing with them exactly
                (`hotplug: unbind BDF #K: agrees`)
  revoked       devres revoked the driver's handles while its loops ran: every
                loop saw each of its handles refuse access, none granted access
                again once it had refused it, no loop failed a check, and every
                loop stopped before the remove path returned (`hotplug:
                released BDF #K: clean`)
  served        (virtio, in place of remove_path and revoked, which are the
                loops') the driver's remove path ran with the device still
                bound: no request outstanding once the driver stopped taking
                them (the disk deleted, the hwrng unregistered), the device
                acknowledged its reset, and it served requests of the guest's
                load while bound (`hotplug: unbind BDF #K: agrees: served N,
                outstanding 0, reset Ok(..)`, N > 0)
  regions_free  the device's BARs are gone from /proc/iomem and /proc/ioports
                (`hotplug: gone BDF #K, iomem free, ioports free, ...`, init.sh)
  irqs_free     its interrupts are gone from /proc/interrupts (counted for the
                devices whose driver requests one; for the others it is a gate)
  replugged     after device_add, query-pci lists it again, on the same bus
  reprobed      the driver bound it again and its probe's I/O checks passed, its
                loops running (`hotplug: back BDF #K: bound`, `probe BDF #K+1`)
  observer      (ivshmem) the counters the loops left in the shared memory, read in
                the file from outside the guest, are those the remove path printed

Each is one check, counted once: passed, or failed with the reason (a check whose
evidence never came, because the run stopped, fails too). Then, once:

  kmemleak      (with --kmemleak) kmemleak scanned at the end and found no
                unreferenced object attributed to our modules: by the module that
                the back trace names, or by an address within a module as it was
                loaded (init.sh lists them before unloading). Every object found
                is printed, ours or not.

and these gates, which count nothing when they hold and one failure when they do
not: QEMU and the guest finished (no time-out, /init done, power off), every
module loaded and unloaded, and the console holds no report of the kernel's
checkers and no crash (ktap.py's scan: KASAN, KFENCE, UBSAN, lockdep, DMA-API,
sleeping in atomic context, dropped messages, Oops, WARNING, ...).
"""

import argparse
import asyncio
import json
import os
import random
import re
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ktap  # noqa: E402


class Device:
    """A PCI sample device, its root port and its driver."""

    def __init__(self, name, driver, port, qdev, irqs=False, observer=False, loops=True):
        self.name = name          # its QEMU id
        self.driver = driver      # the sample driver that binds it
        self.port = port          # the id of its pcie-root-port
        self.qdev = qdev          # device_add's arguments, less id, bus and memory
        self.irqs = irqs          # whether the driver requests an interrupt
        self.observer = observer  # whether its memory is the observer's file
        self.loops = loops        # whether its driver runs the loops (else: served)

    def add_args(self, generation=0):
        """device_add's arguments for the device's `generation`th addition (0: the first, on
        the command line). The observer's device takes a memory backend of its own each time
        (backend(generation)), all backed by the same file: QEMU 10.0 cannot give the same
        backend's memory to a device a second time (it asserts that the memory has no name
        yet)."""
        args = dict(self.qdev, id=self.name, bus=self.port)
        if self.observer:
            args["memdev"] = backend(generation)
        return args

    def command_line(self):
        def value(v):
            return ("on" if v else "off") if isinstance(v, bool) else v
        return ",".join(f"{k}={value(v)}" for k, v in self.add_args().items())


def backend(generation):
    """The id of the memory backend of the observer's device's `generation`th addition."""
    return f"shm{generation}"


DEVICES = (
    Device("edu", "io_edu", "rp1", {"driver": "edu"}, irqs=True),
    Device("testdev", "io_testdev", "rp2", {"driver": "pci-testdev"}),
    Device("ivshmem", "io_ivshmem", "rp3", {"driver": "ivshmem-plain"}, observer=True),
)
# The virtio samples' devices, as the boot has them (boot.sh): modern only, DMA through the
# platform's translation, and a queue per CPU for the disk. The values have QMP's types.
DISK_NODE = "disk0"
VIRTIO_DEVICES = (
    Device("vblk", "io_virtio_blk", "rp4",
           {"driver": "virtio-blk-pci", "drive": DISK_NODE, "disable-legacy": "on",
            "iommu_platform": True, "num-queues": 4}, irqs=True, loops=False),
    Device("vrng", "io_virtio_rng", "rp5",
           {"driver": "virtio-rng-pci", "disable-legacy": "on", "iommu_platform": True},
           irqs=True, loops=False),
)


def root_ports(devices):
    """The hot-plug slots: a PCI Express root port each, on the machine's root bus."""
    return tuple(f"pcie-root-port,id={d.port},chassis={i},slot={i},bus=pcie.0"
                 for i, d in enumerate(devices, 1))


def devices_of(virtio_disk):
    """The devices of a run: the virtio ones too where it has a disk image for them."""
    return DEVICES + (VIRTIO_DEVICES if virtio_disk else ())
# ivshmem's memory, a file: each addition's backend maps it (Device.add_args).
SHM_SIZE = 1 << 20
# Where io_ivshmem's loops count, one 64-byte slot per loop (samples/io_ivshmem.rs,
# HOTPLUG_AREA): a 64-bit count, the probe's number and the loop's.
HOTPLUG_AREA = 0xD_0000
CONTEXTS = 4

CHECKS = ("unplugged", "remove_path", "revoked", "regions_free", "irqs_free", "replugged",
          "reprobed", "observer")

# What the guest prints (time stamps removed). The drivers' lines carry their
# module's prefix.
PROBE = re.compile(r"^(\w+): hotplug: probe (\S+) #(\d+): (.*)$")
UNBIND = re.compile(r"^(\w+): hotplug: unbind (\S+) #(\d+): (\w+): (.*)$")
RELEASED = re.compile(r"^(\w+): hotplug: released (\S+) #(\d+): (\w+): (\d+) of (\d+) loops "
                      r"stopped, (\d+) saw every handle revoked, (\d+) accesses refused and "
                      r"(\d+) granted after that, (\d+) rounds, error (.*)$")
GONE = re.compile(r"^harness: hotplug: gone (\S+) #(\d+), (.*)$")
BACK = re.compile(r"^harness: hotplug: back (\S+) #(\d+): (.*)$")
BOUND = re.compile(r"^harness: module (\S+) bound (\S+)$")
READY = "harness: hotplug: ready"
MODULE_AT = re.compile(r"^harness: module (\S+) at (0x[0-9a-f]+) size (\d+)$")
KMEMLEAK = re.compile(r"^harness: kmemleak: (.*)$")
COUNTERS = re.compile(r"counters \[([0-9, ]*)\]")
SERVED = re.compile(r"^served (\d+), outstanding (\d+), reset (.*)$")


def delays(seed, device):
    """The random delays of a device's cycles: before each device_del, a time within
    the loops' run, and before each device_add."""
    rng = random.Random(f"{seed}:{device.name}")
    while True:
        yield rng.uniform(0.1, 1.5), rng.uniform(0.0, 0.5)


# ---- Judging ----

class Verdicts:
    """The checks of a run, each once: (device, cycle, check) -> problem or None."""

    def __init__(self):
        self.checks = {}
        self.gates = []        # problems of the gates
        self.notes = []

    def check(self, key, problem):
        if key in self.checks:
            raise ValueError(f"check {key} counted twice")
        self.checks[key] = problem

    def gate(self, problem):
        self.gates.append(problem)

    @property
    def passed(self):
        return sum(1 for p in self.checks.values() if p is None)

    @property
    def failed(self):
        return sum(1 for p in self.checks.values() if p is not None) + len(self.gates)

    def problems(self):
        out = [f"{'/'.join(map(str, k))}: {p}" for k, p in self.checks.items() if p is not None]
        return out + list(self.gates)


def read_journal(path):
    entries = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip():
                    entries.append(json.loads(line))
    except (OSError, ValueError) as e:
        entries.append({"what": "journal", "ok": False, "detail": f"unreadable: {e}"})
    return entries


def parse_guest(lines):
    """What the guest said, indexed: {(bdf, n): match} per kind, and the devices bound."""
    seen = {"probe": {}, "unbind": {}, "released": {}, "gone": {}, "back": {}}
    bound = {}
    for line in lines:
        for kind, pattern in (("probe", PROBE), ("unbind", UNBIND), ("released", RELEASED)):
            m = pattern.match(line)
            if m:
                seen[kind].setdefault((m.group(1), m.group(2), int(m.group(3))), m)
        for kind, pattern in (("gone", GONE), ("back", BACK)):
            m = pattern.match(line)
            if m:
                seen[kind].setdefault((m.group(1), int(m.group(2))), m)
        m = BOUND.match(line)
        if m:
            bound.setdefault(m.group(1), m.group(2))
    return seen, bound


def judge_released(m):
    """None if the released line says all is well, else what is not."""
    if m is None:
        return "no report of the loops' end (hotplug: released)"
    _, _, _, verdict, stopped, started, met, refused, granted, rounds, error = m.groups()
    wrong = []
    if int(started) == 0 or stopped != started:
        wrong.append(f"{stopped} of {started} loops stopped")
    if met != started:
        wrong.append(f"{met} of {started} loops saw every handle revoked")
    if int(granted):
        wrong.append(f"{granted} accesses granted after revocation")
    if int(refused) == 0:
        wrong.append("no access was refused after revocation")
    if error != "None":
        wrong.append(f"a loop failed: {error}")
    if verdict != "clean" and not wrong:
        wrong.append(f"the driver says {verdict}")
    return "; ".join(wrong) or None


def judge_served(m):
    """None if a virtio driver's unbind line says all is well, else what is not."""
    if m is None:
        return "the driver's remove path never reported (hotplug: unbind)"
    verdict, text = m.group(4), m.group(5)
    served = SERVED.match(text)
    if served is None:
        return f"unreadable report: {text}"
    wrong = []
    if int(served.group(2)):
        wrong.append(f"{served.group(2)} requests outstanding after the driver stopped")
    if not served.group(3).startswith("Ok("):
        wrong.append(f"the reset: {served.group(3)}")
    if int(served.group(1)) == 0:
        wrong.append("no request of the guest's load was served while bound")
    if verdict != "agrees" and not wrong:
        wrong.append(f"the driver says {verdict}")
    return "; ".join(wrong) or None


def judge_gone(m, device):
    """(regions problem, irqs problem) of init's line for a removal."""
    if m is None:
        return ("the guest never reported the device gone",) * 2
    text = m.group(3)
    regions = [w for w in ("iomem", "ioports") if f"{w} free" not in text.split(", ")]
    regions_problem = (f"still in /proc/{', /proc/'.join(regions)}: {text}" if regions else None)
    irqs_problem = None if "interrupts free" in text.split(", ") else f"still in /proc/interrupts: {text}"
    return regions_problem, irqs_problem


def host_entries(journal, device, cycle):
    return {e["what"]: e for e in journal if e.get("dev") == device.name and e.get("cycle") == cycle}


def judge_cycles(verdicts, lines, journal, cycles, devices=DEVICES):
    seen, bound = parse_guest(lines)
    for device in devices:
        bdf = bound.get(device.driver)
        first = seen["probe"].get((device.driver, bdf, 1)) if bdf else None
        if bdf is None:
            problem = f"{device.driver} never bound {device.name}"
        elif first is None:
            problem = "no report of the first probe"
        elif not first.group(4).startswith("I/O checks passed"):
            problem = f"first probe: {first.group(4)}"
        else:
            problem = None
        verdicts.check((device.name, 0, "probed"), problem)
        for k in range(1, cycles + 1):
            host = host_entries(journal, device, k)
            key = (device.driver, bdf, k)

            def host_check(*whats):
                for what in whats:
                    entry = host.get(what)
                    if entry is None:
                        return f"not done: no {what} (the run stopped before it)"
                    if not entry.get("ok"):
                        return f"{what}: {entry.get('detail', 'failed')}"
                return None

            verdicts.check((device.name, k, "unplugged"), host_check("deleted", "qmp_absent"))
            unbind = seen["unbind"].get(key)
            if not device.loops:
                verdicts.check((device.name, k, "served"), judge_served(unbind))
            else:
                if unbind is None:
                    problem = "the driver's remove path never reported (hotplug: unbind)"
                elif unbind.group(4) != "agrees":
                    problem = f"the device and the loops disagree: {unbind.group(5)}"
                else:
                    problem = None
                verdicts.check((device.name, k, "remove_path"), problem)
                verdicts.check((device.name, k, "revoked"),
                               judge_released(seen["released"].get(key)))
            regions, irqs = judge_gone(seen["gone"].get((bdf, k)), device)
            verdicts.check((device.name, k, "regions_free"), regions)
            if device.irqs:
                verdicts.check((device.name, k, "irqs_free"), irqs)
            elif irqs is not None:
                verdicts.gate(f"{device.name}/{k}/irqs_free: {irqs}")
            verdicts.check((device.name, k, "replugged"), host_check("qmp_present"))
            back = seen["back"].get((bdf, k))
            probe = seen["probe"].get((device.driver, bdf, k + 1))
            if back is None:
                problem = "the guest never saw it back"
            elif not back.group(3).startswith("bound"):
                problem = back.group(3)
            elif probe is None:
                problem = f"no report of probe #{k + 1}"
            elif not probe.group(4).startswith("I/O checks passed"):
                problem = f"probe #{k + 1}: {probe.group(4)}"
            else:
                problem = None
            verdicts.check((device.name, k, "reprobed"), problem)
            if device.observer:
                verdicts.check((device.name, k, "observer"), host_check("observer"))


def attributed(block, ranges, ours):
    """Whether a kmemleak report (its lines) names one of our modules in its back trace,
    or holds an address within one of them."""
    for line in block:
        if any(f"[{name}]" in line for name in ours):
            return True
        for word in re.findall(r"0x[0-9a-f]{8,16}", line):
            addr = int(word, 16)
            if any(start <= addr < start + size for name, (start, size) in ranges.items()
                   if name in ours):
                return True
    return False


def judge_kmemleak(verdicts, lines, ours):
    """One check: kmemleak's report came, and no object in it is ours."""
    ranges = {}
    for line in lines:
        m = MODULE_AT.match(line)
        if m:
            ranges[m.group(1)] = (int(m.group(2), 16), int(m.group(3)))
    report, ended, absent = [], False, False
    for line in lines:
        m = KMEMLEAK.match(line)
        if not m:
            continue
        text = m.group(1)
        if text == "not in this kernel":
            absent = True
        elif text == "end of report":
            ended = True
        elif text.startswith("| "):
            report.append(text[2:])
    blocks = []
    for line in report:
        if line.startswith("unreferenced object"):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    mine = [b for b in blocks if attributed(b, ranges, ours)]
    for b in blocks:
        who = "OURS" if b in mine else "not ours"
        verdicts.notes.append(f"kmemleak ({who}): " + " / ".join(s.strip() for s in b[:1] + b[-4:]))
    if absent:
        problem = "the kernel has no kmemleak, though its configuration asks for it"
    elif not ended:
        problem = "kmemleak's report never came"
    elif mine:
        problem = (f"{len(mine)} of {len(blocks)} unreferenced objects are our modules': "
                   + "; ".join(b[0] for b in mine))
    else:
        problem = None
    verdicts.check(("kmemleak", 0, "no_leaks_of_ours"), problem)
    verdicts.notes.append(f"kmemleak: {len(blocks)} unreferenced objects, {len(mine)} of them ours")


def judge_run(verdicts, lines, journal, config="", devices=DEVICES):
    """The gates of the run itself: QEMU, /init, the modules and the console scan."""
    for e in journal:
        if e.get("what") in ("qemu", "timeout", "journal", "host", "cycles") and not e.get("ok"):
            verdicts.gate(f"{e.get('what')}: {e.get('detail', 'failed')}")
    if "harness: init done" not in lines:
        verdicts.gate("/init never finished (no 'harness: init done')")
    elif not any("reboot: Power down" in line for line in lines):
        verdicts.gate("the guest did not power off")
    report = ktap.Report()
    ktap.check_reports(lines, report, config)
    ktap.check_modules(lines, [d.driver for d in devices], report)
    for problem in report.problems:
        verdicts.gate(problem)


def judge(lines, journal, cycles, kmemleak=False, config="", devices=DEVICES):
    """The verdicts of a run from its console lines and its journal."""
    verdicts = Verdicts()
    judge_cycles(verdicts, lines, journal, cycles, devices)
    if kmemleak:
        judge_kmemleak(verdicts, lines, {d.driver for d in devices})
    judge_run(verdicts, lines, journal, config, devices)
    return verdicts


def report(verdicts, counts=None, seed=None, cycles=None, elapsed=None, devices=DEVICES):
    """Prints the verdicts; writes "passed failed 0" to counts."""
    for note in verdicts.notes:
        print(f"hotplug: {note}")
    for problem in verdicts.problems():
        print(f"FAIL: {problem}")
    what = []
    if cycles is not None:
        what.append(f"{len(devices)} devices x {cycles} cycles")
    if seed is not None:
        what.append(f"seed {seed}")
    if elapsed is not None:
        what.append(f"{elapsed:.0f} s")
    print(f"hotplug: {verdicts.passed} passed, {verdicts.failed} failed"
          + (f" ({', '.join(what)})" if what else ""))
    if counts:
        with open(counts, "w") as f:
            f.write(f"{verdicts.passed} {verdicts.failed} 0\n")
    return 1 if verdicts.failed else 0


# ---- Driving QEMU ----

class Journal:
    def __init__(self, path):
        self.file = open(path, "w")
        self.start = time.monotonic()

    def write(self, what, ok=True, dev=None, cycle=None, detail=""):
        entry = {"t": round(time.monotonic() - self.start, 3), "what": what, "ok": ok}
        if dev is not None:
            entry.update(dev=dev.name, cycle=cycle)
        if detail:
            entry["detail"] = detail
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()


class Console:
    """QEMU's standard output, the guest's console: each line goes to the log, and waiters
    are told."""

    def __init__(self, stream, log):
        self.stream, self.log = stream, log
        self.lines = []
        self.changed = asyncio.Condition()

    async def pump(self):
        while True:
            raw = await self.stream.readline()
            if not raw:
                break
            text = raw.decode(errors="replace").replace("\r", "").rstrip("\n")
            self.log.write(text + "\n")
            self.log.flush()
            async with self.changed:
                self.lines.append(ktap.TIMESTAMP.sub("", text))
                self.changed.notify_all()

    async def wait(self, pattern, timeout):
        """The first line that matches `pattern`, waiting up to `timeout` s for it."""
        pattern = re.compile(pattern)

        async def find():
            async with self.changed:
                checked = 0
                while True:
                    for line in self.lines[checked:]:
                        if pattern.search(line):
                            return line
                    checked = len(self.lines)
                    await self.changed.wait()
        return await asyncio.wait_for(find(), timeout)


class Qmp:
    """A QMP client: commands with ids, events kept for waiters."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.pending = {}
        self.events = []
        self.changed = asyncio.Condition()
        self.next_id = 0

    @classmethod
    async def connect(cls, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        qmp = cls(reader, writer)
        json.loads(await reader.readline())  # the greeting
        asyncio.get_running_loop().create_task(qmp.pump())
        await qmp.execute("qmp_capabilities")
        return qmp

    async def pump(self):
        while True:
            raw = await self.reader.readline()
            if not raw:
                break
            message = json.loads(raw)
            if "event" in message:
                async with self.changed:
                    self.events.append(message)
                    self.changed.notify_all()
            elif message.get("id") in self.pending:
                self.pending.pop(message["id"]).set_result(message)

    async def execute(self, command, **arguments):
        """The command's return value; raises RuntimeError with QMP's error."""
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        request = {"execute": command, "id": self.next_id}
        if arguments:
            request["arguments"] = arguments
        self.writer.write(json.dumps(request).encode() + b"\n")
        await self.writer.drain()
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(reply["error"].get("desc", str(reply["error"])))
        return reply.get("return")

    async def wait_event(self, name, device, timeout):
        async def find():
            async with self.changed:
                while True:
                    for i, e in enumerate(self.events):
                        if e["event"] == name and e.get("data", {}).get("device") == device:
                            return self.events.pop(i)
                    await self.changed.wait()
        return await asyncio.wait_for(find(), timeout)

    async def devices(self):
        """{qdev id: bus number} of every device in query-pci's tree."""
        return qdev_buses(await self.execute("query-pci"))


def qdev_buses(query_pci):
    """{qdev id: bus number} of every device in query-pci's answer, those behind bridges (the
    root ports) included."""
    found = {}

    def walk(devices):
        for d in devices:
            if d.get("qdev_id"):
                found[d["qdev_id"]] = d["bus"]
            bridge = d.get("pci_bridge")
            if bridge:
                walk(bridge.get("devices", []))
    for bus in query_pci:
        walk(bus.get("devices", []))
    return found


def read_slots(path):
    """The loops' slots of io_ivshmem in the file: [(count, instance, ctx)]."""
    with open(path, "rb") as f:
        f.seek(HOTPLUG_AREA)
        data = f.read(64 * CONTEXTS)
    return [struct.unpack_from("<QII", data, 64 * c) for c in range(CONTEXTS)]


# How long the guest may take for each step: a native removal waits 5 s for the
# slot's attention button, and TCG with the kernel's checkers is slow.
STEP_TIMEOUT = 120


class Unserialized:
    """A lock that lets everybody in: the devices' steps overlap."""

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


async def cycle_device(device, cycles, seed, qmp, console, journal, bdf, shm, serial):
    """The device's CYCLES removals and additions, each step journaled; returns whether they
    all got through (a failed check does not stop them, a step that never ends does). Each
    removal, from device_del to the guest's report, and each addition, from device_add to the
    new probe's report, holds `serial`: an asyncio.Lock where the machine's hot-plug cannot
    take two devices' events at once (--serialize), Unserialized otherwise. The random delays
    are waited outside it."""
    waits = delays(seed, device)
    for k in range(1, cycles + 1):
        before_del, before_add = next(waits)
        await asyncio.sleep(before_del)
        if not await remove_device(device, k, qmp, console, journal, bdf, shm, serial):
            return False
        await asyncio.sleep(before_add)
        if not await add_device(device, k, qmp, console, journal, bdf, shm, serial):
            return False
    return True


async def remove_device(device, k, qmp, console, journal, bdf, shm, serial):
    """Cycle K's removal, and what follows it; returns whether it got through."""
    async with serial:
        for attempt in range(20):
            try:
                await qmp.execute("device_del", id=device.name)
                break
            except RuntimeError as e:
                # The slot is busy while its power indicator blinks (the guest still
                # turning it on): try again.
                journal.write("del_retry", True, device, k, str(e))
                await asyncio.sleep(0.5)
        else:
            journal.write("deleted", False, device, k, "device_del refused 20 times")
            return False
        journal.write("del_sent", True, device, k)
        try:
            await qmp.wait_event("DEVICE_DELETED", device.name, STEP_TIMEOUT)
            journal.write("deleted", True, device, k)
            await console.wait(rf"^harness: hotplug: gone {re.escape(bdf)} #{k},", STEP_TIMEOUT)
        except asyncio.TimeoutError:
            journal.write("deleted", False, device, k, "no DEVICE_DELETED, or the guest never "
                          f"reported the device gone, in {STEP_TIMEOUT} s")
            return False
        present = await qmp.devices()
        journal.write("qmp_absent", device.name not in present, device, k,
                      f"query-pci still lists it on bus {present.get(device.name)}")
        if device.observer:
            line = await console.wait(
                rf"^{device.driver}: hotplug: unbind {re.escape(bdf)} #{k}: ", STEP_TIMEOUT)
            counters = COUNTERS.search(line)
            want = ([(int(c), k, ctx) for ctx, c in enumerate(counters.group(1).split(","))]
                    if counters else None)
            got = read_slots(shm)
            journal.write("observer", want == got, device, k,
                          f"the file holds {got}, the guest printed {want}")
    return True


async def add_device(device, k, qmp, console, journal, bdf, shm, serial):
    """Cycle K's addition, and what follows it; returns whether it got through."""
    async with serial:
        try:
            if device.observer:
                # A new backend on the same file; the last one goes with its device.
                await qmp.execute("object-add", **{
                    "qom-type": "memory-backend-file", "id": backend(k), "mem-path": shm,
                    "size": SHM_SIZE, "share": True})
                try:
                    await qmp.execute("object-del", id=backend(k - 1))
                except RuntimeError as e:
                    journal.write("backend_del", True, device, k, f"not deleted: {e}")
            await qmp.execute("device_add", **device.add_args(k))
        except RuntimeError as e:
            journal.write("qmp_present", False, device, k, f"device_add failed: {e}")
            return False
        journal.write("add_sent", True, device, k)
        try:
            await console.wait(rf"^harness: hotplug: back {re.escape(bdf)} #{k}:", STEP_TIMEOUT)
            await console.wait(rf"^{device.driver}: hotplug: probe {re.escape(bdf)} #{k + 1}: ",
                               STEP_TIMEOUT)
        except asyncio.TimeoutError:
            journal.write("host", False, device, k, f"probe #{k + 1} never reported")
            return False
        present = await qmp.devices()
        bus = int(bdf.split(":")[1], 16)
        journal.write("qmp_present", present.get(device.name) == bus, device, k,
                      f"query-pci lists it on bus {present.get(device.name)}, not {bus}")
    return True


async def drive(args, qemu, journal, log):
    """Runs QEMU and the cycles; returns QEMU's exit status (None if killed)."""
    with tempfile.TemporaryDirectory(prefix="hotplug-") as tmp:
        sock = os.path.join(tmp, "qmp.sock")
        command = qemu + ["-qmp", f"unix:{sock},server=on,wait=off"]
        devices = devices_of(args.virtio_disk)
        for port in root_ports(devices):
            command += ["-device", port]
        command += ["-object", f"memory-backend-file,id={backend(0)},size={SHM_SIZE},share=on,"
                    f"mem-path={args.shm}"]
        if args.virtio_disk:
            command += ["-blockdev", f"driver=raw,node-name={DISK_NODE},file.driver=file,"
                        f"file.filename={args.virtio_disk}"]
        for device in devices:
            command += ["-device", device.command_line()]
        print("hotplug: " + " ".join(command), flush=True)
        proc = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        console = Console(proc.stdout, log)
        pump = asyncio.get_running_loop().create_task(console.pump())
        try:
            qmp = await Qmp.connect(sock)
            await console.wait(re.escape(READY), STEP_TIMEOUT * 3)
            _, bound = parse_guest(console.lines)
            tasks = []
            serial = asyncio.Lock() if args.serialize else Unserialized()
            for device in devices:
                bdf = bound.get(device.driver)
                if bdf is None:
                    journal.write("host", False, device, 0, f"{device.driver} bound nothing")
                    continue
                journal.write("bound", True, device, 0, bdf)
                tasks.append(cycle_device(device, args.cycles, args.seed, qmp, console,
                                          journal, bdf, args.shm, serial))
            done = await asyncio.gather(*tasks)
            if len(done) == len(devices) and all(done):
                journal.write("cycles", True, detail="every device's cycles done")
                status = await proc.wait()
                journal.write("qemu", status == 0, detail=f"QEMU exited with status {status}")
            else:
                # The guest waits for every cycle: it would never end.
                journal.write("cycles", False, detail="a device's cycles stopped; QEMU killed")
                status = None
        except (asyncio.TimeoutError, OSError, RuntimeError, ConnectionError) as e:
            journal.write("host", False, detail=f"stopped: {type(e).__name__}: {e}")
            status = None
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await pump
        return status


async def run_bounded(args, qemu, journal, log):
    try:
        return await asyncio.wait_for(drive(args, qemu, journal, log), args.timeout)
    except asyncio.TimeoutError:
        journal.write("timeout", False, detail=f"the run did not end within {args.timeout} s")
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("run", "judge"))
    parser.add_argument("--log", required=True)
    parser.add_argument("--journal", required=True)
    parser.add_argument("--cycles", type=int, required=True)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--shm", help="the file behind ivshmem's memory (run)")
    parser.add_argument("--timeout", type=int, default=1200)
    parser.add_argument("--serialize", action="store_true",
                        help="one device's removal or addition at a time (q35's ACPI hot-plug)")
    parser.add_argument("--kmemleak", action="store_true",
                        help="the kernel has kmemleak: its report must come, clean of ours")
    parser.add_argument("--virtio-disk", help="the virtio samples' devices too, with this "
                        "disk image")
    parser.add_argument("--counts", help="file to write 'passed failed skipped' to")
    parser.add_argument("--config", default="", help="the build configuration, for reports")
    argv = sys.argv[1:] if argv is None else argv
    # Everything after `--` is QEMU's command.
    qemu = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    args = parser.parse_args(argv)
    args.qemu = qemu

    start = time.monotonic()
    if args.mode == "run":
        if args.seed is None:
            args.seed = random.SystemRandom().randrange(1 << 32)
        print(f"hotplug: seed {args.seed} (HOTPLUG_SEED={args.seed} repeats the delays)",
              flush=True)
        journal = Journal(args.journal)
        journal.write("seed", True, detail=str(args.seed))
        with open(args.log, "w") as log:
            asyncio.run(run_bounded(args, args.qemu, journal, log))
        journal.file.close()
    devices = devices_of(args.virtio_disk)
    verdicts = judge(ktap.console_lines(args.log), read_journal(args.journal), args.cycles,
                     args.kmemleak, args.config, devices)
    return report(verdicts, args.counts, args.seed, args.cycles, time.monotonic() - start,
                  devices)


if __name__ == "__main__":
    sys.exit(main())
