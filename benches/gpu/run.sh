#!/usr/bin/env bash
# Runs on a GPU machine that has only what benches/gpu/prepare.sh put in .carry/: unpacks the
# Vulkan loader, then runs the GPU tests (Rust and C), the custom_kernel example and the
# benchmarks (with the yara and Vectorscan anchors), writing logs and bench.json into OUT_DIR,
# then compares the YARA rule set against yara on this machine's binaries (OUT_DIR/yara).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: run.sh OUT_DIR}
mkdir -p "$out"
for f in .carry/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
yara_root=$(pwd)/.carry/yara-root
for f in .carry/yara-debs/*.deb; do dpkg -x "$f" "$yara_root"; done
mkdir -p "$yara_root/wrap"
printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/usr/lib/x86_64-linux-gnu exec %s/usr/bin/yara "$@"\n' \
  "$yara_root" "$yara_root" > "$yara_root/wrap/yara"
printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/usr/lib/x86_64-linux-gnu exec %s/usr/bin/yarac "$@"\n' \
  "$yara_root" "$yara_root" > "$yara_root/wrap/yarac"
chmod +x "$yara_root/wrap/yara" "$yara_root/wrap/yarac"
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] &&
   [ ! -f /usr/share/vulkan/icd.d/nvidia_icd.json ] && [ ! -f /etc/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
export SPECRT_REQUIRE_GPU=1
bin=.carry/bin
# SPECRT_RUN=rules: the real-rule benchmark alone, over this machine's /usr and /opt.
if [ "${SPECRT_RUN:-all}" = rules ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .carry/wheels/*.whl &&
    export PYTHONPATH=/tmp/site
  # The public sets are timed; the differential test's rules, which match on binaries (the
  # public ones, aimed at Windows malware, match nothing there), join them in an untimed pass
  # that compares the outputs.
  rules=(); [ "${SPECRT_CHECK:-1}" = 0 ] || rules=(--check-rules tests/yara)
  for d in .carry/rules/*; do rules+=(--rules "$d"); done
  corpus=(); for d in ${SPECRT_CORPUS:-/usr /opt}; do corpus+=(--corpus "$d"); done
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  PYTHONUNBUFFERED=1 python3 benches/rules/bench.py --bench-bin "$bin/bench_rules" "${rules[@]}" \
    "${corpus[@]}" --out /tmp/bench-rules --threads "$(nproc)" --yara "$yara_root/wrap/yara" \
    --yarac "$yara_root/wrap/yarac" --min-size "${SPECRT_MIN_FILE_BYTES:-16384}" \
    --max-bytes "${SPECRT_CORPUS_BYTES:-6000000000}" --results "$out/rules.json"
  exit $?
fi
# SPECRT_RUN=regex: the carried sets' regular-expression rules on data made to match them
# (yara against specrt, candidates verified on the CPU and on the GPU), the YARA rule tests;
# then, with the candidates verified on the CPU, on the GPU and by the automatic choice
# (OUT_DIR/regex-{samples,corpus}-{cpu,gpu,auto}.json), those rules over the samples repeated
# (many candidates per file) and all the carried rules over this machine's files.
if [ "${SPECRT_RUN:-all}" = regex ]; then
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  "$bin/yara_rules_rs" 2>&1 | grep -E "^test result|FAILED|panicked"
  samples=/tmp/regex-samples
  python3 benches/rules/regex_samples.py --bench-bin "$bin/bench_rules" --scan "$bin/specrt-scan" \
    --yara "$yara_root/wrap/yara" --yarac "$yara_root/wrap/yarac" --out $samples \
    .carry/rules/* || exit 1
  for _ in $(seq "${SPECRT_SAMPLE_REPEAT:-200}"); do cat $samples/files.txt; done > /tmp/regex-samples.txt
  python3 -c 'import sys; sys.path.insert(0, "benches/rules"); import bench
print("".join(f + "\n" for f in bench.corpus_files(sys.argv[1].split(), int(sys.argv[2]), 16384)[0]))' \
    "${SPECRT_CORPUS:-/usr /opt}" "${SPECRT_CORPUS_BYTES:-6000000000}" > /tmp/regex-corpus.txt
  for set in samples corpus; do
    rules=$samples/rules.yar; [ $set = corpus ] || rules=$samples/regex.yar
    for where in cpu gpu auto; do
      mkdir -p "/tmp/regex-$set-$where"
      SPECRT_BENCH_REGEX_VERIFY=$where SPECRT_BENCH_BACKENDS=gpu_auto SPECRT_BENCH_RESIDENT_BYTES=0 \
        "$bin/bench_rules" run $rules /tmp/regex-$set.txt "/tmp/regex-$set-$where" \
        > "$out/regex-$set-$where.json" 2>/dev/null || exit 1
      cmp "/tmp/regex-$set-cpu/gpu_auto.rules" "/tmp/regex-$set-$where/gpu_auto.rules" || exit 1
    done
    echo "$set: rule outputs identical"
  done
  exit 0
fi
status=0
run() { echo "== $*"; "$@" || { echo "FAILED: $*"; status=1; }; }
# SPECRT_RUN=bench skips the tests.
[ "${SPECRT_RUN:-all}" = bench ] || {
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  run "$bin/gpu_dispatch_rs"
  run "$bin/scan_backends_rs"
  run "$bin/scan_tuning_rs"
  run "$bin/yara_rules_rs"
  run "$bin/concurrency_rs"
  scratch=$(mktemp -d)
  run "$bin/gpu_dispatch_c" "$scratch" examples/kernels
  run "$bin/scan_test_c" "$scratch" examples/kernels
  run "$bin/custom_kernel" examples/kernels
  run "$bin/scan"
  run "$bin/engine_loop" "$scratch/engine.toml"
  run "$bin/engine_loop" "$scratch/engine.toml"
  PATH=$yara_root/wrap:$PATH GEN_CORPUS=$bin/gen_corpus \
    run tests/yara/differential.sh "$bin/specrt-scan" "$scratch/differential"
} > "$out/tests.log" 2>&1
SPECRT_C_BENCH=$bin/policy_bench "$bin/bench_policy" --bench > "$out/policy.json" 2>>"$out/bench.err"
"$bin/bench_dispatch" --bench > "$out/dispatch.json" 2>>"$out/bench.err"
SPECRT_BENCH_YARA=$yara_root/wrap/yara SPECRT_BENCH_HS=$bin/hs_bench \
  "$bin/bench_scan" --bench > "$out/scan.json" 2>>"$out/bench.err"
"$bin/bench_report" "$out/policy.json" "$out/dispatch.json" "$out/scan.json" > "$out/bench.json"
benches/gpu/yara_compare.sh "$bin/specrt-scan" "$yara_root/wrap/yara" "$out/yara" \
  "${YARA_COMPARE_MB:-300}" "$(nproc)" > "$out/yara.log" 2>&1 || status=1
grep -E "^(==|FAILED|test result|gpu_dispatch|scan_test|adapter|scanned|differential)" "$out/tests.log"; cat "$out/bench.json" "$out/yara.log"
exit $status
