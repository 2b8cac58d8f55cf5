// av_pairs.h - AV_PAIR lists (MS-NLMP 2.2.2.1): CHALLENGE TargetInfo and the AvPairs inside an
// NTLMv2_CLIENT_CHALLENGE.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"
#include "ntlm/flags.h"

namespace ocs::ntlm {

struct AvPair {
  uint16_t id = 0;
  Bytes value;
};

// AvList keeps pairs in wire order, without the terminating MsvAvEOL.
class AvList {
 public:
  // Parse reads pairs up to and including MsvAvEOL from the start of `in`, and sets
  // `*out_consumed` to the bytes used (the caller decides whether anything may follow).
  // Fails on: a pair running past `in`, a missing EOL, an EOL with AvLen != 0, a fixed-size
  // pair with the wrong length (MsvAvFlags 4, MsvAvTimestamp 8, MsvAvChannelBindings 16), or
  // a repeated id (a second MsvAvFlags or MsvAvChannelBindings would let a sender say two
  // things at once; MS-NLMP 2.2.2.1 lists each AvId once).
  [[nodiscard]] static bool Parse(ByteSpan in, AvList* out, size_t* out_consumed);
  // ParseExact is Parse that also refuses bytes after the EOL (CHALLENGE TargetInfo).
  [[nodiscard]] static bool ParseExact(ByteSpan in, AvList* out);

  // Serialize writes the pairs followed by MsvAvEOL.
  Bytes Serialize() const;

  const AvPair* Find(uint16_t id) const;
  // Set replaces the value of `id` or appends it (keeping the order of the others).
  void Set(uint16_t id, ByteSpan value);
  void SetU32(uint16_t id, uint32_t v);

  std::optional<uint32_t> GetU32(uint16_t id) const;
  std::optional<uint64_t> GetU64(uint16_t id) const;
  // GetString decodes a UTF-16LE value; nullopt if absent or of odd length.
  std::optional<std::u16string> GetString(uint16_t id) const;

  const std::vector<AvPair>& pairs() const { return pairs_; }

 private:
  std::vector<AvPair> pairs_;
};

}  // namespace ocs::ntlm
