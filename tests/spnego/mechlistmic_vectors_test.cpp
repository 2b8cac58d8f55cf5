// mechlistmic_vectors_test.cpp - spnego.md §6.2: the mechListMIC and the first sealed message
// after it, for the MS-NLMP 4.2.4 keys (ExportedSessionKey 55 x 16, ESS + KEY_EXCH + 128), on
// the NTLM session-security object the Negotiate context drives through SignNext / VerifyNext /
// ResetRc4. Pins the exact bytes a Windows peer computes and expects.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "ntlm/flags.h"
#include "ntlm/session_security.h"
#include "spnego/hex.h"
#include "spnego/spnego_messages.h"

namespace ocs::spnego {
namespace {

using ocs::testing::Hex;
using ocs::testing::SpanEq;

// MS-NLMP 4.2.4 NegotiateFlags (e2 8a 82 33 on the wire).
constexpr uint32_t kFlags = 0xe28a8233;

const Bytes kMechTypeList = Hex("30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a");
const Bytes kInitiatorMic = Hex("01 00 00 00 22 a3 98 4f ef bb 9c 32 00 00 00 00");
const Bytes kAcceptorMic = Hex("01 00 00 00 7d d6 da 05 64 8a 73 ae 00 00 00 00");

Bytes ListCopy() { return kMechTypeList; }

TEST(MechListMicVectors, MechTypeListIsWhatOurClientSends) {
  const ByteSpan ntlm = NtlmOid();
  EXPECT_EQ(EncodeMechTypeList(gsl::span<const ByteSpan>(&ntlm, 1)), kMechTypeList);
}

TEST(MechListMicVectors, InitiatorAndAcceptorMics) {
  ASSERT_NE(kFlags & ntlm::kNegotiateExtendedSessionSecurity, 0u);
  const Bytes key(16, std::byte{0x55});
  ntlm::SessionSecurity client, server;
  ASSERT_TRUE(client.Init(key, kFlags, /*is_client=*/true));
  ASSERT_TRUE(server.Init(key, kFlags, /*is_client=*/false));

  Bytes list = ListCopy();
  const ntlm::DataPart part{MutableByteSpan(list), false};
  ntlm::Signature mic_i{}, mic_a{};
  ASSERT_EQ(client.Sign(gsl::span<const ntlm::DataPart>(&part, 1), &mic_i), SEC_E_OK);
  EXPECT_TRUE(SpanEq(mic_i, kInitiatorMic));
  ASSERT_EQ(server.Verify(gsl::span<const ntlm::DataPart>(&part, 1), mic_i), SEC_E_OK);
  ASSERT_EQ(server.Sign(gsl::span<const ntlm::DataPart>(&part, 1), &mic_a), SEC_E_OK);
  EXPECT_TRUE(SpanEq(mic_a, kAcceptorMic));
  ASSERT_EQ(client.Verify(gsl::span<const ntlm::DataPart>(&part, 1), mic_a), SEC_E_OK);
  EXPECT_EQ(client.outbound_seq(), 1u);
  EXPECT_EQ(client.inbound_seq(), 1u);

  // The acceptor MIC does not verify as the initiator's (direction keys differ) and a list
  // edited by one byte does not verify either (the downgrade check).
  ntlm::SessionSecurity fresh;
  ASSERT_TRUE(fresh.Init(key, kFlags, /*is_client=*/false));
  EXPECT_NE(fresh.Verify(gsl::span<const ntlm::DataPart>(&part, 1), mic_a), SEC_E_OK);
  Bytes edited = ListCopy();
  edited.back() = std::byte{0x0b};
  const ntlm::DataPart edited_part{MutableByteSpan(edited), false};
  EXPECT_NE(fresh.Verify(gsl::span<const ntlm::DataPart>(&edited_part, 1), mic_i), SEC_E_OK);
}

TEST(MechListMicVectors, FirstWrapAfterMicAndRc4Reset) {
  const Bytes key(16, std::byte{0x55});
  ntlm::SessionSecurity client, server;
  ASSERT_TRUE(client.Init(key, kFlags, true));
  ASSERT_TRUE(server.Init(key, kFlags, false));
  Bytes list = ListCopy();
  const ntlm::DataPart part{MutableByteSpan(list), false};
  ntlm::Signature mic{};
  ASSERT_EQ(client.Sign(gsl::span<const ntlm::DataPart>(&part, 1), &mic), SEC_E_OK);
  client.ResetRc4(/*outbound=*/true);  // MS-SPNG 3.1.5.1, as NegotiateContext::SignMechList
  ASSERT_EQ(server.Verify(gsl::span<const ntlm::DataPart>(&part, 1), mic), SEC_E_OK);
  server.ResetRc4(/*outbound=*/false);

  // "Plaintext" in UTF-16LE, MS-NLMP 4.2.4.4's message, now with SeqNum 1 but the keystream
  // of a fresh RC4 (hence the same ciphertext as NLMP's SeqNum 0 example).
  Bytes data = Hex("50 00 6c 00 61 00 69 00 6e 00 74 00 65 00 78 00 74 00");
  const ntlm::DataPart msg{MutableByteSpan(data), true};
  ntlm::Signature sig{};
  ASSERT_EQ(client.Seal(gsl::span<const ntlm::DataPart>(&msg, 1), &sig), SEC_E_OK);
  EXPECT_EQ(data, Hex("54 e5 01 65 bf 19 36 dc 99 60 20 c1 81 1b 0f 06 fb 5f"));
  EXPECT_TRUE(SpanEq(sig, Hex("01 00 00 00 1d ea fb cc ed 2a 4e a9 01 00 00 00")));
  ASSERT_EQ(server.Unseal(gsl::span<const ntlm::DataPart>(&msg, 1), sig), SEC_E_OK);
  EXPECT_EQ(data, Hex("50 00 6c 00 61 00 69 00 6e 00 74 00 65 00 78 00 74 00"));
}

TEST(MechListMicVectors, WithoutResetTheKeystreamDiffers) {
  // The reset matters: skipping it (the mistake MS-SPNG 3.1.5.1 guards against) gives other
  // ciphertext, which a Windows peer would reject.
  const Bytes key(16, std::byte{0x55});
  ntlm::SessionSecurity client;
  ASSERT_TRUE(client.Init(key, kFlags, true));
  Bytes list = ListCopy();
  const ntlm::DataPart part{MutableByteSpan(list), false};
  ntlm::Signature mic{};
  ASSERT_EQ(client.Sign(gsl::span<const ntlm::DataPart>(&part, 1), &mic), SEC_E_OK);
  Bytes data = Hex("50 00 6c 00 61 00 69 00 6e 00 74 00 65 00 78 00 74 00");
  const ntlm::DataPart msg{MutableByteSpan(data), true};
  ntlm::Signature sig{};
  ASSERT_EQ(client.Seal(gsl::span<const ntlm::DataPart>(&msg, 1), &sig), SEC_E_OK);
  EXPECT_NE(data, Hex("54 e5 01 65 bf 19 36 dc 99 60 20 c1 81 1b 0f 06 fb 5f"));
}

}  // namespace
}  // namespace ocs::spnego
