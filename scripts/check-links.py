#!/usr/bin/env python3
"""Fails when a relative link in README.md or docs/*.md points at a missing file or heading.

Anchors follow GitHub's rule: the heading text lower-cased, punctuation but '-' and '_' dropped,
spaces turned into '-'. Links inside code blocks or code spans and to http(s)/mailto targets are not checked.
Usage: scripts/check-links.py [root] (default: the repository; make lint runs it, and runs it on
scripts/lint-fixtures/links, where it must fail).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def prose_lines(path):
    """The lines of a markdown file outside fenced code blocks."""
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def slug(heading):
    text = re.sub(r"[`*]", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    seen = {}
    out = set()
    for line in prose_lines(path):
        m = HEADING.match(line)
        if m:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def main():
    root = pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    files = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    broken = []
    for md in files:
        for number, line in enumerate(prose_lines(md), 1):
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"^[a-z]+:", target):
                    continue
                file_part, _, anchor = target.partition("#")
                dest = (md.parent / file_part).resolve() if file_part else md
                where = f"{md.relative_to(root)}: ({target})"
                if not dest.exists():
                    broken.append(f"{where}: no file {file_part}")
                elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                    broken.append(f"{where}: no heading #{anchor} in {dest.relative_to(root)}")
    for b in broken:
        print(b, file=sys.stderr)
    if broken:
        sys.exit(1)
    print(f"links: {len(files)} files checked, every relative link resolves")


if __name__ == "__main__":
    main()
