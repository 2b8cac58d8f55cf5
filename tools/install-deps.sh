#!/usr/bin/env bash
# install-deps.sh - install the union of tools/deps.d/*.txt (Debian package names, one per
# line, '#' comments) with apt-get, but only when something is missing; `apt-get update`
# runs only then. Uses sudo when not root and sudo exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t wanted < <(cat "$root"/tools/deps.d/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' |
                      grep -v '^$' | sort -u)
missing=()
for p in "${wanted[@]}"; do
  # dpkg-query prints "install ok installed" for an installed package (any architecture).
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} missing: ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
