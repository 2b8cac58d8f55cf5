// winpr_compat_test.cpp - the same harness code drives Debian's WinPR 2 (libwinpr2.so.2) and
// our library through their function tables. Both providers are dlopen'ed RTLD_LOCAL into
// one process. If our structures differed from WinPR's (slot order, SecPkgInfo layout, string
// width), the fields read back would not agree.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "testlib/sspi_testlib.h"

namespace {

struct PkgFields {
  ULONG caps = 0;
  USHORT version = 0;
  USHORT rpcid = 0;
  ULONG max_token = 0;
  std::u16string name, comment;
  std::string name_a, comment_a;
};

// The harness: identical code for both providers.
std::map<std::u16string, PkgFields> Enumerate(const ocs::testlib::Provider& p) {
  std::map<std::u16string, PkgFields> out;
  ULONG n = 0;
  PSecPkgInfoW info = nullptr;
  EXPECT_EQ(p.w->EnumerateSecurityPackagesW(&n, &info), SEC_E_OK);
  if (info == nullptr) return out;
  for (ULONG i = 0; i < n; ++i) {
    PkgFields f;
    f.caps = info[i].fCapabilities;
    f.version = info[i].wVersion;
    f.rpcid = info[i].wRPCID;
    f.max_token = info[i].cbMaxToken;
    f.name = reinterpret_cast<const char16_t*>(info[i].Name);
    f.comment = reinterpret_cast<const char16_t*>(info[i].Comment);
    out[f.name] = f;
  }
  EXPECT_EQ(p.w->FreeContextBuffer(info), SEC_E_OK);
  ULONG na = 0;
  PSecPkgInfoA infoa = nullptr;
  EXPECT_EQ(p.a->EnumerateSecurityPackagesA(&na, &infoa), SEC_E_OK);
  EXPECT_EQ(na, n);
  if (infoa == nullptr) return out;
  for (ULONG i = 0; i < na; ++i) {
    std::string name = infoa[i].Name;
    std::u16string wname(name.begin(), name.end());
    if (out.count(wname)) {
      out[wname].name_a = name;
      out[wname].comment_a = infoa[i].Comment;
      EXPECT_EQ(out[wname].rpcid, infoa[i].wRPCID) << name;
      EXPECT_EQ(out[wname].caps, infoa[i].fCapabilities) << name;
    }
  }
  EXPECT_EQ(p.a->FreeContextBuffer(infoa), SEC_E_OK);
  return out;
}

PkgFields Query(const ocs::testlib::Provider& p, const char* name, SECURITY_STATUS* st) {
  PkgFields f;
  auto w = ocs::testlib::W(name);
  PSecPkgInfoW info = nullptr;
  *st = p.w->QuerySecurityPackageInfoW(w.data(), &info);
  if (*st != SEC_E_OK || info == nullptr) return f;
  f.caps = info->fCapabilities;
  f.version = info->wVersion;
  f.rpcid = info->wRPCID;
  f.max_token = info->cbMaxToken;
  f.name = reinterpret_cast<const char16_t*>(info->Name);
  f.comment = reinterpret_cast<const char16_t*>(info->Comment);
  p.w->FreeContextBuffer(info);
  return f;
}

class WinprCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    ours_ = ocs::testlib::LoadProvider(ocs::testlib::LibraryPath(), &err);
    ASSERT_NE(ours_, nullptr) << err;
    // libwinpr2-2 is installed by tools/install-deps.sh (tools/deps.d/abi.txt).
    winpr_ = ocs::testlib::LoadProvider("libwinpr2.so.2", &err);
    ASSERT_NE(winpr_, nullptr) << err;
  }
  std::unique_ptr<ocs::testlib::Provider> ours_, winpr_;
};

TEST_F(WinprCompat, SameTableLayoutAndPackageFields) {
  auto ours = Enumerate(*ours_);
  auto theirs = Enumerate(*winpr_);
  ASSERT_EQ(ours.size(), 3u);
  // Every package we provide that WinPR also provides has the same identity fields: name
  // (through W and A), version, RPC id. (fCapabilities and cbMaxToken differ on purpose: WinPR
  // reports Windows 7-era values, we report current Windows'.)
  int common = 0;
  for (const auto& [name, f] : ours) {
    auto it = theirs.find(name);
    if (it == theirs.end()) continue;
    ++common;
    std::string n(name.begin(), name.end());
    EXPECT_EQ(f.version, it->second.version) << n;
    EXPECT_EQ(f.rpcid, it->second.rpcid) << n;
    EXPECT_EQ(f.name_a, it->second.name_a) << n;
    EXPECT_FALSE(it->second.comment.empty()) << n;
    EXPECT_FALSE(f.comment.empty()) << n;
    EXPECT_NE(f.max_token, 0u);
    EXPECT_NE(it->second.max_token, 0u);
  }
  EXPECT_GE(common, 2) << "NTLM and Negotiate are in both providers";
  EXPECT_EQ(ours[u"NTLM"].rpcid, RPC_C_AUTHN_WINNT);
  EXPECT_EQ(theirs[u"NTLM"].rpcid, RPC_C_AUTHN_WINNT);
  EXPECT_EQ(ours[u"Negotiate"].rpcid, RPC_C_AUTHN_GSS_NEGOTIATE);
  EXPECT_EQ(theirs[u"Negotiate"].rpcid, RPC_C_AUTHN_GSS_NEGOTIATE);
}

TEST_F(WinprCompat, QuerySecurityPackageInfoAgrees) {
  for (const char* name : {"NTLM", "Negotiate"}) {
    SECURITY_STATUS a = 0, b = 0;
    PkgFields ours = Query(*ours_, name, &a);
    PkgFields theirs = Query(*winpr_, name, &b);
    ASSERT_EQ(a, SEC_E_OK) << name;
    ASSERT_EQ(b, SEC_E_OK) << name;
    EXPECT_EQ(ours.name, theirs.name);
    EXPECT_EQ(ours.version, theirs.version);
    EXPECT_EQ(ours.rpcid, theirs.rpcid);
  }
  SECURITY_STATUS a = 0, b = 0;
  Query(*ours_, "NoSuchPackage", &a);
  Query(*winpr_, "NoSuchPackage", &b);
  EXPECT_EQ(a, SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(b, SEC_E_SECPKG_NOT_FOUND);
}

}  // namespace
