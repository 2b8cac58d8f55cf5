// bytes.cpp - bounded little-endian cursors.
// SPDX-License-Identifier: Apache-2.0
#include "util/bytes.h"

#include <string>

namespace ocs::util {

bool ByteReader::ReadU8(uint8_t* out) {
  if (remaining() < 1) return false;
  *out = std::to_integer<uint8_t>(data_[pos_]);
  pos_ += 1;
  return true;
}

bool ByteReader::ReadU16(uint16_t* out) {
  if (remaining() < 2) return false;
  *out = LoadU16(data_.subspan(pos_, 2));
  pos_ += 2;
  return true;
}

bool ByteReader::ReadU32(uint32_t* out) {
  if (remaining() < 4) return false;
  *out = LoadU32(data_.subspan(pos_, 4));
  pos_ += 4;
  return true;
}

bool ByteReader::ReadU64(uint64_t* out) {
  if (remaining() < 8) return false;
  *out = LoadU64(data_.subspan(pos_, 8));
  pos_ += 8;
  return true;
}

bool ByteReader::ReadBytes(size_t n, ByteSpan* out) {
  if (remaining() < n) return false;
  *out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::Skip(size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

bool ByteWriter::WriteU8(uint8_t v) {
  if (!Room(1)) return false;
  buf_.push_back(std::byte{v});
  return true;
}

bool ByteWriter::WriteU16(uint16_t v) {
  if (!Room(2)) return false;
  buf_.push_back(std::byte(v & 0xff));
  buf_.push_back(std::byte(v >> 8));
  return true;
}

bool ByteWriter::WriteU32(uint32_t v) {
  if (!Room(4)) return false;
  for (int i = 0; i < 4; ++i) buf_.push_back(std::byte((v >> (8 * i)) & 0xff));
  return true;
}

bool ByteWriter::WriteU64(uint64_t v) {
  if (!Room(8)) return false;
  for (int i = 0; i < 8; ++i) buf_.push_back(std::byte((v >> (8 * i)) & 0xff));
  return true;
}

bool ByteWriter::WriteBytes(ByteSpan b) {
  if (!Room(b.size())) return false;
  buf_.insert(buf_.end(), b.begin(), b.end());
  return true;
}

bool ByteWriter::WriteZeros(size_t n) {
  if (!Room(n)) return false;
  buf_.insert(buf_.end(), n, std::byte{0});
  return true;
}

bool ByteWriter::PatchU16(size_t at, uint16_t v) {
  if (at > buf_.size() || buf_.size() - at < 2) return false;
  buf_[at] = std::byte(v & 0xff);
  buf_[at + 1] = std::byte(v >> 8);
  return true;
}

bool ByteWriter::PatchU32(size_t at, uint32_t v) {
  if (at > buf_.size() || buf_.size() - at < 4) return false;
  StoreU32(MutableByteSpan(buf_).subspan(at, 4), v);
  return true;
}

uint16_t LoadU16(ByteSpan b) {
  return static_cast<uint16_t>(std::to_integer<uint16_t>(b[0]) |
                               (std::to_integer<uint16_t>(b[1]) << 8));
}

uint32_t LoadU32(ByteSpan b) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= std::to_integer<uint32_t>(b[i]) << (8 * i);
  return v;
}

uint64_t LoadU64(ByteSpan b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= std::to_integer<uint64_t>(b[i]) << (8 * i);
  return v;
}

void StoreU32(MutableByteSpan b, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) b[i] = std::byte((v >> (8 * i)) & 0xff);
}

std::string ToHex(ByteSpan b) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (std::byte x : b) {
    const auto v = std::to_integer<unsigned>(x);
    s.push_back(kDigits[v >> 4]);
    s.push_back(kDigits[v & 15]);
  }
  return s;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool FromHex(std::string_view hex, Bytes* out) {
  Bytes r;
  int hi = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    const int v = HexValue(c);
    if (v < 0) return false;
    if (hi < 0) {
      hi = v;
    } else {
      r.push_back(std::byte(static_cast<unsigned>(hi * 16 + v)));
      hi = -1;
    }
  }
  if (hi >= 0) return false;
  *out = std::move(r);
  return true;
}

}  // namespace ocs::util
