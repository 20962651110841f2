#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the instructions and calls of the I/O probes, ours against C.

  codegen.py probes --ours KO --c KO [--upstream KO] [--check [--exact]] [--out PREFIX]

      Disassembles the probes of tests/bench/io_probes.rs (probe_NAME) in
      each Rust module and their C twins (probe_c_NAME), counts the
      instructions and calls of each, prints a side-by-side table and writes
      PREFIX.txt, PREFIX.md and PREFIX.json. With --check, also applies the
      rules below to ours and exits 1 if any fails.

The architecture is the objects' (ELF e_machine): x86-64, disassembled with
binutils' objdump, or arm64 (AArch64) or 32-bit arm, disassembled with
llvm-objdump-19. A probe that neither side has is left out of the checks
(the 64-bit accesses on a 32-bit kernel).

Counting. A probe's instructions are those within its symbol's size (an
arm64 alternative's replacement instructions, assembled after the function's
code, are not). Calls are `call` (x86-64) and `bl`/`blr` (arm64)
instructions plus tail calls: a `jmp` or `b` to another function (through a
relocation), an indirect `br`, and calls through retpoline thunks;
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
    Documentation/io/performance.rst). On arm64 it has at most C's: clang
    forms the address in a register for C's accessors too. With --exact (a configuration whose
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

On arm64, three more rules, on every probe that makes an MMIO access (kinds
mmio, mmio0, fence, nofence, checked) unless said otherwise:
  - no load or store of the probe, other than to the stack, is a writeback
    (pre-indexed `[xN, #imm]!`, post-indexed `[xN], #imm`) or pair
    (`ldp`/`stp`) form: a hypervisor cannot emulate those on MMIO;
  - the MMIO probes at an offset and the ordered fence probe (kinds mmio
    and fence) have the C probe's access sequence: its barriers (`dmb`,
    `dsb`, `isb`, the `nop` that an alternative may patch, the `eor`/`cbnz`
    dependency of `__io_ar()`) and its loads and stores, compared by
    mnemonic, in the same order; the other operands (a register, a folded
    offset) may differ. The mmio0 probes match C exactly already;
  - the probe's alternatives (the `.altinstructions` entries that the
    kernel patches at boot) are C's: the same instruction replaced by the
    same one, under the same CPU capability, in the same order.
"""

import argparse
import json
import re
import struct
import subprocess
import sys

# name, kind, what it does, and the C accessor of its access (None if it
# makes none: system memory, configuration space)
PROBES = [
    ("mmio_read", "mmio", "Mmio field read (offset 4), readl()", "readl"),
    ("mmio_read0", "mmio0", "Mmio field read (offset 0), readl()", "readl"),
    ("mmio_read8", "mmio0", "Mmio<u8> read_val, readb()", "readb"),
    ("mmio_read16", "mmio0", "Mmio<u16> read_val, readw()", "readw"),
    ("mmio_read64", "mmio0", "Mmio<u64> read_val, readq()", "readq"),
    ("mmio_write8", "mmio0", "Mmio<u8> write_val, writeb()", "writeb"),
    ("mmio_write16", "mmio0", "Mmio<u16> write_val, writew()", "writew"),
    ("mmio_write64", "mmio0", "Mmio<u64> write_val, writeq()", "writeq"),
    ("mmio_write", "mmio", "Mmio field write (offset 8), writel()", "writel"),
    ("relaxed_read", "mmio", "RelaxedMmio field read, readl_relaxed()", "readl_relaxed"),
    ("relaxed_write", "mmio", "RelaxedMmio field write, writel_relaxed()", "writel_relaxed"),
    ("ordered_fence", "fence", "store; Mmio write (offset 0); store", "writel"),
    ("relaxed_fence", "nofence", "store; RelaxedMmio write (offset 0); store", "writel_relaxed"),
    ("bar_read", "mmio", "&Bar read32(0x10), readl()", "readl"),
    ("try_read32", "checked", "Mmio<Region> try_read32(runtime offset)", "readl"),
    ("sysmem_read", "mem", "SysMem field read, READ_ONCE()", None),
    ("sysmem_write", "mem", "SysMem field write, WRITE_ONCE()", None),
    ("coherent_read", "mem", "&Coherent field read, READ_ONCE()", None),
    ("coherent_write", "mem", "&Coherent field write, WRITE_ONCE()", None),
    ("config_read", "config", "ConfigSpace read32(0x10), pci_read_config_dword()", None),
]

# Probes whose checks are known to fail, and why: their failures count as
# skipped and are listed, so the stage stays green while the cause is fixed
# elsewhere; once they pass, the run asks for the entry to go.
KNOWN = {}

LABEL = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
SECTION = re.compile(r"^Disassembly of section (\S+):$")
# "  1c:\tmov    0x8(%rdi),%rcx" with -w, a relocation's symbol (demangled, so
# possibly with spaces) on the same line after a tab.
INSN = re.compile(r"^\s*([0-9a-f]+):\t(\S+)\s*([^\t]*)"
                  r"(?:\t\s*[0-9a-f]+: R_X86_64_\S+\t(.+?)(?:[-+]0x[0-9a-f]+)?)?$")
# llvm-objdump's, for arm64: "       8:      \tldr\tw0, [x8]", with a relocation on
# a line of its own after its instruction, "\t\t0000000000000010:  R_AARCH64_CALL26\tsym".
INSN_A64 = re.compile(r"^\s*([0-9a-f]+):\s+([a-z][\w.]*)(?:\s+(.*?))?\s*(?://.*)?$")
RELOC_A64 = re.compile(r"^\s*([0-9a-f]+):\s+R_(?:AARCH64|ARM)_\S+\s+(.+?)(?:[-+]0x[0-9a-f]+)?$")
SELF_TARGET = re.compile(r"\b0x([0-9a-f]+) <[^>]+>")
RETURN_THUNK = "__x86_return_thunk"
# A branch target within the function, "13c <probe_x+0x27>" (objdump) or
# "0x14 <probe_x+0x14>" (llvm-objdump): compared as "<+0x27>", so that the
# same code in two functions lists alike.
LOCAL_TARGET = re.compile(r"\b(?:0x)?[0-9a-f]+ <[^>+]+(\+0x[0-9a-f]+)?>")
# ELF machine numbers.
EM_X86_64, EM_AARCH64, EM_ARM = 62, 183, 40
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


class Elf:
    """The parts of a little-endian ELF64 relocatable object that the rules read: its
    machine, sections, symbols and RELA relocations."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = data = f.read()
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError(f"{path}: not a little-endian ELF64 object")
        self.machine = struct.unpack_from("<H", data, 18)[0]
        shoff, = struct.unpack_from("<Q", data, 40)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 58)
        self.sections = []
        for i in range(shnum):
            name, kind, _, _, offset, size, link, info, _, entsize = struct.unpack_from(
                "<IIQQQQIIQQ", data, shoff + i * shentsize)
            self.sections.append({"name": name, "type": kind, "offset": offset, "size": size,
                                  "link": link, "info": info})
        names = self.sections[shstrndx]
        for sec in self.sections:
            sec["name"] = self.string(names, sec["name"])
        self.symbols = []
        for sec in self.sections:
            if sec["type"] == 2:  # SHT_SYMTAB
                strtab = self.sections[sec["link"]]
                for off in range(sec["offset"], sec["offset"] + sec["size"], 24):
                    name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", data, off)
                    self.symbols.append({"name": self.string(strtab, name), "type": info & 0xf,
                                         "shndx": shndx, "value": value, "size": size})

    def string(self, table, offset):
        start = table["offset"] + offset
        return self.data[start:self.data.index(b"\0", start)].decode()

    def section(self, name):
        return next((i for i, s in enumerate(self.sections) if s["name"] == name), None)

    def relocations(self, index):
        """{offset: (symbol, addend)} of the RELA section that applies to section index."""
        relocs = {}
        for sec in self.sections:
            if sec["type"] == 4 and sec["info"] == index:  # SHT_RELA
                for off in range(sec["offset"], sec["offset"] + sec["size"], 24):
                    offset, info, addend = struct.unpack_from("<QQq", self.data, off)
                    relocs[offset] = (self.symbols[info >> 32], addend)
        return relocs

    def function_at(self, shndx, offset):
        """The function symbol of section shndx that covers offset, as (name, start)."""
        for sym in self.symbols:
            if (sym["type"] == 2 and sym["shndx"] == shndx
                    and sym["value"] <= offset < sym["value"] + max(sym["size"], 1)):
                return sym["name"], sym["value"]
        return None, None


def machine(obj):
    """The ELF machine of obj (ELF32 or ELF64: e_machine is at the same offset)."""
    with open(obj, "rb") as f:
        header = f.read(20)
    if header[:4] != b"\x7fELF" or header[5] != 1:
        raise ValueError(f"{obj}: not a little-endian ELF object")
    return struct.unpack_from("<H", header, 18)[0]


def functions(obj):
    """{name: [(mnemonic, operands, reloc symbol or None)]} for every function."""
    if machine(obj) in (EM_AARCH64, EM_ARM):
        return functions_a64(obj)[0]
    listing = run("objdump", "-d", "-r", "-w", "--no-show-raw-insn", "--demangle=rust", obj)
    return parse_x86(listing, symbol_sizes(obj))


def parse_x86(listing, sizes):
    """functions() of binutils objdump's listing of an x86-64 object, given the functions'
    sizes: the instructions within each function's symbol, with the symbol of a relocation
    on the same line (-w)."""
    funcs, current, start = {}, None, 0
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


def functions_a64(obj):
    """functions() of an arm64 (or 32-bit arm) object, and {(section, address): (mnemonic,
    operands)} of every instruction, the out-of-line replacements of alternatives among
    them."""
    listing = run("llvm-objdump-19", "-d", "-r", "--no-show-raw-insn", "--demangle", obj)
    return parse_a64(listing, symbol_sizes(obj))


def parse_a64(listing, sizes):
    """functions_a64() of llvm-objdump's listing, given the functions' sizes."""
    funcs, at, current, start, section, last = {}, {}, None, 0, None, None
    for line in listing.splitlines():
        m = SECTION.match(line)
        if m:
            section, current, last = m.group(1), None, None
            continue
        m = LABEL.match(line)
        if m:
            current, start, last = m.group(2), int(m.group(1), 16), None
            funcs[current] = []
            continue
        m = RELOC_A64.match(line)
        if m:
            # The relocation belongs to the instruction at its address, listed just before.
            if last is not None and last[0] == int(m.group(1), 16):
                mnem, ops, _ = last[1][last[2]]
                last[1][last[2]] = (mnem, ops, m.group(2))
            continue
        m = INSN_A64.match(line)
        if m and current is not None:
            addr, mnem, ops = int(m.group(1), 16), m.group(2), (m.group(3) or "").strip()
            # A branch to itself, "cbnz x8, 0x14 <probe_x+0x14>" at 0x14, as in the
            # source: "cbnz x8, .".
            ops = SELF_TARGET.sub(lambda t: "." if int(t.group(1), 16) == addr else t.group(0),
                                  ops)
            at[(section, addr)] = (mnem, ops)
            size = sizes.get(current, 0)
            if size and addr >= start + size:
                last = None
                continue
            funcs[current].append((mnem, ops, None))
            last = (addr, funcs[current], len(funcs[current]) - 1)
    return funcs, at


def a64_opcode(insn):
    """An instruction without its registers: the mnemonic, with the option of a barrier."""
    if insn is None:
        return "?"
    mnem, ops = insn
    return f"{mnem} {ops}" if mnem in ("dmb", "dsb", "isb") and ops else mnem


def alternatives(obj):
    """{function: ["MNEMONIC -> MNEMONIC (cpucap N)", ...]}: the arm64 alternatives
    (struct alt_instr entries of .altinstructions: two 32-bit offsets relative to
    themselves, resolved by relocations here, a 16-bit capability and two byte lengths)
    that patch each function's code, in the order of the instructions they patch."""
    elf = Elf(obj)
    index = elf.section(".altinstructions")
    if index is None:
        return {}
    _, at = functions_a64(obj)
    sec = elf.sections[index]
    relocs = elf.relocations(index)
    found = {}
    for entry in range(0, sec["size"], 12):
        cap, = struct.unpack_from("<H", elf.data, sec["offset"] + entry + 8)
        (orig_sym, orig_add), (repl_sym, repl_add) = relocs[entry], relocs[entry + 4]
        orig_sec = orig_sym["shndx"]
        orig = orig_sym["value"] + orig_add
        name, _ = elf.function_at(orig_sec, orig)
        if name is None:
            continue
        section = elf.sections[orig_sec]["name"]
        old = a64_opcode(at.get((section, orig)))
        if cap & 0x8000:  # ARM64_CB_BIT: a callback patches it
            new = f"callback {repl_sym['name']}"
            cap &= 0x7fff
        else:
            repl_sec = elf.sections[repl_sym["shndx"]]["name"]
            new = a64_opcode(at.get((repl_sec, repl_sym["value"] + repl_add)))
        found.setdefault(name, []).append((orig, f"{old} -> {new} (cpucap {cap})"))
    return {name: [text for _, text in sorted(entries)] for name, entries in found.items()}


def is_call(mnem, target):
    if mnem.startswith("call") or mnem in ("bl", "blr", "br", "blx"):
        return True
    if (mnem.startswith("jmp") or mnem == "b") and target:
        if target == RETURN_THUNK or target.startswith(".") or ".cold" in target:
            return False
        return True
    return False


def local_targets(operands):
    return LOCAL_TARGET.sub(r"<\1>", operands)


def measure(insns, alts=()):
    calls = [t or "indirect" for m, _, t in insns if is_call(m, t)]
    return {
        # The arm64 alternatives that patch the probe (alternatives()).
        "alternatives": list(alts),
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
    a64 = machine(kernel) in (EM_AARCH64, EM_ARM)
    tool, insn = ("llvm-objdump-19", INSN_A64) if a64 else ("objdump", INSN)
    sizes = {}
    for name, (start, size) in symbols.items():
        listing = run(tool, "-d", "--no-show-raw-insn", f"--start-address={start:#x}",
                      f"--stop-address={start + size:#x}", kernel)
        sizes[name] = sum(1 for line in listing.splitlines() if insn.match(line))
    return sizes


def probe_table(path, prefix, kernel=None):
    """The measures of every probe of the module at path; with the kernel image the module was
    built for, each also counts "executed": its own instructions and those of the C helpers it
    calls (7.3's accessors), which an access runs too."""
    funcs = functions(path)
    alts = alternatives(path) if machine(path) == EM_AARCH64 else {}
    table = {}
    for name, *_ in PROBES:
        insns = funcs.get(prefix + name)
        table[name] = (measure(insns, alts.get(prefix + name, ()))
                       if insns is not None else None)
        if table[name] and machine(path) == EM_AARCH64:
            # What the rules compare (a64_normalize()), shown beside the count.
            table[name]["compared"] = len(a64_normalize(table[name]["listing"]))
    callees = {c for entry in table.values() if entry for c in entry["callees"]}
    helpers = helper_sizes(kernel, callees)
    for entry in table.values():
        if entry:
            entry["executed"] = entry["insns"] + sum(helpers.get(c, 0) for c in entry["callees"])
    return table


# arm64: a load or store to anything but the stack, which has writeback
# ("[x1, #8]!", "[x1], #8") or is a pair.
A64_MEMORY = re.compile(r"^(ld|st)")
A64_WRITEBACK = re.compile(r"\]!|\], #")
A64_PAIR = re.compile(r"^(ld|st)[a-z]*p$")


def a64_forbidden(listing):
    """The lines of an arm64 listing that no MMIO access may be."""
    bad = []
    for line in listing:
        mnem, _, ops = line.partition(" ")
        if not A64_MEMORY.match(mnem) or "[sp" in ops:
            continue
        if A64_WRITEBACK.search(ops) or A64_PAIR.match(mnem):
            bad.append(line)
    return bad


def a64_access_sequence(listing):
    """The barriers, loads and stores of an arm64 listing, by mnemonic, in order: the
    instructions that make an access and order it, without the registers and offsets."""
    seq = []
    for line in listing:
        mnem, _, ops = line.partition(" ")
        if mnem in ("dmb", "dsb"):
            seq.append(line.split("  <")[0])
        elif mnem in ("isb", "nop", "eor", "cbnz") or A64_MEMORY.match(mnem):
            seq.append(mnem)
    return seq


# A frame record, which the kernel's Rust code keeps in leaf functions too
# (-Cforce-frame-pointers=y, which LLVM applies to leaves) where clang omits it
# in C's (-fno-omit-frame-pointer keeps it only in functions that call).
A64_FRAME = re.compile(r"^(stp x29, x30, \[sp, #-0x[0-9a-f]+\]!|mov x29, sp|"
                       r"ldp x29, x30, \[sp\], #0x[0-9a-f]+)$")
# C's __io_ar() passes the value read as an unsigned long, so clang widens a
# narrower one into another register before the eor: "mov w8, w0" (32 bits) or
# "and x8, x0, #0xff" (8 and 16), then "eor x8, x8, x8".
A64_WIDEN = re.compile(r"^(?:mov w(\d+), w(\d+)|and x(\d+), x(\d+), #0x(?:ff|ffff))$")


def a64_normalize(listing):
    """An arm64 listing as the instruction rules compare it: without a frame record, and
    with C's widening of the value read folded into the eor that follows it ("mov w8, w0;
    eor x8, x8, x8" is "eor x8, x0, x0"). The load already zero-extends the value into its
    64-bit register, which is what the Rust accessors' eor reads: the same dependency
    on the load, without the copy."""
    body = [line for line in listing if not A64_FRAME.match(line)]
    out = []
    for line in body:
        m = A64_WIDEN.match(out[-1]) if out else None
        if m:
            dst, src = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if line == f"eor x{dst}, x{dst}, x{dst}":
                out[-1] = f"eor x{dst}, x{src}, x{src}"
                continue
        out.append(line)
    return out


def a64_stores_one(listing):
    """Whether an arm64 listing makes the value 1 to store (`mov wN, #0x1`)."""
    return any(re.match(r"^mov w\d+, #0x1\b", line) for line in listing)


def cell(entry):
    if entry is None:
        return "-"
    text = f"{entry['insns']}"
    if "compared" in entry:
        text += f" ({entry['compared']})"
    text += f" / {entry['calls']}"
    if entry.get("executed", entry["insns"]) != entry["insns"]:
        text += f" ({entry['executed']} with the helper)"
    return text


def check(ours, c, exact=False, arch=EM_X86_64, helpers=False):
    """Apply the rules to ours; returns (passed, failed, skipped, messages).
    `helpers`: our MMIO accessors are the C accessors called through their
    helpers (the configuration has no inline ones, or C's are out of line)."""
    a64 = arch == EM_AARCH64
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

    for name, kind, _, accessor in PROBES:
        o, k = ours[name], c[name]
        if o is None and k is None:
            continue  # neither has it here: a 64-bit access on a 32-bit kernel
        if o is None or k is None:
            expect(False, f"{name}: probe missing (ours {o is not None}, C {k is not None})")
            continue
        mmio = kind in ("mmio", "mmio0", "fence", "nofence", "checked")
        exact_kind = not helpers and (kind == "mmio0" or (exact and kind == "mmio"))
        # What the instruction rules compare: on arm64, the listings without a leaf
        # function's frame record, and C's with its widening folded (a64_normalize()).
        ol, kl = o["listing"], k["listing"]
        if a64:
            ol, kl = a64_normalize(ol), a64_normalize(kl)
        on, kn = len(ol), len(kl)
        if helpers and mmio:
            # One call per access, to the helper of C's accessor: the C accessor it is.
            want = [f"rust_helper_{accessor}"]
            expect(o["costly"] == want,
                   f"{name}: calls {o['costly']}, want {want} (the C accessor, out of line)")
        elif mmio or kind == "mem":
            expect(not o["costly"],
                   f"{name}: {len(o['costly'])} calls ({', '.join(o['costly'])}), want 0")
        if kind == "mem":
            expect(on == kn, f"{name}: {on} instructions, C has {kn}")
        if exact_kind:
            # The same instructions, which are also the same count: one property.
            expect(ol == kl, f"{name}: not the C probe's instructions ({on} against {kn}): "
                             f"{ol} against {kl}")
        if kind == "mmio" and not exact and not helpers:
            # On arm64, clang takes the address of the C accessors' asm in a register too.
            allowed = 0 if a64 else 1
            expect(on <= kn + allowed,
                   f"{name}: {on} instructions, C has {kn} (allowed: +{allowed})")
        if kind in ("fence", "nofence"):
            if a64:
                kept, c_kept = a64_stores_one(o["listing"]), a64_stores_one(k["listing"])
            else:
                kept = any(stores_one(line) for line in o["listing"])
                c_kept = any(stores_one(line) for line in k["listing"])
            if kind == "fence":
                expect(kept, f"{name}: the store of 1 is dropped, want kept")
            elif not helpers:
                # Through an out-of-line helper the call itself orders normal memory
                # around a relaxed access (more than C's), so the rule holds only for
                # inline accessors.
                expect(c_kept or not kept,
                       f"{name}: the store of 1 is kept, but C drops it")
        if kind == "config":
            expect("pci_read_config_dword" in o["callees"],
                   f"{name}: calls {o['callees']}, want pci_read_config_dword")
        if a64 and kind in ("mmio", "mmio0", "fence", "nofence", "checked"):
            bad = a64_forbidden(o["listing"])
            expect(not bad, f"{name}: writeback or pair form on an access: {bad}")
            expect(o["alternatives"] == k["alternatives"],
                   f"{name}: alternatives {o['alternatives']}, C has {k['alternatives']}")
        if a64 and kind in ("mmio", "fence"):
            seq, c_seq = a64_access_sequence(ol), a64_access_sequence(kl)
            expect(seq == c_seq, f"{name}: access sequence {seq}, C has {c_seq}")
    return passed, failed, skipped, messages


def stores_one(line):
    """Whether an x86-64 or 32-bit arm instruction makes the value 1 to store:
    `movl $0x1,(%rsi)` on x86-64, `mov rN, #1` on arm (llvm-objdump prints a
    32-bit arm immediate in decimal)."""
    return line.startswith("movl $0x1,") or bool(re.match(r"^movs?(\.w)? r\d+, #(0x)?1\b", line))


def probes(args):
    columns = [("ours", probe_table(args.ours, "probe_", args.ours_kernel))]
    if args.upstream:
        columns.append(("upstream 7.3",
                        probe_table(args.upstream, "probe_", args.upstream_kernel)))
    columns.append(("C", probe_table(args.c, "probe_c_")))

    head = ["probe", "what"] + [f"{label} insns / calls" for label, _ in columns]
    rows = [[name, what] + [cell(t[name]) for _, t in columns] for name, _, what, _ in PROBES]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    text = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    text += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(f"`{r[0]}`" if i == 0 else v for i, v in enumerate(r)) + " |"
           for r in rows]
    if machine(args.ours) == EM_AARCH64:
        legend = ("arm64: in parentheses, the instructions that the rules compare: without a "
                  "leaf function's frame record, and C's widening of a value read folded into "
                  "its eor")
        text.append(legend)
        md += ["", legend]

    listings = []
    for name, *_ in PROBES:
        for label, table in columns:
            entry = table[name]
            if entry:
                listings.append(f"{name} ({label}):")
                listings += [f"    {line}" for line in entry["listing"]]
                listings += [f"    alternative: {alt}" for alt in entry["alternatives"]]

    result = {"columns": [label for label, _ in columns],
              "probes": {name: {label: t[name] for label, t in columns}
                         for name, *_ in PROBES}}
    status = 0
    if args.check:
        passed, failed, skipped, messages = check(columns[0][1], columns[-1][1], args.exact,
                                                  machine(args.ours), args.helpers)
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
    p.add_argument("--helpers", action="store_true",
                   help="our MMIO accessors call the C helpers (no inline ones here)")
    p.add_argument("--out")
    args = parser.parse_args()
    return probes(args)


if __name__ == "__main__":
    sys.exit(main())
