#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the instructions and calls of the I/O probes, ours against C.

  codegen.py probes --ours KO --c KO [--upstream KO] [--check [--exact]] [--out PREFIX]

      Disassembles the probes of tests/bench/io_probes.rs (probe_NAME) in
      each Rust module and their C twins (probe_c_NAME), counts the
      instructions and calls of each, prints a side-by-side table and writes
      PREFIX.txt, PREFIX.md and PREFIX.json. With --check, also applies the
      rules below to ours and exits 1 if any fails.

Counting. A probe's instructions are those within its symbol's size.
Calls are `call` instructions plus tail calls: a `jmp` to another function
(through a relocation), and calls through retpoline thunks;
`jmp __x86_return_thunk` is a return, not a call.

Rules (--check), one check each. "No call" leaves out the calls that only
a sanitizer's report path makes (KASAN's __asan_report_*, UBSAN's
__ubsan_handle_*), which the C probe has too and which run only on a report:
  - every probe that makes an MMIO access (kind mmio) has no call;
  - an MMIO probe at a location without displacement (kind mmio0: read0 and
    one read and one write of each other width) has exactly the C probe's
    instructions, the same list in the same order;
  - any other MMIO probe has at most one instruction more than C: asm!
    takes the address in a register, so where C folds a field's offset into
    the `mov`, ours may need an `add`/`lea` first (see
    Documentation/io/performance.rst). With --exact (a configuration whose
    accessors are the C helpers inlined, RUST_INLINE_HELPERS) it has exactly
    the C probe's instructions, as the kind mmio0 ones;
  - SysMem and Coherent probes (kind mem) have no call and exactly the C
    probe's instruction count;
  - the runtime-checked probe (kind checked) has no call;
  - the configuration-space probe (kind config) calls pci_read_config_dword;
  - the fence probes store 1 and then 2 to normal memory around an MMIO
    write at offset 0, and make no call: around an ordered write (kind
    fence) the store of 1 stays, as `writel()` is a compiler barrier; around
    a relaxed write (kind nofence) it may go, as `writel_relaxed()` is no
    barrier for normal memory, and must go where the C probe drops it (a
    relaxed accessor never orders more than C's).
"""

import argparse
import json
import re
import subprocess
import sys

# name, kind, what it does
PROBES = [
    ("mmio_read", "mmio", "Mmio field read (offset 4), readl()"),
    ("mmio_read0", "mmio0", "Mmio field read (offset 0), readl()"),
    ("mmio_read8", "mmio0", "Mmio<u8> read_val, readb()"),
    ("mmio_read16", "mmio0", "Mmio<u16> read_val, readw()"),
    ("mmio_read64", "mmio0", "Mmio<u64> read_val, readq()"),
    ("mmio_write8", "mmio0", "Mmio<u8> write_val, writeb()"),
    ("mmio_write16", "mmio0", "Mmio<u16> write_val, writew()"),
    ("mmio_write64", "mmio0", "Mmio<u64> write_val, writeq()"),
    ("mmio_write", "mmio", "Mmio field write (offset 8), writel()"),
    ("relaxed_read", "mmio", "RelaxedMmio field read, readl_relaxed()"),
    ("relaxed_write", "mmio", "RelaxedMmio field write, writel_relaxed()"),
    ("ordered_fence", "fence", "store; Mmio write (offset 0); store"),
    ("relaxed_fence", "nofence", "store; RelaxedMmio write (offset 0); store"),
    ("bar_read", "mmio", "&Bar read32(0x10), readl()"),
    ("try_read32", "checked", "Mmio<Region> try_read32(runtime offset)"),
    ("sysmem_read", "mem", "SysMem field read, READ_ONCE()"),
    ("sysmem_write", "mem", "SysMem field write, WRITE_ONCE()"),
    ("coherent_read", "mem", "&Coherent field read, READ_ONCE()"),
    ("coherent_write", "mem", "&Coherent field write, WRITE_ONCE()"),
    ("config_read", "config", "ConfigSpace read32(0x10), pci_read_config_dword()"),
]

# Probes whose checks are known to fail, and why: their failures count as
# skipped and are listed, so the stage stays green while the cause is fixed
# elsewhere; once they pass, the run asks for the entry to go.
KNOWN = {}

LABEL = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
# "  1c:\tmov    0x8(%rdi),%rcx" with -w, a relocation's symbol (demangled, so
# possibly with spaces) on the same line after a tab.
INSN = re.compile(r"^\s*([0-9a-f]+):\t(\S+)\s*([^\t]*)"
                  r"(?:\t\s*[0-9a-f]+: R_X86_64_\S+\t(.+?)(?:[-+]0x[0-9a-f]+)?)?$")
RETURN_THUNK = "__x86_return_thunk"
# A branch target within the function, "13c <probe_x+0x27>": compared as
# "<+0x27>", so that the same code in two functions lists alike.
LOCAL_TARGET = re.compile(r"\b[0-9a-f]+ <[^>+]+(\+0x[0-9a-f]+)?>")
# The calls of a sanitizer's report path.
SANITIZER_REPORT = re.compile(r"^(__asan_report_|__ubsan_handle_)")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def symbol_sizes(obj):
    """{name: size} of the defined function symbols of obj."""
    sizes = {}
    for line in run("readelf", "-sW", obj).splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "FUNC" and f[6] != "UND":
            sizes[f[7]] = int(f[2], 0)
    return sizes


def functions(obj):
    """{name: [(mnemonic, operands, reloc symbol or None)]} for every function."""
    sizes = symbol_sizes(obj)
    funcs, current, start = {}, None, 0
    listing = run("objdump", "-d", "-r", "-w", "--no-show-raw-insn", "--demangle=rust", obj)
    for line in listing.splitlines():
        m = LABEL.match(line)
        if m:
            current, start = m.group(2), int(m.group(1), 16)
            funcs[current] = []
            continue
        if current is None:
            continue
        m = INSN.match(line)
        if m:
            size = sizes.get(current, 0)
            if size and int(m.group(1), 16) >= start + size:
                continue
            funcs[current].append((m.group(2), m.group(3).strip(), m.group(4)))
    return funcs


def is_call(mnem, target):
    if mnem.startswith("call"):
        return True
    if mnem.startswith("jmp") and target:
        if target == RETURN_THUNK or target.startswith(".") or ".cold" in target:
            return False
        return True
    return False


def local_targets(operands):
    return LOCAL_TARGET.sub(r"<\1>", operands)


def measure(insns):
    calls = [t or "indirect" for m, _, t in insns if is_call(m, t)]
    return {
        "insns": len(insns),
        "calls": len(calls),
        "callees": calls,
        # The calls that count against "no call".
        "costly": [t for t in calls if not SANITIZER_REPORT.match(t)],
        "listing": [f"{m} {local_targets(o)}".strip() + (f"  <{t}>" if t else "")
                    for m, o, t in insns],
    }


def helper_sizes(kernel, names):
    """{name: instruction count} of the kernel's C helpers among names (rust_helper_*), from
    the kernel image, where a module's call to them lands."""
    wanted = {n for n in names if n.startswith("rust_helper_")}
    if not kernel or not wanted:
        return {}
    symbols = {}
    for line in run("readelf", "-sW", kernel).splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "FUNC" and f[7] in wanted:
            symbols[f[7]] = (int(f[1], 16), int(f[2], 0))
    sizes = {}
    for name, (start, size) in symbols.items():
        listing = run("objdump", "-d", "--no-show-raw-insn", f"--start-address={start:#x}",
                      f"--stop-address={start + size:#x}", kernel)
        sizes[name] = sum(1 for line in listing.splitlines() if INSN.match(line))
    return sizes


def probe_table(path, prefix, kernel=None):
    """The measures of every probe of the module at path; with the kernel image the module was
    built for, each also counts "executed": its own instructions and those of the C helpers it
    calls (7.3's accessors), which an access runs too."""
    funcs = functions(path)
    table = {}
    for name, _, _ in PROBES:
        insns = funcs.get(prefix + name)
        table[name] = measure(insns) if insns is not None else None
    callees = {c for entry in table.values() if entry for c in entry["callees"]}
    helpers = helper_sizes(kernel, callees)
    for entry in table.values():
        if entry:
            entry["executed"] = entry["insns"] + sum(helpers.get(c, 0) for c in entry["callees"])
    return table


def cell(entry):
    if entry is None:
        return "-"
    text = f"{entry['insns']} / {entry['calls']}"
    if entry.get("executed", entry["insns"]) != entry["insns"]:
        text += f" ({entry['executed']} with the helper)"
    return text


def check(ours, c, exact=False):
    """Apply the rules to ours; returns (passed, failed, skipped, messages)."""
    passed = failed = skipped = 0
    messages = []

    def expect(ok, what):
        nonlocal passed, failed, skipped
        if ok:
            passed += 1
            if name in KNOWN:
                messages.append(f"NOTE {name} passes now: drop it from KNOWN in codegen.py")
        elif name in KNOWN:
            skipped += 1
            messages.append(f"KNOWN {what} ({KNOWN[name]})")
        else:
            failed += 1
            messages.append(f"FAIL {what}")

    for name, kind, _ in PROBES:
        o, k = ours[name], c[name]
        if o is None or k is None:
            expect(False, f"{name}: probe missing (ours {o is not None}, C {k is not None})")
            continue
        exact_kind = kind == "mmio0" or (exact and kind == "mmio")
        if kind in ("mmio", "mmio0", "mem", "checked", "fence", "nofence"):
            expect(not o["costly"],
                   f"{name}: {len(o['costly'])} calls ({', '.join(o['costly'])}), want 0")
        if exact_kind or kind == "mem":
            expect(o["insns"] == k["insns"],
                   f"{name}: {o['insns']} instructions, C has {k['insns']}")
        if exact_kind:
            expect(o["listing"] == k["listing"],
                   f"{name}: not the C probe's instructions: {o['listing']} against "
                   f"{k['listing']}")
        if kind == "mmio" and not exact:
            expect(o["insns"] <= k["insns"] + 1,
                   f"{name}: {o['insns']} instructions, C has {k['insns']} (allowed: +1)")
        if kind in ("fence", "nofence"):
            kept = any(line.startswith("movl $0x1,") for line in o["listing"])
            c_kept = any(line.startswith("movl $0x1,") for line in k["listing"])
            if kind == "fence":
                expect(kept, f"{name}: the store of 1 is dropped, want kept")
            else:
                expect(c_kept or not kept,
                       f"{name}: the store of 1 is kept, but C drops it")
        if kind == "config":
            expect("pci_read_config_dword" in o["callees"],
                   f"{name}: calls {o['callees']}, want pci_read_config_dword")
    return passed, failed, skipped, messages


def probes(args):
    columns = [("ours", probe_table(args.ours, "probe_", args.ours_kernel))]
    if args.upstream:
        columns.append(("upstream 7.3",
                        probe_table(args.upstream, "probe_", args.upstream_kernel)))
    columns.append(("C", probe_table(args.c, "probe_c_")))

    head = ["probe", "what"] + [f"{label} insns / calls" for label, _ in columns]
    rows = [[name, what] + [cell(t[name]) for _, t in columns] for name, _, what in PROBES]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    text = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    text += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(f"`{r[0]}`" if i == 0 else v for i, v in enumerate(r)) + " |"
           for r in rows]

    listings = []
    for name, _, _ in PROBES:
        for label, table in columns:
            entry = table[name]
            if entry:
                listings.append(f"{name} ({label}):")
                listings += [f"    {line}" for line in entry["listing"]]

    result = {"columns": [label for label, _ in columns],
              "probes": {name: {label: t[name] for label, t in columns}
                         for name, _, _ in PROBES}}
    status = 0
    if args.check:
        passed, failed, skipped, messages = check(columns[0][1], columns[-1][1], args.exact)
        result["check"] = {"passed": passed, "failed": failed, "skipped": skipped,
                           "messages": messages}
        text += messages
        text.append(f"codegen: {passed} checks passed, {failed} failed, {skipped} known failures")
        status = 1 if failed else 0

    print("\n".join(text))
    if args.out:
        with open(args.out + ".txt", "w") as f:
            f.write("\n".join(text) + "\n")
        with open(args.out + "-listings.txt", "w") as f:
            f.write("\n".join(listings) + "\n")
        with open(args.out + ".md", "w") as f:
            f.write("\n".join(md) + "\n")
        with open(args.out + ".json", "w") as f:
            json.dump(result, f, indent=1)
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probes")
    p.add_argument("--ours", required=True)
    p.add_argument("--c", required=True)
    p.add_argument("--upstream")
    p.add_argument("--ours-kernel", help="our kernel image (vmlinux), for the helpers' code")
    p.add_argument("--upstream-kernel", help="upstream's kernel image (vmlinux)")
    p.add_argument("--check", action="store_true")
    p.add_argument("--exact", action="store_true",
                   help="MMIO probes at an offset must match C exactly too")
    p.add_argument("--out")
    args = parser.parse_args()
    return probes(args)


if __name__ == "__main__":
    sys.exit(main())
