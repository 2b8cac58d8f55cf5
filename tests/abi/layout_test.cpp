// layout_test.cpp - every size and offset in LAYOUT_FACTS is the same with our header and with
// WinPR 2's, compiled by the same compiler. (src/abi/layout_check.cpp pins the same types to
// Windows' numbers at compile time.)
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "abi/layout_probe.h"

TEST(AbiLayout, IdenticalToWinpr2) {
  auto ours = OurLayout();
  auto theirs = WinprLayout();
  ASSERT_EQ(ours.size(), theirs.size());
  ASSERT_GT(ours.size(), 50u);
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].value, theirs[i].value) << ours[i].name;
  }
}
