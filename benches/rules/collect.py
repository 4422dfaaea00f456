#!/usr/bin/env python3
"""Gathers the YARA rules of a directory tree into one source file that every engine of the
real-rule benchmark loads: yara (`yarac`), YARA-X and specrt.

A rule set on disk is many files; engines differ in what they accept. This script
1. splits each `.yar`/`.yara` file into its preamble (imports, comments) and its rule blocks;
2. keeps a file's rules only when `yarac` compiles the file on its own (when YARAC is given);
3. drops rules whose name was already taken by an earlier file (one namespace, as one source);
4. with --drop NAMES_FILE, drops the named rules (the ones specrt skipped), and then every rule
   whose condition refers to a dropped rule, until nothing changes;
5. writes the imports once, then the kept rule blocks, in path order.

Usage: collect.py [--yarac YARAC] [--drop NAMES_FILE] OUT.yar DIR...
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

RULE_START = re.compile(r"(?m)^[ \t]*(?:(?:private|global)\s+)*rule\s+([A-Za-z_][A-Za-z0-9_]*)")
IMPORT = re.compile(r'(?m)^[ \t]*import\s+"[^"]+"')


def rule_files(dirs):
    for d in dirs:
        for root, _, names in os.walk(d):
            for name in sorted(names):
                if name.endswith((".yar", ".yara")):
                    yield os.path.join(root, name)


def split_rules(text):
    """(imports, [(name, block)]) of one source file."""
    starts = list(RULE_START.finditer(text))
    imports = IMPORT.findall(text[: starts[0].start()] if starts else text)
    blocks = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        blocks.append((m.group(1), text[m.start():end].rstrip() + "\n"))
    return [s.strip() for s in imports], blocks


def compiles(yarac, path):
    with tempfile.NamedTemporaryFile() as out:
        r = subprocess.run([yarac, "-w", path, out.name], capture_output=True)
        return r.returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--yarac", help="keep only files that this yarac compiles")
    ap.add_argument(
        "--drop", action="append", default=[], help="file of rule names to drop, one per line"
    )
    ap.add_argument("out")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()

    dropped = set()
    for path in args.drop:
        with open(path) as f:
            dropped |= {line.strip() for line in f if line.strip()}
    imports, blocks, seen = [], [], set()
    files = rejected = 0
    for path in rule_files(args.dirs):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        file_imports, file_blocks = split_rules(text)
        if not file_blocks:
            continue
        if args.yarac and not compiles(args.yarac, path):
            rejected += 1
            continue
        files += 1
        if any(name in seen for name, _ in file_blocks):
            continue
        for imp in file_imports:
            if imp not in imports:
                imports.append(imp)
        for name, block in file_blocks:
            seen.add(name)
            blocks.append((name, block))

    # Rules that refer to a dropped rule go too (its name as a word after `condition:`).
    words = {
        name: set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", block.split("condition:", 1)[-1]))
        for name, block in blocks
    }
    changed = True
    while changed:
        changed = False
        for name, _ in blocks:
            if name not in dropped and words[name] & dropped:
                dropped.add(name)
                changed = True
    kept = [(n, b) for n, b in blocks if n not in dropped]
    # An import stays when a kept rule uses its module.
    used = [
        imp
        for imp in imports
        if any(re.search(r"\b%s\." % re.escape(imp.split('"')[1]), b) for _, b in kept)
    ]
    with open(args.out, "w") as out:
        for imp in used:
            out.write(imp + "\n")
        out.write("\n")
        for _, block in kept:
            out.write(block + "\n")
    print(
        f"{args.out}: {len(kept)} rules from {files} files "
        f"({rejected} files rejected by yarac, {len(blocks) - len(kept)} rules dropped)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
