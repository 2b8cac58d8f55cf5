// der.cpp - strict DER reader / writer; the rules are listed at the top of der.h.
// SPDX-License-Identifier: Apache-2.0
#include "asn1/der.h"

#include <algorithm>
#include <cstring>

namespace ocs::asn1 {
namespace {

uint8_t At(ByteSpan s, size_t i) { return std::to_integer<uint8_t>(s[i]); }

constexpr uint8_t kTagNumberMask = 0x1f;

}  // namespace

bool DerReader::ParseHeader(uint8_t* out_tag, size_t* out_header_len,
                            size_t* out_contents_len) const {
  if (data_.size() < 2) return false;
  const uint8_t tag = At(data_, 0);
  // X.690 §8.1.2.4: the high-tag-number form; none of our protocols uses it.
  if ((tag & kTagNumberMask) == kTagNumberMask) return false;
  // Tag 0 is end-of-contents, which only exists in the indefinite form.
  if (tag == 0) return false;
  const uint8_t first = At(data_, 1);
  size_t header_len = 2;
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else {
    // X.690 §10.1: DER uses the definite form only (0x80 is indefinite, 0xff reserved).
    const size_t num_octets = first & 0x7fu;
    if (num_octets == 0 || num_octets > 4) return false;
    if (data_.size() < 2 + num_octets) return false;
    // X.690 §10.1: "the minimum number of octets": no leading zero octet, and the long form
    // only for lengths >= 128.
    if (At(data_, 2) == 0) return false;
    for (size_t i = 0; i < num_octets; ++i) len = (len << 8) | At(data_, 2 + i);
    if (len < 0x80) return false;
    header_len += num_octets;
  }
  if (len > limits_.max_length) return false;
  if (len > data_.size() - header_len) return false;
  *out_tag = tag;
  *out_header_len = header_len;
  *out_contents_len = len;
  return true;
}

bool DerReader::PeekTag(uint8_t* out_tag) const {
  if (data_.empty()) return false;
  const uint8_t tag = At(data_, 0);
  if ((tag & kTagNumberMask) == kTagNumberMask) return false;
  *out_tag = tag;
  return true;
}

bool DerReader::NextIs(uint8_t tag) const {
  uint8_t t = 0;
  return PeekTag(&t) && t == tag;
}

bool DerReader::ReadAny(uint8_t* out_tag, ByteSpan* out_contents, ByteSpan* out_element) {
  uint8_t tag = 0;
  size_t header_len = 0;
  size_t len = 0;
  if (!ParseHeader(&tag, &header_len, &len)) return false;
  *out_tag = tag;
  *out_contents = data_.subspan(header_len, len);
  if (out_element != nullptr) *out_element = data_.first(header_len + len);
  data_ = data_.subspan(header_len + len);
  return true;
}

bool DerReader::ReadElement(uint8_t tag, ByteSpan* out_contents) {
  if (!NextIs(tag)) return false;
  uint8_t got = 0;
  return ReadAny(&got, out_contents);
}

bool DerReader::ReadElementWithHeader(uint8_t tag, ByteSpan* out_element) {
  if (!NextIs(tag)) return false;
  uint8_t got = 0;
  ByteSpan contents;
  return ReadAny(&got, &contents, out_element);
}

bool DerReader::ReadConstructed(uint8_t tag, DerReader* out_child) {
  if ((tag & kConstructedBit) == 0) return false;
  if (depth_ + 1 > limits_.max_depth) return false;
  ByteSpan contents;
  if (!ReadElement(tag, &contents)) return false;
  DerReader child(contents, limits_);
  child.depth_ = depth_ + 1;
  *out_child = child;
  return true;
}

bool DerReader::ReadOptionalElement(uint8_t tag, bool* out_present, ByteSpan* out_contents) {
  if (!NextIs(tag)) {
    *out_present = false;
    return true;
  }
  *out_present = true;
  return ReadElement(tag, out_contents);
}

bool DerReader::ReadOptionalConstructed(uint8_t tag, bool* out_present, DerReader* out_child) {
  if (!NextIs(tag)) {
    *out_present = false;
    return true;
  }
  *out_present = true;
  return ReadConstructed(tag, out_child);
}

bool ParseDerInteger(ByteSpan contents, int64_t* out) {
  // X.690 §8.3.2: at least one octet; the first nine bits are never all 0 or all 1.
  if (contents.empty() || contents.size() > 8) {
    // Nine or more octets of a minimal encoding cannot fit in int64_t.
    return false;
  }
  if (contents.size() > 1) {
    const uint8_t b0 = At(contents, 0);
    const uint8_t b1 = At(contents, 1);
    if (b0 == 0x00 && b1 < 0x80) return false;
    if (b0 == 0xff && b1 >= 0x80) return false;
  }
  // Sign-extend from the first octet, then shift in the rest (as unsigned to stay defined).
  uint64_t v = (At(contents, 0) & 0x80u) ? ~uint64_t{0} : 0;
  for (size_t i = 0; i < contents.size(); ++i) v = (v << 8) | At(contents, i);
  *out = static_cast<int64_t>(v);
  return true;
}

bool DerReader::ReadTaggedInteger(uint8_t tag, int64_t* out, int64_t min, int64_t max) {
  DerReader copy = *this;
  ByteSpan contents;
  int64_t v = 0;
  if (!copy.ReadElement(tag, &contents) || !ParseDerInteger(contents, &v)) return false;
  if (v < min || v > max) return false;
  *out = v;
  *this = copy;
  return true;
}

bool DerReader::ReadInteger(int64_t* out, int64_t min, int64_t max) {
  return ReadTaggedInteger(kInteger, out, min, max);
}

bool DerReader::ReadEnumerated(int64_t* out, int64_t min, int64_t max) {
  return ReadTaggedInteger(kEnumerated, out, min, max);
}

bool DerReader::ReadOctetString(ByteSpan* out_contents) {
  return ReadElement(kOctetString, out_contents);
}

bool ValidOidContents(ByteSpan contents) {
  // X.690 §8.19.2: each subidentifier is base-128, minimal (first octet never 0x80), and its
  // last octet has bit 8 clear.
  if (contents.empty()) return false;
  bool start_of_subid = true;
  for (size_t i = 0; i < contents.size(); ++i) {
    const uint8_t b = At(contents, i);
    if (start_of_subid && b == 0x80) return false;
    start_of_subid = (b & 0x80u) == 0;
  }
  return start_of_subid;
}

bool DerReader::ReadOid(ByteSpan* out_contents) {
  DerReader copy = *this;
  ByteSpan contents;
  if (!copy.ReadElement(kOid, &contents) || !ValidOidContents(contents)) return false;
  *out_contents = contents;
  *this = copy;
  return true;
}

namespace {

bool ValidBitString(ByteSpan contents) {
  // X.690 §8.6.2 and §11.2.1: unused-bit count 0..7, zero when there are no bits, and the
  // unused bits themselves are zero in DER.
  if (contents.empty()) return false;
  const uint8_t unused = At(contents, 0);
  if (unused > 7) return false;
  if (contents.size() == 1) return unused == 0;
  const uint8_t last = At(contents, contents.size() - 1);
  const uint8_t mask = static_cast<uint8_t>((1u << unused) - 1u);
  return (last & mask) == 0;
}

bool ValidBoolean(ByteSpan contents) {
  // X.690 §11.1: TRUE is 0xff in DER.
  return contents.size() == 1 && (At(contents, 0) == 0x00 || At(contents, 0) == 0xff);
}

}  // namespace

bool DerReader::ReadBitString(ByteSpan* out_bits, uint8_t* out_unused_bits) {
  DerReader copy = *this;
  ByteSpan contents;
  if (!copy.ReadElement(kBitString, &contents) || !ValidBitString(contents)) return false;
  *out_unused_bits = At(contents, 0);
  *out_bits = contents.subspan(1);
  *this = copy;
  return true;
}

bool DerReader::ReadBoolean(bool* out) {
  DerReader copy = *this;
  ByteSpan contents;
  if (!copy.ReadElement(kBoolean, &contents) || !ValidBoolean(contents)) return false;
  *out = At(contents, 0) != 0;
  *this = copy;
  return true;
}

bool DerReader::ReadNull() {
  DerReader copy = *this;
  ByteSpan contents;
  if (!copy.ReadElement(kNull, &contents) || !contents.empty()) return false;
  *this = copy;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writer

size_t DerLengthOfLength(size_t len) {
  if (len < 0x80) return 1;
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8) ++n;
  return 1 + n;
}

void DerWriter::PutLength(size_t len) {
  if (len < 0x80) {
    buf_.push_back(static_cast<std::byte>(len));
    return;
  }
  const size_t n = DerLengthOfLength(len) - 1;
  buf_.push_back(static_cast<std::byte>(0x80u | n));
  for (size_t i = n; i > 0; --i) buf_.push_back(static_cast<std::byte>((len >> (8 * (i - 1))) & 0xffu));
}

void DerWriter::AddElement(uint8_t tag, ByteSpan contents) {
  buf_.reserve(buf_.size() + 1 + DerLengthOfLength(contents.size()) + contents.size());
  buf_.push_back(static_cast<std::byte>(tag));
  PutLength(contents.size());
  buf_.insert(buf_.end(), contents.begin(), contents.end());
}

void DerWriter::AddRaw(ByteSpan der) { buf_.insert(buf_.end(), der.begin(), der.end()); }

size_t DerWriter::BeginConstructed(uint8_t tag) {
  buf_.push_back(static_cast<std::byte>(tag));
  const size_t start = buf_.size();
  buf_.push_back(std::byte{0});  // short-form placeholder, fixed in EndConstructed
  return start;
}

void DerWriter::EndConstructed(size_t start) {
  const size_t len = buf_.size() - start - 1;
  const size_t lol = DerLengthOfLength(len);
  if (lol == 1) {
    buf_[start] = static_cast<std::byte>(len);
    return;
  }
  // Long form: open lol-1 more octets after the placeholder and move the contents up.
  buf_.insert(buf_.begin() + static_cast<std::ptrdiff_t>(start) + 1, lol - 1, std::byte{0});
  const size_t n = lol - 1;
  buf_[start] = static_cast<std::byte>(0x80u | n);
  for (size_t i = 0; i < n; ++i) {
    buf_[start + 1 + i] = static_cast<std::byte>((len >> (8 * (n - 1 - i))) & 0xffu);
  }
}

void DerWriter::AddIntegerWithTag(uint8_t tag, int64_t v) {
  // Minimal two's complement: drop leading octets that only repeat the sign.
  std::byte octets[8];
  const auto u = static_cast<uint64_t>(v);
  for (size_t i = 0; i < 8; ++i) octets[i] = static_cast<std::byte>((u >> (8 * (7 - i))) & 0xffu);
  size_t first = 0;
  while (first < 7) {
    const auto b0 = std::to_integer<uint8_t>(octets[first]);
    const auto b1 = std::to_integer<uint8_t>(octets[first + 1]);
    if ((b0 == 0x00 && b1 < 0x80) || (b0 == 0xff && b1 >= 0x80)) {
      ++first;
    } else {
      break;
    }
  }
  AddElement(tag, ByteSpan(octets).subspan(first));
}

void DerWriter::AddBitString(ByteSpan bits, uint8_t unused_bits) {
  const size_t start = BeginConstructed(kBitString);
  buf_.push_back(static_cast<std::byte>(bits.empty() ? 0 : (unused_bits & 7u)));
  buf_.insert(buf_.end(), bits.begin(), bits.end());
  EndConstructed(start);
}

void DerWriter::AddBoolean(bool v) {
  const std::byte b{static_cast<uint8_t>(v ? 0xff : 0x00)};
  AddElement(kBoolean, ByteSpan(&b, 1));
}

void DerWriter::AddNull() { AddElement(kNull, ByteSpan()); }

Bytes DerWriter::Finish() {
  Bytes out(buf_.begin(), buf_.end());
  Wipe();
  return out;
}

SecretBytes DerWriter::FinishSecret() {
  SecretBytes out(bytes());
  Wipe();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Whole-buffer validation and re-encoding

namespace {

bool IsUniversal(uint8_t tag) { return (tag & 0xc0u) == 0; }

// CheckPrimitive applies the content rules of the universal types we know.
bool CheckUniversalPrimitive(uint8_t tag, ByteSpan contents) {
  int64_t ignored = 0;
  switch (tag) {
    case kBoolean:
      return ValidBoolean(contents);
    case kInteger:
    case kEnumerated:
      // Big integers (e.g. RSA moduli) are legal DER; check minimality without the range.
      if (contents.empty()) return false;
      if (contents.size() > 8) {
        const uint8_t b0 = At(contents, 0);
        const uint8_t b1 = At(contents, 1);
        return !((b0 == 0x00 && b1 < 0x80) || (b0 == 0xff && b1 >= 0x80));
      }
      return ParseDerInteger(contents, &ignored);
    case kBitString:
      return ValidBitString(contents);
    case kNull:
      return contents.empty();
    case kOid:
      return ValidOidContents(contents);
    default:
      return true;
  }
}

bool Walk(DerReader* r, DerWriter* w) {
  while (!r->empty()) {
    uint8_t tag = 0;
    if (!r->PeekTag(&tag)) return false;
    if ((tag & kConstructedBit) != 0) {
      // DER: universal strings and scalars are primitive; only SEQUENCE / SET are constructed.
      if (IsUniversal(tag) && tag != kSequence && tag != kSet) return false;
      DerReader child;
      if (!r->ReadConstructed(tag, &child)) return false;
      bool ok = true;
      if (w != nullptr) {
        w->AddConstructed(tag, [&](DerWriter& inner) { ok = Walk(&child, &inner); });
      } else {
        ok = Walk(&child, nullptr);
      }
      if (!ok) return false;
    } else {
      if (IsUniversal(tag) && (tag == (kSequence & 0x1fu) || tag == (kSet & 0x1fu))) return false;
      ByteSpan contents;
      if (!r->ReadElement(tag, &contents)) return false;
      if (IsUniversal(tag) && !CheckUniversalPrimitive(tag, contents)) return false;
      if (w != nullptr) w->AddElement(tag, contents);
    }
  }
  return true;
}

}  // namespace

bool ValidateDer(ByteSpan der, const DerLimits& limits) {
  DerReader r(der, limits);
  return Walk(&r, nullptr);
}

bool ReencodeDer(ByteSpan der, Bytes* out, const DerLimits& limits) {
  DerReader r(der, limits);
  DerWriter w;
  if (!Walk(&r, &w)) return false;
  *out = w.Finish();
  return true;
}

}  // namespace ocs::asn1
