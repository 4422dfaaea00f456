#!/usr/bin/env python3
"""Differential test of a rule set's regular-expression strings against yara, on data made to
match them (real files match few of them).

1. gathers the rules (collect.py), drops the rules specrt skips;
2. keeps the rules with regular-expression strings, each with its condition replaced by
   `any of them`, so every string's matches are printed;
3. writes ten samples of each expression (`bench_rules samples`, RegexString::sample) between
   filler bytes, cut into files of 150 KB;
4. runs `yara -s -L` and `specrt-scan -s -L` on them: the CPU backend, and the GPU backend with
   every candidate that fits verified on the GPU (`--regex-verify gpu`) and with all of them
   verified on the CPU (`--regex-verify cpu`), skipped with `--no-gpu`; the sorted outputs must
   be identical (offsets and lengths of every match). The wall time of each run is printed.

Usage: regex_samples.py --bench-bin BENCH_RULES --scan SPECRT_SCAN --out DIR RULE_DIR...
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402


def any_of_them(source, names):
    """The rules of `source` named in `names`, public, with `condition: any of them`."""
    heads = list(re.finditer(r"^\s*(?:private\s+|global\s+)*rule\s+(\w+)", source, re.M))
    out = [source[: heads[0].start()]] if heads else []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(source)
        block = source[h.start(): end]
        if h.group(1) not in names:
            continue
        cut, close = block.rfind("condition:"), block.rfind("}")
        block = block[:cut] + "condition:\n        any of them\n" + block[close:]
        out.append(re.sub(r"^(\s*)(?:private\s+|global\s+)+rule", r"\1rule", block, flags=re.M))
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-bin", required=True)
    ap.add_argument("--scan", required=True)
    ap.add_argument("--yara", default="yara")
    ap.add_argument("--yarac", default="yarac")
    ap.add_argument("--out", default="target/regex-samples")
    ap.add_argument("--no-gpu", action="store_true", help="only the CPU backend")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    os.makedirs(out("files"), exist_ok=True)
    collect = [sys.executable, os.path.join(HERE, "collect.py")]
    subprocess.run(collect + ["--yarac", args.yarac, out("all.yar")] + args.dirs, check=True)
    skipped = subprocess.run([args.bench_bin, "skipped", out("all.yar")], check=True,
                             capture_output=True).stdout
    with open(out("skipped.txt"), "wb") as f:
        f.write(skipped)
    subprocess.run(collect + ["--drop", out("skipped.txt"), out("rules.yar")] + args.dirs,
                   check=True)
    names = set(bench.rules_with_regex(out("rules.yar")))
    with open(out("rules.yar")) as f:
        source = f.read()
    with open(out("regex.yar"), "w") as f:
        f.write(any_of_them(source, names))
    subprocess.run([args.bench_bin, "samples", out("regex.yar"), out("samples.bin")], check=True)
    with open(out("samples.bin"), "rb") as f:
        data = f.read()
    files = []
    for k in range(0, len(data), 150_000):
        files.append(out(f"files/{k // 150_000:04}.bin"))
        with open(files[-1], "wb") as f:
            f.write(data[k: k + 150_000])
    with open(out("files.txt"), "w") as f:
        f.write("".join(p + "\n" for p in files))
    specrt = [args.scan, "-w", "-s", "-L"]
    runs = [("yara", [args.yara, "-w", "-s", "-L"]), ("specrt-cpu", specrt + ["--backend", "cpu"])]
    if not args.no_gpu:
        runs += [(f"specrt-gpu-verify-{where}",
                  specrt + ["--backend", "gpu", "--regex-verify", where]) for where in ("gpu", "cpu")]
    outputs = {}
    for name, cmd in runs:
        started = time.monotonic()
        run = subprocess.run(cmd + ["--scan-list", out("regex.yar"), out("files.txt")],
                             check=True, capture_output=True)
        seconds = time.monotonic() - started
        outputs[name] = sorted(run.stdout.decode(errors="replace").splitlines())
        print(f"regex samples: {name}: {seconds:.2f} s")
    rule_lines = sum(1 for line in outputs["yara"] if not line.startswith("0x"))
    different = [name for name in outputs if outputs[name] != outputs["yara"]]
    print(f"regex samples: {len(names)} rules, {len(data)} bytes in {len(files)} files, "
          f"{len(outputs['yara'])} yara lines ({rule_lines} rule lines): "
          f"{'DIFFERENT: ' + ', '.join(different) if different else 'identical'}")
    if different:
        for name in outputs:
            with open(out(f"{name}.txt"), "w") as f:
                f.write("\n".join(outputs[name]))
        sys.exit(1)


if __name__ == "__main__":
    main()
