// fields.cpp - shared message header and payload-descriptor checks (MS-NLMP 2.2).
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/fields.h"

#include <algorithm>
#include <cstring>

namespace ocs::ntlm {

bool ReadHeader(util::ByteReader* r, MessageType expected) {
  ByteSpan sig;
  uint32_t type = 0;
  if (!r->ReadBytes(8, &sig) || !r->ReadU32(&type)) return false;
  if (std::memcmp(sig.data(), kSignature, 8) != 0) return false;
  return type == static_cast<uint32_t>(expected);
}

bool ReadFields(util::ByteReader* r, Fields* out) {
  uint16_t max_len = 0;
  // MaxLen "SHOULD be set to the value of Len" and MUST be ignored on receipt (MS-NLMP 2.2.1.1).
  return r->ReadU16(&out->len) && r->ReadU16(&max_len) && r->ReadU32(&out->offset);
}

size_t SmallestOffset(const std::vector<Fields>& fields, size_t none) {
  size_t m = none;
  for (const Fields& f : fields) {
    if (f.len != 0) m = std::min<size_t>(m, f.offset);
  }
  return m;
}

bool CheckPayload(ByteSpan msg, size_t header_end, const std::vector<Fields>& fields) {
  std::vector<std::pair<size_t, size_t>> ranges;
  size_t end = header_end;
  for (const Fields& f : fields) {
    if (f.len == 0) continue;
    const size_t begin = f.offset;
    const size_t stop = begin + f.len;  // no overflow: 32-bit + 16-bit in size_t
    if (begin < header_end || stop > msg.size()) return false;
    ranges.emplace_back(begin, stop);
    end = std::max(end, stop);
  }
  if (end != msg.size()) return false;  // trailing bytes that belong to no field
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return false;
  }
  return true;
}

bool WriteHeader(util::ByteWriter* w, MessageType type) {
  return w->WriteBytes(AsBytes(kSignature, 8)) && w->WriteU32(static_cast<uint32_t>(type));
}

bool PayloadWriter::ReserveFields(size_t* out_at) {
  *out_at = w_->size();
  return w_->WriteZeros(8);
}

bool PayloadWriter::Append(size_t at, ByteSpan data, bool zero_if_empty) {
  if (data.size() > 0xFFFF) return false;
  const size_t offset = data.empty() && zero_if_empty ? 0 : w_->size();
  if (offset > 0xFFFFFFFFu) return false;
  const auto len = static_cast<uint16_t>(data.size());
  return w_->WriteBytes(data) && w_->PatchU16(at, len) && w_->PatchU16(at + 2, len) &&
         w_->PatchU32(at + 4, static_cast<uint32_t>(offset));
}

}  // namespace ocs::ntlm
