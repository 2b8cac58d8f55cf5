#!/usr/bin/env bash
# test.sh - the whole test suite, as CI runs it (.ci/run):
#   1. install missing Debian packages (tools/install-deps.sh, tools/deps.d/*.txt);
#   2. configure, build and ctest the normal build (build/) and the ASan+UBSan build
#      (build-asan/), printing each count;
#   3. run every executable tools/test.d/*.sh in name order with OCS_BUILD_DIR and
#      OCS_ASAN_BUILD_DIR set; each prints its own counts and exits non-zero on failure;
#   4. print "N passed, N failed" and exit non-zero if anything failed.
# Environment: OCS_JOBS (default 2), OCS_SKIP_ASAN=1 to skip the sanitizer build (local use
# only), OCS_CTEST_TIMEOUT (seconds per test, default 300).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${OCS_JOBS:-2}
timeout=${OCS_CTEST_TIMEOUT:-300}
start=$(date +%s)

"$root/tools/install-deps.sh"

gen=()
if command -v ninja >/dev/null; then gen=(-G Ninja); fi

passed=0
failed=0
stages=()

# run_ctest <name> <build dir> <cmake args...>: build and run ctest, add the counts.
run_ctest() {
  local name=$1 dir=$2
  shift 2
  local log="$dir/ctest.log"
  echo "== $name: configure + build ($dir)"
  if ! cmake -S "$root" -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null; then
    echo "== $name: CONFIGURE FAILED"
    failed=$((failed + 1))
    stages+=("$name: configure failed")
    return 0
  fi
  # Keep going past a broken target so that every test that does build still runs; the
  # build failure itself counts as one failure (and the missing tests fail in ctest).
  local keep=(-k)
  if [[ ${#gen[@]} -gt 0 ]]; then keep=(-k 0); fi
  local build_failed=0
  if ! cmake --build "$dir" -j "$jobs" -- "${keep[@]}"; then
    echo "== $name: BUILD FAILED (continuing with the tests that built)"
    build_failed=1
    failed=$((failed + 1))
  fi
  echo "== $name: ctest"
  mkdir -p "$dir"
  local rc=0
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout "$timeout") 2>&1 | tee "$log" || rc=$?
  # "100% tests passed, 0 tests failed out of 123" / "95% tests passed, 6 tests failed out of 123"
  local summary total nfail
  summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)
  if [[ -z $summary ]]; then
    if grep -q 'No tests were found' "$log"; then total=0; nfail=0; else total=0; nfail=1; fi
  else
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
    nfail=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
  fi
  if [[ $rc -ne 0 && $nfail -eq 0 ]]; then nfail=1; fi
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  # (No `$( [[ ... ]] && echo ...)` here: under set -e a false test inside the substitution
  # ends the whole script.)
  local note=""
  if [[ $build_failed == 1 ]]; then note=", BUILD FAILED"; fi
  stages+=("$name: $((total - nfail)) passed, $nfail failed (of $total)$note")
  echo "== $name: $((total - nfail)) passed, $nfail failed (of $total)"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_ctest "normal" "$root/build"
if [[ ${OCS_SKIP_ASAN:-0} != 1 ]]; then
  run_ctest "asan+ubsan" "$root/build-asan" -DOCS_SANITIZE=address
fi

export OCS_BUILD_DIR="$root/build"
export OCS_ASAN_BUILD_DIR="$root/build-asan"
shopt -s nullglob
for stage in "$root"/tools/test.d/*.sh; do
  [[ -x $stage ]] || continue
  name=$(basename "$stage" .sh)
  echo "== stage $name"
  if "$stage"; then
    passed=$((passed + 1))
    stages+=("$name: ok")
  else
    failed=$((failed + 1))
    stages+=("$name: FAILED")
    echo "== stage $name FAILED"
  fi
done

echo
echo "== summary ($(( $(date +%s) - start ))s)"
for s in "${stages[@]}"; do echo "  $s"; done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
