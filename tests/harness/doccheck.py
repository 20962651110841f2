#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The guide shows only Rust that `make test` compiles.

Every Rust snippet of Documentation/ must be a ``literalinclude`` of a file
that the build compiles, between a pair of snippet markers: ``// [recipe:NAME]``
... ``// [end recipe:NAME]`` (the cookbook driver, samples/io_cookbook.rs) or
``// [guide:NAME]`` ... ``// [end guide:NAME]`` (any other compiled file).
This checker fails on:

- a ``code-block``/``code``/``sourcecode`` directive in Rust: code nothing
  compiles;
- a literal block (``::``) that reads as Rust (a ``let`` binding, a ``fn``, an
  ``impl``, an ``io_*!`` macro, an attribute), which would be the same thing;
- a ``literalinclude`` of Rust whose file does not exist, is not compiled (a
  ``.rs`` file must be an object of the ``Kbuild`` beside it, a module that
  such an object includes with ``#[path = ...]``, or belong to the host
  crate), or that is not cut at a pair of markers that each occur
  exactly once, start before end, with code between them;
- a marker without its partner in a compiled file, or a pair that no page
  includes (a snippet the guide lost).

Usage: doccheck.py DOC_DIR PROJECT_DIR
"""

import argparse
import os
import re
import sys

DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w-]+)::\s*(.*)$")
OPTION = re.compile(r"^\s+:([\w-]+):\s*(.*)$")
MARKER = re.compile(r"//\s*\[(end )?(recipe|guide):([\w-]+)\]")
# What marks a literal block as Rust rather than C, shell or output.
RUST_LINE = re.compile(
    r"^\s*(let\s+(mut\s+)?\w+.*=|(pub(\(crate\))?\s+)?fn\s+\w+\s*[<(]|impl\b.*\{?|"
    r"#!?\[\w+|use\s+\w+::)|\bio_(read|write|project|try_\w+)!\s*\(")
CODE_DIRECTIVES = ("code-block", "code", "sourcecode")
# Where compiled Rust lives outside a Kbuild: the host crate (cargo).
HOST_CRATE = os.path.join("tests", "host")


def rst_files(doc_dir):
    for dirpath, dirnames, filenames in os.walk(doc_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("_"))
        for name in sorted(filenames):
            if name.endswith(".rst"):
                yield os.path.join(dirpath, name)


def directives(lines):
    """(line number, directive, argument, options, literal lines) of each
    directive of an rST file, and the ``::`` literal blocks as directive
    ``::``."""
    i = 0
    while i < len(lines):
        line = lines[i]
        m = DIRECTIVE.match(line)
        literal = not m and line.rstrip().endswith("::") and not line.strip().startswith("..")
        if not m and not literal:
            i += 1
            continue
        indent = len(m.group(1)) if m else len(line) - len(line.lstrip())
        start = i + 1
        options = {}
        i += 1
        if m:
            while i < len(lines) and OPTION.match(lines[i]):
                key, value = OPTION.match(lines[i]).groups()
                options[key] = value.strip()
                i += 1
        body = []
        while i < len(lines):
            text = lines[i]
            if text.strip() and len(text) - len(text.lstrip()) <= indent:
                break
            body.append(text)
            i += 1
        if m:
            yield start, m.group(2), m.group(3).strip(), options, body
        else:
            yield start, "::", "", options, body


def project_sources(project):
    """Every .rs file of the project, outside build outputs."""
    for dirpath, dirnames, filenames in os.walk(project):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in ("build", "target"))
        for name in sorted(filenames):
            if name.endswith(".rs"):
                yield os.path.join(dirpath, name)


def includers(project, path):
    """The project's .rs files that include PATH as a module (``#[path]``)."""
    for source in project_sources(project):
        with open(source) as f:
            for rel in re.findall(r'#\[path\s*=\s*"([^"]+)"\]', f.read()):
                if os.path.normpath(os.path.join(os.path.dirname(source), rel)) == path:
                    yield source
                    break


def compiled(project, path, seen=()):
    """Why the file at PATH (absolute) is not compiled by the build, or None."""
    rel = os.path.relpath(path, project)
    if rel.split(os.sep)[:2] == HOST_CRATE.split(os.sep):
        return None
    kbuild = os.path.join(os.path.dirname(path), "Kbuild")
    obj = os.path.splitext(os.path.basename(path))[0] + ".o"
    try:
        with open(kbuild) as f:
            objects = re.findall(r"^obj-[^\s]+\s*\+?=\s*(.*)$", f.read(), re.M)
    except OSError:
        objects = []
    if any(obj in o.split() for o in objects):
        return None
    # A module of a compiled file.
    for source in includers(project, path):
        if source not in seen and compiled(project, source, seen + (path,)) is None:
            return None
    if not os.path.isfile(kbuild):
        return f"{rel} has no Kbuild beside it, and no compiled file includes it"
    return (f"{rel} is not an object of {os.path.relpath(kbuild, project)}, and no "
            f"compiled file includes it")


def markers(text):
    """{(kind, name): [start offsets], ...} and the same for ends."""
    starts, ends = {}, {}
    for m in MARKER.finditer(text):
        table = ends if m.group(1) else starts
        table.setdefault((m.group(2), m.group(3)), []).append(m.start())
    return starts, ends


def check_include(project, rst, lineno, arg, options, problems, used):
    where = f"{os.path.relpath(rst, project)}:{lineno}"
    path = os.path.normpath(os.path.join(os.path.dirname(rst), arg))
    if not os.path.isfile(path):
        problems.append(f"{where}: {arg}: no such file")
        return
    reason = compiled(project, path)
    if reason:
        problems.append(f"{where}: {reason}")
    start, end = options.get("start-after"), options.get("end-before")
    m_start = re.fullmatch(r"\[(recipe|guide):([\w-]+)\]", start or "")
    m_end = re.fullmatch(r"\[end (recipe|guide):([\w-]+)\]", end or "")
    if not m_start or not m_end or m_start.groups() != m_end.groups():
        problems.append(f"{where}: {arg} must be cut at a pair of markers "
                        f"([recipe:NAME] ... [end recipe:NAME] or [guide:...]); "
                        f"start-after {start!r}, end-before {end!r}")
        return
    with open(path) as f:
        text = f.read()
    n_start, n_end = text.count(start), text.count(end)
    if n_start != 1 or n_end != 1:
        problems.append(f"{where}: {start} occurs {n_start} times and {end} "
                        f"{n_end} times in {arg}; each must occur once")
        return
    a, b = text.index(start) + len(start), text.index(end)
    if a > b:
        problems.append(f"{where}: {end} comes before {start} in {arg}")
        return
    if not re.search(r"\S", re.sub(r"//.*", "", text[a:b].split("\n", 1)[-1])):
        problems.append(f"{where}: no code between {start} and {end} in {arg}")
    used.add((path, m_start.group(1), m_start.group(2)))


def check(doc_dir, project):
    problems = []
    used = set()
    for rst in rst_files(doc_dir):
        with open(rst) as f:
            lines = f.read().split("\n")
        for lineno, name, arg, options, body in directives(lines):
            where = f"{os.path.relpath(rst, project)}:{lineno}"
            language = options.get("language", "")
            if name in CODE_DIRECTIVES and "rust" in (arg.lower(), language.lower()):
                problems.append(f"{where}: a {name} in Rust: show compiled code "
                                f"with literalinclude")
            elif name == "::" or name in CODE_DIRECTIVES:
                rust = [t for t in body if RUST_LINE.search(t)]
                if rust:
                    problems.append(f"{where}: a literal block that reads as Rust "
                                    f"({rust[0].strip()!r}): show compiled code with "
                                    f"literalinclude")
            elif name == "literalinclude" and (language == "rust" or arg.endswith(".rs")):
                check_include(project, rst, lineno, arg, options, problems, used)
    # Every snippet of a compiled file has its partner and a page that shows it.
    for path in project_sources(project):
        with open(path) as f:
            starts, ends = markers(f.read())
        rel = os.path.relpath(path, project)
        for key in sorted(set(starts) | set(ends)):
            kind, snippet = key
            if len(starts.get(key, [])) != 1 or len(ends.get(key, [])) != 1:
                problems.append(f"{rel}: marker [{kind}:{snippet}] has "
                                f"{len(starts.get(key, []))} start(s) and "
                                f"{len(ends.get(key, []))} end(s)")
            elif (path, kind, snippet) not in used:
                problems.append(f"{rel}: snippet [{kind}:{snippet}] is shown by "
                                f"no page of the guide")
    return problems, len(used)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("doc_dir")
    parser.add_argument("project")
    args = parser.parse_args(argv)
    problems, snippets = check(os.path.abspath(args.doc_dir), os.path.abspath(args.project))
    for problem in problems:
        print(f"doccheck: {problem}")
    print(f"doccheck: {snippets} compiled snippets shown, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
