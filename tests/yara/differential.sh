#!/usr/bin/env bash
# Differential test against yara: the rules of differential.yar and modules.yar, and 1,600 rules
# that benches/rules/synth.py generates with the statistics of public malware rule sets (fixed
# seed), over generated files, a fixed list of this machine's binaries and the PE fixtures,
# scanned by `yara -s -L` (rules compiled once with yarac) and by specrt-scan (CPU backend, GPU
# fused with its regular-expression candidates verified on the GPU, GPU serial and GPU adaptive
# with small chunks).
# Rule-level and string-level output must be identical after sorting. Then every value of the
# pe and elf modules on those files is compared with yara's (module_fields.py).
#
# Usage: tests/yara/differential.sh SCAN_BINARY WORK_DIR  (GEN_CORPUS: a prebuilt generator)
set -euo pipefail
scan=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)

command -v yara >/dev/null || { echo "differential: yara is not installed (apt-get install yara)" >&2; exit 1; }
mkdir -p "$work/corpus"
gen=${GEN_CORPUS:-}
if [ -z "$gen" ]; then
  gen=$work/gen_corpus
  ${CC:-cc} -std=c99 -O2 -Wall -Wextra -Werror "$here/gen_corpus.c" -o "$gen"
fi
"$gen" "$work/corpus"

files=()
for f in "$work"/corpus/* "$here"/pe/fixtures/*; do files+=("$f"); done
present=0
while read -r bin; do
  [ -z "$bin" ] && continue
  if [ -f "$bin" ]; then files+=("$bin"); present=$((present + 1)); fi
done < "$here/binaries.txt"
if [ "$present" -lt 8 ]; then
  echo "differential: only $present of the listed binaries exist on this machine" >&2
  exit 1
fi
bytes=$(cat "${files[@]}" | wc -c)
python3 "$here/../../benches/rules/synth.py" "$work/synthetic" --rules 1600 --seed 7
status=0
for rules in "$here/differential.yar" "$here/modules.yar" "$work/synthetic/synthetic.yar"; do
  set_name=$(basename "$rules" .yar)
  echo "differential: $set_name: $(grep -c '^ *\(private \|global \)*rule ' "$rules") rules, ${#files[@]} files, $bytes bytes"

  # The oracle, one file at a time (yara takes one target), the rules compiled once.
  yarac -w "$rules" "$work/rules.yarc"
  : > "$work/yara.out"
  for f in "${files[@]}"; do
    yara -C -w -s -L "$work/rules.yarc" "$f" >> "$work/yara.out"
  done
  LC_ALL=C sort "$work/yara.out" > "$work/yara.sorted"
  echo "differential: $set_name: yara printed $(wc -l < "$work/yara.sorted") lines"

  run() {
    local name=$1; shift
    "$scan" -s -L -p 2 "$@" "$rules" "${files[@]}" > "$work/$name.out"
    LC_ALL=C sort "$work/$name.out" > "$work/$name.sorted"
    if cmp -s "$work/yara.sorted" "$work/$name.sorted"; then
      echo "differential: $set_name: $name: identical to yara"
    else
      echo "differential: $set_name: $name differs from yara (< yara, > specrt):" >&2
      diff "$work/yara.sorted" "$work/$name.sorted" | head -40 >&2 || true
      status=1
    fi
  }
  run cpu --backend cpu
  run cpu-small-chunks --backend cpu --chunk 70000
  run gpu-fused --backend gpu --mode fused --regex-verify gpu
  run gpu-serial --backend gpu --mode serial --chunk 65536
  run gpu-adaptive --backend gpu --chunk 100000
done
python3 "$here/module_fields.py" "$scan" "$work" "${files[@]}" || status=1
exit $status
