// ts_request_test.cpp - TSRequest / TSCredentials codec against the byte examples of
// credssp.md 2.2 (rdp-rs doc-test, MS-CSSP 4 smart-card sample, sspi-rs vectors) and
// negative cases.
// SPDX-License-Identifier: Apache-2.0
#include "credssp/ts_request.h"

#include <gtest/gtest.h>

#include <string>

namespace ocs::credssp {
namespace {

Bytes Hex(const std::string& hex) {
  Bytes out;
  unsigned v = 0;
  int n = 0;
  for (char ch : hex) {
    int d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    else continue;
    v = (v << 4) | static_cast<unsigned>(d);
    if (++n == 2) { out.push_back(std::byte(v)); v = 0; n = 0; }
  }
  return out;
}

Bytes U16(const std::string& s) {
  Bytes out;
  for (char ch : s) { out.push_back(std::byte(ch)); out.push_back(std::byte{0}); }
  return out;
}

Bytes ToBytes(const SecretBytes& s) { return Bytes(s.span().begin(), s.span().end()); }

TEST(TsRequest, RdpRsVersion2NegoToken) {
  Bytes der = Hex("30 12 a0 03 02 01 02 a1 0b 30 09 30 07 a0 05 04 03 00 01 02");
  TsRequest r;
  ASSERT_TRUE(DecodeTsRequest(der, &r));
  EXPECT_EQ(r.version, 2u);
  ASSERT_EQ(r.nego_tokens.size(), 1u);
  EXPECT_EQ(r.nego_tokens[0], Hex("00 01 02"));
  EXPECT_FALSE(r.pub_key_auth);
  EXPECT_EQ(EncodeTsRequest(r), der);
}

TEST(TsRequest, RdpRsWithPubKeyAuth) {
  Bytes der = Hex("30 19 a0 03 02 01 02 a1 0b 30 09 30 07 a0 05 04 03 00 01 02 a3 05 04 03 00 01 02");
  TsRequest r;
  ASSERT_TRUE(DecodeTsRequest(der, &r));
  ASSERT_TRUE(r.pub_key_auth);
  EXPECT_EQ(*r.pub_key_auth, Hex("00 01 02"));
  EXPECT_EQ(EncodeTsRequest(r), der);
}

TEST(TsRequest, ErrorCodeSignedAndUnsignedForms) {
  TsRequest r;
  r.version = 6;
  r.error_code = 0xC000006Du;
  Bytes der = EncodeTsRequest(r);
  EXPECT_EQ(der, Hex("30 0d a0 03 02 01 06 a4 06 02 04 c0 00 00 6d"));
  TsRequest back;
  ASSERT_TRUE(DecodeTsRequest(der, &back));
  EXPECT_EQ(back.error_code, 0xC000006Du);
  // pyspnego's unsigned form.
  ASSERT_TRUE(DecodeTsRequest(Hex("30 0e a0 03 02 01 06 a4 07 02 05 00 c0 00 00 6d"), &back));
  EXPECT_EQ(back.error_code, 0xC000006Du);
  // sspi-rs captured value.
  ASSERT_TRUE(DecodeTsRequest(Hex("30 0d a0 03 02 01 06 a4 06 02 04 c0 07 00 ea"), &back));
  EXPECT_EQ(back.error_code, 0xC00700EAu);
  // Out of 32-bit range.
  EXPECT_FALSE(DecodeTsRequest(Hex("30 0e a0 03 02 01 06 a4 07 02 05 01 00 00 00 00"), &back));
}

TEST(TsRequest, NonceRoundTripAndLength) {
  TsRequest r;
  r.version = 6;
  r.client_nonce = Bytes(32, std::byte{0x5a});
  r.nego_tokens = {Hex("4e 54 4c 4d 53 53 50 00 01")};
  r.pub_key_auth = Bytes(48, std::byte{1});
  Bytes der = EncodeTsRequest(r);
  TsRequest back;
  ASSERT_TRUE(DecodeTsRequest(der, &back));
  EXPECT_EQ(back.client_nonce, r.client_nonce);
  EXPECT_EQ(back.nego_tokens, r.nego_tokens);
  EXPECT_EQ(TsRequestSize(der), der.size());
  EXPECT_EQ(TsRequestSize(ByteSpan(der).first(1)), 0u);
  // A 31-byte nonce is refused.
  Bytes bad = Hex("30 26 a0 03 02 01 06 a5 21 04 1f");
  bad.resize(bad.size() + 31, std::byte{0});
  EXPECT_FALSE(DecodeTsRequest(bad, &back));
}

TEST(TsRequest, Rejects) {
  TsRequest r;
  const char* bad[] = {
      "",                                          // empty
      "30 05 a0 03 02 01 02 00",                   // trailing byte
      "30 05 a0 03 02 01 01",                      // version 1
      "30 05 a0 03 02 01 ff",                      // negative version
      "30 00",                                     // no version
      "30 80 a0 03 02 01 02 00 00",                // indefinite length
      "30 81 05 a0 03 02 01 02",                   // non-minimal length
      "30 09 a0 03 02 01 02 a3 02 04 00 a2 02 04 00",  // wrong order (pubKeyAuth before authInfo)
      "30 09 a0 03 02 01 02 a6 02 04 00",          // unknown field [6]
      "30 09 a0 03 02 01 02 a1 02 30 00",          // empty NegoData
      "30 07 a0 03 02 01 02 a2 00",                // authInfo without OCTET STRING
      "31 05 a0 03 02 01 02",                      // SET, not SEQUENCE
      "30 06 a0 04 02 02 00 02",                   // non-minimal INTEGER
      "30 0b a0 03 02 01 02 a2 04 04 02 00 01 00",  // trailing byte inside
  };
  for (const char* h : bad) EXPECT_FALSE(DecodeTsRequest(Hex(h), &r)) << h;
  Bytes huge(kMaxTsRequest + 1, std::byte{0});
  EXPECT_FALSE(DecodeTsRequest(huge, &r));
  EXPECT_EQ(TsRequestSize(Hex("04 01")), SIZE_MAX);
  EXPECT_EQ(TsRequestSize(Hex("30 84 00 00 00 01")), SIZE_MAX);
  EXPECT_EQ(TsRequestSize(Hex("30 83 10 00 00")), SIZE_MAX);
}

TEST(TsCredentials, PasswordDomainUserPassword) {
  Bytes der = Hex(
      "30 3b a0 03 02 01 01 a1 34 04 32"
      "30 30 a0 0e 04 0c 44 00 6f 00 6d 00 61 00 69 00 6e 00"
      "a1 0a 04 08 55 00 73 00 65 00 72 00"
      "a2 12 04 10 50 00 61 00 73 00 73 00 77 00 6f 00 72 00 64 00");
  TsCredentials c;
  ASSERT_TRUE(DecodeTsCredentials(der, &c));
  EXPECT_EQ(c.cred_type, 1u);
  EXPECT_EQ(ToBytes(c.password.domain), U16("Domain"));
  EXPECT_EQ(ToBytes(c.password.user), U16("User"));
  EXPECT_EQ(ToBytes(c.password.password), U16("Password"));
  EXPECT_EQ(ToBytes(EncodeTsCredentials(c)), der);
}

TEST(TsCredentials, SspiRsVectors) {
  Bytes a1 = Hex("30 1b a0 03 02 01 01 a1 14 04 12 30 10 a0 02 04 00 a1 04 04 02 61 00 a2 04 04 02 31 00");
  TsCredentials c;
  ASSERT_TRUE(DecodeTsCredentials(a1, &c));
  EXPECT_TRUE(c.password.domain.empty());
  EXPECT_EQ(ToBytes(c.password.user), U16("a"));
  EXPECT_EQ(ToBytes(EncodeTsCredentials(c)), a1);
  // Restricted Admin: all three empty.
  Bytes ra = Hex("30 17 a0 03 02 01 01 a1 10 04 0e 30 0c a0 02 04 00 a1 02 04 00 a2 02 04 00");
  ASSERT_TRUE(DecodeTsCredentials(ra, &c));
  EXPECT_TRUE(c.password.user.empty() && c.password.password.empty());
  EXPECT_EQ(ToBytes(EncodeTsCredentials(c)), ra);
}

TEST(TsCredentials, SmartCardPublishedSample) {
  Bytes der = Hex(
      "30 82 01 0f a0 03 02 01 02 a1 82 01 06 04 82 01 02 30 81 ff a0 1a 04 18 62 00 62 00 62 00 62 00"
      "62 00 62 00 62 00 62 00 62 00 62 00 62 00 62 00 a1 81 e0 30 81 dd a0 03 02 01 01 a2 2e 04 2c 4f"
      "00 4d 00 4e 00 49 00 4b 00 45 00 59 00 20 00 43 00 61 00 72 00 64 00 4d 00 61 00 6e 00 20 00 33"
      "00 78 00 32 00 31 00 20 00 30 00 a3 50 04 4e 6c 00 65 00 2d 00 4d 00 53 00 53 00 6d 00 61 00 72"
      "00 74 00 63 00 61 00 72 00 64 00 55 00 73 00 65 00 72 00 2d 00 38 00 62 00 64 00 61 00 30 00 31"
      "00 39 00 66 00 2d 00 31 00 32 00 36 00 36 00 2d 00 2d 00 35 00 33 00 32 00 36 00 38 00 a4 54 04"
      "52 4d 00 69 00 63 00 72 00 6f 00 73 00 6f 00 66 00 74 00 20 00 42 00 61 00 73 00 65 00 20 00 53"
      "00 6d 00 61 00 72 00 74 00 20 00 43 00 61 00 72 00 64 00 20 00 43 00 72 00 79 00 70 00 74 00 6f"
      "00 20 00 50 00 72 00 6f 00 76 00 69 00 64 00 65 00 72 00");
  ASSERT_EQ(der.size(), 275u);
  TsCredentials c;
  ASSERT_TRUE(DecodeTsCredentials(der, &c));
  EXPECT_EQ(c.cred_type, 2u);
  EXPECT_EQ(ToBytes(c.smart_card.pin), U16("bbbbbbbbbbbb"));
  EXPECT_EQ(c.smart_card.key_spec, 1);
  EXPECT_FALSE(c.smart_card.card_name);
  EXPECT_EQ(c.smart_card.reader_name, U16("OMNIKEY CardMan 3x21 0"));
  EXPECT_EQ(c.smart_card.container_name, U16("le-MSSmartcardUser-8bda019f-1266--53268"));
  EXPECT_EQ(c.smart_card.csp_name, U16("Microsoft Base Smart Card Crypto Provider"));
  EXPECT_FALSE(c.smart_card.user_hint);
  EXPECT_EQ(ToBytes(EncodeTsCredentials(c)), der);
}

TEST(TsCredentials, RemoteGuardRoundTrip) {
  TsCredentials c;
  c.cred_type = kRemoteGuard;
  c.remote_guard.logon.package_name = U16("Kerberos");
  c.remote_guard.logon.cred_buffer = SecretBytes(Hex("76 81 01 02"));
  PackageCred ntlm;
  ntlm.package_name = U16("NTLM");
  ntlm.cred_buffer = SecretBytes(Hex("02 00 ff ff 00"));
  c.remote_guard.supplemental = std::vector<PackageCred>{};
  c.remote_guard.supplemental->push_back(std::move(ntlm));
  SecretBytes der = EncodeTsCredentials(c);
  TsCredentials back;
  ASSERT_TRUE(DecodeTsCredentials(der.span(), &back));
  EXPECT_EQ(back.cred_type, 6u);
  EXPECT_EQ(back.remote_guard.logon.package_name, U16("Kerberos"));
  EXPECT_EQ(ToBytes(back.remote_guard.logon.cred_buffer), Hex("76 81 01 02"));
  ASSERT_TRUE(back.remote_guard.supplemental);
  ASSERT_EQ(back.remote_guard.supplemental->size(), 1u);
  EXPECT_EQ((*back.remote_guard.supplemental)[0].package_name, U16("NTLM"));
  EXPECT_EQ(ToBytes(EncodeTsCredentials(back)), ToBytes(der));
}

TEST(TsCredentials, Rejects) {
  TsCredentials c;
  const char* bad[] = {
      // credType 3 (unknown)
      "30 1b a0 03 02 01 03 a1 14 04 12 30 10 a0 02 04 00 a1 04 04 02 61 00 a2 04 04 02 31 00",
      // credType 2 with a password payload
      "30 1b a0 03 02 01 02 a1 14 04 12 30 10 a0 02 04 00 a1 04 04 02 61 00 a2 04 04 02 31 00",
      // odd-length user name
      "30 1a a0 03 02 01 01 a1 13 04 11 30 0f a0 02 04 00 a1 03 04 01 61 a2 04 04 02 31 00",
      // password missing
      "30 15 a0 03 02 01 01 a1 0e 04 0c 30 0a a0 02 04 00 a1 04 04 02 61 00",
      // trailing byte after TSPasswordCreds inside credentials
      "30 1c a0 03 02 01 01 a1 15 04 13 30 10 a0 02 04 00 a1 04 04 02 61 00 a2 04 04 02 31 00 00",
  };
  for (const char* h : bad) EXPECT_FALSE(DecodeTsCredentials(Hex(h), &c)) << h;
}

}  // namespace
}  // namespace ocs::credssp
