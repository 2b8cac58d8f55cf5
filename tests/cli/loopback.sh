#!/usr/bin/env bash
# loopback.sh CLI LIBRARY PACKAGE FRAMING CASE
# Runs `opencredssp server` and `opencredssp client` on loopback through LIBRARY and checks
# what both print and how both exit. Every process started here is killed on exit.
set -u
cli=$1 lib=$2 pkg=$3 framing=$4 case=$5
export OPENCREDSSP_LIBRARY=$lib
tmp=$(mktemp -d /tmp/ocs-cli-test.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out "$tmp"/*.err; do [[ -f $f ]] && { echo "--- $f"; cat "$f"; }; done; exit 1; }
expect_in() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2"; }
expect_not_in() { ! grep -qF -- "$2" "$1" || fail "$1 should not contain: $2"; }

listen=127.0.0.1:0
connect=127.0.0.1
[[ $case == ok6 ]] && { listen='[::1]:0'; connect='::1'; }

# start_server ARGS...: runs the server for one connection on a free port, sets $port.
start_server() {
  rm -f "$tmp/server.out" "$tmp/server.err"  # never read the previous server's port
  "$cli" server --package "$pkg" --framing "$framing" --listen "$listen" --once --timeout 20 "$@" \
    >"$tmp/server.out" 2>"$tmp/server.err" &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\) package=.*/\1/p' "$tmp/server.out" 2>/dev/null)
    [[ -n $port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "server exited before listening"
    sleep 0.1
  done
  fail "server did not print its port"
}
# wait_server: waits for the server's exit status into $server_rc.
wait_server() {
  for _ in $(seq 200); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$server_pid"; server_rc=$?; server_pid=
}
run_client() {
  "$cli" client --package "$pkg" --framing "$client_framing" --connect "$connect" --port "$port" \
    --timeout 20 "$@" >"$tmp/client.out" 2>"$tmp/client.err"
  client_rc=$?
}
client_framing=$framing
mech=NTLM

case $case in
  ok|ok6)
    start_server --show-credentials
    run_client --user alice --domain EXAMPLE --password Secret123
    wait_server
    [[ $client_rc == 0 ]] || fail "client exit $client_rc"
    [[ $server_rc == 0 ]] || fail "server exit $server_rc"
    expect_in "$tmp/server.out" "authenticated user=EXAMPLE\\alice package=$pkg mechanism=$mech"
    expect_in "$tmp/client.out" "authenticated to "
    if [[ $pkg == CREDSSP ]]; then
      expect_in "$tmp/server.out" "credssp=6"
      expect_in "$tmp/server.out" "delegated=password"
      expect_in "$tmp/server.out" "delegated credentials: domain=EXAMPLE user=alice password=Secret123"
    fi
    ;;
  denied)
    start_server
    run_client --user alice --domain EXAMPLE --password Wrong-Password
    wait_server
    [[ $client_rc == 1 ]] || fail "client exit $client_rc, want 1"
    [[ $server_rc == 1 ]] || fail "server exit $server_rc, want 1"
    expect_not_in "$tmp/server.out" "authenticated user="
    expect_not_in "$tmp/client.out" "authenticated to"
    # Both sides name the SEC_E status, say what it means and give a hint.
    grep -qE 'SEC_E_[A-Z_]+ \(0x8009[0-9A-F]{4}\): ' "$tmp/server.err" || fail "server: no SEC_E line"
    grep -qE 'SEC_E_[A-Z_]+ \(0x8009[0-9A-F]{4}\): ' "$tmp/client.err" || fail "client: no SEC_E line"
    expect_in "$tmp/server.err" "hint: "
    expect_in "$tmp/client.err" "hint: "
    ;;
  users)
    # Each store format of docs/users.md: WinPR SAM (alice) and DOMAIN:user:password (carol).
    for who in "users.sam alice Secret123" "users.txt carol Carol-Pass-42"; do
      set -- $who
      start_server --users "$OCS_TEST_DATA/cli/data/$1" --show-credentials
      run_client --user "$2" --domain EXAMPLE --password "$3"
      wait_server
      [[ $client_rc == 0 && $server_rc == 0 ]] || fail "$1: client $client_rc server $server_rc"
      expect_in "$tmp/server.out" "authenticated user=EXAMPLE\\$2 "
      [[ $pkg != CREDSSP ]] || expect_in "$tmp/server.out" "user=$2 password=$3"
    done
    # The demo account is not in those files.
    start_server --users "$OCS_TEST_DATA/cli/data/users.txt"
    run_client
    wait_server
    [[ $client_rc == 1 && $server_rc == 1 ]] || fail "demo account accepted with --users: client $client_rc server $server_rc"
    ;;
  cert)
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
      -days 2 -subj /CN=cli-test >/dev/null 2>&1 || fail "openssl req"
    fp=$(openssl x509 -in "$tmp/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
    start_server --cert "$tmp/cert.pem" --key "$tmp/key.pem"
    run_client
    wait_server
    [[ $client_rc == 0 && $server_rc == 0 ]] || fail "client $client_rc server $server_rc"
    expect_in "$tmp/server.out" "sha256=$fp"
    # A key that does not belong to the certificate is refused before listening.
    openssl genrsa -out "$tmp/other.pem" 2048 >/dev/null 2>&1
    "$cli" server --cert "$tmp/cert.pem" --key "$tmp/other.pem" --port 0 --once \
      >"$tmp/bad.out" 2>"$tmp/bad.err"
    rc=$?
    [[ $rc != 0 ]] || fail "mismatched key accepted"
    grep -qE 'SEC_E_[A-Z_]+ \(0x8009' "$tmp/bad.err" || fail "no SEC_E line for a bad key"
    ;;
  mismatch)
    # The server expects X.224 first; a client speaking bare TLS must fail on both sides, fast.
    client_framing=stream
    start_server
    SECONDS=0
    run_client
    wait_server
    [[ $client_rc != 0 ]] || fail "client succeeded"
    [[ $server_rc != 0 ]] || fail "server succeeded"
    (( SECONDS < 15 )) || fail "took $SECONDS s"
    expect_in "$tmp/server.err" "framing"
    expect_in "$tmp/client.err" "hint: "
    ;;
  demo)
    # No account options on either side: the embedded demo account.
    start_server --show-credentials
    "$cli" client --port "$port" --trace >"$tmp/client.out" 2>"$tmp/client.err"
    client_rc=$?
    wait_server
    [[ $client_rc == 0 && $server_rc == 0 ]] || fail "client $client_rc server $server_rc"
    expect_in "$tmp/server.out" "authenticated user=EXAMPLE\\alice package=CREDSSP mechanism=NTLM"
    expect_in "$tmp/server.out" "user=alice password=Secret123"
    expect_in "$tmp/client.out" "client -> "
    expect_in "$tmp/client.out" "TLS ClientHello"
    ;;
  pin)
    # --server-cert-sha256: the right fingerprint authenticates; any other one stops the client
    # right after the TLS handshake, before a credential leaves.
    start_server --show-credentials
    fp=$(sed -n 's/.*certificate: .* sha256=\([0-9A-F:]*\).*/\1/p' "$tmp/server.out")
    for _ in $(seq 100); do [[ -n $fp ]] && break; sleep 0.1
      fp=$(sed -n 's/.*certificate: .* sha256=\([0-9A-F:]*\).*/\1/p' "$tmp/server.out"); done
    [[ -n $fp ]] || fail "server printed no fingerprint"
    run_client --server-cert-sha256 "$fp"
    wait_server
    [[ $client_rc == 0 && $server_rc == 0 ]] || fail "right pin: client $client_rc server $server_rc"
    start_server --show-credentials
    wrong=$(printf '%s' "$fp" | tr '0123456789ABCDEF' '123456789ABCDEF0')
    run_client --server-cert-sha256 "$wrong"
    wait_server
    [[ $client_rc == 1 ]] || fail "wrong pin: client exit $client_rc"
    expect_in "$tmp/client.err" "nothing was sent"
    expect_not_in "$tmp/server.out" "delegated credentials:"
    [[ $server_rc == 1 ]] || fail "wrong pin: server exit $server_rc"
    ;;
  trickle)
    # Tokens arrive in 1-3 byte fragments through relay.py: rdp/stream readers must hand the
    # package what arrived and call again on SEC_E_INCOMPLETE_MESSAGE.
    start_server --show-credentials
    python3 "$(dirname "$0")/relay.py" "$port" trickle >"$tmp/relay.out" 2>"$tmp/relay.err" &
    relay_pid=$!
    for _ in $(seq 50); do [[ -s $tmp/relay.out ]] && break; sleep 0.1; done
    relay_port=$(head -n1 "$tmp/relay.out")
    [[ -n $relay_port ]] || fail "relay did not start"
    "$cli" client --package "$pkg" --framing "$framing" --port "$relay_port" --timeout 30 \
      >"$tmp/client.out" 2>"$tmp/client.err"
    client_rc=$?
    wait_server
    wait "$relay_pid"
    [[ $client_rc == 0 && $server_rc == 0 ]] || fail "client $client_rc server $server_rc"
    expect_in "$tmp/server.out" "authenticated user=EXAMPLE\\alice package=$pkg"
    [[ $pkg != CREDSSP ]] || expect_in "$tmp/server.out" "user=alice password=Secret123"
    pieces=$(sed -n 's/relay: forwarded \([0-9]*\) pieces/\1/p' "$tmp/relay.err")
    (( pieces > 100 )) || fail "the relay forwarded only $pieces pieces: not fragmented"
    ;;
  *) fail "unknown case $case" ;;
esac
echo "PASS: $pkg $framing $case"
