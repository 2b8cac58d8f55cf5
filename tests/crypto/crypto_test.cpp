// crypto_test.cpp - known answers for the OpenSSL wrappers (RFC 1320 MD4, RFC 1321 MD5,
// RFC 2202 HMAC-MD5, FIPS 180-2 SHA-256, RC4 test vectors from RFC 6229), and the
// private-context property.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "crypto/crypto.h"
#include "util/bytes.h"

namespace ocs::crypto {
namespace {

ByteSpan Str(const std::string& s) { return AsBytes(s.data(), s.size()); }

template <size_t N>
std::string Hex(const std::array<std::byte, N>& a) {
  return util::ToHex(ByteSpan(a.data(), a.size()));
}

TEST(Crypto, LibCtxIsPrivateAndReady) {
  ASSERT_NE(LibCtx(), nullptr) << InitError();
  EXPECT_TRUE(InitError().empty());
  EXPECT_EQ(LibCtx(), LibCtx());
}

TEST(Crypto, Md4Rfc1320) {
  Md4Digest d;
  ASSERT_TRUE(Md4(&d, {}));
  EXPECT_EQ(Hex(d), "31d6cfe0d16ae931b73c59d7e0c089c0");
  ASSERT_TRUE(Md4(&d, {Str("abc")}));
  EXPECT_EQ(Hex(d), "a448017aaf21d8525fc10ae87aa6729d");
  ASSERT_TRUE(Md4(&d, {Str("message "), Str("digest")}));
  EXPECT_EQ(Hex(d), "d9130a8164549fe818874806e1c7014b");
}

TEST(Crypto, Md5Rfc1321) {
  Md5Digest d;
  ASSERT_TRUE(Md5(&d, {Str("")}));
  EXPECT_EQ(Hex(d), "d41d8cd98f00b204e9800998ecf8427e");
  ASSERT_TRUE(Md5(&d, {Str("a"), Str("bc")}));
  EXPECT_EQ(Hex(d), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Crypto, Sha256Fips180) {
  Sha256Digest d;
  ASSERT_TRUE(Sha256(&d, {Str("abc")}));
  EXPECT_EQ(Hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacMd5Rfc2202) {
  Md5Digest d;
  std::array<std::byte, 16> key;
  key.fill(std::byte{0x0b});
  ASSERT_TRUE(HmacMd5(&d, key, {Str("Hi There")}));
  EXPECT_EQ(Hex(d), "9294727a3638bb1c13f48ef8158bfc9d");
  ASSERT_TRUE(HmacMd5(&d, Str("Jefe"), {Str("what do ya want "), Str("for nothing?")}));
  EXPECT_EQ(Hex(d), "750c783e6ab0b503eaa86e310a5db738");
  // Empty key is legal for HMAC.
  ASSERT_TRUE(HmacMd5(&d, ByteSpan(), {Str("")}));
  EXPECT_EQ(Hex(d), "74e6f7298a9c2d168935f58c001bad88");
}

TEST(Crypto, Rc4Rfc6229StreamContinues) {
  // RFC 6229, key 0x0102030405 (40 bits): keystream offset 0 = b2396305f03dc027ccc3524a0a1118a8
  Bytes key;
  ASSERT_TRUE(util::FromHex("0102030405", &key));
  Rc4 rc4;
  ASSERT_TRUE(rc4.Init(key));
  std::array<std::byte, 8> a{};
  std::array<std::byte, 8> b{};
  ASSERT_TRUE(rc4.ProcessInPlace(a));
  ASSERT_TRUE(rc4.ProcessInPlace(b));
  EXPECT_EQ(Hex(a) + Hex(b), "b2396305f03dc027ccc3524a0a1118a8");
  // 128-bit key 0x0102..10: offset 0 = 9ac7cc9a609d1ef7b2932899cde41b97
  ASSERT_TRUE(util::FromHex("0102030405060708090a0b0c0d0e0f10", &key));
  std::array<std::byte, 16> z{};
  std::array<std::byte, 16> out{};
  ASSERT_TRUE(Rc4Once(out, key, z));
  EXPECT_EQ(Hex(out), "9ac7cc9a609d1ef7b2932899cde41b97");
}

TEST(Crypto, Rc4Misuse) {
  Rc4 rc4;
  std::array<std::byte, 4> buf{};
  EXPECT_FALSE(rc4.ProcessInPlace(buf));  // not initialised
  EXPECT_FALSE(rc4.Init(ByteSpan()));     // empty key
  std::array<std::byte, 5> k{};
  ASSERT_TRUE(rc4.Init(k));
  std::array<std::byte, 3> small{};
  EXPECT_FALSE(rc4.Process(small, buf));  // size mismatch
  Rc4 moved = std::move(rc4);
  EXPECT_FALSE(rc4.ready());  // NOLINT(bugprone-use-after-move): moved-from is reset
  EXPECT_TRUE(moved.ready());
}

TEST(Crypto, RandomBytesDiffer) {
  std::array<std::byte, 32> a{};
  std::array<std::byte, 32> b{};
  ASSERT_TRUE(RandomBytes(a));
  ASSERT_TRUE(RandomBytes(b));
  EXPECT_NE(a, b);
}

TEST(Crypto, DefaultContextUntouched) {
  // We never load the legacy provider into the host's default context: MD4 must still be
  // unavailable there (Debian's default openssl.cnf does not activate legacy).
  ASSERT_NE(LibCtx(), nullptr);
  EVP_MD* md4 = EVP_MD_fetch(nullptr, "MD4", nullptr);
  EXPECT_EQ(md4, nullptr);
  EVP_MD_free(md4);
}

}  // namespace
}  // namespace ocs::crypto

namespace ocs::crypto {
namespace {

TEST(Crypto, Rc4CopyRollsBack) {
  std::array<std::byte, 16> key{};
  key[0] = std::byte{7};
  Rc4 a;
  ASSERT_TRUE(a.Init(key));
  std::array<std::byte, 8> x{};
  ASSERT_TRUE(a.ProcessInPlace(x));
  Rc4 saved;
  ASSERT_TRUE(saved.CopyFrom(a));
  std::array<std::byte, 8> y{};
  std::array<std::byte, 8> z{};
  ASSERT_TRUE(a.ProcessInPlace(y));
  ASSERT_TRUE(saved.ProcessInPlace(z));
  EXPECT_EQ(y, z);  // the copy continues from the same keystream position
  EXPECT_NE(x, y);
}

TEST(Crypto, HmacMd5PartsEqualsConcatenation) {
  const std::string a = "what do ya want ", b = "for nothing?";
  const std::string key = "Jefe";
  std::array<ByteSpan, 2> parts = {AsBytes(a.data(), a.size()), AsBytes(b.data(), b.size())};
  Md5Digest d;
  ASSERT_TRUE(HmacMd5Parts(&d, AsBytes(key.data(), key.size()), parts));
  EXPECT_EQ(util::ToHex(d), "750c783e6ab0b503eaa86e310a5db738");
}

}  // namespace
}  // namespace ocs::crypto
