#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Pick out the lint findings that are located in the project's own files.

Our files are the kernel files that the overlay manages (every file under
the project's rust/, and every upstream file a scripted edit changes: the
pristine 7.3 tree is clean, so a finding there comes from our edit) and the
out-of-tree modules under samples/ and tests/. Findings in the rest of
upstream are not ours to fix, so they are only counted.

  lint.py rustfmt LOG          LOG: output of `make rustfmtcheck` and of
                               rustfmt --check on our modules
  lint.py clippy               the diagnostics that the clippy-driver wrapper
                               kept beside every Rust object (*.clippy)

Prints our findings in full and exits 1 if there are any.
"""

import argparse
import os
import re
import sys

from overlay import MANIFEST

DIFF = re.compile(r"^Diff in (\S+?\.rs)\b")
TOOL_ERROR = re.compile(r"^error\b|^Error writing files|No such file or directory|command not found")
LOCATION = re.compile(r"^\s*--> (\S+?\.rs):\d+:\d+$")
HEADER = re.compile(r"^(warning|error)(\[\S+\])?: ")
MODULE_DIRS = ("samples", "tests")


class Owner:
    def __init__(self, top, src):
        self.top = os.path.realpath(top)
        self.src = os.path.realpath(src)
        with open(os.path.join(self.src, MANIFEST)) as f:
            self.managed = set(f.read().split())

    def ours(self, path, base):
        """Is path (relative paths taken from base) one of our files?"""
        path = os.path.realpath(os.path.join(base, path))
        if path.startswith(self.src + os.sep):
            return os.path.relpath(path, self.src) in self.managed
        if path.startswith(self.top + os.sep):
            # A module source since deleted may have left its .clippy behind.
            rel = os.path.relpath(path, self.top)
            return rel.split(os.sep)[0] in MODULE_DIRS and os.path.exists(path)
        return False


def rustfmt(owner, log):
    ours, theirs, errors = set(), set(), []
    with open(log, errors="replace") as f:
        for line in f:
            if TOOL_ERROR.search(line):
                errors.append(line.rstrip("\n"))
            m = DIFF.match(line)
            if m:
                (ours if owner.ours(m.group(1), owner.src) else theirs).add(m.group(1))
    for path in sorted(ours):
        print(f"rustfmt: not formatted: {path}")
    for line in errors:
        print(f"rustfmt: error: {line}")
    if theirs:
        print(f"rustfmt: note: {len(theirs)} upstream files are not formatted "
              "(not ours; ignored)")
    return len(ours) + len(errors)


def diagnostics(path):
    """Split a rustc/clippy stderr file into diagnostic blocks."""
    block = []
    with open(path, errors="replace") as f:
        for line in f:
            if HEADER.match(line) and block:
                yield block
                block = []
            if HEADER.match(line) or block:
                block.append(line.rstrip("\n"))
    if block:
        yield block


def clippy(owner, trees):
    ours = theirs = 0
    for tree, base in trees:
        for dirpath, _, filenames in os.walk(tree):
            for name in sorted(filenames):
                if not name.endswith(".clippy"):
                    continue
                for block in diagnostics(os.path.join(dirpath, name)):
                    where = next((m.group(1) for m in map(LOCATION.match, block) if m), None)
                    if where is None:
                        continue  # a summary line such as "1 warning emitted"
                    if owner.ours(where, base):
                        ours += 1
                        print("\n".join(block))
                    else:
                        theirs += 1
    if theirs:
        print(f"clippy: note: {theirs} warnings in upstream code (not ours; ignored)")
    return ours


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", required=True, help="the project")
    parser.add_argument("--src", required=True, help="the overlaid kernel tree")
    parser.add_argument("--obj", required=True, help="the kernel's O= directory")
    parser.add_argument("--modules", required=True, help="the external modules' MO=")
    parser.add_argument("gate", choices=("rustfmt", "clippy"))
    parser.add_argument("log", nargs="?")
    args = parser.parse_args()
    owner = Owner(args.top, args.src)
    if args.gate == "rustfmt":
        found = rustfmt(owner, args.log)
    else:
        # kbuild strips the source root from the paths it reports: the
        # kernel tree for the kernel, the project for external modules.
        found = clippy(owner, [(args.obj, args.src), (args.modules, args.top)])
    print(f"{args.gate}: {found} findings in our files")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
