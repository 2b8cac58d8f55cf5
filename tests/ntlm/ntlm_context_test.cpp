// ntlm_context_test.cpp - in-process ISC <-> ASC at the Context level: success, every refusal
// of the acceptance list (wrong password, unknown user, tampered CHALLENGE / AUTHENTICATE
// fields, stripped MIC, replay, NTLMv1, anonymous, truncated and oversized tokens, channel
// bindings), message protection both ways through SecBuffers, attributes, and the SPNEGO hooks
// against spnego.md §6 vectors.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>

#include "core/context_buffer.h"
#include "ntlm/authenticate_message.h"
#include "ntlm/challenge_message.h"
#include "ntlm/flags.h"
#include "ntlm/ntlm_package.h"
#include "ntlm/vector_file.h"
#include "store/user_store.h"
#include "util/utf16.h"

namespace ocs::ntlm {
namespace {

using ocs::testing::Hex;
using ocs::testing::VectorFile;

constexpr ULONG kIscReq = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
                          ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION;
constexpr ULONG kAscReq = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |
                          ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION;

AuthIdentity Identity(std::u16string user, std::u16string domain, std::u16string password) {
  AuthIdentity id;
  id.user = std::move(user);
  id.domain = std::move(domain);
  id.password = SecretU16(std::move(password));
  id.flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  return id;
}

std::shared_ptr<store::MemoryStore> Users() {
  auto s = std::make_shared<store::MemoryStore>();
  EXPECT_TRUE(s->AddPassword(u"alice", u"EXAMPLE", u"Secret123"));
  EXPECT_TRUE(s->AddPassword(u"bob", u"", u"hunter2"));  // any domain
  return s;
}

// Peer holds a client and a server context and lets a test rewrite each token in flight.
struct Peer {
  std::shared_ptr<NtlmCredential> ccred;
  std::shared_ptr<NtlmCredential> scred;
  std::unique_ptr<Context> c;
  std::unique_ptr<Context> s;
  Bytes negotiate, challenge, authenticate;
  SECURITY_STATUS client_status = SEC_E_INTERNAL_ERROR;
  SECURITY_STATUS server_status = SEC_E_INTERNAL_ERROR;
  NtlmContextImpl* client() { return static_cast<NtlmContextImpl*>(c.get()); }
  NtlmContextImpl* server() { return static_cast<NtlmContextImpl*>(s.get()); }
};

struct Options {
  AuthIdentity id = Identity(u"alice", u"EXAMPLE", u"Secret123");
  std::shared_ptr<store::UserStore> store = Users();
  std::function<void(Bytes*)> edit_negotiate;
  std::function<void(Bytes*)> edit_challenge;
  std::function<void(Bytes*)> edit_authenticate;
  Bytes client_cb, server_cb;
  std::u16string target = u"TERMSRV/host.example";
  ULONG isc_req = kIscReq;
  ULONG asc_req = kAscReq;
  bool bindings_on_first_call_only = false;
};

Peer Handshake(const Options& o) {
  Peer p;
  EXPECT_EQ(NewNtlmClientCredential(o.id, &p.ccred), SEC_E_OK);
  p.scred = NewNtlmServerCredential(o.store);
  EXPECT_EQ(p.ccred->NewContext(Role::kClient, &p.c), SEC_E_OK);
  EXPECT_EQ(p.scred->NewContext(Role::kServer, &p.s), SEC_E_OK);
  StepOut out;
  StepIn in;
  in.req_flags = o.isc_req;
  in.target_name = o.target;
  if (o.bindings_on_first_call_only) in.channel_bindings = o.client_cb;
  p.client_status = p.c->Step(in, &out);
  if (p.client_status != SEC_I_CONTINUE_NEEDED) return p;
  p.negotiate = out.token;
  if (o.edit_negotiate) o.edit_negotiate(&p.negotiate);
  StepIn sin;
  sin.token = p.negotiate;
  sin.req_flags = o.asc_req;
  if (o.bindings_on_first_call_only) sin.channel_bindings = o.server_cb;
  StepOut sout;
  p.server_status = p.s->Step(sin, &sout);
  if (p.server_status != SEC_I_CONTINUE_NEEDED) return p;
  p.challenge = sout.token;
  Bytes ch = p.challenge;
  if (o.edit_challenge) o.edit_challenge(&ch);
  StepIn cin;
  cin.token = ch;
  cin.req_flags = o.isc_req;
  cin.target_name = o.target;
  if (!o.bindings_on_first_call_only) cin.channel_bindings = o.client_cb;
  StepOut cout;
  p.client_status = p.c->Step(cin, &cout);
  if (p.client_status != SEC_E_OK) return p;
  p.authenticate = cout.token;
  if (o.edit_authenticate) o.edit_authenticate(&p.authenticate);
  StepIn ain;
  ain.token = p.authenticate;
  ain.req_flags = o.asc_req;
  if (!o.bindings_on_first_call_only) ain.channel_bindings = o.server_cb;
  StepOut aout;
  p.server_status = p.s->Step(ain, &aout);
  EXPECT_TRUE(aout.token.empty());
  return p;
}

// Channel bindings block (SEC_CHANNEL_BINDINGS header + application data).
Bytes Bindings(const std::string& app) {
  Bytes cb(32);
  util::StoreU32(MutableByteSpan(cb).subspan(24, 4), static_cast<uint32_t>(app.size()));
  util::StoreU32(MutableByteSpan(cb).subspan(28, 4), 32);
  for (char ch : app) cb.push_back(std::byte(static_cast<unsigned char>(ch)));
  return cb;
}

TEST(NtlmHandshake, Success) {
  Peer p = Handshake(Options{});
  ASSERT_EQ(p.client_status, SEC_E_OK);
  ASSERT_EQ(p.server_status, SEC_E_OK);
  EXPECT_TRUE(p.c->IsComplete());
  EXPECT_TRUE(p.s->IsComplete());
  EXPECT_TRUE(p.client()->MicPresent());
  EXPECT_TRUE(p.server()->MicPresent());
  EXPECT_TRUE(p.client()->KeysReady());
  EXPECT_TRUE(p.server()->KeysReady());
  EXPECT_EQ(p.server()->UserName(), u"alice");
  EXPECT_EQ(p.server()->DomainName(), u"EXAMPLE");
  EXPECT_EQ(p.server()->target_name(), u"TERMSRV/host.example");
  EXPECT_EQ(Hex(p.client()->exported_session_key().span()),
            Hex(p.server()->exported_session_key().span()));
  const uint32_t f = p.server()->negotiated_flags();
  for (uint32_t need : {kNegotiateExtendedSessionSecurity, kNegotiate128, kNegotiateKeyExch,
                        kNegotiateSign, kNegotiateSeal, kNegotiateUnicode, kNegotiateVersion}) {
    EXPECT_NE(f & need, 0u) << std::hex << need;
  }
  EXPECT_EQ(p.client()->negotiated_flags(), f);
  // The wire: NEGOTIATE 40 bytes with Version, AUTHENTICATE with a MIC field.
  EXPECT_EQ(p.negotiate.size(), 40u);
  AuthenticateMessage am;
  ASSERT_TRUE(ParseAuthenticate(p.authenticate, &am));
  ASSERT_TRUE(am.mic.has_value());
  EXPECT_EQ(am.lm_response, Bytes(24));  // Z(24) with a timestamp (MS-NLMP <48>)
}

TEST(NtlmHandshake, UserNameCaseInsensitiveAndAnyDomainEntry) {
  Options o;
  o.id = Identity(u"ALICE", u"EXAMPLE", u"Secret123");
  Peer p = Handshake(o);
  EXPECT_EQ(p.server_status, SEC_E_OK);
  o.id = Identity(u"bob", u"ANYWHERE", u"hunter2");
  p = Handshake(o);
  EXPECT_EQ(p.server_status, SEC_E_OK);
  o.id = Identity(u"Bob", u"", u"hunter2");
  p = Handshake(o);
  EXPECT_EQ(p.server_status, SEC_E_OK);
}

TEST(NtlmHandshake, WrongPasswordDenied) {
  Options o;
  o.id = Identity(u"alice", u"EXAMPLE", u"secret123");
  Peer p = Handshake(o);
  ASSERT_EQ(p.client_status, SEC_E_OK);
  EXPECT_EQ(p.server_status, SEC_E_LOGON_DENIED);
  EXPECT_FALSE(p.s->IsComplete());
  // A dead context refuses further steps.
  StepIn in;
  in.token = p.authenticate;
  StepOut out;
  EXPECT_EQ(p.s->Step(in, &out), SEC_E_OUT_OF_SEQUENCE);
}

TEST(NtlmHandshake, UnknownUserOrDomainDenied) {
  Options o;
  o.id = Identity(u"mallory", u"EXAMPLE", u"Secret123");
  EXPECT_EQ(Handshake(o).server_status, SEC_E_LOGON_DENIED);
  o.id = Identity(u"alice", u"OTHER", u"Secret123");
  EXPECT_EQ(Handshake(o).server_status, SEC_E_LOGON_DENIED);
  o.id = Identity(u"alice", u"EXAMPLE", u"Secret123");
  o.store = nullptr;  // no store at all
  EXPECT_EQ(Handshake(o).server_status, SEC_E_LOGON_DENIED);
}

// Byte ranges of the CHALLENGE our server writes: header fields and payload items.
TEST(NtlmHandshake, EveryChallengeByteTamperedIsRefused) {
  Peer ref = Handshake(Options{});
  ASSERT_EQ(ref.server_status, SEC_E_OK);
  const size_t n = ref.challenge.size();
  for (size_t i = 0; i < n; ++i) {
    Options o;
    o.edit_challenge = [i](Bytes* m) { (*m)[i] ^= std::byte{0x01}; };
    Peer p = Handshake(o);
    const bool refused = p.client_status != SEC_E_OK || p.server_status != SEC_E_OK;
    EXPECT_TRUE(refused) << "challenge byte " << i << " flipped, handshake still succeeded";
  }
}

TEST(NtlmHandshake, ChallengeFieldsTamperedGiveExpectedCodes) {
  auto flip = [](size_t at, std::byte mask) {
    return [at, mask](Bytes* m) { (*m)[at] ^= mask; };
  };
  struct Case {
    const char* field;
    std::function<void(Bytes*)> edit;
    SECURITY_STATUS client;
    SECURITY_STATUS server;
  };
  const Case cases[] = {
      {"signature", flip(0, std::byte{1}), SEC_E_INVALID_TOKEN, 0},
      {"message type", flip(8, std::byte{1}), SEC_E_INVALID_TOKEN, 0},
      {"target name length", flip(12, std::byte{0x40}), SEC_E_INVALID_TOKEN, 0},
      {"flags: SEAL dropped", flip(20, std::byte{0x20}), SEC_E_OK, SEC_E_MESSAGE_ALTERED},
      {"flags: ESS dropped", flip(22, std::byte{0x08}), SEC_E_UNSUPPORTED_FUNCTION, 0},
      {"server challenge", flip(24, std::byte{1}), SEC_E_OK, SEC_E_LOGON_DENIED},
      {"reserved", flip(32, std::byte{1}), SEC_E_OK, SEC_E_MESSAGE_ALTERED},
      {"target info offset", flip(44, std::byte{0x10}), SEC_E_INVALID_TOKEN, 0},
      {"version", flip(48, std::byte{1}), SEC_E_OK, SEC_E_MESSAGE_ALTERED},
      {"target name", flip(56, std::byte{1}), SEC_E_OK, SEC_E_MESSAGE_ALTERED},
  };
  for (const Case& c : cases) {
    Options o;
    o.edit_challenge = c.edit;
    Peer p = Handshake(o);
    EXPECT_EQ(p.client_status, c.client) << c.field;
    if (c.client == SEC_E_OK) {
      EXPECT_EQ(p.server_status, c.server) << c.field;
    }
  }
  // TargetInfo: the timestamp value (last AV before EOL: the 8 bytes before the final 4).
  // A 100 ns change passes the skew check and is caught by the MIC; a change of months is
  // caught by the skew check first.
  Options o;
  o.edit_challenge = [](Bytes* m) { (*m)[m->size() - 12] ^= std::byte{1}; };
  Peer p = Handshake(o);
  EXPECT_EQ(p.client_status, SEC_E_OK);
  EXPECT_EQ(p.server_status, SEC_E_MESSAGE_ALTERED);
  o.edit_challenge = [](Bytes* m) { (*m)[m->size() - 6] ^= std::byte{1}; };
  p = Handshake(o);
  EXPECT_EQ(p.client_status, SEC_E_OK);
  EXPECT_EQ(p.server_status, SEC_E_LOGON_DENIED);
}

TEST(NtlmHandshake, EveryNegotiateByteTamperedIsRefused) {
  // The MIC covers the NEGOTIATE as each side saw it: a flag stripped in flight (downgrade),
  // or any other byte changed, fails the handshake even when the server accepts the token.
  for (size_t i = 0; i < 40; ++i) {
    Options o;
    o.edit_negotiate = [i](Bytes* m) { (*m)[i] ^= std::byte{0x01}; };
    Peer p = Handshake(o);
    EXPECT_FALSE(p.client_status == SEC_E_OK && p.server_status == SEC_E_OK) << i;
  }
  Options seal_off;
  seal_off.edit_negotiate = [](Bytes* m) { (*m)[12] &= std::byte{0xdf}; };  // drop SEAL
  const Peer p = Handshake(seal_off);
  EXPECT_EQ(p.client_status, SEC_E_OK);
  EXPECT_EQ(p.server_status, SEC_E_MESSAGE_ALTERED);
}

TEST(NtlmHandshake, EveryAuthenticateByteTamperedIsRefused) {
  Peer ref = Handshake(Options{});
  ASSERT_EQ(ref.server_status, SEC_E_OK);
  for (size_t i = 0; i < ref.authenticate.size(); ++i) {
    Options o;
    o.edit_authenticate = [i](Bytes* m) { (*m)[i] ^= std::byte{0x01}; };
    Peer p = Handshake(o);
    EXPECT_NE(p.server_status, SEC_E_OK) << "authenticate byte " << i;
    EXPECT_FALSE(p.s->IsComplete());
  }
}

TEST(NtlmHandshake, AuthenticateFieldsTamperedGiveExpectedCodes) {
  Peer ref = Handshake(Options{});
  AuthenticateMessage am;
  ASSERT_TRUE(ParseAuthenticate(ref.authenticate, &am));
  struct Case {
    const char* field;
    std::function<void(AuthenticateMessage*)> edit;
    SECURITY_STATUS server;
  };
  const Case cases[] = {
      {"MIC", [](AuthenticateMessage* m) { (*m->mic)[0] ^= std::byte{1}; }, SEC_E_MESSAGE_ALTERED},
      {"NTProofStr", [](AuthenticateMessage* m) { m->nt_response[0] ^= std::byte{1}; },
       SEC_E_LOGON_DENIED},
      {"client challenge in blob",
       [](AuthenticateMessage* m) { m->nt_response[16 + 16] ^= std::byte{1}; }, SEC_E_LOGON_DENIED},
      {"LM response", [](AuthenticateMessage* m) { m->lm_response[0] ^= std::byte{1}; },
       SEC_E_MESSAGE_ALTERED},
      {"domain", [](AuthenticateMessage* m) { m->domain[0] ^= std::byte{0x20}; },
       SEC_E_LOGON_DENIED},
      {"user", [](AuthenticateMessage* m) { m->user[0] ^= std::byte{1}; }, SEC_E_LOGON_DENIED},
      {"workstation", [](AuthenticateMessage* m) { m->workstation[0] ^= std::byte{1}; },
       SEC_E_MESSAGE_ALTERED},
      {"encrypted session key",
       [](AuthenticateMessage* m) { m->encrypted_session_key[0] ^= std::byte{1}; },
       SEC_E_MESSAGE_ALTERED},
      {"encrypted session key missing",
       [](AuthenticateMessage* m) { m->encrypted_session_key.clear(); }, SEC_E_INVALID_TOKEN},
      {"flags: SEAL dropped", [](AuthenticateMessage* m) { m->flags &= ~kNegotiateSeal; },
       SEC_E_MESSAGE_ALTERED},
      {"flags: Unicode dropped", [](AuthenticateMessage* m) { m->flags &= ~kNegotiateUnicode; },
       SEC_E_INVALID_TOKEN},
      {"version", [](AuthenticateMessage* m) { (*m->version)[0] ^= std::byte{1}; },
       SEC_E_MESSAGE_ALTERED},
      {"MIC stripped while MsvAvFlags claims it", [](AuthenticateMessage* m) { m->mic.reset(); },
       SEC_E_MESSAGE_ALTERED},
      {"MIC zeroed", [](AuthenticateMessage* m) { m->mic->fill(std::byte{0}); },
       SEC_E_MESSAGE_ALTERED},
      {"NTLMv2 RespType", [](AuthenticateMessage* m) { m->nt_response[16] = std::byte{2}; },
       SEC_E_INVALID_TOKEN},
      {"NT response cut to v1 length", [](AuthenticateMessage* m) { m->nt_response.resize(24); },
       SEC_E_LOGON_DENIED},
  };
  for (const Case& c : cases) {
    Options o;
    o.edit_authenticate = [&c](Bytes* m) {
      AuthenticateMessage x;
      ASSERT_TRUE(ParseAuthenticate(*m, &x));
      c.edit(&x);
      ASSERT_TRUE(WriteAuthenticate(x, m));
    };
    EXPECT_EQ(Handshake(o).server_status, c.server) << c.field;
  }
}

TEST(NtlmHandshake, AuthenticateReplayedIntoNewContextDenied) {
  Peer first = Handshake(Options{});
  ASSERT_EQ(first.server_status, SEC_E_OK);
  // A new server context sees the same NEGOTIATE, answers with a fresh challenge, then gets
  // the old AUTHENTICATE.
  auto scred = NewNtlmServerCredential(Users());
  std::unique_ptr<Context> s;
  ASSERT_EQ(scred->NewContext(Role::kServer, &s), SEC_E_OK);
  StepIn in;
  in.token = first.negotiate;
  in.req_flags = kAscReq;
  StepOut out;
  ASSERT_EQ(s->Step(in, &out), SEC_I_CONTINUE_NEEDED);
  in.token = first.authenticate;
  StepOut out2;
  EXPECT_EQ(s->Step(in, &out2), SEC_E_LOGON_DENIED);
}

// ServerWithChallenge returns a server context that has answered `negotiate` with the MS-NLMP
// 4.2 ServerChallenge 0123456789abcdef.
std::unique_ptr<Context> ServerWithChallenge(std::shared_ptr<store::UserStore> st,
                                             ByteSpan negotiate) {
  auto scred = NewNtlmServerCredential(std::move(st));
  std::unique_ptr<Context> s;
  EXPECT_EQ(scred->NewContext(Role::kServer, &s), SEC_E_OK);
  TestHooks h;
  h.server_challenge = Challenge8{std::byte{0x01}, std::byte{0x23}, std::byte{0x45},
                                  std::byte{0x67}, std::byte{0x89}, std::byte{0xab},
                                  std::byte{0xcd}, std::byte{0xef}};
  h.check_timestamp = false;  // the published example has Time = 0
  static_cast<NtlmContextImpl*>(s.get())->set_test_hooks(h);
  StepIn in;
  in.token = negotiate;
  StepOut out;
  EXPECT_EQ(s->Step(in, &out), SEC_I_CONTINUE_NEEDED);
  return s;
}

std::shared_ptr<store::MemoryStore> NlmpUsers() {
  auto st = std::make_shared<store::MemoryStore>();
  EXPECT_TRUE(st->AddPassword(u"User", u"Domain", u"Password"));
  return st;
}

TEST(NtlmHandshake, NtlmV1AndLmResponsesDenied) {
  VectorFile w("windows_captures.txt");
  VectorFile v2("nlmp_4_2_2.txt");
  VectorFile v3("nlmp_4_2_3.txt");
  for (const Bytes* auth : {&v2["authenticate"], &v3["authenticate"]}) {
    auto s = ServerWithChallenge(NlmpUsers(), w["negotiate"]);
    StepIn in;
    in.token = *auth;
    StepOut out;
    EXPECT_EQ(s->Step(in, &out), SEC_E_LOGON_DENIED);
  }
  // LM only: NtChallengeResponse empty, LmChallengeResponse 24 bytes.
  AuthenticateMessage am;
  ASSERT_TRUE(ParseAuthenticate(v2["authenticate"], &am));
  am.nt_response.clear();
  Bytes lm_only;
  ASSERT_TRUE(WriteAuthenticate(am, &lm_only));
  auto s = ServerWithChallenge(NlmpUsers(), w["negotiate"]);
  StepIn in;
  in.token = lm_only;
  StepOut out;
  EXPECT_EQ(s->Step(in, &out), SEC_E_LOGON_DENIED);
}

TEST(NtlmHandshake, PublishedNtlmV2AuthenticateAcceptedAndUnsealsPublishedMessage) {
  VectorFile w("windows_captures.txt");
  VectorFile v("nlmp_4_2_4.txt");
  auto s = ServerWithChallenge(NlmpUsers(), w["negotiate"]);
  StepIn in;
  in.token = v["authenticate"];
  StepOut out;
  ASSERT_EQ(s->Step(in, &out), SEC_E_OK);
  auto* impl = static_cast<NtlmContextImpl*>(s.get());
  EXPECT_FALSE(impl->MicPresent());  // the 4.2.4 message has no MIC
  EXPECT_EQ(Hex(impl->exported_session_key().span()), Hex(v["random_session_key"]));
  // DecryptMessage of the 4.2.4.4 sealed message.
  Bytes data = v["sealed"];
  Bytes sig = v["signature"];
  SecBuffer bufs[2] = {{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()},
                       {static_cast<ULONG>(sig.size()), SECBUFFER_TOKEN, sig.data()}};
  ULONG qop = 99;
  ASSERT_EQ(s->Decrypt(bufs, 0, &qop), SEC_E_OK);
  EXPECT_EQ(qop, 0u);
  EXPECT_EQ(Hex(data), Hex(v["plaintext"]));
}

TEST(NtlmHandshake, SpnegoMechListMicHooksMatchComputedVectors) {
  VectorFile w("windows_captures.txt");
  VectorFile v("nlmp_4_2_4.txt");
  VectorFile m("spnego_mechlistmic.txt");
  auto s = ServerWithChallenge(NlmpUsers(), w["negotiate"]);
  StepIn in;
  in.token = v["authenticate"];
  StepOut out;
  ASSERT_EQ(s->Step(in, &out), SEC_E_OK);
  auto* acc = static_cast<NtlmContextImpl*>(s.get());
  ASSERT_TRUE(acc->KeysReady());
  // Initiator's MIC (SeqNum 0) verifies; a wrong one does not and does not consume SeqNum 0.
  Bytes bad = m["initiator_mic"];
  bad[6] ^= std::byte{1};
  EXPECT_EQ(acc->VerifyNext(m["mech_type_list"], bad), SEC_E_MESSAGE_ALTERED);
  ASSERT_EQ(acc->VerifyNext(m["mech_type_list"], m["initiator_mic"]), SEC_E_OK);
  std::array<std::byte, 16> mic;
  ASSERT_EQ(acc->SignNext(m["mech_type_list"], &mic), SEC_E_OK);
  EXPECT_EQ(Hex(mic), Hex(m["acceptor_mic"]));
  // MS-SPNG 3.1.5.1: reset RC4 both ways, sequence numbers carry on (client's next is 1).
  acc->ResetRc4(Direction::kInbound);
  acc->ResetRc4(Direction::kOutbound);
  Bytes data = m["initiator_wrap_data"];
  Bytes sig = m["initiator_wrap_sig"];
  SecBuffer bufs[2] = {{static_cast<ULONG>(sig.size()), SECBUFFER_TOKEN, sig.data()},
                       {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
  ASSERT_EQ(s->Decrypt(bufs, 1, nullptr), SEC_E_OK);
  EXPECT_EQ(Hex(data), Hex(v["plaintext"]));
}

TEST(NtlmHandshake, AnonymousOnlyWhenBothSidesAsk) {
  Options o;
  o.id = Identity(u"", u"", u"");
  o.isc_req = kIscReq;  // no ISC_REQ_NULL_SESSION: the client refuses to go anonymous
  EXPECT_EQ(Handshake(o).client_status, SEC_E_NO_CREDENTIALS);
  o.isc_req = kIscReq | ISC_REQ_NULL_SESSION;
  Peer p = Handshake(o);
  ASSERT_EQ(p.client_status, SEC_E_OK);
  EXPECT_EQ(p.server_status, SEC_E_LOGON_DENIED);  // server did not allow it
  o.asc_req = kAscReq | ASC_REQ_ALLOW_NULL_SESSION;
  p = Handshake(o);
  ASSERT_EQ(p.server_status, SEC_E_OK);
  EXPECT_TRUE(p.server()->anonymous());
  EXPECT_FALSE(p.server()->KeysReady());
  Bytes data(4), sig(16);
  SecBuffer bufs[2] = {{4, SECBUFFER_DATA, data.data()}, {16, SECBUFFER_TOKEN, sig.data()}};
  EXPECT_EQ(p.s->MakeSignature(0, bufs, 0), SEC_E_UNSUPPORTED_FUNCTION);
}

TEST(NtlmHandshake, TruncatedOversizedAndGarbageTokens) {
  Peer ref = Handshake(Options{});
  ASSERT_EQ(ref.server_status, SEC_E_OK);
  auto scred = NewNtlmServerCredential(Users());
  for (size_t n = 0; n < ref.negotiate.size(); ++n) {
    if (n == 32) continue;  // the Version-less NEGOTIATE form is valid
    std::unique_ptr<Context> s;
    ASSERT_EQ(scred->NewContext(Role::kServer, &s), SEC_E_OK);
    StepIn in;
    in.token = ByteSpan(ref.negotiate).first(n);
    StepOut out;
    EXPECT_EQ(s->Step(in, &out), SEC_E_INVALID_TOKEN) << n;
  }
  for (size_t n = 0; n < ref.challenge.size(); n += 3) {
    Options o;
    o.edit_challenge = [n](Bytes* m) { m->resize(n); };
    EXPECT_EQ(Handshake(o).client_status, SEC_E_INVALID_TOKEN) << n;
  }
  for (size_t n = 0; n < ref.authenticate.size(); n += 3) {
    Options o;
    o.edit_authenticate = [n](Bytes* m) { m->resize(n); };
    EXPECT_EQ(Handshake(o).server_status, SEC_E_INVALID_TOKEN) << n;
  }
  Options big;
  big.edit_authenticate = [](Bytes* m) { m->resize(kMaxMessageSize + 1); };
  EXPECT_EQ(Handshake(big).server_status, SEC_E_INVALID_TOKEN);
  Options trailing;
  trailing.edit_authenticate = [](Bytes* m) { m->push_back(std::byte{0}); };
  EXPECT_EQ(Handshake(trailing).server_status, SEC_E_INVALID_TOKEN);
  Options garbage;
  garbage.edit_challenge = [](Bytes* m) { std::fill(m->begin(), m->end(), std::byte{0xa5}); };
  EXPECT_EQ(Handshake(garbage).client_status, SEC_E_INVALID_TOKEN);
}

TEST(NtlmHandshake, ChannelBindings) {
  Options o;
  o.client_cb = Bindings("tls-server-end-point:abc");
  o.server_cb = Bindings("tls-server-end-point:abc");
  EXPECT_EQ(Handshake(o).server_status, SEC_E_OK);
  o.server_cb = Bindings("tls-server-end-point:xyz");
  EXPECT_EQ(Handshake(o).server_status, SEC_E_BAD_BINDINGS);
  o.client_cb.clear();  // client sends Z(16): server with bindings accepts (issue policy)
  EXPECT_EQ(Handshake(o).server_status, SEC_E_OK);
  o.client_cb = Bindings("tls-server-end-point:abc");
  o.server_cb.clear();  // server without bindings does not check
  EXPECT_EQ(Handshake(o).server_status, SEC_E_OK);
  // Bindings given only on the first ISC / ASC call still count.
  o.bindings_on_first_call_only = true;
  o.server_cb = Bindings("tls-server-end-point:xyz");
  EXPECT_EQ(Handshake(o).server_status, SEC_E_BAD_BINDINGS);
  o.server_cb = Bindings("tls-server-end-point:abc");
  EXPECT_EQ(Handshake(o).server_status, SEC_E_OK);
}

// ---- message protection through SecBuffers ----------------------------------------------

SECURITY_STATUS Seal(Context* ctx, Bytes* data, Bytes* sig) {
  sig->assign(16, std::byte{0});
  SecBuffer b[2] = {{static_cast<ULONG>(sig->size()), SECBUFFER_TOKEN, sig->data()},
                    {static_cast<ULONG>(data->size()), SECBUFFER_DATA, data->data()}};
  return ctx->Encrypt(0, b, 0);
}

SECURITY_STATUS Unseal(Context* ctx, Bytes* data, Bytes* sig) {
  SecBuffer b[2] = {{static_cast<ULONG>(data->size()), SECBUFFER_DATA, data->data()},
                    {static_cast<ULONG>(sig->size()), SECBUFFER_TOKEN, sig->data()}};
  return ctx->Decrypt(b, 0, nullptr);
}

Bytes Text(const std::string& s) {
  Bytes b;
  for (char c : s) b.push_back(std::byte(static_cast<unsigned char>(c)));
  return b;
}

TEST(NtlmMessageProtection, SealBothWaysAndRefuseTampering) {
  Peer p = Handshake(Options{});
  ASSERT_EQ(p.server_status, SEC_E_OK);
  for (int round = 0; round < 3; ++round) {
    Bytes msg = Text("client to server " + std::to_string(round));
    Bytes data = msg, sig;
    ASSERT_EQ(Seal(p.c.get(), &data, &sig), SEC_E_OK);
    EXPECT_NE(data, msg);
    ASSERT_EQ(Unseal(p.s.get(), &data, &sig), SEC_E_OK);
    EXPECT_EQ(data, msg);
    Bytes back = Text("server to client " + std::to_string(round)), bsig;
    Bytes orig = back;
    ASSERT_EQ(Seal(p.s.get(), &back, &bsig), SEC_E_OK);
    ASSERT_EQ(Unseal(p.c.get(), &back, &bsig), SEC_E_OK);
    EXPECT_EQ(back, orig);
  }
  // Tampered ciphertext, tampered signature, replay, reordering.
  Bytes m1 = Text("one"), s1, m2 = Text("two"), s2;
  ASSERT_EQ(Seal(p.c.get(), &m1, &s1), SEC_E_OK);
  ASSERT_EQ(Seal(p.c.get(), &m2, &s2), SEC_E_OK);
  Bytes t = m1;
  t[0] ^= std::byte{1};
  Bytes ts = s1;
  EXPECT_EQ(Unseal(p.s.get(), &t, &ts), SEC_E_MESSAGE_ALTERED);
  t = m1;
  ts = s1;
  ts[10] ^= std::byte{1};
  EXPECT_EQ(Unseal(p.s.get(), &t, &ts), SEC_E_MESSAGE_ALTERED);
  t = m2;
  ts = s2;
  EXPECT_EQ(Unseal(p.s.get(), &t, &ts), SEC_E_OUT_OF_SEQUENCE);
  t = m1;
  ts = s1;
  ASSERT_EQ(Unseal(p.s.get(), &t, &ts), SEC_E_OK);
  EXPECT_EQ(t, Text("one"));
  t = m1;
  ts = s1;
  EXPECT_EQ(Unseal(p.s.get(), &t, &ts), SEC_E_OUT_OF_SEQUENCE);  // replay
  ASSERT_EQ(Unseal(p.s.get(), &m2, &s2), SEC_E_OK);
  EXPECT_EQ(m2, Text("two"));
}

TEST(NtlmMessageProtection, SignBothWaysAndRefuseTampering) {
  Peer p = Handshake(Options{});
  ASSERT_EQ(p.server_status, SEC_E_OK);
  Bytes data = Text("signed"), sig(16);
  SecBuffer mk[2] = {{6, SECBUFFER_DATA, data.data()}, {16, SECBUFFER_TOKEN, sig.data()}};
  ASSERT_EQ(p.s->MakeSignature(0, mk, 0), SEC_E_OK);
  EXPECT_EQ(data, Text("signed"));  // signing never changes the data
  ASSERT_EQ(p.c->VerifySignature(mk, 0, nullptr), SEC_E_OK);
  ASSERT_EQ(p.c->MakeSignature(0, mk, 0), SEC_E_OK);
  data[0] ^= std::byte{1};
  EXPECT_EQ(p.s->VerifySignature(mk, 0, nullptr), SEC_E_MESSAGE_ALTERED);
  data[0] ^= std::byte{1};
  ASSERT_EQ(p.s->VerifySignature(mk, 0, nullptr), SEC_E_OK);
  EXPECT_EQ(p.s->VerifySignature(mk, 0, nullptr), SEC_E_OUT_OF_SEQUENCE);
  // Token buffer too small; no token buffer; unsupported QOP.
  SecBuffer small[2] = {{6, SECBUFFER_DATA, data.data()}, {15, SECBUFFER_TOKEN, sig.data()}};
  EXPECT_EQ(p.c->MakeSignature(0, small, 0), SEC_E_BUFFER_TOO_SMALL);
  SecBuffer notoken[1] = {{6, SECBUFFER_DATA, data.data()}};
  EXPECT_EQ(p.c->MakeSignature(0, notoken, 0), SEC_E_INVALID_TOKEN);
  EXPECT_EQ(p.c->MakeSignature(7, mk, 0), SEC_E_QOP_NOT_SUPPORTED);
}

TEST(NtlmMessageProtection, ReadOnlyBuffersSignedNotEncrypted) {
  Peer p = Handshake(Options{});
  ASSERT_EQ(p.server_status, SEC_E_OK);
  Bytes hdr = Text("header"), body = Text("body"), trailer = Text("trailer"), sig(16);
  const Bytes hdr0 = hdr, body0 = body, tr0 = trailer;
  SecBuffer b[4] = {{6, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, hdr.data()},
                    {4, SECBUFFER_DATA, body.data()},
                    {7, SECBUFFER_DATA | SECBUFFER_READONLY, trailer.data()},
                    {16, SECBUFFER_TOKEN, sig.data()}};
  ASSERT_EQ(p.c->Encrypt(0, b, 0), SEC_E_OK);
  EXPECT_EQ(hdr, hdr0);
  EXPECT_EQ(trailer, tr0);
  EXPECT_NE(body, body0);
  // Tampering with a read-only (but checksummed) buffer is detected.
  Bytes sig_copy = sig, body_copy = body;
  hdr[0] ^= std::byte{1};
  EXPECT_EQ(p.s->Decrypt(b, 0, nullptr), SEC_E_MESSAGE_ALTERED);
  hdr[0] ^= std::byte{1};
  body = body_copy;  // the failed call decrypted in place; restore the ciphertext
  ASSERT_EQ(p.s->Decrypt(b, 0, nullptr), SEC_E_OK);
  EXPECT_EQ(body, body0);
}

TEST(NtlmMessageProtection, StreamFormAndSignOnlyQop) {
  Peer p = Handshake(Options{});
  ASSERT_EQ(p.server_status, SEC_E_OK);
  Bytes data = Text("stream form"), sig;
  ASSERT_EQ(Seal(p.c.get(), &data, &sig), SEC_E_OK);
  Bytes stream = sig;
  stream.insert(stream.end(), data.begin(), data.end());
  SecBuffer b[2] = {{static_cast<ULONG>(stream.size()), SECBUFFER_STREAM, stream.data()},
                    {0, SECBUFFER_DATA, nullptr}};
  ASSERT_EQ(p.s->Decrypt(b, 0, nullptr), SEC_E_OK);
  ASSERT_EQ(b[1].cbBuffer, 11u);
  EXPECT_EQ(std::memcmp(b[1].pvBuffer, "stream form", 11), 0);
  // SECQOP_WRAP_NO_ENCRYPT: data left in clear, VerifySignature accepts it.
  Bytes clear = Text("clear"), csig(16);
  SecBuffer w[2] = {{5, SECBUFFER_DATA, clear.data()}, {16, SECBUFFER_TOKEN, csig.data()}};
  ASSERT_EQ(p.c->Encrypt(SECQOP_WRAP_NO_ENCRYPT, w, 0), SEC_E_OK);
  EXPECT_EQ(clear, Text("clear"));
  EXPECT_EQ(p.s->VerifySignature(w, 0, nullptr), SEC_E_OK);
}

TEST(NtlmMessageProtection, NotBeforeCompletion) {
  auto scred = NewNtlmServerCredential(Users());
  std::unique_ptr<Context> s;
  ASSERT_EQ(scred->NewContext(Role::kServer, &s), SEC_E_OK);
  Bytes data(4), sig(16);
  SecBuffer b[2] = {{4, SECBUFFER_DATA, data.data()}, {16, SECBUFFER_TOKEN, sig.data()}};
  EXPECT_EQ(s->MakeSignature(0, b, 0), SEC_E_NO_CONTEXT);
  EXPECT_EQ(s->Encrypt(0, b, 0), SEC_E_NO_CONTEXT);
}

// ---- attributes ---------------------------------------------------------------------------

std::u16string W(const void* p) {
  return std::u16string(static_cast<const char16_t*>(p));
}

TEST(NtlmAttributes, QueryAfterHandshake) {
  Peer p = Handshake(Options{});
  ASSERT_EQ(p.server_status, SEC_E_OK);
  SecPkgContext_Sizes sizes{};
  ASSERT_EQ(p.s->QueryAttribute(SECPKG_ATTR_SIZES, &sizes, CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(sizes.cbMaxToken, 2888u);
  EXPECT_EQ(sizes.cbMaxSignature, 16u);
  EXPECT_EQ(sizes.cbBlockSize, 0u);
  EXPECT_EQ(sizes.cbSecurityTrailer, 16u);

  SecPkgContext_NamesW names{};
  ASSERT_EQ(p.s->QueryAttribute(SECPKG_ATTR_NAMES, &names, CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(W(names.sUserName), u"EXAMPLE\\alice");
  EXPECT_TRUE(FreeContextBufferTracked(names.sUserName));
  SecPkgContext_NamesA namesa{};
  ASSERT_EQ(p.c->QueryAttribute(SECPKG_ATTR_NAMES, &namesa, CharWidth::kAnsi), SEC_E_OK);
  EXPECT_STREQ(namesa.sUserName, "EXAMPLE\\alice");
  EXPECT_TRUE(FreeContextBufferTracked(namesa.sUserName));

  SecPkgContext_NativeNamesW nn{};
  ASSERT_EQ(p.c->QueryAttribute(SECPKG_ATTR_NATIVE_NAMES, &nn, CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(W(nn.sServerName), u"TERMSRV/host.example");
  EXPECT_TRUE(FreeContextBufferTracked(nn.sClientName));
  EXPECT_TRUE(FreeContextBufferTracked(nn.sServerName));

  SecPkgContext_SessionKey ck{}, sk{};
  ASSERT_EQ(p.c->QueryAttribute(SECPKG_ATTR_SESSION_KEY, &ck, CharWidth::kWide), SEC_E_OK);
  ASSERT_EQ(p.s->QueryAttribute(SECPKG_ATTR_SESSION_KEY, &sk, CharWidth::kWide), SEC_E_OK);
  ASSERT_EQ(ck.SessionKeyLength, 16u);
  ASSERT_EQ(sk.SessionKeyLength, 16u);
  EXPECT_EQ(std::memcmp(ck.SessionKey, sk.SessionKey, 16), 0);
  EXPECT_TRUE(FreeContextBufferTracked(ck.SessionKey));
  EXPECT_TRUE(FreeContextBufferTracked(sk.SessionKey));

  SecPkgContext_PackageInfoW pi{};
  ASSERT_EQ(p.s->QueryAttribute(SECPKG_ATTR_PACKAGE_INFO, &pi, CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(W(pi.PackageInfo->Name), u"NTLM");
  EXPECT_EQ(pi.PackageInfo->wRPCID, 10);
  EXPECT_TRUE(FreeContextBufferTracked(pi.PackageInfo));

  SecPkgContext_NegotiationInfoW ni{};
  ASSERT_EQ(p.c->QueryAttribute(SECPKG_ATTR_NEGOTIATION_INFO, &ni, CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(ni.NegotiationState, static_cast<ULONG>(SECPKG_NEGOTIATION_COMPLETE));
  EXPECT_TRUE(FreeContextBufferTracked(ni.PackageInfo));

  SecPkgContext_Flags fl{};
  ASSERT_EQ(p.c->QueryAttribute(SECPKG_ATTR_FLAGS, &fl, CharWidth::kWide), SEC_E_OK);
  EXPECT_NE(fl.Flags & ISC_RET_CONFIDENTIALITY, 0u);
  EXPECT_NE(fl.Flags & ISC_RET_INTEGRITY, 0u);
  ASSERT_EQ(p.s->QueryAttribute(SECPKG_ATTR_FLAGS, &fl, CharWidth::kWide), SEC_E_OK);
  EXPECT_NE(fl.Flags & ASC_RET_CONFIDENTIALITY, 0u);

  SecPkgContext_Lifespan life{};
  ASSERT_EQ(p.s->QueryAttribute(SECPKG_ATTR_LIFESPAN, &life, CharWidth::kWide), SEC_E_OK);
  EXPECT_GT(life.tsStart.QuadPart, 0);
  EXPECT_GT(life.tsExpiry.QuadPart, life.tsStart.QuadPart);

  EXPECT_EQ(p.s->QueryAttribute(SECPKG_ATTR_ACCESS_TOKEN, &fl, CharWidth::kWide),
            SEC_E_UNSUPPORTED_FUNCTION);
  EXPECT_EQ(p.s->Impersonate(), SEC_E_OK);
  EXPECT_EQ(p.s->Revert(), SEC_E_OK);
}

TEST(NtlmAttributes, SamFileAttributeSwitchesTheStore) {
  char path[] = "/tmp/ocs-ntlm-sam-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path);
    // winpr-hash -u alice -p Secret123 -d EXAMPLE -f sam
    f << "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n";
  }
  // Credential with an empty store; the context is switched to the SAM file like FreeRDP does
  // (after the first AcceptSecurityContext call).
  auto scred = NewNtlmServerCredential(std::make_shared<store::MemoryStore>());
  std::shared_ptr<NtlmCredential> ccred;
  ASSERT_EQ(NewNtlmClientCredential(Identity(u"alice", u"EXAMPLE", u"Secret123"), &ccred),
            SEC_E_OK);
  std::unique_ptr<Context> c, s;
  ASSERT_EQ(ccred->NewContext(Role::kClient, &c), SEC_E_OK);
  ASSERT_EQ(scred->NewContext(Role::kServer, &s), SEC_E_OK);
  StepIn in;
  StepOut o1, o2, o3, o4;
  ASSERT_EQ(c->Step(in, &o1), SEC_I_CONTINUE_NEEDED);
  in.token = o1.token;
  ASSERT_EQ(s->Step(in, &o2), SEC_I_CONTINUE_NEEDED);
  ASSERT_EQ(s->SetAttribute(SECPKG_ATTR_AUTH_NTLM_SAM_FILE, path,
                            static_cast<ULONG>(std::strlen(path) + 1), CharWidth::kAnsi),
            SEC_E_OK);
  in.token = o2.token;
  ASSERT_EQ(c->Step(in, &o3), SEC_E_OK);
  in.token = o3.token;
  EXPECT_EQ(s->Step(in, &o4), SEC_E_OK);
  EXPECT_EQ(s->SetAttribute(SECPKG_ATTR_AUTH_NTLM_SAM_FILE, nullptr, 0, CharWidth::kAnsi),
            SEC_E_INVALID_PARAMETER);
  std::remove(path);
}

TEST(NtlmPackageTest, AcquireCredentials) {
  auto pkg = NtlmPackage();
  ASSERT_NE(pkg, nullptr);
  EXPECT_EQ(pkg->id(), PackageId::kNtlm);
  std::shared_ptr<Credential> cred;
  AcquireArgs a;
  a.use = SECPKG_CRED_OUTBOUND;
  EXPECT_EQ(pkg->AcquireCredentials(a, &cred), SEC_E_NO_CREDENTIALS);
  a.use = SECPKG_CRED_INBOUND;  // FreeRDP: INBOUND with NULL auth data succeeds
  ASSERT_EQ(pkg->AcquireCredentials(a, &cred), SEC_E_OK);
  std::unique_ptr<Context> ctx;
  EXPECT_EQ(cred->NewContext(Role::kClient, &ctx), SEC_E_WRONG_CREDENTIAL_HANDLE);
  EXPECT_EQ(cred->NewContext(Role::kServer, &ctx), SEC_E_OK);
  a.use = SECPKG_CRED_BOTH;
  ASSERT_EQ(pkg->AcquireCredentials(a, &cred), SEC_E_OK);
  ASSERT_EQ(cred->NewContext(Role::kClient, &ctx), SEC_E_OK);
  StepIn in;
  StepOut out;
  EXPECT_EQ(ctx->Step(in, &out), SEC_E_NO_CREDENTIALS);  // no identity for the client side
  a.use = SECPKG_CRED_OUTBOUND;
  a.identity = Identity(u"alice", u"EXAMPLE", u"Secret123");
  ASSERT_EQ(pkg->AcquireCredentials(a, &cred), SEC_E_OK);
  SecPkgCredentials_NamesW n{};
  ASSERT_EQ(cred->QueryAttribute(SECPKG_CRED_ATTR_NAMES, &n, CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(W(n.sUserName), u"EXAMPLE\\alice");
  EXPECT_TRUE(FreeContextBufferTracked(n.sUserName));
}

}  // namespace
}  // namespace ocs::ntlm

#include <opencredssp/store.h>

namespace ocs::ntlm {
namespace {

// HandshakeWith runs a full exchange against an existing server credential.
SECURITY_STATUS HandshakeWith(const std::shared_ptr<NtlmCredential>& scred, AuthIdentity id) {
  std::shared_ptr<NtlmCredential> ccred;
  EXPECT_EQ(NewNtlmClientCredential(std::move(id), &ccred), SEC_E_OK);
  std::unique_ptr<Context> c, s;
  EXPECT_EQ(ccred->NewContext(Role::kClient, &c), SEC_E_OK);
  EXPECT_EQ(scred->NewContext(Role::kServer, &s), SEC_E_OK);
  StepIn in;
  StepOut o1, o2, o3, o4;
  if (c->Step(in, &o1) != SEC_I_CONTINUE_NEEDED) return SEC_E_INTERNAL_ERROR;
  in.token = o1.token;
  if (s->Step(in, &o2) != SEC_I_CONTINUE_NEEDED) return SEC_E_INTERNAL_ERROR;
  in.token = o2.token;
  if (c->Step(in, &o3) != SEC_E_OK) return SEC_E_INTERNAL_ERROR;
  in.token = o3.token;
  return s->Step(in, &o4);
}

int SEC_ENTRY LookupBob(void* ctx, const SEC_WCHAR* user, const SEC_WCHAR* domain,
                        unsigned char nt_hash[16]) {
  ++*static_cast<int*>(ctx);
  (void)domain;
  if (std::u16string(reinterpret_cast<const char16_t*>(user)) != u"bob") return 0;
  SecretBytes h;
  if (!store::NtHash(u"hunter2", &h)) return 0;
  std::memcpy(nt_hash, h.data(), 16);
  return 1;
}

TEST(NtlmEmbedderStore, AddUserAndLookupCallbackAttributes) {
  auto scred = NewNtlmServerCredential(std::make_shared<store::MemoryStore>());
  EXPECT_EQ(HandshakeWith(scred, Identity(u"alice", u"EXAMPLE", u"Secret123")),
            SEC_E_LOGON_DENIED);
  // OCS_USER_ENTRY_A with a password, then OCS_USER_ENTRY_W with an NT hash.
  OCS_USER_ENTRY_A a{OCS_USER_STRUCT_VERSION, "alice", "EXAMPLE", "Secret123", nullptr};
  ASSERT_EQ(scred->SetAttribute(OCS_ATTR_ADD_USER, &a, sizeof(a), CharWidth::kAnsi), SEC_E_OK);
  EXPECT_EQ(HandshakeWith(scred, Identity(u"alice", u"EXAMPLE", u"Secret123")), SEC_E_OK);
  const unsigned char carol_hash[16] = {0xa4, 0xf4, 0x9c, 0x40, 0x65, 0x10, 0xbd, 0xca,
                                        0xb6, 0x82, 0x4e, 0xe7, 0xc3, 0x0f, 0xd8, 0x52};
  const char16_t carol[] = u"carol";
  OCS_USER_ENTRY_W w{OCS_USER_STRUCT_VERSION, reinterpret_cast<const SEC_WCHAR*>(carol), nullptr,
                     nullptr, carol_hash};
  ASSERT_EQ(scred->SetAttribute(OCS_ATTR_ADD_USER, &w, sizeof(w), CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(HandshakeWith(scred, Identity(u"carol", u"ANY", u"Password")), SEC_E_OK);
  // Malformed entries.
  OCS_USER_ENTRY_A both{OCS_USER_STRUCT_VERSION, "x", "", "pw", carol_hash};
  EXPECT_EQ(scred->SetAttribute(OCS_ATTR_ADD_USER, &both, sizeof(both), CharWidth::kAnsi),
            SEC_E_INVALID_PARAMETER);
  OCS_USER_ENTRY_A v2{2, "x", "", "pw", nullptr};
  EXPECT_EQ(scred->SetAttribute(OCS_ATTR_ADD_USER, &v2, sizeof(v2), CharWidth::kAnsi),
            SEC_E_INVALID_PARAMETER);
  EXPECT_EQ(scred->SetAttribute(OCS_ATTR_ADD_USER, &a, 4, CharWidth::kAnsi),
            SEC_E_INVALID_PARAMETER);

  // A lookup callback replaces the store.
  int calls = 0;
  OCS_USER_LOOKUP l{OCS_USER_STRUCT_VERSION, &LookupBob, &calls};
  ASSERT_EQ(scred->SetAttribute(OCS_ATTR_USER_LOOKUP, &l, sizeof(l), CharWidth::kWide), SEC_E_OK);
  EXPECT_EQ(HandshakeWith(scred, Identity(u"bob", u"EXAMPLE", u"hunter2")), SEC_E_OK);
  EXPECT_EQ(HandshakeWith(scred, Identity(u"alice", u"EXAMPLE", u"Secret123")),
            SEC_E_LOGON_DENIED);
  EXPECT_EQ(calls, 2);
  // Client credentials have no user store.
  std::shared_ptr<NtlmCredential> ccred;
  ASSERT_EQ(NewNtlmClientCredential(Identity(u"a", u"", u"b"), &ccred), SEC_E_OK);
  EXPECT_EQ(ccred->SetAttribute(OCS_ATTR_USER_LOOKUP, &l, sizeof(l), CharWidth::kWide),
            SEC_E_UNSUPPORTED_FUNCTION);
}

}  // namespace
}  // namespace ocs::ntlm

#include <random>

namespace ocs::ntlm {
namespace {

TEST(NtlmRobustness, RandomlyMutatedTokensNeverAuthenticate) {
  std::mt19937 rng(20261128);
  auto mutate = [&rng](Bytes* m) {
    switch (rng() % 4) {
      case 0:  // a few random bytes
        for (int k = 0, n = 1 + static_cast<int>(rng() % 6); k < n; ++k) {
          (*m)[rng() % m->size()] = std::byte(rng() & 0xff);
        }
        break;
      case 1:  // truncate
        m->resize(rng() % m->size());
        break;
      case 2:  // extend with garbage
        for (int k = 0, n = 1 + static_cast<int>(rng() % 64); k < n; ++k) {
          m->push_back(std::byte(rng() & 0xff));
        }
        break;
      default:  // a descriptor pointing somewhere random
        if (m->size() >= 28) {
          const size_t at = 12 + 8 * (rng() % 2);
          util::StoreU32(MutableByteSpan(*m).subspan(at + 4, 4), static_cast<uint32_t>(rng()));
        }
        break;
    }
  };
  for (int i = 0; i < 150; ++i) {
    Options o;
    o.edit_challenge = mutate;
    const Peer p = Handshake(o);
    EXPECT_FALSE(p.client_status == SEC_E_OK && p.server_status == SEC_E_OK) << i;
  }
  for (int i = 0; i < 150; ++i) {
    Options o;
    o.edit_authenticate = mutate;
    const Peer p = Handshake(o);
    EXPECT_NE(p.server_status, SEC_E_OK) << i;
  }
}

TEST(NtlmServerNames, ChallengeCarriesConfiguredNamesAndTimestamp) {
  ASSERT_EQ(setenv("OPENCREDSSP_NTLM_COMPUTER", "SRV01", 1), 0);
  ASSERT_EQ(setenv("OPENCREDSSP_NTLM_DOMAIN", "CORP", 1), 0);
  ASSERT_EQ(setenv("OPENCREDSSP_NTLM_DNS_DOMAIN", "corp.example", 1), 0);
  Peer p = Handshake(Options{});
  unsetenv("OPENCREDSSP_NTLM_COMPUTER");
  unsetenv("OPENCREDSSP_NTLM_DOMAIN");
  unsetenv("OPENCREDSSP_NTLM_DNS_DOMAIN");
  ASSERT_EQ(p.server_status, SEC_E_OK);
  ChallengeMessage ch;
  ASSERT_TRUE(ParseChallenge(p.challenge, &ch));
  EXPECT_EQ(ch.target_info.GetString(kAvNbComputerName).value_or(u""), u"SRV01");
  EXPECT_EQ(ch.target_info.GetString(kAvNbDomainName).value_or(u""), u"CORP");
  EXPECT_EQ(ch.target_info.GetString(kAvDnsDomainName).value_or(u""), u"corp.example");
  const uint64_t ts = ch.target_info.GetU64(kAvTimestamp).value_or(0);
  const uint64_t now = FileTimeNow();
  EXPECT_LE(now - ts, 600000000ULL);  // within a minute
  EXPECT_EQ(ch.target_info.pairs().front().id, kAvNbDomainName);  // Windows' order
  EXPECT_NE(ch.flags & kTargetTypeServer, 0u);
  EXPECT_EQ(ch.flags & (kNegotiateOem | kNegotiateLmKey), 0u);
  std::u16string target;
  ASSERT_TRUE(util::LEToU16(ch.target_name, &target));
  EXPECT_EQ(target, u"SRV01");
}

}  // namespace
}  // namespace ocs::ntlm

namespace ocs::ntlm {
namespace {

// Runs a handshake where the server context gets WinPR's attribute 1003 before AUTHENTICATE.
SECURITY_STATUS HandshakeWithHash(int version, ByteSpan hash, Context** keep_server,
                                  std::unique_ptr<Context>* server_out) {
  auto scred = NewNtlmServerCredential(std::make_shared<store::MemoryStore>());
  std::shared_ptr<NtlmCredential> ccred;
  EXPECT_EQ(NewNtlmClientCredential(Identity(u"alice", u"EXAMPLE", u"Secret123"), &ccred),
            SEC_E_OK);
  std::unique_ptr<Context> c;
  EXPECT_EQ(ccred->NewContext(Role::kClient, &c), SEC_E_OK);
  EXPECT_EQ(scred->NewContext(Role::kServer, server_out), SEC_E_OK);
  Context* s = server_out->get();
  if (keep_server != nullptr) *keep_server = s;
  StepIn in;
  StepOut o1, o2, o3, o4;
  EXPECT_EQ(c->Step(in, &o1), SEC_I_CONTINUE_NEEDED);
  in.token = o1.token;
  EXPECT_EQ(s->Step(in, &o2), SEC_I_CONTINUE_NEEDED);
  WinprAuthNtlmHash h{};
  h.Version = version;
  std::memcpy(h.NtlmHash, hash.data(), 16);
  EXPECT_EQ(s->SetAttribute(kAttrAuthNtlmHash, &h, sizeof(h), CharWidth::kAnsi), SEC_E_OK);
  in.token = o2.token;
  EXPECT_EQ(c->Step(in, &o3), SEC_E_OK);
  in.token = o3.token;
  return s->Step(in, &o4);
}

TEST(NtlmWinprAttributes, NtlmHashAndAuthIdentity) {
  SecretBytes nt;
  ASSERT_TRUE(store::NtHash(u"Secret123", &nt));
  SecretBytes v2;
  ASSERT_TRUE(NtOwfV2(&v2, nt.span(), u"alice", u"EXAMPLE"));
  std::unique_ptr<Context> s;
  EXPECT_EQ(HandshakeWithHash(1, nt.span(), nullptr, &s), SEC_E_OK);
  WinprAuthIdentity id{};
  ASSERT_EQ(s->QueryAttribute(kAttrAuthIdentity, &id, CharWidth::kAnsi), SEC_E_OK);
  EXPECT_STREQ(id.User, "alice");
  EXPECT_STREQ(id.Domain, "EXAMPLE");
  EXPECT_EQ(HandshakeWithHash(2, v2.span(), nullptr, &s), SEC_E_OK);
  SecretBytes wrong;
  ASSERT_TRUE(store::NtHash(u"nope", &wrong));
  EXPECT_EQ(HandshakeWithHash(1, wrong.span(), nullptr, &s), SEC_E_LOGON_DENIED);
  WinprAuthNtlmHash bad{};
  bad.Version = 3;
  EXPECT_EQ(s->SetAttribute(kAttrAuthNtlmHash, &bad, sizeof(bad), CharWidth::kAnsi),
            SEC_E_INVALID_PARAMETER);
}

}  // namespace
}  // namespace ocs::ntlm
