#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Lay the project's kernel files over a copy of a pristine kernel tree.

The kernel is compiled from WORK, a copy of PRISTINE that this script keeps
equal to "pristine + overlay + scripted edits" on every run:

- every file under the project's overlay directories (rust/) replaces or
  adds the file at the same path in WORK;
- the KUnit suites that need no device (tests/io_sysmem_test.rs and
  tests/io_guide_test.rs, with the files they include and tests/Kbuild) are
  laid under lib/typed_io/ in WORK,
  keeping their layout, so that a kernel configured with
  CONFIG_TYPED_IO_KUNIT_TEST builds them in: that is how
  tools/testing/kunit/kunit.py, which only runs built-in suites, runs them
  (the scripted edits of lib/Makefile and lib/Kconfig.debug hook them in);
- every edit under tests/harness/edits/ is applied to the PRISTINE content of
  the upstream file it names, and the result is written to WORK;
- a path this script wrote last time but no longer manages is restored to
  its pristine content, or deleted if upstream does not have it.

A file is only written when its content changes, so kbuild sees unchanged
mtimes and stays incremental; a restored file gets a new mtime, so kbuild
rebuilds what depends on it. The list of managed paths is kept in
WORK/.harness-overlay.

Edits are TOML files (Python's tomllib), applied in file-name order:

    [[edit]]
    file = "rust/kernel/lib.rs"         # upstream path
    anchor = "pub mod io;\\n"           # must occur exactly once
    insert_after = "pub mod io_mem;\\n" # or insert_before / replace / delete

Exactly one of insert_after, insert_before, replace (a string) or
delete = true per edit. A missing or ambiguous anchor is an error that names
the edit file, the kernel file and the anchor. With through = "text" the edit
acts on everything from the anchor to the end of the first "text" after it,
with to_end = true on everything from the anchor to the end of the file; and
lines = N (for any edit) requires the span to have exactly N lines, so short
anchors can delimit a long span without silently swallowing upstream
changes inside it.
"""

import argparse
import os
import shutil
import sys
import tomllib

OVERLAY_DIRS = ("rust",)
# (project path, kernel path) of the files laid elsewhere than at their own
# path; a directory brings every file under it.
IN_TREE = (("tests/Kbuild", "lib/typed_io/tests/Kbuild"),
           ("tests/io_sysmem_test.rs", "lib/typed_io/tests/io_sysmem_test.rs"),
           ("tests/io_guide_test.rs", "lib/typed_io/tests/io_guide_test.rs"),
           ("tests/common", "lib/typed_io/tests/common"),
           ("samples/common", "lib/typed_io/samples/common"))
OPERATIONS = ("insert_after", "insert_before", "replace", "delete")
MANIFEST = ".harness-overlay"


class OverlayError(Exception):
    pass


def overlay_files(project):
    """Map kernel path -> project file for every file in the overlay dirs, and
    for the in-tree suites (IN_TREE)."""
    files = {}
    for top in OVERLAY_DIRS:
        root = os.path.join(project, top)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                files[os.path.relpath(path, project)] = path
    for ours, theirs in IN_TREE:
        source = os.path.join(project, ours)
        if os.path.isfile(source):
            files[theirs] = source
            continue
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                files[os.path.join(theirs, os.path.relpath(path, source))] = path
    return files


def edit_span(text, edit, where):
    """Return (start, end) of the text an edit acts on.

    The span is the anchor itself; with through = "text", everything from the
    anchor to the end of the first "text" after it; with to_end = true,
    everything from the anchor to the end of the file. lines = N makes the
    edit fail unless the span has exactly N lines, so a change upstream inside
    a long span is noticed instead of silently edited away.
    """
    anchor = edit.get("anchor")
    count = text.count(anchor)
    if count != 1:
        what = "not found" if count == 0 else f"found {count} times"
        raise OverlayError(f"{where}: anchor {what}:\n{anchor}")
    start = text.index(anchor)
    end = start + len(anchor)
    to_end = edit.get("to_end", False)
    through = edit.get("through")
    if to_end not in (True, False):
        raise OverlayError(f"{where}: to_end must be true or false")
    if to_end and through is not None:
        raise OverlayError(f"{where}: to_end and through exclude each other")
    if to_end:
        end = len(text)
    elif through is not None:
        found = text.find(through, end) if isinstance(through, str) and through else -1
        if found < 0:
            raise OverlayError(f"{where}: through not found after the anchor:\n"
                               f"{through}")
        end = found + len(through)
    lines = edit.get("lines")
    if lines is not None:
        found = text.count("\n", start, end)
        if found != lines:
            raise OverlayError(f"{where}: the span from the anchor has {found} "
                               f"lines, the edit expects {lines}:\n{anchor}")
    return start, end


def apply_edit(text, edit, where):
    """Apply one [[edit]] table to text; return the new text."""
    anchor = edit.get("anchor")
    ops = [op for op in OPERATIONS if op in edit]
    if not isinstance(anchor, str) or not anchor or len(ops) != 1:
        raise OverlayError(f"{where}: each edit needs an anchor and exactly "
                           f"one of {', '.join(OPERATIONS)}")
    start, end = edit_span(text, edit, where)
    op = ops[0]
    value = edit[op]
    if op == "delete":
        if value is not True:
            raise OverlayError(f"{where}: delete must be true")
        new = ""
    elif not isinstance(value, str):
        raise OverlayError(f"{where}: {op} must be a string")
    elif op == "insert_after":
        new = text[start:end] + value
    elif op == "insert_before":
        new = value + text[start:end]
    else:
        new = value
    return text[:start] + new + text[end:]


def edited_files(edits_dir, pristine, overlay):
    """Map kernel path -> edited content (bytes) for every scripted edit."""
    contents = {}
    if not os.path.isdir(edits_dir):
        return contents
    for name in sorted(os.listdir(edits_dir)):
        if not name.endswith(".toml"):
            continue
        spec = os.path.join(edits_dir, name)
        with open(spec, "rb") as f:
            try:
                edits = tomllib.load(f).get("edit", [])
            except tomllib.TOMLDecodeError as e:
                raise OverlayError(f"{spec}: {e}") from e
        for i, edit in enumerate(edits, 1):
            path = edit.get("file")
            where = f"{spec}: edit {i} of {path}"
            if not isinstance(path, str):
                raise OverlayError(f"{spec}: edit {i} names no file")
            if path in overlay:
                raise OverlayError(f"{where}: the overlay replaces this file; "
                                   "edit the overlay copy instead")
            if path not in contents:
                try:
                    with open(os.path.join(pristine, path), encoding="utf-8") as f:
                        contents[path] = f.read()
                except FileNotFoundError:
                    raise OverlayError(f"{where}: no such upstream file") from None
            contents[path] = apply_edit(contents[path], edit, where)
    return {path: text.encode() for path, text in contents.items()}


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def install(path, data, mode):
    """Write data to path unless it already holds exactly that."""
    if read(path) == data and (mode is None or os.stat(path).st_mode & 0o777 == mode):
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".harness-tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def sync(pristine, work, project, edits_dir, verbose):
    overlay = overlay_files(project)
    edits = edited_files(edits_dir, pristine, overlay)

    manifest_path = os.path.join(work, MANIFEST)
    previous = set((read(manifest_path) or b"").decode().split())
    changed = []

    for path, source in overlay.items():
        with open(source, "rb") as f:
            data = f.read()
        if install(os.path.join(work, path), data, os.stat(source).st_mode & 0o777):
            changed.append(("overlay", path))
    for path, data in edits.items():
        mode = os.stat(os.path.join(pristine, path)).st_mode & 0o777
        if install(os.path.join(work, path), data, mode):
            changed.append(("edit", path))

    managed = set(overlay) | set(edits)
    for path in sorted(previous - managed):
        upstream = os.path.join(pristine, path)
        target = os.path.join(work, path)
        if os.path.exists(upstream):
            if install(target, read(upstream), os.stat(upstream).st_mode & 0o777):
                changed.append(("restore", path))
        elif os.path.lexists(target):
            os.unlink(target)
            changed.append(("delete", path))
            remove_empty_dirs(os.path.dirname(target), work)

    install(manifest_path, "".join(p + "\n" for p in sorted(managed)).encode(), None)
    for kind, path in changed:
        print(f"overlay: {kind:8} {path}")
    if verbose or changed:
        print(f"overlay: {len(overlay)} overlay files, {len(edits)} edited "
              f"files, {len(changed)} changed")


def remove_empty_dirs(path, stop):
    while path != stop and os.path.isdir(path) and not os.listdir(path):
        os.rmdir(path)
        path = os.path.dirname(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pristine", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--edits", required=True)
    parser.add_argument("--list", action="store_true",
                        help="print the managed kernel paths and exit")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    try:
        if args.list:
            overlay = overlay_files(args.project)
            edits = edited_files(args.edits, args.pristine, overlay)
            for path in sorted(set(overlay) | set(edits)):
                print(path)
            return 0
        if not os.path.isdir(args.work):
            print(f"overlay: copying {args.pristine} to {args.work}")
            tmp = args.work + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(args.pristine, tmp, symlinks=True)
            os.rename(tmp, args.work)
        sync(args.pristine, args.work, args.project, args.edits, args.verbose)
    except OverlayError as e:
        print(f"overlay: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
