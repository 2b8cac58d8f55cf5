// util_test.cpp - ByteReader/ByteWriter bounds and the UTF-16 helpers.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "util/bytes.h"
#include "util/utf16.h"

namespace ocs::util {
namespace {

TEST(ByteReader, ReadsLittleEndianAndStopsAtEnd) {
  Bytes b;
  ASSERT_TRUE(FromHex("01 0203 04050607 08090a0b0c0d0e0f ff", &b));
  ByteReader r(b);
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  ASSERT_TRUE(r.ReadU8(&u8));
  ASSERT_TRUE(r.ReadU16(&u16));
  ASSERT_TRUE(r.ReadU32(&u32));
  ASSERT_TRUE(r.ReadU64(&u64));
  EXPECT_EQ(u8, 0x01);
  EXPECT_EQ(u16, 0x0302);
  EXPECT_EQ(u32, 0x07060504u);
  EXPECT_EQ(u64, 0x0f0e0d0c0b0a0908ull);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.ReadU16(&u16));
  EXPECT_EQ(r.remaining(), 1u);  // failed read does not move
  ByteSpan s;
  EXPECT_FALSE(r.ReadBytes(2, &s));
  EXPECT_FALSE(r.Skip(2));
  ASSERT_TRUE(r.ReadBytes(1, &s));
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadU8(&u8));
}

TEST(ByteReader, HugeLengthDoesNotWrap) {
  Bytes b(4);
  ByteReader r(b);
  ByteSpan s;
  EXPECT_FALSE(r.ReadBytes(SIZE_MAX, &s));
  EXPECT_FALSE(r.Skip(SIZE_MAX));
}

TEST(ByteWriter, LimitAndPatch) {
  ByteWriter w(6);
  ASSERT_TRUE(w.WriteU32(0x11223344));
  EXPECT_FALSE(w.WriteU32(1));  // would exceed 6
  ASSERT_TRUE(w.WriteU16(0xaabb));
  EXPECT_FALSE(w.WriteU8(0));
  ASSERT_TRUE(w.PatchU16(0, 0x5566));
  EXPECT_FALSE(w.PatchU32(4, 0));  // only 2 bytes after 4
  EXPECT_EQ(ToHex(w.bytes()), "66552211bbaa");
}

TEST(Hex, RejectsOddAndGarbage) {
  Bytes b;
  EXPECT_FALSE(FromHex("abc", &b));
  EXPECT_FALSE(FromHex("zz", &b));
  ASSERT_TRUE(FromHex("AbCd", &b));
  EXPECT_EQ(ToHex(b), "abcd");
}

TEST(Utf16, LittleEndianRoundTrip) {
  const std::u16string s = u"User\u00e9\u4e2d";
  Bytes b = U16ToLE(s);
  EXPECT_EQ(ToHex(b), "5500730065007200e9002d4e");
  std::u16string back;
  ASSERT_TRUE(LEToU16(b, &back));
  EXPECT_EQ(back, s);
  b.pop_back();
  EXPECT_FALSE(LEToU16(b, &back));
}

TEST(Utf16, WindowsUpperCase) {
  EXPECT_EQ(UpperCase(u"User"), u"USER");
  EXPECT_EQ(UpperCase(u"\u00e9l\u00e8ve\u00ff"), u"\u00c9L\u00c8VE\u0178");
  EXPECT_EQ(UpperCase(u"\u00df\u00f7"), u"\u00df\u00f7");  // no expansion, division sign kept
  EXPECT_EQ(UpperCase(u"\u0101\u013a\u017e"), u"\u0100\u0139\u017d");
  EXPECT_EQ(UpperCase(u"\u0131"), u"\u0131");  // dotless i unchanged
  EXPECT_EQ(UpperCase(u"\u03b1\u03c2\u03ac"), u"\u0391\u03a3\u0386");
  EXPECT_EQ(UpperCase(u"\u0430\u044f\u0451"), u"\u0410\u042f\u0401");
  EXPECT_EQ(UpperCase(u"\uff41"), u"\uff21");
  EXPECT_TRUE(EqualsIgnoreCase(u"alice", u"ALICE"));
  EXPECT_FALSE(EqualsIgnoreCase(u"alice", u"alic"));
}

TEST(Utf16, Utf8Conversions) {
  EXPECT_EQ(Utf8ToUtf16("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80"), u"a\u00e9\u4e2d\U0001F600");
  EXPECT_EQ(Utf16ToUtf8(u"a\u00e9\u4e2d\U0001F600"), "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
  EXPECT_EQ(Utf8ToUtf16("\xff"), u"\ufffd");
  EXPECT_EQ(Utf8ToUtf16("\xc0\x80"), u"\ufffd\ufffd");  // overlong
  EXPECT_EQ(Utf16ToUtf8(std::u16string(1, char16_t(0xd800))), "\xef\xbf\xbd");
}

}  // namespace
}  // namespace ocs::util
