// credssp_table_test.cpp - the CREDSSP package through the public SSPI table of the built
// libopencredssp (dlopen), client (InitializeSecurityContextW) against server
// (AcceptSecurityContext) in one process: the acceptance matrix of issue 5.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <opencredssp/credssp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "credssp/ts_request.h"
#include "testlib/sspi_testlib.h"
#include "tls/tls.h"

namespace {

using ocs::testlib::Bytes;
using ocs::testlib::W;

const char kUser[] = "alice";
const char kDomain[] = "EXAMPLE";
const char kPassword[] = "Secret123";

const ocs::testlib::Provider* Lib() {
  static std::unique_ptr<ocs::testlib::Provider> p = [] {
    std::string err;
    auto q = ocs::testlib::LoadProvider(ocs::testlib::LibraryPath(), &err);
    if (q == nullptr) ADD_FAILURE() << err;
    return q;
  }();
  return p.get();
}
const SecurityFunctionTableW* T() { return Lib()->w; }

// The server's NTLM users come from a gss-ntlmssp style file named by OPENCREDSSP_USERS.
class Env : public ::testing::Environment {
 public:
  void SetUp() override {
    char path[] = "/tmp/ocs-credssp-users-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string line = std::string(kDomain) + ":" + kUser + ":" + kPassword + "\n";
    ASSERT_EQ(write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    close(fd);
    path_ = path;
    setenv("OPENCREDSSP_USERS", ("ntlm:" + path_).c_str(), 1);
    unsetenv("OPENCREDSSP_CERT");
    unsetenv("OPENCREDSSP_KEY");
  }
  void TearDown() override { std::remove(path_.c_str()); }

 private:
  std::string path_;
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new Env);

// Test certificates from tests/credssp/data (generating RSA keys in every test process would
// dominate the run time; generation has its own tests).
std::string ReadData(const std::string& name) {
  const char* dir = std::getenv("OCS_TEST_DATA");
  std::string path = std::string(dir != nullptr ? dir : "tests") + "/credssp/data/" + name;
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  EXPECT_FALSE(out.empty()) << path;
  return out;
}

struct Pem {
  std::string cert, key;
  std::shared_ptr<ocs::tls::ServerIdentity> id;
};
const Pem& LoadPem(int which) {
  static Pem pems[3];
  static const char* names[3] = {"rsa2048", "ec256", "mallory"};
  Pem& p = pems[which];
  if (p.id == nullptr) {
    p.cert = ReadData(std::string(names[which]) + ".crt");
    p.key = ReadData(std::string(names[which]) + ".key");
    std::string err;
    p.id = ocs::tls::ServerIdentity::FromPem(nullptr, ocs::AsBytes(p.cert.data(), p.cert.size()),
                                             ocs::AsBytes(p.key.data(), p.key.size()), &err);
    EXPECT_NE(p.id, nullptr) << err;
  }
  return p;
}
const Pem& ServerPem(bool ec) { return LoadPem(ec ? 1 : 0); }

OCS_CREDSSP_SETTINGS BaseSettings() {
  OCS_CREDSSP_SETTINGS s{};
  s.Version = OCS_CREDSSP_SETTINGS_VERSION;
  return s;
}

struct ClientIdentity {
  std::vector<uint16_t> user, domain, password;
  SEC_WINNT_AUTH_IDENTITY_W id{};
  explicit ClientIdentity(const char* pw = kPassword)
      : user(W(kUser)), domain(W(kDomain)), password(W(pw)) {
    id.User = user.data();
    id.UserLength = static_cast<ULONG>(user.size() - 1);
    id.Domain = domain.data();
    id.DomainLength = static_cast<ULONG>(domain.size() - 1);
    id.Password = password.data();
    id.PasswordLength = static_cast<ULONG>(password.size() - 1);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  }
};

struct Cred {
  CredHandle h{};
  SECURITY_STATUS st = SEC_E_INTERNAL_ERROR;
  ~Cred() {
    if (st == SEC_E_OK) T()->FreeCredentialsHandle(&h);
  }
};

void AcquireServer(Cred* c, OCS_CREDSSP_SETTINGS s) {
  CREDSSP_CRED cc{};
  cc.Type = CredsspSchannelCreds;
  cc.pSchannelCred = &s;
  auto pkg = W("CREDSSP");
  TimeStamp expiry{};
  c->st = T()->AcquireCredentialsHandleW(nullptr, pkg.data(), SECPKG_CRED_INBOUND, nullptr, &cc,
                                         nullptr, nullptr, &c->h, &expiry);
}

void AcquireClient(Cred* c, OCS_CREDSSP_SETTINGS s, void* identity) {
  CREDSSP_CRED cc{};
  cc.Type = CredsspPasswordCreds;
  cc.pSchannelCred = &s;
  cc.pSpnegoCred = identity;
  auto pkg = W("CREDSSP");
  c->st = T()->AcquireCredentialsHandleW(nullptr, pkg.data(), SECPKG_CRED_OUTBOUND, nullptr, &cc,
                                         nullptr, nullptr, &c->h, nullptr);
}

constexpr ULONG kIscReq = ISC_REQ_DELEGATE | ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY |
                          ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_MANUAL_CRED_VALIDATION |
                          ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR;
constexpr ULONG kAscReq = ASC_REQ_DELEGATE | ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY |
                          ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM | ASC_REQ_EXTENDED_ERROR;

struct Side {
  explicit Side(ocs::Role r) : role(r) {}
  Side(const Side&) = delete;
  Side& operator=(const Side&) = delete;
  ocs::Role role;
  CredHandle cred{};
  CtxtHandle ctx{};
  bool have = false;
  bool done = false;
  ULONG attrs = 0;
  TimeStamp expiry{};
  std::vector<SECURITY_STATUS> statuses;
  int incomplete = 0;  // SEC_E_INCOMPLETE_MESSAGE answers seen
  ~Side() {
    if (have) T()->DeleteSecurityContext(&ctx);
  }
};

struct CallResult {
  SECURITY_STATUS st = SEC_E_INTERNAL_ERROR;
  Bytes out;
  ULONG extra = 0;
  ULONG missing = 0;
  bool missing_buffer = false;
};

// Call runs one ISC/ASC with {TOKEN, EMPTY} input (none for the client's first call).
CallResult Call(Side& s, const Bytes* in) {
  CallResult r;
  Bytes in_copy = in != nullptr ? *in : Bytes();
  SecBuffer ib[2] = {{static_cast<ULONG>(in_copy.size()), SECBUFFER_TOKEN,
                      in_copy.empty() ? nullptr : in_copy.data()},
                     {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc id = {SECBUFFER_VERSION, 2, ib};
  SecBuffer ob = {0, SECBUFFER_TOKEN, nullptr};
  SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
  CtxtHandle next{};
  auto target = W("TERMSRV/localhost");
  if (s.role == ocs::Role::kClient) {
    r.st = T()->InitializeSecurityContextW(&s.cred, s.have ? &s.ctx : nullptr, target.data(),
                                           kIscReq, 0, SECURITY_NATIVE_DREP,
                                           in != nullptr ? &id : nullptr, 0, &next, &od, &s.attrs,
                                           &s.expiry);
  } else {
    r.st = T()->AcceptSecurityContext(&s.cred, s.have ? &s.ctx : nullptr, &id, kAscReq,
                                      SECURITY_NATIVE_DREP, &next, &od, &s.attrs, &s.expiry);
  }
  if (!s.have && r.st >= 0) {
    s.ctx = next;
    s.have = true;
  }
  s.statuses.push_back(r.st);
  if (ob.pvBuffer != nullptr) {
    const auto* p = static_cast<const uint8_t*>(ob.pvBuffer);
    r.out.assign(p, p + ob.cbBuffer);
    T()->FreeContextBuffer(ob.pvBuffer);
  }
  if (ib[1].BufferType == SECBUFFER_EXTRA) r.extra = ib[1].cbBuffer;
  if (ib[1].BufferType == SECBUFFER_MISSING) {
    r.missing_buffer = true;
    r.missing = ib[1].cbBuffer;
  }
  if (r.st == SEC_E_OK) s.done = true;
  return r;
}

// Deliver feeds a peer's bytes to `s`, all at once or one byte at a time (trickle), following
// SEC_E_INCOMPLETE_MESSAGE / SECBUFFER_MISSING and SECBUFFER_EXTRA as a Schannel caller does.
// Returns the last status; *out gets every token produced.
SECURITY_STATUS Deliver(Side& s, const Bytes& stream, bool trickle, Bytes* out) {
  Bytes buf;
  size_t pos = 0;
  if (!trickle) {
    buf = stream;
    pos = stream.size();
  }
  SECURITY_STATUS last = SEC_E_INTERNAL_ERROR;
  for (int guard = 0; guard < 1000000; ++guard) {
    if (trickle && buf.empty()) {
      if (pos >= stream.size()) return last;
      buf.push_back(stream[pos++]);
    }
    CallResult r = Call(s, &buf);
    last = r.st;
    if (r.st == SEC_E_INCOMPLETE_MESSAGE) {
      ++s.incomplete;
      EXPECT_TRUE(r.missing_buffer);
      EXPECT_GT(r.missing, 0u);
      if (pos >= stream.size()) return r.st;  // truly incomplete
      buf.push_back(stream[pos++]);
      continue;
    }
    out->insert(out->end(), r.out.begin(), r.out.end());
    if (r.st < 0) return r.st;
    Bytes tail(buf.end() - r.extra, buf.end());
    buf = std::move(tail);
    if (buf.empty() && pos >= stream.size()) return r.st;
    if (r.st == SEC_E_OK) {
      ADD_FAILURE() << "bytes left after SEC_E_OK";
      return r.st;
    }
  }
  return last;
}

struct Outcome {
  SECURITY_STATUS client = SEC_E_INTERNAL_ERROR, server = SEC_E_INTERNAL_ERROR;
  std::vector<Bytes> server_tokens_after_failure;
  bool server_sent_on_failure = false;
};

// Handshake runs client and server until both finish or one fails.
Outcome Handshake(Side& c, Side& s, bool trickle = false) {
  Outcome o;
  CallResult first = Call(c, nullptr);
  o.client = first.st;
  if (first.st != SEC_I_CONTINUE_NEEDED) return o;
  Bytes to_server = first.out;
  for (int i = 0; i < 20; ++i) {
    Bytes to_client;
    o.server = Deliver(s, to_server, trickle, &to_client);
    if (o.server < 0) {
      o.server_sent_on_failure = !to_client.empty();
      if (to_client.empty()) return o;
      // The errorCode TSRequest: the client must see it and fail.
    }
    if (to_client.empty()) return o;
    Bytes next;
    o.client = Deliver(c, to_client, trickle, &next);
    if (o.client < 0 || o.server < 0) return o;
    if (c.done) {
      if (!next.empty()) o.server = Deliver(s, next, trickle, &to_client);
      return o;
    }
    to_server = std::move(next);
  }
  return o;
}

struct Pair {
  Cred server_cred, client_cred;
  Side server{ocs::Role::kServer}, client{ocs::Role::kClient};
  ClientIdentity identity;
  explicit Pair(const char* pw = kPassword) : identity(pw) {}
  // Set up both credentials; `cs`/`ss` are the client's and server's settings.
  void Init(OCS_CREDSSP_SETTINGS cs, OCS_CREDSSP_SETTINGS ss, bool ec = false) {
    const Pem& pem = ServerPem(ec);
    ss.CertPem = reinterpret_cast<const unsigned char*>(pem.cert.data());
    ss.CertPemLength = static_cast<ULONG>(pem.cert.size());
    ss.KeyPem = reinterpret_cast<const unsigned char*>(pem.key.data());
    ss.KeyPemLength = static_cast<ULONG>(pem.key.size());
    AcquireServer(&server_cred, ss);
    ASSERT_EQ(server_cred.st, SEC_E_OK);
    AcquireClient(&client_cred, cs, &identity.id);
    ASSERT_EQ(client_cred.st, SEC_E_OK);
    server.cred = server_cred.h;
    client.cred = client_cred.h;
  }
};

std::u16string U16(const SEC_WCHAR* p, ULONG n) { return std::u16string(p, p + n); }
std::u16string U16(const char* s) { return std::u16string(s, s + std::strlen(s)); }

OCS_CREDSSP_INFO Info(Side& s) {
  OCS_CREDSSP_INFO i{};
  EXPECT_EQ(T()->QueryContextAttributesW(&s.ctx, OCS_SECPKG_ATTR_CREDSSP_INFO, &i), SEC_E_OK);
  return i;
}

void ExpectDelegatedPassword(Side& s, const char* domain, const char* user, const char* pw) {
  SecPkgContext_ClientCreds cc{};
  ASSERT_EQ(T()->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_CREDS, &cc), SEC_E_OK);
  ASSERT_NE(cc.AuthBuffer, nullptr);
  ASSERT_GE(cc.AuthBufferLen, sizeof(OCS_CREDSSP_DELEGATED_CREDS));
  const auto* d = reinterpret_cast<const OCS_CREDSSP_DELEGATED_CREDS*>(cc.AuthBuffer);
  EXPECT_EQ(d->CredType, OCS_CREDSSP_CRED_PASSWORD);
  EXPECT_EQ(U16(d->Domain, d->DomainLength), U16(domain));
  EXPECT_EQ(U16(d->User, d->UserLength), U16(user));
  EXPECT_EQ(U16(d->Password, d->PasswordLength), U16(pw));
  EXPECT_EQ(d->Password[d->PasswordLength], 0);
  EXPECT_EQ(T()->FreeContextBuffer(cc.AuthBuffer), SEC_E_OK);
}

// ---- the matrix: client version x TLS version x inner framing -------------------------

class Matrix : public ::testing::TestWithParam<std::tuple<int, int, bool>> {};

TEST_P(Matrix, DelegatesPasswordExactly) {
  auto [version, tls, raw] = GetParam();
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.CredSspVersion = static_cast<ULONG>(version);
  cs.MinCredSspVersion = 2;
  cs.TlsMinVersion = cs.TlsMaxVersion = static_cast<ULONG>(tls);
  cs.Flags = raw ? OCS_CREDSSP_F_RAW_NTLM : 0;
  ss.MinCredSspVersion = 2;
  p.Init(cs, ss);
  Outcome o = Handshake(p.client, p.server);
  ASSERT_EQ(o.client, SEC_E_OK);
  ASSERT_EQ(o.server, SEC_E_OK);
  // Client: the final SEC_E_OK came with the authInfo token (the last statuses).
  EXPECT_EQ(p.client.statuses.back(), SEC_E_OK);
  EXPECT_EQ(p.server.statuses.back(), SEC_E_OK);
  EXPECT_NE(p.client.attrs & ISC_RET_DELEGATE, 0u);
  EXPECT_NE(p.client.attrs & ISC_RET_MUTUAL_AUTH, 0u);
  EXPECT_NE(p.client.attrs & ISC_RET_CONFIDENTIALITY, 0u);
  EXPECT_NE(p.server.attrs & ASC_RET_DELEGATE, 0u);

  OCS_CREDSSP_INFO ci = Info(p.client), si = Info(p.server);
  EXPECT_EQ(ci.CredSspVersion, static_cast<ULONG>(version));
  EXPECT_EQ(si.CredSspVersion, static_cast<ULONG>(version));
  EXPECT_EQ(si.PeerCredSspVersion, static_cast<ULONG>(version));
  EXPECT_EQ(ci.PeerCredSspVersion, 6u);  // each side sends its own version
  EXPECT_EQ(ci.TlsVersion, static_cast<ULONG>(tls));
  EXPECT_EQ(si.TlsVersion, static_cast<ULONG>(tls));
  EXPECT_EQ(si.InnerIsSpnego, raw ? 0u : 1u);
  ExpectDelegatedPassword(p.server, kDomain, kUser, kPassword);
}

INSTANTIATE_TEST_SUITE_P(
    All, Matrix,
    ::testing::Combine(::testing::Values(2, 3, 4, 5, 6),
                       ::testing::Values(ocs::tls::kTls12, ocs::tls::kTls13), ::testing::Bool()),
    [](const auto& pinfo) {
      return "v" + std::to_string(std::get<0>(pinfo.param)) +
             (std::get<1>(pinfo.param) == ocs::tls::kTls12 ? "_tls12" : "_tls13") +
             (std::get<2>(pinfo.param) ? "_raw" : "_spnego");
    });

// ---- wrong password: errorCode for 3, 4, 6; abort for 2, 5 ------------------------------

class WrongPassword : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(WrongPassword, ErrorCodeOrAbort) {
  auto [version, raw] = GetParam();
  Pair p("not-the-password");
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.CredSspVersion = static_cast<ULONG>(version);
  cs.MinCredSspVersion = 2;
  cs.Flags = raw ? OCS_CREDSSP_F_RAW_NTLM : 0;
  ss.MinCredSspVersion = 2;
  p.Init(cs, ss);
  Outcome o = Handshake(p.client, p.server);
  EXPECT_EQ(o.server, SEC_E_LOGON_DENIED);
  const bool error_code = version == 3 || version == 4 || version == 6;
  EXPECT_EQ(o.server_sent_on_failure, error_code);
  if (error_code) {
    // The client read errorCode (STATUS_LOGON_FAILURE) and failed with it.
    EXPECT_EQ(o.client, SEC_E_LOGON_DENIED);
    EXPECT_EQ(static_cast<uint32_t>(Info(p.client).PeerErrorCode), 0xC000006Du);
  } else {
    // Abort path: the client gets nothing back and is still waiting.
    EXPECT_EQ(o.client, SEC_I_CONTINUE_NEEDED);
    EXPECT_EQ(Info(p.client).PeerErrorCode, 0);
  }
  // The server has no delegated credentials.
  SecPkgContext_ClientCreds cc{};
  if (p.server.have) {
    EXPECT_NE(T()->QueryContextAttributesW(&p.server.ctx, SECPKG_ATTR_CREDS, &cc), SEC_E_OK);
  }
}

INSTANTIATE_TEST_SUITE_P(All, WrongPassword,
                         ::testing::Combine(::testing::Values(2, 3, 4, 5, 6), ::testing::Bool()),
                         [](const auto& pinfo) {
                           return "v" + std::to_string(std::get<0>(pinfo.param)) +
                                  (std::get<1>(pinfo.param) ? "_raw" : "_spnego");
                         });

// ---- TLS records one byte at a time --------------------------------------------------------

class Trickle : public ::testing::TestWithParam<int> {};

TEST_P(Trickle, OneByteAtATimeGoesThroughIncompleteMessage) {
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.TlsMinVersion = cs.TlsMaxVersion = static_cast<ULONG>(GetParam());
  p.Init(cs, ss);
  Outcome o = Handshake(p.client, p.server, /*trickle=*/true);
  ASSERT_EQ(o.client, SEC_E_OK);
  ASSERT_EQ(o.server, SEC_E_OK);
  EXPECT_GT(p.client.incomplete, 100);
  EXPECT_GT(p.server.incomplete, 100);
  ExpectDelegatedPassword(p.server, kDomain, kUser, kPassword);
}

INSTANTIATE_TEST_SUITE_P(All, Trickle, ::testing::Values(ocs::tls::kTls12, ocs::tls::kTls13));

// ---- version policy -------------------------------------------------------------------------

TEST(CredSspPolicy, ServerRefusesOldClientByDefaultWithNotSupported) {
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.CredSspVersion = 4;
  cs.MinCredSspVersion = 2;
  p.Init(cs, ss);  // server default minimum: 5
  Outcome o = Handshake(p.client, p.server);
  EXPECT_EQ(o.server, SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_TRUE(o.server_sent_on_failure);  // v4 has errorCode: STATUS_NOT_SUPPORTED
  EXPECT_EQ(o.client, SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_EQ(static_cast<uint32_t>(Info(p.client).PeerErrorCode), 0xC00000BBu);
}

TEST(CredSspPolicy, ClientRefusesOldServerByDefault) {
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  ss.CredSspVersion = 3;
  ss.MinCredSspVersion = 2;
  p.Init(cs, ss);  // client default minimum: 5
  Outcome o = Handshake(p.client, p.server);
  EXPECT_EQ(o.client, SEC_E_UNSUPPORTED_FUNCTION);
}

TEST(CredSspPolicy, NoNonceAtV5IsRefused) {
  for (ULONG v : {5u, 6u}) {
    Pair p;
    OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
    cs.CredSspVersion = v;
    cs.Flags = OCS_CREDSSP_F_TEST_ENABLE | OCS_CREDSSP_F_TEST_OMIT_NONCE | OCS_CREDSSP_F_RAW_NTLM;
    p.Init(cs, ss);
    Outcome o = Handshake(p.client, p.server);
    EXPECT_EQ(o.server, SEC_E_INVALID_TOKEN) << v;
    EXPECT_NE(o.client, SEC_E_OK) << v;
  }
}

TEST(CredSspPolicy, TestFlagsNeedTheEnableBit) {
  // Without OCS_CREDSSP_F_TEST_ENABLE a tamper flag does nothing.
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.Flags = OCS_CREDSSP_F_TEST_TAMPER_PUBKEYAUTH | OCS_CREDSSP_F_TEST_TAMPER_AUTHINFO;
  p.Init(cs, ss);
  Outcome o = Handshake(p.client, p.server);
  EXPECT_EQ(o.client, SEC_E_OK);
  EXPECT_EQ(o.server, SEC_E_OK);
}

// ---- tampering -------------------------------------------------------------------------------

TEST(CredSspTamper, ClientPubKeyAuthRefusedByServer) {
  for (bool raw : {true, false}) {
    Pair p;
    OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
    cs.Flags = OCS_CREDSSP_F_TEST_ENABLE | OCS_CREDSSP_F_TEST_TAMPER_PUBKEYAUTH |
               (raw ? OCS_CREDSSP_F_RAW_NTLM : 0);
    p.Init(cs, ss);
    Outcome o = Handshake(p.client, p.server);
    EXPECT_EQ(o.server, SEC_E_MESSAGE_ALTERED) << raw;
    EXPECT_FALSE(o.server_sent_on_failure);
  }
}

TEST(CredSspTamper, ServerPubKeyAuthRefusedByClientBeforeCredentials) {
  for (ULONG v : {3u, 6u}) {
    Pair p;
    OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
    cs.CredSspVersion = v;
    cs.MinCredSspVersion = 2;
    ss.MinCredSspVersion = 2;
    ss.Flags = OCS_CREDSSP_F_TEST_ENABLE | OCS_CREDSSP_F_TEST_TAMPER_PUBKEYAUTH;
    p.Init(cs, ss);
    Outcome o = Handshake(p.client, p.server);
    EXPECT_EQ(o.client, SEC_E_MESSAGE_ALTERED) << v;
    EXPECT_EQ(o.server, SEC_I_CONTINUE_NEEDED) << v;  // never got authInfo
    EXPECT_FALSE(p.server.done);
  }
}

TEST(CredSspTamper, AuthInfoRefusedByServer) {
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.Flags = OCS_CREDSSP_F_TEST_ENABLE | OCS_CREDSSP_F_TEST_TAMPER_AUTHINFO;
  p.Init(cs, ss);
  Outcome o = Handshake(p.client, p.server);
  EXPECT_EQ(o.client, SEC_E_OK);  // the client cannot know
  EXPECT_EQ(o.server, SEC_E_MESSAGE_ALTERED);
  SecPkgContext_ClientCreds cc{};
  EXPECT_NE(T()->QueryContextAttributesW(&p.server.ctx, SECPKG_ATTR_CREDS, &cc), SEC_E_OK);
}

// ---- a man in the middle ------------------------------------------------------------------
// The client's TLS peer is a relay holding another key (K2); it decrypts the client's
// TSRequests and re-encrypts them towards the real server (K1). The relay sees every
// plaintext TSRequest, so the test checks that no authInfo ever left the client.

struct MitmResult {
  // The server has answered nothing yet: "continue" until it fails or finishes.
  SECURITY_STATUS client = SEC_E_INTERNAL_ERROR, server = SEC_I_CONTINUE_NEEDED;
  int client_requests = 0;
  bool saw_auth_info = false;
  bool saw_pub_key_auth = false;
};

MitmResult RunMitm(Pair& p, std::shared_ptr<ocs::tls::ServerIdentity> relay_key = nullptr,
                   std::vector<ocs::credssp::TsRequest>* c2s = nullptr,
                   std::vector<ocs::credssp::TsRequest>* s2c = nullptr) {
  MitmResult m;
  std::string err;
  // By default a key the real server does not hold.
  auto k2 = relay_key != nullptr ? relay_key : LoadPem(2).id;
  ocs::tls::Config sc;
  sc.identity = k2;
  auto to_victim = ocs::tls::Connection::Create(ocs::Role::kServer, sc, &err);
  auto to_server = ocs::tls::Connection::Create(ocs::Role::kClient, ocs::tls::Config{}, &err);
  if (to_victim == nullptr || to_server == nullptr) {
    ADD_FAILURE() << err;
    return m;
  }
  // TLS towards the real server first.
  Bytes wire_s;
  (void)to_server->Handshake();
  to_server->TakeOutput(reinterpret_cast<ocs::Bytes*>(&wire_s));
  for (int i = 0; i < 5 && !to_server->HandshakeDone(); ++i) {
    CallResult r = Call(p.server, &wire_s);
    wire_s.clear();
    to_server->Feed(ocs::AsBytes(r.out.data(), r.out.size()));
    (void)to_server->Handshake();
    to_server->TakeOutput(reinterpret_cast<ocs::Bytes*>(&wire_s));
  }
  if (!to_server->HandshakeDone()) {
    ADD_FAILURE() << "relay TLS to server failed";
    return m;
  }
  CallResult c = Call(p.client, nullptr);
  m.client = c.st;
  for (int i = 0; i < 20 && m.client >= 0; ++i) {
    to_victim->Feed(ocs::AsBytes(c.out.data(), c.out.size()));
    if (!to_victim->HandshakeDone()) (void)to_victim->Handshake();
    if (to_victim->HandshakeDone()) {
      ocs::Bytes plain;
      (void)to_victim->Read(&plain);
      if (!plain.empty()) {
        ocs::credssp::TsRequest req;
        EXPECT_TRUE(ocs::credssp::DecodeTsRequest(plain, &req));
        ++m.client_requests;
        m.saw_auth_info |= req.auth_info.has_value();
        m.saw_pub_key_auth |= req.pub_key_auth.has_value();
        if (c2s != nullptr) c2s->push_back(req);
        EXPECT_TRUE(to_server->Write(plain));
        ocs::Bytes rec;
        to_server->TakeOutput(&rec);
        wire_s.insert(wire_s.end(), reinterpret_cast<uint8_t*>(rec.data()),
                      reinterpret_cast<uint8_t*>(rec.data()) + rec.size());
        CallResult r = Call(p.server, &wire_s);
        wire_s.clear();
        m.server = r.st;
        to_server->Feed(ocs::AsBytes(r.out.data(), r.out.size()));
        ocs::Bytes back;
        (void)to_server->Read(&back);
        if (!back.empty()) {
          if (s2c != nullptr) {
            ocs::credssp::TsRequest resp;
            EXPECT_TRUE(ocs::credssp::DecodeTsRequest(back, &resp));
            s2c->push_back(resp);
          }
          EXPECT_TRUE(to_victim->Write(back));
        }
      }
    }
    ocs::Bytes to_client;
    to_victim->TakeOutput(&to_client);
    if (to_client.empty() || m.server < 0 || p.client.done) break;
    Bytes in(reinterpret_cast<uint8_t*>(to_client.data()),
             reinterpret_cast<uint8_t*>(to_client.data()) + to_client.size());
    c = Call(p.client, &in);
    m.client = c.st;
    if (c.st < 0) {
      EXPECT_TRUE(c.out.empty());  // nothing at all leaves a refusing client
      break;
    }
  }
  return m;
}

class Mitm : public ::testing::TestWithParam<int> {};

TEST_P(Mitm, ClientRefusesBeforeSendingCredentials) {
  // The real server is made an accomplice (it does not check the client's binding), so its
  // pubKeyAuth reaches the client: it binds K1, while the client's TLS peer holds K2.
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.CredSspVersion = static_cast<ULONG>(GetParam());
  cs.MinCredSspVersion = 2;
  ss.MinCredSspVersion = 2;
  ss.Flags = OCS_CREDSSP_F_TEST_ENABLE | OCS_CREDSSP_F_TEST_SKIP_PUBKEY_CHECK;
  p.Init(cs, ss);
  MitmResult m = RunMitm(p);
  EXPECT_TRUE(m.saw_pub_key_auth);
  EXPECT_EQ(m.client, SEC_E_MUTUAL_AUTH_FAILED);
  EXPECT_FALSE(m.saw_auth_info);
  EXPECT_FALSE(p.client.done);
}

TEST_P(Mitm, ServerRefusesBindingOfAnotherKey) {
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.CredSspVersion = static_cast<ULONG>(GetParam());
  cs.MinCredSspVersion = 2;
  ss.MinCredSspVersion = 2;
  p.Init(cs, ss);
  MitmResult m = RunMitm(p);
  EXPECT_EQ(m.server, SEC_E_MUTUAL_AUTH_FAILED);
  EXPECT_FALSE(m.saw_auth_info);
}

INSTANTIATE_TEST_SUITE_P(All, Mitm, ::testing::Values(3, 6));

// ---- the messages themselves, seen by a relay that holds the server's own key ---------------

// SeqNum of a wrapped blob: NTLMSSP_MESSAGE_SIGNATURE {Version 1, Checksum(8), SeqNum(4)}.
uint32_t SeqNum(const ocs::Bytes& wrapped) {
  EXPECT_GE(wrapped.size(), 16u);
  if (wrapped.size() < 16) return 0xffffffff;
  EXPECT_EQ(wrapped[0], std::byte{1});
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::to_integer<uint32_t>(wrapped[12 + i]) << (8 * i);
  return v;
}

class Wire : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(Wire, MessageShapeAndSequenceNumbers) {
  auto [version, raw] = GetParam();
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.CredSspVersion = static_cast<ULONG>(version);
  cs.MinCredSspVersion = 2;
  cs.Flags = raw ? OCS_CREDSSP_F_RAW_NTLM : 0;
  ss.MinCredSspVersion = 2;
  p.Init(cs, ss);
  std::vector<ocs::credssp::TsRequest> c2s, s2c;
  MitmResult m = RunMitm(p, LoadPem(0).id, &c2s, &s2c);  // the server's own key: binding holds
  ASSERT_EQ(m.client, SEC_E_OK);
  ASSERT_EQ(m.server, SEC_E_OK);
  ExpectDelegatedPassword(p.server, kDomain, kUser, kPassword);
  // Flow A: NEGOTIATE; AUTHENTICATE + pubKeyAuth; authInfo. The server: CHALLENGE; pubKeyAuth.
  ASSERT_EQ(c2s.size(), 3u);
  ASSERT_EQ(s2c.size(), 2u);
  const bool nonce = version >= 5;
  const ocs::Bytes ntlmssp = {std::byte{'N'}, std::byte{'T'}, std::byte{'L'}, std::byte{'M'},
                              std::byte{'S'}, std::byte{'S'}, std::byte{'P'}, std::byte{0}};
  for (const auto& r : c2s) EXPECT_EQ(r.version, static_cast<uint32_t>(version));
  for (const auto& r : s2c) EXPECT_EQ(r.version, 6u);  // each side sends its own
  ASSERT_EQ(c2s[0].nego_tokens.size(), 1u);
  const ocs::Bytes& first = c2s[0].nego_tokens[0];
  if (raw) {
    ASSERT_GE(first.size(), 8u);
    EXPECT_TRUE(std::equal(ntlmssp.begin(), ntlmssp.end(), first.begin()));
  } else {
    EXPECT_EQ(first[0], std::byte{0x60});  // GSS InitialContextToken around NegTokenInit
  }
  EXPECT_EQ(c2s[0].client_nonce.has_value(), nonce);
  // AUTHENTICATE with pubKeyAuth in the same TSRequest.
  ASSERT_EQ(c2s[1].nego_tokens.size(), 1u);
  ASSERT_TRUE(c2s[1].pub_key_auth.has_value());
  EXPECT_EQ(c2s[1].client_nonce.has_value(), nonce);
  EXPECT_EQ(c2s[1].pub_key_auth->size(), 16u + (nonce ? 32u : 270u));  // hash, or the RSA key
  // credssp.md 4.2/4.3: raw NTLM 0 / 0 / 1; SPNEGO (mechListMIC took 0) 1 / 1 / 2.
  EXPECT_EQ(SeqNum(*c2s[1].pub_key_auth), raw ? 0u : 1u);
  ASSERT_TRUE(s2c[1].pub_key_auth.has_value());
  EXPECT_EQ(SeqNum(*s2c[1].pub_key_auth), raw ? 0u : 1u);
  EXPECT_EQ(s2c[1].nego_tokens.size(), raw ? 0u : 1u);  // SPNEGO's final mechListMIC token
  EXPECT_FALSE(s2c[0].pub_key_auth.has_value());
  ASSERT_TRUE(c2s[2].auth_info.has_value());
  EXPECT_TRUE(c2s[2].nego_tokens.empty());
  EXPECT_FALSE(c2s[2].pub_key_auth.has_value());
  EXPECT_EQ(SeqNum(*c2s[2].auth_info), raw ? 1u : 2u);
  for (const auto& r : s2c) EXPECT_FALSE(r.error_code.has_value());
}

TEST(WireVersions, ServerAtFourMeansEchoEvenFromAVersionSixClient) {
  // The negotiated version (min(6, 4) = 4) decides the pubKeyAuth form, not the nonce the
  // client sent in its first message because it speaks 6.
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.MinCredSspVersion = 2;
  cs.Flags = OCS_CREDSSP_F_RAW_NTLM;
  ss.CredSspVersion = 4;
  ss.MinCredSspVersion = 2;
  p.Init(cs, ss);
  std::vector<ocs::credssp::TsRequest> c2s, s2c;
  MitmResult m = RunMitm(p, LoadPem(0).id, &c2s, &s2c);
  ASSERT_EQ(m.client, SEC_E_OK);
  ASSERT_EQ(m.server, SEC_E_OK);
  ASSERT_EQ(c2s.size(), 3u);
  EXPECT_EQ(c2s[0].version, 6u);
  EXPECT_TRUE(c2s[0].client_nonce.has_value());
  for (const auto& r : s2c) EXPECT_EQ(r.version, 4u);
  ASSERT_TRUE(c2s[1].pub_key_auth.has_value());
  EXPECT_EQ(c2s[1].pub_key_auth->size(), 16u + 270u);  // the echoed RSA key, not a hash
  EXPECT_EQ(Info(p.client).CredSspVersion, 4u);
  EXPECT_EQ(Info(p.server).CredSspVersion, 4u);
  ExpectDelegatedPassword(p.server, kDomain, kUser, kPassword);
}

TEST(WireVersions, FlowBShapeAndSequenceNumbers) {
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.Flags = OCS_CREDSSP_F_LATE_PUBKEYAUTH;
  p.Init(cs, ss);
  std::vector<ocs::credssp::TsRequest> c2s, s2c;
  MitmResult m = RunMitm(p, LoadPem(0).id, &c2s, &s2c);
  ASSERT_EQ(m.client, SEC_E_OK);
  ASSERT_EQ(m.server, SEC_E_OK);
  // NegTokenInit; AUTHENTICATE (+MIC) alone; pubKeyAuth + nonce; authInfo.
  ASSERT_EQ(c2s.size(), 4u);
  ASSERT_EQ(s2c.size(), 3u);
  EXPECT_FALSE(c2s[1].pub_key_auth.has_value());
  EXPECT_EQ(c2s[1].nego_tokens.size(), 1u);
  EXPECT_EQ(s2c[1].nego_tokens.size(), 1u);  // the server's final SPNEGO token alone
  EXPECT_FALSE(s2c[1].pub_key_auth.has_value());
  ASSERT_TRUE(c2s[2].pub_key_auth.has_value());
  EXPECT_TRUE(c2s[2].nego_tokens.empty());
  EXPECT_TRUE(c2s[2].client_nonce.has_value());
  EXPECT_EQ(SeqNum(*c2s[2].pub_key_auth), 1u);
  ASSERT_TRUE(s2c[2].pub_key_auth.has_value());
  EXPECT_EQ(SeqNum(*s2c[2].pub_key_auth), 1u);
  ASSERT_TRUE(c2s[3].auth_info.has_value());
  EXPECT_EQ(SeqNum(*c2s[3].auth_info), 2u);
  ExpectDelegatedPassword(p.server, kDomain, kUser, kPassword);
}

INSTANTIATE_TEST_SUITE_P(All, Wire, ::testing::Combine(::testing::Values(3, 6), ::testing::Bool()),
                         [](const auto& pinfo) {
                           return "v" + std::to_string(std::get<0>(pinfo.param)) +
                                  (std::get<1>(pinfo.param) ? "_raw" : "_spnego");
                         });

// ---- flow B, ECDSA, identities ------------------------------------------------------------

TEST(CredSspFlows, LatePubKeyAuthFlowB) {
  Pair p;
  OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
  cs.Flags = OCS_CREDSSP_F_LATE_PUBKEYAUTH;
  p.Init(cs, ss);
  Outcome o = Handshake(p.client, p.server);
  ASSERT_EQ(o.client, SEC_E_OK);
  ASSERT_EQ(o.server, SEC_E_OK);
  ExpectDelegatedPassword(p.server, kDomain, kUser, kPassword);
}

TEST(CredSspFlows, EcdsaServerKey) {
  for (int tls : {ocs::tls::kTls12, ocs::tls::kTls13}) {
    Pair p;
    OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
    cs.TlsMinVersion = cs.TlsMaxVersion = static_cast<ULONG>(tls);
    p.Init(cs, ss, /*ec=*/true);
    Outcome o = Handshake(p.client, p.server);
    ASSERT_EQ(o.client, SEC_E_OK);
    ASSERT_EQ(o.server, SEC_E_OK);
    ExpectDelegatedPassword(p.server, kDomain, kUser, kPassword);
  }
}

TEST(CredSspFlows, GeneratedCertificateAndRemoteCert) {
  // No certificate named anywhere: the server makes one; the client reads it back.
  Cred sc, cc;
  AcquireServer(&sc, BaseSettings());
  ASSERT_EQ(sc.st, SEC_E_OK);
  ClientIdentity id;
  AcquireClient(&cc, BaseSettings(), &id.id);
  ASSERT_EQ(cc.st, SEC_E_OK);
  Side s{ocs::Role::kServer}, c{ocs::Role::kClient};
  s.cred = sc.h;
  c.cred = cc.h;
  Outcome o = Handshake(c, s);
  ASSERT_EQ(o.client, SEC_E_OK);
  ASSERT_EQ(o.server, SEC_E_OK);
  OCS_CREDSSP_CERT_BLOB remote{}, local{};
  ASSERT_EQ(T()->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &remote), SEC_E_OK);
  ASSERT_EQ(T()->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_LOCAL_CERT_CONTEXT, &local), SEC_E_OK);
  ASSERT_GT(remote.cbCertEncoded, 100u);
  EXPECT_EQ(Bytes(remote.pbCertEncoded, remote.pbCertEncoded + remote.cbCertEncoded),
            Bytes(local.pbCertEncoded, local.pbCertEncoded + local.cbCertEncoded));
  const unsigned char* q = remote.pbCertEncoded;
  X509* x = d2i_X509(nullptr, &q, remote.cbCertEncoded);
  EXPECT_NE(x, nullptr);
  X509_free(x);
  T()->FreeContextBuffer(remote.pbCertEncoded);
  T()->FreeContextBuffer(local.pbCertEncoded);
}

TEST(CredSspFlows, IdentityForms) {
  // SEC_WINNT_AUTH_IDENTITY_A, _EXW, and a bare identity as pAuthData.
  std::string user = kUser, dom = kDomain, pw = kPassword;
  SEC_WINNT_AUTH_IDENTITY_A a{};
  a.User = reinterpret_cast<unsigned char*>(user.data());
  a.UserLength = static_cast<ULONG>(user.size());
  a.Domain = reinterpret_cast<unsigned char*>(dom.data());
  a.DomainLength = static_cast<ULONG>(dom.size());
  a.Password = reinterpret_cast<unsigned char*>(pw.data());
  a.PasswordLength = static_cast<ULONG>(pw.size());
  a.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  ClientIdentity w;
  SEC_WINNT_AUTH_IDENTITY_EXW ex{};
  ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
  ex.Length = sizeof ex;
  ex.User = w.id.User;
  ex.UserLength = w.id.UserLength;
  ex.Domain = w.id.Domain;
  ex.DomainLength = w.id.DomainLength;
  ex.Password = w.id.Password;
  ex.PasswordLength = w.id.PasswordLength;
  ex.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  for (int form = 0; form < 3; ++form) {
    Cred sc, cc;
    OCS_CREDSSP_SETTINGS ss = BaseSettings();
    const Pem& pem = ServerPem(false);
    ss.CertPem = reinterpret_cast<const unsigned char*>(pem.cert.data());
    ss.CertPemLength = static_cast<ULONG>(pem.cert.size());
    ss.KeyPem = reinterpret_cast<const unsigned char*>(pem.key.data());
    ss.KeyPemLength = static_cast<ULONG>(pem.key.size());
    AcquireServer(&sc, ss);
    ASSERT_EQ(sc.st, SEC_E_OK);
    auto pkg = W("CREDSSP");
    if (form == 2) {
      cc.st = T()->AcquireCredentialsHandleW(nullptr, pkg.data(), SECPKG_CRED_OUTBOUND, nullptr,
                                             &w.id, nullptr, nullptr, &cc.h, nullptr);
    } else {
      AcquireClient(&cc, BaseSettings(), form == 0 ? static_cast<void*>(&a) : static_cast<void*>(&ex));
    }
    ASSERT_EQ(cc.st, SEC_E_OK) << form;
    Side s{ocs::Role::kServer}, c{ocs::Role::kClient};
    s.cred = sc.h;
    c.cred = cc.h;
    Outcome o = Handshake(c, s);
    ASSERT_EQ(o.client, SEC_E_OK) << form;
    ASSERT_EQ(o.server, SEC_E_OK) << form;
    ExpectDelegatedPassword(s, kDomain, kUser, kPassword);
  }
}

TEST(CredSspFlows, CertificateFromEnvironment) {
  const char* dir = std::getenv("OCS_TEST_DATA");
  ASSERT_NE(dir, nullptr);
  std::string base = std::string(dir) + "/credssp/data/ec256";
  setenv("OPENCREDSSP_CERT", (base + ".crt").c_str(), 1);
  setenv("OPENCREDSSP_KEY", (base + ".key").c_str(), 1);
  Cred sc, cc, bad;
  AcquireServer(&sc, BaseSettings());
  setenv("OPENCREDSSP_KEY", (std::string(dir) + "/credssp/data/rsa2048.key").c_str(), 1);
  AcquireServer(&bad, BaseSettings());  // key does not match the certificate
  unsetenv("OPENCREDSSP_CERT");
  unsetenv("OPENCREDSSP_KEY");
  ASSERT_EQ(sc.st, SEC_E_OK);
  EXPECT_EQ(bad.st, SEC_E_UNKNOWN_CREDENTIALS);
  ClientIdentity id;
  AcquireClient(&cc, BaseSettings(), &id.id);
  Side s{ocs::Role::kServer}, c{ocs::Role::kClient};
  s.cred = sc.h;
  c.cred = cc.h;
  Outcome o = Handshake(c, s);
  ASSERT_EQ(o.server, SEC_E_OK);
  OCS_CREDSSP_CERT_BLOB remote{};
  ASSERT_EQ(T()->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &remote), SEC_E_OK);
  auto d = LoadPem(1).id->CertDer();
  EXPECT_EQ(Bytes(remote.pbCertEncoded, remote.pbCertEncoded + remote.cbCertEncoded),
            Bytes(reinterpret_cast<uint8_t*>(d.data()), reinterpret_cast<uint8_t*>(d.data()) + d.size()));
  T()->FreeContextBuffer(remote.pbCertEncoded);
}

TEST(CredSspFlows, SetCredentialsAttributesSettings) {
  // Settings through SetCredentialsAttributesW instead of pSchannelCred.
  Cred sc, cc;
  auto pkg = W("CREDSSP");
  sc.st = T()->AcquireCredentialsHandleW(nullptr, pkg.data(), SECPKG_CRED_INBOUND, nullptr,
                                         nullptr, nullptr, nullptr, &sc.h, nullptr);
  ASSERT_EQ(sc.st, SEC_E_OK);
  OCS_CREDSSP_SETTINGS ss = BaseSettings();
  const Pem& pem = ServerPem(true);
  ss.CertPem = reinterpret_cast<const unsigned char*>(pem.cert.data());
  ss.CertPemLength = static_cast<ULONG>(pem.cert.size());
  ss.KeyPem = reinterpret_cast<const unsigned char*>(pem.key.data());
  ss.KeyPemLength = static_cast<ULONG>(pem.key.size());
  ASSERT_EQ(T()->SetCredentialsAttributesW(&sc.h, OCS_SECPKG_CRED_ATTR_CREDSSP_SETTINGS, &ss,
                                           sizeof ss),
            SEC_E_OK);
  OCS_CREDSSP_SETTINGS bad = ss;
  bad.CertPemLength = 10;
  EXPECT_EQ(T()->SetCredentialsAttributesW(&sc.h, OCS_SECPKG_CRED_ATTR_CREDSSP_SETTINGS, &bad,
                                           sizeof bad),
            SEC_E_UNKNOWN_CREDENTIALS);
  ClientIdentity id;
  AcquireClient(&cc, BaseSettings(), &id.id);
  Side s{ocs::Role::kServer}, c{ocs::Role::kClient};
  s.cred = sc.h;
  c.cred = cc.h;
  Outcome o = Handshake(c, s);
  ASSERT_EQ(o.server, SEC_E_OK);
  OCS_CREDSSP_CERT_BLOB remote{};
  ASSERT_EQ(T()->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &remote), SEC_E_OK);
  EXPECT_EQ(Bytes(remote.pbCertEncoded, remote.pbCertEncoded + remote.cbCertEncoded),
            [&] {
              auto d = pem.id->CertDer();
              return Bytes(reinterpret_cast<uint8_t*>(d.data()), reinterpret_cast<uint8_t*>(d.data()) + d.size());
            }());
  T()->FreeContextBuffer(remote.pbCertEncoded);
}

TEST(CredSspFlows, NoDelegateFlagSendsEmptyCredentials) {
  Pair p;
  p.Init(BaseSettings(), BaseSettings());
  // Run by hand without ISC_REQ_DELEGATE: use RunHandshake from the testlib.
  ocs::testlib::HandshakeOptions opt;
  opt.isc_req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY;
  opt.allocate_memory = true;
  auto r = ocs::testlib::RunHandshake(T(), p.client.cred, T(), p.server.cred, opt);
  ASSERT_TRUE(r.ok()) << r.error << " " << std::hex << r.client_status << " " << r.server_status;
  Side s{ocs::Role::kServer};
  s.ctx = r.server_ctx;
  ExpectDelegatedPassword(s, "", "", "");
  ocs::testlib::DeleteHandshakeContexts(&r, T(), T());
}

// ---- after the handshake: attributes and EncryptMessage / DecryptMessage -----------------

class Stream : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    OCS_CREDSSP_SETTINGS cs = BaseSettings(), ss = BaseSettings();
    cs.TlsMinVersion = cs.TlsMaxVersion = static_cast<ULONG>(GetParam());
    p_.Init(cs, ss);
    Outcome o = Handshake(p_.client, p_.server);
    ASSERT_EQ(o.client, SEC_E_OK);
    ASSERT_EQ(o.server, SEC_E_OK);
  }

  // Send encrypts `msg` on `from` in cbMaximumMessage pieces (one record each).
  Bytes Send(Side& from, const Bytes& msg) {
    SecPkgContext_StreamSizes sz{};
    EXPECT_EQ(T()->QueryContextAttributesW(&from.ctx, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_OK);
    Bytes wire;
    for (size_t off = 0; off < msg.size();) {
      size_t n = std::min<size_t>(sz.cbMaximumMessage, msg.size() - off);
      Bytes rec(sz.cbHeader + n + sz.cbTrailer);
      std::memcpy(rec.data() + sz.cbHeader, msg.data() + off, n);
      SecBuffer b[4] = {{sz.cbHeader, SECBUFFER_STREAM_HEADER, rec.data()},
                        {static_cast<ULONG>(n), SECBUFFER_DATA, rec.data() + sz.cbHeader},
                        {sz.cbTrailer, SECBUFFER_STREAM_TRAILER, rec.data() + sz.cbHeader + n},
                        {0, SECBUFFER_EMPTY, nullptr}};
      SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
      EXPECT_EQ(T()->EncryptMessage(&from.ctx, 0, &d, 0), SEC_E_OK);
      EXPECT_EQ(b[0].cbBuffer, sz.cbHeader);
      wire.insert(wire.end(), rec.begin(), rec.begin() + b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);
      off += n;
    }
    return wire;
  }

  // Receive decrypts a byte stream the Schannel way (DATA in, HEADER/DATA/TRAILER/EXTRA out).
  Bytes Receive(Side& to, Bytes wire) {
    Bytes plain;
    while (!wire.empty()) {
      SecBuffer b[4] = {{static_cast<ULONG>(wire.size()), SECBUFFER_DATA, wire.data()},
                        {0, SECBUFFER_EMPTY, nullptr},
                        {0, SECBUFFER_EMPTY, nullptr},
                        {0, SECBUFFER_EMPTY, nullptr}};
      SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
      ULONG qop = 1;
      SECURITY_STATUS st = T()->DecryptMessage(&to.ctx, &d, 0, &qop);
      EXPECT_EQ(st, SEC_E_OK);
      if (st != SEC_E_OK) break;
      EXPECT_EQ(b[0].BufferType, static_cast<ULONG>(SECBUFFER_STREAM_HEADER));
      EXPECT_EQ(b[1].BufferType, static_cast<ULONG>(SECBUFFER_DATA));
      EXPECT_EQ(b[2].BufferType, static_cast<ULONG>(SECBUFFER_STREAM_TRAILER));
      const auto* p = static_cast<const uint8_t*>(b[1].pvBuffer);
      plain.insert(plain.end(), p, p + b[1].cbBuffer);
      if (b[3].BufferType == SECBUFFER_EXTRA) {
        Bytes rest(wire.end() - b[3].cbBuffer, wire.end());
        wire = std::move(rest);
      } else {
        EXPECT_EQ(b[3].BufferType, static_cast<ULONG>(SECBUFFER_EMPTY));
        wire.clear();
      }
    }
    return plain;
  }

  Pair p_;
};

TEST_P(Stream, RoundTripsFromOneByteToOneMiB) {
  for (size_t n : {size_t{1}, size_t{2}, size_t{100}, size_t{16383}, size_t{16384}, size_t{16385},
                   size_t{65536 + 7}, size_t{1} << 20}) {
    Bytes msg(n);
    for (size_t i = 0; i < n; ++i) msg[i] = static_cast<uint8_t>(i * 131 + n);
    EXPECT_EQ(Receive(p_.server, Send(p_.client, msg)), msg) << n;
    EXPECT_EQ(Receive(p_.client, Send(p_.server, msg)), msg) << n;
  }
}

TEST_P(Stream, IncompleteRecordAndTamper) {
  Bytes msg = {1, 2, 3, 4, 5};
  Bytes wire = Send(p_.client, msg);
  // All but the last byte: SEC_E_INCOMPLETE_MESSAGE with SECBUFFER_MISSING = 1.
  Bytes part(wire.begin(), wire.end() - 1);
  SecBuffer b[4] = {{static_cast<ULONG>(part.size()), SECBUFFER_DATA, part.data()},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
  EXPECT_EQ(T()->DecryptMessage(&p_.server.ctx, &d, 0, nullptr), SEC_E_INCOMPLETE_MESSAGE);
  EXPECT_EQ(b[1].BufferType, static_cast<ULONG>(SECBUFFER_MISSING));
  EXPECT_EQ(b[1].cbBuffer, 1u);
  // Three bytes only: the header is not even there.
  SecBuffer c[4] = {{3, SECBUFFER_DATA, wire.data()},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc dc = {SECBUFFER_VERSION, 4, c};
  EXPECT_EQ(T()->DecryptMessage(&p_.server.ctx, &dc, 0, nullptr), SEC_E_INCOMPLETE_MESSAGE);
  EXPECT_EQ(Receive(p_.server, wire), msg);
  // A flipped bit in the ciphertext: SEC_E_MESSAGE_ALTERED.
  Bytes wire2 = Send(p_.client, msg);
  wire2[wire2.size() - 3] ^= 1;
  SecBuffer e[4] = {{static_cast<ULONG>(wire2.size()), SECBUFFER_DATA, wire2.data()},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc de = {SECBUFFER_VERSION, 4, e};
  EXPECT_EQ(T()->DecryptMessage(&p_.server.ctx, &de, 0, nullptr), SEC_E_MESSAGE_ALTERED);
}

TEST_P(Stream, EncryptRefusesBadBuffers) {
  SecPkgContext_StreamSizes sz{};
  ASSERT_EQ(T()->QueryContextAttributesW(&p_.client.ctx, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_OK);
  Bytes rec(sz.cbHeader + 10 + sz.cbTrailer);
  SecBuffer b[4] = {{sz.cbHeader - 1, SECBUFFER_STREAM_HEADER, rec.data()},
                    {10, SECBUFFER_DATA, rec.data() + sz.cbHeader},
                    {sz.cbTrailer, SECBUFFER_STREAM_TRAILER, rec.data() + sz.cbHeader + 10},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
  EXPECT_EQ(T()->EncryptMessage(&p_.client.ctx, 0, &d, 0), SEC_E_BUFFER_TOO_SMALL);
  b[0].cbBuffer = sz.cbHeader;
  EXPECT_EQ(T()->EncryptMessage(&p_.client.ctx, 1, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
  b[1].BufferType = SECBUFFER_EMPTY;
  EXPECT_EQ(T()->EncryptMessage(&p_.client.ctx, 0, &d, 0), SEC_E_INVALID_TOKEN);
}

TEST_P(Stream, Attributes) {
  for (Side* s : {&p_.client, &p_.server}) {
    SecPkgContext_StreamSizes ss{};
    ASSERT_EQ(T()->QueryContextAttributesW(&s->ctx, SECPKG_ATTR_STREAM_SIZES, &ss), SEC_E_OK);
    EXPECT_EQ(ss.cbMaximumMessage, 16384u);
    EXPECT_EQ(ss.cBuffers, 4u);
    EXPECT_GE(ss.cbHeader, 5u);
    EXPECT_GE(ss.cbTrailer, 16u);
    SecPkgContext_Sizes sizes{};
    ASSERT_EQ(T()->QueryContextAttributesW(&s->ctx, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    EXPECT_GT(sizes.cbMaxToken, 0u);
    SecPkgContext_PackageInfoW pi{};
    ASSERT_EQ(T()->QueryContextAttributesW(&s->ctx, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
    ASSERT_NE(pi.PackageInfo, nullptr);
    EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(pi.PackageInfo->Name)), u"CREDSSP");
    T()->FreeContextBuffer(pi.PackageInfo);
    SecPkgContext_NegotiationInfoW ni{};
    ASSERT_EQ(T()->QueryContextAttributesW(&s->ctx, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    EXPECT_EQ(ni.NegotiationState, static_cast<ULONG>(SECPKG_NEGOTIATION_COMPLETE));
    T()->FreeContextBuffer(ni.PackageInfo);
    SecPkgContext_NamesW names{};
    ASSERT_EQ(T()->QueryContextAttributesW(&s->ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    ASSERT_NE(names.sUserName, nullptr);
    std::u16string n(reinterpret_cast<const char16_t*>(names.sUserName));
    EXPECT_NE(n.find(u"alice"), std::u16string::npos);
    T()->FreeContextBuffer(names.sUserName);
  }
  // The client has no delegated credentials; CredSSP does not sign.
  SecPkgContext_ClientCreds cc{};
  EXPECT_EQ(T()->QueryContextAttributesW(&p_.client.ctx, SECPKG_ATTR_CREDS, &cc),
            SEC_E_NO_CREDENTIALS);
  // A finished context refuses more handshake calls.
  Bytes junk = {0x17, 3, 3, 0, 1, 0};
  CallResult r = Call(p_.client, &junk);
  EXPECT_LT(r.st, 0);
}

INSTANTIATE_TEST_SUITE_P(All, Stream, ::testing::Values(ocs::tls::kTls12, ocs::tls::kTls13));

// ---- garbage and misuse ---------------------------------------------------------------------

TEST(CredSspMisuse, ServerRefusesNonTlsInput) {
  Pair p;
  p.Init(BaseSettings(), BaseSettings());
  Bytes junk = {0x30, 0x03, 0x02, 0x01, 0x06};  // a bare DER TSRequest, not a TLS record
  CallResult r = Call(p.server, &junk);
  EXPECT_EQ(r.st, SEC_E_INVALID_TOKEN);
  Bytes empty;
  Side s2{ocs::Role::kServer};
  s2.cred = p.server.cred;
  EXPECT_EQ(Call(s2, &empty).st, SEC_E_INVALID_TOKEN);
}

TEST(CredSspMisuse, WrongDirectionCredential) {
  Pair p;
  p.Init(BaseSettings(), BaseSettings());
  Side s{ocs::Role::kServer};
  s.cred = p.client.cred;  // an OUTBOUND credential used by AcceptSecurityContext
  Bytes hello = {0x16, 3, 1, 0, 1, 1};
  EXPECT_EQ(Call(s, &hello).st, SEC_E_WRONG_CREDENTIAL_HANDLE);
}

TEST(CredSspMisuse, BadSettingsRefusedAtAcquire) {
  Cred c;
  OCS_CREDSSP_SETTINGS s = BaseSettings();
  s.CredSspVersion = 7;
  AcquireServer(&c, s);
  EXPECT_EQ(c.st, SEC_E_UNKNOWN_CREDENTIALS);
  Cred d;
  s = BaseSettings();
  s.CertFile = "/nonexistent/cert.pem";
  AcquireServer(&d, s);
  EXPECT_EQ(d.st, SEC_E_UNKNOWN_CREDENTIALS);
}

}  // namespace
