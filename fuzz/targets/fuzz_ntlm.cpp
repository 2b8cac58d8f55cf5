// fuzz_ntlm_{negotiate,challenge,authenticate,avpairs} - the NTLM message parsers of
// src/ntlm (MS-NLMP 2.2.1.1-2.2.1.3, 2.2.2.1), one binary per parser (OCS_FUZZ_NTLM_WHICH).
// Property: parse/write reach a fixpoint (see fuzz_common.h); the parsers never read out of
// bounds (ASan) whatever the offsets and lengths in the header say.
// SPDX-License-Identifier: Apache-2.0
#include "fuzz_common.h"
#include "ntlm/authenticate_message.h"
#include "ntlm/av_pairs.h"
#include "ntlm/challenge_message.h"
#include "ntlm/negotiate_message.h"

using namespace ocs::ntlm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ocs::ByteSpan in = ocsfuzz::Span(data, size);
#if OCS_FUZZ_NTLM_WHICH == 1
  ocsfuzz::Fixpoint<NegotiateMessage>(
      "fuzz_ntlm_negotiate", in, [](ocs::ByteSpan b, NegotiateMessage* m) { return ParseNegotiate(b, m); },
      [](const NegotiateMessage& m, ocs::Bytes* o) { return WriteNegotiate(m, o); });
#elif OCS_FUZZ_NTLM_WHICH == 2
  ocsfuzz::Fixpoint<ChallengeMessage>(
      "fuzz_ntlm_challenge", in, [](ocs::ByteSpan b, ChallengeMessage* m) { return ParseChallenge(b, m); },
      [](const ChallengeMessage& m, ocs::Bytes* o) { return WriteChallenge(m, o); });
#elif OCS_FUZZ_NTLM_WHICH == 3
  ocsfuzz::Fixpoint<AuthenticateMessage>(
      "fuzz_ntlm_authenticate", in,
      [](ocs::ByteSpan b, AuthenticateMessage* m) { return ParseAuthenticate(b, m); },
      [](const AuthenticateMessage& m, ocs::Bytes* o) { return WriteAuthenticate(m, o); });
#elif OCS_FUZZ_NTLM_WHICH == 4
  // Parse (prefix) and ParseExact (whole input) must agree, and the consumed prefix must
  // serialize back to itself when ids are unique (the parser refuses repeats).
  AvList list;
  size_t used = 0;
  const bool ok = AvList::Parse(in, &list, &used);
  AvList exact;
  const bool exact_ok = AvList::ParseExact(in, &exact);
  if (exact_ok && (!ok || used != size)) ocsfuzz::Fail("fuzz_ntlm_avpairs", "ParseExact/Parse disagree");
  if (ok) {
    if (used > size) ocsfuzz::Fail("fuzz_ntlm_avpairs", "consumed more than the input");
    const ocs::Bytes ser = list.Serialize();
    if (ser.size() != used || !std::equal(ser.begin(), ser.end(), in.begin()))
      ocsfuzz::Fail("fuzz_ntlm_avpairs", "Serialize(Parse(x)) != x");
    for (const AvPair& p : list.pairs()) {
      (void)list.GetString(p.id);
      (void)list.GetU32(p.id);
      (void)list.GetU64(p.id);
    }
  }
#else
#error "OCS_FUZZ_NTLM_WHICH must be 1..4"
#endif
  return 0;
}
