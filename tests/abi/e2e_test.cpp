// e2e_test.cpp - the real packages through the dlopen'ed library and the shared handshake
// driver: NTLM (and Negotiate when its module is in the build) client and server over the W
// and A tables, with caller buffers and with *_REQ_ALLOCATE_MEMORY, then sealed messages.
// Checks the shim's plumbing with real tokens; protocol correctness is tested per package.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "testlib/sspi_testlib.h"

namespace {

class E2E : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string err;
    p_ = ocs::testlib::LoadProvider(ocs::testlib::LibraryPath(), &err);
    ASSERT_NE(p_, nullptr) << err;
    char tmpl[] = "/tmp/ocs-abi-users-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    users_ = tmpl;
    // WinPR SAM format, User:Domain:LMHASH:NTHASH::: with NT hash = MD4(UTF-16LE("Secr3t!")).
    const char line[] = "alice:EXAMPLE::50a0bac757f5dc5faec745d20c01be08:::\n";
    ASSERT_EQ(write(fd, line, sizeof line - 1), static_cast<ssize_t>(sizeof line - 1));
    close(fd);
  }
  void TearDown() override { std::remove(users_.c_str()); }

  // Server credential reading the user file; returns the ACH status.
  SECURITY_STATUS Server(const char* pkg, CredHandle* h) {
    SECURITY_STATUS st = p_->a->AcquireCredentialsHandleA(
        nullptr, const_cast<char*>(pkg), SECPKG_CRED_INBOUND, nullptr, nullptr, nullptr, nullptr, h,
        nullptr);
    if (st != SEC_E_OK) return st;
    return p_->a->SetCredentialsAttributesA(h, SECPKG_ATTR_AUTH_NTLM_SAM_FILE,
                                            const_cast<char*>(users_.c_str()),
                                            static_cast<ULONG>(users_.size() + 1));
  }
  SECURITY_STATUS Client(const char* pkg, const char* password, CredHandle* h) {
    SEC_WINNT_AUTH_IDENTITY_A id{};
    std::string user = "alice", domain = "EXAMPLE", pw = password;
    id.User = reinterpret_cast<unsigned char*>(user.data());
    id.UserLength = static_cast<ULONG>(user.size());
    id.Domain = reinterpret_cast<unsigned char*>(domain.data());
    id.DomainLength = static_cast<ULONG>(domain.size());
    id.Password = reinterpret_cast<unsigned char*>(pw.data());
    id.PasswordLength = static_cast<ULONG>(pw.size());
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    return p_->a->AcquireCredentialsHandleA(nullptr, const_cast<char*>(pkg), SECPKG_CRED_OUTBOUND,
                                            nullptr, &id, nullptr, nullptr, h, nullptr);
  }

  std::unique_ptr<ocs::testlib::Provider> p_;
  std::string users_;
};

TEST_P(E2E, HandshakeThenSealedMessages) {
  CredHandle sc{}, cc{};
  SECURITY_STATUS st = Server(GetParam(), &sc);
  if (st == SEC_E_UNSUPPORTED_FUNCTION) GTEST_SKIP() << GetParam() << " is not in this build";
  ASSERT_EQ(st, SEC_E_OK);
  ASSERT_EQ(Client(GetParam(), "Secr3t!", &cc), SEC_E_OK);
  for (bool allocate : {false, true}) {
    ocs::testlib::HandshakeOptions opt;
    opt.allocate_memory = allocate;
    opt.target = ocs::testlib::W("HOST/server.example");
    auto r = ocs::testlib::RunHandshake(p_->w, cc, p_->w, sc, opt);
    ASSERT_TRUE(r.ok()) << r.error << std::hex << " client 0x" << r.client_status
                        << " server 0x" << r.server_status;
    EXPECT_GE(r.rounds(), 3);
    EXPECT_EQ((r.client_attrs & ISC_RET_ALLOCATED_MEMORY) != 0, allocate);
    SecPkgContext_Sizes sizes{};
    ASSERT_EQ(p_->w->QueryContextAttributesW(&r.client_ctx, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    ASSERT_GT(sizes.cbSecurityTrailer, 0u);
    ASSERT_LE(sizes.cbSecurityTrailer, 64u);

    char data[] = "hello through the table";
    unsigned char sig[64] = {};
    SecBuffer bufs[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, sig},
                         {sizeof data, SECBUFFER_DATA, data}};
    SecBufferDesc msg{SECBUFFER_VERSION, 2, bufs};
    ASSERT_EQ(p_->w->EncryptMessage(&r.client_ctx, 0, &msg, 0), SEC_E_OK);
    EXPECT_NE(std::memcmp(data, "hello", 5), 0);
    ULONG qop = 0;
    ASSERT_EQ(p_->a->DecryptMessage(&r.server_ctx, &msg, 0, &qop), SEC_E_OK);
    EXPECT_STREQ(data, "hello through the table");
    // Tampered ciphertext is refused.
    ASSERT_EQ(p_->w->EncryptMessage(&r.client_ctx, 0, &msg, 1), SEC_E_OK);
    data[0] ^= 1;
    EXPECT_NE(p_->w->DecryptMessage(&r.server_ctx, &msg, 1, &qop), SEC_E_OK);
    ocs::testlib::DeleteHandshakeContexts(&r, p_->w, p_->w);
  }
  EXPECT_EQ(p_->w->FreeCredentialsHandle(&cc), SEC_E_OK);
  EXPECT_EQ(p_->w->FreeCredentialsHandle(&sc), SEC_E_OK);
}

TEST_P(E2E, WrongPasswordIsRefused) {
  CredHandle sc{}, cc{};
  SECURITY_STATUS st = Server(GetParam(), &sc);
  if (st == SEC_E_UNSUPPORTED_FUNCTION) GTEST_SKIP() << GetParam() << " is not in this build";
  ASSERT_EQ(st, SEC_E_OK);
  ASSERT_EQ(Client(GetParam(), "wrong", &cc), SEC_E_OK);
  auto r = ocs::testlib::RunHandshake(p_->w, cc, p_->w, sc, {});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.server_status, SEC_E_LOGON_DENIED);
  ocs::testlib::DeleteHandshakeContexts(&r, p_->w, p_->w);
  p_->w->FreeCredentialsHandle(&cc);
  p_->w->FreeCredentialsHandle(&sc);
}

INSTANTIATE_TEST_SUITE_P(Packages, E2E, ::testing::Values("NTLM", "Negotiate"));

}  // namespace
