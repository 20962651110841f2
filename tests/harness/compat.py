#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prove that upstream code written against 7.3's kernel::io builds and runs on ours.

Every check is a gate, printed on one line: it holds or it fails, and it
counts one failure when it fails and nothing when it holds (a build is not a
test; the suites' cases are counted by the boot that ran them):

layer   The overlaid tree that kbuild compiled (build/linux) holds our layer:
        every file under rust/ is byte-identical there, and every upstream
        file that a scripted edit changes holds exactly pristine + the edits.
client  One user of the I/O layer, built unchanged from the upstream tree
        against our layer. The chain is read from kbuild's own dependency
        records (the .cmd files beside each object) and from mtimes:
          - rust/kernel.o (the kernel crate) lists build/linux/rust/kernel/io.rs
            among the sources it was compiled from, and is newer than every
            file of ours it lists;
          - each Rust module object lists rust/libkernel.rmeta (the kernel
            crate's metadata) among its inputs and is newer than it, and its
            .ko is newer than the object.
        drm shmem lives in the kernel crate: kernel.o must list
        rust/kernel/drm/gem/shmem.rs (only compiled with
        CONFIG_RUST_DRM_GEM_SHMEM_HELPER) and define its symbols, and the C
        helper it wraps must be built in.
suite   A KUnit suite that exercises the layer at run time (the kernel
        crate's doctests, drm shmem's suite: one per client that has one)
        ran at the boot of this kernel, reported ok, and has at least one
        passed and no failed case. Counts come from ktap.py's per-suite file (boot.sh writes it);
        the file counts only if it is newer than the kernel stage's result,
        i.e. it comes from a boot after the last kernel build.
api     (with --api-ours) The compatibility chapter of the guide lists
        exactly the differences between our kernel::io and 7.3's that api.py
        computes from the two crates' rustdoc JSON: every entry changed,
        generalized, removed or added, and nothing else (api.py's listed()
        and compare_chapter()).

Which clients a configuration builds is explicit: its .conf lists them
(CFG_CLIENTS), and compat.sh passes the list with --clients, by the names
of CLIENTS below. Each one listed is checked, with its suite; one that was
not built, or whose suite did not run, fails. A client that is not listed
is not checked (the arm configuration builds no DRM, nova-core or tyr).

Exit status 0 when every check holds; the last line is "compat: N gates
held, F failed". A missing object, dependency, suite or JSON is a failure,
never a skip.
"""

import argparse
import os
import re
import subprocess
import sys

import api
from overlay import OverlayError, edited_files, overlay_files

KERNEL_CRATE = "rust/kernel.o"
KERNEL_RMETA = "rust/libkernel.rmeta"

# The users of the I/O layer that a configuration may build, by the name its
# .conf lists them with (CFG_CLIENTS), in the order they are checked: the
# kernel crate and drm shmem (part of it) each have a check of their own, the
# modules (client, Rust object, module) a common one.
KERNEL_CLIENT = "kernel-crate"
SHMEM_CLIENT = "drm-shmem"
MODULE_CLIENTS = {
    "rust_dma": ("rust_dma sample", "samples/rust/rust_dma.o", "samples/rust/rust_dma.ko"),
    "rust_driver_pci": ("rust_driver_pci sample", "samples/rust/rust_driver_pci.o",
                        "samples/rust/rust_driver_pci.ko"),
    "nova-core": ("nova-core", "drivers/gpu/nova-core/nova_core.o", "drivers/gpu/nova-core.ko"),
    "tyr": ("tyr", "drivers/gpu/drm/tyr/tyr.o", "drivers/gpu/drm/tyr/tyr.ko"),
}
CLIENTS = (KERNEL_CLIENT, SHMEM_CLIENT, *MODULE_CLIENTS)
SHMEM_SOURCE = "rust/kernel/drm/gem/shmem.rs"
SHMEM_HELPER = "drivers/gpu/drm/drm_gem_shmem_helper.o"
SHMEM_SYMBOL = re.compile(r"3drm3gem5shmem")  # kernel::drm::gem::shmem, v0 mangling

# The KUnit suites that exercise the layer at run time, by the client whose
# suite each is.
SUITES = {KERNEL_CLIENT: "rust_doctests_kernel", SHMEM_CLIENT: "rust_drm_gem_shmem"}

class Checks:
    def __init__(self):
        self.held = self.failed = 0

    def line(self, ok, kind, name, detail):
        if ok:
            self.held += 1
        else:
            self.failed += 1
        print(f"compat: {kind:6} {'ok' if ok else 'FAIL':4} {name:24} {detail}")


def deps(obj_dir, obj):
    """The files kbuild recorded as inputs of obj (from its .cmd), as
    absolute paths; None if there is no .cmd (the object was never built)."""
    cmd = os.path.join(obj_dir, os.path.dirname(obj), "." + os.path.basename(obj) + ".cmd")
    try:
        with open(cmd, errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    m = re.search(r"^deps_[^ ]+ := ?(.*?)(?:^\S|\Z)", text, re.M | re.S)
    if not m:
        return set()
    # fixdep's "$(wildcard include/config/...)" entries are not files.
    listed = re.sub(r"\$\(wildcard [^)]*\)", " ", m.group(1).replace("\\\n", " "))
    return {os.path.normpath(os.path.join(obj_dir, word)) for word in listed.split()}


def mtime(path):
    return os.stat(path).st_mtime_ns


def check_layer(checks, args):
    """Our files, and the edited upstream files, are what build/linux holds."""
    overlay = overlay_files(args.project)
    try:
        edits = edited_files(args.edits, args.pristine, overlay)
    except OverlayError as e:
        checks.line(False, "layer", "our kernel::io", f"the scripted edits do not apply: {e}")
        return overlay
    wrong = []
    for path, source in overlay.items():
        with open(source, "rb") as f:
            want = f.read()
        if read(os.path.join(args.src, path)) != want:
            wrong.append(path)
    for path, want in edits.items():
        if read(os.path.join(args.src, path)) != want:
            wrong.append(path)
    io_rs = "rust/kernel/io.rs"
    if io_rs not in overlay:
        wrong.append(f"{io_rs} (not in our rust/)")
    ok = bool(overlay) and not wrong
    detail = (f"build/linux holds our {len(overlay)} files under rust/ (io.rs among "
              f"them) and {len(edits)} edited upstream files, byte for byte")
    if wrong:
        detail = "build/linux differs from ours in: " + ", ".join(sorted(wrong))
    elif not overlay:
        detail = "the project has no files under rust/"
    checks.line(ok, "layer", "our kernel::io", detail)
    return overlay


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def check_kernel_crate(checks, args, overlay):
    obj = os.path.join(args.obj, KERNEL_CRATE)
    inputs = deps(args.obj, KERNEL_CRATE)
    ours = sorted(p for p in overlay if os.path.join(args.src, p) in (inputs or ()))
    io_rs = os.path.join(args.src, "rust/kernel/io.rs")
    if inputs is None or not os.path.exists(obj):
        checks.line(False, "client", "kernel crate", f"{KERNEL_CRATE} was not built")
        return inputs
    if io_rs not in inputs:
        checks.line(False, "client", "kernel crate",
                    f"{KERNEL_CRATE} was not compiled from build/linux/rust/kernel/io.rs")
        return inputs
    stale = [p for p in ours if mtime(os.path.join(args.src, p)) > mtime(obj)]
    if stale:
        checks.line(False, "client", "kernel crate",
                    f"{KERNEL_CRATE} is older than our {', '.join(stale)}")
        return inputs
    rust = sorted(p for p in overlay if p.startswith("rust/") and p.endswith(".rs"))
    unused = [p for p in rust if p not in ours]
    detail = f"{KERNEL_CRATE} compiled from our {len(ours)} .rs files, io.rs among them"
    if unused:
        detail += f" (not among its sources: {', '.join(unused)})"
    checks.line(True, "client", "kernel crate", detail)
    return inputs


def check_shmem(checks, args, kernel_inputs):
    problems = []
    if os.path.join(args.src, SHMEM_SOURCE) not in (kernel_inputs or ()):
        problems.append(f"{SHMEM_SOURCE} is not compiled into {KERNEL_CRATE}")
    symbols = 0
    if os.path.exists(os.path.join(args.obj, KERNEL_CRATE)):
        out = subprocess.run(["nm", "--defined-only", os.path.join(args.obj, KERNEL_CRATE)],
                             capture_output=True, text=True, check=False).stdout
        symbols = sum(1 for line in out.splitlines() if SHMEM_SYMBOL.search(line))
    if not symbols:
        problems.append(f"{KERNEL_CRATE} defines no kernel::drm::gem::shmem symbol")
    if not os.path.exists(os.path.join(args.obj, SHMEM_HELPER)):
        problems.append(f"the C helper {SHMEM_HELPER} was not built")
    if not config_has(args.obj, "CONFIG_DRM_GEM_SHMEM_HELPER=y"):
        problems.append("CONFIG_DRM_GEM_SHMEM_HELPER is not =y")
    if problems:
        checks.line(False, "client", "drm shmem", "; ".join(problems))
    else:
        checks.line(True, "client", "drm shmem",
                    f"{SHMEM_SOURCE} compiled into {KERNEL_CRATE} ({symbols} symbols), "
                    f"its C helper built in")


def config_has(obj_dir, line):
    try:
        with open(os.path.join(obj_dir, ".config")) as f:
            return line in f.read().splitlines()
    except FileNotFoundError:
        return False


def check_module(checks, args, name, obj, module):
    rmeta = os.path.join(args.obj, KERNEL_RMETA)
    full_obj = os.path.join(args.obj, obj)
    full_ko = os.path.join(args.obj, module)
    inputs = deps(args.obj, obj)
    if inputs is None or not os.path.exists(full_obj):
        problem = f"{obj} was not built"
    elif not os.path.exists(full_ko):
        problem = f"{module} was not built"
    elif rmeta not in inputs:
        problem = f"{obj} was not compiled against {KERNEL_RMETA}"
    elif mtime(full_obj) < mtime(rmeta):
        problem = f"{obj} is older than {KERNEL_RMETA}"
    elif mtime(full_ko) < mtime(full_obj):
        problem = f"{module} is older than {obj}"
    else:
        checks.line(True, "client", name,
                    f"{module} compiled against our kernel crate ({KERNEL_RMETA})")
        return
    checks.line(False, "client", name, problem)


def check_suites(checks, args, suites):
    counts = {}
    fresh = (os.path.exists(args.suites) and os.path.exists(args.kernel_result)
             and mtime(args.suites) > mtime(args.kernel_result))
    if fresh:
        with open(args.suites) as f:
            for line in f:
                name, status, passed, failed, skipped = line.split()
                counts[name] = (status, int(passed), int(failed), int(skipped))
    for suite in suites:
        if not fresh:
            checks.line(False, "suite", suite, "no boot of the current kernel to read it from")
        elif suite not in counts:
            checks.line(False, "suite", suite, "did not run at boot")
        else:
            status, passed, failed, skipped = counts[suite]
            ok = status == "ok" and failed == 0 and passed > 0
            checks.line(ok, "suite", suite,
                        f"{status}: {passed} passed, {failed} failed, {skipped} skipped")


def check_api(checks, args):
    """The chapter lists exactly the API diff."""
    try:
        upstream = api.Crate(args.api_upstream)
        rows = api.diff(api.api(api.Crate(args.api_ours), api.type_params(upstream)),
                        api.api(upstream))
    except (OSError, ValueError, KeyError) as e:
        checks.line(False, "api", "kernel::io against 7.3", f"no API to compare: {e!r}")
        return
    problems = api.compare_chapter(rows, api.chapter_rows(args.chapter))
    counts = {}
    for kind, _, _, _ in api.listed(rows):
        counts[kind] = counts.get(kind, 0) + 1
    what = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if problems:
        for problem in problems:
            print(f"compat: api    FAIL {problem}")
        checks.line(False, "api", "kernel::io against 7.3",
                    f"{args.chapter} does not list the API diff ({len(problems)} differences)")
    else:
        checks.line(True, "api", "kernel::io against 7.3",
                    f"{args.chapter} lists exactly the diff: {what}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--pristine", required=True)
    parser.add_argument("--edits", required=True)
    parser.add_argument("--src", required=True, help="the overlaid tree (build/linux)")
    parser.add_argument("--obj", required=True, help="the kernel's O= directory")
    parser.add_argument("--suites", required=True, help="ktap.py's per-suite file")
    parser.add_argument("--kernel-result", required=True,
                        help="the kernel stage's result file")
    parser.add_argument("--clients", nargs="+", required=True, metavar="CLIENT",
                        help=f"the clients the configuration builds, of: {', '.join(CLIENTS)}")
    parser.add_argument("--api-ours", help="our kernel crate's rustdoc JSON (api.py json)")
    parser.add_argument("--api-upstream", help="7.3's kernel crate's rustdoc JSON")
    parser.add_argument("--chapter", help="the guide's compatibility chapter")
    args = parser.parse_args()
    args.src, args.obj = os.path.realpath(args.src), os.path.realpath(args.obj)

    checks = Checks()
    unknown = [c for c in args.clients if c not in CLIENTS]
    for client in unknown:
        checks.line(False, "client", client, f"not a client compat.py knows ({', '.join(CLIENTS)})")
    overlay = check_layer(checks, args)
    # The kernel crate's sources are what drm shmem is checked against, too.
    kernel_inputs = (check_kernel_crate(checks, args, overlay)
                     if KERNEL_CLIENT in args.clients else deps(args.obj, KERNEL_CRATE))
    if SHMEM_CLIENT in args.clients:
        check_shmem(checks, args, kernel_inputs)
    for client, (name, obj, module) in MODULE_CLIENTS.items():
        if client in args.clients:
            check_module(checks, args, name, obj, module)
    check_suites(checks, args, [suite for client, suite in SUITES.items()
                                if client in args.clients])
    if args.api_ours:
        check_api(checks, args)
    print(f"compat: {checks.held} gates held, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
