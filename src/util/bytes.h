// bytes.h - bounded little-endian cursors over untrusted bytes (MS-NLMP 2.2: all multi-byte
// integers are little-endian).
//
// ByteReader never reads past its span: every Read* returns false (and leaves the cursor where
// it was) when fewer bytes remain than asked for. ByteWriter appends to a vector up to a fixed
// limit and fails (without writing) past it, so a writer bug cannot build an oversized token.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/types.h"

namespace ocs::util {

class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  [[nodiscard]] bool ReadU8(uint8_t* out);
  [[nodiscard]] bool ReadU16(uint16_t* out);
  [[nodiscard]] bool ReadU32(uint32_t* out);
  [[nodiscard]] bool ReadU64(uint64_t* out);
  // ReadBytes returns a view of the next `n` bytes (aliasing the input).
  [[nodiscard]] bool ReadBytes(size_t n, ByteSpan* out);
  [[nodiscard]] bool Skip(size_t n);

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  ByteSpan rest() const { return data_.subspan(pos_); }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

class ByteWriter {
 public:
  explicit ByteWriter(size_t max_len = std::numeric_limits<size_t>::max()) : max_(max_len) {}

  [[nodiscard]] bool WriteU8(uint8_t v);
  [[nodiscard]] bool WriteU16(uint16_t v);
  [[nodiscard]] bool WriteU32(uint32_t v);
  [[nodiscard]] bool WriteU64(uint64_t v);
  [[nodiscard]] bool WriteBytes(ByteSpan b);
  [[nodiscard]] bool WriteZeros(size_t n);
  // PatchU16 / PatchU32 overwrite already-written bytes at `at` (for offsets filled in late).
  [[nodiscard]] bool PatchU16(size_t at, uint16_t v);
  [[nodiscard]] bool PatchU32(size_t at, uint32_t v);

  size_t size() const { return buf_.size(); }
  const Bytes& bytes() const { return buf_; }
  Bytes Take() { return std::move(buf_); }

 private:
  bool Room(size_t n) const { return n <= max_ - buf_.size(); }
  Bytes buf_;
  size_t max_;
};

// LoadU16/LoadU32/LoadU64 / StoreU32 on spans known to be long enough (the caller checked).
uint16_t LoadU16(ByteSpan b);
uint32_t LoadU32(ByteSpan b);
uint64_t LoadU64(ByteSpan b);
void StoreU32(MutableByteSpan b, uint32_t v);

// ToHex / FromHex: lower-case hex, FromHex accepts upper or lower case and ignores whitespace;
// FromHex fails on an odd digit count or a non-hex character.
std::string ToHex(ByteSpan b);
[[nodiscard]] bool FromHex(std::string_view hex, Bytes* out);

}  // namespace ocs::util
