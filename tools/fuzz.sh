#!/usr/bin/env bash
# tools/fuzz.sh TARGET SECONDS [extra libFuzzer args]
# Builds the libFuzzer build (build-fuzz: clang, ASan+UBSan, -fsanitize=fuzzer) if needed,
# replays fuzz/regressions/TARGET/* (every crash ever fixed), then fuzzes TARGET for SECONDS
# starting from the seed corpus fuzz/corpus/TARGET. New inputs go to fuzz/corpus-TARGET/
# (gitignored), crashes to fuzz/crash-TARGET-* (gitignored). Exit status non-zero on a crash.
# `tools/fuzz.sh --list` prints the targets.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OCS_FUZZ_BUILD:-$root/build-fuzz}
jobs=${OCS_JOBS:-2}

configure_and_build() {
  if [[ ! -f $build/CMakeCache.txt ]]; then
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DOCS_BUILD_FUZZ=ON -DOCS_BUILD_TESTS=OFF -DOCS_BUILD_TOOLS=OFF -DOCS_WERROR=OFF \
      -DOCS_SANITIZE=address \
      -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" \
      >/dev/null
  else
    cmake "$build" >/dev/null
  fi
  cmake --build "$build" -j"$jobs" --target "$@" >/dev/null
}

if [[ ${1:-} == --list ]]; then
  configure_and_build ocs_fuzz_all
  cat "$build/fuzz_targets.txt"
  exit 0
fi
if [[ $# -lt 2 ]]; then
  echo "usage: tools/fuzz.sh TARGET SECONDS [libFuzzer args...] | tools/fuzz.sh --list" >&2
  exit 2
fi
target=$1; seconds=$2; shift 2
[[ ${OCS_FUZZ_NO_BUILD:-0} == 1 ]] || configure_and_build "$target"
bin=$build/fuzz/$target
[[ -x $bin ]] || { echo "fuzz: no such target $target (see tools/fuzz.sh --list)" >&2; exit 2; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
seeds=$root/fuzz/corpus/$target
work=$root/fuzz/corpus-$target
mkdir -p "$work"
args=(-timeout=10 -rss_limit_mb=2048 -max_len=${OCS_FUZZ_MAX_LEN:-8192} -print_final_stats=1
      -artifact_prefix="$root/fuzz/crash-$target-")
dict=$root/fuzz/$target.dict
[[ -f $dict ]] && args+=(-dict="$dict")

# Replay the regression inputs first: each must run clean.
reg=$root/fuzz/regressions/$target
if [[ -d $reg ]] && compgen -G "$reg/*" >/dev/null; then
  "$bin" "${args[@]}" -runs=0 "$reg"/* >/dev/null 2>"$work.replay.log" || {
    cat "$work.replay.log" >&2; echo "fuzz: $target: regression input fails" >&2; exit 1; }
fi
dirs=("$work")
[[ -d $seeds ]] && dirs+=("$seeds")
"$bin" "${args[@]}" -max_total_time="$seconds" "$@" "${dirs[@]}"
