#!/usr/bin/env python3
"""Checks that every code block of a Markdown page marked `<!-- from: PATH -->`
still appears in PATH (relative to the repository root), line by line, ignoring
each line's leading and trailing spaces, so a walk-through cannot drift from the
code it shows. Prints each block it checked; exits 1 naming the first stale one.

Run: python3 tests/check_doc_snippets.py docs/adding_an_op.md [ROOT]
"""
import os
import re
import sys


def blocks(page):
    """(line number, path, block lines) for each marked fenced block."""
    lines = open(page, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"<!-- from: (\S+) -->$", lines[i].strip())
        if m:
            start = i + 1
            if start >= len(lines) or not lines[start].startswith("```"):
                sys.exit(f"{page}:{i + 1}: a `from:` marker must be followed by a fenced code block")
            end = start + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if end == len(lines):
                sys.exit(f"{page}:{start + 1}: the code block is not closed")
            yield start + 1, m.group(1), lines[start + 1:end]
            i = end
        i += 1


def contains(haystack, needle):
    n = len(needle)
    return any(haystack[k:k + n] == needle for k in range(len(haystack) - n + 1))


def main():
    page = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else "."
    found = 0
    for line, path, block in blocks(page):
        found += 1
        full = os.path.join(root, path)
        if not os.path.exists(full):
            sys.exit(f"{page}:{line}: names {path}, which does not exist")
        text = [s.strip() for s in open(full, encoding="utf-8").read().split("\n")]
        want = [s.strip() for s in block]
        if not contains(text, want):
            sys.exit(f"{page}:{line}: this {len(block)}-line block is no longer in {path}; "
                     f"update the page or the code (first line: {block[0].strip()!r})")
        print(f"ok  {page}:{line}  {len(block)} lines from {path}")
    if found == 0:
        sys.exit(f"{page}: no `<!-- from: PATH -->` blocks found")


if __name__ == "__main__":
    main()
