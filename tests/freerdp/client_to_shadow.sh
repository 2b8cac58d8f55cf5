#!/usr/bin/env bash
# client_to_shadow.sh CLI LIBRARY
# Acceptance (2): `opencredssp client --framing rdp` against `freerdp-shadow-cli /sec:nla
# /sam-file:...` (WinPR's CredSSP server): authenticates; a wrong password is refused.
. "$(dirname "$0")/common.sh"
cli=$1
export OPENCREDSSP_LIBRARY=$2
start_xvfb
port=$(free_port)
make_sam alice Secret123 EXAMPLE "$T/sam"
start_shadow "$port" "$T/sam" "$T/shadow.log" || exit 1

run_client() {
  timeout 60 "$cli" client --framing rdp --port "$port" --timeout 30 "$@" \
    >"$T/client.out" 2>"$T/client.err"
  CLIENT_RC=$?
}

# FreeRDP 2's server speaks raw NTLM inside CredSSP (peers.md). The client starts with SPNEGO,
# as Windows does, sees the server refuse the token itself (not the password), and retries
# once with raw NTLM.
run_client --user alice --domain EXAMPLE --password Secret123
if [[ $CLIENT_RC == 0 ]] && grep -q '^authenticated to 127.0.0.1:.* inner=raw-ntlm' "$T/client.out" &&
   grep -q 'retrying with --inner ntlm' "$T/client.out"; then
  pass "client -> shadow: $(grep '^authenticated to' "$T/client.out") (after the SPNEGO retry)"
else fail "client -> shadow: rc $CLIENT_RC"; dump "$T/client.out" "$T/client.err" "$T/shadow.log"; fi

run_client --user alice --domain EXAMPLE --password Secret123 --inner ntlm
if [[ $CLIENT_RC == 0 ]] && ! grep -q 'retrying' "$T/client.out"; then
  pass "client --inner ntlm -> shadow: authenticated at once"
else fail "client --inner ntlm -> shadow: rc $CLIENT_RC"; dump "$T/client.out" "$T/client.err"; fi

run_client --user alice --domain EXAMPLE --password Wrong-Password
if [[ $CLIENT_RC == 1 ]] && ! grep -q '^authenticated' "$T/client.out" &&
   grep -qE 'SEC_E_[A-Z_]+ \(0x8009' "$T/client.err" && grep -q 'hint:' "$T/client.err"; then
  pass "client -> shadow, wrong password: refused: $(head -n1 "$T/client.err")"
else fail "client -> shadow, wrong password: rc $CLIENT_RC"; dump "$T/client.out" "$T/client.err"; fi

# With --inner spnego forced there is no retry: the client fails and says what to do.
run_client --user alice --domain EXAMPLE --password Secret123 --inner spnego
if [[ $CLIENT_RC == 1 ]] && grep -q -- 'use --inner ntlm' "$T/client.err"; then
  pass "client --inner spnego -> shadow: refused, and the hint names --inner ntlm"
else fail "client --inner spnego -> shadow: rc $CLIENT_RC"; dump "$T/client.out" "$T/client.err"; fi

# The shadow server must have seen the wrong password as a failed logon, not a protocol error.
if grep -q 'MIC verification failed\|SEC_E_MESSAGE_ALTERED\|SEC_E_LOGON_DENIED' "$T/shadow.log"; then
  pass "shadow logged the wrong password as an authentication failure"
else fail "shadow did not log an authentication failure"; dump "$T/shadow.log"; fi
finish
