#!/usr/bin/env bash
# demo.sh - install what is missing, build, and show a whole CredSSP handshake with credential
# delegation on loopback: `opencredssp server` and `opencredssp client` (docs/cli.md), both
# driving libopencredssp through its SSPI table, with the embedded demo account
# EXAMPLE\alice / Secret123. Then the same with a wrong password.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
gen=()
if command -v ninja >/dev/null; then gen=(-G Ninja); fi
build=${OCS_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${OCS_JOBS:-2}" --target opencredssp opencredssp_cli ocs-list-packages

cli="$build/tools/opencredssp/opencredssp"
export OPENCREDSSP_LIBRARY="$build/src/abi/libopencredssp.so"
tmp=$(mktemp -d /tmp/opencredssp-demo.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo
echo "== The packages of libopencredssp, as an SSPI consumer (FreeRDP, ...) lists them:"
"$build/ocs-list-packages"

# start_server ARGS: one server for one connection on a free loopback port; its lines are shown
# with "server |" in front, as they come. Sets $port.
start_server() {
  rm -f "$tmp/server.fifo" "$tmp/port"
  mkfifo "$tmp/server.fifo"
  "$cli" server --port 0 --once "$@" >"$tmp/server.fifo" 2>&1 &
  server_pid=$!
  while IFS= read -r line; do
    printf '  server | %s\n' "$line"
    if [[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+) ]]; then
      echo "${BASH_REMATCH[1]}" >"$tmp/port"
    fi
  done <"$tmp/server.fifo" &
  for _ in $(seq 100); do [[ -s $tmp/port ]] && break; sleep 0.1; done
  [[ -s $tmp/port ]] || { echo "the server did not start"; exit 1; }
  port=$(cat "$tmp/port")
}
run_client() {
  local rc=0
  "$cli" client --port "$port" "$@" 2>&1 | sed -u 's/^/  client | /' || rc=$?
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  wait  # the reader of the server's lines
  return $rc
}

cat <<'TEXT'

== CredSSP on loopback: opencredssp server --show-credentials, then opencredssp client --trace
   RDP-style (--framing rdp): X.224 Connection Request/Confirm selecting PROTOCOL_HYBRID, then:
     TLS handshake (server certificate: a fresh self-signed RSA-2048 one)
     TSRequest negoTokens: SPNEGO/NTLM NEGOTIATE -> CHALLENGE -> AUTHENTICATE (+ clientNonce)
     pubKeyAuth both ways: each side proves it knows the NTLM session key AND saw the same TLS
       public key (SHA-256 binding of MS-CSSP v5/v6) - no man in the middle
     authInfo: the client's password, encrypted with the NTLM session key, inside TLS
   The client traces every token it sends (->) and receives (<-); after the TLS handshake each
   TSRequest is one encrypted TLS record, so the trace shows sizes only.

TEXT
start_server --show-credentials
run_client --trace

cat <<'TEXT'

== The same client with a wrong password: both sides fail, and say why
TEXT
start_server
run_client --user alice --domain EXAMPLE --password not-the-password || true
echo
echo "Try it yourself: $cli server --help"
