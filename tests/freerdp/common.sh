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
require Xvfb xdpyinfo xfreerdp freerdp-shadow-cli winpr-hash python3 ss flock

# One FreeRDP test at a time on the whole machine, not only inside one ctest run (ctest's
# RESOURCE_LOCK): the SSPI-module test rewrites the system-wide /etc/winpr/HKLM.reg, which every
# freerdp-shadow-cli reads, and another build tree's ctest may be running the same tests.
exec 9>/tmp/opencredssp-freerdp-tests.lock
flock -w 500 9 || { echo "FAIL: another FreeRDP test held /tmp/opencredssp-freerdp-tests.lock for 500 s"; exit 1; }

T=$(mktemp -d /tmp/ocs-freerdp.XXXXXX)
mkdir -p "$T/home" "$T/xhome"
PIDS=()
CLEANUP_HOOKS=()
XVFB_DISPLAYS=()
cleanup() {
  local hook pid n
  for hook in "${CLEANUP_HOOKS[@]}"; do $hook; done
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null; fi
  done
  for pid in "${PIDS[@]}"; do
    # A loaded machine can take seconds to let Xvfb exit; SIGKILL only as a last resort, as it
    # leaves the display's socket and lock file behind.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for n in "${XVFB_DISPLAYS[@]}"; do
    # Our own display only, and only if no server holds it any more.
    if ! DISPLAY=:$n timeout 2 xdpyinfo >/dev/null 2>&1; then rm -f "/tmp/.X$n-lock" "/tmp/.X11-unix/X$n"; fi
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

# start_xvfb: sets DISPLAY to a fresh Xvfb display that answers (xdpyinfo). Xvfb picks a free
# display number itself (-displayfd); a stale socket left by a killed X server elsewhere on the
# machine can still make that display unusable, so a display that does not answer is dropped and
# another one started.
start_xvfb() {
  local attempt n
  for attempt in 1 2 3; do
    rm -f "$T/display"
    # -noreset: without it the server resets when its last client (our xdpyinfo probe) leaves,
    # and a client connecting during the reset is refused.
    Xvfb -screen 0 1024x768x24 -nolisten tcp -noreset -displayfd 3 3>"$T/display" >>"$T/xvfb.log" 2>&1 &
    local pid=$!
    PIDS+=($pid)
    for _ in $(seq 150); do
      [[ -s $T/display ]] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    n=$(head -n1 "$T/display" 2>/dev/null)
    if [[ -n $n ]] && DISPLAY=:$n timeout 10 xdpyinfo >/dev/null 2>&1; then
      XVFB_DISPLAYS+=("$n")
      export DISPLAY=:$n
      return 0
    fi
    echo "Xvfb display :${n:-?} does not answer (attempt $attempt)"
    kill "$pid" 2>/dev/null
  done
  echo "Xvfb did not start"; dump "$T/xvfb.log"; exit 1
}

# make_sam USER PASSWORD DOMAIN FILE
make_sam() { winpr-hash -u "$1" -p "$2" -d "$3" -f sam >"$4"; }

# start_shadow PORT SAMFILE LOG: freerdp-shadow-cli with NLA on 127.0.0.1:PORT. Its own HOME
# keeps the generated certificate out of the real one.
start_shadow() {
  local port=$1 sam=$2 log=$3
  if [[ -z ${EXPECT_SSPI_MODULE:-} ]] && grep -qs 'SspiModule' /etc/winpr/HKLM.reg; then
    echo "WARNING: /etc/winpr/HKLM.reg names an SspiModule: freerdp-shadow-cli will not use WinPR's own NTLM"
  fi
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
