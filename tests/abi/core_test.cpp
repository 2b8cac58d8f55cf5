// core_test.cpp - src/core pieces the shim relies on: identity parsing, UTF conversions,
// context buffers and the package table.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstring>

#include "core/context_buffer.h"
#include "core/identity.h"
#include "core/package_info.h"

namespace {

using ocs::CharWidth;

TEST(CoreIdentity, ParsesWideNarrowAndExForms) {
  std::u16string user = u"alice", dom = u"CONTOSO", pw = u"Pa55w0rd";
  SEC_WINNT_AUTH_IDENTITY_W w{};
  w.User = reinterpret_cast<USHORT*>(user.data());
  w.UserLength = 5;
  w.Domain = reinterpret_cast<USHORT*>(dom.data());
  w.DomainLength = 7;
  w.Password = reinterpret_cast<USHORT*>(pw.data());
  w.PasswordLength = 8;
  w.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  ocs::AuthIdentity id;
  ASSERT_EQ(ocs::ParseAuthIdentity(&w, CharWidth::kAnsi, &id), SEC_E_OK);  // flag wins
  EXPECT_EQ(id.user, u"alice");
  EXPECT_EQ(id.domain, u"CONTOSO");
  EXPECT_EQ(id.password.str(), u"Pa55w0rd");

  char nu[] = "b\xc3\xb6" "b", np[] = "x";
  SEC_WINNT_AUTH_IDENTITY_EXA ex{};
  ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
  ex.Length = sizeof ex;
  ex.User = reinterpret_cast<unsigned char*>(nu);
  ex.UserLength = 4;
  ex.Password = reinterpret_cast<unsigned char*>(np);
  ex.PasswordLength = 1;
  ex.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  ASSERT_EQ(ocs::ParseAuthIdentity(&ex, CharWidth::kWide, &id), SEC_E_OK);
  EXPECT_EQ(id.user, u"b\u00f6b");
  EXPECT_TRUE(id.domain.empty());
}

TEST(CoreIdentity, SplitsDownLevelAndUpnNames) {
  std::u16string user = u"DOM\\carol";
  SEC_WINNT_AUTH_IDENTITY_W w{};
  w.User = reinterpret_cast<USHORT*>(user.data());
  w.UserLength = static_cast<ULONG>(user.size());
  w.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  ocs::AuthIdentity id;
  ASSERT_EQ(ocs::ParseAuthIdentity(&w, CharWidth::kWide, &id), SEC_E_OK);
  EXPECT_EQ(id.user, u"carol");
  EXPECT_EQ(id.domain, u"DOM");
  user = u"dave@example.com";
  w.User = reinterpret_cast<USHORT*>(user.data());
  w.UserLength = static_cast<ULONG>(user.size());
  ASSERT_EQ(ocs::ParseAuthIdentity(&w, CharWidth::kWide, &id), SEC_E_OK);
  EXPECT_EQ(id.user, u"dave");
  EXPECT_EQ(id.domain, u"example.com");
}

TEST(CoreIdentity, RejectsMalformed) {
  ocs::AuthIdentity id;
  SEC_WINNT_AUTH_IDENTITY_W w{};
  w.UserLength = 3;  // NULL pointer with a length
  w.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  EXPECT_EQ(ocs::ParseAuthIdentity(&w, CharWidth::kWide, &id), SEC_E_UNKNOWN_CREDENTIALS);
  std::u16string longname(300, u'a');
  w.User = reinterpret_cast<USHORT*>(longname.data());
  w.UserLength = 300;
  EXPECT_EQ(ocs::ParseAuthIdentity(&w, CharWidth::kWide, &id), SEC_E_UNKNOWN_CREDENTIALS);
  EXPECT_EQ(ocs::ParseAuthIdentity(nullptr, CharWidth::kWide, &id), SEC_E_UNKNOWN_CREDENTIALS);
  SEC_WINNT_AUTH_IDENTITY_EXW ex{};
  ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
  ex.Length = 8;  // shorter than the structure
  EXPECT_EQ(ocs::ParseAuthIdentity(&ex, CharWidth::kWide, &id), SEC_E_UNKNOWN_CREDENTIALS);
}

TEST(CoreUtf, RoundTripsAndReplacesInvalid) {
  std::u16string s = u"a\u00e9\u4e2d\U0001F600";
  EXPECT_EQ(ocs::Utf8ToUtf16(ocs::Utf16ToUtf8(s)), s);
  EXPECT_EQ(ocs::Utf16ToUtf8(u"\u00e9"), "\xc3\xa9");
  EXPECT_EQ(ocs::Utf8ToUtf16("\xff"), u"\ufffd");
  EXPECT_EQ(ocs::Utf8ToUtf16("\xc0\xaf"), u"\ufffd\ufffd");  // overlong
  EXPECT_EQ(ocs::Utf8ToUtf16("\xe4\xb8"), u"\ufffd\ufffd");  // truncated
  std::u16string lone(1, static_cast<char16_t>(0xD800));
  EXPECT_EQ(ocs::Utf16ToUtf8(lone), "\xef\xbf\xbd");
}

TEST(CoreContextBuffer, TracksWhatItHandsOut) {
  void* p = ocs::AllocContextBuffer(32);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(ocs::FreeContextBufferTracked(p) );
  EXPECT_FALSE(ocs::FreeContextBufferTracked(p));
  int x = 0;
  EXPECT_FALSE(ocs::FreeContextBufferTracked(&x));
  auto* s = static_cast<char*>(ocs::AllocString(u"h\u00e9", CharWidth::kAnsi));
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(s, "h\xc3\xa9");
  EXPECT_TRUE(ocs::FreeContextBufferTracked(s));
}

TEST(CorePackages, WindowsValues) {
  // sspi-abi.md §8 (Windows 10/11).
  const auto& ntlm = ocs::GetPackageInfo(ocs::PackageId::kNtlm);
  EXPECT_EQ(ntlm.capabilities, 0x02882B37u);
  EXPECT_EQ(ntlm.rpcid, 10);
  EXPECT_EQ(ntlm.max_token, 2888u);
  const auto& nego = ocs::GetPackageInfo(ocs::PackageId::kNegotiate);
  EXPECT_EQ(nego.capabilities, 0x00883BB3u);
  EXPECT_EQ(nego.rpcid, 9);
  EXPECT_EQ(nego.max_token, 48256u);
  const auto& cred = ocs::GetPackageInfo(ocs::PackageId::kCredSsp);
  EXPECT_EQ(cred.capabilities, 0x00810733u);
  EXPECT_EQ(cred.rpcid, 0xFFFF);
  EXPECT_EQ(cred.max_token, 73032u);
  EXPECT_EQ(cred.comment, u"Microsoft CredSSP Security Provider");
  auto* info = static_cast<SecPkgInfoA*>(ocs::AllocPackageInfo(ocs::PackageId::kNegotiate, CharWidth::kAnsi));
  ASSERT_NE(info, nullptr);
  EXPECT_STREQ(info->Name, "Negotiate");
  EXPECT_STREQ(info->Comment, "Microsoft Package Negotiator");
  EXPECT_EQ(info->wVersion, 1);
  EXPECT_TRUE(ocs::FreeContextBufferTracked(info));
  EXPECT_EQ(ocs::FindPackage(u"negotiate"), ocs::PackageId::kNegotiate);
  EXPECT_EQ(ocs::FindPackage(u"Kerberos"), std::nullopt);
  EXPECT_EQ(ocs::FindPackage(u""), std::nullopt);
}

}  // namespace
