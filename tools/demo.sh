#!/usr/bin/env bash
# demo.sh - install what is missing, build, and show what exists: the packages of
# libopencredssp listed through InitSecurityInterfaceW / EnumerateSecurityPackagesW, as an
# SSPI consumer such as FreeRDP sees them. (Interim: becomes the CredSSP demo once the
# package is complete.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
gen=()
if command -v ninja >/dev/null; then gen=(-G Ninja); fi
cmake -S "$root" -B "$root/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j "${OCS_JOBS:-2}" --target opencredssp ocs-list-packages
echo
"$root/build/ocs-list-packages"
