// negotiate_context_test.cpp - the Negotiate state machine over a fake NTLM (fake_ntlm.h):
// token shapes on the wire, the mechListMIC rules, tampering, raw NTLM, mech restart, reject,
// attributes and the per-message sequencing after the MIC.
// SPDX-License-Identifier: Apache-2.0
#include "spnego/negotiate_context.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstring>
#include <random>
#include <string>

#include "core/context_buffer.h"
#include "spnego/fake_ntlm.h"
#include "spnego/hex.h"

namespace ocs::spnego {
namespace {

using ocs::testing::FakeNtlmContext;
using ocs::testing::FakeNtlmOptions;
using ocs::testing::FakeNtlmPackage;
using ocs::testing::Hex;
using ocs::testing::SpanEq;
using ocs::testing::Str;

struct Side {
  std::shared_ptr<Credential> cred;
  std::unique_ptr<Context> ctx;
  NegotiateContext* nego() const { return static_cast<NegotiateContext*>(ctx.get()); }
  FakeNtlmContext* fake() const { return static_cast<FakeNtlmContext*>(nego()->Mech()); }
  SECURITY_STATUS Step(ByteSpan token, Bytes* out) {
    StepIn in;
    in.token = token;
    StepOut o;
    const SECURITY_STATUS s = ctx->Step(in, &o);
    *out = o.token;
    return s;
  }
};

Side MakeSide(Role role, FakeNtlmOptions opts = {}) {
  auto pkg = MakeNegotiatePackage(std::make_shared<FakeNtlmPackage>(opts));
  Side side;
  AcquireArgs args;
  args.use = role == Role::kClient ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND;
  EXPECT_EQ(pkg->AcquireCredentials(args, &side.cred), SEC_E_OK);
  EXPECT_EQ(side.cred->package(), PackageId::kNegotiate);
  EXPECT_EQ(side.cred->NewContext(role, &side.ctx), SEC_E_OK);
  return side;
}

// The four legs, with checks on each token's shape.
struct Handshake {
  Side client = MakeSide(Role::kClient);
  Side server = MakeSide(Role::kServer);
  Bytes t1, t2, t3, t4;
};

void RunFull(Handshake& h) {
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_OK);
  Bytes t5;
  ASSERT_EQ(h.client.Step(h.t4, &t5), SEC_E_OK);
  EXPECT_TRUE(t5.empty());
}

TEST(Negotiate, HandshakeTokenShapesAndMicExchange) {
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  // Client first token: framed NegTokenInit, mechTypes [NTLM] only, optimistic NEGOTIATE.
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(h.t1, &init));
  ASSERT_EQ(init.mech_types.size(), 1u);
  EXPECT_TRUE(OidEquals(init.mech_types[0], NtlmOid()));
  ASSERT_TRUE(init.mech_token.has_value());
  EXPECT_TRUE(IsRawNtlm(*init.mech_token));
  EXPECT_FALSE(init.mech_list_mic.has_value());
  EXPECT_FALSE(h.client.nego()->KeysReady());

  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r2;
  ASSERT_TRUE(ParseNegTokenResp(h.t2, &r2));
  EXPECT_EQ(r2.neg_state, NegState::kAcceptIncomplete);
  ASSERT_TRUE(r2.supported_mech.has_value());
  EXPECT_TRUE(OidEquals(*r2.supported_mech, NtlmOid()));
  ASSERT_TRUE(r2.response_token.has_value());
  EXPECT_TRUE(IsRawNtlm(*r2.response_token));

  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  // After AUTHENTICATE the client has keys (CredSSP wraps pubKeyAuth now) but is not complete.
  EXPECT_TRUE(h.client.nego()->KeysReady());
  EXPECT_FALSE(h.client.ctx->IsComplete());
  NegTokenResp r3;
  ASSERT_TRUE(ParseNegTokenResp(h.t3, &r3));
  EXPECT_FALSE(r3.supported_mech.has_value());
  ASSERT_TRUE(r3.response_token.has_value());
  ASSERT_TRUE(r3.mech_list_mic.has_value());
  EXPECT_EQ(r3.mech_list_mic->size(), 16u);
  // The client's MIC consumed outbound seq 0 and the outbound RC4 state was reset.
  EXPECT_EQ(h.client.fake()->out_seq(), 1u);
  EXPECT_EQ(h.client.fake()->resets(), 1);

  ASSERT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_OK);
  EXPECT_TRUE(h.server.ctx->IsComplete());
  NegTokenResp r4;
  ASSERT_TRUE(ParseNegTokenResp(h.t4, &r4));
  EXPECT_EQ(r4.neg_state, NegState::kAcceptCompleted);
  ASSERT_TRUE(r4.mech_list_mic.has_value());
  EXPECT_FALSE(r4.response_token.has_value());
  EXPECT_EQ(h.server.fake()->in_seq(), 1u);
  EXPECT_EQ(h.server.fake()->out_seq(), 1u);
  EXPECT_EQ(h.server.fake()->resets(), 2);

  Bytes t5;
  ASSERT_EQ(h.client.Step(h.t4, &t5), SEC_E_OK);
  EXPECT_TRUE(h.client.ctx->IsComplete());
  EXPECT_TRUE(h.client.nego()->MicExchanged());
  EXPECT_TRUE(h.server.nego()->MicExchanged());
  EXPECT_EQ(h.client.fake()->resets(), 2);
  // Stepping a finished context is an error.
  EXPECT_EQ(h.client.Step(h.t4, &t5), SEC_E_OUT_OF_SEQUENCE);
}

// Seal `text` on one side and unseal on the other through the Context interface.
void SealRoundTrip(Context* from, Context* to, std::string text) {
  std::string data = text;
  unsigned char sig[16] = {};
  SecBuffer bufs[2] = {{16, SECBUFFER_TOKEN, sig},
                       {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
  ASSERT_EQ(from->Encrypt(0, bufs, 0), SEC_E_OK);
  EXPECT_NE(data, text);
  ASSERT_EQ(to->Decrypt(bufs, 0, nullptr), SEC_E_OK);
  EXPECT_EQ(data, text);
}

TEST(Negotiate, SealedMessagesAfterHandshake) {
  Handshake h;
  RunFull(h);
  for (int i = 0; i < 3; ++i) {
    SealRoundTrip(h.client.ctx.get(), h.server.ctx.get(), "client to server " + std::to_string(i));
    SealRoundTrip(h.server.ctx.get(), h.client.ctx.get(), "server to client " + std::to_string(i));
  }
  // The application's first message used seq 1 (after the MIC's 0), in both directions.
  EXPECT_EQ(h.client.fake()->out_seq(), 4u);
  EXPECT_EQ(h.server.fake()->in_seq(), 4u);
  // A message altered in transit is refused.
  std::string data = "tamper me";
  unsigned char sig[16] = {};
  SecBuffer bufs[2] = {{16, SECBUFFER_TOKEN, sig},
                       {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
  ASSERT_EQ(h.client.ctx->Encrypt(0, bufs, 0), SEC_E_OK);
  data[0] = static_cast<char>(data[0] ^ 1);
  EXPECT_EQ(h.server.ctx->Decrypt(bufs, 0, nullptr), SEC_E_MESSAGE_ALTERED);
}

TEST(Negotiate, SignaturesAfterHandshake) {
  Handshake h;
  RunFull(h);
  std::string data = "signed";
  unsigned char sig[16] = {};
  SecBuffer bufs[2] = {{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()},
                       {16, SECBUFFER_TOKEN, sig}};
  ASSERT_EQ(h.server.ctx->MakeSignature(0, bufs, 0), SEC_E_OK);
  EXPECT_EQ(h.client.ctx->VerifySignature(bufs, 0, nullptr), SEC_E_OK);
  ASSERT_EQ(h.client.ctx->MakeSignature(0, bufs, 0), SEC_E_OK);
  sig[5] ^= 1;
  EXPECT_EQ(h.server.ctx->VerifySignature(bufs, 0, nullptr), SEC_E_MESSAGE_ALTERED);
}

TEST(Negotiate, CredSspOrderClientWrapsBeforeServerMic) {
  // credssp.md §4 flow A: the client seals pubKeyAuth right after producing AUTHENTICATE (its
  // MIC done), before it has seen the server's MIC; it may unseal only after the final token.
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  std::string data = "pubKeyAuth";
  unsigned char sig[16] = {};
  SecBuffer bufs[2] = {{16, SECBUFFER_TOKEN, sig},
                       {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
  EXPECT_EQ(h.client.ctx->Encrypt(0, bufs, 0), SEC_E_NO_CONTEXT);  // no keys yet
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  ASSERT_TRUE(h.client.nego()->KeysReady());
  ASSERT_EQ(h.client.ctx->Encrypt(0, bufs, 0), SEC_E_OK);
  ASSERT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_OK);
  ASSERT_EQ(h.server.ctx->Decrypt(bufs, 0, nullptr), SEC_E_OK);
  EXPECT_EQ(data, "pubKeyAuth");
  // Server answers with its own sealed message; the client must first take the final token.
  std::string reply = "pubKeyAuth+1";
  SecBuffer rb[2] = {{16, SECBUFFER_TOKEN, sig},
                     {static_cast<ULONG>(reply.size()), SECBUFFER_DATA, reply.data()}};
  ASSERT_EQ(h.server.ctx->Encrypt(0, rb, 0), SEC_E_OK);
  EXPECT_EQ(h.client.ctx->Decrypt(rb, 0, nullptr), SEC_E_NO_CONTEXT);
  Bytes t5;
  ASSERT_EQ(h.client.Step(h.t4, &t5), SEC_E_OK);
  ASSERT_EQ(h.client.ctx->Decrypt(rb, 0, nullptr), SEC_E_OK);
  EXPECT_EQ(reply, "pubKeyAuth+1");
}

TEST(Negotiate, NoNtlmMicMeansNoMechListMic) {
  FakeNtlmOptions no_mic;
  no_mic.mic_present = false;
  Handshake h;
  h.client = MakeSide(Role::kClient, no_mic);
  RunFull(h);
  NegTokenResp r3, r4;
  ASSERT_TRUE(ParseNegTokenResp(h.t3, &r3));
  ASSERT_TRUE(ParseNegTokenResp(h.t4, &r4));
  EXPECT_FALSE(r3.mech_list_mic.has_value());
  EXPECT_FALSE(r4.mech_list_mic.has_value());
  EXPECT_EQ(r4.neg_state, NegState::kAcceptCompleted);
  EXPECT_FALSE(h.client.nego()->MicExchanged());
  SealRoundTrip(h.client.ctx.get(), h.server.ctx.get(), "no mic");
  EXPECT_EQ(h.client.fake()->out_seq(), 1u);  // first message used seq 0
}

TEST(Negotiate, MissingClientMechListMicWhenNtlmMicPresentFails) {
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r3;
  ASSERT_TRUE(ParseNegTokenResp(h.t3, &r3));
  r3.mech_list_mic.reset();
  // MS-SPNG <8>: NTLM MIC present -> mechListMIC mandatory.
  EXPECT_EQ(h.server.Step(EncodeNegTokenResp(r3), &h.t4), SEC_E_INVALID_TOKEN);
  EXPECT_FALSE(h.server.ctx->IsComplete());
  EXPECT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_OUT_OF_SEQUENCE);  // the context is dead
}

TEST(Negotiate, TamperedClientMechListMicFails) {
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  Bytes bad = h.t3;
  bad[bad.size() - 9] ^= std::byte{0x01};  // inside the MIC's checksum
  EXPECT_EQ(h.server.Step(bad, &h.t4), SEC_E_MESSAGE_ALTERED);
  EXPECT_TRUE(h.t4.empty());
}

TEST(Negotiate, TamperedServerMechListMicFails) {
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_OK);
  Bytes bad = h.t4;
  bad[bad.size() - 9] ^= std::byte{0x80};
  Bytes t5;
  EXPECT_EQ(h.client.Step(bad, &t5), SEC_E_MESSAGE_ALTERED);
  EXPECT_FALSE(h.client.ctx->IsComplete());
}

TEST(Negotiate, ServerFinalWithoutMicFailsWhenClientSentOne) {
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  NegTokenResp fin;
  fin.neg_state = NegState::kAcceptCompleted;
  Bytes t5;
  EXPECT_EQ(h.client.Step(EncodeNegTokenResp(fin), &t5), SEC_E_INVALID_TOKEN);
}

TEST(Negotiate, TamperedMechTypesDowngradeFails) {
  // An attacker edits the initiator's list in flight (here: appends Kerberos so the lists
  // differ). The acceptor signs and verifies over what it received; the initiator over what it
  // sent: the client's mechListMIC fails at the server.
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(h.t1, &init));
  const ByteSpan edited_list[] = {NtlmOid(), ByteSpan(kKrb5Oid)};
  NegTokenInit edited;
  edited.mech_types.assign(std::begin(edited_list), std::end(edited_list));
  edited.mech_token = init.mech_token;
  const Bytes t1_edited = EncodeInitialContextToken(edited);
  ASSERT_EQ(h.server.Step(t1_edited, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  EXPECT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_MESSAGE_ALTERED);
}

TEST(Negotiate, KerberosFirstGetsRequestMicAndSupportedMechNtlm) {
  Side server = MakeSide(Role::kServer);
  const Bytes krb_token = Hex("60 0b 06 09 2a 86 48 86 f7 12 01 02 02");  // stub AP-REQ frame
  const ByteSpan list[] = {ByteSpan(kMsKrb5Oid), ByteSpan(kKrb5Oid), NtlmOid()};
  NegTokenInit init;
  init.mech_types.assign(std::begin(list), std::end(list));
  init.mech_token = ByteSpan(krb_token);
  const Bytes t1 = EncodeInitialContextToken(init);
  Bytes t2;
  ASSERT_EQ(server.Step(t1, &t2), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r2;
  ASSERT_TRUE(ParseNegTokenResp(t2, &r2));
  EXPECT_EQ(r2.neg_state, NegState::kRequestMic);
  ASSERT_TRUE(r2.supported_mech.has_value());
  EXPECT_TRUE(OidEquals(*r2.supported_mech, NtlmOid()));
  EXPECT_FALSE(r2.response_token.has_value());  // the Kerberos token was ignored
  EXPECT_EQ(t2, Hex("a1 15 30 13 a0 03 0a 01 03 a1 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"));
  NegTokenInit parsed_t1;
  ASSERT_TRUE(ParseInitialContextToken(t1, &parsed_t1));

  // The initiator restarts with NTLM (a bare NTLM client plays its part here).
  FakeNtlmContext ntlm(Role::kClient, FakeNtlmOptions{/*mic_present=*/false, "secret"});
  StepOut o;
  ASSERT_EQ(ntlm.Step(StepIn{}, &o), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r3;
  r3.response_token = ByteSpan(o.token);
  Bytes t4;
  ASSERT_EQ(server.Step(EncodeNegTokenResp(r3), &t4), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r4;
  ASSERT_TRUE(ParseNegTokenResp(t4, &r4));
  EXPECT_EQ(r4.neg_state, NegState::kAcceptIncomplete);
  EXPECT_FALSE(r4.supported_mech.has_value());  // only in the first reply
  ASSERT_TRUE(r4.response_token.has_value());

  StepIn chal;
  chal.token = *r4.response_token;
  StepOut auth;
  ASSERT_EQ(ntlm.Step(chal, &auth), SEC_E_OK);
  // Even without an NTLM MIC, request-mic makes the mechListMIC mandatory; it is computed over
  // the list exactly as sent (three mechanisms).
  std::array<std::byte, 16> mic{};
  ASSERT_EQ(ntlm.SignNext(parsed_t1.mech_type_list, &mic), SEC_E_OK);
  NegTokenResp r5;
  r5.response_token = ByteSpan(auth.token);
  r5.mech_list_mic = ByteSpan(mic);
  Bytes t6;
  ASSERT_EQ(server.Step(EncodeNegTokenResp(r5), &t6), SEC_E_OK);
  NegTokenResp r6;
  ASSERT_TRUE(ParseNegTokenResp(t6, &r6));
  EXPECT_EQ(r6.neg_state, NegState::kAcceptCompleted);
  ASSERT_TRUE(r6.mech_list_mic.has_value());
  ntlm.ResetRc4(ntlm::Direction::kOutbound);
  EXPECT_EQ(ntlm.VerifyNext(parsed_t1.mech_type_list, *r6.mech_list_mic), SEC_E_OK);
}

TEST(Negotiate, KerberosFirstWithoutMechListMicFails) {
  Side server = MakeSide(Role::kServer);
  const ByteSpan list[] = {ByteSpan(kKrb5Oid), NtlmOid()};
  NegTokenInit init;
  init.mech_types.assign(std::begin(list), std::end(list));
  Bytes t2, t4, t6;
  ASSERT_EQ(server.Step(EncodeInitialContextToken(init), &t2), SEC_I_CONTINUE_NEEDED);
  FakeNtlmContext ntlm(Role::kClient, FakeNtlmOptions{false, "secret"});
  StepOut o;
  ASSERT_EQ(ntlm.Step(StepIn{}, &o), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r3;
  r3.response_token = ByteSpan(o.token);
  ASSERT_EQ(server.Step(EncodeNegTokenResp(r3), &t4), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r4;
  ASSERT_TRUE(ParseNegTokenResp(t4, &r4));
  StepIn chal;
  chal.token = *r4.response_token;
  StepOut auth;
  ASSERT_EQ(ntlm.Step(chal, &auth), SEC_E_OK);
  NegTokenResp r5;
  r5.response_token = ByteSpan(auth.token);
  EXPECT_EQ(server.Step(EncodeNegTokenResp(r5), &t6), SEC_E_INVALID_TOKEN);
}

TEST(Negotiate, ClientRestartsNtlmWhenOptimisticTokenDropped) {
  // A server that answers request-mic without a responseToken (it ignored our optimistic
  // token) makes our client restart NTLM inside a NegTokenResp and insist on the MICs.
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(h.t1, &init));
  NegTokenInit no_token;
  no_token.mech_type_list = init.mech_type_list;  // same list, the optimistic token removed
  Bytes t2;
  ASSERT_EQ(h.server.Step(EncodeInitialContextToken(no_token), &t2), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r2;
  ASSERT_TRUE(ParseNegTokenResp(t2, &r2));
  EXPECT_EQ(r2.neg_state, NegState::kAcceptIncomplete);
  EXPECT_FALSE(r2.response_token.has_value());
  // Present it to the client as a request-mic, as a server preferring another mech would.
  r2.neg_state = NegState::kRequestMic;
  Bytes t3;
  ASSERT_EQ(h.client.Step(EncodeNegTokenResp(r2), &t3), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r3;
  ASSERT_TRUE(ParseNegTokenResp(t3, &r3));
  ASSERT_TRUE(r3.response_token.has_value());
  EXPECT_TRUE(IsRawNtlm(*r3.response_token));
  Bytes t4, t5, t6, t7;
  ASSERT_EQ(h.server.Step(t3, &t4), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(t4, &t5), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(t5, &t6), SEC_E_OK);
  ASSERT_EQ(h.client.Step(t6, &t7), SEC_E_OK);
  EXPECT_TRUE(h.client.nego()->MicExchanged());
  SealRoundTrip(h.client.ctx.get(), h.server.ctx.get(), "after restart");
}

TEST(Negotiate, NoCommonMechIsRejected) {
  Side server = MakeSide(Role::kServer);
  const ByteSpan list[] = {ByteSpan(kKrb5Oid), ByteSpan(kMsKrb5Oid)};
  NegTokenInit init;
  init.mech_types.assign(std::begin(list), std::end(list));
  const Bytes krb_token = Hex("60 0b 06 09 2a 86 48 86 f7 12 01 02 02");
  init.mech_token = ByteSpan(krb_token);
  Bytes t2;
  EXPECT_EQ(server.Step(EncodeInitialContextToken(init), &t2), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(t2, Hex("a1 07 30 05 a0 03 0a 01 02"));  // negState reject
  EXPECT_FALSE(server.ctx->IsComplete());

  // A client receiving that reject reports a logon failure.
  Side client = MakeSide(Role::kClient);
  Bytes t1, out;
  ASSERT_EQ(client.Step({}, &t1), SEC_I_CONTINUE_NEEDED);
  EXPECT_EQ(client.Step(t2, &out), SEC_E_LOGON_DENIED);
}

TEST(Negotiate, ServerAcceptsRawNtlmAndAnswersRaw) {
  // FreeRDP 2.x / WinPR / wine put bare NTLMSSP on the Negotiate package.
  Side server = MakeSide(Role::kServer);
  FakeNtlmContext ntlm(Role::kClient, FakeNtlmOptions{});
  StepOut nego;
  ASSERT_EQ(ntlm.Step(StepIn{}, &nego), SEC_I_CONTINUE_NEEDED);
  Bytes chal;
  ASSERT_EQ(server.Step(nego.token, &chal), SEC_I_CONTINUE_NEEDED);
  EXPECT_TRUE(IsRawNtlm(chal));
  EXPECT_TRUE(server.nego()->RawNtlm());
  StepIn in;
  in.token = chal;
  StepOut auth;
  ASSERT_EQ(ntlm.Step(in, &auth), SEC_E_OK);
  Bytes fin;
  ASSERT_EQ(server.Step(auth.token, &fin), SEC_E_OK);
  EXPECT_TRUE(fin.empty());
  EXPECT_TRUE(server.ctx->IsComplete());
  EXPECT_FALSE(server.nego()->MicExchanged());
  // No mechListMIC: the first sealed message is seq 0 on both sides.
  std::string data = "raw";
  unsigned char sig[16] = {};
  SecBuffer bufs[2] = {{16, SECBUFFER_TOKEN, sig},
                       {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
  ASSERT_EQ(ntlm.Encrypt(0, bufs, 0), SEC_E_OK);
  ASSERT_EQ(server.ctx->Decrypt(bufs, 0, nullptr), SEC_E_OK);
  EXPECT_EQ(data, "raw");
}

TEST(Negotiate, ClientFallsBackWhenServerAnswersRawNtlm) {
  Side client = MakeSide(Role::kClient);
  FakeNtlmContext ntlm(Role::kServer, FakeNtlmOptions{});
  Bytes t1;
  ASSERT_EQ(client.Step({}, &t1), SEC_I_CONTINUE_NEEDED);
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(t1, &init));
  StepIn in;
  in.token = *init.mech_token;
  StepOut chal;
  ASSERT_EQ(ntlm.Step(in, &chal), SEC_I_CONTINUE_NEEDED);
  Bytes auth;
  ASSERT_EQ(client.Step(chal.token, &auth), SEC_E_OK);
  EXPECT_TRUE(IsRawNtlm(auth));
  EXPECT_TRUE(client.nego()->RawNtlm());
  EXPECT_TRUE(client.ctx->IsComplete());
  in.token = auth;
  StepOut fin;
  ASSERT_EQ(ntlm.Step(in, &fin), SEC_E_OK);
}

TEST(Negotiate, ClientRawNtlmOptionSpeaksBareNtlm) {
  // OPENCREDSSP_NEGOTIATE_RAW_NTLM=1 (read when the credential is acquired): WinPR-style.
  setenv("OPENCREDSSP_NEGOTIATE_RAW_NTLM", "1", 1);
  Side client = MakeSide(Role::kClient);
  unsetenv("OPENCREDSSP_NEGOTIATE_RAW_NTLM");
  Side server = MakeSide(Role::kServer);
  Bytes t1, t2, t3, t4;
  ASSERT_EQ(client.Step({}, &t1), SEC_I_CONTINUE_NEEDED);
  EXPECT_TRUE(IsRawNtlm(t1));
  EXPECT_TRUE(client.nego()->RawNtlm());
  ASSERT_EQ(server.Step(t1, &t2), SEC_I_CONTINUE_NEEDED);
  EXPECT_TRUE(IsRawNtlm(t2));
  ASSERT_EQ(client.Step(t2, &t3), SEC_E_OK);
  EXPECT_TRUE(IsRawNtlm(t3));
  ASSERT_EQ(server.Step(t3, &t4), SEC_E_OK);
  EXPECT_FALSE(client.nego()->MicExchanged());
  SealRoundTrip(client.ctx.get(), server.ctx.get(), "raw both ways");
  SealRoundTrip(server.ctx.get(), client.ctx.get(), "and back");
  // Other values leave SPNEGO on.
  setenv("OPENCREDSSP_NEGOTIATE_RAW_NTLM", "yes", 1);
  Side client2 = MakeSide(Role::kClient);
  unsetenv("OPENCREDSSP_NEGOTIATE_RAW_NTLM");
  ASSERT_EQ(client2.Step({}, &t1), SEC_I_CONTINUE_NEEDED);
  EXPECT_EQ(std::to_integer<int>(t1[0]), 0x60);
}

TEST(Negotiate, ServerInitiatedNegTokenInit2) {
  Side server = MakeSide(Role::kServer);
  Bytes hint;
  ASSERT_EQ(server.Step({}, &hint), SEC_I_CONTINUE_NEEDED);
  NegTokenInit init2;
  ASSERT_TRUE(ParseInitialContextToken(hint, &init2));
  EXPECT_TRUE(init2.has_neg_hints);
  ASSERT_EQ(init2.mech_types.size(), 1u);  // NTLM only: no Kerberos OID advertised
  EXPECT_TRUE(OidEquals(init2.mech_types[0], NtlmOid()));
  ASSERT_TRUE(init2.hint_name.has_value());
  EXPECT_TRUE(SpanEq(*init2.hint_name, Str("not_defined_in_RFC4178@please_ignore")));

  // The client takes it as its first input and proceeds normally.
  Side client = MakeSide(Role::kClient);
  Bytes t1, t2, t3, t4, t5;
  ASSERT_EQ(client.Step(hint, &t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(server.Step(t1, &t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(client.Step(t2, &t3), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(server.Step(t3, &t4), SEC_E_OK);
  ASSERT_EQ(client.Step(t4, &t5), SEC_E_OK);

  // A server hint that excludes NTLM cannot be served.
  Side client2 = MakeSide(Role::kClient);
  NegTokenInit krb_only;
  const ByteSpan krb = ByteSpan(kKrb5Oid);
  krb_only.mech_types.assign(&krb, &krb + 1);
  krb_only.has_neg_hints = true;
  EXPECT_EQ(client2.Step(EncodeInitialContextToken(krb_only), &t1), SEC_E_INVALID_TOKEN);
}

TEST(Negotiate, WrongPasswordIsLogonDenied) {
  FakeNtlmOptions wrong;
  wrong.password = "wrong";
  Handshake h;
  h.client = MakeSide(Role::kClient, wrong);
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  EXPECT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_LOGON_DENIED);
}

TEST(Negotiate, ClientRejectsBadFirstReplies) {
  const Bytes chal = Str(std::string("NTLMSSP\0\x02\0\0\0ABCDEFGH", 20));
  auto reply = [&](std::optional<NegState> st, bool mech, bool tok) {
    NegTokenResp r;
    r.neg_state = st;
    if (mech) r.supported_mech = NtlmOid();
    if (tok) r.response_token = ByteSpan(chal);
    return EncodeNegTokenResp(r);
  };
  struct Case {
    Bytes token;
    SECURITY_STATUS want;
  } cases[] = {
      {reply(std::nullopt, true, true), SEC_E_INVALID_TOKEN},              // negState missing
      {reply(NegState::kAcceptIncomplete, false, true), SEC_E_INVALID_TOKEN},  // no mech
      {reply(NegState::kAcceptCompleted, true, true), SEC_E_INVALID_TOKEN},
      {reply(NegState::kReject, false, false), SEC_E_LOGON_DENIED},
      {Hex("a1 07 30 05 a0 03 0a 01 01 00"), SEC_E_INVALID_TOKEN},          // trailing byte
      {Hex("60 00"), SEC_E_INVALID_TOKEN},
      {Bytes{}, SEC_E_INVALID_TOKEN},
  };
  for (const Case& c : cases) {
    Side client = MakeSide(Role::kClient);
    Bytes t1, out;
    ASSERT_EQ(client.Step({}, &t1), SEC_I_CONTINUE_NEEDED);
    EXPECT_EQ(client.Step(c.token, &out), c.want);
    EXPECT_EQ(client.Step(c.token, &out), SEC_E_OUT_OF_SEQUENCE);
  }
  // supportedMech naming a mechanism we did not offer.
  Side client = MakeSide(Role::kClient);
  Bytes t1, out;
  ASSERT_EQ(client.Step({}, &t1), SEC_I_CONTINUE_NEEDED);
  NegTokenResp r;
  r.neg_state = NegState::kAcceptIncomplete;
  r.supported_mech = ByteSpan(kKrb5Oid);
  r.response_token = ByteSpan(chal);
  EXPECT_EQ(client.Step(EncodeNegTokenResp(r), &out), SEC_E_INVALID_TOKEN);
}

TEST(Negotiate, ServerRejectsBadTokens) {
  const char* bad_first[] = {
      "a1 07 30 05 a0 03 0a 01 00",  // a NegTokenResp as first token
      "a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a",  // unframed init
      "60 1c 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02",
      "4e 54 4c 4d 53 53 50",  // "NTLMSSP" without the NUL: neither raw nor DER
  };
  for (const char* hex : bad_first) {
    Side server = MakeSide(Role::kServer);
    Bytes out;
    EXPECT_EQ(server.Step(Hex(hex), &out), SEC_E_INVALID_TOKEN) << hex;
  }
  // Second leg: the AUTHENTICATE must come in a NegTokenResp with a responseToken.
  Handshake h;
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  EXPECT_EQ(h.server.Step(h.t1, &h.t4), SEC_E_INVALID_TOKEN);
}

TEST(Negotiate, AttributesNameTheChosenPackage) {
  Handshake h;
  SecPkgContext_NegotiationInfoW ni{};
  SecPkgContext_PackageInfoW pi{};
  ASSERT_EQ(h.client.Step({}, &h.t1), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.ctx->QueryAttribute(SECPKG_ATTR_NEGOTIATION_INFO, &ni, CharWidth::kWide),
            SEC_E_OK);
  ASSERT_NE(ni.PackageInfo, nullptr);
  EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(ni.PackageInfo->Name)), u"Negotiate");
  EXPECT_EQ(ni.NegotiationState, static_cast<ULONG>(SECPKG_NEGOTIATION_OPTIMISTIC));
  EXPECT_TRUE(FreeContextBufferTracked(ni.PackageInfo));
  ASSERT_EQ(h.server.Step(h.t1, &h.t2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.Step(h.t2, &h.t3), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(h.client.ctx->QueryAttribute(SECPKG_ATTR_NEGOTIATION_INFO, &ni, CharWidth::kWide),
            SEC_E_OK);
  EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(ni.PackageInfo->Name)), u"NTLM");
  EXPECT_EQ(ni.NegotiationState, static_cast<ULONG>(SECPKG_NEGOTIATION_IN_PROGRESS));
  EXPECT_TRUE(FreeContextBufferTracked(ni.PackageInfo));
  ASSERT_EQ(h.server.Step(h.t3, &h.t4), SEC_E_OK);
  Bytes t5;
  ASSERT_EQ(h.client.Step(h.t4, &t5), SEC_E_OK);
  for (Side* side : {&h.client, &h.server}) {
    ASSERT_EQ(side->ctx->QueryAttribute(SECPKG_ATTR_NEGOTIATION_INFO, &ni, CharWidth::kWide),
              SEC_E_OK);
    EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(ni.PackageInfo->Name)), u"NTLM");
    EXPECT_EQ(ni.PackageInfo->wRPCID, 10);  // RPC_C_AUTHN_WINNT
    EXPECT_EQ(ni.NegotiationState, static_cast<ULONG>(SECPKG_NEGOTIATION_COMPLETE));
    EXPECT_TRUE(FreeContextBufferTracked(ni.PackageInfo));
    ASSERT_EQ(side->ctx->QueryAttribute(SECPKG_ATTR_PACKAGE_INFO, &pi, CharWidth::kWide), SEC_E_OK);
    EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(pi.PackageInfo->Name)), u"NTLM");
    EXPECT_TRUE(FreeContextBufferTracked(pi.PackageInfo));
    SecPkgContext_PackageInfoA pia{};
    ASSERT_EQ(side->ctx->QueryAttribute(SECPKG_ATTR_PACKAGE_INFO, &pia, CharWidth::kAnsi), SEC_E_OK);
    EXPECT_STREQ(pia.PackageInfo->Name, "NTLM");
    EXPECT_TRUE(FreeContextBufferTracked(pia.PackageInfo));
    // Everything else comes from NTLM.
    SecPkgContext_Sizes sizes{};
    ASSERT_EQ(side->ctx->QueryAttribute(SECPKG_ATTR_SIZES, &sizes, CharWidth::kWide), SEC_E_OK);
    EXPECT_EQ(sizes.cbMaxSignature, 16u);
    EXPECT_EQ(sizes.cbMaxToken, 2888u);
    EXPECT_EQ(side->ctx->SetAttribute(1004, "x", 1, CharWidth::kAnsi), SEC_E_OK);
    EXPECT_EQ(side->fake()->last_set_attr(), 1004u);
  }
  EXPECT_EQ(h.client.ctx->package(), PackageId::kNegotiate);
}

// Random edits of one leg's token: the state machine fails cleanly (an error status, a dead
// context) or, when the edit hit nothing that matters, completes; it never crashes (run under
// ASan in tools/test.sh), and when both sides complete they agree on the MIC exchange and
// their sealed messages still pass.
TEST(Negotiate, MutatedTokensFailCleanly) {
  std::mt19937 rng(178);
  int completed = 0, failed = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    Handshake h;
    const int leg = static_cast<int>(rng() % 4);
    auto mutate = [&](Bytes t) {
      if (t.empty()) return t;
      const size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[pos] ^= static_cast<std::byte>(1u << (rng() % 8)); break;
        case 1: t.erase(t.begin() + static_cast<std::ptrdiff_t>(pos)); break;
        default: t.insert(t.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::byte>(rng())); break;
      }
      return t;
    };
    SECURITY_STATUS s = h.client.Step({}, &h.t1);
    ASSERT_EQ(s, SEC_I_CONTINUE_NEEDED);
    if (leg == 0) h.t1 = mutate(h.t1);
    s = h.server.Step(h.t1, &h.t2);
    if (s < 0) { ++failed; continue; }
    if (leg == 1) h.t2 = mutate(h.t2);
    s = h.client.Step(h.t2, &h.t3);
    if (s < 0) { ++failed; continue; }
    if (leg == 2) h.t3 = mutate(h.t3);
    s = h.server.Step(h.t3, &h.t4);
    if (s < 0) { ++failed; continue; }
    if (leg == 3) h.t4 = mutate(h.t4);
    Bytes t5;
    s = h.client.Step(h.t4, &t5);
    if (s < 0) { ++failed; continue; }
    ASSERT_EQ(s, SEC_E_OK);
    ASSERT_TRUE(h.server.ctx->IsComplete());
    ASSERT_EQ(h.client.nego()->MicExchanged(), h.server.nego()->MicExchanged());
    SealRoundTrip(h.client.ctx.get(), h.server.ctx.get(), "still in step");
    ++completed;
  }
  EXPECT_GT(failed, 1000);
  EXPECT_GT(completed, 0);  // e.g. edits inside the opaque NTLM padding of the fake NEGOTIATE
}

TEST(Negotiate, CredentialRoleChecks) {
  auto pkg = MakeNegotiatePackage(std::make_shared<FakeNtlmPackage>());
  EXPECT_EQ(pkg->id(), PackageId::kNegotiate);
  AcquireArgs args;
  args.use = SECPKG_CRED_INBOUND;
  std::shared_ptr<Credential> cred;
  ASSERT_EQ(pkg->AcquireCredentials(args, &cred), SEC_E_OK);
  std::unique_ptr<Context> ctx;
  EXPECT_EQ(cred->NewContext(Role::kClient, &ctx), SEC_E_WRONG_CREDENTIAL_HANDLE);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_EQ(cred->NewContext(Role::kServer, &ctx), SEC_E_OK);
}

}  // namespace
}  // namespace ocs::spnego
