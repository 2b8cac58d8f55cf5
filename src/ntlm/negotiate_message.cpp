// negotiate_message.cpp - NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
//
// Layout: Signature(8) MessageType(4) NegotiateFlags(4) DomainNameFields(8)
// WorkstationFields(8) [Version(8)] Payload. The Version field exists when the payload starts
// at or after offset 40 (or the message is at least 40 bytes with no payload).
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/negotiate_message.h"

#include "ntlm/fields.h"
#include "ntlm/flags.h"
#include "util/bytes.h"

namespace ocs::ntlm {

namespace {
constexpr size_t kFixed = 32;
constexpr size_t kWithVersion = 40;
}  // namespace

Version OurVersion() {
  // 10.0, build 20348 (0x4F7C), reserved 0, NTLMRevisionCurrent 0x0F.
  return Version{std::byte{10}, std::byte{0},  std::byte{0x7C}, std::byte{0x4F},
                 std::byte{0},  std::byte{0},  std::byte{0},    std::byte{0x0F}};
}

bool ParseNegotiate(ByteSpan msg, NegotiateMessage* out) {
  if (msg.size() > kMaxMessageSize) return false;
  util::ByteReader r(msg);
  NegotiateMessage m;
  Fields domain;
  Fields ws;
  if (!ReadHeader(&r, MessageType::kNegotiate) || !r.ReadU32(&m.flags) ||
      !ReadFields(&r, &domain) || !ReadFields(&r, &ws)) {
    return false;
  }
  // MS-NLMP 2.2.1.1: the fields are only meaningful with their *_SUPPLIED flag; without it a
  // sender may leave garbage there, so treat them as empty.
  if ((m.flags & kNegotiateOemDomainSupplied) == 0) domain = Fields{};
  if ((m.flags & kNegotiateOemWorkstationSupplied) == 0) ws = Fields{};
  const std::vector<Fields> fields = {domain, ws};
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
  const ByteSpan d = FieldSpan(msg, domain);
  const ByteSpan w = FieldSpan(msg, ws);
  m.domain.assign(d.begin(), d.end());
  m.workstation.assign(w.begin(), w.end());
  *out = std::move(m);
  return true;
}

bool WriteNegotiate(const NegotiateMessage& m, Bytes* out) {
  util::ByteWriter w(kMaxMessageSize);
  PayloadWriter p(&w);
  size_t domain_at = 0;
  size_t ws_at = 0;
  if (!WriteHeader(&w, MessageType::kNegotiate) || !w.WriteU32(m.flags) ||
      !p.ReserveFields(&domain_at) || !p.ReserveFields(&ws_at)) {
    return false;
  }
  if (m.version && !w.WriteBytes(*m.version)) return false;
  // Windows leaves the descriptors of absent OEM strings all-zero (MS-NLMP 4.2 captures).
  if (!p.Append(domain_at, m.domain, true) || !p.Append(ws_at, m.workstation, true)) {
    return false;
  }
  *out = w.Take();
  return true;
}

}  // namespace ocs::ntlm
