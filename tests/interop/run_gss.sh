#!/usr/bin/env bash
# run_gss.sh SCENARIO - one interop run against gss-ntlmssp 1.2 through MIT krb5's gss-sample
# programs (gss-client / gss-server), inside a private network namespace.
#
# gss-server binds 0.0.0.0, so every run happens in its own `unshare -n` namespace where only
# `lo` exists (brought up here); both sides talk over 127.0.0.1 only. Each test having its own
# namespace, the fixed port cannot collide with anything, even under `ctest -j`.
#
# Scenarios (MECH = raw | spnego):
#   peer-MECH                 gss-client -> gss-server (the peers themselves work here)
#   gssclient-ours-MECH       gss-client -> gss_peer server over our provider
#   ours-gssserver-MECH       gss_peer client over our provider -> gss-server
#   gssclient-ours-MECH-badpw / ours-gssserver-MECH-badpw: wrong password, must be refused
#   gssclient-winpr-raw / winpr-gssserver-raw: gss_peer over WinPR 2.11 (validates gss_peer's
#       framing against the real programs; WinPR has no MakeSignature/VerifySignature, so
#       these runs skip the MIC leg with gss-client -nm / gss_peer --no-mic)
#
# Environment: OCS_GSS_PEER (gss_peer binary), OCS_INTEROP_OURLIB (libopencredssp.so),
# OCS_INTEROP_WINPR (default libwinpr2.so.2).
# Exit: 0 pass, 1 fail, 77 skip (a peer is not installed: see tools/deps.d/interop.txt).
set -u

SCENARIO=${1:?usage: run_gss.sh SCENARIO}
PORT=44444
USER_NAME=alice
DOMAIN=EXAMPLE
PASSWORD=Secret123
BAD_PASSWORD=Wrong-Password-1
NT_HASH=63647965f13544c6551d5fdb7ffd13e0
NTLM_OID='{1 3 6 1 4 1 311 2 2 10}'
WINPR=${OCS_INTEROP_WINPR:-libwinpr2.so.2}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# ---- peers present? (checked outside the namespace so the message is plain)
if [[ -z ${OCS_IN_NETNS:-} ]]; then
  command -v gss-server >/dev/null && command -v gss-client >/dev/null ||
    skip "MIT gss-server/gss-client not installed (Debian krb5-gss-samples)"
  compgen -G '/usr/lib/*/gssntlmssp/gssntlmssp.so' >/dev/null ||
    skip "gss-ntlmssp not installed (Debian gss-ntlmssp)"
  command -v unshare >/dev/null || skip "unshare not installed (Debian util-linux)"
  command -v ip >/dev/null || skip "ip not installed (Debian iproute2)"
  case $SCENARIO in
    *winpr*)
      [[ -e $WINPR ]] || ldconfig -p | grep -q "${WINPR##*/}" ||
        skip "WinPR 2 not installed (Debian libwinpr2-dev)";;
  esac
  # A private network namespace needs CAP_SYS_ADMIN; CI and the dev machines run as root.
  unshare -n true 2>/dev/null ||
    fail "cannot create a network namespace (unshare -n): run as root"
  exec unshare -n env OCS_IN_NETNS=1 bash "$0" "$@"
fi

ip link set lo up || fail "ip link set lo up"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ocs-gss-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
printf '%s:%s:%s\n' "$DOMAIN" "$USER_NAME" "$PASSWORD" > "$WORK/ntlm_users"
printf '%s:%s::%s:::\n' "$USER_NAME" "$DOMAIN" "$NT_HASH" > "$WORK/SAM"

# gss-ntlmssp's server identity and user database (its documented environment variables).
export NTLM_USER_FILE=$WORK/ntlm_users NETBIOS_COMPUTER_NAME=PEERSRV NETBIOS_DOMAIN_NAME=$DOMAIN
export GSSNTLMSSP_DEBUG=$WORK/gssntlmssp.log
# Our server's user database (docs/users.md); WinPR's gets the SAM file through attribute 1004.
export OPENCREDSSP_USERS=sam:$WORK/SAM

wait_listen() {  # up to 15 s: an ASan build under load starts slowly
  for _ in $(seq 1 300); do
    ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  return 1
}

SERVER_PID=
start_server() {  # command...
  "$@" > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_listen || { cat "$WORK/server.log"; fail "server did not listen on 127.0.0.1:$PORT"; }
}
finish_server() {
  local i
  for i in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID"
  SERVER_RC=$?
}
show() {
  echo "==== client (rc=$CLIENT_RC)"; cat "$WORK/client.log"
  echo "==== server (rc=$SERVER_RC)"; cat "$WORK/server.log"
  if [[ -s $WORK/gssntlmssp.log ]]; then
    echo "==== gss-ntlmssp errors"; grep -v ALLOK "$WORK/gssntlmssp.log" | tail -20
  fi
}

gss_server() { start_server timeout 30 gss-server -port "$PORT" -once -verbose host@localhost; }
gss_client() {  # extra-args password
  local spnego=()
  [[ $MECH == spnego ]] && spnego=(-spnego)
  # -q: without it gss-client fails after a good context (gss_inquire_names_for_mech is not
  # supported by gss-ntlmssp); -mech needs the {...} form.
  # -mcount 3: three wrapped messages, each answered by a MIC, so both RC4 streams and the
  # sequence numbers advance past the first message.
  timeout 30 gss-client -q "${spnego[@]}" $1 -mcount 3 -port "$PORT" -mech "$NTLM_OID" \
    -user "$DOMAIN\\$USER_NAME" -pass "$2" 127.0.0.1 host@localhost "hello from gss-client" \
    > "$WORK/client.log" 2>&1
  CLIENT_RC=$?
}
peer_server() {  # lib
  local extra=()
  [[ -n ${2:-} ]] && extra=(--sam "$WORK/SAM")
  start_server timeout 30 "$OCS_GSS_PEER" server --lib "$1" --package "$PACKAGE" --port "$PORT" \
    "${extra[@]}"
}
peer_client() {  # lib password extra...
  local lib=$1 pw=$2
  shift 2
  timeout 30 "$OCS_GSS_PEER" client --lib "$lib" --package "$PACKAGE" --port "$PORT" \
    --user "$DOMAIN\\$USER_NAME" --pass "$pw" --target host/localhost \
    --msg "hello from gss_peer" --count 3 "$@" > "$WORK/client.log" 2>&1
  CLIENT_RC=$?
}
need_ours() {
  [[ -n ${OCS_INTEROP_OURLIB:-} && -e $OCS_INTEROP_OURLIB ]] ||
    fail "our provider library is missing: OCS_INTEROP_OURLIB='${OCS_INTEROP_OURLIB:-}'"
}

MECH=raw
[[ $SCENARIO == *spnego* ]] && MECH=spnego
PACKAGE=NTLM
[[ $MECH == spnego ]] && PACKAGE=Negotiate
CLIENT_RC=- SERVER_RC=-

case $SCENARIO in
  peer-raw|peer-spnego)
    gss_server; gss_client "" "$PASSWORD"; finish_server; show
    [[ $CLIENT_RC == 0 ]] || fail "gss-client failed against gss-server"
    grep -q 'Accepted connection: "EXAMPLE\\alice"' "$WORK/server.log" || fail "no accepted connection"
    [[ $(grep -c 'Received message: "hello from gss-client"' "$WORK/server.log") == 3 ]] ||
      fail "gss-server did not receive the 3 messages";;

  gssclient-ours-raw|gssclient-ours-spnego)
    need_ours; peer_server "$OCS_INTEROP_OURLIB"; gss_client "" "$PASSWORD"; finish_server; show
    [[ $CLIENT_RC == 0 ]] || fail "gss-client (gss-ntlmssp) did not complete against our server"
    [[ $SERVER_RC == 0 ]] || fail "our server failed"
    [[ $(grep -c 'Received message: "hello from gss-client"' "$WORK/server.log") == 3 ]] ||
      fail "our server did not unseal the 3 messages";;

  ours-gssserver-raw|ours-gssserver-spnego)
    need_ours; gss_server; peer_client "$OCS_INTEROP_OURLIB" "$PASSWORD"; finish_server; show
    grep -q 'Accepted connection: "EXAMPLE\\alice"' "$WORK/server.log" ||
      fail "gss-server (gss-ntlmssp) did not accept our client"
    [[ $(grep -c 'Received message: "hello from gss_peer #' "$WORK/server.log") == 3 ]] ||
      fail "gss-server did not unwrap our 3 sealed messages"
    [[ $(grep -c 'Signature verified (message' "$WORK/client.log") == 3 ]] ||
      fail "our client did not verify gss-server's 3 MICs"
    [[ $CLIENT_RC == 0 ]] || fail "our client failed";;

  gssclient-ours-raw-badpw|gssclient-ours-spnego-badpw)
    need_ours; peer_server "$OCS_INTEROP_OURLIB"; gss_client "" "$BAD_PASSWORD"; finish_server; show
    [[ $CLIENT_RC != 0 ]] || fail "gss-client succeeded with a wrong password"
    grep -q 'Accepted connection' "$WORK/server.log" && fail "our server accepted a wrong password"
    grep -q 'REFUSED: accepting context: SEC_E_LOGON_DENIED' "$WORK/server.log" ||
      fail "our server did not refuse with SEC_E_LOGON_DENIED";;

  ours-gssserver-raw-badpw|ours-gssserver-spnego-badpw)
    need_ours; gss_server; peer_client "$OCS_INTEROP_OURLIB" "$BAD_PASSWORD"; finish_server; show
    grep -q 'Accepted connection' "$WORK/server.log" && fail "gss-server accepted a wrong password"
    grep -q 'GSS-API error accepting context' "$WORK/server.log" ||
      fail "gss-server did not report the refused context"
    [[ $CLIENT_RC != 0 ]] || fail "our client reported success with a wrong password";;

  gssclient-winpr-raw)
    peer_server "$WINPR" sam; gss_client "-nm" "$PASSWORD"; finish_server; show
    [[ $CLIENT_RC == 0 && $SERVER_RC == 0 ]] || fail "gss-client -> gss_peer(WinPR) failed"
    grep -q 'Received message: "hello from gss-client"' "$WORK/server.log" || fail "message not unsealed";;

  winpr-gssserver-raw)
    gss_server; peer_client "$WINPR" "$PASSWORD" --no-mic; finish_server; show
    [[ $(grep -c 'Received message: "hello from gss_peer #' "$WORK/server.log") == 3 ]] ||
      fail "gss-server did not unwrap gss_peer(WinPR)'s 3 messages"
    [[ $CLIENT_RC == 0 ]] || fail "gss_peer(WinPR) client failed";;

  *) fail "unknown scenario $SCENARIO";;
esac
echo "PASS: $SCENARIO"
exit 0
