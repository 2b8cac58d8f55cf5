// der_test.cpp - strict DER reader / writer: good input, every malformed framing we can think
// of, and the re-encode round trip.
// SPDX-License-Identifier: Apache-2.0
#include "asn1/der.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace ocs::asn1 {
namespace {

Bytes Hex(std::string_view hex) {
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::byte>(hi * 16 + v));
      hi = -1;
    }
  }
  EXPECT_LT(hi, 0) << "odd hex digit count";
  return out;
}

ByteSpan S(const Bytes& b) { return ByteSpan(b.data(), b.size()); }

bool Eq(ByteSpan a, const Bytes& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

TEST(DerReader, ReadsSequenceOfIntegerAndOctetString) {
  const Bytes der = Hex("30 0a a0 03 02 01 06 a1 03 04 01 aa");
  DerReader r(S(der));
  DerReader seq;
  ASSERT_TRUE(r.ReadConstructed(kSequence, &seq));
  EXPECT_TRUE(r.ExpectEnd());
  DerReader v;
  ASSERT_TRUE(seq.ReadConstructed(ContextTag(0), &v));
  int64_t version = 0;
  ASSERT_TRUE(v.ReadInteger(&version));
  EXPECT_EQ(version, 6);
  EXPECT_TRUE(v.ExpectEnd());
  bool present = false;
  DerReader t;
  ASSERT_TRUE(seq.ReadOptionalConstructed(ContextTag(1), &present, &t));
  EXPECT_TRUE(present);
  ByteSpan os;
  ASSERT_TRUE(t.ReadOctetString(&os));
  EXPECT_TRUE(Eq(os, Hex("aa")));
  ASSERT_TRUE(seq.ReadOptionalConstructed(ContextTag(2), &present, &t));
  EXPECT_FALSE(present);
  EXPECT_TRUE(seq.ExpectEnd());
}

TEST(DerReader, LongFormLengths) {
  Bytes der = Hex("04 81 80");
  der.resize(3 + 0x80, std::byte{0x11});
  DerReader r(S(der));
  ByteSpan os;
  ASSERT_TRUE(r.ReadOctetString(&os));
  EXPECT_EQ(os.size(), 0x80u);
  EXPECT_TRUE(r.ExpectEnd());

  Bytes der2 = Hex("04 82 01 00");
  der2.resize(4 + 0x100);
  DerReader r2(S(der2));
  ASSERT_TRUE(r2.ReadOctetString(&os));
  EXPECT_EQ(os.size(), 0x100u);
}

TEST(DerReader, RejectsTruncated) {
  for (const char* hex : {"", "04", "04 02 aa", "04 81", "04 82 01", "04 81 80 00",
                          "30 05 02 01 01"}) {
    const Bytes der = Hex(hex);
    DerReader r(S(der));
    uint8_t tag = 0;
    ByteSpan c;
    EXPECT_FALSE(r.ReadAny(&tag, &c)) << hex;
    EXPECT_EQ(r.remaining(), der.size()) << "cursor moved on failure: " << hex;
  }
}

TEST(DerReader, RejectsIndefiniteAndNonMinimalLengths) {
  for (const char* hex : {
           "30 80 02 01 01 00 00",  // indefinite
           "04 81 01 aa",           // long form for a short length
           "04 82 00 01 aa",        // leading zero length octet
           "04 81 7f",              // long form, value < 128 (also truncated)
           "04 ff 01 aa",           // reserved
           "04 85 00 00 00 00 01 aa",  // more than 4 length octets
       }) {
    const Bytes der = Hex(hex);
    DerReader r(S(der));
    uint8_t tag = 0;
    ByteSpan c;
    EXPECT_FALSE(r.ReadAny(&tag, &c)) << hex;
    EXPECT_FALSE(ValidateDer(S(der))) << hex;
  }
}

TEST(DerReader, RejectsLengthOverCap) {
  Bytes der = Hex("04 82 01 00");
  der.resize(4 + 0x100);
  DerLimits limits;
  limits.max_length = 0xff;
  DerReader r(S(der), limits);
  ByteSpan os;
  EXPECT_FALSE(r.ReadOctetString(&os));
  limits.max_length = 0x100;
  DerReader r2(S(der), limits);
  EXPECT_TRUE(r2.ReadOctetString(&os));
  // A length field that claims 4 GiB is refused before any bounds arithmetic.
  const Bytes huge = Hex("04 84 ff ff ff ff 00");
  DerReader r3(S(huge));
  EXPECT_FALSE(r3.ReadOctetString(&os));
}

TEST(DerReader, RejectsWrongTagWithoutConsuming) {
  const Bytes der = Hex("04 01 aa");
  DerReader r(S(der));
  int64_t v = 0;
  EXPECT_FALSE(r.ReadInteger(&v));
  DerReader child;
  EXPECT_FALSE(r.ReadConstructed(kSequence, &child));
  // A primitive tag cannot be opened as constructed.
  EXPECT_FALSE(r.ReadConstructed(kOctetString, &child));
  bool present = true;
  ByteSpan c;
  ASSERT_TRUE(r.ReadOptionalElement(kInteger, &present, &c));
  EXPECT_FALSE(present);
  EXPECT_EQ(r.remaining(), 3u);
  ASSERT_TRUE(r.ReadOctetString(&c));
  EXPECT_TRUE(r.ExpectEnd());
}

TEST(DerReader, RejectsHighTagNumberAndEndOfContents) {
  const Bytes high = Hex("1f 81 00 00");
  DerReader r(S(high));
  uint8_t tag = 0;
  ByteSpan c;
  EXPECT_FALSE(r.PeekTag(&tag));
  EXPECT_FALSE(r.ReadAny(&tag, &c));
  const Bytes eoc = Hex("00 00");
  DerReader r2(S(eoc));
  EXPECT_FALSE(r2.ReadAny(&tag, &c));
}

TEST(DerReader, TrailingBytesAreVisible) {
  const Bytes der = Hex("02 01 05 00");
  DerReader r(S(der));
  int64_t v = 0;
  ASSERT_TRUE(r.ReadInteger(&v));
  EXPECT_FALSE(r.ExpectEnd());
  EXPECT_FALSE(ValidateDer(S(der)));
}

TEST(DerReader, Integers) {
  struct Case {
    const char* hex;
    int64_t value;
  } good[] = {
      {"02 01 00", 0},
      {"02 01 7f", 127},
      {"02 02 00 80", 128},
      {"02 01 80", -128},
      {"02 01 ff", -1},
      {"02 02 ff 7f", -129},
      {"02 04 c0 00 00 6d", static_cast<int32_t>(0xc000006d)},  // STATUS_LOGON_FAILURE
      {"02 05 00 c0 00 00 6d", 0xc000006d},
      {"02 08 7f ff ff ff ff ff ff ff", INT64_MAX},
      {"02 08 80 00 00 00 00 00 00 00", INT64_MIN},
  };
  for (const auto& c : good) {
    const Bytes der = Hex(c.hex);
    DerReader r(S(der));
    int64_t v = 0;
    ASSERT_TRUE(r.ReadInteger(&v)) << c.hex;
    EXPECT_EQ(v, c.value) << c.hex;
    EXPECT_TRUE(r.ExpectEnd());
    DerWriter w;
    w.AddInteger(c.value);
    EXPECT_EQ(w.Finish(), der) << c.hex;
  }
  for (const char* hex : {"02 00", "02 02 00 7f", "02 02 ff 80", "02 09 00 80 00 00 00 00 00 00 00",
                          "02 09 01 00 00 00 00 00 00 00 00"}) {
    const Bytes der = Hex(hex);
    DerReader r(S(der));
    int64_t v = 0;
    EXPECT_FALSE(r.ReadInteger(&v)) << hex;
  }
}

TEST(DerReader, IntegerRangeCheck) {
  const Bytes der = Hex("02 01 07");
  DerReader r(S(der));
  int64_t v = 0;
  EXPECT_FALSE(r.ReadInteger(&v, 0, 6));
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_TRUE(r.ReadInteger(&v, 0, 7));
  EXPECT_EQ(v, 7);
}

TEST(DerReader, Enumerated) {
  const Bytes der = Hex("0a 01 03");
  DerReader r(S(der));
  int64_t v = 0;
  EXPECT_FALSE(DerReader(S(der)).ReadInteger(&v));
  ASSERT_TRUE(r.ReadEnumerated(&v, 0, 3));
  EXPECT_EQ(v, 3);
  const Bytes bad = Hex("0a 02 00 01");
  EXPECT_FALSE(DerReader(S(bad)).ReadEnumerated(&v));
}

TEST(DerReader, Oids) {
  const Bytes spnego = Hex("06 06 2b 06 01 05 05 02");
  DerReader r(S(spnego));
  ByteSpan oid;
  ASSERT_TRUE(r.ReadOid(&oid));
  EXPECT_TRUE(Eq(oid, Hex("2b 06 01 05 05 02")));
  const Bytes ntlm = Hex("06 0a 2b 06 01 04 01 82 37 02 02 0a");
  EXPECT_TRUE(DerReader(S(ntlm)).ReadOid(&oid));
  for (const char* hex : {"06 00", "06 02 2b 80", "06 03 2b 80 01", "06 02 2b 86"}) {
    const Bytes der = Hex(hex);
    EXPECT_FALSE(DerReader(S(der)).ReadOid(&oid)) << hex;
  }
}

TEST(DerReader, BitStrings) {
  ByteSpan bits;
  uint8_t unused = 0;
  const Bytes flags = Hex("03 05 00 00 00 00 00");  // SPNEGO reqFlags as 32 bits
  ASSERT_TRUE(DerReader(S(flags)).ReadBitString(&bits, &unused));
  EXPECT_EQ(bits.size(), 4u);
  EXPECT_EQ(unused, 0);
  const Bytes padded = Hex("03 02 07 80");
  ASSERT_TRUE(DerReader(S(padded)).ReadBitString(&bits, &unused));
  EXPECT_EQ(unused, 7);
  for (const char* hex : {"03 00", "03 01 01", "03 02 08 00", "03 02 01 01"}) {
    const Bytes der = Hex(hex);
    EXPECT_FALSE(DerReader(S(der)).ReadBitString(&bits, &unused)) << hex;
  }
}

TEST(DerReader, BooleanAndNull) {
  bool b = false;
  const Bytes t = Hex("01 01 ff");
  ASSERT_TRUE(DerReader(S(t)).ReadBoolean(&b));
  EXPECT_TRUE(b);
  const Bytes bad = Hex("01 01 01");
  EXPECT_FALSE(DerReader(S(bad)).ReadBoolean(&b));
  const Bytes n = Hex("05 00");
  EXPECT_TRUE(DerReader(S(n)).ReadNull());
  const Bytes nbad = Hex("05 01 00");
  EXPECT_FALSE(DerReader(S(nbad)).ReadNull());
}

Bytes Nest(size_t levels) {
  // Build from the inside out so the writer is not recursing itself.
  Bytes inner = Hex("05 00");
  for (size_t i = 0; i < levels; ++i) {
    DerWriter step;
    step.AddElement(kSequence, S(inner));
    inner = step.Finish();
  }
  return inner;
}

TEST(DerReader, NestingLimit) {
  DerLimits limits;
  limits.max_depth = 16;
  EXPECT_TRUE(ValidateDer(S(Nest(16)), limits));
  EXPECT_FALSE(ValidateDer(S(Nest(17)), limits));
  // A very deep input fails without exhausting the stack.
  EXPECT_FALSE(ValidateDer(S(Nest(1000)), limits));

  const Bytes two = Nest(2);
  limits.max_depth = 1;
  DerReader r(S(two), limits);
  DerReader c1, c2;
  ASSERT_TRUE(r.ReadConstructed(kSequence, &c1));
  EXPECT_EQ(c1.depth(), 1u);
  EXPECT_FALSE(c1.ReadConstructed(kSequence, &c2));
}

TEST(DerReader, ReadElementWithHeaderKeepsExactBytes) {
  const Bytes der = Hex("a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a");
  DerReader r(S(der));
  DerReader inner;
  ASSERT_TRUE(r.ReadConstructed(ContextTag(0), &inner));
  ByteSpan whole;
  ASSERT_TRUE(inner.ReadElementWithHeader(kSequence, &whole));
  EXPECT_TRUE(Eq(whole, Hex("30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a")));
}

TEST(DerValidate, RejectsConstructedScalarsAndPrimitiveSequences) {
  for (const char* hex : {"24 03 04 01 aa",  // constructed OCTET STRING (BER only)
                          "22 03 02 01 01", "10 00", "11 00"}) {
    const Bytes der = Hex(hex);
    EXPECT_FALSE(ValidateDer(S(der))) << hex;
  }
  const Bytes big_int = Hex("02 09 00 ff ff ff ff ff ff ff ff");  // 2^72 - 1 > int64, legal DER
  EXPECT_TRUE(ValidateDer(S(big_int)));
  const Bytes bad_big = Hex("02 09 00 7f ff ff ff ff ff ff ff");
  EXPECT_FALSE(ValidateDer(S(bad_big)));
}

TEST(DerWriter, NestedLengthsAreMinimal) {
  Bytes big(300, std::byte{0x42});
  DerWriter w;
  w.AddConstructed(kSequence, [&](DerWriter& seq) {
    seq.AddConstructed(ContextTag(0), [&](DerWriter& v) { v.AddInteger(6); });
    seq.AddConstructed(ContextTag(1), [&](DerWriter& n) { n.AddOctetString(S(big)); });
  });
  const Bytes out = w.Finish();
  // 30 82 01 38 | a0 03 02 01 06 | a1 82 01 30 04 82 01 2c <300>
  ASSERT_EQ(out.size(), 4u + 5u + 4u + 4u + 300u);
  EXPECT_TRUE(Eq(ByteSpan(out).first(13), Hex("30 82 01 39 a0 03 02 01 06 a1 82 01 30")));
  EXPECT_TRUE(ValidateDer(S(out)));
  EXPECT_EQ(w.size(), 0u);
}

TEST(DerWriter, LengthBoundaries) {
  for (size_t n : {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u}) {
    Bytes contents(n, std::byte{0});
    DerWriter a;
    a.AddOctetString(S(contents));
    DerWriter b;
    b.AddConstructed(ContextTag(3), [&](DerWriter& c) { c.AddRaw(S(contents)); });
    const Bytes ea = a.Finish();
    const Bytes eb = b.Finish();
    EXPECT_EQ(ea.size(), 1 + DerLengthOfLength(n) + n);
    EXPECT_EQ(eb.size(), ea.size());
    EXPECT_TRUE(std::equal(ea.begin() + 1, ea.end(), eb.begin() + 1)) << n;
    DerReader r(S(ea));
    ByteSpan os;
    ASSERT_TRUE(r.ReadOctetString(&os)) << n;
    EXPECT_EQ(os.size(), n);
  }
}

TEST(DerWriter, BitStringBooleanNullFinishSecret) {
  DerWriter w;
  const Bytes bits = Hex("80");
  w.AddBitString(S(bits), 7);
  w.AddBoolean(true);
  w.AddNull();
  const SecretBytes s = w.FinishSecret();
  EXPECT_TRUE(Eq(s.span(), Hex("03 02 07 80 01 01 ff 05 00")));
}

// Round trip: random trees written with DerWriter are valid DER and re-encode to themselves;
// and random byte mutations of them either fail validation or still re-encode identically.
void RandomTree(std::mt19937& rng, DerWriter& w, unsigned depth) {
  const unsigned n = rng() % 4;
  for (unsigned i = 0; i < n; ++i) {
    switch (rng() % 6) {
      case 0:
        w.AddInteger(static_cast<int64_t>((uint64_t{rng()} << 32) | rng()) >> (rng() % 64));
        break;
      case 1: {
        Bytes b(rng() % 300);
        for (auto& x : b) x = static_cast<std::byte>(rng());
        w.AddOctetString(S(b));
        break;
      }
      case 2:
        w.AddOid(S(Hex("2b 06 01 04 01 82 37 02 02 0a")));
        break;
      case 3:
        w.AddEnumerated(rng() % 4);
        break;
      default:
        if (depth < 6) {
          const uint8_t tag = (rng() % 2) ? kSequence : ContextTag(rng() % 8);
          w.AddConstructed(tag, [&](DerWriter& c) { RandomTree(rng, c, depth + 1); });
        }
        break;
    }
  }
}

TEST(DerRoundTrip, RandomTreesReencodeIdentically) {
  std::mt19937 rng(20261128);
  for (int iter = 0; iter < 500; ++iter) {
    DerWriter w;
    w.AddConstructed(kSequence, [&](DerWriter& c) { RandomTree(rng, c, 1); });
    const Bytes der = w.Finish();
    ASSERT_TRUE(ValidateDer(S(der))) << iter;
    Bytes again;
    ASSERT_TRUE(ReencodeDer(S(der), &again)) << iter;
    ASSERT_EQ(again, der) << iter;

    // Mutations: whatever still validates must also round-trip byte for byte.
    for (int m = 0; m < 20; ++m) {
      Bytes mutated = der;
      const size_t pos = rng() % mutated.size();
      mutated[pos] = static_cast<std::byte>(rng());
      if (rng() % 4 == 0) mutated.resize(rng() % mutated.size());
      Bytes out;
      if (ReencodeDer(S(mutated), &out)) {
        ASSERT_EQ(out, mutated);
        EXPECT_TRUE(ValidateDer(S(mutated)));
      } else {
        EXPECT_FALSE(ValidateDer(S(mutated)));
      }
    }
  }
}

}  // namespace
}  // namespace ocs::asn1
