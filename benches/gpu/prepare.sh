#!/usr/bin/env bash
# Builds everything a GPU machine needs to run specrt's GPU tests and benchmarks and copies it,
# stripped, into .carry/ (git-ignored): Rust test and bench binaries, the C tests and examples
# against the release static library, the Vulkan loader packages (.deb) to unpack there, and
# yara's packages.
# Then, on the GPU machine, from the repository root: benches/gpu/run.sh OUT_DIR
#
# SPECRT_CARRY=rules prepares the real-rule benchmark alone (make bench-rules there): its
# binary, yara's packages, the yara-x wheel, and the rule sets named by SPECRT_RULE_DIRS
# (space-separated directories; only their .yar/.yara files travel); with specrt-scan and the
# YARA rule tests, for the regular-expression runs (SPECRT_RUN=regex).
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=.carry
rm -rf "$carry" && mkdir -p "$carry/bin" "$carry/debs"

bench_exe() { # the executable of bench $1
  cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1
}

o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
fetch_debs() {
  mkdir -p /tmp/amd64/partial "$carry/yara-debs"
  apt-get $o update -qq
  (cd "$carry/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
  # yara, the differential test's oracle and the CPU anchor, unpacked into its own prefix there.
  (cd "$carry/yara-debs" && apt-get $o download yara libyara9 libjansson4 libmagic1 libssl3 2>/dev/null)
}

if [ "${SPECRT_CARRY:-all}" = rules ]; then
  cp "$(bench_exe rules)" "$carry/bin/bench_rules"
  # For SPECRT_RUN=regex: the scanner CLI (static) and the YARA rule tests.
  make -s target/release/specrt-scan
  cp target/release/specrt-scan "$carry/bin/specrt-scan"
  cp "$(cargo test --release --test yara_rules --no-run --message-format=json 2>/dev/null |
    python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1)" \
    "$carry/bin/yara_rules_rs"
  strip "$carry"/bin/*
  fetch_debs
  mkdir -p "$carry/wheels"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 -d "$carry/wheels" "yara-x==${YARA_X_VERSION:-1.23.0}"
  for d in ${SPECRT_RULE_DIRS:?space-separated rule directories}; do
    mkdir -p "$carry/rules/$(basename "$d")"
    (cd "$d" && find . -name '*.yar' -o -name '*.yara' | tar -cf - -T -) | tar -xf - -C "$carry/rules/$(basename "$d")"
  done
  du -sh "$carry"
  exit 0
fi

cargo build --release --lib
for test in gpu_dispatch scan_backends scan_tuning yara_rules concurrency; do
  exe=$(cargo test --release --test "$test" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1)
  cp "$exe" "$carry/bin/${test}_rs"
done
for bench in policy dispatch scan report; do
  exe=$(cargo bench --bench "$bench" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1)
  cp "$exe" "$carry/bin/bench_$bench"
done

flags="-O2 -g -pthread -Iinclude -Iexamples/c"
# The C programs share one copy of the shared library, found next to them.
libs="-Ltarget/release -lspecrt -Wl,-rpath,\$ORIGIN"
cp target/release/libspecrt.so "$carry/bin/libspecrt.so.0"
ln -sf libspecrt.so.0 "$carry/bin/libspecrt.so"
cc -std=c99 $flags tests/c/gpu_dispatch.c $libs -o "$carry/bin/gpu_dispatch_c"
cc -std=c99 $flags examples/c/custom_kernel.c $libs -o "$carry/bin/custom_kernel"
cc -std=c99 $flags tests/c/scan_test.c $libs -o "$carry/bin/scan_test_c"
cc -std=c99 $flags examples/c/scan.c $libs -o "$carry/bin/scan"
cc -std=c99 $flags tools/specrt-scan.c $libs -o "$carry/bin/specrt-scan"
cc -std=c99 $flags examples/c/engine_loop.c $libs -o "$carry/bin/engine_loop"
# Static, as the C ABI timing targets are for an engine linking libspecrt.a (the policy-only
# build: the same policy code, a smaller binary).
cargo build --release --no-default-features --lib --target-dir target/policy-only
cc -std=c99 $flags -DSPECRT_NO_GPU benches/c/policy_bench.c target/policy-only/release/libspecrt.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o "$carry/bin/policy_bench"
cc -std=c99 -O2 tests/yara/gen_corpus.c -o "$carry/bin/gen_corpus"
# The Vectorscan anchor, with the library linked in (libvectorscan-dev).
cc -std=c99 -O2 -pthread benches/c/hs_bench.c -Wl,-Bstatic -lhs -Wl,-Bdynamic -lstdc++ -lm -o "$carry/bin/hs_bench"
strip "$carry"/bin/* 2>/dev/null || true

fetch_debs
du -sh "$carry"
# Over the 64 MiB a device run carries? SPECRT_CARRY=bench keeps only what benchmarks need.
if [ "${SPECRT_CARRY:-all}" = bench ]; then
  rm -f "$carry"/bin/*_rs "$carry"/bin/*_c "$carry/bin/custom_kernel" "$carry/bin/engine_loop"
  du -sh "$carry"
fi
