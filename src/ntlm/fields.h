// fields.h - the 8-byte "fields" descriptor of NTLM messages (MS-NLMP 2.2: Len | MaxLen |
// BufferOffset) and the shared header/payload checks every message reader applies.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.h"
#include "ntlm/flags.h"
#include "util/bytes.h"

namespace ocs::ntlm {

struct Fields {
  uint16_t len = 0;
  uint32_t offset = 0;
};

// ReadHeader checks Signature and MessageType.
[[nodiscard]] bool ReadHeader(util::ByteReader* r, MessageType expected);
[[nodiscard]] bool ReadFields(util::ByteReader* r, Fields* out);

// PayloadLayout validates a message's payload fields together: every non-empty field lies in
// [header_end, msg.size()), no two non-empty fields overlap, and nothing follows the last
// field (MS-NLMP 2.2 puts payload items anywhere after the header; we refuse bytes that belong
// to no field at the end, pointers into the header, and aliasing fields). `header_end` is the
// size of the fixed header as the sender laid it out. Empty fields are ignored (their offset
// is meaningless: MS-NLMP 3.1.5.1.2 sets some to 0).
[[nodiscard]] bool CheckPayload(ByteSpan msg, size_t header_end, const std::vector<Fields>& fields);

// SmallestOffset returns the smallest offset among non-empty fields, or `none` if all empty.
size_t SmallestOffset(const std::vector<Fields>& fields, size_t none);

inline ByteSpan FieldSpan(ByteSpan msg, const Fields& f) {
  return f.len == 0 ? ByteSpan() : msg.subspan(f.offset, f.len);
}

// PayloadWriter lays out a message: fixed header first (with placeholder descriptors), then
// payload items appended in order, each descriptor patched with its real length/offset.
class PayloadWriter {
 public:
  explicit PayloadWriter(util::ByteWriter* w) : w_(w) {}
  // ReserveFields writes an empty descriptor and remembers where it is.
  [[nodiscard]] bool ReserveFields(size_t* out_at);
  // Append writes `data` at the end of the message and patches the descriptor at `at`. An
  // empty item gets the current offset, or 0 with `zero_if_empty` (Windows' NEGOTIATE).
  [[nodiscard]] bool Append(size_t at, ByteSpan data, bool zero_if_empty = false);

 private:
  util::ByteWriter* w_;
};

[[nodiscard]] bool WriteHeader(util::ByteWriter* w, MessageType type);

}  // namespace ocs::ntlm
