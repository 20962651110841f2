#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The public API of kernel::io, ours against 7.3's, from rustdoc's JSON.

  api.py json --cmd OBJ/.rustdoc-kernel.cmd --lib LIB.RS --out FILE
      Runs the kernel crate's rustdoc command, as kbuild last ran it for
      `make rustdoc` (recorded in OBJ/.rustdoc-kernel.cmd), on LIB.RS (our overlaid
      tree's or the pristine tree's rust/kernel/lib.rs) with JSON output, and
      writes the crate's JSON to FILE. Both crates are documented against the
      same build (its bindings, core and macros), so only their sources differ.

  api.py diff --ours JSON --upstream JSON [--listed]
      Prints the differences, one per line: "changed KEY", "generalized
      KEY", "removed KEY" and "added KEY", KEY naming one entry of the API
      (below), then the two signatures of each changed or generalized entry.
      With --listed, only those that the compatibility chapter lists (see
      listed()).

What the API is
---------------

The entries are the items a driver can name and what it can rely on about
them, each with a signature rendered from the JSON:

    struct|enum|trait|type|fn|const|macro PATH   an item of the scope and its
                                                 generics, public fields,
                                                 variants, supertraits, safety
    fn PATH::NAME                    an inherent method, with its impl's generics
    trait PATH::NAME                 a trait's associated item, required or provided
    impl TRAIT for TYPE              a trait implementation (its generics and
                                     where clause): for each type of the scope,
                                     and for each trait of the scope whatever
                                     the type; for Send, Sync and Unpin whether
                                     rustdoc derived it (auto traits) or the
                                     code wrote it

The scope is kernel::io and everything below it, and the items that 7.3
defines in pci/io.rs and in dma.rs's I/O section, which this project
replaces: pci's Bar, ConfigSpace and their kin, and dma's CoherentView and
CoherentIoBackend. An item is named by its public path (the shortest one,
through re-exports); generic parameters are numbered in order of appearance,
and bounds written inline or in a where clause are merged and sorted, so that
two spellings of the same API compare equal.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from collections import deque

# The public paths in scope: kernel::io and below, and these items of pci and
# dma (the I/O parts of 7.3's pci/io.rs and dma.rs).
SCOPE_PREFIX = ("kernel", "io")
SCOPE_ITEMS = {
    ("kernel", "pci", name) for name in (
        "Bar", "ConfigSpace", "ConfigSpaceBackend", "ConfigSpaceKind", "Normal", "Extended",
        "BarSpace", "Memory", "Ports", "PortBar", "DevresBar")
} | {("kernel", "dma", name) for name in ("CoherentView", "CoherentIoBackend")}
# Auto traits whose implementations are part of the API.
AUTO_TRAITS = ("Send", "Sync", "Unpin")


class Crate:
    """A crate's rustdoc JSON, with the public path of each item."""

    def __init__(self, path):
        with open(path) as f:
            data = json.load(f)
        self.index = data["index"]
        self.paths = data["paths"]
        self.public = {}   # id -> path tuple, the first BFS finds (shortest)
        self._walk(data["root"])

    def item(self, id_):
        return self.index.get(str(id_))

    def _walk(self, root):
        queue = deque([(root, ("kernel",))])
        seen = {root}
        while queue:
            module, path = queue.popleft()
            for child in self.item(module)["inner"]["module"]["items"]:
                item = self.item(child)
                if item is None or item["visibility"] != "public" or hidden(item):
                    continue
                inner = item["inner"]
                if "use" in inner:
                    use = inner["use"]
                    target = self.item(use["id"]) if use["id"] is not None else None
                    if use["is_glob"]:
                        if target is not None and "module" in target["inner"] \
                                and use["id"] not in seen:
                            seen.add(use["id"])
                            queue.append((use["id"], path))
                        continue
                    if target is None:
                        continue
                    child, name = use["id"], use["name"]
                    item = target
                else:
                    name = item["name"]
                if child in seen and "module" in item["inner"]:
                    continue
                # The shortest path, but one in scope if the item has one: a macro is
                # defined at the crate's root and re-exported in kernel::io.
                known = self.public.get(child)
                if known is None or (not in_scope(known) and in_scope(path + (name,))):
                    self.public[child] = path + (name,)
                if "module" in item["inner"]:
                    seen.add(child)
                    queue.append((child, path + (name,)))

    def path_of(self, id_, written):
        """The name a resolved path is rendered with: the public path of a
        local item, else the path rustdoc records, else what the source wrote."""
        if id_ in self.public:
            return "::".join(self.public[id_])
        known = self.paths.get(str(id_))
        if known:
            return "::".join(known["path"])
        return written


def hidden(item):
    """Whether an item is #[doc(hidden)]: not part of the API, unless a visible re-export
    makes it so (Crate._walk() follows such a `use` to its hidden target)."""
    return any("doc(hidden)" in (a.get("other", "") if isinstance(a, dict) else str(a))
               for a in item.get("attrs", []))


def in_scope(path):
    return path[:2] == SCOPE_PREFIX or path in SCOPE_ITEMS


class Renderer:
    """Renders types, bounds and generics of one crate as canonical text.

    `subst` maps generic parameters to the text that replaces them (a default
    type), for the specialised rendering of a generalised impl (see api()).
    Type aliases are expanded, and trailing arguments equal to their
    parameter's default are left out, as rustc prints types."""

    def __init__(self, crate, subst=None, baseline=None):
        self.crate = crate
        self.subst = subst or {}
        # {public path: number of type and const parameters} of 7.3's types,
        # for defaulted_params().
        self.baseline = baseline or {}

    def with_subst(self, subst):
        return Renderer(self.crate, {**self.subst, **subst}, self.baseline)

    def target_generics(self, id_):
        """The generics of the item a path resolves to, if it is a struct,
        enum or type alias of this crate."""
        item = self.crate.item(id_) if id_ is not None else None
        if not item:
            return None
        (kind, v), = item["inner"].items()
        if kind in ("struct", "enum", "type_alias"):
            return v["generics"]
        return None

    def path(self, p):
        id_ = p.get("id")
        item = self.crate.item(id_) if id_ is not None else None
        args = p.get("args") or {}
        given = (args.get("angle_bracketed") or {}).get("args", [])
        if item and "type_alias" in item["inner"]:
            alias = item["inner"]["type_alias"]
            names = [q["name"] for q in alias["generics"]["params"]]
            values = [self.arg(a) for a in given]
            defaults = [self.param_default(q) for q in alias["generics"]["params"]]
            mapping = {n: (values[i] if i < len(values) else defaults[i])
                       for i, n in enumerate(names)}
            return self.with_subst(mapping).ty(alias["type"])
        name = self.crate.path_of(id_, p.get("path", ""))
        rendered = self.args(args)
        generics = self.target_generics(id_)
        if generics and given and "angle_bracketed" in args:
            params = [q for q in generics["params"] if "lifetime" not in q["kind"]]
            parts = [self.arg(a) for a in given if "lifetime" not in a]
            lifetimes = [self.arg(a) for a in given if "lifetime" in a]
            while parts and len(parts) <= len(params) and \
                    parts[-1] == self.param_default(params[len(parts) - 1]):
                parts.pop()
            parts = lifetimes + parts
            parts += [self.constraint(c) for c in args["angle_bracketed"]["constraints"]]
            rendered = f"<{', '.join(parts)}>" if parts else ""
        return name + rendered

    def param_default(self, param):
        kind = param["kind"]
        if "type" in kind and kind["type"].get("default"):
            return self.ty(kind["type"]["default"])
        if "const" in kind and kind["const"].get("default"):
            return kind["const"]["default"]
        return None

    def args(self, a):
        if not a:
            return ""
        if "angle_bracketed" in a:
            ab = a["angle_bracketed"]
            parts = [self.arg(x) for x in ab["args"]]
            parts += sorted(self.constraint(c) for c in ab["constraints"])
            return f"<{', '.join(parts)}>" if parts else ""
        if "parenthesized" in a:
            pz = a["parenthesized"]
            out = f" -> {self.ty(pz['output'])}" if pz.get("output") else ""
            return f"({', '.join(self.ty(t) for t in pz['inputs'])}){out}"
        return "(..)"

    def arg(self, x):
        if "type" in x:
            return self.ty(x["type"])
        if "lifetime" in x:
            return x["lifetime"]
        if "const" in x:
            c = x["const"]
            text = c.get("expr") or c.get("value") or "_"
            return self.subst.get(text, text)
        return "_"

    def constraint(self, c):
        binding = c["binding"]
        if "equality" in binding:
            eq = binding["equality"]
            value = self.ty(eq["type"]) if "type" in eq else self.arg({"const": eq.get("constant", {})})
            return f"{c['name']}{self.args(c.get('args'))} = {value}"
        return f"{c['name']}: {self.bounds(binding['constraint'])}"

    def ty(self, t):
        if t is None:
            return "()"
        (kind, v), = t.items()
        if kind == "resolved_path":
            return self.path(v)
        if kind == "generic":
            return self.subst.get(v, v)
        if kind == "primitive":
            return v
        if kind == "tuple":
            return f"({', '.join(self.ty(x) for x in v)})"
        if kind == "slice":
            return f"[{self.ty(v)}]"
        if kind == "array":
            return f"[{self.ty(v['type'])}; {v['len']}]"
        if kind == "raw_pointer":
            return f"*{'mut' if v['is_mutable'] else 'const'} {self.ty(v['type'])}"
        if kind == "borrowed_ref":
            lt = f"{v['lifetime']} " if v.get("lifetime") else ""
            return f"&{lt}{'mut ' if v['is_mutable'] else ''}{self.ty(v['type'])}"
        if kind == "qualified_path":
            # `<Self as IoBase>::Backend` and `Self::Backend` name the same
            # type; the trait is left out of both.
            return f"{self.ty(v['self_type'])}::{v['name']}{self.args(v.get('args'))}"
        if kind == "impl_trait":
            return "impl " + self.bounds(v)
        if kind == "dyn_trait":
            return "dyn " + " + ".join(self.poly(tr) for tr in v["traits"])
        if kind == "function_pointer":
            sig = v["sig"]
            out = f" -> {self.ty(sig['output'])}" if sig.get("output") else ""
            return f"fn({', '.join(self.ty(x[1]) for x in sig['inputs'])}){out}"
        return kind

    def poly(self, tr):
        return self.path(tr["trait"])

    def bound(self, b):
        if "trait_bound" in b:
            tb = b["trait_bound"]
            mod = {"maybe": "?", "maybe_const": "~const "}.get(tb.get("modifier"), "")
            hrtb = ""
            if tb.get("generic_params"):
                hrtb = f"for<{', '.join(p['name'] for p in tb['generic_params'])}> "
            return f"{hrtb}{mod}{self.path(tb['trait'])}"
        if "outlives" in b:
            return b["outlives"]
        if "use" in b:
            return f"use<{', '.join(map(str, b['use']))}>"
        return "?"

    def bounds(self, bs):
        return " + ".join(sorted(self.bound(b) for b in bs))

    def generics(self, g, extra=None):
        """The generics as "<params> where <predicates>", bounds merged and
        sorted per constrained type; `extra` generics (an impl's) come first.
        Substituted parameters, and what constrains them, are left out."""
        params, preds = [], {}
        for gen in ([extra] if extra else []) + [g]:
            for p in gen["params"]:
                name, kind = p["name"], p["kind"]
                if name in self.subst:
                    continue
                if "lifetime" in kind:
                    params.append(name)
                    for o in kind["lifetime"]["outlives"]:
                        preds.setdefault(name, set()).add(o)
                elif "type" in kind:
                    t = kind["type"]
                    if t.get("is_synthetic"):
                        continue  # `impl Trait` in argument position
                    default = f" = {self.ty(t['default'])}" if t.get("default") else ""
                    params.append(name + default)
                    for b in t["bounds"]:
                        preds.setdefault(name, set()).add(self.bound(b))
                elif "const" in kind:
                    c = kind["const"]
                    default = f" = {c['default']}" if c.get("default") else ""
                    params.append(f"const {name}: {self.ty(c['type'])}{default}")
            for w in gen["where_predicates"]:
                if "bound_predicate" in w:
                    bp = w["bound_predicate"]
                    if bp["type"].get("generic") in self.subst:
                        continue
                    target = self.ty(bp["type"])
                    for b in bp["bounds"]:
                        preds.setdefault(target, set()).add(self.bound(b))
                elif "lifetime_predicate" in w:
                    lp = w["lifetime_predicate"]
                    for o in lp["outlives"]:
                        preds.setdefault(lp["lifetime"], set()).add(o)
                elif "eq_predicate" in w:
                    ep = w["eq_predicate"]
                    preds.setdefault(self.ty(ep["lhs"]), set()).add(
                        "= " + self.ty(ep["rhs"]["type"]) if "type" in ep["rhs"] else "= ?")
        # A predicate on a type without parameters (`[u8]: FromBytes`, which a
        # derive writes) holds or fails where the item is defined: it says
        # nothing about the uses.
        words = {re.split(r"[\s:=]", p.removeprefix("const "))[0] for p in params} | {"Self"}
        preds = {t: bs for t, bs in preds.items()
                 if t in words or set(re.findall(r"'?\w+", t)) & words}
        text = f"<{', '.join(params)}>" if params else ""
        where = [f"{t}: {' + '.join(sorted(bs))}" for t, bs in sorted(preds.items()) if bs]
        if where:
            text += " where " + ", ".join(where)
        return text

    def fn(self, f, extra=None):
        h = f["header"]
        quals = ("const " if h["is_const"] else "") + ("unsafe " if h["is_unsafe"] else "")
        sig = f["sig"]
        inputs = ", ".join(self.ty(t) for _, t in sig["inputs"])
        out = f" -> {self.ty(sig['output'])}" if sig.get("output") else ""
        return f"{quals}fn{self.generics(f['generics'], extra)}({inputs}){out}"

    def defaulted_params(self, t, names):
        """{parameter: default} for the generic parameters among `names` that
        `t` passes, bare, as an argument that 7.3's type does not have and
        ours has with a default: `A` in `Region<SIZE, A>`, where 7.3's Region
        has one parameter and ours a second one defaulting to Align4."""
        found = {}
        if not t:
            return found
        (kind, v), = t.items()
        if kind == "resolved_path":
            generics = self.target_generics(v.get("id"))
            given = ((v.get("args") or {}).get("angle_bracketed") or {}).get("args", [])
            path = self.crate.public.get(v.get("id"))
            known = self.baseline.get(path)
            if generics and known is not None:
                params = [q for q in generics["params"] if "lifetime" not in q["kind"]]
                for i, a in enumerate(x for x in given if "lifetime" not in x):
                    name = a.get("type", {}).get("generic") if "type" in a else \
                        (a.get("const") or {}).get("expr")
                    if known <= i < len(params) and name in names:
                        default = self.param_default(params[i])
                        if default is not None:
                            found[name] = default
            for a in given:
                if "type" in a:
                    found.update(self.defaulted_params(a["type"], names))
        elif kind in ("borrowed_ref", "raw_pointer", "array"):
            found.update(self.defaulted_params(v["type"], names))
        elif kind == "slice":
            found.update(self.defaulted_params(v, names))
        return found


def param_names(*generics):
    """The names of the generic parameters of `generics`, in order."""
    return [p["name"] for g in generics if g for p in g["params"]
            if not (p["kind"].get("type") or {}).get("is_synthetic")]


def canonical(names, text):
    """Renames the generic parameters `names` in `text` by their position, and
    every lifetime but 'static to '_, so that `impl<'a, T>` and `impl<U>` of
    one API compare equal."""
    types = [n for n in names if not n.startswith("'")]
    for i, name in enumerate(types):
        text = re.sub(rf"(?<![\w']){re.escape(name)}(?![\w])", f"G{i}", text)
    text = re.sub(r"'(?!static\b)\w+", "'_", text)
    # A lifetime parameter renders as nothing: `<'_, G0>` -> `<G0>`.
    text = re.sub(r"(?<=<)'_(, )?|(, )?'_(?=>)", "", text).replace("<>", "")
    return text


def type_params(crate):
    """{public path: number of type and const parameters} of the crate's
    structs, enums and type aliases in scope."""
    counts = {}
    for id_, path in crate.public.items():
        item = crate.item(id_)
        (kind, v), = item["inner"].items()
        if in_scope(path) and kind in ("struct", "enum", "type_alias"):
            counts[path] = sum(1 for q in v["generics"]["params"] if "lifetime" not in q["kind"])
    return counts


def api(crate, baseline=None):
    """{key: (signature, special)} for the crate's API in scope. `special` is
    None, or the (key, signature) of an impl or method specialised to the
    defaults of the parameters it adds to 7.3's: our `impl<SIZE, A:
    RegionAlign> Send for Region<SIZE, A>` specialised to A = Align4 is
    `impl<SIZE> Send for Region<SIZE>`, 7.3's impl, which it generalises.
    `baseline` (type_params() of 7.3's crate) says which parameters 7.3's
    types lack."""
    r = Renderer(crate, baseline=baseline)
    out = {}
    types = {}  # id -> path, the structs and enums in scope
    traits = {}  # id -> path, the traits in scope
    for id_, path in crate.public.items():
        if not in_scope(path):
            continue
        item = crate.item(id_)
        (kind, v), = item["inner"].items()
        name = "::".join(path)
        names = param_names(v.get("generics")) if isinstance(v, dict) else []
        if kind == "struct":
            fields = []
            k = v["kind"]
            if "plain" in k:
                for f in k["plain"]["fields"]:
                    fi = crate.item(f)
                    if fi and fi["visibility"] == "public":
                        fields.append(f"{fi['name']}: {r.ty(fi['inner']['struct_field'])}")
            elif "tuple" in k:
                for f in k["tuple"]:
                    fi = crate.item(f) if f is not None else None
                    if fi and fi["visibility"] == "public":
                        fields.append(r.ty(fi["inner"]["struct_field"]))
            out[f"struct {name}"] = (canonical(
                names, f"struct{r.generics(v['generics'])} {{{', '.join(fields)}}}"), None)
            types[id_] = name
        elif kind == "enum":
            variants = []
            for vid in v["variants"]:
                vi = crate.item(vid)
                vk = vi["inner"]["variant"]["kind"]
                if isinstance(vk, dict) and "tuple" in vk:
                    tys = [r.ty(crate.item(f)["inner"]["struct_field"]) for f in vk["tuple"] if f]
                    variants.append(f"{vi['name']}({', '.join(tys)})")
                else:
                    variants.append(vi["name"])
            out[f"enum {name}"] = (canonical(
                names, f"enum{r.generics(v['generics'])} {{{', '.join(variants)}}}"), None)
            types[id_] = name
        elif kind == "trait":
            unsafe = "unsafe " if v["is_unsafe"] else ""
            supers = f": {r.bounds(v['bounds'])}" if v["bounds"] else ""
            out[f"trait {name}"] = (canonical(
                names, f"{unsafe}trait{r.generics(v['generics'])}{supers}"), None)
            for aid in v["items"]:
                ai = crate.item(aid)
                if hidden(ai):
                    continue
                (akind, av), = ai["inner"].items()
                key = f"trait {name}::{ai['name']}"
                if akind == "function":
                    how = "provided" if av["has_body"] else "required"
                    out[key] = (canonical(param_names(v["generics"], av["generics"]),
                                          f"{how} {r.fn(av)}"), None)
                elif akind == "assoc_type":
                    default = f" = {r.ty(av['type'])}" if av.get("type") else ""
                    out[key] = (f"type{r.generics(av['generics'])}: "
                                f"{r.bounds(av['bounds'])}{default}", None)
                elif akind == "assoc_const":
                    default = " (provided)" if av.get("value") else ""
                    out[key] = (f"const: {r.ty(av['type'])}{default}", None)
            traits[id_] = name
        elif kind == "function":
            out[f"fn {name}"] = (canonical(names, r.fn(v)), None)
        elif kind == "type_alias":
            out[f"type {name}"] = (canonical(
                names, f"type{r.generics(v['generics'])} = {r.ty(v['type'])}"), None)
        elif kind == "constant":
            out[f"const {name}"] = (f"const: {r.ty(v['type'])}", None)
        elif kind in ("macro", "proc_macro"):
            out[f"macro {name}"] = ("macro", None)

    def specialised(impl, render):
        """render(renderer) -> [(key, value, names)] for the impl as written, and
        for it specialised to the defaults of the parameters it passes where
        a type has a default (None if there are none)."""
        names = param_names(impl["generics"])
        subst = r.defaulted_params(impl["for"], names)
        trait = impl["trait"]
        for a in ((trait or {}).get("args") or {}).get("angle_bracketed", {}).get("args", []):
            if "type" in a:
                subst.update(r.defaulted_params(a["type"], names))
        plain = render(r)
        if not subst:
            return [(k, v, None) for k, v in plain]
        special = render(r.with_subst(subst))
        return [(k, v, sp) for (k, v), sp in zip(plain, special)]

    def impl_entry(impl_id, owner=None):
        impl = crate.item(impl_id)["inner"]["impl"]
        trait = impl["trait"]
        if trait is None:
            if owner is None:
                return

            def methods(rr):
                rows = []
                for mid in impl["items"]:
                    mi = crate.item(mid)
                    if mi is None or mi["visibility"] != "public" or hidden(mi) or \
                            "function" not in mi["inner"]:
                        continue
                    f = mi["inner"]["function"]
                    names = [n for n in param_names(impl["generics"], f["generics"])
                             if n not in rr.subst]
                    rows.append((f"fn {owner}::{mi['name']}", canonical(
                        names, rr.fn(f, impl["generics"]) + f" on {rr.ty(impl['for'])}")))
                return rows
        else:
            short = trait.get("path", "").split("::")[-1]
            if impl["blanket_impl"] is not None:
                # A blanket impl as listed on each type it covers: other crates'
                # (From, Any, ...) hold for every type alike, and the scope's own
                # traits list the impl itself among their implementations.
                return
            if impl["is_synthetic"] and short not in AUTO_TRAITS:
                return

            def methods(rr):
                names = [n for n in param_names(impl["generics"]) if n not in rr.subst]
                neg = "!" if impl["is_negative"] else ""
                key = canonical(names, f"impl {neg}{rr.path(trait)} for {rr.ty(impl['for'])}")
                return [(key, canonical(names, f"impl{rr.generics(impl['generics'])}"))]

        for key, value, special in specialised(impl, methods):
            out[key] = (value, special)

    for id_, name in types.items():
        inner = crate.item(id_)["inner"]
        for impl_id in (inner.get("struct") or inner.get("enum") or {}).get("impls", []):
            impl_entry(impl_id, name)
    for id_ in traits:
        for impl_id in crate.item(id_)["inner"]["trait"]["implementations"]:
            impl_entry(impl_id)
    return out


def diff(ours, upstream):
    """[(kind, key, upstream signature, our signature)], sorted by key. kind
    is changed, removed or added, or generalized: 7.3's entry is gone, but
    one of ours, specialised to the defaults of the parameters it adds, is
    exactly it (an impl for `Region<SIZE, A>` that covers 7.3's for
    `Region<SIZE>`); `key` is then 7.3's, and our signature the general one."""
    rows, covered = [], set()
    by_special = {}
    for key, (value, special) in ours.items():
        if special is not None:
            by_special.setdefault(special[0], []).append((key, value, special[1]))
    for key in sorted(upstream):
        theirs = upstream[key][0]
        if key in ours:
            value, special = ours[key]
            if value == theirs:
                continue
            if special is not None and special == (key, theirs):
                rows.append(("generalized", key, theirs, value))
            else:
                rows.append(("changed", key, theirs, value))
            continue
        general = [g for g in by_special.get(key, []) if g[2] == theirs]
        if general:
            gkey, gvalue, _ = general[0]
            covered.add(gkey)
            rows.append(("generalized", key, theirs, f"{gkey}: {gvalue}"))
        else:
            rows.append(("removed", key, theirs, None))
    for key in sorted(set(ours) - set(upstream) - covered):
        rows.append(("added", key, None, ours[key][0]))
    return sorted(rows, key=lambda row: row[1])


def listed(rows):
    """The rows of diff() that the compatibility chapter lists: all but the
    added entries that come with an added item (the methods, impls and
    associated items of a type or trait that 7.3 does not have, or impls
    that name one), which the chapter lists as that item."""
    def is_item(key, value):
        what = key.split(" ", 1)[0]
        # A trait's associated items are keyed "trait PATH::NAME" too; a trait's
        # own signature is "trait..." or "unsafe trait...".
        return what in ("struct", "enum", "type") or \
            (what == "trait" and re.match(r"^(unsafe )?trait", value or ""))

    items = {key.split(" ", 1)[1] for kind, key, _, value in rows
             if kind == "added" and is_item(key, value)}

    def implied(key, value):
        what, rest = key.split(" ", 1)
        if is_item(key, value) or what in ("macro", "const"):
            return False
        if what in ("trait", "fn"):
            return rest.rsplit("::", 1)[0] in items
        words = set(re.findall(r"[\w:]+", rest + " " + (value or "")))
        return bool(words & items)

    return [row for row in rows if not (row[0] == "added" and implied(row[1], row[3]))]


CHAPTER_TABLE = re.compile(r"^\.\. list-table::")
CHAPTER_ROW = re.compile(r"^\s+\* - ``(.+?)``\s*$")
CHAPTER_KIND = re.compile(r"^\s+- (changed|generalized|removed|added)\b")


def chapter_rows(path):
    """[(kind, pattern, line)] of the compatibility chapter's checked tables:
    the list-tables with `:class: api-diff`, whose rows start with the entry
    (``KEY``, `*` standing for any text) and then its kind."""
    rows, checked, pending = [], False, None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if CHAPTER_TABLE.match(line):
                checked = False
                continue
            if line.strip() == ":class: api-diff":
                checked = True
                continue
            if not checked:
                continue
            m = CHAPTER_ROW.match(line)
            if m:
                pending = (m.group(1), number)
                continue
            m = CHAPTER_KIND.match(line)
            if m and pending:
                rows.append((m.group(1), pending[0], pending[1]))
                pending = None
    return rows


def compare_chapter(rows, chapter):
    """The differences between the diff's listed rows and the chapter's, as
    messages; none when the chapter lists exactly the diff."""
    problems = []
    patterns = [(kind, re.compile("^" + ".*".join(map(re.escape, pattern.split("*"))) + "$"),
                 pattern, line) for kind, pattern, line in chapter]
    used = set()
    for kind, key, _, _ in listed(rows):
        hits = [p for p in patterns if p[1].match(key)]
        if not hits:
            problems.append(f"not in the chapter: {kind} {key}")
        elif len(hits) > 1:
            problems.append(f"listed {len(hits)} times in the chapter (lines "
                            f"{', '.join(str(h[3]) for h in hits)}): {key}")
        elif hits[0][0] != kind:
            problems.append(f"the chapter says {hits[0][0]} (line {hits[0][3]}), "
                            f"the diff {kind}: {key}")
        used.update(h[3] for h in hits)
    for kind, _, pattern, line in patterns:
        if line not in used:
            problems.append(f"the chapter lists what the diff does not have (line {line}): "
                            f"{kind} {pattern}")
    return problems


def rustdoc_json(cmd_file, lib, out):
    """Runs the kernel crate's recorded rustdoc command on lib, with JSON output."""
    with open(cmd_file) as f:
        text = f.read()
    m = re.search(r"^savedcmd_\S+ := (.*)$", text, re.M)
    if not m:
        raise SystemExit(f"api.py: no saved command in {cmd_file}")
    words = shlex.split(m.group(1))
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    cmd, skip = [], False
    for w in words:
        if skip:
            skip = False
            continue
        if w == "--output":
            skip = True
            continue
        if w == "--generate-link-to-definition":
            continue
        cmd.append(w)
    if not cmd[-1].endswith("lib.rs"):
        raise SystemExit(f"api.py: the recorded command does not end with lib.rs: {cmd[-1]}")
    cmd[-1] = os.path.abspath(lib)
    # rustdoc runs in the object tree: every path it is given must be absolute.
    out = os.path.abspath(out)
    scratch = out + ".d"
    os.makedirs(scratch, exist_ok=True)
    # Hidden items too: 7.3 defines its projection macros #[doc(hidden)] and re-exports them
    # with #[doc(inline)] in kernel::io, which rustdoc's JSON otherwise leaves out altogether.
    # Crate.public still skips what is hidden and not re-exported.
    cmd += ["--document-hidden-items", "--output-format", "json", "--output", scratch]
    # rustdoc runs where kbuild ran it: the top of the object tree, where the
    # .cmd file of a rust/Makefile phony target is written.
    cwd = os.path.dirname(os.path.abspath(cmd_file))
    subprocess.run(cmd, cwd=cwd, env=env, check=True)
    os.replace(os.path.join(scratch, "kernel.json"), out)
    os.rmdir(scratch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    j = sub.add_parser("json")
    j.add_argument("--cmd", required=True)
    j.add_argument("--lib", required=True)
    j.add_argument("--out", required=True)
    d = sub.add_parser("diff")
    d.add_argument("--ours", required=True)
    d.add_argument("--upstream", required=True)
    d.add_argument("--listed", action="store_true")
    args = parser.parse_args()
    if args.what == "json":
        rustdoc_json(args.cmd, args.lib, args.out)
        return 0
    upstream = Crate(args.upstream)
    rows = diff(api(Crate(args.ours), type_params(upstream)), api(upstream))
    if args.listed:
        rows = listed(rows)
    for kind, key, theirs, mine in rows:
        print(f"{kind} {key}")
        if kind in ("changed", "generalized"):
            print(f"    7.3:  {theirs}")
            print(f"    ours: {mine}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
