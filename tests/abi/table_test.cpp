// table_test.cpp - dlopen the built library (RTLD_LOCAL) and check both function tables slot
// by slot against the exported symbol of the same name, in Windows' order.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "testlib/sspi_testlib.h"

namespace {

struct Slot {
  size_t offset;
  const char* symbol;  // nullptr = reserved, must be NULL
};

#define S(T, m) {offsetof(T, m), #m}
#define R(T, m) {offsetof(T, m), nullptr}

const std::vector<Slot> kW = {
    S(SecurityFunctionTableW, EnumerateSecurityPackagesW), S(SecurityFunctionTableW, QueryCredentialsAttributesW),
    S(SecurityFunctionTableW, AcquireCredentialsHandleW), S(SecurityFunctionTableW, FreeCredentialsHandle),
    R(SecurityFunctionTableW, Reserved2), S(SecurityFunctionTableW, InitializeSecurityContextW),
    S(SecurityFunctionTableW, AcceptSecurityContext), S(SecurityFunctionTableW, CompleteAuthToken),
    S(SecurityFunctionTableW, DeleteSecurityContext), S(SecurityFunctionTableW, ApplyControlToken),
    S(SecurityFunctionTableW, QueryContextAttributesW), S(SecurityFunctionTableW, ImpersonateSecurityContext),
    S(SecurityFunctionTableW, RevertSecurityContext), S(SecurityFunctionTableW, MakeSignature),
    S(SecurityFunctionTableW, VerifySignature), S(SecurityFunctionTableW, FreeContextBuffer),
    S(SecurityFunctionTableW, QuerySecurityPackageInfoW), R(SecurityFunctionTableW, Reserved3),
    R(SecurityFunctionTableW, Reserved4), S(SecurityFunctionTableW, ExportSecurityContext),
    S(SecurityFunctionTableW, ImportSecurityContextW), S(SecurityFunctionTableW, AddCredentialsW),
    R(SecurityFunctionTableW, Reserved8), S(SecurityFunctionTableW, QuerySecurityContextToken),
    S(SecurityFunctionTableW, EncryptMessage), S(SecurityFunctionTableW, DecryptMessage),
    S(SecurityFunctionTableW, SetContextAttributesW), S(SecurityFunctionTableW, SetCredentialsAttributesW),
    S(SecurityFunctionTableW, ChangeAccountPasswordW), S(SecurityFunctionTableW, QueryContextAttributesExW),
    S(SecurityFunctionTableW, QueryCredentialsAttributesExW),
};

// The A table's slot 4 member is FreeCredentialHandle (Windows' spelling); the symbol is
// FreeCredentialsHandle.
const std::vector<Slot> kA = {
    S(SecurityFunctionTableA, EnumerateSecurityPackagesA), S(SecurityFunctionTableA, QueryCredentialsAttributesA),
    S(SecurityFunctionTableA, AcquireCredentialsHandleA), {offsetof(SecurityFunctionTableA, FreeCredentialHandle), "FreeCredentialsHandle"},
    R(SecurityFunctionTableA, Reserved2), S(SecurityFunctionTableA, InitializeSecurityContextA),
    S(SecurityFunctionTableA, AcceptSecurityContext), S(SecurityFunctionTableA, CompleteAuthToken),
    S(SecurityFunctionTableA, DeleteSecurityContext), S(SecurityFunctionTableA, ApplyControlToken),
    S(SecurityFunctionTableA, QueryContextAttributesA), S(SecurityFunctionTableA, ImpersonateSecurityContext),
    S(SecurityFunctionTableA, RevertSecurityContext), S(SecurityFunctionTableA, MakeSignature),
    S(SecurityFunctionTableA, VerifySignature), S(SecurityFunctionTableA, FreeContextBuffer),
    S(SecurityFunctionTableA, QuerySecurityPackageInfoA), R(SecurityFunctionTableA, Reserved3),
    R(SecurityFunctionTableA, Reserved4), S(SecurityFunctionTableA, ExportSecurityContext),
    S(SecurityFunctionTableA, ImportSecurityContextA), S(SecurityFunctionTableA, AddCredentialsA),
    R(SecurityFunctionTableA, Reserved8), S(SecurityFunctionTableA, QuerySecurityContextToken),
    S(SecurityFunctionTableA, EncryptMessage), S(SecurityFunctionTableA, DecryptMessage),
    S(SecurityFunctionTableA, SetContextAttributesA), S(SecurityFunctionTableA, SetCredentialsAttributesA),
    S(SecurityFunctionTableA, ChangeAccountPasswordA), S(SecurityFunctionTableA, QueryContextAttributesExA),
    S(SecurityFunctionTableA, QueryCredentialsAttributesExA),
};

void CheckTable(const ocs::testlib::Provider& p, const void* table, size_t size,
                const std::vector<Slot>& slots) {
  // Slot i of a table sits at 8 * i on LP64 (dwVersion is padded): the layout Windows has.
  ASSERT_EQ(slots.size() * sizeof(void*) + sizeof(void*), size);
  const auto* base = static_cast<const unsigned char*>(table);
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i].offset, (i + 1) * sizeof(void*)) << "slot " << i + 1;
    void* fn = nullptr;
    std::memcpy(&fn, base + slots[i].offset, sizeof fn);
    if (slots[i].symbol == nullptr) {
      EXPECT_EQ(fn, nullptr) << "reserved slot " << i + 1;
      continue;
    }
    void* sym = p.Sym(slots[i].symbol);
    ASSERT_NE(sym, nullptr) << slots[i].symbol << " not exported";
    EXPECT_EQ(fn, sym) << "slot " << i + 1 << " is not " << slots[i].symbol;
  }
}

TEST(AbiTable, EverySlotOfBothTablesIsTheSymbolOfThatName) {
  std::string err;
  auto p = ocs::testlib::LoadProvider(ocs::testlib::LibraryPath(), &err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_EQ(p->w->dwVersion, static_cast<ULONG>(SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5));
  EXPECT_EQ(p->a->dwVersion, static_cast<ULONG>(SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5));
  CheckTable(*p, p->w, sizeof(SecurityFunctionTableW), kW);
  CheckTable(*p, p->a, sizeof(SecurityFunctionTableA), kA);
  // The W and A tables differ exactly in the string-taking slots.
  EXPECT_NE(reinterpret_cast<void*>(p->w->EnumerateSecurityPackagesW),
            reinterpret_cast<void*>(p->a->EnumerateSecurityPackagesA));
  EXPECT_EQ(reinterpret_cast<void*>(p->w->EncryptMessage), reinterpret_cast<void*>(p->a->EncryptMessage));
}

TEST(AbiTable, TablesAreStableAcrossCalls) {
  std::string err;
  auto p = ocs::testlib::LoadProvider(ocs::testlib::LibraryPath(), &err);
  ASSERT_NE(p, nullptr) << err;
  auto init_w = reinterpret_cast<INIT_SECURITY_INTERFACE_W>(p->Sym("InitSecurityInterfaceW"));
  EXPECT_EQ(init_w(), p->w);
}

TEST(AbiTable, EnumeratesThePackagesThroughTheWTable) {
  std::string err;
  auto p = ocs::testlib::LoadProvider(ocs::testlib::LibraryPath(), &err);
  ASSERT_NE(p, nullptr) << err;
  ULONG n = 0;
  PSecPkgInfoW info = nullptr;
  ASSERT_EQ(p->w->EnumerateSecurityPackagesW(&n, &info), SEC_E_OK);
  ASSERT_EQ(n, 3u);
  std::vector<std::u16string> names;
  for (ULONG i = 0; i < n; ++i) {
    names.emplace_back(reinterpret_cast<const char16_t*>(info[i].Name));
  }
  EXPECT_EQ(names, (std::vector<std::u16string>{u"Negotiate", u"NTLM", u"CREDSSP"}));
  EXPECT_EQ(p->w->FreeContextBuffer(info), SEC_E_OK);
}

}  // namespace
