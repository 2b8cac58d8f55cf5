#!/usr/bin/env bash
# build-openssl-mingw.sh - static OpenSSL 3 libraries for x86_64-w64-mingw32, built from Debian's
# openssl source package, kept in a cache directory outside any build tree and reused when present.
#
# Usage: tools/windows/build-openssl-mingw.sh        prints the install prefix on its last line
# Env:   OCS_OPENSSL_MINGW_CACHE  cache root (default /var/cache/opencredssp)
#        OCS_OPENSSL_MINGW_PREFIX use exactly this prefix (skips the version lookup)
#        OCS_JOBS                 make -j (default 2)
#
# Configure options and why:
#   mingw64                 the 64-bit mingw target
#   no-shared               static libcrypto.a/libssl.a: opencredssp.dll carries OpenSSL inside,
#                           so it imports only Windows system DLLs
#   no-module               the legacy provider (MD4, RC4: NTLM) is linked into libcrypto and
#                           registered as a built-in provider, so OSSL_PROVIDER_load(ctx, "legacy")
#                           works without a legacy.dll on disk (OpenSSL: STATIC_LEGACY)
#   no-tests                nothing we do not need
# A cold build takes about 3 minutes on 2 shared cores (make build_libs; measured 2m52s).
set -euo pipefail

triple=x86_64-w64-mingw32
jobs=${OCS_JOBS:-2}
cache_root=${OCS_OPENSSL_MINGW_CACHE:-/var/cache/opencredssp}
log() { echo "build-openssl-mingw: $*" >&2; }
# Not root and no writable /var/cache: fall back to the user's cache directory.
if ! mkdir -p "$cache_root" 2>/dev/null || [[ ! -w $cache_root ]]; then
  cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/opencredssp
  mkdir -p "$cache_root"
fi

command -v ${triple}-gcc >/dev/null || { log "${triple}-gcc missing (apt-get install g++-mingw-w64-x86-64-posix)"; exit 1; }

# Debian's deb-src entries: apt-get source needs them.  Add our own sources file if the system
# has none (the binary entries stay untouched).
ensure_deb_src() {
  if apt-cache showsrc openssl 2>/dev/null | grep -q '^Version:'; then return 0; fi
  local f=/etc/apt/sources.list.d/opencredssp-deb-src.sources
  log "enabling deb-src in $f"
  cat >"$f" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -o Dir::Etc::sourcelist="$f" -o Dir::Etc::sourceparts=- \
    -o APT::Get::List-Cleanup=0 >&2
}

if [[ -n ${OCS_OPENSSL_MINGW_PREFIX:-} && -f ${OCS_OPENSSL_MINGW_PREFIX}/.ocs-complete ]]; then
  echo "${OCS_OPENSSL_MINGW_PREFIX}"; exit 0
fi

# Reuse any complete cache entry when the network/deb-src is not needed: the newest one wins.
if [[ -z ${OCS_OPENSSL_MINGW_PREFIX:-} && -z ${OCS_OPENSSL_MINGW_REBUILD:-} ]]; then
  cached=$(ls -d "${cache_root}"/openssl-mingw-*/.ocs-complete 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -n $cached ]]; then
    log "using cached $(dirname "$cached")"
    dirname "$cached"; exit 0
  fi
fi

ensure_deb_src
# The Sources index can name a version whose files the mirror no longer has (seen on
# deb.debian.org's security pool): try the versions newest first and keep the first that fetches.
versions=$(apt-cache showsrc openssl | sed -n 's/^Version: //p' | sort -Vr | uniq)
[[ -n $versions ]] || { log "no openssl source package found"; exit 1; }

mkdir -p "${cache_root}"
work=$(mktemp -d "${cache_root}/src.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
version=
for v in $versions; do
  candidate=${OCS_OPENSSL_MINGW_PREFIX:-${cache_root}/openssl-mingw-${v//\~/_}}
  if [[ -f $candidate/.ocs-complete ]]; then echo "$candidate"; exit 0; fi
  log "fetching openssl ${v} source into $work"
  if (cd "$work" && apt-get source -qq "openssl=${v}" >&2); then version=$v; break; fi
  rm -rf "${work:?}"/*
done
[[ -n $version ]] || { log "apt-get source openssl failed for: $versions"; exit 1; }
prefix=${OCS_OPENSSL_MINGW_PREFIX:-${cache_root}/openssl-mingw-${version//\~/_}}
src=$(find "$work" -maxdepth 1 -mindepth 1 -type d -name 'openssl-*' | head -n1)
[[ -d $src ]] || { log "apt-get source produced no directory"; exit 1; }

log "configuring (mingw64 no-shared no-module no-tests) -> $prefix"
rm -rf "$prefix"
(cd "$src" && ./Configure mingw64 no-shared no-module no-tests \
   --cross-compile-prefix=${triple}- --prefix="$prefix" --libdir=lib \
   --openssldir="$prefix/ssl" >&2)
log "make build_libs (-j$jobs)"
(cd "$src" && make -s -j"$jobs" build_libs >&2 && make -s install_dev >&2)

# The built-in legacy provider must really be inside libcrypto.a.
# (grep without -q: with pipefail, -q would close the pipe early and fail the pipeline on nm's
# SIGPIPE.)
if ! ${triple}-nm "$prefix/lib/libcrypto.a" 2>/dev/null | grep ' T ossl_legacy_provider_init' >/dev/null; then
  log "libcrypto.a has no built-in legacy provider"; exit 1
fi
echo "$version" >"$prefix/.ocs-complete"
log "done in $(( $(date +%s) - start )) s"
echo "$prefix"
