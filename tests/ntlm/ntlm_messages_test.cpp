// ntlm_messages_test.cpp - negative tests of the NTLM message and AV_PAIR readers: truncated,
// oversized, garbage, fields pointing outside the message or into the header, overlapping
// fields, trailing bytes, malformed AV pairs.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <random>

#include "ntlm/authenticate_message.h"
#include "ntlm/av_pairs.h"
#include "ntlm/challenge_message.h"
#include "ntlm/flags.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/vector_file.h"
#include "util/bytes.h"

namespace ocs::ntlm {
namespace {

using ocs::testing::VectorFile;

void SetFields(Bytes* m, size_t at, uint16_t len, uint32_t offset) {
  ASSERT_LE(at + 8, m->size());
  MutableByteSpan s(*m);
  s[at] = std::byte(len & 0xff);
  s[at + 1] = std::byte(len >> 8);
  s[at + 2] = std::byte(len & 0xff);
  s[at + 3] = std::byte(len >> 8);
  util::StoreU32(s.subspan(at + 4, 4), offset);
}

TEST(NtlmMessages, EveryTruncationRefused) {
  VectorFile v("nlmp_4_2_4.txt");
  VectorFile w("windows_captures.txt");
  const Bytes& neg = w["negotiate"];
  const Bytes& ch = v["challenge"];
  const Bytes& au = v["authenticate"];
  for (size_t n = 0; n < neg.size(); ++n) {
    NegotiateMessage m;
    // A NEGOTIATE cut at 32 is the valid no-Version form: only shorter ones must fail.
    if (n != 32) {
      EXPECT_FALSE(ParseNegotiate(ByteSpan(neg).first(n), &m)) << n;
    }
  }
  for (size_t n = 0; n < ch.size(); ++n) {
    ChallengeMessage m;
    EXPECT_FALSE(ParseChallenge(ByteSpan(ch).first(n), &m)) << n;
  }
  for (size_t n = 0; n < au.size(); ++n) {
    AuthenticateMessage m;
    EXPECT_FALSE(ParseAuthenticate(ByteSpan(au).first(n), &m)) << n;
  }
}

TEST(NtlmMessages, TrailingBytesAndOversizeRefused) {
  VectorFile v("nlmp_4_2_4.txt");
  Bytes ch = v["challenge"];
  ch.push_back(std::byte{0});
  ChallengeMessage c;
  EXPECT_FALSE(ParseChallenge(ch, &c));
  Bytes au = v["authenticate"];
  au.push_back(std::byte{0});
  AuthenticateMessage a;
  EXPECT_FALSE(ParseAuthenticate(au, &a));
  Bytes huge(kMaxMessageSize + 1);
  std::copy(v["authenticate"].begin(), v["authenticate"].end(), huge.begin());
  EXPECT_FALSE(ParseAuthenticate(huge, &a));
}

TEST(NtlmMessages, WrongSignatureOrType) {
  VectorFile v("nlmp_4_2_4.txt");
  Bytes ch = v["challenge"];
  ch[0] = std::byte{'X'};
  ChallengeMessage c;
  EXPECT_FALSE(ParseChallenge(ch, &c));
  AuthenticateMessage a;
  EXPECT_FALSE(ParseAuthenticate(v["challenge"], &a));  // type 2 where 3 is expected
  NegotiateMessage n;
  EXPECT_FALSE(ParseNegotiate(v["authenticate"], &n));
}

TEST(NtlmMessages, FieldOutsideMessage) {
  VectorFile v("nlmp_4_2_4.txt");
  Bytes au = v["authenticate"];
  AuthenticateMessage a;
  // NtChallengeResponse (descriptor at 20) one byte too long, then pointing far away.
  SetFields(&au, 20, 0x55, 0x84);
  EXPECT_FALSE(ParseAuthenticate(au, &a));
  au = v["authenticate"];
  SetFields(&au, 20, 0x54, 0xfffffff0u);
  EXPECT_FALSE(ParseAuthenticate(au, &a));
  // TargetInfo of the CHALLENGE pointing past the end.
  Bytes ch = v["challenge"];
  SetFields(&ch, 40, 0x24, 0x45);
  ChallengeMessage c;
  EXPECT_FALSE(ParseChallenge(ch, &c));
}

TEST(NtlmMessages, FieldIntoHeaderOrOverlapping) {
  VectorFile v("nlmp_4_2_4.txt");
  AuthenticateMessage a;
  // UserName (descriptor at 36) pointing at the signature (offset 0).
  Bytes au = v["authenticate"];
  SetFields(&au, 36, 8, 0);
  EXPECT_FALSE(ParseAuthenticate(au, &a));
  // UserName overlapping DomainName (0x48..0x54).
  au = v["authenticate"];
  SetFields(&au, 36, 8, 0x50);
  EXPECT_FALSE(ParseAuthenticate(au, &a));
  // LM response aliasing the NT response.
  au = v["authenticate"];
  SetFields(&au, 12, 0x18, 0x84);
  EXPECT_FALSE(ParseAuthenticate(au, &a));
}

TEST(NtlmMessages, OddUnicodeLengthRefused) {
  VectorFile v("nlmp_4_2_4.txt");
  Bytes ch = v["challenge"];
  // TargetName of 11 bytes in a Unicode CHALLENGE (the byte after it becomes an interior gap,
  // which is allowed): only the parity rule of MS-NLMP 2.2.1.2 refuses it.
  SetFields(&ch, 12, 11, 0x38);
  ChallengeMessage c;
  EXPECT_FALSE(ParseChallenge(ch, &c));
}

TEST(AvPairs, MalformedListsRefused) {
  AvList l;
  size_t used = 0;
  Bytes b;
  // No EOL.
  ASSERT_TRUE(util::FromHex("01000200 4100", &b));
  EXPECT_FALSE(AvList::Parse(b, &l, &used));
  // Pair longer than the buffer.
  ASSERT_TRUE(util::FromHex("0100ff00 4100 00000000", &b));
  EXPECT_FALSE(AvList::Parse(b, &l, &used));
  // EOL with a length.
  ASSERT_TRUE(util::FromHex("00000100 00", &b));
  EXPECT_FALSE(AvList::Parse(b, &l, &used));
  // MsvAvFlags of 2 bytes, MsvAvTimestamp of 4, channel bindings of 15.
  ASSERT_TRUE(util::FromHex("06000200 0200 00000000", &b));
  EXPECT_FALSE(AvList::Parse(b, &l, &used));
  ASSERT_TRUE(util::FromHex("07000400 00000000 00000000", &b));
  EXPECT_FALSE(AvList::Parse(b, &l, &used));
  ASSERT_TRUE(util::FromHex("0a000f00 000000000000000000000000000000 00000000", &b));
  EXPECT_FALSE(AvList::Parse(b, &l, &used));
  // A repeated MsvAvFlags.
  ASSERT_TRUE(util::FromHex("0600040002000000 0600040000000000 00000000", &b));
  EXPECT_FALSE(AvList::Parse(b, &l, &used));
  // Trailing bytes are reported to Parse's caller and refused by ParseExact.
  ASSERT_TRUE(util::FromHex("0100020041 00 00000000 0000", &b));
  ASSERT_TRUE(AvList::Parse(b, &l, &used));
  EXPECT_EQ(used, 10u);
  EXPECT_FALSE(AvList::ParseExact(b, &l));
}

TEST(AvPairs, SetKeepsOrderAndSerializes) {
  AvList l;
  l.Set(kAvNbDomainName, Bytes(2, std::byte{0x41}));
  l.SetU32(kAvFlags, 2);
  l.SetU32(kAvFlags, 6);  // replaces in place
  EXPECT_EQ(util::ToHex(l.Serialize()), "0200020041410600040006000000" "00000000");
  EXPECT_EQ(l.GetU32(kAvFlags).value_or(0), 6u);
  EXPECT_FALSE(l.GetU64(kAvTimestamp).has_value());
}

TEST(NtlmMessages, RandomGarbageNeverCrashes) {
  std::mt19937 rng(12345);
  VectorFile v("nlmp_4_2_4.txt");
  const Bytes& au = v["authenticate"];
  for (int i = 0; i < 3000; ++i) {
    Bytes m = au;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) m[rng() % m.size()] = std::byte(rng() & 0xff);
    if (rng() % 4 == 0) m.resize(rng() % m.size());
    AuthenticateMessage a;
    ChallengeMessage c;
    NegotiateMessage n;
    (void)ParseAuthenticate(m, &a);
    (void)ParseChallenge(m, &c);
    (void)ParseNegotiate(m, &n);
  }
  SUCCEED();  // the property is "no crash / no ASan report"
}

}  // namespace
}  // namespace ocs::ntlm
