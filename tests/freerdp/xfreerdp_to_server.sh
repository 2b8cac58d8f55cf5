#!/usr/bin/env bash
# xfreerdp_to_server.sh CLI LIBRARY
# Acceptance (1): `xfreerdp /sec:nla +auth-only` against `opencredssp server --framing rdp`.
# The server must report the credentials xfreerdp delegated; with a wrong password xfreerdp must
# report a logon failure (the server's TSRequest.errorCode STATUS_LOGON_FAILURE).
. "$(dirname "$0")/common.sh"
cli=$1
export OPENCREDSSP_LIBRARY=$2
start_xvfb

# start_server ARGS: one opencredssp server for one connection; sets $port.
start_server() {
  "$cli" server --framing rdp --port 0 --once --timeout 30 --show-credentials "$@" \
    >"$T/server.out" 2>"$T/server.err" &
  SERVER_PID=$!
  PIDS+=($SERVER_PID)
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/server.out")
    [[ -n $port ]] && return 0
    sleep 0.1
  done
  echo "opencredssp server did not start"; dump "$T/server.out" "$T/server.err"; exit 1
}
wait_server() {
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID"; SERVER_RC=$?
}

# Right password, the demo account (the server's default).
start_server
run_xfreerdp "$port" alice Secret123 EXAMPLE "$T/xf-ok.log"
wait_server
if [[ $XF_RC == 0 ]]; then pass "xfreerdp authenticated (rc 0)"
else fail "xfreerdp rc $XF_RC, want 0"; dump "$T/xf-ok.log" "$T/server.out" "$T/server.err"; fi
if grep -qF 'delegated credentials: domain=EXAMPLE user=alice password=Secret123' "$T/server.out" &&
   grep -qF 'authenticated user=EXAMPLE\alice package=CREDSSP' "$T/server.out"; then
  pass "server reports the delegated credentials: $(grep -F 'authenticated user=' "$T/server.out")"
else fail "server did not report the delegated credentials"; dump "$T/server.out" "$T/server.err"; fi

# A user from a --users file, in the WinPR SAM format FreeRDP's own tools write.
make_sam bob 'B0b-Passw0rd!' CONTOSO "$T/sam"
start_server --users "$T/sam"
run_xfreerdp "$port" bob 'B0b-Passw0rd!' CONTOSO "$T/xf-bob.log"
wait_server
if [[ $XF_RC == 0 ]] && grep -qF 'delegated credentials: domain=CONTOSO user=bob password=B0b-Passw0rd!' "$T/server.out"; then
  pass "--users SAM file: bob authenticated and delegated"
else fail "--users SAM file: xfreerdp rc $XF_RC"; dump "$T/xf-bob.log" "$T/server.out" "$T/server.err"; fi

# Wrong password: xfreerdp reports a logon failure, the server a SEC_E status, both non-zero.
start_server
run_xfreerdp "$port" alice Wrong-Password EXAMPLE "$T/xf-bad.log"
wait_server
if [[ $XF_RC != 0 ]] && grep -q 'LOGON_FAILURE' "$T/xf-bad.log"; then
  pass "wrong password: xfreerdp rc $XF_RC, $(grep -o '[A-Z_]*LOGON_FAILURE[A-Z_]*' "$T/xf-bad.log" | head -n1)"
else fail "wrong password: xfreerdp rc $XF_RC without a logon failure"; dump "$T/xf-bad.log" "$T/server.err"; fi
if [[ $SERVER_RC != 0 ]] && grep -qE 'SEC_E_[A-Z_]+ \(0x8009' "$T/server.err" &&
   ! grep -q 'authenticated user=' "$T/server.out"; then
  pass "wrong password: server exit $SERVER_RC, $(grep -oE 'SEC_E_[A-Z_]+' "$T/server.err" | head -n1)"
else fail "wrong password: server exit $SERVER_RC"; dump "$T/server.out" "$T/server.err"; fi
finish
