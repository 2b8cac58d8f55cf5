// layout_probe_ours.cpp - LAYOUT_FACTS against include/opencredssp/sspi.h.
// SPDX-License-Identifier: Apache-2.0
#include <opencredssp/sspi.h>

#include "abi/layout_probe.h"

std::vector<LayoutFact> OurLayout() {
  std::vector<LayoutFact> facts;
  LAYOUT_FACTS(LAYOUT_SIZE, LAYOUT_OFF)
  return facts;
}
