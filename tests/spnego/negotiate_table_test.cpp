// negotiate_table_test.cpp - the Negotiate package through the public SSPI table of the built
// libopencredssp (dlopen, InitSecurityInterfaceW), over the real NTLM package:
// Negotiate <-> Negotiate, raw NTLM on the Negotiate server, our Negotiate client falling back
// to a raw NTLM answer, tampered mechListMIC / mechTypes, Kerberos-first, no common mech, and
// sealed / signed messages afterwards. Token contents are checked with our SPNEGO codec.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "spnego/spnego_messages.h"
#include "testlib/sspi_testlib.h"

namespace ocs::spnego {
namespace {

using testlib::W;
using U8 = std::vector<uint8_t>;

ByteSpan B(const U8& v) { return ByteSpan(reinterpret_cast<const std::byte*>(v.data()), v.size()); }
U8 ToU8(const Bytes& b) {
  U8 out(b.size());
  if (!b.empty()) std::memcpy(out.data(), b.data(), b.size());
  return out;
}

// Identity and user file shared by every test (gss-ntlmssp user-file format DOMAIN:USER:PASS).
constexpr char kUser[] = "alice";
constexpr char kDomain[] = "EXAMPLE";
constexpr char kPassword[] = "Secret123";

class NegotiateTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir_template[] = "/tmp/ocs-spnego-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    ASSERT_NE(dir, nullptr);
    users_path_ = std::string(dir) + "/users";
    std::ofstream(users_path_) << kDomain << ":" << kUser << ":" << kPassword << "\n";
    setenv("OPENCREDSSP_USERS", users_path_.c_str(), 1);
    std::string err;
    provider_ = testlib::LoadProvider(testlib::LibraryPath(), &err).release();
    ASSERT_NE(provider_, nullptr) << err;
  }
  static void TearDownTestSuite() {
    if (!users_path_.empty()) {
      unlink(users_path_.c_str());
      rmdir(users_path_.substr(0, users_path_.rfind('/')).c_str());
    }
  }

  void SetUp() override { ASSERT_NE(provider_, nullptr); t_ = provider_->w; }
  void TearDown() override {
    for (CredHandle& c : creds_) t_->FreeCredentialsHandle(&c);
  }

  CredHandle Acquire(const char* package, ULONG use, bool with_identity) {
    std::vector<uint16_t> user = W(kUser), domain = W(kDomain), pass = W(kPassword);
    SEC_WINNT_AUTH_IDENTITY_W id{};
    id.User = user.data();
    id.UserLength = static_cast<ULONG>(user.size() - 1);
    id.Domain = domain.data();
    id.DomainLength = static_cast<ULONG>(domain.size() - 1);
    id.Password = pass.data();
    id.PasswordLength = static_cast<ULONG>(pass.size() - 1);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    std::vector<uint16_t> name = W(package);
    CredHandle h{};
    TimeStamp ts{};
    const SECURITY_STATUS s = t_->AcquireCredentialsHandleW(
        nullptr, name.data(), use, nullptr, with_identity ? &id : nullptr, nullptr, nullptr, &h, &ts);
    EXPECT_EQ(s, SEC_E_OK) << package;
    creds_.push_back(h);
    return h;
  }
  CredHandle Client(const char* package = "Negotiate") {
    return Acquire(package, SECPKG_CRED_OUTBOUND, true);
  }
  CredHandle Server(const char* package = "Negotiate") {
    return Acquire(package, SECPKG_CRED_INBOUND, false);
  }

  // One ISC / ASC call with caller-allocated buffers.
  struct Ctx {
    CtxtHandle h{};
    bool have = false;
  };
  SECURITY_STATUS Isc(CredHandle cred, Ctx* ctx, const U8& in, U8* out) {
    U8 in_copy = in;
    SecBuffer ib = {static_cast<ULONG>(in_copy.size()), SECBUFFER_TOKEN, in_copy.data()};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    U8 mem(65536);
    SecBuffer ob = {static_cast<ULONG>(mem.size()), SECBUFFER_TOKEN, mem.data()};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0;
    CtxtHandle next{};
    const SECURITY_STATUS s = t_->InitializeSecurityContextW(
        &cred, ctx->have ? &ctx->h : nullptr, nullptr,
        ISC_REQ_CONNECTION | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0, SECURITY_NATIVE_DREP,
        in.empty() ? nullptr : &id, 0, &next, &od, &attrs, nullptr);
    if (!ctx->have && s >= 0) ctx->h = next, ctx->have = true;
    out->assign(mem.begin(), mem.begin() + ob.cbBuffer);
    return s;
  }
  SECURITY_STATUS Asc(CredHandle cred, Ctx* ctx, const U8& in, U8* out) {
    U8 in_copy = in;
    SecBuffer ib = {static_cast<ULONG>(in_copy.size()), SECBUFFER_TOKEN, in_copy.data()};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    U8 mem(65536);
    SecBuffer ob = {static_cast<ULONG>(mem.size()), SECBUFFER_TOKEN, mem.data()};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0;
    CtxtHandle next{};
    const SECURITY_STATUS s = t_->AcceptSecurityContext(
        &cred, ctx->have ? &ctx->h : nullptr, &id,
        ASC_REQ_CONNECTION | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY, SECURITY_NATIVE_DREP,
        &next, &od, &attrs, nullptr);
    if (!ctx->have && s >= 0) ctx->h = next, ctx->have = true;
    out->assign(mem.begin(), mem.begin() + ob.cbBuffer);
    return s;
  }
  void Delete(Ctx* c) {
    if (c->have) t_->DeleteSecurityContext(&c->h);
    c->have = false;
  }

  // Seal `text` with `from` and unseal with `to`; both through the table.
  void SealRoundTrip(CtxtHandle* from, CtxtHandle* to, const std::string& text) {
    SecPkgContext_Sizes sizes{};
    ASSERT_EQ(t_->QueryContextAttributesW(from, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    ASSERT_EQ(sizes.cbSecurityTrailer, 16u);
    std::string data = text;
    U8 trailer(sizes.cbSecurityTrailer);
    SecBuffer bufs[2] = {{static_cast<ULONG>(trailer.size()), SECBUFFER_TOKEN, trailer.data()},
                         {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
    SecBufferDesc desc = {SECBUFFER_VERSION, 2, bufs};
    ASSERT_EQ(t_->EncryptMessage(from, 0, &desc, 0), SEC_E_OK);
    EXPECT_NE(data, text);
    ULONG qop = 0;
    ASSERT_EQ(t_->DecryptMessage(to, &desc, 0, &qop), SEC_E_OK);
    EXPECT_EQ(data, text);
  }

  void ExpectPackage(CtxtHandle* h, const std::u16string& name, ULONG state) {
    SecPkgContext_NegotiationInfoW ni{};
    ASSERT_EQ(t_->QueryContextAttributesW(h, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    ASSERT_NE(ni.PackageInfo, nullptr);
    EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(ni.PackageInfo->Name)), name);
    EXPECT_EQ(ni.NegotiationState, state);
    EXPECT_EQ(t_->FreeContextBuffer(ni.PackageInfo), SEC_E_OK);
    SecPkgContext_PackageInfoW pi{};
    ASSERT_EQ(t_->QueryContextAttributesW(h, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
    EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(pi.PackageInfo->Name)), name);
    EXPECT_EQ(t_->FreeContextBuffer(pi.PackageInfo), SEC_E_OK);
  }

  static inline testlib::Provider* provider_ = nullptr;
  static inline std::string users_path_;
  PSecurityFunctionTableW t_ = nullptr;
  std::vector<CredHandle> creds_;
};

TEST_F(NegotiateTable, NegotiateToNegotiate) {
  const CredHandle c = Client(), s = Server();
  testlib::HandshakeResult r = testlib::RunHandshake(t_, c, t_, s);
  ASSERT_TRUE(r.ok()) << r.error << " client 0x" << std::hex << r.client_status << " server 0x"
                      << r.server_status;
  ASSERT_EQ(r.client_tokens.size(), 2u);
  ASSERT_EQ(r.server_tokens.size(), 2u);
  // Leg 1: framed NegTokenInit, mechTypes [NTLM], optimistic NEGOTIATE.
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(B(r.client_tokens[0]), &init));
  ASSERT_EQ(init.mech_types.size(), 1u);
  EXPECT_TRUE(OidEquals(init.mech_types[0], NtlmOid()));
  ASSERT_TRUE(init.mech_token.has_value());
  EXPECT_TRUE(IsRawNtlm(*init.mech_token));
  // Leg 2: accept-incomplete, supportedMech NTLM, CHALLENGE.
  NegTokenResp r2, r3, r4;
  ASSERT_TRUE(ParseNegTokenResp(B(r.server_tokens[0]), &r2));
  EXPECT_EQ(r2.neg_state, NegState::kAcceptIncomplete);
  ASSERT_TRUE(r2.supported_mech.has_value());
  EXPECT_TRUE(OidEquals(*r2.supported_mech, NtlmOid()));
  ASSERT_TRUE(r2.response_token.has_value());
  // Leg 3: AUTHENTICATE + mechListMIC (our NTLM client sends the NTLM MIC, so it is required).
  ASSERT_TRUE(ParseNegTokenResp(B(r.client_tokens[1]), &r3));
  ASSERT_TRUE(r3.response_token.has_value());
  ASSERT_TRUE(r3.mech_list_mic.has_value());
  EXPECT_EQ(r3.mech_list_mic->size(), 16u);
  EXPECT_EQ(std::to_integer<int>((*r3.mech_list_mic)[0]), 1);  // NTLMSSP_MESSAGE_SIGNATURE v1
  EXPECT_EQ(std::to_integer<int>((*r3.mech_list_mic)[12]), 0);  // SeqNum 0
  // Leg 4: accept-completed + the acceptor's mechListMIC (seq 0 as well).
  ASSERT_TRUE(ParseNegTokenResp(B(r.server_tokens[1]), &r4));
  EXPECT_EQ(r4.neg_state, NegState::kAcceptCompleted);
  ASSERT_TRUE(r4.mech_list_mic.has_value());
  EXPECT_EQ(std::to_integer<int>((*r4.mech_list_mic)[12]), 0);
  EXPECT_FALSE(r4.response_token.has_value());

  ExpectPackage(&r.client_ctx, u"NTLM", SECPKG_NEGOTIATION_COMPLETE);
  ExpectPackage(&r.server_ctx, u"NTLM", SECPKG_NEGOTIATION_COMPLETE);
  testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NegotiateTable, SealedAndSignedMessagesAfterHandshake) {
  const CredHandle c = Client(), s = Server();
  testlib::HandshakeResult r = testlib::RunHandshake(t_, c, t_, s);
  ASSERT_TRUE(r.ok()) << r.error;
  for (int i = 0; i < 3; ++i) {
    SealRoundTrip(&r.client_ctx, &r.server_ctx, "client to server #" + std::to_string(i));
    SealRoundTrip(&r.server_ctx, &r.client_ctx, "server to client #" + std::to_string(i));
  }
  // The first application message after the mechListMIC carries SeqNum 1 (spnego.md §6.2).
  std::string data = "signed";
  U8 sig(16);
  SecBuffer bufs[2] = {{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()},
                       {16, SECBUFFER_TOKEN, sig.data()}};
  SecBufferDesc desc = {SECBUFFER_VERSION, 2, bufs};
  ASSERT_EQ(t_->MakeSignature(&r.client_ctx, 0, &desc, 0), SEC_E_OK);
  EXPECT_EQ(sig[12], 4);  // MIC = 0, three sealed messages = 1..3
  ULONG qop = 0;
  EXPECT_EQ(t_->VerifySignature(&r.server_ctx, &desc, 0, &qop), SEC_E_OK);
  ASSERT_EQ(t_->MakeSignature(&r.server_ctx, 0, &desc, 0), SEC_E_OK);
  sig[6] ^= 0x20;
  EXPECT_EQ(t_->VerifySignature(&r.client_ctx, &desc, 0, &qop), SEC_E_MESSAGE_ALTERED);
  testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NegotiateTable, FirstSealedMessageUsesSeqOne) {
  const CredHandle c = Client(), s = Server();
  testlib::HandshakeResult r = testlib::RunHandshake(t_, c, t_, s);
  ASSERT_TRUE(r.ok()) << r.error;
  std::string data = "first";
  U8 trailer(16);
  SecBuffer bufs[2] = {{16, SECBUFFER_TOKEN, trailer.data()},
                       {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
  SecBufferDesc desc = {SECBUFFER_VERSION, 2, bufs};
  ASSERT_EQ(t_->EncryptMessage(&r.client_ctx, 0, &desc, 0), SEC_E_OK);
  EXPECT_EQ(trailer[12], 1);
  ULONG qop = 0;
  EXPECT_EQ(t_->DecryptMessage(&r.server_ctx, &desc, 0, &qop), SEC_E_OK);
  EXPECT_EQ(data, "first");
  testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NegotiateTable, NegotiateServerAcceptsRawNtlmClient) {
  // FreeRDP 2.x / WinPR / wine send bare NTLMSSP to a Negotiate server: it answers raw.
  const CredHandle c = Client("NTLM"), s = Server();
  testlib::HandshakeResult r = testlib::RunHandshake(t_, c, t_, s);
  ASSERT_TRUE(r.ok()) << r.error << " client 0x" << std::hex << r.client_status << " server 0x"
                      << r.server_status;
  ASSERT_FALSE(r.server_tokens.empty());
  for (const U8& tok : r.server_tokens) EXPECT_TRUE(IsRawNtlm(B(tok)));
  ExpectPackage(&r.server_ctx, u"NTLM", SECPKG_NEGOTIATION_COMPLETE);
  SealRoundTrip(&r.client_ctx, &r.server_ctx, "raw ntlm client");
  SealRoundTrip(&r.server_ctx, &r.client_ctx, "negotiate server");
  testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NegotiateTable, NegotiateClientAgainstRawNtlmServer) {
  // A server that only speaks raw NTLM: the optimistic NEGOTIATE is taken out of our
  // NegTokenInit and handed to our NTLM package's server; its bare CHALLENGE goes back to our
  // Negotiate client, which continues as plain NTLM.
  const CredHandle c = Client(), s = Server("NTLM");
  Ctx cc, sc;
  U8 t1, t2, t3, t4;
  ASSERT_EQ(Isc(c, &cc, {}, &t1), SEC_I_CONTINUE_NEEDED);
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(B(t1), &init));
  // The NTLM package itself refuses the SPNEGO framing.
  Ctx probe;
  EXPECT_LT(Asc(s, &probe, t1, &t4), 0);
  const U8 nego(reinterpret_cast<const uint8_t*>(init.mech_token->data()),
                reinterpret_cast<const uint8_t*>(init.mech_token->data()) + init.mech_token->size());
  ASSERT_EQ(Asc(s, &sc, nego, &t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_TRUE(IsRawNtlm(B(t2)));
  ASSERT_EQ(Isc(c, &cc, t2, &t3), SEC_E_OK);
  ASSERT_TRUE(IsRawNtlm(B(t3)));
  ASSERT_EQ(Asc(s, &sc, t3, &t4), SEC_E_OK);
  ExpectPackage(&cc.h, u"NTLM", SECPKG_NEGOTIATION_COMPLETE);
  SealRoundTrip(&cc.h, &sc.h, "negotiate client");
  SealRoundTrip(&sc.h, &cc.h, "raw ntlm server");
  Delete(&cc);
  Delete(&sc);
}

TEST_F(NegotiateTable, RawNtlmClientOptionAgainstNtlmServer) {
  // OPENCREDSSP_NEGOTIATE_RAW_NTLM=1: our Negotiate client speaks bare NTLM (as WinPR's does),
  // so a raw-only server (here our NTLM package; WinPR 2.x's Negotiate in tests/interop) works.
  setenv("OPENCREDSSP_NEGOTIATE_RAW_NTLM", "1", 1);
  const CredHandle c = Client();
  unsetenv("OPENCREDSSP_NEGOTIATE_RAW_NTLM");
  const CredHandle s = Server("NTLM");
  testlib::HandshakeResult r = testlib::RunHandshake(t_, c, t_, s);
  ASSERT_TRUE(r.ok()) << r.error << " client 0x" << std::hex << r.client_status << " server 0x"
                      << r.server_status;
  for (const U8& tok : r.client_tokens) EXPECT_TRUE(IsRawNtlm(B(tok)));
  ExpectPackage(&r.client_ctx, u"NTLM", SECPKG_NEGOTIATION_COMPLETE);
  SealRoundTrip(&r.client_ctx, &r.server_ctx, "raw negotiate client");
  SealRoundTrip(&r.server_ctx, &r.client_ctx, "ntlm server");
  testlib::DeleteHandshakeContexts(&r, t_, t_);
}

TEST_F(NegotiateTable, TamperedClientMechListMicFails) {
  const CredHandle c = Client(), s = Server();
  Ctx cc, sc;
  U8 t1, t2, t3, t4;
  ASSERT_EQ(Isc(c, &cc, {}, &t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Asc(s, &sc, t1, &t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Isc(c, &cc, t2, &t3), SEC_I_CONTINUE_NEEDED);
  t3[t3.size() - 10] ^= 0x01;  // a byte of the mechListMIC's checksum (the MIC is last)
  EXPECT_EQ(Asc(s, &sc, t3, &t4), SEC_E_MESSAGE_ALTERED);
  Delete(&cc);
  Delete(&sc);
}

TEST_F(NegotiateTable, TamperedServerMechListMicFails) {
  const CredHandle c = Client(), s = Server();
  Ctx cc, sc;
  U8 t1, t2, t3, t4, t5;
  ASSERT_EQ(Isc(c, &cc, {}, &t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Asc(s, &sc, t1, &t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Isc(c, &cc, t2, &t3), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Asc(s, &sc, t3, &t4), SEC_E_OK);
  t4[t4.size() - 10] ^= 0x01;
  EXPECT_EQ(Isc(c, &cc, t4, &t5), SEC_E_MESSAGE_ALTERED);
  Delete(&cc);
  Delete(&sc);
}

TEST_F(NegotiateTable, TamperedMechTypesDowngradeFails) {
  // In flight, the initiator's mechTypes list is rewritten (here to [NTLM, Kerberos]); the
  // acceptor's mechListMIC check over the list it received must fail.
  const CredHandle c = Client(), s = Server();
  Ctx cc, sc;
  U8 t1, t2, t3, t4;
  ASSERT_EQ(Isc(c, &cc, {}, &t1), SEC_I_CONTINUE_NEEDED);
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(B(t1), &init));
  NegTokenInit edited;
  const ByteSpan list[] = {NtlmOid(), ByteSpan(kKrb5Oid)};
  edited.mech_types.assign(std::begin(list), std::end(list));
  edited.mech_token = init.mech_token;
  ASSERT_EQ(Asc(s, &sc, ToU8(EncodeInitialContextToken(edited)), &t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Isc(c, &cc, t2, &t3), SEC_I_CONTINUE_NEEDED);
  EXPECT_EQ(Asc(s, &sc, t3, &t4), SEC_E_MESSAGE_ALTERED);
  Delete(&cc);
  Delete(&sc);
}

TEST_F(NegotiateTable, MissingClientMechListMicFails) {
  const CredHandle c = Client(), s = Server();
  Ctx cc, sc;
  U8 t1, t2, t3, t4;
  ASSERT_EQ(Isc(c, &cc, {}, &t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Asc(s, &sc, t1, &t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(Isc(c, &cc, t2, &t3), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r3;
  ASSERT_TRUE(ParseNegTokenResp(B(t3), &r3));
  r3.mech_list_mic.reset();  // MS-SPNG <8>: NTLM MIC present -> mechListMIC mandatory
  EXPECT_EQ(Asc(s, &sc, ToU8(EncodeNegTokenResp(r3)), &t4), SEC_E_INVALID_TOKEN);
  Delete(&cc);
  Delete(&sc);
}

TEST_F(NegotiateTable, KerberosFirstGetsRequestMicAndSupportedMechNtlm) {
  const CredHandle s = Server();
  const CredHandle nc = Client("NTLM");
  Ctx sc, ntlm;
  const U8 krb_token = {0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
  NegTokenInit init;
  const ByteSpan list[] = {ByteSpan(kMsKrb5Oid), ByteSpan(kKrb5Oid), NtlmOid()};
  init.mech_types.assign(std::begin(list), std::end(list));
  init.mech_token = B(krb_token);
  const U8 t1 = ToU8(EncodeInitialContextToken(init));
  U8 t2;
  ASSERT_EQ(Asc(s, &sc, t1, &t2), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r2;
  ASSERT_TRUE(ParseNegTokenResp(B(t2), &r2));
  EXPECT_EQ(r2.neg_state, NegState::kRequestMic);
  ASSERT_TRUE(r2.supported_mech.has_value());
  EXPECT_TRUE(OidEquals(*r2.supported_mech, NtlmOid()));
  EXPECT_FALSE(r2.response_token.has_value());
  ExpectPackage(&sc.h, u"NTLM", SECPKG_NEGOTIATION_IN_PROGRESS);

  // The initiator restarts with NTLM: a bare NTLM client through the table plays it.
  U8 nego, chal_tok, auth;
  ASSERT_EQ(Isc(nc, &ntlm, {}, &nego), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r3;
  r3.response_token = B(nego);
  U8 t4;
  ASSERT_EQ(Asc(s, &sc, ToU8(EncodeNegTokenResp(r3)), &t4), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r4;
  ASSERT_TRUE(ParseNegTokenResp(B(t4), &r4));
  EXPECT_EQ(r4.neg_state, NegState::kAcceptIncomplete);
  EXPECT_FALSE(r4.supported_mech.has_value());
  ASSERT_TRUE(r4.response_token.has_value());
  chal_tok.assign(reinterpret_cast<const uint8_t*>(r4.response_token->data()),
                  reinterpret_cast<const uint8_t*>(r4.response_token->data()) + r4.response_token->size());
  ASSERT_EQ(Isc(nc, &ntlm, chal_tok, &auth), SEC_E_OK);

  // mechListMIC over the three-mech list as sent = the NTLM client's first signature.
  NegTokenInit parsed;
  ASSERT_TRUE(ParseInitialContextToken(B(t1), &parsed));
  U8 list_bytes(reinterpret_cast<const uint8_t*>(parsed.mech_type_list.data()),
                reinterpret_cast<const uint8_t*>(parsed.mech_type_list.data()) + parsed.mech_type_list.size());
  U8 mic(16);
  SecBuffer bufs[2] = {{static_cast<ULONG>(list_bytes.size()), SECBUFFER_DATA, list_bytes.data()},
                       {16, SECBUFFER_TOKEN, mic.data()}};
  SecBufferDesc desc = {SECBUFFER_VERSION, 2, bufs};
  ASSERT_EQ(t_->MakeSignature(&ntlm.h, 0, &desc, 0), SEC_E_OK);

  // Without the MIC the acceptor refuses (request-mic made it mandatory) ...
  {
    Ctx sc2;
    U8 a, b, c2;
    ASSERT_EQ(Asc(s, &sc2, t1, &a), SEC_I_CONTINUE_NEEDED);
    Ctx ntlm2;
    U8 n2, au2;
    ASSERT_EQ(Isc(nc, &ntlm2, {}, &n2), SEC_I_CONTINUE_NEEDED);
    NegTokenResp x;
    x.response_token = B(n2);
    ASSERT_EQ(Asc(s, &sc2, ToU8(EncodeNegTokenResp(x)), &b), SEC_I_CONTINUE_NEEDED);
    NegTokenResp rb;
    ASSERT_TRUE(ParseNegTokenResp(B(b), &rb));
    U8 ch2(reinterpret_cast<const uint8_t*>(rb.response_token->data()),
           reinterpret_cast<const uint8_t*>(rb.response_token->data()) + rb.response_token->size());
    ASSERT_EQ(Isc(nc, &ntlm2, ch2, &au2), SEC_E_OK);
    NegTokenResp y;
    y.response_token = B(au2);
    EXPECT_EQ(Asc(s, &sc2, ToU8(EncodeNegTokenResp(y)), &c2), SEC_E_INVALID_TOKEN);
    Delete(&sc2);
    Delete(&ntlm2);
  }
  // ... and with it the exchange completes with the acceptor's own MIC.
  NegTokenResp r5;
  r5.response_token = B(auth);
  r5.mech_list_mic = B(mic);
  U8 t6;
  ASSERT_EQ(Asc(s, &sc, ToU8(EncodeNegTokenResp(r5)), &t6), SEC_E_OK);
  NegTokenResp r6;
  ASSERT_TRUE(ParseNegTokenResp(B(t6), &r6));
  EXPECT_EQ(r6.neg_state, NegState::kAcceptCompleted);
  ASSERT_TRUE(r6.mech_list_mic.has_value());
  U8 server_mic(reinterpret_cast<const uint8_t*>(r6.mech_list_mic->data()),
                reinterpret_cast<const uint8_t*>(r6.mech_list_mic->data()) + r6.mech_list_mic->size());
  SecBuffer vb[2] = {{static_cast<ULONG>(list_bytes.size()), SECBUFFER_DATA, list_bytes.data()},
                     {static_cast<ULONG>(server_mic.size()), SECBUFFER_TOKEN, server_mic.data()}};
  SecBufferDesc vdesc = {SECBUFFER_VERSION, 2, vb};
  ULONG qop = 0;
  EXPECT_EQ(t_->VerifySignature(&ntlm.h, &vdesc, 0, &qop), SEC_E_OK);
  ExpectPackage(&sc.h, u"NTLM", SECPKG_NEGOTIATION_COMPLETE);
  Delete(&sc);
  Delete(&ntlm);
}

TEST_F(NegotiateTable, NoCommonMechIsRejected) {
  const CredHandle s = Server();
  Ctx sc;
  NegTokenInit init;
  const ByteSpan list[] = {ByteSpan(kKrb5Oid), ByteSpan(kMsKrb5Oid)};
  init.mech_types.assign(std::begin(list), std::end(list));
  U8 t2;
  EXPECT_EQ(Asc(s, &sc, ToU8(EncodeInitialContextToken(init)), &t2), SEC_E_INVALID_TOKEN);
  EXPECT_FALSE(sc.have);
  NegTokenResp r2;
  ASSERT_TRUE(ParseNegTokenResp(B(t2), &r2));  // the reject still goes back to the peer
  EXPECT_EQ(r2.neg_state, NegState::kReject);
  EXPECT_FALSE(r2.supported_mech.has_value());
}

TEST_F(NegotiateTable, MalformedFirstTokensAreRejected) {
  const CredHandle s = Server();
  const U8 bad[] = {
      U8{0x60, 0x80, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0x00, 0x00},
      U8{0xa1, 0x0a, 0x30, 0x08, 0xa0, 0x03, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x00},
      U8{0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x09, 0x00, 0x00, 0x00},
  };
  for (const U8& tok : bad) {
    Ctx sc;
    U8 out;
    EXPECT_LT(Asc(s, &sc, tok, &out), 0);
    Delete(&sc);
  }
}

}  // namespace
}  // namespace ocs::spnego
