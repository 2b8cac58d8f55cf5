// ntlm_vectors_test.cpp - MS-NLMP 4.2 known answers (tests/vectors/nlmp_4_2_*.txt), the
// recognition of the 4.2.2 / 4.2.3 NTLMv1 messages, and the spnego.md §6 COMPUTED vectors
// through the NtlmContext hooks.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "ntlm/authenticate_message.h"
#include "ntlm/challenge_message.h"
#include "ntlm/flags.h"
#include "ntlm/ntlm_crypto.h"
#include "ntlm/session_security.h"
#include "ntlm/vector_file.h"
#include "store/user_store.h"
#include "util/utf16.h"

namespace ocs::ntlm {
namespace {

using ocs::testing::Hex;
using ocs::testing::VectorFile;

class Nlmp424 : public ::testing::Test {
 protected:
  VectorFile v{"nlmp_4_2_4.txt"};
};

TEST_F(Nlmp424, NtHashAndNtowfV2) {
  SecretBytes nt;
  ASSERT_TRUE(store::NtHash(u"Password", &nt));
  EXPECT_EQ(Hex(nt.span()), Hex(v["nt_hash"]));
  SecretBytes key;
  ASSERT_TRUE(NtOwfV2(&key, nt.span(), u"User", u"Domain"));
  EXPECT_EQ(Hex(key.span()), Hex(v["ntowfv2"]));
  // Only the user name is upper-cased (MS-NLMP 3.3.2): the user's case does not matter...
  SecretBytes key2;
  ASSERT_TRUE(NtOwfV2(&key2, nt.span(), u"uSeR", u"Domain"));
  EXPECT_EQ(Hex(key2.span()), Hex(v["ntowfv2"]));
  // ...the domain's does.
  ASSERT_TRUE(NtOwfV2(&key2, nt.span(), u"User", u"DOMAIN"));
  EXPECT_NE(Hex(key2.span()), Hex(v["ntowfv2"]));
}

TEST_F(Nlmp424, TempProofSessionKeysLm) {
  const Bytes temp = BuildTemp(0, v["client_challenge"], v["av_pairs"]);
  EXPECT_EQ(Hex(temp), Hex(v["temp"]));
  const ByteSpan key = v["ntowfv2"];
  Digest16 proof;
  ASSERT_TRUE(NtProofStr(&proof, key, v["server_challenge"], temp));
  EXPECT_EQ(Hex(proof), Hex(v["nt_proof_str"]));
  SecretBytes sbk;
  ASSERT_TRUE(SessionBaseKeyV2(&sbk, key, proof));
  EXPECT_EQ(Hex(sbk.span()), Hex(v["session_base_key"]));
  Bytes lm;
  ASSERT_TRUE(LmV2Response(&lm, key, v["server_challenge"], v["client_challenge"]));
  EXPECT_EQ(Hex(lm), Hex(v["lmv2_response"]));
  std::array<std::byte, 16> enc{};
  ASSERT_TRUE(crypto::Rc4Once(enc, sbk.span(), v["random_session_key"]));
  EXPECT_EQ(Hex(enc), Hex(v["encrypted_session_key"]));
}

TEST_F(Nlmp424, SigningAndSealingKeys) {
  const uint32_t flags = 0xe28a8233;
  SecretBytes k;
  ASSERT_TRUE(SignKey(&k, v["random_session_key"], true));
  EXPECT_EQ(Hex(k.span()), Hex(v["client_signing_key"]));
  ASSERT_TRUE(SealKey(&k, v["random_session_key"], flags, true));
  EXPECT_EQ(Hex(k.span()), Hex(v["client_sealing_key"]));
  ASSERT_TRUE(SignKey(&k, v["random_session_key"], false));
  EXPECT_EQ(Hex(k.span()), Hex(v["server_signing_key"]));
  ASSERT_TRUE(SealKey(&k, v["random_session_key"], flags, false));
  EXPECT_EQ(Hex(k.span()), Hex(v["server_sealing_key"]));
}

TEST_F(Nlmp424, ChallengeMessageRoundTrip) {
  ChallengeMessage m;
  ASSERT_TRUE(ParseChallenge(v["challenge"], &m));
  EXPECT_EQ(m.flags, 0xe28a8233u);
  EXPECT_EQ(Hex(m.server_challenge), Hex(v["server_challenge"]));
  EXPECT_EQ(m.target_info.GetString(kAvNbDomainName).value_or(u""), u"Domain");
  EXPECT_EQ(m.target_info.GetString(kAvNbComputerName).value_or(u""), u"Server");
  EXPECT_EQ(Hex(m.target_info.Serialize()), Hex(v["av_pairs"]));
  ASSERT_TRUE(m.version.has_value());
  Bytes out;
  ASSERT_TRUE(WriteChallenge(m, &out));
  EXPECT_EQ(Hex(out), Hex(v["challenge"]));
}

TEST_F(Nlmp424, AuthenticateMessageBuiltFromParts) {
  // Build the 4.2.4.3 AUTHENTICATE from the computed values and compare byte for byte.
  AuthenticateMessage m;
  m.flags = 0xe2888235;
  m.version = Version{std::byte{5}, std::byte{1}, std::byte{0x28}, std::byte{0x0a},
                      std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0x0f}};
  m.domain = util::U16ToLE(u"Domain");
  m.user = util::U16ToLE(u"User");
  m.workstation = util::U16ToLE(u"COMPUTER");
  m.lm_response = v["lmv2_response"];
  m.nt_response = v["nt_proof_str"];
  const Bytes& temp = v["temp"];
  m.nt_response.insert(m.nt_response.end(), temp.begin(), temp.end());
  m.encrypted_session_key = v["encrypted_session_key"];
  Bytes out;
  ASSERT_TRUE(WriteAuthenticate(m, &out));
  EXPECT_EQ(Hex(out), Hex(v["authenticate"]));

  AuthenticateMessage p;
  ASSERT_TRUE(ParseAuthenticate(v["authenticate"], &p));
  EXPECT_FALSE(p.mic.has_value());  // payload at 0x48: Version but no MIC field
  EXPECT_TRUE(p.version.has_value());
  EXPECT_EQ(Hex(p.nt_response), Hex(m.nt_response));
  EXPECT_EQ(Hex(p.encrypted_session_key), Hex(v["encrypted_session_key"]));
}

TEST_F(Nlmp424, SealClientMessageAndSecondMessage) {
  SessionSecurity client;
  ASSERT_TRUE(client.Init(v["random_session_key"], 0xe28a8233, /*is_client=*/true));
  Bytes data = v["plaintext"];
  DataPart part{data, true};
  Signature sig;
  ASSERT_EQ(client.Seal(gsl::span<const DataPart>(&part, 1), &sig), SEC_E_OK);
  EXPECT_EQ(Hex(data), Hex(v["sealed"]));
  EXPECT_EQ(Hex(sig), Hex(v["signature"]));
  Bytes data2 = v["plaintext"];
  DataPart part2{data2, true};
  ASSERT_EQ(client.Seal(gsl::span<const DataPart>(&part2, 1), &sig), SEC_E_OK);
  EXPECT_EQ(Hex(data2), Hex(v["client_sealed_2"]));
  EXPECT_EQ(Hex(sig), Hex(v["client_signature_2"]));

  // The server side unseals both, in order.
  SessionSecurity server;
  ASSERT_TRUE(server.Init(v["random_session_key"], 0xe28a8233, /*is_client=*/false));
  Bytes in1 = v["sealed"];
  DataPart p1{in1, true};
  ASSERT_EQ(server.Unseal(gsl::span<const DataPart>(&p1, 1), v["signature"]), SEC_E_OK);
  EXPECT_EQ(Hex(in1), Hex(v["plaintext"]));
  Bytes in2 = v["client_sealed_2"];
  DataPart p2{in2, true};
  ASSERT_EQ(server.Unseal(gsl::span<const DataPart>(&p2, 1), v["client_signature_2"]), SEC_E_OK);
  EXPECT_EQ(Hex(in2), Hex(v["plaintext"]));
}

TEST_F(Nlmp424, SealServerMessage) {
  SessionSecurity server;
  ASSERT_TRUE(server.Init(v["random_session_key"], 0xe28a8233, false));
  Bytes data = v["plaintext"];
  DataPart part{data, true};
  Signature sig;
  ASSERT_EQ(server.Seal(gsl::span<const DataPart>(&part, 1), &sig), SEC_E_OK);
  EXPECT_EQ(Hex(data), Hex(v["server_sealed"]));
  EXPECT_EQ(Hex(sig), Hex(v["server_signature"]));
}

TEST_F(Nlmp424, SealWithoutKeyExchange) {
  SessionSecurity client;
  ASSERT_TRUE(client.Init(v["random_session_key"], 0xe28a8233 & ~kNegotiateKeyExch, true));
  Bytes data = v["plaintext"];
  DataPart part{data, true};
  Signature sig;
  ASSERT_EQ(client.Seal(gsl::span<const DataPart>(&part, 1), &sig), SEC_E_OK);
  EXPECT_EQ(Hex(data), Hex(v["sealed"]));
  EXPECT_EQ(Hex(sig), Hex(v["signature_no_key_exch"]));
}

TEST_F(Nlmp424, TamperedAndReplayedSealedMessagesRefused) {
  SessionSecurity server;
  ASSERT_TRUE(server.Init(v["random_session_key"], 0xe28a8233, false));
  // Altered ciphertext.
  Bytes bad = v["sealed"];
  bad[3] ^= std::byte{1};
  DataPart pb{bad, true};
  EXPECT_EQ(server.Unseal(gsl::span<const DataPart>(&pb, 1), v["signature"]),
            SEC_E_MESSAGE_ALTERED);
  // Altered checksum.
  Bytes sig = v["signature"];
  sig[5] ^= std::byte{0x80};
  Bytes d = v["sealed"];
  DataPart pd{d, true};
  EXPECT_EQ(server.Unseal(gsl::span<const DataPart>(&pd, 1), sig), SEC_E_MESSAGE_ALTERED);
  // Second message first: out of sequence.
  Bytes d2 = v["client_sealed_2"];
  DataPart p2{d2, true};
  EXPECT_EQ(server.Unseal(gsl::span<const DataPart>(&p2, 1), v["client_signature_2"]),
            SEC_E_OUT_OF_SEQUENCE);
  // After the refusals the genuine first message still verifies (state rolled back)...
  Bytes good = v["sealed"];
  DataPart pg{good, true};
  ASSERT_EQ(server.Unseal(gsl::span<const DataPart>(&pg, 1), v["signature"]), SEC_E_OK);
  EXPECT_EQ(Hex(good), Hex(v["plaintext"]));
  // ...and its replay is out of sequence.
  Bytes again = v["sealed"];
  DataPart pa{again, true};
  EXPECT_EQ(server.Unseal(gsl::span<const DataPart>(&pa, 1), v["signature"]),
            SEC_E_OUT_OF_SEQUENCE);
}

TEST(Nlmp42v1, RecognisedAsV1) {
  VectorFile v2("nlmp_4_2_2.txt");
  VectorFile v3("nlmp_4_2_3.txt");
  // NTOWFv1 and the v1 SessionBaseKey = MD4(NTOWFv1) (MS-NLMP 3.3.1) from our primitives.
  crypto::Md4Digest sbk;
  ASSERT_TRUE(crypto::Md4(&sbk, {v2["nt_hash"]}));
  EXPECT_EQ(Hex(sbk), Hex(v2["session_base_key_v1"]));

  ChallengeMessage c2, c3;
  ASSERT_TRUE(ParseChallenge(v2["challenge"], &c2));
  ASSERT_TRUE(ParseChallenge(v3["challenge"], &c3));
  EXPECT_FALSE(c2.has_target_info);  // v1 servers send no TargetInfo
  EXPECT_EQ(c2.flags & kNegotiateExtendedSessionSecurity, 0u);
  EXPECT_NE(c3.flags & kNegotiateExtendedSessionSecurity, 0u);

  AuthenticateMessage a2, a3;
  ASSERT_TRUE(ParseAuthenticate(v2["authenticate"], &a2));
  ASSERT_TRUE(ParseAuthenticate(v3["authenticate"], &a3));
  // MS-NLMP 3.2.5.1.2: a 24-byte NtChallengeResponse is NTLMv1.
  EXPECT_EQ(a2.nt_response.size(), 24u);
  EXPECT_EQ(a3.nt_response.size(), 24u);
  EXPECT_EQ(a2.lm_response.size(), 24u);
  EXPECT_FALSE(a2.mic.has_value());
  EXPECT_TRUE(a3.encrypted_session_key.empty());  // 4.2.3: no KEY_EXCH
}

TEST(WindowsCaptures, ParseRealTokens) {
  VectorFile v("windows_captures.txt");
  NegotiateMessage n;
  ASSERT_TRUE(ParseNegotiate(v["negotiate"], &n));
  EXPECT_EQ(n.flags, 0xe20882b7u);
  ASSERT_TRUE(n.version.has_value());
  Bytes out;
  ASSERT_TRUE(WriteNegotiate(n, &out));
  EXPECT_EQ(Hex(out), Hex(v["negotiate"]));

  ChallengeMessage c;
  ASSERT_TRUE(ParseChallenge(v["challenge"], &c));
  EXPECT_EQ(c.flags, 0xe2898235u);
  EXPECT_EQ(c.target_info.GetString(kAvNbComputerName).value_or(u""), u"DC01");
  EXPECT_EQ(c.target_info.GetString(kAvDnsDomainName).value_or(u""), u"domain.local");
  EXPECT_TRUE(c.target_info.GetU64(kAvTimestamp).has_value());
  ASSERT_TRUE(WriteChallenge(c, &out));
  // Our writer keeps the AV order and layout: byte-identical.
  EXPECT_EQ(Hex(out), Hex(v["challenge"]));
}

TEST(ChannelBindings, TlsServerEndPointComputed) {
  // ntlm.md §10 COMPUTED: application data "tls-server-end-point:" || 32 zero bytes.
  const std::string prefix = "tls-server-end-point:";
  Bytes cb(32);
  util::StoreU32(MutableByteSpan(cb).subspan(24, 4), static_cast<uint32_t>(prefix.size() + 32));
  util::StoreU32(MutableByteSpan(cb).subspan(28, 4), 32);
  cb.insert(cb.end(), reinterpret_cast<const std::byte*>(prefix.data()),
            reinterpret_cast<const std::byte*>(prefix.data()) + prefix.size());
  cb.resize(cb.size() + 32);
  Digest16 h;
  ASSERT_TRUE(HashChannelBindings(&h, cb));
  EXPECT_EQ(Hex(h), "c9ec5cb29e8f57f7ee6429cde733efeb");
  // Offsets outside the block are refused.
  util::StoreU32(MutableByteSpan(cb).subspan(28, 4), 0xfffffff0u);
  EXPECT_FALSE(HashChannelBindings(&h, cb));
  EXPECT_FALSE(HashChannelBindings(&h, ByteSpan(cb).first(31)));
}

}  // namespace
}  // namespace ocs::ntlm
