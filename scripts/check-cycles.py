#!/usr/bin/env python3
"""Fails when the top-level modules of a crate import each other in a cycle.

A module is a file `src/<name>.rs` or a directory `src/<name>/`; an edge A -> B is any
`crate::B` path in the code of A's files (use statements and full paths; comments and doc links
are not dependencies). A cycle means no module of it can be read, tested or changed alone. Prints
the cycles (strongly connected components) with one edge each that closes them.
Usage: scripts/check-cycles.py [crate src dirs...] (default: server/src app/src; make lint runs it).
"""
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def modules(src):
    mods = {}
    for entry in sorted(src.iterdir()):
        if entry.name in ("lib.rs", "main.rs"):
            continue
        if entry.is_dir():
            mods[entry.name] = sorted(entry.rglob("*.rs"))
        elif entry.suffix == ".rs":
            mods.setdefault(entry.stem, []).append(entry)
            sub = src / entry.stem
            if sub.is_dir():
                mods[entry.stem] += sorted(sub.rglob("*.rs"))
    return mods


def code_of(path):
    """The file's text with `//` comments (doc comments too) blanked, lines kept in place."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join("" if l.lstrip().startswith("//") else l for l in lines)


def top_items(text, at):
    """The first path segment of each item of the `{...}` group opening at text[at]."""
    depth, item, items = 0, "", []
    for ch in text[at:]:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and ch == ",":
            items.append(item)
            item = ""
        else:
            item += ch
    items.append(item)
    return [i.strip().split("::")[0].strip() for i in items if i.strip()]


def edges(mods):
    graph = {m: {} for m in mods}
    for mod, files in mods.items():
        for f in files:
            text = code_of(f)
            for m in re.finditer(r"\bcrate::(\w+|\{)", text):
                names = top_items(text, m.end() - 1) if m.group(1) == "{" else [m.group(1)]
                line = text.count("\n", 0, m.start()) + 1
                for target in names:
                    if target in graph and target != mod:
                        graph[mod].setdefault(target, f"{os.path.relpath(f, ROOT)}:{line}")
    return graph


def cycles(graph):
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    dirs = sys.argv[1:] or ["server/src", "app/src"]
    failed = False
    for d in dirs:
        graph = edges(modules(ROOT / d))
        for comp in cycles(graph):
            failed = True
            print(f"{d}: import cycle among {', '.join(comp)}", file=sys.stderr)
            for a in comp:
                for b, where in sorted(graph[a].items()):
                    if b in comp:
                        print(f"  {a} -> {b}  ({where})", file=sys.stderr)
        if not failed:
            print(f"{d}: {len(graph)} top-level modules, no import cycle")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
