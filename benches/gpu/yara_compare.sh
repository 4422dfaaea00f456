#!/usr/bin/env bash
# Times the YARA rule set of the differential test over a few hundred MB of this machine's own
# binaries: `yara -p THREADS -r` against specrt-scan on the GPU and on the CPU backend (each
# -p THREADS), best of three runs after a warm-up that fills the page cache. Also checks that the
# rule-level and the `-s -L` outputs are identical after sorting. Writes OUT_DIR/yara.json.
#
# Usage: benches/gpu/yara_compare.sh SCAN_BINARY YARA_BINARY OUT_DIR [MEGABYTES] [THREADS]
set -euo pipefail
scan=$1
yara=$2
out=$3
megabytes=${4:-300}
threads=${5:-16}
rules=$(cd "$(dirname "$0")/../.." && pwd)/tests/yara/differential.yar
corpus=$out/corpus
mkdir -p "$corpus"

# Regular ELF files from the usual binary directories, copied under unique names, until the
# corpus holds MEGABYTES.
budget=$((megabytes * 1024 * 1024))
total=0
n=0
while IFS= read -r f; do
  [ "$total" -ge "$budget" ] && break
  head -c 4 "$f" 2>/dev/null | grep -q "ELF" || continue
  size=$(stat -c %s "$f")
  cp "$f" "$corpus/$n-$(basename "$f")" 2>/dev/null || continue
  total=$((total + size))
  n=$((n + 1))
done < <(find /usr/bin /usr/sbin /usr/lib /usr/libexec /usr/local -xdev -type f -size +16k 2>/dev/null | sort)
echo "corpus: $n files, $total bytes"

best_of_three() { # prints the best wall time in seconds of "$@" (stdout to $out/last.out)
  local best="" t
  "$@" > "$out/last.out" 2>/dev/null # warm-up
  for _ in 1 2 3; do
    t=$( { TIMEFORMAT=%R; time "$@" > "$out/last.out" 2>/dev/null; } 2>&1 | tail -1)
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}

t_yara=$(best_of_three "$yara" -w -p "$threads" -r "$rules" "$corpus")
LC_ALL=C sort "$out/last.out" > "$out/yara.rules"
t_gpu=$(best_of_three "$scan" -p "$threads" -r --backend gpu "$rules" "$corpus")
LC_ALL=C sort "$out/last.out" > "$out/gpu.rules"
t_cpu=$(best_of_three "$scan" -p "$threads" -r --backend cpu "$rules" "$corpus")
LC_ALL=C sort "$out/last.out" > "$out/cpu.rules"

"$yara" -w -s -L -p "$threads" -r "$rules" "$corpus" | LC_ALL=C sort > "$out/yara.strings"
"$scan" -s -L -p "$threads" -r --backend gpu "$rules" "$corpus" | LC_ALL=C sort > "$out/gpu.strings"
same() { cmp -s "$1" "$2" && echo true || echo false; }

mb=$(awk "BEGIN{print $total / 1e6}")
cat > "$out/yara.json" <<EOF
{"corpus_files": $n, "corpus_bytes": $total, "threads": $threads,
 "rules": $(grep -c '^ *\(private \|global \)*rule ' "$rules"),
 "yara_s": $t_yara, "specrt_gpu_s": $t_gpu, "specrt_cpu_s": $t_cpu,
 "yara_mb_per_s": $(awk "BEGIN{print $mb / $t_yara}"),
 "specrt_gpu_mb_per_s": $(awk "BEGIN{print $mb / $t_gpu}"),
 "specrt_cpu_mb_per_s": $(awk "BEGIN{print $mb / $t_cpu}"),
 "gpu_over_yara": $(awk "BEGIN{print $t_yara / $t_gpu}"),
 "cpu_over_yara": $(awk "BEGIN{print $t_yara / $t_cpu}"),
 "rule_lines": $(wc -l < "$out/yara.rules"), "string_lines": $(wc -l < "$out/yara.strings"),
 "rules_identical_gpu": $(same "$out/yara.rules" "$out/gpu.rules"),
 "rules_identical_cpu": $(same "$out/yara.rules" "$out/cpu.rules"),
 "strings_identical_gpu": $(same "$out/yara.strings" "$out/gpu.strings")}
EOF
rm -rf "$corpus" "$out/last.out"
cat "$out/yara.json"
