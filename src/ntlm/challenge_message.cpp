// challenge_message.cpp - CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
//
// Layout: Signature(8) MessageType(4) TargetNameFields(8) NegotiateFlags(4)
// ServerChallenge(8) Reserved(8) TargetInfoFields(8) [Version(8)] Payload.
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/challenge_message.h"

#include "ntlm/fields.h"
#include "ntlm/flags.h"
#include "util/bytes.h"

namespace ocs::ntlm {

namespace {
constexpr size_t kFixed = 48;
constexpr size_t kWithVersion = 56;
}  // namespace

bool ParseChallenge(ByteSpan msg, ChallengeMessage* out) {
  if (msg.size() > kMaxMessageSize) return false;
  util::ByteReader r(msg);
  ChallengeMessage m;
  Fields name;
  Fields info;
  ByteSpan challenge;
  if (!ReadHeader(&r, MessageType::kChallenge) || !ReadFields(&r, &name) ||
      !r.ReadU32(&m.flags) || !r.ReadBytes(8, &challenge) || !r.Skip(8) ||
      !ReadFields(&r, &info)) {
    return false;
  }
  std::copy(challenge.begin(), challenge.end(), m.server_challenge.begin());
  const std::vector<Fields> fields = {name, info};
  const size_t header_end = SmallestOffset(fields, msg.size());
  size_t fixed = kFixed;
  if (header_end >= kWithVersion) {
    ByteSpan v;
    if (!r.ReadBytes(8, &v)) return false;
    m.version.emplace();
    std::copy(v.begin(), v.end(), m.version->begin());
    fixed = kWithVersion;
  }
  if (!CheckPayload(msg, fixed, fields)) return false;
  const ByteSpan n = FieldSpan(msg, name);
  // MS-NLMP 2.2.1.2: a Unicode TargetName has an even length.
  if ((m.flags & kNegotiateUnicode) != 0 && n.size() % 2 != 0) return false;
  m.target_name.assign(n.begin(), n.end());
  if (info.len != 0) {
    if (!AvList::ParseExact(FieldSpan(msg, info), &m.target_info)) return false;
    m.has_target_info = true;
  }
  *out = std::move(m);
  return true;
}

bool WriteChallenge(const ChallengeMessage& m, Bytes* out) {
  util::ByteWriter w(kMaxMessageSize);
  PayloadWriter p(&w);
  size_t name_at = 0;
  size_t info_at = 0;
  if (!WriteHeader(&w, MessageType::kChallenge) || !p.ReserveFields(&name_at) ||
      !w.WriteU32(m.flags) || !w.WriteBytes(m.server_challenge) || !w.WriteZeros(8) ||
      !p.ReserveFields(&info_at)) {
    return false;
  }
  if (m.version && !w.WriteBytes(*m.version)) return false;
  if (!p.Append(name_at, m.target_name)) return false;
  if (m.has_target_info) {
    const Bytes info = m.target_info.Serialize();
    if (!p.Append(info_at, info)) return false;
  }
  *out = w.Take();
  return true;
}

}  // namespace ocs::ntlm
