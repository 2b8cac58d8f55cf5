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
# By name: ocs_test passes LABELS through gtest_discover_tests' PROPERTIES, where a second
# label would be read as a property name, so only "hardening" reaches ctest.
if (cd "$tsan" && ctest -R '^Concurrency\.' --no-tests=error --output-on-failure >"$tsan/ctest.log" 2>&1); then
  echo "70-tsan: $(grep -E 'tests passed' "$tsan/ctest.log") ($(( $(date +%s) - t0 ))s)"
else
  grep -E 'WARNING: ThreadSanitizer|tests passed|Failed|\*\*\*' "$tsan/ctest.log" | head -20
  echo "70-tsan: FAILED (log $tsan/ctest.log)"; fail=1
fi

# ---- valgrind memcheck ----
# The in-process handshake tests: every test executable that runs full exchanges through the
# public table (client and server in one process), plus the hardening tests. Not
# ocs_hardening_secrets: its observer replaces operator new/delete and reads whole freed blocks
# (never-written bytes included), which is exactly what memcheck reports; it runs under ASan.
vg=$root/build-bench
targets=${OCS_VALGRIND_TARGETS:-abi_e2e_test ocs_ntlm_table_test negotiate_table_test credssp_table_test ocs_hardening_matrix ocs_hardening_concurrency}
cmake -S "$root" -B "$vg" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCS_BUILD_TOOLS=OFF \
  -DOCS_BUILD_TESTS=ON -DOCS_BUILD_BENCH=ON >/dev/null || { echo "70-valgrind: configure failed"; exit 1; }
known=$(cmake --build "$vg" --target help 2>/dev/null | sed -n 's/^\.\.\. //p')
build=()
for t in $targets; do
  if grep -qx "$t" <<<"$known"; then build+=("$t"); else echo "  skip valgrind $t (not defined in this tree)"; fi
done
if [[ ${#build[@]} -eq 0 ]] || ! cmake --build "$vg" -j"$jobs" --target "${build[@]}" >"$vg/build.log" 2>&1; then
  tail -30 "$vg/build.log"; echo "70-valgrind: build failed"; exit 1
fi
vpass=0; vfail=0
# Under valgrind everything is ~30x slower: fewer concurrent handshakes.
export OCS_CONCURRENCY_THREADS=${OCS_CONCURRENCY_THREADS:-2} OCS_CONCURRENCY_HANDSHAKES=${OCS_CONCURRENCY_HANDSHAKES:-3}
for t in "${build[@]}"; do
  exe=$(find "$vg/tests" -type f -name "$t" -perm -u+x | head -1)
  log=$vg/valgrind-$t.log
  t0=$(date +%s)
  # Whole executable at once: each test case would pay valgrind's start-up again.
  if OCS_TEST_DATA=$root/tests valgrind --quiet --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
      --num-callers=30 "$exe" >"$log" 2>&1; then
    vpass=$((vpass+1)); echo "  PASS valgrind $t ($(( $(date +%s) - t0 ))s)"
  else
    vfail=$((vfail+1)); echo "  FAIL valgrind $t (log $log)"
    grep -m10 -E '==[0-9]+== (Invalid|Conditional|Use of|[0-9,]+ bytes in)|FAILED' "$log" | sed 's/^/       /'
  fi
done
echo "70-valgrind: ${#build[@]} executables, $vpass clean, $vfail with errors or leaks"
[[ $vfail == 0 ]] || fail=1
echo "70-tsan-valgrind: $(( $(date +%s) - start ))s total"
exit $fail
