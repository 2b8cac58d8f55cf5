// shim_test.cpp - the C ABI shim in-process (static ocs_abi) over the fake package: handle
// validation for every entry point that takes a handle, NULL arguments, unknown packages,
// buffer descriptors, the ISC/ASC plumbing (ALLOCATE_MEMORY, EXTRA, MISSING, final tokens),
// the exception catch-all, and concurrent use.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "abi/fake_package.h"
#include "abi/registry.h"
#include "testlib/sspi_testlib.h"

namespace {

using ocs::PackageId;
using ocs::testlib::W;

SecHandle Bad(ULONG_PTR lower, ULONG_PTR upper) { return SecHandle{lower, upper}; }

class ShimTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (auto id : {PackageId::kNtlm, PackageId::kNegotiate, PackageId::kCredSsp}) {
      ocs::abi::SetPackageForTesting(id, std::make_shared<ocs::fake::FakePackage>(id));
    }
  }
  static void TearDownTestSuite() {
    for (auto id : {PackageId::kNtlm, PackageId::kNegotiate, PackageId::kCredSsp}) {
      ocs::abi::SetPackageForTesting(id, nullptr);
    }
  }
  void SetUp() override {
    t_ = InitSecurityInterfaceW();
    ASSERT_NE(t_, nullptr);
    client_cred_ = Acquire("NTLM", SECPKG_CRED_OUTBOUND);
    server_cred_ = Acquire("NTLM", SECPKG_CRED_INBOUND);
    ocs::testlib::HandshakeResult r =
        ocs::testlib::RunHandshake(t_, client_cred_, t_, server_cred_, {});
    ASSERT_TRUE(r.ok()) << r.error << " client " << std::hex << r.client_status << " server "
                        << r.server_status;
    client_ctx_ = r.client_ctx;
    server_ctx_ = r.server_ctx;
  }
  void TearDown() override {
    DeleteSecurityContext(&client_ctx_);
    DeleteSecurityContext(&server_ctx_);
    FreeCredentialsHandle(&client_cred_);
    FreeCredentialsHandle(&server_cred_);
  }
  CredHandle Acquire(const char* pkg, ULONG use) {
    CredHandle h{};
    auto name = W(pkg);
    EXPECT_EQ(AcquireCredentialsHandleW(nullptr, name.data(), use, nullptr, nullptr, nullptr,
                                        nullptr, &h, nullptr),
              SEC_E_OK);
    return h;
  }
  // A context and a credential that existed and are gone.
  CtxtHandle StaleContext() {
    CtxtHandle h = MakeClientContext();
    EXPECT_EQ(DeleteSecurityContext(&h), SEC_E_OK);
    return h;
  }
  CredHandle StaleCredential() {
    CredHandle h = Acquire("NTLM", SECPKG_CRED_BOTH);
    EXPECT_EQ(FreeCredentialsHandle(&h), SEC_E_OK);
    return h;
  }
  CtxtHandle MakeClientContext() {
    unsigned char out[64];
    SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle h{};
    ULONG attrs = 0;
    EXPECT_EQ(InitializeSecurityContextW(&client_cred_, nullptr, nullptr, 0, 0, 0, nullptr, 0, &h,
                                         &od, &attrs, nullptr),
              SEC_I_CONTINUE_NEEDED);
    return h;
  }
  // Every bad form of a context handle; `cred` is a live credential (wrong kind).
  std::vector<std::pair<std::string, SecHandle>> BadContextHandles() {
    return {{"zero", Bad(0, 0)},
            {"invalidated", Bad(static_cast<ULONG_PTR>(-1), static_cast<ULONG_PTR>(-1))},
            {"deleted", Bad(SEC_DELETED_HANDLE, SEC_DELETED_HANDLE)},
            {"garbage", Bad(0x12345678, 0x9abcdef0)},
            {"lower-bumped", Bad(client_ctx_.dwLower + 1000, client_ctx_.dwUpper)},
            {"upper-bumped", Bad(client_ctx_.dwLower, client_ctx_.dwUpper + 1)},
            {"stale", StaleContext()},
            {"credential", client_cred_}};
  }
  std::vector<std::pair<std::string, SecHandle>> BadCredentialHandles() {
    return {{"zero", Bad(0, 0)},
            {"invalidated", Bad(static_cast<ULONG_PTR>(-1), static_cast<ULONG_PTR>(-1))},
            {"garbage", Bad(0x12345678, 0x9abcdef0)},
            {"lower-bumped", Bad(client_cred_.dwLower + 1000, client_cred_.dwUpper)},
            {"stale", StaleCredential()},
            {"context", client_ctx_}};
  }

  PSecurityFunctionTableW t_ = nullptr;
  CredHandle client_cred_{}, server_cred_{};
  CtxtHandle client_ctx_{}, server_ctx_{};
};

// A message desc good enough for the per-message functions.
struct Msg {
  unsigned char data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  unsigned char sig[16] = {};
  SecBuffer bufs[2] = {{sizeof data, SECBUFFER_DATA, data}, {sizeof sig, SECBUFFER_TOKEN, sig}};
  SecBufferDesc desc{SECBUFFER_VERSION, 2, bufs};
};

using CtxCall = std::function<SECURITY_STATUS(PCtxtHandle)>;

std::vector<std::pair<std::string, CtxCall>> ContextCalls(CredHandle* cred) {
  static SecPkgContext_Sizes sizes;
  static SecPkgContext_Flags flags;
  static HANDLE token;
  static SecBuffer packed;
  static Msg msg;
  static unsigned char out[64];
  static SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  static SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  static SecBuffer empty_buf{0, SECBUFFER_TOKEN, nullptr};
  static SecBufferDesc empty{SECBUFFER_VERSION, 1, &empty_buf};
  return {
      {"CompleteAuthToken", [](PCtxtHandle h) { return CompleteAuthToken(h, &empty); }},
      {"ApplyControlToken", [](PCtxtHandle h) { return ApplyControlToken(h, &empty); }},
      {"QueryContextAttributesW", [](PCtxtHandle h) { return QueryContextAttributesW(h, SECPKG_ATTR_SIZES, &sizes); }},
      {"QueryContextAttributesA", [](PCtxtHandle h) { return QueryContextAttributesA(h, SECPKG_ATTR_SIZES, &sizes); }},
      {"QueryContextAttributesExW", [](PCtxtHandle h) { return QueryContextAttributesExW(h, SECPKG_ATTR_SIZES, &sizes, sizeof sizes); }},
      {"QueryContextAttributesExA", [](PCtxtHandle h) { return QueryContextAttributesExA(h, SECPKG_ATTR_SIZES, &sizes, sizeof sizes); }},
      {"SetContextAttributesW", [](PCtxtHandle h) { return SetContextAttributesW(h, SECPKG_ATTR_FLAGS, &flags, sizeof flags); }},
      {"SetContextAttributesA", [](PCtxtHandle h) { return SetContextAttributesA(h, SECPKG_ATTR_FLAGS, &flags, sizeof flags); }},
      {"ImpersonateSecurityContext", [](PCtxtHandle h) { return ImpersonateSecurityContext(h); }},
      {"RevertSecurityContext", [](PCtxtHandle h) { return RevertSecurityContext(h); }},
      {"MakeSignature", [](PCtxtHandle h) { return MakeSignature(h, 0, &msg.desc, 0); }},
      {"VerifySignature", [](PCtxtHandle h) { return VerifySignature(h, &msg.desc, 0, nullptr); }},
      {"EncryptMessage", [](PCtxtHandle h) { return EncryptMessage(h, 0, &msg.desc, 0); }},
      {"DecryptMessage", [](PCtxtHandle h) { return DecryptMessage(h, &msg.desc, 0, nullptr); }},
      {"ExportSecurityContext", [](PCtxtHandle h) { return ExportSecurityContext(h, 0, &packed, nullptr); }},
      {"QuerySecurityContextToken", [](PCtxtHandle h) { return QuerySecurityContextToken(h, &token); }},
      {"InitializeSecurityContextW", [cred](PCtxtHandle h) {
         CtxtHandle n{};
         ULONG a = 0;
         return InitializeSecurityContextW(cred, h, nullptr, 0, 0, 0, nullptr, 0, &n, &od, &a, nullptr);
       }},
      {"InitializeSecurityContextA", [cred](PCtxtHandle h) {
         CtxtHandle n{};
         ULONG a = 0;
         return InitializeSecurityContextA(cred, h, nullptr, 0, 0, 0, nullptr, 0, &n, &od, &a, nullptr);
       }},
      {"AcceptSecurityContext", [](PCtxtHandle h) {
         CtxtHandle n{};
         ULONG a = 0;
         return AcceptSecurityContext(nullptr, h, nullptr, 0, 0, &n, &od, &a, nullptr);
       }},
      {"DeleteSecurityContext", [](PCtxtHandle h) { return DeleteSecurityContext(h); }},
  };
}

TEST_F(ShimTest, EveryContextFunctionRejectsBadHandles) {
  for (auto& [fname, call] : ContextCalls(&client_cred_)) {
    // (A NULL phContext is the first call of InitializeSecurityContext, not an error.)
    if (fname.rfind("InitializeSecurityContext", 0) != 0) {
      EXPECT_EQ(call(nullptr), SEC_E_INVALID_HANDLE) << fname << " NULL";
    }
    for (auto& [hname, h] : BadContextHandles()) {
      SecHandle copy = h;
      EXPECT_EQ(call(&copy), SEC_E_INVALID_HANDLE) << fname << " " << hname;
    }
  }
  // The good handles still work afterwards (nothing was freed by mistake).
  SecPkgContext_Sizes s{};
  EXPECT_EQ(QueryContextAttributesW(&client_ctx_, SECPKG_ATTR_SIZES, &s), SEC_E_OK);
  EXPECT_EQ(s.cbMaxSignature, 16u);
}

TEST_F(ShimTest, ServerContextIsNotAClientContext) {
  unsigned char out[64];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  CtxtHandle n{};
  ULONG a = 0;
  EXPECT_EQ(InitializeSecurityContextW(&client_cred_, &server_ctx_, nullptr, 0, 0, 0, nullptr, 0,
                                       &n, &od, &a, nullptr),
            SEC_E_INVALID_HANDLE);
  EXPECT_EQ(AcceptSecurityContext(&server_cred_, &client_ctx_, nullptr, 0, 0, &n, &od, &a, nullptr),
            SEC_E_INVALID_HANDLE);
}

TEST_F(ShimTest, EveryCredentialFunctionRejectsBadHandles) {
  SecPkgCredentials_NamesW names{};
  ULONG flags = 0;
  auto ntlm = W("NTLM");
  unsigned char out[64];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  std::vector<std::pair<std::string, std::function<SECURITY_STATUS(PCredHandle)>>> calls = {
      {"QueryCredentialsAttributesW", [&](PCredHandle h) { return QueryCredentialsAttributesW(h, SECPKG_CRED_ATTR_NAMES, &names); }},
      {"QueryCredentialsAttributesA", [&](PCredHandle h) { return QueryCredentialsAttributesA(h, SECPKG_CRED_ATTR_NAMES, &names); }},
      {"QueryCredentialsAttributesExW", [&](PCredHandle h) { return QueryCredentialsAttributesExW(h, SECPKG_CRED_ATTR_NAMES, &names, sizeof names); }},
      {"QueryCredentialsAttributesExA", [&](PCredHandle h) { return QueryCredentialsAttributesExA(h, SECPKG_CRED_ATTR_NAMES, &names, sizeof names); }},
      {"SetCredentialsAttributesW", [&](PCredHandle h) { return SetCredentialsAttributesW(h, 1, &flags, sizeof flags); }},
      {"SetCredentialsAttributesA", [&](PCredHandle h) { return SetCredentialsAttributesA(h, 1, &flags, sizeof flags); }},
      {"AddCredentialsW", [&](PCredHandle h) { return AddCredentialsW(h, nullptr, ntlm.data(), SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr); }},
      {"AddCredentialsA", [&](PCredHandle h) { return AddCredentialsA(h, nullptr, const_cast<char*>("NTLM"), SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr); }},
      {"InitializeSecurityContextW", [&](PCredHandle h) {
         CtxtHandle n{};
         ULONG a = 0;
         return InitializeSecurityContextW(h, nullptr, nullptr, 0, 0, 0, nullptr, 0, &n, &od, &a, nullptr);
       }},
      {"InitializeSecurityContextA", [&](PCredHandle h) {
         CtxtHandle n{};
         ULONG a = 0;
         return InitializeSecurityContextA(h, nullptr, nullptr, 0, 0, 0, nullptr, 0, &n, &od, &a, nullptr);
       }},
      {"AcceptSecurityContext", [&](PCredHandle h) {
         CtxtHandle n{};
         ULONG a = 0;
         unsigned char neg[] = {'N', 'E', 'G'};
         SecBuffer ib{3, SECBUFFER_TOKEN, neg};
         SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
         return AcceptSecurityContext(h, nullptr, &id, 0, 0, &n, &od, &a, nullptr);
       }},
      {"FreeCredentialsHandle", [&](PCredHandle h) { return FreeCredentialsHandle(h); }},
  };
  const int live_before = ocs::fake::g_live_contexts.load();
  for (auto& [fname, call] : calls) {
    EXPECT_EQ(call(nullptr), SEC_E_INVALID_HANDLE) << fname << " NULL";
    for (auto& [hname, h] : BadCredentialHandles()) {
      SecHandle copy = h;
      EXPECT_EQ(call(&copy), SEC_E_INVALID_HANDLE) << fname << " " << hname;
    }
  }
  EXPECT_EQ(ocs::fake::g_live_contexts.load(), live_before) << "a context leaked";
}

TEST_F(ShimTest, DoubleFreeIsRefused) {
  CredHandle c = Acquire("Negotiate", SECPKG_CRED_OUTBOUND);
  CredHandle copy = c;
  EXPECT_EQ(FreeCredentialsHandle(&c), SEC_E_OK);
  EXPECT_EQ(FreeCredentialsHandle(&copy), SEC_E_INVALID_HANDLE);
  CtxtHandle x = MakeClientContext();
  EXPECT_EQ(DeleteSecurityContext(&x), SEC_E_OK);
  EXPECT_EQ(DeleteSecurityContext(&x), SEC_E_INVALID_HANDLE);
}

TEST_F(ShimTest, ContextOutlivesItsFreedCredential) {
  CredHandle c = Acquire("NTLM", SECPKG_CRED_OUTBOUND);
  unsigned char out[64];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  CtxtHandle h{};
  ULONG a = 0;
  ASSERT_EQ(InitializeSecurityContextW(&c, nullptr, nullptr, 0, 0, 0, nullptr, 0, &h, &od, &a, nullptr),
            SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(FreeCredentialsHandle(&c), SEC_E_OK);
  unsigned char chal[] = {'C', 'H', 'A', 'L'};
  SecBuffer ib{4, SECBUFFER_TOKEN, chal};
  SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
  ob.cbBuffer = sizeof out;
  EXPECT_EQ(InitializeSecurityContextW(nullptr, &h, nullptr, 0, 0, 0, &id, 0, &h, &od, &a, nullptr), SEC_E_OK);
  EXPECT_EQ(ob.cbBuffer, 4u);
  EXPECT_EQ(DeleteSecurityContext(&h), SEC_E_OK);
}

TEST_F(ShimTest, NullArguments) {
  unsigned char out[64];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  CtxtHandle n{};
  ULONG a = 0;
  ULONG count = 0;
  PSecPkgInfoW iw = nullptr;
  PSecPkgInfoA ia = nullptr;
  auto ntlm = W("NTLM");
  char ntlm_a[] = "NTLM";
  EXPECT_EQ(EnumerateSecurityPackagesW(nullptr, &iw), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(EnumerateSecurityPackagesW(&count, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(EnumerateSecurityPackagesA(nullptr, &ia), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(EnumerateSecurityPackagesA(&count, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QuerySecurityPackageInfoW(nullptr, &iw), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(QuerySecurityPackageInfoW(ntlm.data(), nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QuerySecurityPackageInfoA(nullptr, &ia), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(QuerySecurityPackageInfoA(ntlm_a, nullptr), SEC_E_INVALID_PARAMETER);
  CredHandle c{};
  EXPECT_EQ(AcquireCredentialsHandleW(nullptr, nullptr, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr, &c, nullptr), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(AcquireCredentialsHandleW(nullptr, ntlm.data(), SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(AcquireCredentialsHandleA(nullptr, nullptr, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr, &c, nullptr), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(AcquireCredentialsHandleA(nullptr, ntlm_a, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr), SEC_E_INVALID_PARAMETER);
  // ISC/ASC: phNewContext, pfContextAttr, pOutput.
  EXPECT_EQ(InitializeSecurityContextW(&client_cred_, nullptr, nullptr, 0, 0, 0, nullptr, 0, nullptr, &od, &a, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(InitializeSecurityContextW(&client_cred_, nullptr, nullptr, 0, 0, 0, nullptr, 0, &n, &od, nullptr, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(InitializeSecurityContextW(&client_cred_, nullptr, nullptr, 0, 0, 0, nullptr, 0, &n, nullptr, &a, nullptr), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(InitializeSecurityContextA(&client_cred_, nullptr, nullptr, 0, 0, 0, nullptr, 0, nullptr, &od, &a, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(InitializeSecurityContextA(&client_cred_, nullptr, nullptr, 0, 0, 0, nullptr, 0, &n, nullptr, &a, nullptr), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(InitializeSecurityContextW(nullptr, nullptr, nullptr, 0, 0, 0, nullptr, 0, &n, &od, &a, nullptr), SEC_E_INVALID_HANDLE);
  EXPECT_EQ(AcceptSecurityContext(&server_cred_, nullptr, nullptr, 0, 0, nullptr, &od, &a, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(AcceptSecurityContext(&server_cred_, nullptr, nullptr, 0, 0, &n, &od, nullptr, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(AcceptSecurityContext(&server_cred_, nullptr, nullptr, 0, 0, &n, nullptr, &a, nullptr), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(AcceptSecurityContext(nullptr, nullptr, nullptr, 0, 0, &n, &od, &a, nullptr), SEC_E_INVALID_HANDLE);
  // Context functions with a NULL buffer pointer.
  EXPECT_EQ(CompleteAuthToken(&client_ctx_, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ApplyControlToken(&client_ctx_, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryContextAttributesW(&client_ctx_, SECPKG_ATTR_SIZES, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryContextAttributesA(&client_ctx_, SECPKG_ATTR_SIZES, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryContextAttributesExW(&client_ctx_, SECPKG_ATTR_SIZES, nullptr, 16), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryContextAttributesExA(&client_ctx_, SECPKG_ATTR_SIZES, nullptr, 16), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(SetContextAttributesW(&client_ctx_, SECPKG_ATTR_FLAGS, nullptr, 4), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(SetContextAttributesA(&client_ctx_, SECPKG_ATTR_FLAGS, nullptr, 4), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryCredentialsAttributesW(&client_cred_, SECPKG_CRED_ATTR_NAMES, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryCredentialsAttributesA(&client_cred_, SECPKG_CRED_ATTR_NAMES, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryCredentialsAttributesExW(&client_cred_, SECPKG_CRED_ATTR_NAMES, nullptr, 8), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QueryCredentialsAttributesExA(&client_cred_, SECPKG_CRED_ATTR_NAMES, nullptr, 8), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(SetCredentialsAttributesW(&client_cred_, 1, nullptr, 4), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(SetCredentialsAttributesA(&client_cred_, 1, nullptr, 4), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(MakeSignature(&client_ctx_, 0, nullptr, 0), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(VerifySignature(&client_ctx_, nullptr, 0, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(EncryptMessage(&client_ctx_, 0, nullptr, 0), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(DecryptMessage(&client_ctx_, nullptr, 0, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ExportSecurityContext(&client_ctx_, 0, nullptr, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(QuerySecurityContextToken(&server_ctx_, nullptr), SEC_E_INVALID_PARAMETER);
  SecBuffer packed{};
  EXPECT_EQ(ImportSecurityContextW(nullptr, &packed, nullptr, &n), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ImportSecurityContextW(ntlm.data(), nullptr, nullptr, &n), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ImportSecurityContextW(ntlm.data(), &packed, nullptr, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ImportSecurityContextA(nullptr, &packed, nullptr, &n), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ImportSecurityContextA(ntlm_a, nullptr, nullptr, &n), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(AddCredentialsW(&client_cred_, nullptr, nullptr, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(AddCredentialsA(&client_cred_, nullptr, nullptr, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr), SEC_E_SECPKG_NOT_FOUND);
  auto d = W("D"), u = W("u"), p = W("p");
  char da[] = "D", ua[] = "u", pa[] = "p";
  EXPECT_EQ(ChangeAccountPasswordW(nullptr, d.data(), u.data(), p.data(), p.data(), 0, 0, &od), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ChangeAccountPasswordW(ntlm.data(), nullptr, u.data(), p.data(), p.data(), 0, 0, &od), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ChangeAccountPasswordW(ntlm.data(), d.data(), nullptr, p.data(), p.data(), 0, 0, &od), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ChangeAccountPasswordW(ntlm.data(), d.data(), u.data(), nullptr, p.data(), 0, 0, &od), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ChangeAccountPasswordW(ntlm.data(), d.data(), u.data(), p.data(), nullptr, 0, 0, &od), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ChangeAccountPasswordW(ntlm.data(), d.data(), u.data(), p.data(), p.data(), 0, 0, nullptr), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ChangeAccountPasswordA(nullptr, da, ua, pa, pa, 0, 0, &od), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ChangeAccountPasswordA(ntlm_a, nullptr, ua, pa, pa, 0, 0, &od), SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(ChangeAccountPasswordA(ntlm_a, da, ua, pa, pa, 0, 0, nullptr), SEC_E_INVALID_PARAMETER);
  // FreeContextBuffer(NULL) is a no-op, as free(NULL).
  EXPECT_EQ(FreeContextBuffer(nullptr), SEC_E_OK);
}

TEST_F(ShimTest, UnknownPackageEverywhere) {
  auto bogus = W("Kerberos");
  char bogus_a[] = "NoSuchPackage";
  PSecPkgInfoW iw = nullptr;
  PSecPkgInfoA ia = nullptr;
  CredHandle c{};
  SecBuffer packed{};
  CtxtHandle n{};
  unsigned char out[8];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  auto d = W("D");
  char da[] = "D";
  EXPECT_EQ(QuerySecurityPackageInfoW(bogus.data(), &iw), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(QuerySecurityPackageInfoA(bogus_a, &ia), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(iw, nullptr);
  EXPECT_EQ(ia, nullptr);
  EXPECT_EQ(AcquireCredentialsHandleW(nullptr, bogus.data(), SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr, &c, nullptr), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(AcquireCredentialsHandleA(nullptr, bogus_a, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr, &c, nullptr), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ImportSecurityContextW(bogus.data(), &packed, nullptr, &n), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ImportSecurityContextA(bogus_a, &packed, nullptr, &n), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(AddCredentialsW(&client_cred_, nullptr, bogus.data(), SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(AddCredentialsA(&client_cred_, nullptr, bogus_a, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ChangeAccountPasswordW(bogus.data(), d.data(), d.data(), d.data(), d.data(), 0, 0, &od), SEC_E_SECPKG_NOT_FOUND);
  EXPECT_EQ(ChangeAccountPasswordA(bogus_a, da, da, da, da, 0, 0, &od), SEC_E_SECPKG_NOT_FOUND);
  // Prefixes and near misses are not matches.
  auto prefix = W("NTL");
  EXPECT_EQ(QuerySecurityPackageInfoW(prefix.data(), &iw), SEC_E_SECPKG_NOT_FOUND);
}

TEST_F(ShimTest, PackageLookupIsCaseInsensitive) {
  for (const char* name : {"ntlm", "NTLM", "NtLm", "negotiate", "NEGOTIATE", "credssp", "CredSSP"}) {
    auto w = W(name);
    PSecPkgInfoW iw = nullptr;
    ASSERT_EQ(QuerySecurityPackageInfoW(w.data(), &iw), SEC_E_OK) << name;
    EXPECT_EQ(FreeContextBuffer(iw), SEC_E_OK);
    PSecPkgInfoA ia = nullptr;
    ASSERT_EQ(QuerySecurityPackageInfoA(const_cast<char*>(name), &ia), SEC_E_OK) << name;
    EXPECT_EQ(FreeContextBuffer(ia), SEC_E_OK);
  }
}

TEST_F(ShimTest, UnsupportedEntryPointsValidateThenRefuse) {
  SecBuffer packed{};
  HANDLE token = nullptr;
  SecBuffer b{0, SECBUFFER_TOKEN, nullptr};
  SecBufferDesc d{SECBUFFER_VERSION, 1, &b};
  auto ntlm = W("NTLM");
  CtxtHandle n{};
  EXPECT_EQ(ExportSecurityContext(&client_ctx_, 0, &packed, nullptr), SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_EQ(ImportSecurityContextW(ntlm.data(), &packed, nullptr, &n), SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_EQ(QuerySecurityContextToken(&server_ctx_, &token), SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_EQ(ApplyControlToken(&client_ctx_, &d), SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_EQ(AddCredentialsW(&client_cred_, nullptr, ntlm.data(), SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr), SEC_E_UNSUPPORTED_FUNCTION);
  auto s = W("x");
  EXPECT_EQ(ChangeAccountPasswordW(ntlm.data(), s.data(), s.data(), s.data(), s.data(), 0, 0, &d), SEC_E_UNSUPPORTED_FUNCTION);
  // NTLM/Negotiate never ask for CompleteAuthToken, so it is a successful no-op there.
  EXPECT_EQ(CompleteAuthToken(&client_ctx_, &d), SEC_E_OK);
}

TEST_F(ShimTest, BadBufferDescriptors) {
  Msg m;
  m.desc.ulVersion = 1;
  EXPECT_EQ(EncryptMessage(&client_ctx_, 0, &m.desc, 0), SEC_E_INVALID_TOKEN);
  Msg m2;
  m2.desc.pBuffers = nullptr;
  EXPECT_EQ(EncryptMessage(&client_ctx_, 0, &m2.desc, 0), SEC_E_INVALID_TOKEN);
  Msg m3;
  m3.desc.cBuffers = 100000;
  EXPECT_EQ(EncryptMessage(&client_ctx_, 0, &m3.desc, 0), SEC_E_INVALID_TOKEN);
  Msg m4;
  m4.bufs[0].pvBuffer = nullptr;  // claims 8 bytes, has none
  EXPECT_EQ(EncryptMessage(&client_ctx_, 0, &m4.desc, 0), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(DecryptMessage(&client_ctx_, &m4.desc, 0, nullptr), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(MakeSignature(&client_ctx_, 0, &m4.desc, 0), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(VerifySignature(&client_ctx_, &m4.desc, 0, nullptr), SEC_E_INVALID_TOKEN);
  // ISC output without a TOKEN buffer.
  unsigned char out[8];
  SecBuffer ob{sizeof out, SECBUFFER_DATA, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  CtxtHandle n{};
  ULONG a = 0;
  EXPECT_EQ(InitializeSecurityContextW(&client_cred_, nullptr, nullptr, 0, 0, 0, nullptr, 0, &n, &od, &a, nullptr), SEC_E_INVALID_TOKEN);
  // Channel bindings whose offsets point past the buffer.
  SEC_CHANNEL_BINDINGS cb{};
  cb.cbApplicationDataLength = 16;
  cb.dwApplicationDataOffset = sizeof cb;
  SecBuffer ib[2] = {{0, SECBUFFER_TOKEN, nullptr}, {sizeof cb, SECBUFFER_CHANNEL_BINDINGS, &cb}};
  SecBufferDesc id{SECBUFFER_VERSION, 2, ib};
  ob.BufferType = SECBUFFER_TOKEN;
  EXPECT_EQ(InitializeSecurityContextW(&client_cred_, nullptr, nullptr, 0, 0, 0, &id, 0, &n, &od, &a, nullptr), SEC_E_INVALID_TOKEN);
}

TEST_F(ShimTest, MessageRoundTrip) {
  Msg m;
  const unsigned char plain[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_EQ(EncryptMessage(&client_ctx_, 0, &m.desc, 0), SEC_E_OK);
  EXPECT_NE(std::memcmp(m.data, plain, 8), 0);
  ULONG qop = 99;
  ASSERT_EQ(DecryptMessage(&server_ctx_, &m.desc, 0, &qop), SEC_E_OK);
  EXPECT_EQ(std::memcmp(m.data, plain, 8), 0);
  EXPECT_EQ(qop, 0u);
  m.data[0] ^= 1;
  EXPECT_EQ(VerifySignature(&server_ctx_, &m.desc, 0, nullptr), SEC_E_MESSAGE_ALTERED);
}

TEST_F(ShimTest, HandshakeWithAllocatedMemoryAndAttributes) {
  ocs::testlib::HandshakeOptions opt;
  opt.allocate_memory = true;
  opt.target = W("HTTP/host");
  auto r = ocs::testlib::RunHandshake(t_, client_cred_, t_, server_cred_, opt);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.client_calls, 2);
  EXPECT_EQ(r.server_calls, 2);
  ASSERT_EQ(r.client_tokens.size(), 2u);  // NEG, then AUTH with SEC_E_OK
  EXPECT_EQ(r.server_tokens.size(), 1u);
  EXPECT_TRUE(r.client_attrs & ISC_RET_ALLOCATED_MEMORY);
  EXPECT_TRUE(r.client_attrs & ISC_RET_CONFIDENTIALITY);
  // Attributes: W and A strings, package info fallback.
  SecPkgContext_NamesW nw{};
  ASSERT_EQ(QueryContextAttributesW(&r.server_ctx, SECPKG_ATTR_NAMES, &nw), SEC_E_OK);
  EXPECT_EQ(nw.sUserName[0], u'a');
  EXPECT_EQ(FreeContextBuffer(nw.sUserName), SEC_E_OK);
  SecPkgContext_NamesA na{};
  ASSERT_EQ(QueryContextAttributesA(&r.server_ctx, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
  EXPECT_STREQ(na.sUserName, "alice");
  EXPECT_EQ(FreeContextBuffer(na.sUserName), SEC_E_OK);
  SecPkgContext_PackageInfoA pi{};
  ASSERT_EQ(QueryContextAttributesA(&r.client_ctx, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
  EXPECT_STREQ(pi.PackageInfo->Name, "NTLM");
  EXPECT_EQ(FreeContextBuffer(pi.PackageInfo), SEC_E_OK);
  SecPkgContext_Sizes sz{};
  EXPECT_EQ(QueryContextAttributesExW(&r.client_ctx, SECPKG_ATTR_SIZES, &sz, sizeof sz - 1), SEC_E_BUFFER_TOO_SMALL);
  EXPECT_EQ(QueryContextAttributesExW(&r.client_ctx, SECPKG_ATTR_SIZES, &sz, sizeof sz), SEC_E_OK);
  EXPECT_EQ(QueryContextAttributesW(&r.client_ctx, 0x7777, &sz), SEC_E_UNSUPPORTED_FUNCTION);
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(ShimTest, CallerBufferTooSmall) {
  CtxtHandle s{};
  ULONG a = 0;
  unsigned char big[] = {'B', 'I', 'G'};
  unsigned char neg[] = {'N', 'E', 'G'};
  SecBuffer ib{3, SECBUFFER_TOKEN, neg};
  SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
  unsigned char out[64];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  ASSERT_EQ(AcceptSecurityContext(&server_cred_, nullptr, &id, 0, 0, &s, &od, &a, nullptr), SEC_I_CONTINUE_NEEDED);
  ib.pvBuffer = big;
  ob.cbBuffer = sizeof out;
  EXPECT_EQ(AcceptSecurityContext(&server_cred_, &s, &id, 0, 0, &s, &od, &a, nullptr), SEC_E_BUFFER_TOO_SMALL);
  EXPECT_EQ(DeleteSecurityContext(&s), SEC_E_OK);
}

TEST_F(ShimTest, ExtraAndMissingAreReportedInTheInput) {
  unsigned char in[] = {'N', 'E', 'G', 'x', 'y', 'z'};
  SecBuffer ib[2] = {{sizeof in, SECBUFFER_TOKEN, in}, {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc id{SECBUFFER_VERSION, 2, ib};
  unsigned char out[64];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  CtxtHandle s{};
  ULONG a = 0;
  ASSERT_EQ(AcceptSecurityContext(&server_cred_, nullptr, &id, 0, 0, &s, &od, &a, nullptr), SEC_I_CONTINUE_NEEDED);
  EXPECT_EQ(ib[1].BufferType, static_cast<ULONG>(SECBUFFER_EXTRA));
  EXPECT_EQ(ib[1].cbBuffer, 3u);
  EXPECT_EQ(DeleteSecurityContext(&s), SEC_E_OK);
  // SEC_E_INCOMPLETE_MESSAGE on a first call: MISSING reported, no handle returned.
  unsigned char partial[] = {'P', 'A', 'R', 'T', 'I', 'A', 'L'};
  ib[0] = {sizeof partial, SECBUFFER_TOKEN, partial};
  ib[1] = {0, SECBUFFER_EMPTY, nullptr};
  CtxtHandle s2{0x55, 0x66};
  EXPECT_EQ(AcceptSecurityContext(&server_cred_, nullptr, &id, 0, 0, &s2, &od, &a, nullptr), SEC_E_INCOMPLETE_MESSAGE);
  EXPECT_EQ(ib[1].BufferType, static_cast<ULONG>(SECBUFFER_MISSING));
  EXPECT_EQ(ib[1].cbBuffer, 7u);
  EXPECT_EQ(s2.dwLower, 0x55u);  // untouched
}

TEST_F(ShimTest, FailedFirstCallReturnsNoHandle) {
  const int live = ocs::fake::g_live_contexts.load();
  unsigned char junk[] = {'j', 'u', 'n', 'k'};
  SecBuffer ib{sizeof junk, SECBUFFER_TOKEN, junk};
  SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
  unsigned char out[64];
  SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  CtxtHandle s{0x55, 0x66};
  ULONG a = 0;
  EXPECT_EQ(AcceptSecurityContext(&server_cred_, nullptr, &id, 0, 0, &s, &od, &a, nullptr), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(s.dwLower, 0x55u);
  EXPECT_EQ(ocs::fake::g_live_contexts.load(), live);
  // A credential that cannot serve the role.
  EXPECT_EQ(AcceptSecurityContext(&client_cred_, nullptr, &id, 0, 0, &s, &od, &a, nullptr), SEC_E_NO_CREDENTIALS);
}

TEST_F(ShimTest, ExceptionsBecomeStatusCodes) {
  for (auto [tok, want] : {std::pair<const char*, SECURITY_STATUS>{"THROW_BADALLOC", SEC_E_INSUFFICIENT_MEMORY},
                           {"THROW", SEC_E_INTERNAL_ERROR}}) {
    SecBuffer ib{static_cast<ULONG>(std::strlen(tok)), SECBUFFER_TOKEN, const_cast<char*>(tok)};
    SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
    unsigned char out[64];
    SecBuffer ob{sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle s{};
    ULONG a = 0;
    EXPECT_EQ(AcceptSecurityContext(&server_cred_, nullptr, &id, 0, 0, &s, &od, &a, nullptr), want) << tok;
  }
}

TEST_F(ShimTest, FreeContextBufferRefusesForeignPointers) {
  int local = 0;
  EXPECT_EQ(FreeContextBuffer(&local), SEC_E_INVALID_HANDLE);
  void* heap = std::malloc(16);
  EXPECT_EQ(FreeContextBuffer(heap), SEC_E_INVALID_HANDLE);
  std::free(heap);
  ULONG n = 0;
  PSecPkgInfoW info = nullptr;
  ASSERT_EQ(EnumerateSecurityPackagesW(&n, &info), SEC_E_OK);
  EXPECT_EQ(FreeContextBuffer(info + 1), SEC_E_INVALID_HANDLE);  // interior pointer
  EXPECT_EQ(FreeContextBuffer(info), SEC_E_OK);
  EXPECT_EQ(FreeContextBuffer(info), SEC_E_INVALID_HANDLE);  // double free
}

TEST_F(ShimTest, AcquireParsesIdentityAndCredentialUse) {
  auto ntlm = W("NTLM");
  auto user = W("DOM\\bob");
  auto pw = W("secret");
  SEC_WINNT_AUTH_IDENTITY_W id{};
  id.User = user.data();
  id.UserLength = 7;
  id.Password = pw.data();
  id.PasswordLength = 6;
  id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  CredHandle c{};
  ASSERT_EQ(AcquireCredentialsHandleW(nullptr, ntlm.data(), SECPKG_CRED_OUTBOUND, nullptr, &id, nullptr, nullptr, &c, nullptr), SEC_E_OK);
  SecPkgCredentials_NamesA names{};
  ASSERT_EQ(QueryCredentialsAttributesA(&c, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
  EXPECT_STREQ(names.sUserName, "bob");
  EXPECT_EQ(FreeContextBuffer(names.sUserName), SEC_E_OK);
  EXPECT_EQ(FreeCredentialsHandle(&c), SEC_E_OK);
  // Bad credential use and a malformed identity.
  EXPECT_EQ(AcquireCredentialsHandleW(nullptr, ntlm.data(), 0, nullptr, nullptr, nullptr, nullptr, &c, nullptr), SEC_E_UNKNOWN_CREDENTIALS);
  EXPECT_EQ(AcquireCredentialsHandleW(nullptr, ntlm.data(), 0x100, nullptr, nullptr, nullptr, nullptr, &c, nullptr), SEC_E_UNKNOWN_CREDENTIALS);
  id.User = nullptr;
  EXPECT_EQ(AcquireCredentialsHandleW(nullptr, ntlm.data(), SECPKG_CRED_OUTBOUND, nullptr, &id, nullptr, nullptr, &c, nullptr), SEC_E_UNKNOWN_CREDENTIALS);
}

TEST_F(ShimTest, ConcurrentContextsAndDeletes) {
  // Many threads run handshakes and message calls while others delete and poke at stale
  // handles. Run under TSan (OCS_SANITIZE=thread) for the data-race check.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto r = ocs::testlib::RunHandshake(t_, client_cred_, t_, server_cred_, {});
        if (!r.ok()) ++failures;
        Msg m;
        if (EncryptMessage(&r.client_ctx, 0, &m.desc, 0) != SEC_E_OK) ++failures;
        if (DecryptMessage(&r.server_ctx, &m.desc, 0, nullptr) != SEC_E_OK) ++failures;
        CtxtHandle stale = r.client_ctx;
        ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
        if (EncryptMessage(&stale, 0, &m.desc, 0) != SEC_E_INVALID_HANDLE) ++failures;
      }
    });
  }
  // One shared context hammered from two threads: calls are serialised, never torn.
  threads.emplace_back([&] {
    for (int i = 0; i < 200; ++i) {
      SecPkgContext_Sizes s{};
      if (QueryContextAttributesW(&client_ctx_, SECPKG_ATTR_SIZES, &s) != SEC_E_OK) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
