#!/usr/bin/env bash
# Test stage: the Windows DLL (docs/windows.md).
#   1. install mingw-w64 and Wine if missing (tools/deps.d/windows.txt);
#   2. static OpenSSL and GoogleTest for mingw from the cache (/var/cache/opencredssp, env
#      OCS_OPENSSL_MINGW_CACHE), built there first if absent (OpenSSL: about 3 min on 2 cores);
#   3. cross-build everything with the "mingw" preset into build-mingw (OCS_MINGW_BUILD_DIR);
#   4. check opencredssp.dll's export table (== sspi_exports.def, undecorated) and import list
#      (Windows system DLLs only) with objdump;
#   5. in a fresh headless Wine prefix, run every unit/in-process GoogleTest program once, and
#      the same programs of the native build (OCS_BUILD_DIR, default build/) when present, and
#      compare the outcomes test by test;
#   6. run the SSPI harness (LoadLibraryW, InitSecurityInterfaceW/A, NTLM and CredSSP with
#      delegation, Encrypt/DecryptMessage) under Wine.
# Prints "Windows (Wine): N passed, N failed" and the native counts; exits non-zero on any
# failure.  Env: OCS_JOBS (2), OCS_WINE_TEST_TIMEOUT (seconds per program, 300).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${OCS_MINGW_BUILD_DIR:-$root/build-mingw}
native=${OCS_BUILD_DIR:-$root/build}
jobs=${OCS_JOBS:-2}
per_test_timeout=${OCS_WINE_TEST_TIMEOUT:-300}
start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - start ))s"; }
say() { echo "50-windows: $*"; }
failures=0
notes=()

# 1. tools
for c in x86_64-w64-mingw32-g++-posix x86_64-w64-mingw32-objdump wine wineboot wineserver; do
  if ! command -v "$c" >/dev/null; then
    say "$c missing: installing tools/deps.d packages"
    "$root/tools/install-deps.sh" || { say "FAILED: package installation"; exit 1; }
    break
  fi
done

# 2. cached target dependencies
ossl=$("$root/tools/windows/build-openssl-mingw.sh" | tail -n1) && [[ -d $ossl ]] ||
  { say "FAILED: OpenSSL for mingw"; exit 1; }
gtest=$("$root/tools/windows/build-gtest-mingw.sh" | tail -n1) && [[ -d $gtest ]] ||
  { say "FAILED: GoogleTest for mingw"; exit 1; }
export OCS_OPENSSL_MINGW_PREFIX=$ossl OCS_GTEST_MINGW_PREFIX=$gtest
say "OpenSSL $ossl, GoogleTest $gtest ($(elapsed))"

# 3. cross-build
cd "$root"
if ! cmake --preset mingw -S "$root" -B "$build" -DOPENSSL_ROOT_DIR="$ossl" \
     -DOCS_GTEST_MINGW_PREFIX="$gtest" >"$build.configure.log" 2>&1; then
  cat "$build.configure.log"; say "FAILED: configure"; exit 1
fi
rm -f "$build.configure.log"
if ! cmake --build "$build" -j "$jobs" -- -k 0 >"$build/build.log" 2>&1; then
  grep -E 'error:|FAILED:|undefined reference' "$build/build.log" | head -40
  say "BUILD FAILED (continuing with what built; log: $build/build.log)"
  failures=$((failures + 1))
  notes+=("cross-build failed")
fi
say "cross-build done ($(elapsed))"

# 4. the DLL as Windows' loader sees it
dll=$build/src/abi/opencredssp.dll
for mode in exports imports; do
  if [[ -f $dll ]] && cmake -DMODE=$mode -DOBJDUMP=x86_64-w64-mingw32-objdump -DDLL="$dll" \
       -DDEF="$root/sspi_exports.def" -P "$root/tests/windows/check_dll.cmake" \
       >"$build/dll_$mode.log" 2>&1; then
    grep -v '^--   export ' "$build/dll_$mode.log" | sed 's/^-- /  /'
    say "PASS dll_$mode"
  else
    cat "$build/dll_$mode.log" 2>/dev/null
    say "FAIL dll_$mode"
    failures=$((failures + 1))
    notes+=("dll_$mode")
  fi
done

# 5. Wine: one headless prefix per run, one persistent wineserver for all programs.
export WINEPREFIX=$build/wineprefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export DISPLAY=  # headless: no X server, no window
rm -rf "$WINEPREFIX"
wineboot --init >/dev/null 2>&1
wineserver -w
wineserver -p 60 >/dev/null 2>&1 || true
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT
say "Wine prefix ready: $(wine --version 2>/dev/null) ($(elapsed))"

results=$build/wine-results
rm -rf "$results"
mkdir -p "$results"
export OCS_TEST_DATA=$root/tests
programs=$build/windows_test_programs.txt
have_native=0
[[ -d $native/tests ]] && have_native=1
while IFS=$'\t' read -r name exe; do
  [[ -n $name ]] || continue
  if [[ ! -f $exe ]]; then
    echo 99 >"$results/$name.wine.rc"  # not built: one failure
    continue
  fi
  # A report path relative to the working directory: GoogleTest on Windows does not take
  # /unix/paths for it.
  (cd "$results" && timeout "$per_test_timeout" wine "$exe" --gtest_output="json:$name.wine.json" \
     >"$results/$name.wine.log" 2>&1)
  echo $? >"$results/$name.wine.rc"
  rel=${exe#"$build"/}
  nexe=$native/${rel%.exe}
  if [[ $have_native == 1 && -x $nexe ]]; then
    (cd "$(dirname "$nexe")" && timeout "$per_test_timeout" "$nexe" \
       --gtest_output="json:$results/$name.native.json" >"$results/$name.native.log" 2>&1)
    echo $? >"$results/$name.native.rc"
  fi
done <"$programs"
say "test programs done ($(elapsed))"
if [[ -s $build/windows_test_excluded.txt ]]; then
  say "not built for Windows (Linux-only mechanism, see tests/windows/CMakeLists.txt):" \
      $(tr '\n' ' ' <"$build/windows_test_excluded.txt")
fi
if ! python3 "$root/tools/windows/gtest_summary.py" "$results"; then
  failures=$((failures + 1))
  notes+=("test programs under Wine (logs: $results)")
fi

# 6. the harness
harness=$build/tests/windows/sspi_harness.exe
if [[ -f $harness && -f $dll ]]; then
  timeout "$per_test_timeout" wine "$harness" "$dll" >"$build/harness.log" 2>&1
  hrc=$?
  sed 's/^/  | /' "$build/harness.log"
  case $hrc in
    0) say "PASS harness (LoadLibraryW + NTLM + CredSSP with delegation + Encrypt/DecryptMessage)" ;;
    77) say "INCOMPLETE harness: a package it needs is missing from the DLL"
        failures=$((failures + 1)); notes+=("harness incomplete") ;;
    *) say "FAIL harness (rc $hrc)"; failures=$((failures + 1)); notes+=("harness rc $hrc") ;;
  esac
else
  say "FAIL harness: not built"
  failures=$((failures + 1))
  notes+=("harness not built")
fi

say "done in $(elapsed)"
if [[ $failures -ne 0 ]]; then
  say "FAILED: ${notes[*]}"
  exit 1
fi
exit 0
