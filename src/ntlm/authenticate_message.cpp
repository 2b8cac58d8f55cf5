// authenticate_message.cpp - AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
//
// Layout: Signature(8) MessageType(4) LmChallengeResponseFields(8)
// NtChallengeResponseFields(8) DomainNameFields(8) UserNameFields(8) WorkstationFields(8)
// EncryptedRandomSessionKeyFields(8) NegotiateFlags(4) [Version(8) [MIC(16)]] Payload.
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/authenticate_message.h"

#include "ntlm/fields.h"
#include "ntlm/flags.h"
#include "util/bytes.h"

namespace ocs::ntlm {

namespace {
constexpr size_t kFixed = 64;
constexpr size_t kWithVersion = 72;
constexpr size_t kWithMic = 88;

Bytes Copy(ByteSpan s) { return Bytes(s.begin(), s.end()); }
}  // namespace

bool ParseAuthenticate(ByteSpan msg, AuthenticateMessage* out) {
  if (msg.size() > kMaxMessageSize) return false;
  util::ByteReader r(msg);
  AuthenticateMessage m;
  Fields lm, nt, domain, user, ws, key;
  if (!ReadHeader(&r, MessageType::kAuthenticate) || !ReadFields(&r, &lm) ||
      !ReadFields(&r, &nt) || !ReadFields(&r, &domain) || !ReadFields(&r, &user) ||
      !ReadFields(&r, &ws) || !ReadFields(&r, &key) || !r.ReadU32(&m.flags)) {
    return false;
  }
  const std::vector<Fields> fields = {lm, nt, domain, user, ws, key};
  const size_t header_end = SmallestOffset(fields, msg.size());
  size_t fixed = kFixed;
  if (header_end >= kWithVersion) {
    ByteSpan v;
    if (!r.ReadBytes(8, &v)) return false;
    m.version.emplace();
    std::copy(v.begin(), v.end(), m.version->begin());
    fixed = kWithVersion;
  }
  if (header_end >= kWithMic) {
    ByteSpan mic;
    if (!r.ReadBytes(16, &mic)) return false;
    m.mic.emplace();
    std::copy(mic.begin(), mic.end(), m.mic->begin());
    fixed = kWithMic;
  }
  if (!CheckPayload(msg, fixed, fields)) return false;
  m.lm_response = Copy(FieldSpan(msg, lm));
  m.nt_response = Copy(FieldSpan(msg, nt));
  m.domain = Copy(FieldSpan(msg, domain));
  m.user = Copy(FieldSpan(msg, user));
  m.workstation = Copy(FieldSpan(msg, ws));
  m.encrypted_session_key = Copy(FieldSpan(msg, key));
  if ((m.flags & kNegotiateUnicode) != 0 &&
      (m.domain.size() % 2 != 0 || m.user.size() % 2 != 0 || m.workstation.size() % 2 != 0)) {
    return false;
  }
  *out = std::move(m);
  return true;
}

bool WriteAuthenticate(const AuthenticateMessage& m, Bytes* out) {
  if (m.mic && !m.version) return false;  // the MIC field sits after Version
  util::ByteWriter w(kMaxMessageSize);
  PayloadWriter p(&w);
  size_t lm = 0, nt = 0, domain = 0, user = 0, ws = 0, key = 0;
  if (!WriteHeader(&w, MessageType::kAuthenticate) || !p.ReserveFields(&lm) ||
      !p.ReserveFields(&nt) || !p.ReserveFields(&domain) || !p.ReserveFields(&user) ||
      !p.ReserveFields(&ws) || !p.ReserveFields(&key) || !w.WriteU32(m.flags)) {
    return false;
  }
  if (m.version && !w.WriteBytes(*m.version)) return false;
  if (m.mic && !w.WriteBytes(*m.mic)) return false;
  if (!p.Append(domain, m.domain) || !p.Append(user, m.user) || !p.Append(ws, m.workstation) ||
      !p.Append(lm, m.lm_response) || !p.Append(nt, m.nt_response) ||
      !p.Append(key, m.encrypted_session_key)) {
    return false;
  }
  *out = w.Take();
  return true;
}

}  // namespace ocs::ntlm
