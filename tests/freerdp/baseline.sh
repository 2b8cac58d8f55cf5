#!/usr/bin/env bash
# baseline.sh - FreeRDP against FreeRDP (xfreerdp -> freerdp-shadow-cli, WinPR on both sides),
# no opencredssp involved: the control for the interop tests. If this fails, the machine (Xvfb,
# FreeRDP packages) is broken, not opencredssp.
. "$(dirname "$0")/common.sh"
start_xvfb
port=$(free_port)
make_sam alice Secret123 EXAMPLE "$T/sam"
start_shadow "$port" "$T/sam" "$T/shadow.log" || exit 1

run_xfreerdp "$port" alice Secret123 EXAMPLE "$T/xf-ok.log"
if [[ $XF_RC == 0 ]]; then pass "xfreerdp -> shadow, right password: rc 0"
else fail "xfreerdp -> shadow, right password: rc $XF_RC"; dump "$T/xf-ok.log" "$T/shadow.log"; fi

run_xfreerdp "$port" alice Wrong EXAMPLE "$T/xf-bad.log"
if [[ $XF_RC != 0 ]]; then pass "xfreerdp -> shadow, wrong password: refused (rc $XF_RC)"
else fail "xfreerdp -> shadow, wrong password accepted"; dump "$T/xf-bad.log"; fi
finish
