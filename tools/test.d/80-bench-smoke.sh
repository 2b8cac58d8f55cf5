#!/usr/bin/env bash
# Test stage: a short smoke pass of every benchmark (tools/bench.sh with OCS_BENCH_SMOKE=1):
# each must run without error (a failed handshake or message call is an error); no speed is
# asserted. Memory per context is measured over 200 contexts instead of 10,000.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
if OCS_BENCH_SMOKE=1 "$root/tools/bench.sh" >"$root/build-bench/bench-smoke.log" 2>&1; then
  grep -E '^bench smoke' "$root/build-bench/bench-smoke.log"
  echo "80-bench-smoke: passed ($(( $(date +%s) - start ))s)"
else
  tail -20 "$root/build-bench/bench-smoke.log"
  echo "80-bench-smoke: FAILED ($(( $(date +%s) - start ))s)"
  exit 1
fi
