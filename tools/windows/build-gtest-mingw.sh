#!/usr/bin/env bash
# build-gtest-mingw.sh - GoogleTest/GoogleMock static libraries for x86_64-w64-mingw32, built from
# Debian's /usr/src/googletest (package googletest) into a cache directory outside any build tree
# and reused when present.  Prints the install prefix on its last line.
# Env: OCS_OPENSSL_MINGW_CACHE (cache root, default /var/cache/opencredssp), OCS_JOBS (default 2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache_root=${OCS_OPENSSL_MINGW_CACHE:-/var/cache/opencredssp}
jobs=${OCS_JOBS:-2}
log() { echo "build-gtest-mingw: $*" >&2; }
# Not root and no writable /var/cache: fall back to the user's cache directory.
if ! mkdir -p "$cache_root" 2>/dev/null || [[ ! -w $cache_root ]]; then
  cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/opencredssp
  mkdir -p "$cache_root"
fi

[[ -f /usr/src/googletest/CMakeLists.txt ]] || { log "/usr/src/googletest missing (apt-get install googletest)"; exit 1; }
version=$(dpkg-query -W -f='${Version}' googletest 2>/dev/null || echo unknown)
prefix=${cache_root}/googletest-mingw-${version//\~/_}
if [[ -f $prefix/.ocs-complete ]]; then echo "$prefix"; exit 0; fi

mkdir -p "$cache_root"
work=$(mktemp -d "${cache_root}/gtest-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
log "building googletest ${version} -> $prefix"
rm -rf "$prefix"
cmake -S /usr/src/googletest -B "$work" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchains/x86_64-w64-mingw32.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON >&2
cmake --build "$work" -j "$jobs" >&2
cmake --install "$work" >&2
echo "$version" >"$prefix/.ocs-complete"
log "done in $(( $(date +%s) - start )) s"
echo "$prefix"
