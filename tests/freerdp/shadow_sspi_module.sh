#!/usr/bin/env bash
# shadow_sspi_module.sh LIBRARY [SANITIZER]
# Acceptance (3): freerdp-shadow-cli with libopencredssp as its SSPI module (WinPR's
# /etc/winpr/HKLM.reg, Server\SspiModule, peers.md), so that FreeRDP's own NLA authenticates
# xfreerdp through our Negotiate package. The registry file is system-wide: it is restored
# (or removed) on exit, whatever happens; ctest serialises the FreeRDP tests (RESOURCE_LOCK).
. "$(dirname "$0")/common.sh"
lib=$(readlink -f "$1")
sanitizer=${2:-}
shadow_env=()
if [[ $sanitizer == address ]]; then
  # An ASan-built library inside a non-ASan program: the ASan runtime must be loaded first.
  # FreeRDP's own leaks are not ours to report.
  shadow_env=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0:abort_on_error=0)
elif [[ -n $sanitizer ]]; then
  echo "SKIP: a $sanitizer-built library cannot be loaded into freerdp-shadow-cli"; exit $SKIP
fi
REG=/etc/winpr/HKLM.reg
[[ -w /etc || -w /etc/winpr ]] || { echo "SKIP: cannot write $REG"; exit $SKIP; }

had_reg=0
if [[ -e $REG ]]; then had_reg=1; cp -p "$REG" "$T/HKLM.reg.saved"; fi
made_dir=0
[[ -d /etc/winpr ]] || { mkdir -p /etc/winpr && made_dir=1; }
restore_registry() {
  if [[ $had_reg == 1 ]]; then cp -p "$T/HKLM.reg.saved" "$REG"; else rm -f "$REG"; fi
  [[ $made_dir == 1 ]] && rmdir /etc/winpr 2>/dev/null
}
CLEANUP_HOOKS+=(restore_registry)

# WinPR 2.11 reads only the `str:` form of a string value.
cat >"$REG" <<REG
REGEDIT4

[HKEY_LOCAL_MACHINE\\Software\\FreeRDP\\FreeRDP\\Server]
"SspiModule"=str:"$lib"
REG

EXPECT_SSPI_MODULE=1
start_xvfb
port=$(free_port)
make_sam alice Secret123 EXAMPLE "$T/sam"
# Our library's log shows that it, not WinPR's built-in NTLM, served the connections.
# Accounts: FreeRDP 2.11 hands /sam-file to the module only after AcceptSecurityContext returned
# SEC_I_COMPLETE_NEEDED (nla.c: SetContextAttributes(SECPKG_ATTR_AUTH_NTLM_SAM_FILE) before
# CompleteAuthToken), which WinPR's NTLM does and Windows' does not; libopencredssp checks the
# password inside AcceptSecurityContext, so its accounts come from its own documented default
# store, $OPENCREDSSP_USERS (docs/users.md) - here the same SAM file.
export OPENCREDSSP_LOG=debug OPENCREDSSP_LOG_FILE=$T/ocs.log OPENCREDSSP_USERS=sam:$T/sam
for v in "${shadow_env[@]}"; do export "$v"; done
start_shadow "$port" "$T/sam" "$T/shadow.log" || exit 1
unset OPENCREDSSP_LOG OPENCREDSSP_LOG_FILE OPENCREDSSP_USERS LD_PRELOAD

run_xfreerdp "$port" alice Secret123 EXAMPLE "$T/xf-ok.log"
if [[ $XF_RC == 0 ]]; then pass "xfreerdp -> shadow(opencredssp): authenticated (rc 0)"
else fail "xfreerdp -> shadow(opencredssp): rc $XF_RC"; dump "$T/xf-ok.log" "$T/shadow.log" "$T/ocs.log"; fi

if grep -q 'Failed to load SSPI module' "$T/shadow.log"; then
  fail "shadow could not load $lib"; dump "$T/shadow.log"
elif grep -q 'AcceptSecurityContext' "$T/ocs.log" 2>/dev/null && ! grep -q 'com.winpr.negotiate\|com.winpr.sspi.NTLM' "$T/shadow.log"; then
  pass "libopencredssp, not WinPR, served the shadow server ($(grep -c AcceptSecurityContext "$T/ocs.log") AcceptSecurityContext calls logged)"
else fail "libopencredssp wrote no log: was it loaded?"; dump "$T/shadow.log"; fi

run_xfreerdp "$port" alice Wrong-Password EXAMPLE "$T/xf-bad.log"
if [[ $XF_RC != 0 ]]; then pass "xfreerdp -> shadow(opencredssp), wrong password: refused (rc $XF_RC)"
else fail "xfreerdp -> shadow(opencredssp), wrong password accepted"; dump "$T/xf-bad.log" "$T/shadow.log"; fi

# The shadow server is still alive after the refusal (no crash in our module).
if kill -0 "$SHADOW_PID" 2>/dev/null; then pass "shadow still running after the refused logon"
else fail "shadow died"; dump "$T/shadow.log"; fi

run_xfreerdp "$port" alice Secret123 EXAMPLE "$T/xf-ok2.log"
if [[ $XF_RC == 0 ]]; then pass "xfreerdp -> shadow(opencredssp): second connection authenticated"
else fail "second connection: rc $XF_RC"; dump "$T/xf-ok2.log" "$T/shadow.log"; fi
finish
