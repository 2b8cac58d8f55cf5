// binding_test.cpp - pubKeyAuth inputs (MS-CSSP 3.1.5 steps 3-5): the v5+ binding hashes
// against the COMPUTED example of credssp.md 5.3, the v2-4 "+1" increment, errorCode mapping.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>

#include "core/context_buffer.h"
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

// ---- the SECPKG_ATTR_CREDS block for each credential type ----------------------------------


namespace ocs::credssp {
namespace {

Bytes U16Le(const std::string& s) {
  Bytes out;
  for (char ch : s) {
    out.push_back(std::byte(ch));
    out.push_back(std::byte{0});
  }
  return out;
}
std::u16string Str(const SEC_WCHAR* p, ULONG n) { return p == nullptr ? u"<null>" : std::u16string(p, p + n); }

TEST(DelegatedCreds, SmartCardBlock) {
  TsCredentials c;
  c.cred_type = kSmartCard;
  c.smart_card.pin = SecretBytes(U16Le("1234"));
  c.smart_card.key_spec = 1;
  c.smart_card.reader_name = U16Le("OMNIKEY CardMan 3x21 0");
  c.smart_card.csp_name = U16Le("Microsoft Base Smart Card Crypto Provider");
  c.smart_card.domain_hint = U16Le("EXAMPLE");
  SecPkgContext_ClientCreds cc{};
  ASSERT_EQ(AllocDelegatedCreds(c, &cc), SEC_E_OK);
  const auto* d = reinterpret_cast<const OCS_CREDSSP_DELEGATED_CREDS*>(cc.AuthBuffer);
  EXPECT_EQ(d->CredType, 2u);
  EXPECT_EQ(Str(d->Pin, d->PinLength), u"1234");
  EXPECT_EQ(d->KeySpec, 1);
  EXPECT_EQ(d->CardName, nullptr);
  EXPECT_EQ(Str(d->ReaderName, d->ReaderNameLength), u"OMNIKEY CardMan 3x21 0");
  EXPECT_EQ(d->ContainerName, nullptr);
  EXPECT_EQ(Str(d->CspName, d->CspNameLength), u"Microsoft Base Smart Card Crypto Provider");
  EXPECT_EQ(d->UserHint, nullptr);
  EXPECT_EQ(Str(d->DomainHint, d->DomainHintLength), u"EXAMPLE");
  // Every pointer lies inside the block.
  const auto* lo = cc.AuthBuffer;
  const auto* hi = cc.AuthBuffer + cc.AuthBufferLen;
  for (const void* p : {static_cast<const void*>(d->Pin), static_cast<const void*>(d->CspName)}) {
    EXPECT_GE(static_cast<const unsigned char*>(p), lo);
    EXPECT_LT(static_cast<const unsigned char*>(p), hi);
  }
  EXPECT_TRUE(FreeContextBufferTracked(cc.AuthBuffer));
}

TEST(DelegatedCreds, RemoteGuardBlock) {
  TsCredentials c;
  c.cred_type = kRemoteGuard;
  c.remote_guard.logon.package_name = U16Le("Kerberos");
  c.remote_guard.logon.cred_buffer = SecretBytes(Bytes{std::byte{0x76}, std::byte{1}, std::byte{2}});
  c.remote_guard.supplemental = std::vector<PackageCred>(2);
  (*c.remote_guard.supplemental)[0].package_name = U16Le("NTLM");
  (*c.remote_guard.supplemental)[0].cred_buffer = SecretBytes(Bytes(5, std::byte{0xaa}));
  (*c.remote_guard.supplemental)[1].package_name = U16Le("X");
  SecPkgContext_ClientCreds cc{};
  ASSERT_EQ(AllocDelegatedCreds(c, &cc), SEC_E_OK);
  const auto* d = reinterpret_cast<const OCS_CREDSSP_DELEGATED_CREDS*>(cc.AuthBuffer);
  EXPECT_EQ(d->CredType, 6u);
  EXPECT_EQ(Str(d->LogonCred.PackageName, d->LogonCred.PackageNameLength), u"Kerberos");
  ASSERT_EQ(d->LogonCred.CredBufferLength, 3u);
  EXPECT_EQ(d->LogonCred.CredBuffer[0], 0x76);
  ASSERT_EQ(d->SupplementalCredCount, 2u);
  EXPECT_EQ(Str(d->SupplementalCreds[0].PackageName, d->SupplementalCreds[0].PackageNameLength), u"NTLM");
  EXPECT_EQ(d->SupplementalCreds[0].CredBufferLength, 5u);
  EXPECT_EQ(d->SupplementalCreds[0].CredBuffer[4], 0xaa);
  EXPECT_EQ(Str(d->SupplementalCreds[1].PackageName, d->SupplementalCreds[1].PackageNameLength), u"X");
  EXPECT_EQ(d->SupplementalCreds[1].CredBufferLength, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(d->SupplementalCreds) % alignof(OCS_CREDSSP_PACKAGE_CRED), 0u);
  EXPECT_TRUE(FreeContextBufferTracked(cc.AuthBuffer));
}

TEST(DelegatedCreds, UnknownTypeHasNoBlock) {
  TsCredentials c;
  c.cred_type = 3;
  SecPkgContext_ClientCreds cc{};
  EXPECT_EQ(AllocDelegatedCreds(c, &cc), SEC_E_NO_CREDENTIALS);
  EXPECT_EQ(cc.AuthBuffer, nullptr);
}

}  // namespace
}  // namespace ocs::credssp
