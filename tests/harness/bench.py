#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The parts of `make bench`'s report that are not code generation.

  bench.py sizes --out PREFIX LABEL=OURS:UPSTREAM ...
      `.text` bytes and the I/O functions monomorphized into each module
      object, ours against upstream 7.3 for the same source. An upstream
      object that does not exist is reported as not built.

  bench.py throughput --log LOG --out PREFIX
      The "io_bench: metric=..." lines of a bench boot, as ns per access and
      MB/s, with the ratios ours / C (and 7.3's helper / C).

  bench.py blk --log LOG --out PREFIX
      The "virtio_bench: driver=ours|c round=N blkload: ..." lines of the
      virtio-blk bench boot (virtio_bench.sh): per measure, the median of
      each driver's rounds, and the ratio ours / C as the median of the
      rounds' ratios, with its spread (the lowest and highest of them). The
      two results of a round are taken one after the other, so a round's
      ratio compares the drivers under the same load of the host, and the
      median of the ratios is not moved by a change of that load between
      rounds, as the ratio of the medians would be. Fails if a measure has no
      pair of results or the log shows a crash.

  bench.py targets --probes PREFIX --sizes PREFIX --throughput PREFIX --out PREFIX
      Issue 7's targets, each said met or not met, from the three JSONs.

  bench.py report --out PREFIX --title TITLE [--note TEXT ...] SECTION=PREFIX ...
      Joins the sections (each PREFIX.txt and PREFIX.md) into PREFIX.txt and
      PREFIX.md.

Nothing here fails on a number: a benchmark reports.
"""

import argparse
import json
import re
import subprocess
import sys

# Functions of the I/O layer, by their demangled path (v0 mangling): the io
# module and the owners' I/O impls, ours and 7.3's alike.
IO_FUNCTION = re.compile(r"kernel::(io|pci::io)::|"
                         r"<(&)?kernel::(pci::Bar|pci::io::\w+|dma::Coherent|dma::CoherentView)\b|"
                         r"<kernel::pci::Device<[^>]*>>::(config_space|iomap_region)")
METRIC = re.compile(r"io_bench: metric=(\S+) unit=(\S+) (.*)$")
BLK = re.compile(r"virtio_bench: driver=(ours|c) round=(\d+) blkload: (\w+) .*\b(mbs|iops)=([\d.]+)")
BLK_PARAMS = re.compile(r"virtio_bench: (rounds=.*)$")
CRASH = re.compile(r"Oops|BUG:|kernel BUG|Kernel panic|WARNING:|Call Trace:")
# The virtio-blk measures, in the order of the table, and their units.
BLK_MEASURES = (("seqread", "sequential read (MB/s)"), ("seqwrite", "sequential write (MB/s)"),
                ("randread", "4 KiB random read (IOPS)"))
PARAMS = re.compile(r"io_bench: params (.*)$")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def table(head, rows):
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    text = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    text += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    return text, md


def write(prefix, text, md, data):
    with open(prefix + ".txt", "w") as f:
        f.write("\n".join(text) + "\n")
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    with open(prefix + ".json", "w") as f:
        json.dump(data, f, indent=1)


def module_size(path):
    """(.text bytes, I/O functions, functions) of a module object."""
    text = 0
    for line in run("readelf", "-SW", path).splitlines():
        m = re.match(r"^\s*\[\s*\d+\]\s+(\S+)\s+PROGBITS\s+\S+\s+\S+\s+(\S+)\s+\S+\s+(\S*)", line)
        if m and m.group(1).startswith(".text") and "X" in m.group(3):
            text += int(m.group(2), 16)
    io = total = 0
    for line in run("nm", "--defined-only", "--demangle=rust", path).splitlines():
        f = line.split(" ", 2)
        if len(f) == 3 and f[1] in "tT" and not f[2].startswith("__pfx_"):
            total += 1
            if IO_FUNCTION.search(f[2]):
                io += 1
    return text, io, total


def sizes(args):
    rows, data = [], {}
    for spec in args.modules:
        label, paths = spec.split("=", 1)
        ours_path, up_path = paths.split(":", 1)
        ours = module_size(ours_path)
        try:
            up = module_size(up_path)
        except (subprocess.CalledProcessError, FileNotFoundError):
            up = None
        data[label] = {"ours": ours, "upstream": up}
        rows.append([label, str(ours[0]), str(up[0]) if up else "not built",
                     f"{ours[0] - up[0]:+d}" if up else "-",
                     f"{ours[1]} of {ours[2]}", f"{up[1]} of {up[2]}" if up else "-"])
    text, md = table(["module", ".text ours", ".text 7.3", "ours - 7.3",
                      "I/O fns ours (of all)", "I/O fns 7.3 (of all)"], rows)
    write(args.out, text, md, data)
    print("\n".join(text))
    return 0


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def throughput(args):
    metrics, params = {}, ""
    with open(args.log, errors="replace") as f:
        for line in f:
            m = METRIC.search(line)
            if m:
                values = dict(kv.split("=", 1) for kv in m.group(3).split())
                metrics[m.group(1)] = (m.group(2), {k: int(v) for k, v in values.items()})
            m = PARAMS.search(line)
            if m:
                params = m.group(1).strip()
    rows = []
    for name in ("read32", "write32"):
        if name not in metrics:
            continue
        v = metrics[name][1]
        ns = {k: x / 1000 for k, x in v.items()}   # picoseconds to ns
        rows.append([f"{name} (ns/access)", f"{ns['ours']:.3f}", f"{ns['c']:.3f}",
                     ratio(ns["ours"], ns["c"]), f"{ns['helper']:.3f}",
                     ratio(ns["helper"], ns["c"])])
    for name in ("copy_from_io", "copy_to_io"):
        if name not in metrics:
            continue
        v = metrics[name][1]
        rows.append([f"{name} (MB/s)", str(v["ours"]), str(v["c"]),
                     ratio(v["ours"], v["c"]), "-", "-"])
    text, md = table(["metric", "ours", "C", "ours / C", "7.3 helper", "helper / C"], rows)
    if not rows:
        text = md = ["no io_bench results in " + args.log]
    elif params:
        text.append(f"({params})")
        md.append(f"\n({params})")
    write(args.out, text, md, {"metrics": metrics, "params": params})
    print("\n".join(text))
    return 0 if rows else 1


def median(values):
    v = sorted(values)
    n = len(v)
    return (v[n // 2] + v[(n - 1) // 2]) / 2 if n else 0


def blk(args):
    results, params, crashed = {}, "", []
    with open(args.log, errors="replace") as f:
        for line in f:
            m = BLK.search(line)
            if m:
                driver, rnd, measure, _, value = m.groups()
                results.setdefault(measure, {}).setdefault(int(rnd), {})[driver] = float(value)
            m = BLK_PARAMS.search(line)
            if m:
                params = m.group(1).strip()
            if CRASH.search(line):
                crashed.append(line.strip())
    rows, data, missing = [], {}, []
    for measure, label in BLK_MEASURES:
        rounds = results.get(measure, {})
        pairs = [(r["ours"], r["c"]) for _, r in sorted(rounds.items()) if "ours" in r and "c" in r]
        if not pairs:
            missing.append(measure)
            continue
        ours, c = median([p[0] for p in pairs]), median([p[1] for p in pairs])
        per_round = [o / k for o, k in pairs if k]
        paired = median(per_round)
        data[measure] = {"ours": [p[0] for p in pairs], "c": [p[1] for p in pairs],
                         "median_ours": ours, "median_c": c, "ratio": paired,
                         "spread": [min(per_round), max(per_round)] if per_round else None}
        rows.append([label, f"{ours:.1f}" if measure != "randread" else f"{ours:.0f}",
                     f"{c:.1f}" if measure != "randread" else f"{c:.0f}", f"{paired:.2f}",
                     f"{min(per_round):.2f} .. {max(per_round):.2f}", str(len(pairs)),
                     "met" if paired >= 0.95 else "NOT met"])
    text, md = table(["measure", "ours (median)", "C (median)", "ours / C (median of rounds)",
                      "spread of the rounds", "rounds", "within 5%"], rows)
    if not rows:
        text = md = ["no virtio_bench results in " + args.log]
    if params:
        text.append(f"({params})")
        md.append(f"\n({params})")
    for problem in ([f"no results for {', '.join(missing)}"] if missing else []) + \
            [f"crash in the log: {c}" for c in crashed[:1]]:
        text.append(problem)
        md.append(f"\n{problem}")
    write(args.out, text, md, {"measures": data, "params": params, "missing": missing,
                               "crashed": crashed[:5]})
    print("\n".join(text))
    return 0 if rows and not missing and not crashed else 1


def load(prefix):
    if prefix is None:
        return None
    try:
        with open(prefix + ".json") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def targets(args):
    from codegen import PROBES
    lines = []
    probes, sizes_, tput = load(args.probes), load(args.sizes), load(args.throughput)
    if probes:
        mmio = [n for n, kind, *_ in PROBES
                if kind in ("mmio", "mmio0", "checked", "fence", "nofence")]
        ours = {n: probes["probes"][n]["ours"] for n in mmio}
        c = {n: probes["probes"][n]["C"] for n in mmio}
        # A sanitizer's report calls (KASAN) are on its error path, in C's code too.
        calls = [n for n in mmio if ours[n] is None or ours[n].get("costly", ours[n]["callees"])]
        lines.append("0 calls per MMIO access: " +
                     ("met" if not calls else "NOT met (" + ", ".join(calls) + ")"))
        if "upstream 7.3" in probes["columns"]:
            # Instructions an access runs: the probe's, plus those of the C helpers it calls.
            worse = []
            for n, *_ in PROBES:
                o, u = probes["probes"][n]["ours"], probes["probes"][n]["upstream 7.3"]
                if not (o and u):
                    continue
                ran_o, ran_u = o.get("executed", o["insns"]), u.get("executed", u["insns"])
                if ran_o > ran_u or o["calls"] > u["calls"]:
                    worse.append(f"{n} {ran_o}/{o['calls']} against {ran_u}/{u['calls']}")
            lines.append("ours at or below upstream 7.3 on every probe (instructions run, "
                         "helpers included; calls): " +
                         ("met" if not worse else "NOT met (" + ", ".join(worse) + ")"))
        plain = [n for n, kind, *_ in PROBES if kind in ("mmio", "mmio0")]

        def count(entry):
            # arm64: what codegen.py's rules compare (no leaf frame record, C's
            # widening folded), where it is given.
            return entry.get("compared", entry["insns"])

        more = [f"{n} +{count(ours[n]) - count(c[n])}" for n in plain
                if ours[n] and c[n] and count(ours[n]) > count(c[n])]
        lines.append("C accessor's instruction count per MMIO access: " +
                     ("met" if not more else
                      f"met for {len(plain) - len(more)} of {len(plain)} probes; NOT met for " +
                      ", ".join(more) + " (forming the address; see performance.rst)"))
    if sizes_:
        larger = [f"{m} {v['ours'][0] - v['upstream'][0]:+d} B" for m, v in sizes_.items()
                  if v["upstream"] and v["ours"][0] > v["upstream"][0]]
        lines.append(".text no larger than upstream 7.3's: " +
                     ("met" if not larger else "NOT met (" + ", ".join(larger) + ")"))
    if tput and tput["metrics"]:
        ratios = []
        for name in ("copy_from_io", "copy_to_io"):
            if name in tput["metrics"]:
                v = tput["metrics"][name][1]
                ratios.append((name, v["ours"] / v["c"]))
        low = [f"{n} {r:.2f}" for n, r in ratios if r < 0.95]
        lines.append("copy throughput >= 0.95x the direct C call: " +
                     ("met (" + ", ".join(f"{n} {r:.2f}" for n, r in ratios) + ")" if not low
                      else "NOT met (" + ", ".join(low) + ")"))
    write(args.out, lines, [f"- {line}" for line in lines], {"targets": lines})
    print("\n".join(lines))
    return 0


def report(args):
    text = [args.title, "=" * len(args.title), ""] + args.note + [""]
    md = [f"# {args.title}", ""] + [f"- {n}" for n in args.note] + [""]
    for spec in args.sections:
        title, prefix = spec.rsplit("=", 1)
        text += [title, "-" * len(title)]
        md += [f"## {title}", ""]
        for lines, ext in ((text, ".txt"), (md, ".md")):
            try:
                with open(prefix + ext) as f:
                    lines += f.read().rstrip("\n").split("\n")
            except OSError:
                lines.append("(not produced in this run)")
            lines.append("")
    with open(args.out + ".txt", "w") as f:
        f.write("\n".join(text))
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(md))
    print("\n".join(text))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sizes")
    s.add_argument("--out", required=True)
    s.add_argument("modules", nargs="+", help="LABEL=OURS:UPSTREAM")
    t = sub.add_parser("throughput")
    t.add_argument("--log", required=True)
    t.add_argument("--out", required=True)
    b = sub.add_parser("blk")
    b.add_argument("--log", required=True)
    b.add_argument("--out", required=True)
    g = sub.add_parser("targets")
    for name in ("--probes", "--sizes", "--out"):
        g.add_argument(name, required=True)
    g.add_argument("--throughput", help="the throughput results, where there are some")
    r = sub.add_parser("report")
    r.add_argument("--out", required=True)
    r.add_argument("--title", required=True)
    r.add_argument("--note", action="append", default=[])
    r.add_argument("sections", nargs="+", help="TITLE=PREFIX")
    args = parser.parse_args()
    commands = {"sizes": sizes, "throughput": throughput, "blk": blk, "targets": targets,
                "report": report}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
