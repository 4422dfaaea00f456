#!/usr/bin/env bash
# Builds everything a GPU machine needs to run specrt's GPU tests and benchmarks and copies it,
# stripped, into .carry/ (git-ignored): Rust test and bench binaries, the C tests and examples
# against the release static library, and the Vulkan loader packages (.deb) to unpack there.
# Then, on the GPU machine, from the repository root: benches/gpu/run.sh OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=.carry
rm -rf "$carry" && mkdir -p "$carry/bin" "$carry/debs"

cargo build --release --lib
test_bin=$(cargo test --release --test gpu_dispatch --no-run --message-format=json 2>/dev/null |
  python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["name"]=="gpu_dispatch": print(m["executable"])')
cp "$test_bin" "$carry/bin/gpu_dispatch_rs"
for bench in policy dispatch; do
  exe=$(cargo bench --bench "$bench" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1)
  cp "$exe" "$carry/bin/bench_$bench"
done

flags="-O2 -g -pthread -Iinclude -Iexamples/c"
libs="target/release/libspecrt.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
cc -std=c99 $flags tests/c/gpu_dispatch.c $libs -o "$carry/bin/gpu_dispatch_c"
cc -std=c99 $flags examples/c/custom_kernel.c $libs -o "$carry/bin/custom_kernel"
cc -std=c99 $flags benches/c/policy_bench.c $libs -o "$carry/bin/policy_bench"
strip "$carry"/bin/*

o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
apt-get $o update -qq
(cd "$carry/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
du -sh "$carry"
