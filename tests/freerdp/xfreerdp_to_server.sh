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
  rm -f "$T/server.out" "$T/server.err"  # never read the previous server's port
  "$cli" server --framing rdp --port 0 --once --timeout 30 --show-credentials "$@" \
    >"$T/server.out" 2>"$T/server.err" &
  SERVER_PID=$!
  PIDS+=($SERVER_PID)
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/server.out" 2>/dev/null)
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

# nla_ok LOG WHAT: xfreerdp finished NLA and went on with RDP. opencredssp server only
# authenticates: after CredSSP it reads the client's MCS Connect Initial (sent inside TLS once
# FreeRDP considers NLA done) and closes, so xfreerdp +auth-only, which waits for a fully
# active RDP session, ends with ERRCONNECT_CONNECT_TRANSPORT_FAILED (rc 147) - never with an
# authentication error. A logon failure is rc 134 with STATUS_LOGON_FAILURE (below).
nla_ok() {
  local log=$1 what=$2
  if grep -q 'MCS Connect Initial' "$T/server.out" && ! grep -qE 'LOGON_FAILURE|AUTHENTICATION_FAILED|ACCESS_DENIED' "$log"; then
    pass "$what: xfreerdp completed NLA and sent MCS Connect Initial (xfreerdp rc $XF_RC)"
  else fail "$what: xfreerdp did not get past NLA (rc $XF_RC)"; dump "$log" "$T/server.out" "$T/server.err"; fi
}

# Right password, the demo account (the server's default).
start_server
run_xfreerdp "$port" alice Secret123 EXAMPLE "$T/xf-ok.log"
wait_server
nla_ok "$T/xf-ok.log" "demo account"
if [[ $SERVER_RC == 0 ]] &&
   grep -qF 'delegated credentials: domain=EXAMPLE user=alice password=Secret123' "$T/server.out" &&
   grep -qF 'authenticated user=EXAMPLE\alice package=CREDSSP mechanism=NTLM' "$T/server.out"; then
  pass "server reports the delegated credentials: $(grep -F 'authenticated user=' "$T/server.out")"
else fail "server did not report the delegated credentials (exit $SERVER_RC)"; dump "$T/server.out" "$T/server.err"; fi

# A user from a --users file, in the WinPR SAM format FreeRDP's own tools write.
make_sam bob 'B0b-Passw0rd!' CONTOSO "$T/sam"
start_server --users "$T/sam"
run_xfreerdp "$port" bob 'B0b-Passw0rd!' CONTOSO "$T/xf-bob.log"
wait_server
nla_ok "$T/xf-bob.log" "--users SAM file"
if [[ $SERVER_RC == 0 ]] && grep -qF 'delegated credentials: domain=CONTOSO user=bob password=B0b-Passw0rd!' "$T/server.out"; then
  pass "--users SAM file: server reports bob's delegated credentials"
else fail "--users SAM file: server exit $SERVER_RC"; dump "$T/server.out" "$T/server.err"; fi

# IPv6: the same over [::1].
rm -f "$T/server.out" "$T/server.err"
"$cli" server --framing rdp --listen '[::1]:0' --once --timeout 30 --show-credentials \
  >"$T/server.out" 2>"$T/server.err" &
SERVER_PID=$!
PIDS+=($SERVER_PID)
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on \[::1\]:\([0-9]*\) .*/\1/p' "$T/server.out" 2>/dev/null)
  [[ -n $port ]] && break
  sleep 0.1
done
HOME=$T/xhome timeout 60 xfreerdp /v:[::1] /port:"$port" /u:alice /p:Secret123 /d:EXAMPLE \
  /sec:nla /cert:ignore +auth-only >"$T/xf-v6.log" 2>&1
XF_RC=$?
wait_server
nla_ok "$T/xf-v6.log" "IPv6 [::1]"

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
