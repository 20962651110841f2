#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of hotplug.py's judge: a run as it should go passes every check, and
each kind of fault fails the check it belongs to (or the gate), and only that.

The runs are written here, line by line, in the formats that the drivers
(samples/io_*.rs, samples/common/smp.rs) and /init (init.sh, hotplug mode)
print and that hotplug.py journals; each test edits one fault into a good run.

Run by selftest.sh:  python3 -m unittest -v hotplug_test   (in tests/harness)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hotplug  # noqa: E402

CYCLES = 2
BDF = {"edu": "0000:01:00.0", "testdev": "0000:02:00.0", "ivshmem": "0000:03:00.0",
       "vblk": "0000:04:00.0", "vrng": "0000:05:00.0"}
UNBIND = {
    "edu": "agrees: interrupts raised [5, 6, 7, 8], handled [5, 6, 7, 8], irq_status Ok(0), "
           "0 unclaimed, 90 rounds",
    "testdev": "agrees: the loops wrote 400 times, the device counted Ok(400)",
    "ivshmem": "agrees: counters [10, 11, 12, 13]",
    "vblk": "agrees: served 212, outstanding 0, reset Ok(0)",
    "vrng": "agrees: served 37, outstanding 0, reset Ok(1)",
}
MODULE_AT = {"io_edu": 0xFFFFFFFFC0000000, "io_testdev": 0xFFFFFFFFC0100000,
             "io_ivshmem": 0xFFFFFFFFC0200000, "io_virtio_blk": 0xFFFFFFFFC0300000,
             "io_virtio_rng": 0xFFFFFFFFC0400000}
ALL = hotplug.devices_of("disk.img")


def released(driver, bdf, k, stopped=4, met=4, refused=24, granted=0, error="None",
             verdict="clean"):
    return (f"{driver}: hotplug: released {bdf} #{k}: {verdict}: {stopped} of 4 loops stopped, "
            f"{met} saw every handle revoked, {refused} accesses refused and {granted} granted "
            f"after that, 321 rounds, error {error}")


def good_run(kmemleak=True, devices=hotplug.DEVICES):
    """(console lines, journal) of a run where everything holds."""
    lines = ["Run /init as init process", "harness: init started"]
    journal = [{"what": "seed", "ok": True, "detail": "7"}]
    for d in devices:
        lines += [f"harness: module {d.driver} loaded",
                  f"{d.driver}: hotplug: probe {BDF[d.name]} #1: I/O checks passed, 4 loops "
                  "running",
                  f"harness: module {d.driver} bound {BDF[d.name]}"]
    lines.append(hotplug.READY)
    for k in range(1, CYCLES + 1):
        for d in devices:
            bdf = BDF[d.name]
            lines += [f"{d.driver}: hotplug: unbind {bdf} #{k}: {UNBIND[d.name]}"]
            if d.loops:
                lines.append(released(d.driver, bdf, k))
            lines += [f"harness: hotplug: gone {bdf} #{k}, iomem free, ioports free, "
                      "interrupts free",
                      f"harness: hotplug: back {bdf} #{k}: bound to {d.driver}",
                      f"{d.driver}: hotplug: probe {bdf} #{k + 1}: I/O checks passed, 4 loops "
                      "running"]
            for what in ("del_sent", "deleted", "qmp_absent", "add_sent", "qmp_present"):
                journal.append({"what": what, "ok": True, "dev": d.name, "cycle": k})
            if d.observer:
                journal.append({"what": "observer", "ok": True, "dev": d.name, "cycle": k})
    lines.append("harness: hotplug: cycles done")
    for name, at in MODULE_AT.items():
        lines.append(f"harness: module {name} at {at:#x} size 65536")
    for d in devices:
        lines.append(f"harness: module {d.driver} unloaded")
    if kmemleak:
        lines += ["harness: kmemleak: 0 unreferenced objects", "harness: kmemleak: end of report"]
    else:
        lines.append("harness: kmemleak: not in this kernel")
    lines += ["harness: init done", "reboot: Power down"]
    journal += [{"what": "cycles", "ok": True}, {"what": "qemu", "ok": True}]
    return lines, journal


def judged(lines, journal, kmemleak=True, devices=hotplug.DEVICES):
    return hotplug.judge(lines, journal, CYCLES, kmemleak, "x86_64-llvm", devices)


def failing(verdicts):
    """The failed checks, as (device, cycle, check), and the gates' problems."""
    return sorted(k for k, p in verdicts.checks.items() if p is not None), verdicts.gates


def replace(lines, old, new):
    """lines with the one line that starts with `old` replaced by `new`."""
    found = [i for i, line in enumerate(lines) if line.startswith(old)]
    assert len(found) == 1, (old, found)
    out = list(lines)
    out[found[0]] = new
    return out


LEAK = ["harness: kmemleak: 1 unreferenced objects",
        "harness: kmemleak: | unreferenced object 0xffff888004a1c000 (size 64):",
        "harness: kmemleak: |   comm \"insmod\", pid 71, jiffies 4294893432",
        "harness: kmemleak: |   backtrace (crc 5c2a5d88):",
        "harness: kmemleak: |     __kmalloc_cache_noprof+0x1a0/0x2e0",
        "harness: kmemleak: |     {frame}",
        "harness: kmemleak: end of report"]


def with_leak(frame):
    lines, journal = good_run()
    start = lines.index("harness: kmemleak: 0 unreferenced objects")
    lines[start:start + 2] = [line.replace("{frame}", frame) for line in LEAK]
    return lines, journal


class Judge(unittest.TestCase):
    def test_a_good_run_with_virtio_passes_every_check_once(self):
        verdicts = judged(*good_run(devices=ALL), devices=ALL)
        self.assertEqual(failing(verdicts), ([], []))
        # The virtio devices: the first probe, then 6 checks a cycle (served in place of
        # remove_path and revoked; irqs_free counted).
        self.assertEqual(verdicts.passed,
                         3 * (1 + 6 * CYCLES) + 2 * CYCLES + 2 * (1 + 6 * CYCLES) + 1)

    def virtio_unbind(self, name, k, text):
        """The verdicts of a good run with virtio in which device `name`'s unbind line of
        cycle K says `text`; asserts that only its `served` check failed."""
        lines, journal = good_run(devices=ALL)
        driver = {d.name: d.driver for d in ALL}[name]
        prefix = f"{driver}: hotplug: unbind {BDF[name]} #{k}:"
        verdicts = judged(replace(lines, prefix, f"{prefix} {text}"), journal, devices=ALL)
        self.assertEqual(failing(verdicts), ([(name, k, "served")], []))
        return "\n".join(verdicts.problems())

    def test_virtio_request_outstanding_fails_served(self):
        problems = self.virtio_unbind("vblk", 2, "DISAGREES: served 9, outstanding 1, reset Ok(0)")
        self.assertIn("1 requests outstanding", problems)

    def test_virtio_nothing_served_fails(self):
        problems = self.virtio_unbind("vrng", 1, "agrees: served 0, outstanding 0, reset Ok(0)")
        self.assertIn("no request of the guest's load", problems)

    def test_virtio_reset_unacknowledged_fails(self):
        problems = self.virtio_unbind("vblk", 1,
                                      "DISAGREES: served 5, outstanding 0, reset Err(ETIMEDOUT)")
        self.assertIn("the reset: Err(ETIMEDOUT)", problems)

    def test_virtio_unreadable_report_fails(self):
        problems = self.virtio_unbind("vrng", 2, "agrees: all fine")
        self.assertIn("unreadable report", problems)

    def test_virtio_remove_path_silent_fails(self):
        lines, journal = good_run(devices=ALL)
        bdf = BDF["vrng"]
        lines = [line for line in lines
                 if not line.startswith(f"io_virtio_rng: hotplug: unbind {bdf} #2:")]
        verdicts = judged(lines, journal, devices=ALL)
        self.assertEqual(failing(verdicts), ([("vrng", 2, "served")], []))

    def test_virtio_devices_are_required_where_asked(self):
        # A run with the three devices, judged as one with virtio: both virtio drivers
        # never bound, and their module lines are missing.
        verdicts = judged(*good_run(), devices=ALL)
        failed, _ = failing(verdicts)
        self.assertIn(("vblk", 0, "probed"), failed)
        self.assertIn(("vrng", 0, "probed"), failed)

    def test_virtio_command_line_values(self):
        vblk = hotplug.VIRTIO_DEVICES[0]
        self.assertIn("iommu_platform=on", vblk.command_line())
        self.assertIn("num-queues=4", vblk.command_line())
        self.assertIs(vblk.add_args(1)["iommu_platform"], True)

    def test_a_good_run_passes_every_check_once(self):
        verdicts = judged(*good_run())
        self.assertEqual(failing(verdicts), ([], []))
        # Per device: the first probe, then 6 checks a cycle, one more for edu (irqs_free)
        # and for ivshmem (observer); and kmemleak once.
        self.assertEqual(verdicts.passed, 3 * (1 + 6 * CYCLES) + 2 * CYCLES + 1)
        self.assertEqual(verdicts.failed, 0)

    def test_without_kmemleak_there_is_no_such_check(self):
        verdicts = hotplug.judge(*good_run(kmemleak=False), CYCLES, False, "arm64")
        self.assertEqual(failing(verdicts), ([], []))
        self.assertEqual(verdicts.passed, 3 * (1 + 6 * CYCLES) + 2 * CYCLES)

    def test_an_access_granted_after_revocation_fails_revoked(self):
        lines, journal = good_run()
        lines = replace(lines, "io_testdev: hotplug: released 0000:02:00.0 #2:",
                        released("io_testdev", BDF["testdev"], 2, granted=1, verdict="FAILED"))
        verdicts = judged(lines, journal)
        self.assertEqual(failing(verdicts), ([("testdev", 2, "revoked")], []))
        self.assertIn("1 accesses granted after revocation",
                      verdicts.checks[("testdev", 2, "revoked")])

    def test_a_loop_that_never_met_the_revocation_fails_revoked(self):
        lines, journal = good_run()
        lines = replace(lines, "io_edu: hotplug: released 0000:01:00.0 #1:",
                        released("io_edu", BDF["edu"], 1, met=3))
        self.assertEqual(failing(judged(lines, journal)), ([("edu", 1, "revoked")], []))

    def test_a_loop_left_running_or_failing_fails_revoked(self):
        for edit in (dict(stopped=3), dict(error="Some(EINVAL)"), dict(refused=0)):
            lines, journal = good_run()
            lines = replace(lines, "io_ivshmem: hotplug: released 0000:03:00.0 #1:",
                            released("io_ivshmem", BDF["ivshmem"], 1, **edit))
            self.assertEqual(failing(judged(lines, journal)), ([("ivshmem", 1, "revoked")], []),
                             edit)

    def test_no_report_of_the_loops_end_fails_revoked(self):
        lines, journal = good_run()
        lines = replace(lines, "io_edu: hotplug: released 0000:01:00.0 #2:", "noise")
        self.assertEqual(failing(judged(lines, journal)), ([("edu", 2, "revoked")], []))

    def test_a_disagreeing_device_fails_remove_path(self):
        lines, journal = good_run()
        lines = replace(lines, "io_testdev: hotplug: unbind 0000:02:00.0 #1:",
                        "io_testdev: hotplug: unbind 0000:02:00.0 #1: DISAGREES: the loops "
                        "wrote 400 times, the device counted Ok(399)")
        verdicts = judged(lines, journal)
        self.assertEqual(failing(verdicts), ([("testdev", 1, "remove_path")], []))
        self.assertIn("Ok(399)", verdicts.checks[("testdev", 1, "remove_path")])

    def test_a_region_left_behind_fails_regions_free(self):
        lines, journal = good_run()
        lines = replace(lines, "harness: hotplug: gone 0000:03:00.0 #2,",
                        "harness: hotplug: gone 0000:03:00.0 #2, iomem NOT free: fe800000-fe8fffff "
                        ": 0000:03:00.0, ioports free, interrupts free")
        self.assertEqual(failing(judged(lines, journal)), ([("ivshmem", 2, "regions_free")], []))

    def test_an_interrupt_left_behind_fails_irqs_free_or_the_gate(self):
        lines, journal = good_run()
        lines = replace(lines, "harness: hotplug: gone 0000:01:00.0 #1,",
                        "harness: hotplug: gone 0000:01:00.0 #1, iomem free, ioports free, "
                        "interrupts NOT free: 24: 3 PCI-MSI-0000:01:00.0 0-edge io_edu")
        self.assertEqual(failing(judged(lines, journal)), ([("edu", 1, "irqs_free")], []))
        # pci-testdev's driver requests no interrupt: not a check of its own, but a gate.
        lines, journal = good_run()
        lines = replace(lines, "harness: hotplug: gone 0000:02:00.0 #1,",
                        "harness: hotplug: gone 0000:02:00.0 #1, iomem free, ioports free, "
                        "interrupts NOT free: 11: 1 IO-APIC 11-fasteoi io_testdev")
        checks, gates = failing(judged(lines, journal))
        self.assertEqual(checks, [])
        self.assertEqual(len(gates), 1)
        self.assertIn("testdev/1/irqs_free", gates[0])

    def test_a_failed_probe_fails_reprobed(self):
        lines, journal = good_run()
        lines = replace(lines, "io_edu: hotplug: probe 0000:01:00.0 #3:",
                        "io_edu: hotplug: probe 0000:01:00.0 #3: I/O checks FAILED: ETIMEDOUT")
        verdicts = judged(lines, journal)
        self.assertEqual(failing(verdicts), ([("edu", 2, "reprobed")], []))
        self.assertIn("ETIMEDOUT", verdicts.checks[("edu", 2, "reprobed")])

    def test_a_device_not_bound_again_fails_reprobed(self):
        lines, journal = good_run()
        lines = replace(lines, "harness: hotplug: back 0000:02:00.0 #1:",
                        "harness: hotplug: back 0000:02:00.0 #1: NOT bound to io_testdev "
                        "(no driver)")
        self.assertEqual(failing(judged(lines, journal)), ([("testdev", 1, "reprobed")], []))

    def test_a_failed_first_probe_fails_probed(self):
        lines, journal = good_run()
        lines = replace(lines, "io_ivshmem: hotplug: probe 0000:03:00.0 #1:",
                        "io_ivshmem: hotplug: probe 0000:03:00.0 #1: I/O checks FAILED: EINVAL")
        self.assertEqual(failing(judged(lines, journal)), ([("ivshmem", 0, "probed")], []))

    def test_what_qmp_still_lists_fails_unplugged_and_replugged(self):
        lines, journal = good_run()
        for e in journal:
            if e.get("dev") == "edu" and e.get("cycle") == 1 and e["what"] == "qmp_absent":
                e.update(ok=False, detail="query-pci still lists it on bus 1")
            if e.get("dev") == "testdev" and e.get("cycle") == 2 and e["what"] == "qmp_present":
                e.update(ok=False, detail="query-pci lists it on bus None, not 2")
        self.assertEqual(failing(judged(lines, journal)),
                         ([("edu", 1, "unplugged"), ("testdev", 2, "replugged")], []))

    def test_a_wrong_file_fails_observer(self):
        lines, journal = good_run()
        for e in journal:
            if e.get("dev") == "ivshmem" and e.get("cycle") == 2 and e["what"] == "observer":
                e.update(ok=False, detail="the file holds [(9, 2, 0), ...]")
        self.assertEqual(failing(judged(lines, journal)), ([("ivshmem", 2, "observer")], []))

    def test_a_run_that_stopped_fails_every_check_left(self):
        lines, journal = good_run()
        # The host gave up after testdev's first removal: nothing of cycle 2, no end.
        cut = lines.index("io_testdev: hotplug: unbind 0000:02:00.0 #2: " + UNBIND["testdev"])
        lines = [line for line in lines[:cut] if "0000:02:00.0 #2" not in line]
        journal = [e for e in journal
                   if not (e.get("dev") == "testdev" and e.get("cycle") == 2)
                   and e["what"] not in ("cycles", "qemu")]
        journal.append({"what": "timeout", "ok": False, "detail": "the run did not end"})
        checks, gates = failing(judged(lines, journal))
        for check in ("unplugged", "remove_path", "revoked", "regions_free", "replugged",
                      "reprobed"):
            self.assertIn(("testdev", 2, check), checks)
        self.assertIn(("kmemleak", 0, "no_leaks_of_ours"), checks)
        self.assertTrue(any("timeout" in g for g in gates), gates)
        self.assertTrue(any("/init never finished" in g for g in gates), gates)

    def test_a_report_of_a_checker_fails_the_gate(self):
        lines, journal = good_run()
        at = lines.index(hotplug.READY)
        lines[at:at] = ["==================================================================",
                        "BUG: KASAN: slab-use-after-free in _RNvXs_io_edu+0x12/0x40 [io_edu]",
                        "Read of size 8 at addr ffff888004a1c010 by task kworker/1:2/77"]
        checks, gates = failing(judged(lines, journal))
        self.assertEqual(checks, [])
        self.assertEqual(len(gates), 1)
        self.assertIn("x86_64-llvm: KASAN report", gates[0])

    def test_a_module_that_does_not_unload_fails_the_gate(self):
        lines, journal = good_run()
        lines = replace(lines, "harness: module io_ivshmem unloaded",
                        "harness: module io_ivshmem failed to unload: rmmod: busy")
        checks, gates = failing(judged(lines, journal))
        self.assertEqual((checks, len(gates)), ([], 1))
        self.assertIn("io_ivshmem", gates[0])

    def test_a_guest_that_does_not_power_off_fails_the_gate(self):
        lines, journal = good_run()
        lines.remove("reboot: Power down")
        self.assertEqual(failing(judged(lines, journal)),
                         ([], ["the guest did not power off"]))


class Kmemleak(unittest.TestCase):
    def test_a_leak_named_after_our_module_fails(self):
        verdicts = judged(*with_leak("_RNvNtCs1_6io_edu8hotplug5probe+0x88/0x1c0 [io_edu]"))
        self.assertEqual(failing(verdicts), ([("kmemleak", 0, "no_leaks_of_ours")], []))
        self.assertTrue(any("OURS" in n for n in verdicts.notes), verdicts.notes)

    def test_a_leak_at_an_address_of_an_unloaded_module_fails(self):
        # After rmmod, the back trace holds a bare address within where io_ivshmem was.
        verdicts = judged(*with_leak(f"{MODULE_AT['io_ivshmem'] + 0x1234:#x}"))
        self.assertEqual(failing(verdicts), ([("kmemleak", 0, "no_leaks_of_ours")], []))

    def test_a_leak_of_someone_else_is_reported_but_passes(self):
        verdicts = judged(*with_leak("pcie_port_device_register+0x30/0x60"))
        self.assertEqual(failing(verdicts), ([], []))
        self.assertTrue(any("not ours" in n for n in verdicts.notes), verdicts.notes)

    def test_a_missing_report_fails(self):
        lines, journal = good_run()
        lines.remove("harness: kmemleak: end of report")
        self.assertEqual(failing(judged(lines, journal)),
                         ([("kmemleak", 0, "no_leaks_of_ours")], []))

    def test_a_kernel_without_kmemleak_fails_when_it_should_have_it(self):
        verdicts = judged(*good_run(kmemleak=False), kmemleak=True)
        self.assertEqual(failing(verdicts), ([("kmemleak", 0, "no_leaks_of_ours")], []))


class Host(unittest.TestCase):
    def test_the_delays_repeat_with_the_seed(self):
        edu, testdev = hotplug.DEVICES[0], hotplug.DEVICES[1]
        first, again = hotplug.delays(1234, edu), hotplug.delays(1234, edu)
        self.assertEqual([next(first) for _ in range(5)], [next(again) for _ in range(5)])
        self.assertNotEqual(next(hotplug.delays(1234, edu)), next(hotplug.delays(1235, edu)))
        self.assertNotEqual(next(hotplug.delays(1234, edu)), next(hotplug.delays(1234, testdev)))
        delays = hotplug.delays(99, edu)
        for _ in range(50):
            before_del, before_add = next(delays)
            self.assertTrue(0.1 <= before_del <= 1.5 and 0.0 <= before_add <= 0.5)

    def test_query_pci_is_walked_behind_the_root_ports(self):
        answer = [{"bus": 0, "devices": [
            {"bus": 0, "slot": 0, "function": 0, "qdev_id": ""},
            {"bus": 0, "slot": 2, "function": 0, "qdev_id": "rp1",
             "pci_bridge": {"bus": {"number": 1}, "devices": [
                 {"bus": 1, "slot": 0, "function": 0, "qdev_id": "edu"}]}},
            {"bus": 0, "slot": 3, "function": 0, "qdev_id": "rp2",
             "pci_bridge": {"bus": {"number": 2}}},
        ]}]
        self.assertEqual(hotplug.qdev_buses(answer), {"rp1": 0, "edu": 1, "rp2": 0})

    def test_the_command_line_adds_what_device_add_adds(self):
        ivshmem = hotplug.DEVICES[2]
        self.assertEqual(ivshmem.command_line(), "driver=ivshmem-plain,id=ivshmem,bus=rp3,memdev=shm0")
        self.assertEqual(ivshmem.add_args(3),
                         {"driver": "ivshmem-plain", "memdev": "shm3", "id": "ivshmem", "bus": "rp3"})
        self.assertEqual(hotplug.DEVICES[0].add_args(3), {"driver": "edu", "id": "edu", "bus": "rp1"})


if __name__ == "__main__":
    unittest.main()
