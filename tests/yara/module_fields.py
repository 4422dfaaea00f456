#!/usr/bin/env python3
"""Differential test of module values: every value yara's modules compute for a file.

For each file, `yara -D` prints the values of the `pe` and `elf` modules. Each printed value
becomes a rule comparing it (`pe.sections[1].name == ".rdata"`, `elf.entry_point == 4240`), and
each undefined one a rule `not defined ...`; every such rule matches in yara by construction.
specrt-scan must report exactly the same rules on the same files. Rules on members specrt does
not provide yet are skipped at compile time (listed on stderr) and left out of the comparison;
any other skip, or any difference, fails the test.

Usage: module_fields.py SCAN_BINARY WORK_DIR FILE...
"""
import re
import subprocess
import sys

MODULES = ("pe", "elf")
ITEMS_PER_ARRAY = 12
# Dictionaries, whose keys `yara -D` prints like structure members.
DICTIONARIES = {"pe.version_info"}
LEAF = re.compile(r'^(\t*)([A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["[^"]*"\]) = (.*)$')
NODE = re.compile(r'^(\t*)([A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["[^"]*"\])$')


def dump(path):
    """(path expression, value literal or None for undefined) of every printed value."""
    rules = "".join(f'import "{m}"\n' for m in MODULES) + "rule dump { condition: false }\n"
    out = subprocess.run(["yara", "-D", "/dev/stdin", path], input=rules.encode(),
                         capture_output=True, check=True).stdout.decode("latin-1")
    stack = []
    for line in out.splitlines():
        m = LEAF.match(line) or NODE.match(line)
        if not m:
            continue
        depth, name = len(m.group(1)), m.group(2)
        stack = stack[:depth]
        if name.startswith("["):
            index = name[1:-1]
            if index.isdigit() and int(index) >= ITEMS_PER_ARRAY:
                stack.append(None)
                continue
            step = name
        else:
            step = ("." if depth else "") + name
        stack.append(step)
        if m.re is NODE or None in stack or stack[0] not in MODULES:
            continue
        if any("".join(stack).startswith(d + ".") for d in DICTIONARIES):
            continue
        if depth == 1 and name.isupper():
            continue  # a constant
        value = m.group(3)
        if value.startswith('"') and ('\\' in value[1:-1].replace("\\x", "") or '"' in value[1:-1]):
            continue  # not safely re-quoted
        yield "".join(stack), None if value == "YR_UNDEFINED" else value


def main():
    scan, work, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    rules = ["".join(f'import "{m}"\n' for m in MODULES)]
    for i, path in enumerate(files):
        for j, (expr, value) in enumerate(dump(path)):
            cond = f"not defined {expr}" if value is None else f"{expr} == {value}"
            rules.append(f"rule f{i}_{j} {{ condition: {cond} }}\n")
    rule_file = f"{work}/module_fields.yar"
    with open(rule_file, "w") as f:
        f.writelines(rules)
    expected = set()
    for path in files:
        out = subprocess.run(["yara", "-w", rule_file, path], capture_output=True, check=True)
        expected |= set(out.stdout.decode("latin-1").splitlines())
    ran = subprocess.run([scan, "--skip-unsupported", "--backend", "cpu", rule_file] + files,
                         capture_output=True)
    if ran.returncode != 0:
        sys.exit(f"module fields: specrt-scan failed: {ran.stderr.decode()[:2000]}")
    skipped = {}
    for line in ran.stderr.decode("latin-1").splitlines():
        m = re.match(r"warning: skipped rule (\S+) \((.*)\)$", line)
        if m:
            skipped[m.group(1)] = m.group(2)
    unexpected = {r: why for r, why in skipped.items() if "not provided" not in why}
    got = set(ran.stdout.decode("latin-1").splitlines())
    expected = {line for line in expected if line.split(" ")[0] not in skipped}
    print(f"module fields: {len(rules) - 1} rules over {len(files)} files, {len(skipped)} on "
          f"members not provided yet, {len(expected)} matches in yara")
    status = 0
    for rule, why in list(unexpected.items())[:20]:
        print(f"module fields: unexpected skip {rule}: {why}", file=sys.stderr)
        status = 1
    for line in sorted(expected - got)[:20]:
        print(f"module fields: only yara: {line}", file=sys.stderr)
        status = 1
    for line in sorted(got - expected)[:20]:
        print(f"module fields: only specrt: {line}", file=sys.stderr)
        status = 1
    if status == 0:
        print("module fields: identical to yara")
    sys.exit(status)


if __name__ == "__main__":
    main()
