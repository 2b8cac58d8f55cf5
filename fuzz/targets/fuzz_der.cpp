// fuzz_der - the DER layer (src/asn1) with round-trip property checks.
//
// Properties checked on every input:
//  1. ValidateDer and ReencodeDer agree: valid input re-encodes, invalid input does not.
//  2. Round trip: the re-encoding of valid input equals the input byte for byte (DER is
//     canonical, so anything the reader accepts must be exactly what the writer produces).
//  3. Typed reads round-trip: whenever DerReader::ReadInteger / ReadEnumerated / ReadBoolean /
//     ReadOid / ReadOctetString / ReadBitString / ReadNull accepts an element, DerWriter writes
//     the value back to the same bytes, and the reader consumed exactly that element.
// A failed property aborts (libFuzzer reports it as a crash).
// SPDX-License-Identifier: Apache-2.0
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "asn1/der.h"

namespace {

using ocs::ByteSpan;
using ocs::asn1::DerReader;
using ocs::asn1::DerWriter;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_der property violated: %s\n", what);
  std::abort();
}

bool Same(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// TypedRoundTrip walks `data` as a flat list of elements, choosing which typed Read* to try by
// the element's own tag, and checks that what was accepted is written back identically.
void TypedRoundTrip(ByteSpan data, unsigned depth) {
  DerReader r(data);
  while (!r.empty()) {
    uint8_t tag = 0;
    if (!r.PeekTag(&tag)) return;
    const size_t before = r.remaining();
    const ByteSpan at = r.rest();
    DerWriter w;
    bool ok = false;
    switch (tag) {
      case ocs::asn1::kInteger:
      case ocs::asn1::kEnumerated: {
        int64_t v = 0;
        ok = tag == ocs::asn1::kInteger ? r.ReadInteger(&v) : r.ReadEnumerated(&v);
        if (ok) w.AddIntegerWithTag(tag, v);
        break;
      }
      case ocs::asn1::kBoolean: {
        bool v = false;
        ok = r.ReadBoolean(&v);
        if (ok) w.AddBoolean(v);
        break;
      }
      case ocs::asn1::kOid: {
        ByteSpan c;
        ok = r.ReadOid(&c);
        if (ok) {
          if (!ocs::asn1::ValidOidContents(c)) Fail("ReadOid accepted invalid contents");
          w.AddOid(c);
        }
        break;
      }
      case ocs::asn1::kOctetString: {
        ByteSpan c;
        ok = r.ReadOctetString(&c);
        if (ok) w.AddOctetString(c);
        break;
      }
      case ocs::asn1::kBitString: {
        ByteSpan bits;
        uint8_t unused = 0;
        ok = r.ReadBitString(&bits, &unused);
        if (ok) w.AddBitString(bits, unused);
        break;
      }
      case ocs::asn1::kNull:
        ok = r.ReadNull();
        if (ok) w.AddNull();
        break;
      default: {
        if ((tag & ocs::asn1::kConstructedBit) != 0) {
          DerReader child;
          ByteSpan contents;
          DerReader probe = r;
          if (!probe.ReadElement(tag, &contents)) return;
          if (!r.ReadConstructed(tag, &child)) return;  // e.g. depth limit
          if (!Same(child.rest(), contents)) Fail("ReadConstructed child != element contents");
          if (depth < 8) TypedRoundTrip(child.rest(), depth + 1);
          w.AddConstructed(tag, [&](DerWriter& c) { c.AddRaw(contents); });
          ok = true;
        } else {
          ByteSpan contents;
          ok = r.ReadElement(tag, &contents);
          if (ok) w.AddElement(tag, contents);
        }
        break;
      }
    }
    if (!ok) {
      // A failed read must leave the cursor where it was.
      if (r.remaining() != before) Fail("failed Read* moved the cursor");
      return;
    }
    const size_t consumed = before - r.remaining();
    if (!Same(w.bytes(), at.first(consumed))) Fail("typed value did not re-encode identically");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(reinterpret_cast<const std::byte*>(data), size);

  const bool valid = ocs::asn1::ValidateDer(in);
  ocs::Bytes out;
  const bool reencoded = ocs::asn1::ReencodeDer(in, &out);
  if (valid != reencoded) Fail("ValidateDer and ReencodeDer disagree");
  if (valid && !Same(ByteSpan(out.data(), out.size()), in)) Fail("round trip changed the bytes");

  // Small limits must only ever reject more, never accept what the default limits reject.
  ocs::asn1::DerLimits tight;
  tight.max_depth = 2;
  tight.max_length = 64;
  if (ocs::asn1::ValidateDer(in, tight) && !valid) Fail("tighter limits accepted more");

  TypedRoundTrip(in, 0);
  return 0;
}
