#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that our kernel files do not copy upstream 7.3's I/O layer.

Our I/O layer is written from scratch; this check keeps it that way. It
compares

- every file under the project's rust/ directory, and
- the text that each scripted edit (tests/harness/edits/*.toml) puts into
  an upstream file (the values of insert_after, insert_before and replace;
  the anchors are upstream text by definition and are not checked),

with the I/O files of the PRISTINE upstream tree (UPSTREAM_FILES below), and
fails on every run of RUN_LENGTH or more consecutive identical lines.

The rule, precisely:

1. Each line is stripped of leading and trailing whitespace. Whitespace
   inside a line is kept, so a reformatted line differs.
2. A stripped line that contains no letter and no digit (as Python's
   str.isalnum() defines them) carries no code of its own and is skipped:
   blank lines and lines such as `}`, `};`, `{`, `)`, `])`, `},`, `});`,
   `///`, `//!`, `*/` or `=> {}`. Each side keeps the remaining ("counted")
   lines in order, with their original line numbers.
3. A run is a maximal stretch of consecutive counted lines of one of our
   texts that equals a stretch of consecutive counted lines of one upstream
   file. A run of RUN_LENGTH (6) or more counted lines is a hit. Skipped lines
   neither break nor extend a run, so a copied block stays a hit whatever
   braces or blank lines were added or removed inside it.

Each hit is reported with our file and line range (for an edit's text,
EDITFILE[edit N].KEY and line numbers within that text), the upstream file
and line range, and the counted lines themselves. Exit status: 0 without hits,
1 with hits, 2 on a usage error (a missing upstream file, say).

  copycheck.py --pristine TREE --project TOP [--edits DIR]

The matcher's own tests are in copycheck_test.py (run by copycheck.sh).
"""

import argparse
import os
import sys
import tomllib

# Upstream 7.3's I/O layer: the files our rust/ must not copy from.
UPSTREAM_FILES = (
    "rust/kernel/io.rs",
    "rust/kernel/io/mem.rs",
    "rust/kernel/pci/io.rs",
    "rust/kernel/dma.rs",
)
RUN_LENGTH = 6
OVERLAY_DIRS = ("rust",)
EDIT_TEXTS = ("insert_after", "insert_before", "replace")


def counted(text):
    """The counted lines of text: a list of (line number, stripped line)."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if any(c.isalnum() for c in line):
            lines.append((number, line))
    return lines


class Run:
    """A run of identical counted lines: ours[i:i+length] == theirs[j:j+length]."""

    def __init__(self, ours, theirs, i, j, length):
        self.ours, self.theirs = ours, theirs
        self.i, self.j, self.length = i, j, length

    def our_range(self):
        return self.ours[self.i][0], self.ours[self.i + self.length - 1][0]

    def their_range(self):
        return self.theirs[self.j][0], self.theirs[self.j + self.length - 1][0]

    def lines(self):
        return [line for _, line in self.ours[self.i:self.i + self.length]]


def find_runs(ours, theirs, minimum=RUN_LENGTH):
    """Every maximal run of at least `minimum` lines common to two lists of
    counted lines, in the order of our lines."""
    where = {}
    for j, (_, line) in enumerate(theirs):
        where.setdefault(line, []).append(j)
    runs = []
    for i, (_, line) in enumerate(ours):
        for j in where.get(line, ()):
            # Only start at the beginning of a run, so each one is found once.
            if i > 0 and j > 0 and ours[i - 1][1] == theirs[j - 1][1]:
                continue
            length = 1
            while (i + length < len(ours) and j + length < len(theirs)
                   and ours[i + length][1] == theirs[j + length][1]):
                length += 1
            if length >= minimum:
                runs.append(Run(ours, theirs, i, j, length))
    return runs


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def our_files(project):
    """(name, text) for every file under the project's overlay directories."""
    for top in OVERLAY_DIRS:
        root = os.path.join(project, top)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, project), read_text(path)


def edit_texts(edits_dir, project):
    """(name, text) for the inserted or replacing text of every scripted edit.
    The name reads EDITFILE[edit N].KEY; line numbers count from the first
    line of that text."""
    if not edits_dir or not os.path.isdir(edits_dir):
        return
    for name in sorted(os.listdir(edits_dir)):
        if not name.endswith(".toml"):
            continue
        path = os.path.join(edits_dir, name)
        shown = os.path.relpath(path, project)
        try:
            edits = tomllib.loads(read_text(path)).get("edit", [])
        except tomllib.TOMLDecodeError as e:
            print(f"copycheck: error: {shown}: {e}", file=sys.stderr)
            sys.exit(2)
        for number, edit in enumerate(edits, 1):
            for key in EDIT_TEXTS:
                value = edit.get(key)
                if isinstance(value, str):
                    yield f"{shown}[edit {number}].{key}", value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pristine", required=True, help="the pristine 7.3 tree")
    parser.add_argument("--project", required=True, help="the project's top directory")
    parser.add_argument("--edits", help="the scripted edits' directory")
    args = parser.parse_args()

    upstream = {}
    for path in UPSTREAM_FILES:
        full = os.path.join(args.pristine, path)
        if not os.path.isfile(full):
            print(f"copycheck: error: no {path} in {args.pristine}", file=sys.stderr)
            return 2
        upstream[path] = counted(read_text(full))

    texts = list(our_files(args.project)) + list(edit_texts(args.edits, args.project))
    hits = 0
    for name, text in texts:
        ours = counted(text)
        for path, theirs in upstream.items():
            for run in find_runs(ours, theirs):
                hits += 1
                (a, b), (c, d) = run.our_range(), run.their_range()
                print(f"copycheck: HIT {name}:{a}-{b} = upstream {path}:{c}-{d}, "
                      f"{run.length} identical lines:")
                for line in run.lines():
                    print(f"    | {line}")
    n_lines = sum(len(counted(text)) for _, text in texts)
    u_lines = sum(len(lines) for lines in upstream.values())
    print(f"copycheck: {len(texts)} texts of ours ({n_lines} counted lines) against "
          f"{len(upstream)} upstream I/O files ({u_lines} counted lines): "
          f"{hits} run{'' if hits == 1 else 's'} of {RUN_LENGTH} or more identical lines")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
