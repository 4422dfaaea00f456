#!/usr/bin/env bash
# The installed specrt-scan against yara: the same output and exit status for yara's options on
# a small tree of files, --save/-C, --help, --version, --stats and the man page.
#
# Usage: tests/cli/specrt_scan.sh SPECRT_SCAN_BINARY MAN_PAGE
set -euo pipefail
scan=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
man_page=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
command -v yara >/dev/null || { echo "cli: yara is not installed (apt-get install yara)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

mkdir -p tree/sub/deeper
printf 'hello world' > tree/a.txt
printf 'nothing here' > tree/sub/b.txt
printf 'hello again, MZ' > tree/sub/c.txt
printf 'world' > tree/sub/deeper/d.txt
printf 'hello hello world, hello world' > many.txt
ln -s ../a.txt tree/sub/link.txt
printf 'tree/a.txt\ntree/sub/c.txt\n' > list.txt
cat > rules.yar <<'YARA'
rule greeting : alpha beta {
  meta: author = "A \"q\" b\\c\x07\x1b\n\x00tail" version = 2 offset = -0x10 ok = true no = false
  strings: $a = "hello" condition: $a
}
rule planet { strings: $w = "world" $h = { 77 6F ?? 6C 64 } condition: any of them }
private rule hidden { strings: $a = "again" condition: $a }
rule uses_hidden : beta { condition: hidden }
rule absent : gamma { strings: $z = "zzz" nocase condition: $z }
rule pattern { strings: $r = /h[a-z]+o\b/ nocase $s = /[a-z]{5}$/ condition: any of them }
YARA
printf 'rule broken { condition: nosuch }\n' > broken.yar
cat > externals.yar <<'YARA'
rule by_name { condition: name iendswith ".TXT" and not (name contains "sub") }
rule by_size { condition: limit > 3 and filesize < limit * 2 }
rule by_ratio { condition: ratio * filesize > 10.5 }
rule by_pattern { condition: name matches /^tree\/[a-z]+\.txt$/i }
rule by_flag { condition: strict and filesize > 0 }
YARA

failures=0
compared=0
same() { # same stdout (sorted) and exit status as yara
  local expected actual expected_rc=0 actual_rc=0
  compared=$((compared + 1))
  expected=$(yara "$@" 2>/dev/null | LC_ALL=C sort) || expected_rc=$?
  actual=$("$scan" "$@" 2>/dev/null | LC_ALL=C sort) || actual_rc=$?
  if [ "$expected" != "$actual" ] || [ "$expected_rc" != "$actual_rc" ]; then
    echo "cli: specrt-scan $* differs from yara (exit $actual_rc, yara $expected_rc):" >&2
    diff <(echo "$expected") <(echo "$actual") >&2 || true
    failures=$((failures + 1))
  fi
}
for target in tree tree/a.txt tree/sub/c.txt many.txt; do
  for flags in "" "-r" "-s" "-s -L" "-sL" "-c" "-c -r" "-n" "-n -g" "-g -e" "-i planet -s" \
               "-t beta" "--tag=beta -r" "-c -n -r" "--print-strings --print-string-length -r" \
               "-p 4 -r" "--threads=2 -w" "-i greeting -i planet" "-t alpha -i planet" \
               "-r -t alpha -t beta -g" "-m -r" "-mg -s" "--print-meta -n -e" "-f -s" "-f -s -L -r" \
               "--fast-scan -s -r" "-a 100 -r" "--timeout=100 -s"; do
    # shellcheck disable=SC2086
    same $flags rules.yar "$target"
  done
done
same --scan-list rules.yar list.txt
for defs in "-d name=a.txt -d limit=8 -d ratio=1.5 -d strict=true" \
            "-d name=sub.TXT -d limit=-2 -d ratio=.5 -d strict=false" \
            "--define=name=x --define=limit=0x10 --define ratio=2. -dstrict=1"; do
  # shellcheck disable=SC2086
  same $defs externals.yar tree/a.txt
done
same externals.yar tree/a.txt      # externals not defined: exit 1
# A namespace for the rules file, and includes found beside the including file.
mkdir -p inc/deeper
printf 'include "deeper/words.yar"\nrule uses_words { condition: word_hello and filesize > 3 }\n' > inc/top.yar
printf 'rule word_hello { strings: $a = "hello" condition: $a }\n' > inc/deeper/words.yar
printf 'include "inc/top.yar"\nrule greeting { condition: uses_words }\n' > including.yar
for flags in "-e -r" "-s -r" "-e -g -r"; do
  # shellcheck disable=SC2086
  same $flags scan:rules.yar tree
  # shellcheck disable=SC2086
  same $flags including.yar tree
  # shellcheck disable=SC2086
  same $flags mine:including.yar tree
done
same -e including.yar tree/nothing    # a missing target: exit 1
same -c --scan-list rules.yar list.txt
same rules.yar tree -g -r         # options after the operands
# `--` ends the options (yara has no `--`: compare with the plain command).
[ "$("$scan" -- rules.yar tree/a.txt | LC_ALL=C sort)" = "$(yara rules.yar tree/a.txt | LC_ALL=C sort)" ] \
  || { echo "cli: -- does not end the options" >&2; failures=$((failures + 1)); }
same -t "" rules.yar tree/a.txt    # an empty tag selects nothing
printf 'tree/a.txt\n\ntree/missing\n' > gaps.txt
same --scan-list rules.yar gaps.txt  # listed files that cannot be opened: reported, exit 0
same --scan-list rules.yar missing-list.txt
same rules.yar tree/missing        # a target that cannot be opened: exit 1
same broken.yar tree               # rules that do not compile: exit 1
same missing.yar tree              # a rules file that cannot be read: exit 1
same rules.yar                     # too few arguments: exit 1
same --no-such-option rules.yar tree

# Compiled rules: --save, then -C, give the source's results; a file of another kind is refused.
"$scan" --save rules.spc rules.yar
[ "$("$scan" -C -s -r rules.spc tree | LC_ALL=C sort)" = "$(yara -s -r rules.yar tree | LC_ALL=C sort)" ] \
  || { echo "cli: -C results differ from the source's" >&2; failures=$((failures + 1)); }
if "$scan" -C rules.yar tree 2>err.txt; then
  echo "cli: -C accepted a source file" >&2; failures=$((failures + 1))
fi
grep -q "SPECRT_ERROR_PARSE" err.txt || { echo "cli: -C on a source file: $(cat err.txt)" >&2; failures=$((failures + 1)); }

# --help and --version exit 0 on stdout; the version is the library's.
"$scan" --help > help.txt && grep -q "^Usage: specrt-scan" help.txt && grep -q -- "--stats" help.txt \
  || { echo "cli: --help" >&2; failures=$((failures + 1)); }
[ "$("$scan" -h)" = "$(cat help.txt)" ] || { echo "cli: -h differs from --help" >&2; failures=$((failures + 1)); }
"$scan" --version | grep -qE "^specrt-scan [0-9]+\.[0-9]+\.[0-9]+$" \
  || { echo "cli: --version: $("$scan" --version)" >&2; failures=$((failures + 1)); }

# --stats: one JSON object on stderr whose counts agree with the scan; stdout unchanged.
"$scan" --stats -r rules.yar tree > stats.out 2> stats.json
[ "$(LC_ALL=C sort stats.out)" = "$(yara -r rules.yar tree | LC_ALL=C sort)" ] \
  || { echo "cli: --stats changed stdout" >&2; failures=$((failures + 1)); }
bytes=$(cat tree/a.txt tree/sub/b.txt tree/sub/c.txt tree/sub/deeper/d.txt tree/sub/link.txt | wc -c)
python3 - "$bytes" stats.json <<'PY' || failures=$((failures + 1))
import json, sys
stats = json.load(open(sys.argv[2]))
want = {"files": 5, "failures": 0, "bytes": int(sys.argv[1])}
for key, value in want.items():
    assert stats[key] == value, f"cli: --stats {key} = {stats[key]}, expected {value}"
assert stats["backend"] in ("gpu", "cpu", "mixed"), stats["backend"]
assert stats["backend_reason"], stats
assert stats["chunks"]["total"] == sum(stats["chunks"][p] for p in ("fused", "serial", "cpu")), stats
assert 0 <= stats["tiles_with_candidates"] <= stats["tiles"], stats
assert stats["gbps"] >= 0 and stats["wall_s"] > 0, stats
PY

# The library prints nothing of its own: a scan without a desktop session writes no stderr.
env -u XDG_RUNTIME_DIR "$scan" -r rules.yar tree > /dev/null 2> quiet.err
[ ! -s quiet.err ] || { echo "cli: stray stderr: $(cat quiet.err)" >&2; failures=$((failures + 1)); }

# The man page is installed and renders.
head -n 1 "$man_page" | grep -q '^\.TH SPECRT-SCAN 1' || { echo "cli: man page $man_page" >&2; failures=$((failures + 1)); }
if command -v man >/dev/null; then
  man -l "$man_page" 2>/dev/null | grep -q -- "--skip-unsupported" || { echo "cli: man page does not render" >&2; failures=$((failures + 1)); }
fi

if [ "$failures" -ne 0 ]; then echo "cli: $failures checks failed" >&2; exit 1; fi
echo "cli: specrt-scan matches yara on $compared invocations; --save/-C, --help, --version, --stats and the man page checked"
