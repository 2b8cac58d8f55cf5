// der.h - a bounded, strict DER reader and a DER writer (X.690 §8 BER restricted by §10 DER),
// in the style of BoringSSL's CBS/CBB (include/openssl/bytestring.h).
//
// Used by SPNEGO (src/spnego) and CredSSP's TSRequest / TSCredentials (src/credssp).
//
// READER
//   DerReader r(token);                       // a cursor over caller-owned bytes, never copies
//   DerReader seq;
//   if (!r.ReadConstructed(kSequence, &seq)) return error;   // child cursor, depth + 1
//   if (!r.ExpectEnd()) return error;                       // no trailing bytes after it
//   int64_t version;
//   DerReader v;
//   if (!seq.ReadConstructed(ContextTag(0), &v) || !v.ReadInteger(&version) || !v.ExpectEnd())
//     return error;
//   bool present; ByteSpan nego;
//   if (!seq.ReadOptionalElement(ContextTag(1), &present, &nego)) return error;
//
// Every Read* call either consumes exactly one element and returns true, or returns false and
// leaves the cursor where it was. A reader never reads outside its span. Returned ByteSpans
// point into the input and live as long as it does.
//
// Strictness (what a Read* call rejects, besides a wrong tag):
//   * lengths: indefinite form (0x80), long form for a value < 128, leading zero length
//     octets, more than 4 length octets, the reserved 0xff, a length beyond the bytes that
//     remain, and a length above the reader's cap (DerLimits::max_length, default 1 MiB);
//   * tags: the high-tag-number form (low 5 bits = 31) is not supported and rejected; all
//     protocols here use tag numbers < 31;
//   * nesting: ReadConstructed fails when the child would be deeper than DerLimits::max_depth
//     (default 16) - the depth counts the constructed elements opened on the way down;
//   * INTEGER / ENUMERATED: empty contents, non-minimal two's complement (a 00 octet before an
//     octet < 0x80, an ff octet before an octet >= 0x80), values outside int64_t or outside
//     the [min, max] a caller gives;
//   * OBJECT IDENTIFIER: empty contents, a subidentifier with a leading 0x80 octet, a last
//     octet with the continuation bit set;
//   * BIT STRING: empty contents, unused-bit count > 7, unused bits with no data, non-zero
//     unused (padding) bits. (The DER rule that a named-bit list drops trailing zero bits is
//     not enforced: Windows sends SPNEGO reqFlags as 32 bits.)
//   * BOOLEAN: contents other than one octet 00 or ff.
// A parse of a whole message must end with ExpectEnd() on the outer reader: that is the
// "no trailing bytes" check and the caller decides where it applies.
//
// WRITER
//   DerWriter w;
//   w.AddConstructed(kSequence, [&](DerWriter& seq) {
//     seq.AddConstructed(ContextTag(0), [&](DerWriter& v) { v.AddInteger(6); });
//     seq.AddConstructed(ContextTag(1), [&](DerWriter& n) { n.AddOctetString(token); });
//   });
//   Bytes out = w.Finish();        // or FinishSecret() when the contents are secret
// Lengths are always minimal definite-form DER. The buffer is wiped whenever it grows or is
// freed, so a writer may hold a password (TSCredentials). Allocation failure throws
// std::bad_alloc (the shim maps it).
//
// FUZZING / PROPERTY CHECKS
//   ValidateDer(bytes, limits) walks a whole buffer (a sequence of TLVs, constructed ones
//   recursively to max_depth) and accepts only strict DER framing. ReencodeDer() rebuilds the
//   same tree with DerWriter; for valid input the result equals the input (round-trip).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <vector>

#include "core/secret.h"
#include "core/types.h"

namespace ocs::asn1 {

// Universal tags (X.690 §8; constructed bit 0x20 set for SEQUENCE/SET).
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kEnumerated = 0x0a;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kGeneralString = 0x1b;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;

inline constexpr uint8_t kConstructedBit = 0x20;

// ContextTag(n) is the constructed context-specific tag [n] (0xa0 | n), the form EXPLICIT tags
// take. ContextPrimitiveTag(n) is 0x80 | n (IMPLICIT over a primitive type).
// ApplicationTag(n) is the constructed [APPLICATION n] (0x60 | n). n must be < 31.
constexpr uint8_t ContextTag(unsigned n) { return static_cast<uint8_t>(0xa0u | (n & 0x1fu)); }
constexpr uint8_t ContextPrimitiveTag(unsigned n) {
  return static_cast<uint8_t>(0x80u | (n & 0x1fu));
}
constexpr uint8_t ApplicationTag(unsigned n) { return static_cast<uint8_t>(0x60u | (n & 0x1fu)); }

struct DerLimits {
  // max_length caps every element's length octets (contents size); larger fails.
  size_t max_length = size_t{1} << 20;
  // max_depth caps how many constructed elements may be opened one inside another.
  unsigned max_depth = 16;
};

class DerReader {
 public:
  DerReader() = default;
  explicit DerReader(ByteSpan data, DerLimits limits = {}) : data_(data), limits_(limits) {}

  size_t remaining() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteSpan rest() const { return data_; }
  unsigned depth() const { return depth_; }
  const DerLimits& limits() const { return limits_; }

  // ExpectEnd is true when every byte has been consumed (no trailing bytes).
  [[nodiscard]] bool ExpectEnd() const { return data_.empty(); }

  // PeekTag stores the next element's tag octet; false at the end or on a high tag number.
  [[nodiscard]] bool PeekTag(uint8_t* out_tag) const;
  // NextIs: the next element has tag `tag` (false at the end).
  [[nodiscard]] bool NextIs(uint8_t tag) const;

  // ReadAny reads the next element whatever its tag. `out_contents` gets the value octets;
  // `out_element` (optional) the whole TLV including tag and length.
  [[nodiscard]] bool ReadAny(uint8_t* out_tag, ByteSpan* out_contents,
                             ByteSpan* out_element = nullptr);
  // ReadElement reads one element that must carry `tag`; `out_contents` = its value octets.
  [[nodiscard]] bool ReadElement(uint8_t tag, ByteSpan* out_contents);
  // ReadElementWithHeader is ReadElement but returns the whole TLV (e.g. to sign the exact
  // MechTypeList bytes a peer sent, spnego.md §6.1).
  [[nodiscard]] bool ReadElementWithHeader(uint8_t tag, ByteSpan* out_element);
  // ReadConstructed reads an element with the (constructed) `tag` and hands back a reader over
  // its contents, one level deeper. Fails when `tag` lacks the constructed bit or when the
  // depth limit would be exceeded.
  [[nodiscard]] bool ReadConstructed(uint8_t tag, DerReader* out_child);

  // ReadOptional*: if the next element has `tag`, read it and set *out_present; otherwise
  // leave the cursor alone, set *out_present = false and return true. False only when the
  // element with that tag is malformed.
  [[nodiscard]] bool ReadOptionalElement(uint8_t tag, bool* out_present, ByteSpan* out_contents);
  [[nodiscard]] bool ReadOptionalConstructed(uint8_t tag, bool* out_present, DerReader* out_child);

  // ReadInteger reads a universal INTEGER (minimal two's complement) into int64_t and checks
  // it against [min, max].
  [[nodiscard]] bool ReadInteger(int64_t* out, int64_t min = std::numeric_limits<int64_t>::min(),
                                 int64_t max = std::numeric_limits<int64_t>::max());
  // ReadEnumerated is ReadInteger for ENUMERATED (tag 0x0a).
  [[nodiscard]] bool ReadEnumerated(int64_t* out, int64_t min = std::numeric_limits<int64_t>::min(),
                                    int64_t max = std::numeric_limits<int64_t>::max());
  // ReadTaggedInteger reads an integer whose value octets sit under `tag` (IMPLICIT tagging).
  [[nodiscard]] bool ReadTaggedInteger(uint8_t tag, int64_t* out, int64_t min, int64_t max);
  [[nodiscard]] bool ReadOctetString(ByteSpan* out_contents);
  // ReadOid returns the OID's content octets (compare them with memcmp-style equality against
  // a constant such as the SPNEGO OID's contents); the encoding is validated.
  [[nodiscard]] bool ReadOid(ByteSpan* out_contents);
  // ReadBitString returns the bit octets (without the leading unused-bits octet).
  [[nodiscard]] bool ReadBitString(ByteSpan* out_bits, uint8_t* out_unused_bits);
  [[nodiscard]] bool ReadBoolean(bool* out);
  [[nodiscard]] bool ReadNull();

 private:
  // ParseHeader decodes the tag and length at the cursor without consuming anything.
  [[nodiscard]] bool ParseHeader(uint8_t* out_tag, size_t* out_header_len,
                                 size_t* out_contents_len) const;

  ByteSpan data_;
  DerLimits limits_;
  unsigned depth_ = 0;
};

// ParseDerInteger checks minimal two's complement `contents` and converts them to int64_t.
[[nodiscard]] bool ParseDerInteger(ByteSpan contents, int64_t* out);
// ValidOidContents checks the OID subidentifier encoding rules listed above.
[[nodiscard]] bool ValidOidContents(ByteSpan contents);

// WipingAllocator wipes memory before giving it back, so that a growing DerWriter leaves no
// copy of a secret behind in freed memory.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept {
    OPENSSL_cleanse(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

class DerWriter {
 public:
  DerWriter() = default;
  DerWriter(const DerWriter&) = delete;
  DerWriter& operator=(const DerWriter&) = delete;
  ~DerWriter() { Wipe(); }

  // AddElement writes tag, minimal length and `contents`.
  void AddElement(uint8_t tag, ByteSpan contents);
  // AddConstructed writes `tag`, runs fill(*this) to write the contents, then fixes the
  // length (moving the contents when the long form is needed).
  template <class Fill>
  void AddConstructed(uint8_t tag, Fill&& fill) {
    const size_t start = BeginConstructed(tag);
    fill(*this);
    EndConstructed(start);
  }
  // AddRaw appends bytes that are already DER (e.g. a MechTypeList kept from a peer).
  void AddRaw(ByteSpan der);
  void AddInteger(int64_t v) { AddIntegerWithTag(kInteger, v); }
  void AddEnumerated(int64_t v) { AddIntegerWithTag(kEnumerated, v); }
  void AddIntegerWithTag(uint8_t tag, int64_t v);
  void AddOctetString(ByteSpan contents) { AddElement(kOctetString, contents); }
  void AddOid(ByteSpan contents) { AddElement(kOid, contents); }
  // AddBitString writes `bits` with `unused_bits` (0..7) padding bits in the last octet; the
  // caller keeps those padding bits zero.
  void AddBitString(ByteSpan bits, uint8_t unused_bits);
  void AddBoolean(bool v);
  void AddNull();

  size_t size() const { return buf_.size(); }
  ByteSpan bytes() const { return ByteSpan(buf_.data(), buf_.size()); }
  // Finish returns the encoding and empties the writer.
  Bytes Finish();
  SecretBytes FinishSecret();

 private:
  size_t BeginConstructed(uint8_t tag);
  void EndConstructed(size_t start);
  void PutLength(size_t len);
  void Wipe() {
    if (!buf_.empty()) OPENSSL_cleanse(buf_.data(), buf_.size());
    buf_.clear();
  }

  std::vector<std::byte, WipingAllocator<std::byte>> buf_;
};

// DerLengthOfLength: how many octets the length field of a `len`-byte value takes.
size_t DerLengthOfLength(size_t len);

// ValidateDer is a fuzzer-friendly entry point: true if `der` is a sequence of zero or more
// strict-DER TLVs (constructed ones parsed recursively within limits.max_depth; primitive
// INTEGER/ENUMERATED/OID/BIT STRING/BOOLEAN contents checked as listed above).
[[nodiscard]] bool ValidateDer(ByteSpan der, const DerLimits& limits = {});
// ReencodeDer decodes `der` like ValidateDer and writes the tree again with DerWriter. For
// valid input *out equals `der` byte for byte (the round-trip property).
[[nodiscard]] bool ReencodeDer(ByteSpan der, Bytes* out, const DerLimits& limits = {});

}  // namespace ocs::asn1
