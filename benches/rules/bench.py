#!/usr/bin/env python3
"""The real-rule benchmark: public YARA rule sets over a corpus of real files, specrt's GPU and
CPU backends against yara (`yarac` + `yara -C -p N`) and YARA-X (the `yara-x` package, rules
compiled once and deserialized by N worker processes), with outputs compared rule by rule.

Steps:
1. gather the rule sets into one source (collect.py; files yarac rejects are left out);
2. drop the rules specrt skips (unsupported constructs) and the rules that refer to them, so
   every engine loads exactly the same rules;
3. list the corpus (regular files, no links, each inode once), read it once into the page cache;
4. compile for each engine, timed; scan with each, best of SPECRT_BENCH_REPEAT (3) runs;
5. print one JSON object: specrt's figures (from the `rules` bench binary), the anchors, the
   comparison of rule-level outputs, and the `targets`.

Usage: bench.py --bench-bin PATH --rules DIR [--rules DIR...] --corpus DIR [--corpus DIR...]
                [--out DIR] [--threads N] [--yara PATH] [--yarac PATH] [--max-bytes N]
                [--results FILE]
"""
import argparse
import json
import re
import multiprocessing
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def corpus_files(dirs, max_bytes, min_size):
    """Regular files of at least `min_size` bytes under `dirs` (no symbolic links, each inode
    once), in path order, up to `max_bytes` in all."""
    seen, files, total = set(), [], 0
    for d in dirs:
        for root, dirnames, names in os.walk(d):
            dirnames.sort()
            for name in sorted(names):
                path = os.path.join(root, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if not os.path.isfile(path) or os.path.islink(path) or st.st_size < min_size:
                    continue
                if (st.st_dev, st.st_ino) in seen or not os.access(path, os.R_OK):
                    continue
                if max_bytes and total + st.st_size > max_bytes:
                    continue
                seen.add((st.st_dev, st.st_ino))
                files.append(path)
                total += st.st_size
    return files, total


def warm(files):
    for f in files:
        try:
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        except OSError:
            pass


def best_of(repeat, fn):
    """(best seconds, output of the first run) of `fn()` returning its output."""
    out = fn()  # warm-up, also the output
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, out


RULE_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]* ")


def yara_lines(stdout):
    """`RULE PATH` lines of yara's default output (warnings and errors go to stderr; the
    `console` module's messages, which are not rule lines, are left out)."""
    return sorted(l for l in stdout.decode(errors="replace").splitlines() if RULE_LINE.match(l))


# YARA-X workers: each deserializes the rules once, then scans the paths it is given.
_YRX = None


def _yrx_init(path):
    global _YRX
    import yara_x

    with open(path, "rb") as f:
        _YRX = yara_x.Scanner(yara_x.Rules.deserialize_from(f))


def _yrx_scan(paths):
    out = []
    for p in paths:
        try:
            res = _YRX.scan_file(p)
        except Exception:  # unreadable files are skipped, as by the other engines
            continue
        out.extend(f"{m.identifier} {p}" for m in res.matching_rules)
    return out


def yarax(rules_path, compiled_path, files, threads, repeat):
    try:
        import yara_x
    except ImportError:
        log("yara-x is not installed: pip install yara-x")
        return None
    t = time.perf_counter()
    with open(rules_path) as f:
        rules = yara_x.compile(f.read())
    with open(compiled_path, "wb") as f:
        rules.serialize_into(f)
    compile_s = time.perf_counter() - t
    batches = [files[i : i + 16] for i in range(0, len(files), 16)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(threads, initializer=_yrx_init, initargs=(compiled_path,)) as pool:
        pool.map(_yrx_scan, [[] for _ in range(threads * 4)])  # workers loaded

        def scan():
            lines = []
            for part in pool.imap_unordered(_yrx_scan, batches):
                lines.extend(part)
            return sorted(lines)

        wall, lines = best_of(repeat, scan)
    return {"compile_s": round(compile_s, 3), "wall_s": round(wall, 3), "lines": lines}


def rules_with_regex(path):
    """Names of the rules of a collected source that declare a regular-expression string."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    heads = list(re.finditer(r"^\s*(?:private\s+|global\s+)*rule\s+(\w+)", text, re.M))
    names = []
    for i, h in enumerate(heads):
        body = text[h.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        strings = body.split("condition:")[0]
        if re.search(r"\$\w*\s*=\s*/", strings):
            names.append(h.group(1))
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench-bin", required=True, help="the `rules` bench binary")
    ap.add_argument("--rules", action="append", required=True)
    ap.add_argument("--corpus", action="append", required=True)
    ap.add_argument("--out", default="target/bench-rules")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--yara", default="yara")
    ap.add_argument("--yarac", default="yarac")
    ap.add_argument("--max-bytes", type=int, default=0, help="corpus size cap (0: all)")
    ap.add_argument("--min-size", type=int, default=1, help="smallest file scanned, bytes")
    ap.add_argument("--results", help="also write the JSON here")
    ap.add_argument(
        "--check-rules",
        action="append",
        default=[],
        help="rule directories added for a second, untimed pass that compares outputs (rules "
        "that match the corpus, where the timed sets match nothing)",
    )
    args = ap.parse_args()
    repeat = int(os.environ.get("SPECRT_BENCH_REPEAT", "3"))
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731

    # 1-2: the same rules for every engine.
    def gather(dirs, name):
        subprocess.run(
            [sys.executable, os.path.join(HERE, "collect.py"), "--yarac", args.yarac,
             out(f"{name}-all.yar")] + dirs,
            check=True,
        )
        skipped = subprocess.run(
            [args.bench_bin, "skipped", out(f"{name}-all.yar")], check=True, capture_output=True
        ).stdout
        with open(out(f"{name}-skipped.txt"), "wb") as f:
            f.write(skipped)
        subprocess.run(
            [sys.executable, os.path.join(HERE, "collect.py"), "--drop",
             out(f"{name}-skipped.txt"), out(f"{name}.yar")] + dirs,
            check=True,
        )

    gather(args.rules, "rules")

    # 3: the corpus, in the page cache.
    files, corpus_bytes = corpus_files(args.corpus, args.max_bytes, args.min_size)
    with open(out("files.txt"), "w") as f:
        f.write("".join(p + "\n" for p in files))
    log(f"corpus: {len(files)} files, {corpus_bytes / 1e9:.2f} GB")
    warm(files)

    # 4: yara.
    t = time.perf_counter()
    subprocess.run([args.yarac, "-w", out("rules.yar"), out("rules.yarc")], check=True)
    yara_compile_s = time.perf_counter() - t
    yara_cmd = [args.yara, "-w", "-C", "-p", str(args.threads), "--scan-list",
                out("rules.yarc"), out("files.txt")]
    yara_wall, yara_out = best_of(
        repeat, lambda: yara_lines(subprocess.run(yara_cmd, capture_output=True).stdout)
    )
    log(f"yara: {yara_wall:.2f} s, {len(yara_out)} lines")
    yrx = yarax(out("rules.yar"), out("rules.yrx"), files, args.threads, repeat)
    if yrx:
        log(f"yara-x: {yrx['wall_s']:.2f} s, {len(yrx['lines'])} lines")

    # specrt.
    def specrt_run(rules, **settings):
        env = dict(os.environ, SPECRT_BENCH_THREADS=str(args.threads), **settings)
        run = subprocess.run(
            [args.bench_bin, "run", rules, out("files.txt"), args.out],
            check=True, capture_output=True, env=env,
        )
        sys.stderr.write(run.stderr.decode(errors="replace"))
        return json.loads(run.stdout)

    def lines_of(name):
        with open(out(f"{name}.rules")) as f:
            return sorted(l for l in f.read().splitlines() if l)

    specrt = specrt_run(out("rules.yar"))

    # The same scan without the rules that have regular-expression strings, for their cost.
    regex_rules = rules_with_regex(out("rules.yar"))
    with open(out("regex-rules.txt"), "w") as f:
        f.write("".join(r + "\n" for r in regex_rules))
    subprocess.run(
        [sys.executable, os.path.join(HERE, "collect.py"), "--drop", out("rules-skipped.txt"),
         "--drop", out("regex-rules.txt"), out("noregex.yar")] + args.rules,
        check=True,
    )
    without_regex = specrt_run(
        out("noregex.yar"), SPECRT_BENCH_RESIDENT_BYTES="0", SPECRT_BENCH_BACKENDS="gpu_auto,cpu"
    )

    # 5: outputs compared, targets.
    identical = {name: lines_of(name) == yara_out for name in specrt["backends"]}
    if yrx:
        identical["yara_x"] = yrx["lines"] == yara_out
    check = None
    if args.check_rules:
        # The same comparison with rules that do match here: one untimed pass each.
        gather(args.rules + args.check_rules, "check")
        subprocess.run([args.yarac, "-w", out("check.yar"), out("check.yarc")], check=True)
        check_yara = yara_lines(subprocess.run(
            [args.yara, "-w", "-C", "-p", str(args.threads), "--scan-list", out("check.yarc"),
             out("files.txt")], capture_output=True).stdout)
        checked = specrt_run(
            out("check.yar"), SPECRT_BENCH_REPEAT="0", SPECRT_BENCH_RESIDENT_BYTES="0",
            SPECRT_BENCH_BACKENDS="gpu_fused,gpu_serial,cpu",
        )
        check = {
            "rules": checked["rules_compiled"],
            "rule_lines": len(check_yara),
            "identical_to_yara": {
                name: lines_of(name) == check_yara for name in checked["backends"]
            },
        }
        log(f"check: {check}")
        for name, same in check["identical_to_yara"].items():
            identical[f"check_{name}"] = same
    for name, same in identical.items():
        if not same:
            log(f"outputs differ from yara's: {name}")
    gb = corpus_bytes / 1e9
    backends = specrt["backends"]
    gpu_best = min(
        (b["wall_s"] for n, b in backends.items() if n.startswith("gpu")), default=None
    )
    cpu = backends.get("cpu", {}).get("wall_s")
    resident = specrt["resident"]
    # The kernels' speed on resident data: GPU timestamps, one scan at a time or sustained.
    resident_best = max(
        (v for k, v in resident.items() if k.endswith("kernel_gbps")), default=None
    )
    ratio = lambda a, b: round(a / b, 2) if a and b else None  # noqa: E731
    report = {
        "device": specrt["device"],
        "date": time.strftime("%Y-%m-%d"),
        "threads": args.threads,
        "rules_compiled": specrt["rules_compiled"],
        "rules_skipped": specrt["rules_skipped"],
        "corpus_files": len(files),
        "corpus_bytes": corpus_bytes,
        "compile_s": {
            "specrt": specrt["compile_s"],
            "yarac": round(yara_compile_s, 3),
            "yara_x": yrx and yrx["compile_s"],
        },
        "wall_s": dict(
            {n: b["wall_s"] for n, b in backends.items()},
            yara=round(yara_wall, 3),
            yara_x=yrx and yrx["wall_s"],
        ),
        "gbps_end_to_end": dict(
            {n: b["gbps_end_to_end"] for n, b in backends.items()},
            yara=round(gb / yara_wall, 2),
            yara_x=yrx and round(gb / yrx["wall_s"], 2),
        ),
        "resident": resident,
        "outputs_identical_to_yara": identical,
        "rule_lines": len(yara_out),
        "check_pass": check,
        "regex_rules": {
            "rules": len(regex_rules),
            "gbps_end_to_end_with": {
                n: backends[n]["gbps_end_to_end"] for n in ("gpu_auto", "cpu") if n in backends
            },
            "gbps_end_to_end_without": {
                n: b["gbps_end_to_end"] for n, b in without_regex["backends"].items()
            },
        },
        "stages_thread_ms": {n: b["stages_thread_ms"] for n, b in backends.items()},
        "atoms": specrt["atoms"],
        "targets": {
            "vs_yara_speedup": {"goal": 10, "measured": ratio(yara_wall, gpu_best)},
            "vs_yarax_speedup": {
                "goal": 10,
                "measured": ratio(yrx and yrx["wall_s"], gpu_best),
            },
            "resident_gbps": {"goal": 100, "measured": resident_best},
            "cpu_vs_yara_speedup": {"goal": 1.5, "measured": ratio(yara_wall, cpu)},
        },
    }
    for t in report["targets"].values():
        t["met"] = t["measured"] is not None and t["measured"] >= t["goal"]
    text = json.dumps(report, indent=1)
    print(text)
    if args.results:
        with open(args.results, "w") as f:
            f.write(text + "\n")
    return 0 if all(identical.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
