#!/usr/bin/env python3
"""Fails when modules import each other in a cycle, at any depth of a crate's tree.

Every folder is one floor: its entries (files `x.rs` and sub-folders `x/`) must not import each
other in a cycle, whether the folder is `src/` itself or one deep inside it. A folder's `mod.rs`
is its face: an entry that uses an item the face defines depends on the face, and the face
depends on each entry whose items it uses (declaring `mod x;` alone is not a use). An import is
any path in the code: `crate::a::b`, `super::b`, `self::b`, or a path that starts with a child
module's name. A `pub use` re-export is not an import of its own: it is followed to the module
that defines the item, wherever the item is used. Comments,
doc links and `#[cfg(test)] mod tests { ... }` blocks are not dependencies.
Prints each cycle (strongly connected component) with one edge each that closes it.
Usage: scripts/check-cycles.py [crate src dirs...] (default: server/src app/src; make lint runs it).
"""
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FACE = "mod.rs"


def module_of(src, path):
    """The module path of a file: src/a/b.rs -> (a, b); src/a/mod.rs -> (a,); src/lib.rs -> ()."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def code_of(path):
    """The file's code: `//` comments blanked, inline test modules removed, lines kept in place."""
    lines = path.read_text(encoding="utf-8").splitlines()
    text = "\n".join("" if l.lstrip().startswith("//") else l for l in lines)
    out, pos = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub(\(\w+\))?\s+)?mod\s+\w+\s*\{", text):
        if m.start() < pos:
            continue
        end = matching_brace(text, m.end() - 1)
        out.append(text[pos : m.start()])
        out.append("\n" * text.count("\n", m.start(), end))
        pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def matching_brace(text, at):
    depth = 0
    for i in range(at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text) - 1


def split_top(body):
    """The items of a `{...}` group's body, split at top-level commas."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    return [i.strip() for i in items if i.strip()]


def paths_in(text):
    """Every `a::b::c` path in the text (groups expanded one level), with its line."""
    for m in re.finditer(r"(?<![\w:])((?:\w+::)+)(\{|\w+)", text):
        line = text.count("\n", 0, m.start()) + 1
        head = m.group(1).split("::")[:-1]
        if m.group(2) == "{":
            body = text[m.end() : matching_brace(text, m.end() - 1)]
            for item in split_top(body):
                first = re.split(r"::|\s", item)[0]
                yield head + ([first] if first not in ("{", "") else []), line
        else:
            yield head + [m.group(2)], line


class Crate:
    def __init__(self, src):
        self.src = src
        self.files = {module_of(src, f): f for f in sorted(src.rglob("*.rs"))}
        self.code = {mod: code_of(f) for mod, f in self.files.items()}
        self.reexports = {mod: self.reexports_of(mod) for mod in self.files}

    def is_module(self, path):
        return tuple(path) in self.files

    def reexports_of(self, mod):
        """`pub use x::Name` of a module: Name -> the absolute path it stands for."""
        found = {}
        for m in re.finditer(r"pub(\(\w+\))?\s+use\s+([^;]+);", self.code[mod]):
            spec = m.group(2).strip()
            group = re.match(r"(.*?)::\{(.*)\}$", spec, re.S)
            specs = (
                [f"{group.group(1)}::{i}" for i in split_top(group.group(2))] if group else [spec]
            )
            for s in specs:
                parts = [p.strip() for p in s.split(" as ")[0].split("::")]
                name = s.split(" as ")[-1].split("::")[-1].strip()
                target = self.absolute(mod, parts)
                if target is not None and name != "*":
                    found[name] = target
        return found

    def absolute(self, mod, parts):
        """The crate-absolute module path of `parts` as written in module `mod`, else None."""
        parts = list(parts)
        if not parts:
            return None
        if parts[0] == "crate":
            return tuple(parts[1:])
        base = list(mod)
        if parts[0] in ("self", "super"):
            while parts and parts[0] in ("self", "super"):
                if parts.pop(0) == "super":
                    if not base:
                        return None
                    base.pop()
            return tuple(base + parts)
        if self.is_module(base + parts[:1]):
            return tuple(base + parts)
        return None

    def owner(self, path, seen=0):
        """The longest module prefix of `path`, following re-exports to the defining module."""
        path = tuple(path)
        for n in range(len(path), -1, -1):
            if self.is_module(path[:n]):
                mod, rest = path[:n], path[n:]
                if rest and rest[0] in self.reexports.get(mod, {}) and seen < 8:
                    return self.owner(self.reexports[mod][rest[0]] + rest[1:], seen + 1)
                return mod
        return ()

    def uses(self):
        """(from module, to module, line) for every path a module's code names; a `pub use`
        only names an item for others (it is followed where the item is used)."""
        for mod in self.files:
            code = re.sub(r"pub(\(\w+\))?\s+use\s+[^;]+;", lambda m: "\n" * m.group(0).count("\n"), self.code[mod])
            for parts, line in paths_in(code):
                target = self.absolute(mod, parts)
                if target is None:
                    continue
                to = self.owner(target)
                if to != mod:
                    yield mod, to, line


def entry_of(folder, mod):
    """The entry of `folder` (a module path) that holds `mod`: a child's name, or FACE."""
    if mod[: len(folder)] != folder:
        return None
    return mod[len(folder)] if len(mod) > len(folder) else FACE


def floors(crate):
    """folder -> {entry: {entry it imports: where}}, for every folder of the crate."""
    folders = {mod[:-1] for mod in crate.files if mod} | {()}
    graphs = {f: {} for f in folders}
    for a, b, line in crate.uses():
        where = f"{os.path.relpath(crate.files[a], ROOT)}:{line}"
        for folder, graph in graphs.items():
            ea, eb = entry_of(folder, a), entry_of(folder, b)
            if ea and eb and ea != eb:
                graph.setdefault(ea, {}).setdefault(eb, where)
    return graphs


def cycles(graph):
    """Tarjan's strongly connected components with more than one entry."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    nodes = set(graph) | {w for targets in graph.values() for w in targets}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    dirs = sys.argv[1:] or ["server/src", "app/src"]
    failed = False
    for d in dirs:
        crate = Crate(ROOT / d)
        graphs = floors(crate)
        found = 0
        for folder, graph in sorted(graphs.items()):
            for comp in cycles(graph):
                found += 1
                name = "/".join((d,) + folder)
                print(f"{name}: import cycle among {', '.join(comp)}", file=sys.stderr)
                for a in comp:
                    for b, where in sorted(graph.get(a, {}).items()):
                        if b in comp:
                            print(f"  {a} -> {b}  ({where})", file=sys.stderr)
        if found:
            failed = True
        else:
            print(f"{d}: {len(graphs)} folders, {len(crate.files)} files, no import cycle at any depth")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
