// ntlm_table_test.cpp - the NTLM package through the public function table of the built
// libopencredssp (dlopen, as FreeRDP and the interop tests load it): identities in every
// accepted form, the default user store from OPENCREDSSP_USERS, attribute 1004, refusals,
// attributes and message protection.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "testlib/sspi_testlib.h"

namespace {

using ocs::testlib::Bytes;
using ocs::testlib::W;

constexpr char kAliceSam[] = "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n";

class NtlmTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string err;
    provider_ = ocs::testlib::LoadProvider(ocs::testlib::LibraryPath(), &err).release();
    ASSERT_NE(provider_, nullptr) << err;
  }
  void SetUp() override {
    ASSERT_NE(provider_, nullptr);
    t_ = provider_->w;
    ta_ = provider_->a;
    char p[] = "/tmp/ocs-ntlm-users-XXXXXX";
    const int fd = mkstemp(p);
    ASSERT_GE(fd, 0);
    close(fd);
    users_ = p;
    WriteUsers(kAliceSam);
    ASSERT_EQ(setenv("OPENCREDSSP_USERS", users_.c_str(), 1), 0);
  }
  void TearDown() override {
    for (CredHandle& h : creds_) t_->FreeCredentialsHandle(&h);
    unsetenv("OPENCREDSSP_USERS");
    std::remove(users_.c_str());
  }
  void WriteUsers(const std::string& s) {
    std::ofstream f(users_, std::ios::trunc);
    f << s;
  }

  SECURITY_STATUS Acquire(ULONG use, void* auth, CredHandle* out) {
    auto name = W("NTLM");
    TimeStamp ts{};
    const SECURITY_STATUS s = t_->AcquireCredentialsHandleW(nullptr, name.data(), use, nullptr,
                                                            auth, nullptr, nullptr, out, &ts);
    if (s == SEC_E_OK) creds_.push_back(*out);
    return s;
  }
  CredHandle Server() {
    CredHandle h{};
    EXPECT_EQ(Acquire(SECPKG_CRED_INBOUND, nullptr, &h), SEC_E_OK);
    return h;
  }
  CredHandle ClientW(const char* user, const char* domain, const char* password) {
    auto u = W(user), d = W(domain), p = W(password);
    SEC_WINNT_AUTH_IDENTITY_W id{};
    id.User = u.data();
    id.UserLength = static_cast<ULONG>(u.size() - 1);
    id.Domain = d.data();
    id.DomainLength = static_cast<ULONG>(d.size() - 1);
    id.Password = p.data();
    id.PasswordLength = static_cast<ULONG>(p.size() - 1);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    CredHandle h{};
    EXPECT_EQ(Acquire(SECPKG_CRED_OUTBOUND, &id, &h), SEC_E_OK);
    return h;
  }
  ocs::testlib::HandshakeOptions Opts() {
    ocs::testlib::HandshakeOptions o;
    o.target = W("TERMSRV/127.0.0.1");
    return o;
  }

  static ocs::testlib::Provider* provider_;
  PSecurityFunctionTableW t_ = nullptr;
  PSecurityFunctionTableA ta_ = nullptr;
  std::string users_;
  std::vector<CredHandle> creds_;
};
ocs::testlib::Provider* NtlmTable::provider_ = nullptr;

SECURITY_STATUS Encrypt(PSecurityFunctionTableW t, CtxtHandle* c, Bytes* data, Bytes* sig) {
  sig->assign(16, 0);
  SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig->data()},
                    {static_cast<ULONG>(data->size()), SECBUFFER_DATA, data->data()}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  return t->EncryptMessage(c, 0, &d, 0);
}

SECURITY_STATUS Decrypt(PSecurityFunctionTableW t, CtxtHandle* c, Bytes* data, Bytes* sig) {
  SecBuffer b[2] = {{static_cast<ULONG>(data->size()), SECBUFFER_DATA, data->data()},
                    {16, SECBUFFER_TOKEN, sig->data()}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  ULONG qop = 0;
  return t->DecryptMessage(c, &d, 0, &qop);
}

TEST_F(NtlmTable, HandshakeSealSignAndAttributes) {
  CredHandle c = ClientW("alice", "EXAMPLE", "Secret123");
  CredHandle s = Server();
  auto r = ocs::testlib::RunHandshake(t_, c, t_, s, Opts());
  ASSERT_TRUE(r.ok()) << std::hex << r.client_status << " " << r.server_status << r.error;
  EXPECT_EQ(r.client_tokens.size(), 2u);  // NEGOTIATE, AUTHENTICATE
  EXPECT_EQ(r.server_tokens.size(), 1u);  // CHALLENGE

  SecPkgContext_Sizes sizes{};
  ASSERT_EQ(t_->QueryContextAttributesW(&r.server_ctx, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
  EXPECT_EQ(sizes.cbMaxToken, 2888u);
  EXPECT_EQ(sizes.cbSecurityTrailer, 16u);
  SecPkgContext_NamesW names{};
  ASSERT_EQ(t_->QueryContextAttributesW(&r.server_ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
  EXPECT_EQ(std::u16string(reinterpret_cast<char16_t*>(names.sUserName)), u"EXAMPLE\\alice");
  EXPECT_EQ(t_->FreeContextBuffer(names.sUserName), SEC_E_OK);
  SecPkgContext_NamesA namesa{};
  ASSERT_EQ(ta_->QueryContextAttributesA(&r.client_ctx, SECPKG_ATTR_NAMES, &namesa), SEC_E_OK);
  EXPECT_STREQ(namesa.sUserName, "EXAMPLE\\alice");
  EXPECT_EQ(ta_->FreeContextBuffer(namesa.sUserName), SEC_E_OK);
  EXPECT_EQ(t_->ImpersonateSecurityContext(&r.server_ctx), SEC_E_OK);
  EXPECT_EQ(t_->RevertSecurityContext(&r.server_ctx), SEC_E_OK);

  for (int i = 0; i < 3; ++i) {
    Bytes m = {'p', 'i', 'n', 'g', static_cast<uint8_t>(i)}, sig;
    const Bytes orig = m;
    ASSERT_EQ(Encrypt(t_, &r.client_ctx, &m, &sig), SEC_E_OK);
    ASSERT_EQ(Decrypt(t_, &r.server_ctx, &m, &sig), SEC_E_OK);
    EXPECT_EQ(m, orig);
    ASSERT_EQ(Encrypt(t_, &r.server_ctx, &m, &sig), SEC_E_OK);
    ASSERT_EQ(Decrypt(t_, &r.client_ctx, &m, &sig), SEC_E_OK);
    EXPECT_EQ(m, orig);
  }
  Bytes m = {'x', 'y'}, sig;
  ASSERT_EQ(Encrypt(t_, &r.client_ctx, &m, &sig), SEC_E_OK);
  m[0] ^= 1;
  EXPECT_EQ(Decrypt(t_, &r.server_ctx, &m, &sig), SEC_E_MESSAGE_ALTERED);

  // MakeSignature / VerifySignature; the caller's MessageSeqNo is ignored (internal counters).
  Bytes data = {'s', 'i', 'g'};
  Bytes tok(16);
  SecBuffer b[2] = {{3, SECBUFFER_DATA, data.data()}, {16, SECBUFFER_TOKEN, tok.data()}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  ASSERT_EQ(t_->MakeSignature(&r.server_ctx, 0, &d, 1234), SEC_E_OK);
  ULONG qop = 0;
  EXPECT_EQ(t_->VerifySignature(&r.client_ctx, &d, 77, &qop), SEC_E_OK);
  EXPECT_EQ(t_->VerifySignature(&r.client_ctx, &d, 78, &qop), SEC_E_OUT_OF_SEQUENCE);
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NtlmTable, IdentityForms) {
  CredHandle s = Server();
  // DOMAIN\user and user@domain in the User field with an empty Domain.
  for (const char* user : {"EXAMPLE\\alice", "alice@EXAMPLE", "ALICE"}) {
    CredHandle c = std::strcmp(user, "ALICE") == 0 ? ClientW(user, "EXAMPLE", "Secret123")
                                                  : ClientW(user, "", "Secret123");
    auto r = ocs::testlib::RunHandshake(t_, c, t_, s, Opts());
    EXPECT_TRUE(r.ok()) << user << std::hex << " " << r.client_status << " " << r.server_status;
    ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
  }
  // SEC_WINNT_AUTH_IDENTITY_A through AcquireCredentialsHandleA.
  SEC_WINNT_AUTH_IDENTITY_A ida{};
  unsigned char u[] = "alice", dm[] = "EXAMPLE", pw[] = "Secret123";
  ida.User = u;
  ida.UserLength = 5;
  ida.Domain = dm;
  ida.DomainLength = 7;
  ida.Password = pw;
  ida.PasswordLength = 9;
  ida.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  CredHandle ca{};
  char ntlm[] = "NTLM";
  TimeStamp ts{};
  ASSERT_EQ(ta_->AcquireCredentialsHandleA(nullptr, ntlm, SECPKG_CRED_OUTBOUND, nullptr, &ida,
                                           nullptr, nullptr, &ca, &ts),
            SEC_E_OK);
  creds_.push_back(ca);
  auto r = ocs::testlib::RunHandshake(t_, ca, t_, s, Opts());
  EXPECT_TRUE(r.ok()) << std::hex << r.client_status << " " << r.server_status;
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
  // SEC_WINNT_AUTH_IDENTITY_EXW.
  auto wu = W("alice"), wd = W("EXAMPLE"), wp = W("Secret123");
  SEC_WINNT_AUTH_IDENTITY_EXW ex{};
  ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
  ex.Length = sizeof(ex);
  ex.User = wu.data();
  ex.UserLength = 5;
  ex.Domain = wd.data();
  ex.DomainLength = 7;
  ex.Password = wp.data();
  ex.PasswordLength = 9;
  ex.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  CredHandle cx{};
  ASSERT_EQ(Acquire(SECPKG_CRED_OUTBOUND, &ex, &cx), SEC_E_OK);
  r = ocs::testlib::RunHandshake(t_, cx, t_, s, Opts());
  EXPECT_TRUE(r.ok()) << std::hex << r.client_status << " " << r.server_status;
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NtlmTable, Refusals) {
  CredHandle s = Server();
  CredHandle wrong = ClientW("alice", "EXAMPLE", "wrong");
  auto r = ocs::testlib::RunHandshake(t_, wrong, t_, s, Opts());
  EXPECT_EQ(r.server_status, SEC_E_LOGON_DENIED);
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
  CredHandle unknown = ClientW("mallory", "EXAMPLE", "Secret123");
  r = ocs::testlib::RunHandshake(t_, unknown, t_, s, Opts());
  EXPECT_EQ(r.server_status, SEC_E_LOGON_DENIED);
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
  CredHandle none{};
  EXPECT_EQ(Acquire(SECPKG_CRED_OUTBOUND, nullptr, &none), SEC_E_NO_CREDENTIALS);
}

TEST_F(NtlmTable, UserFileReloadedAndChannelBindings) {
  CredHandle s = Server();
  CredHandle c = ClientW("carol", "EXAMPLE", "Password");
  auto r = ocs::testlib::RunHandshake(t_, c, t_, s, Opts());
  EXPECT_EQ(r.server_status, SEC_E_LOGON_DENIED);
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
  // gss-ntlmssp format through the same variable, picked up without a new credential.
  WriteUsers("EXAMPLE:carol:Password\n");
  auto o = Opts();
  Bytes cb(32, 0);
  const std::string app = "tls-server-end-point:0123456789";
  cb[24] = static_cast<uint8_t>(app.size());
  cb[28] = 32;
  cb.insert(cb.end(), app.begin(), app.end());
  o.channel_bindings = cb;
  r = ocs::testlib::RunHandshake(t_, c, t_, s, o);
  EXPECT_TRUE(r.ok()) << std::hex << r.client_status << " " << r.server_status;
  ocs::testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NtlmTable, SamFileAttributeOnTheServerContext) {
  WriteUsers("");  // the default store knows nobody
  char p[] = "/tmp/ocs-ntlm-sam-XXXXXX";
  const int fd = mkstemp(p);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, kAliceSam, sizeof(kAliceSam) - 1),
            static_cast<ssize_t>(sizeof(kAliceSam) - 1));
  close(fd);
  CredHandle c = ClientW("alice", "EXAMPLE", "Secret123");
  CredHandle s = Server();
  CtxtHandle cc{}, sc{};
  Bytes tok1(4096), tok2(4096), tok3(4096);
  SecBuffer o1 = {4096, SECBUFFER_TOKEN, tok1.data()};
  SecBufferDesc od1 = {SECBUFFER_VERSION, 1, &o1};
  ULONG attrs = 0;
  ASSERT_EQ(t_->InitializeSecurityContextW(&c, nullptr, nullptr, ISC_REQ_CONFIDENTIALITY, 0,
                                           SECURITY_NATIVE_DREP, nullptr, 0, &cc, &od1, &attrs,
                                           nullptr),
            SEC_I_CONTINUE_NEEDED);
  SecBuffer i1 = {o1.cbBuffer, SECBUFFER_TOKEN, tok1.data()};
  SecBufferDesc id1 = {SECBUFFER_VERSION, 1, &i1};
  SecBuffer o2 = {4096, SECBUFFER_TOKEN, tok2.data()};
  SecBufferDesc od2 = {SECBUFFER_VERSION, 1, &o2};
  ASSERT_EQ(t_->AcceptSecurityContext(&s, nullptr, &id1, ASC_REQ_CONFIDENTIALITY,
                                      SECURITY_NATIVE_DREP, &sc, &od2, &attrs, nullptr),
            SEC_I_CONTINUE_NEEDED);
  // FreeRDP: SetContextAttributes(SECPKG_ATTR_AUTH_NTLM_SAM_FILE, path, strlen(path) + 1).
  ASSERT_EQ(ta_->SetContextAttributesA(&sc, SECPKG_ATTR_AUTH_NTLM_SAM_FILE, p,
                                       static_cast<ULONG>(std::strlen(p) + 1)),
            SEC_E_OK);
  SecBuffer i2 = {o2.cbBuffer, SECBUFFER_TOKEN, tok2.data()};
  SecBufferDesc id2 = {SECBUFFER_VERSION, 1, &i2};
  SecBuffer o3 = {4096, SECBUFFER_TOKEN, tok3.data()};
  SecBufferDesc od3 = {SECBUFFER_VERSION, 1, &o3};
  ASSERT_EQ(t_->InitializeSecurityContextW(&c, &cc, nullptr, ISC_REQ_CONFIDENTIALITY, 0,
                                           SECURITY_NATIVE_DREP, &id2, 0, &cc, &od3, &attrs,
                                           nullptr),
            SEC_E_OK);
  SecBuffer i3 = {o3.cbBuffer, SECBUFFER_TOKEN, tok3.data()};
  SecBufferDesc id3 = {SECBUFFER_VERSION, 1, &i3};
  SecBuffer o4 = {4096, SECBUFFER_TOKEN, tok1.data()};
  SecBufferDesc od4 = {SECBUFFER_VERSION, 1, &o4};
  EXPECT_EQ(t_->AcceptSecurityContext(&s, &sc, &id3, ASC_REQ_CONFIDENTIALITY,
                                      SECURITY_NATIVE_DREP, &sc, &od4, &attrs, nullptr),
            SEC_E_OK);
  t_->DeleteSecurityContext(&cc);
  t_->DeleteSecurityContext(&sc);
  std::remove(p);
}

}  // namespace
