#!/usr/bin/env bash
# Test stage: (1) the concurrency tests (ctest label "concurrency") in a ThreadSanitizer build
# (build-tsan); (2) valgrind memcheck over the in-process handshake tests (ctest labels
# "handshake" and "hardening") in a plain build (build-bench, RelWithDebInfo, no sanitizer):
# every error and every definite/indirect leak fails the stage.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${OCS_JOBS:-2}
start=$(date +%s)
fail=0

# ---- TSan ----
tsan=$root/build-tsan
cmake -S "$root" -B "$tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCS_SANITIZE=thread \
  -DOCS_BUILD_TOOLS=OFF >/dev/null || { echo "70-tsan: configure failed"; exit 1; }
if ! cmake --build "$tsan" -j"$jobs" --target ocs_hardening_concurrency >"$tsan/build.log" 2>&1; then
  tail -30 "$tsan/build.log"; echo "70-tsan: build failed"; exit 1
fi
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
t0=$(date +%s)
if (cd "$tsan" && ctest -L concurrency --output-on-failure >"$tsan/ctest.log" 2>&1); then
  echo "70-tsan: $(grep -E 'tests passed' "$tsan/ctest.log") ($(( $(date +%s) - t0 ))s)"
else
  grep -E 'WARNING: ThreadSanitizer|tests passed|Failed|\*\*\*' "$tsan/ctest.log" | head -20
  echo "70-tsan: FAILED (log $tsan/ctest.log)"; fail=1
fi

# ---- valgrind memcheck ----
vg=$root/build-bench
cmake -S "$root" -B "$vg" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCS_BUILD_TOOLS=OFF \
  -DOCS_BUILD_BENCH=ON >/dev/null || { echo "70-valgrind: configure failed"; exit 1; }
labels=${OCS_VALGRIND_LABELS:-handshake|hardening}
# Build every test executable that carries one of the labels.
mapfile -t exes < <(cd "$vg" && cmake --build . -j"$jobs" >"$vg/build.log" 2>&1; \
  ctest -N -L "$labels" --show-only=json-v1 2>/dev/null | python3 -c '
import json, sys
seen = []
for t in json.load(sys.stdin).get("tests", []):
    c = t.get("command") or []
    if c and c[0] not in seen:
        seen.append(c[0]); print(c[0])')
if [[ ${#exes[@]} -eq 0 ]]; then
  echo "70-valgrind: no test executables with labels '$labels'"; fail=1
fi
vpass=0; vfail=0
for exe in "${exes[@]}"; do
  name=$(basename "$exe"); log=$vg/valgrind-$name.log
  t0=$(date +%s)
  # Whole executable at once: each test case would pay valgrind's start-up again.
  if OCS_TEST_DATA=$root/tests valgrind --quiet --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
      --track-origins=no --num-callers=30 "$exe" --gtest_filter="${OCS_VALGRIND_FILTER:-*}" \
      >"$log" 2>&1; then
    vpass=$((vpass+1)); echo "  PASS valgrind $name ($(( $(date +%s) - t0 ))s)"
  else
    vfail=$((vfail+1)); echo "  FAIL valgrind $name (log $log)"
    grep -m10 -E '==[0-9]+== (Invalid|Conditional|Use of|[0-9,]+ bytes in)|FAILED' "$log" | sed 's/^/       /'
  fi
done
echo "70-valgrind: ${#exes[@]} executables, $vpass clean, $vfail with errors"
[[ $vfail == 0 ]] || fail=1
echo "70-tsan-valgrind: $(( $(date +%s) - start ))s total"
exit $fail
