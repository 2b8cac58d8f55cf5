// layout_probe_winpr.cpp - LAYOUT_FACTS against WinPR 2's <winpr/sspi.h> (libwinpr2-dev).
// Compiled in its own translation unit: the two headers define the same names.
// SPDX-License-Identifier: Apache-2.0
#include <winpr/sspi.h>

#include "abi/layout_probe.h"

std::vector<LayoutFact> WinprLayout() {
  std::vector<LayoutFact> facts;
  LAYOUT_FACTS(LAYOUT_SIZE, LAYOUT_OFF)
  return facts;
}
