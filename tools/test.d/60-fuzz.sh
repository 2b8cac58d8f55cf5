#!/usr/bin/env bash
# Test stage: every libFuzzer target (build-fuzz, clang + ASan/UBSan) runs for a short fixed
# time (OCS_FUZZ_SECONDS, default 20) from its seed corpus after replaying its regression
# inputs. Two targets run at a time (the CI machine has 2 cores). Fails on any crash, leak,
# sanitizer report or timeout.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${OCS_FUZZ_SECONDS:-20}
par=${OCS_FUZZ_PARALLEL:-2}
logdir=$root/build-fuzz/fuzz-logs
start=$(date +%s)
"$root/tools/fuzz.sh" --list >/dev/null || { echo "60-fuzz: build failed"; exit 1; }
mapfile -t targets < <(grep -v '^$' "$root/build-fuzz/fuzz_targets.txt")
if [[ ${#targets[@]} -eq 0 ]]; then echo "60-fuzz: no fuzz targets built"; exit 1; fi
mkdir -p "$logdir"
export OCS_FUZZ_NO_BUILD=1
printf '%s\n' "${targets[@]}" | xargs -P "$par" -I{} sh -c \
  "'$root/tools/fuzz.sh' {} $seconds >'$logdir/{}.log' 2>&1; echo \$? >'$logdir/{}.rc'"
pass=0; fail=0
for t in "${targets[@]}"; do
  rc=$(cat "$logdir/$t.rc" 2>/dev/null || echo 99)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logdir/$t.log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$logdir/$t.log" | tail -1)
  if [[ $rc == 0 ]]; then
    pass=$((pass+1)); printf '  PASS %-28s %10s execs  %s\n' "$t" "${execs:-?}" "$cov"
  else
    fail=$((fail+1)); printf '  FAIL %-28s rc=%s (log: %s)\n' "$t" "$rc" "$logdir/$t.log"
    grep -m5 -E 'ERROR|SUMMARY|runtime error' "$logdir/$t.log" | sed 's/^/       /'
  fi
done
echo "60-fuzz: ${#targets[@]} targets, $pass passed, $fail failed, ${seconds}s each, $(( $(date +%s) - start ))s total"
[[ $fail == 0 ]]
