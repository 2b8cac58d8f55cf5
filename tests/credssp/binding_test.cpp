// binding_test.cpp - pubKeyAuth inputs (MS-CSSP 3.1.5 steps 3-5): the v5+ binding hashes
// against the COMPUTED example of credssp.md 5.3, the v2-4 "+1" increment, errorCode mapping.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>

#include "credssp/credssp_context.h"

namespace ocs::credssp {
namespace {

Bytes Hex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(std::byte(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(Binding, HashesMatchTheWorkedExample) {
  Bytes nonce(32);
  for (size_t i = 0; i < 32; ++i) nonce[i] = std::byte(i);
  // SEQUENCE { INTEGER 0x00 c0 01 02 .. 3e, INTEGER 65537 }, 73 bytes.
  Bytes pk = Hex("30470240");
  pk.push_back(std::byte{0x00});
  pk.push_back(std::byte{0xc0});
  for (unsigned i = 1; i <= 0x3e; ++i) pk.push_back(std::byte(i));
  for (std::byte b : Hex("0203010001")) pk.push_back(b);
  ASSERT_EQ(pk.size(), 73u);
  Bytes c2s, s2c;
  ASSERT_TRUE(BindingHash(HashDirection::kClientToServer, nonce, pk, &c2s));
  ASSERT_TRUE(BindingHash(HashDirection::kServerToClient, nonce, pk, &s2c));
  EXPECT_EQ(c2s, Hex("fa1efdd74962bc2363f37b64dbbd8bbff6b2cbd959a9cea56e5087c76fe9ba2d"));
  EXPECT_EQ(s2c, Hex("cc2596d65ac94eb8c13567c674b0f40f536b1a2b33cc461be0ae82248aa720c3"));
  // Another nonce gives another hash.
  nonce[0] = std::byte{1};
  Bytes other;
  ASSERT_TRUE(BindingHash(HashDirection::kClientToServer, nonce, pk, &other));
  EXPECT_NE(other, c2s);
}

TEST(Binding, IncrementLittleEndianWithCarry) {
  Bytes rsa = Hex("30820122");
  IncrementLe(&rsa);
  EXPECT_EQ(rsa, Hex("31820122"));  // real keys: only the first byte changes
  Bytes carry = Hex("ffff05");
  IncrementLe(&carry);
  EXPECT_EQ(carry, Hex("000006"));
  Bytes all = Hex("ffff");
  IncrementLe(&all);
  EXPECT_EQ(all, Hex("0000"));
}

TEST(Binding, ErrorCodeMapping) {
  EXPECT_EQ(NtStatusToSecurityStatus(0xC000006D), SEC_E_LOGON_DENIED);
  EXPECT_EQ(NtStatusToSecurityStatus(0xC000006A), SEC_E_LOGON_DENIED);
  EXPECT_EQ(NtStatusToSecurityStatus(0xC00000BB), SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_EQ(SecurityStatusToNtStatus(SEC_E_LOGON_DENIED), 0xC000006Du);
  EXPECT_EQ(SecurityStatusToNtStatus(SEC_E_UNSUPPORTED_FUNCTION), 0xC00000BBu);
}

}  // namespace
}  // namespace ocs::credssp
