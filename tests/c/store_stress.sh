#!/usr/bin/env bash
# Autotune store across processes through the C ABI:
#  1. 8 writers put distinct keys and save in a loop, concurrently; the file holds every key;
#  2. a writer SIGKILLed at random moments, many times, never leaves an unreadable file.
# Usage: store_stress.sh STORE_WRITER_BINARY
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
store=$dir/store.toml

writers=8 count=25
pids=()
for id in $(seq 0 $((writers - 1))); do
  "$bin" write "$store" "$id" "$count" & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$bin" check "$store" "$writers" "$count"

before=$("$bin" load "$store")
for round in $(seq 1 40); do
  "$bin" forever "$store" $((100 + round)) &
  pid=$!
  sleep "0.0$((RANDOM % 40))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  now=$("$bin" load "$store") || { echo "round $round: unreadable store after SIGKILL"; exit 1; }
  [ "$now" -ge "$before" ] || { echo "round $round: records lost ($before -> $now)"; exit 1; }
  before=$now
done
echo "store_stress: 8 concurrent writers kept all $((writers * count)) keys; 40 SIGKILLs left a readable store ($before records)"
