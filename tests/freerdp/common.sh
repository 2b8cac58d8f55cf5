# common.sh - shared helpers of the FreeRDP interop tests (sourced, not run).
# Every process started through these helpers is recorded and killed by `cleanup` (EXIT trap);
# files live in one temporary directory removed at the end. Ports are free loopback ports.
set -u
SKIP=77

require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed (tools/deps.d/freerdp.txt)"; exit $SKIP; }
  done
}
require Xvfb xfreerdp freerdp-shadow-cli winpr-hash python3 ss

T=$(mktemp -d /tmp/ocs-freerdp.XXXXXX)
mkdir -p "$T/home" "$T/xhome"
PIDS=()
CLEANUP_HOOKS=()
cleanup() {
  local hook pid
  for hook in "${CLEANUP_HOOKS[@]}"; do $hook; done
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null; fi
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  [[ -n ${KEEP_T:-} ]] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

FAILS=0
PASSES=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "PASS: $*"; PASSES=$((PASSES + 1)); }
dump() { for f in "$@"; do [[ -f $f ]] && { echo "----- $f"; tail -n 40 "$f"; }; done; }
finish() {
  echo "freerdp interop: $PASSES passed, $FAILS failed"
  [[ $FAILS == 0 ]]
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_listening PORT PID: until something listens on 127.0.0.1:PORT (without connecting to it,
# which FreeRDP would count as a client), or PID dies.
wait_listening() {
  local port=$1 pid=$2
  for _ in $(seq 150); do
    ss -ltnH "sport = :$port" 2>/dev/null | grep -q . && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_xvfb: sets DISPLAY to a fresh Xvfb display.
start_xvfb() {
  Xvfb -screen 0 1024x768x24 -nolisten tcp -displayfd 3 3>"$T/display" >"$T/xvfb.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    [[ -s $T/display ]] && break
    sleep 0.1
  done
  [[ -s $T/display ]] || { echo "Xvfb did not start"; dump "$T/xvfb.log"; exit 1; }
  export DISPLAY=:$(head -n1 "$T/display")
}

# make_sam USER PASSWORD DOMAIN FILE
make_sam() { winpr-hash -u "$1" -p "$2" -d "$3" -f sam >"$4"; }

# start_shadow PORT SAMFILE LOG: freerdp-shadow-cli with NLA on 127.0.0.1:PORT. Its own HOME
# keeps the generated certificate out of the real one.
start_shadow() {
  local port=$1 sam=$2 log=$3
  HOME=$T/home freerdp-shadow-cli /bind-address:127.0.0.1 /port:"$port" /sec:nla \
    /sam-file:"$sam" >"$log" 2>&1 &
  SHADOW_PID=$!
  PIDS+=($SHADOW_PID)
  wait_listening "$port" "$SHADOW_PID" || { echo "freerdp-shadow-cli did not listen"; dump "$log"; return 1; }
}

# run_xfreerdp PORT USER PASSWORD DOMAIN LOG: xfreerdp NLA, authentication only; sets XF_RC.
run_xfreerdp() {
  local port=$1 user=$2 password=$3 domain=$4 log=$5
  HOME=$T/xhome timeout 60 xfreerdp /v:127.0.0.1:"$port" /u:"$user" /p:"$password" /d:"$domain" \
    /sec:nla /cert:ignore +auth-only >"$log" 2>&1
  XF_RC=$?
}
