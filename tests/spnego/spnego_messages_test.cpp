// spnego_messages_test.cpp - SPNEGO token codec: byte-exact tokens from captures and from the
// structure every NTLM-over-SPNEGO peer sends, and rejection of malformed variants.
// SPDX-License-Identifier: Apache-2.0
#include "spnego/spnego_messages.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "spnego/hex.h"

namespace ocs::spnego {
namespace {

using ocs::testing::Concat;
using ocs::testing::Hex;
using ocs::testing::SpanEq;
using ocs::testing::Str;

// Windows server NegTokenInit2 (pyspnego tests/data/initial_context_token_neg_token_init2, as
// reproduced in spnego.md §3.2): NEGOEX, MS-KRB5, KRB5, KRB5-U2U, NTLM and the hint.
Bytes WindowsNegTokenInit2() {
  return Concat({Hex("60 76 06 06 2b 06 01 05 05 02 a0 6c 30 6a a0 3c 30 3a"
                     "06 0a 2b 06 01 04 01 82 37 02 02 1e"
                     "06 09 2a 86 48 82 f7 12 01 02 02"
                     "06 09 2a 86 48 86 f7 12 01 02 02"
                     "06 0a 2a 86 48 86 f7 12 01 02 02 03"
                     "06 0a 2b 06 01 04 01 82 37 02 02 0a"
                     "a3 2a 30 28 a0 26 1b 24"),
                 Str("not_defined_in_RFC4178@please_ignore")});
}

// A 40-byte NTLM NEGOTIATE with version, flags 0xE2088217 (what gss-ntlmssp sends, peers.md).
Bytes Negotiate40() {
  return Hex("4e 54 4c 4d 53 53 50 00 01 00 00 00 17 82 08 e2"
             "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
             "06 01 b1 1d 00 00 00 0f");
}

const Bytes kNtlmMechTypeList = Hex("30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a");

TEST(SpnegoOids, DerEncodingsMatchSpec) {
  const ByteSpan ntlm = NtlmOid();
  EXPECT_EQ(EncodeMechTypeList(gsl::span<const ByteSpan>(&ntlm, 1)), kNtlmMechTypeList);
  const ByteSpan both[] = {ByteSpan(kKrb5Oid), ByteSpan(kMsKrb5Oid)};
  EXPECT_EQ(EncodeMechTypeList(both),
            Hex("30 16 06 09 2a 86 48 86 f7 12 01 02 02 06 09 2a 86 48 82 f7 12 01 02 02"));
}

TEST(SpnegoInit, ParsesWindowsNegTokenInit2AndReencodesExactly) {
  const Bytes token = WindowsNegTokenInit2();
  ASSERT_EQ(token.size(), 0x78u);
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(token, &init));
  ASSERT_EQ(init.mech_types.size(), 5u);
  EXPECT_TRUE(SpanEq(init.mech_types[2], ByteSpan(kKrb5Oid)));
  EXPECT_TRUE(OidEquals(init.mech_types[4], NtlmOid()));
  EXPECT_TRUE(init.has_neg_hints);
  ASSERT_TRUE(init.hint_name.has_value());
  EXPECT_TRUE(SpanEq(*init.hint_name, Str("not_defined_in_RFC4178@please_ignore")));
  EXPECT_FALSE(init.hint_address.has_value());
  EXPECT_FALSE(init.mech_token.has_value());
  EXPECT_FALSE(init.mech_list_mic.has_value());
  EXPECT_EQ(init.mech_type_list.size(), 0x3cu);
  EXPECT_EQ(EncodeInitialContextToken(init), token);

  // Built from parts instead of the parsed list: the same bytes.
  NegTokenInit built;
  built.mech_types = init.mech_types;
  built.has_neg_hints = true;
  built.hint_name = *init.hint_name;
  EXPECT_EQ(EncodeInitialContextToken(built), token);
}

TEST(SpnegoInit, GssNtlmsspFirstTokenShape) {
  // gss-ntlmssp's SPNEGO first token is 74 bytes and begins 60 48 06 06 2b 06 01 05 05 02
  // (peers.md); with mechTypes = [NTLM] and a 40-byte NEGOTIATE the layout is fixed.
  const Bytes nego = Negotiate40();
  NegTokenInit init;
  const ByteSpan ntlm = NtlmOid();
  init.mech_types.assign(&ntlm, &ntlm + 1);
  init.mech_token = ByteSpan(nego);
  const Bytes token = EncodeInitialContextToken(init);
  const Bytes expected = Concat({Hex("60 48 06 06 2b 06 01 05 05 02 a0 3e 30 3c"
                                     "a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
                                     "a2 2a 04 28"),
                                 nego});
  ASSERT_EQ(token.size(), 74u);
  EXPECT_EQ(token, expected);

  NegTokenInit parsed;
  ASSERT_TRUE(ParseInitialContextToken(expected, &parsed));
  ASSERT_EQ(parsed.mech_types.size(), 1u);
  EXPECT_TRUE(SpanEq(parsed.mech_type_list, kNtlmMechTypeList));
  ASSERT_TRUE(parsed.mech_token.has_value());
  EXPECT_TRUE(SpanEq(*parsed.mech_token, nego));
  EXPECT_FALSE(parsed.has_neg_hints);
  EXPECT_FALSE(parsed.has_req_flags);
}

TEST(SpnegoInit, ToleratesReqFlagsAndReadsMechListMic) {
  // Legacy initiators (RFC 2478) send reqFlags; it is parsed for framing only.
  const Bytes token = Hex("60 32 06 06 2b 06 01 05 05 02 a0 28 30 26"
                          "a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
                          "a1 07 03 05 00 b0 00 00 00"
                          "a3 0b 04 09 01 02 03 04 05 06 07 08 09");
  NegTokenInit init;
  ASSERT_TRUE(ParseInitialContextToken(token, &init));
  EXPECT_TRUE(init.has_req_flags);
  ASSERT_TRUE(init.mech_list_mic.has_value());
  EXPECT_EQ(init.mech_list_mic->size(), 9u);
}

TEST(SpnegoResp, ServerFirstReplyBytes) {
  const Bytes challenge = Str(std::string_view("NTLMSSP\0\x02\0\0\0chall", 17));
  NegTokenResp resp;
  resp.neg_state = NegState::kAcceptIncomplete;
  resp.supported_mech = NtlmOid();
  resp.response_token = ByteSpan(challenge);
  const Bytes token = EncodeNegTokenResp(resp);
  const Bytes expected = Concat({Hex("a1 2a 30 28 a0 03 0a 01 01"
                                     "a1 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
                                     "a2 13 04 11"),
                                 challenge});
  EXPECT_EQ(token, expected);
  NegTokenResp parsed;
  ASSERT_TRUE(ParseNegTokenResp(token, &parsed));
  EXPECT_EQ(parsed.neg_state, NegState::kAcceptIncomplete);
  ASSERT_TRUE(parsed.supported_mech.has_value());
  EXPECT_TRUE(OidEquals(*parsed.supported_mech, NtlmOid()));
  EXPECT_TRUE(SpanEq(*parsed.response_token, challenge));
  EXPECT_FALSE(parsed.mech_list_mic.has_value());
}

TEST(SpnegoResp, AcceptCompletedWithMechListMicBytes) {
  // spnego.md §6.2 COMPUTED acceptor mechListMIC, in the final token shape Windows sends.
  const Bytes mic = Hex("01 00 00 00 7d d6 da 05 64 8a 73 ae 00 00 00 00");
  NegTokenResp resp;
  resp.neg_state = NegState::kAcceptCompleted;
  resp.mech_list_mic = ByteSpan(mic);
  const Bytes expected = Concat({Hex("a1 1b 30 19 a0 03 0a 01 00 a3 12 04 10"), mic});
  EXPECT_EQ(EncodeNegTokenResp(resp), expected);
  NegTokenResp parsed;
  ASSERT_TRUE(ParseNegTokenResp(expected, &parsed));
  EXPECT_EQ(parsed.neg_state, NegState::kAcceptCompleted);
  EXPECT_TRUE(SpanEq(*parsed.mech_list_mic, mic));
  EXPECT_FALSE(parsed.supported_mech.has_value());
  EXPECT_FALSE(parsed.response_token.has_value());
}

TEST(SpnegoResp, ClientAuthenticateTokenWithoutNegState) {
  const Bytes auth(300, std::byte{0x33});
  const Bytes mic = Hex("01 00 00 00 22 a3 98 4f ef bb 9c 32 00 00 00 00");
  NegTokenResp resp;
  resp.response_token = ByteSpan(auth);
  resp.mech_list_mic = ByteSpan(mic);
  const Bytes token = EncodeNegTokenResp(resp);
  // a1 82 01 46 30 82 01 42 a2 82 01 30 04 82 01 2c <300> a3 12 04 10 <16>
  EXPECT_TRUE(SpanEq(ByteSpan(token).first(16),
                     Hex("a1 82 01 4c 30 82 01 48 a2 82 01 30 04 82 01 2c")));
  EXPECT_EQ(token.size(), 4u + 4u + 4u + 4u + 300u + 20u);
  NegTokenResp parsed;
  ASSERT_TRUE(ParseNegTokenResp(token, &parsed));
  EXPECT_FALSE(parsed.neg_state.has_value());
  EXPECT_EQ(parsed.response_token->size(), 300u);
  const NegTokenResp empty_resp;
  EXPECT_EQ(EncodeNegTokenResp(empty_resp), Hex("a1 02 30 00"));
  ASSERT_TRUE(ParseNegTokenResp(Hex("a1 02 30 00"), &parsed));
}

TEST(SpnegoResp, RejectTokenBytes) {
  NegTokenResp resp;
  resp.neg_state = NegState::kReject;
  EXPECT_EQ(EncodeNegTokenResp(resp), Hex("a1 07 30 05 a0 03 0a 01 02"));
  resp.neg_state = NegState::kRequestMic;
  resp.supported_mech = NtlmOid();
  EXPECT_EQ(EncodeNegTokenResp(resp),
            Hex("a1 15 30 13 a0 03 0a 01 03 a1 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"));
}

TEST(SpnegoResp, RejectsMalformedVariants) {
  const char* bad[] = {
      "",                                            // empty
      "a1",                                          // no length
      "a1 1b 30 19 a0 03 0a 01 00",                  // length beyond the data
      "a1 07 30 05 a0 03 0a 01 00 00",               // trailing byte
      "a2 07 30 05 a0 03 0a 01 00",                  // wrong CHOICE tag
      "a0 07 30 05 a0 03 0a 01 00",                  // negTokenInit tag
      "30 05 a0 03 0a 01 00",                        // no CHOICE wrapper
      "a1 07 31 05 a0 03 0a 01 00",                  // SET instead of SEQUENCE
      "a1 07 30 05 a0 03 0a 01 04",                  // negState out of range
      "a1 07 30 05 a0 03 0a 01 ff",                  // negative negState
      "a1 07 30 05 a0 03 02 01 00",                  // INTEGER, not ENUMERATED
      "a1 08 30 06 a0 04 0a 02 00 00",               // non-minimal ENUMERATED
      "a1 07 30 05 80 03 0a 01 00",                  // primitive context tag
      "a1 0c 30 0a a0 03 0a 01 00 a0 03 0a 01 01",   // duplicate negState
      "a1 0c 30 0a a3 03 04 01 00 a0 03 0a 01 00",   // out of order
      "a1 0a 30 08 a0 06 0a 01 00 0a 01 00",         // two elements inside [0]
      "a1 07 30 05 a4 03 04 01 00",                  // unknown field [4]
      "a1 80 30 05 a0 03 0a 01 00 00 00",            // indefinite length
      "a1 81 07 30 05 a0 03 0a 01 00",               // non-minimal length
      "a1 08 30 81 05 a0 03 0a 01 00",               // non-minimal inner length
      "a1 08 30 06 a1 04 06 02 2b 80",               // bad OID encoding
      "a1 08 30 06 a1 04 04 02 2b 06",               // supportedMech not an OID
      "a1 0b 30 09 a2 07 24 05 04 03 61 62 63",      // constructed OCTET STRING
      "a1 09 30 07 a3 05 04 04 61 62 63",            // inner length beyond [3]
      "a1 06 30 04 a2 02 04 00 00",                  // trailing byte inside SEQUENCE count
  };
  for (const char* hex : bad) {
    NegTokenResp resp;
    EXPECT_FALSE(ParseNegTokenResp(Hex(hex), &resp)) << hex;
  }
}

TEST(SpnegoInit, RejectsMalformedVariants) {
  const char* bad[] = {
      // thisMech is Kerberos, not SPNEGO
      "60 1c 06 09 2a 86 48 86 f7 12 01 02 02 a0 0f 30 0d a0 0b 30 09 06 07 2b 06 01 04 01 82 37",
      // bare NegTokenInit without the 0x60 framing
      "a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a",
      // a negTokenResp inside the framing
      "60 11 06 06 2b 06 01 05 05 02 a1 07 30 05 a0 03 0a 01 00",
      // no thisMech
      "60 14 a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a",
      // empty mechTypes
      "60 10 06 06 2b 06 01 05 05 02 a0 06 30 04 a0 02 30 00",
      // mechTypes as SET
      "60 1c 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 31 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a",
      // mechTypes holding an OCTET STRING
      "60 1c 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 30 0c 04 0a 2b 06 01 04 01 82 37 02 02 0a",
      // trailing byte after the token
      "60 1c 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a 00",
      // trailing byte inside the APPLICATION wrapper
      "60 1d 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a 00",
      // reqFlags with an unused-bit count of 8
      "60 21 06 06 2b 06 01 05 05 02 a0 17 30 15 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
      " a1 03 03 01 08",
      // mechListMIC in [3] and again in [4]
      "60 26 06 06 2b 06 01 05 05 02 a0 1c 30 1a a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
      " a3 03 04 01 00 a4 03 04 01 00",
      // negHints with an unknown field
      "60 22 06 06 2b 06 01 05 05 02 a0 18 30 16 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
      " a3 04 30 02 a2 00",
      // hintName as OCTET STRING instead of GeneralString
      "60 25 06 06 2b 06 01 05 05 02 a0 1b 30 19 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
      " a3 07 30 05 a0 03 04 01 41",
      // indefinite length at the top
      "60 80 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a 00 00",
      // non-minimal length at the top
      "60 81 1c 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a",
      // mechToken as INTEGER
      "60 21 06 06 2b 06 01 05 05 02 a0 17 30 15 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
      " a2 03 02 01 01",
      // fields out of order: [2] before [0]
      "60 21 06 06 2b 06 01 05 05 02 a0 17 30 15 a2 03 04 01 01"
      " a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a",
      // neither mechTypes nor negHints
      "60 11 06 06 2b 06 01 05 05 02 a0 07 30 05 a2 03 04 01 01",
  };
  for (const char* hex : bad) {
    NegTokenInit init;
    EXPECT_FALSE(ParseInitialContextToken(Hex(hex), &init)) << hex;
  }
  // The well-formed base of the variants above parses.
  NegTokenInit init;
  EXPECT_TRUE(ParseInitialContextToken(
      Hex("60 1c 06 06 2b 06 01 05 05 02 a0 12 30 10 a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"),
      &init));
}

TEST(SpnegoInit, EveryTruncationFails) {
  const Bytes tokens[] = {WindowsNegTokenInit2(), Concat({Hex("60 48 06 06 2b 06 01 05 05 02 a0 3e 30 3c"
                                                              "a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a"
                                                              "a2 2a 04 28"),
                                                         Negotiate40()})};
  for (const Bytes& t : tokens) {
    for (size_t n = 0; n < t.size(); ++n) {
      NegTokenInit init;
      EXPECT_FALSE(ParseInitialContextToken(ByteSpan(t).first(n), &init)) << n;
    }
    Bytes longer = t;
    longer.push_back(std::byte{0});
    NegTokenInit init;
    EXPECT_FALSE(ParseInitialContextToken(longer, &init));
  }
}

TEST(SpnegoInit, TooManyMechTypes) {
  auto make = [](size_t n) {
    std::vector<ByteSpan> oids(n, ByteSpan(kKrb5Oid));
    oids.back() = NtlmOid();
    NegTokenInit init;
    init.mech_types = oids;
    return EncodeInitialContextToken(init);
  };
  NegTokenInit init;
  EXPECT_TRUE(ParseInitialContextToken(make(kMaxMechTypes), &init));
  EXPECT_FALSE(ParseInitialContextToken(make(kMaxMechTypes + 1), &init));
}

TEST(SpnegoInit, NestingBeyondLimitsFails) {
  // A negHints slot holding SEQUENCEs nested 200 deep: refused, without deep recursion.
  Bytes inner = Hex("05 00");
  for (int i = 0; i < 200; ++i) {
    // Built with reserve() + push_back: GCC 12 at -O2 misreads an initializer-list vector
    // followed by insert() as an overflow (-Wstringop-overflow false positive).
    Bytes wrapped;
    wrapped.reserve(inner.size() + 4);
    wrapped.push_back(std::byte{0x30});
    if (inner.size() < 0x80) {
      wrapped.push_back(static_cast<std::byte>(inner.size()));
    } else {
      wrapped.push_back(std::byte{0x82});
      wrapped.push_back(static_cast<std::byte>(inner.size() >> 8));
      wrapped.push_back(static_cast<std::byte>(inner.size() & 0xff));
    }
    wrapped.insert(wrapped.end(), inner.begin(), inner.end());
    inner = wrapped;
  }
  NegTokenInit base;
  const ByteSpan ntlm = NtlmOid();
  base.mech_types.assign(&ntlm, &ntlm + 1);
  base.has_neg_hints = true;
  base.hint_address = ByteSpan(inner);  // an OCTET STRING: opaque, so still valid...
  const Bytes ok = EncodeInitialContextToken(base);
  NegTokenInit parsed;
  EXPECT_TRUE(ParseInitialContextToken(ok, &parsed));
  // ...but the same bytes as structure in place of NegHints' SEQUENCE are rejected.
  auto wrap = [](uint8_t tag, const Bytes& body) {
    Bytes out{static_cast<std::byte>(tag)};
    if (body.size() < 0x80) {
      out.push_back(static_cast<std::byte>(body.size()));
    } else {
      out.push_back(std::byte{0x82});
      out.push_back(static_cast<std::byte>(body.size() >> 8));
      out.push_back(static_cast<std::byte>(body.size() & 0xff));
    }
    out.insert(out.end(), body.begin(), body.end());
    return out;
  };
  const Bytes mech = Hex("a0 0e 30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a");
  const Bytes seq_body = Concat({mech, wrap(0xa3, inner)});
  const Bytes deep =
      wrap(0x60, Concat({Hex("06 06 2b 06 01 05 05 02"), wrap(0xa0, wrap(0x30, seq_body))}));
  EXPECT_FALSE(ParseInitialContextToken(deep, &parsed));
  // A legal token at the nesting limit still parses: the [3] NegHints slot with its fields.
  NegTokenInit hinted;
  hinted.mech_types = base.mech_types;
  hinted.has_neg_hints = true;
  hinted.hint_name = ByteSpan(mech);
  EXPECT_TRUE(ParseInitialContextToken(EncodeInitialContextToken(hinted), &parsed));
}

TEST(SpnegoCodec, OversizedTokenRejected) {
  Bytes big(kMaxTokenSize + 1, std::byte{0x41});
  NegTokenResp resp;
  resp.response_token = ByteSpan(big);
  const Bytes token = EncodeNegTokenResp(resp);
  NegTokenResp parsed;
  EXPECT_FALSE(ParseNegTokenResp(token, &parsed));
  big.resize(60000);
  resp.response_token = ByteSpan(big);
  EXPECT_TRUE(ParseNegTokenResp(EncodeNegTokenResp(resp), &parsed));
}

// Property: every token the parser accepts is canonical, i.e. encoding the parsed value gives
// the same bytes back; random mutations of valid tokens never crash the parser.
TEST(SpnegoCodec, AcceptedMutationsAreCanonical) {
  std::mt19937 rng(4178);
  const Bytes mic = Hex("01 00 00 00 7d d6 da 05 64 8a 73 ae 00 00 00 00");
  const Bytes chal = Str(std::string_view("NTLMSSP\0\x02\0\0\0xxxxxxxxxxxxxxxx", 28));
  NegTokenResp r1;
  r1.neg_state = NegState::kAcceptIncomplete;
  r1.supported_mech = NtlmOid();
  r1.response_token = ByteSpan(chal);
  NegTokenResp r2;
  r2.neg_state = NegState::kAcceptCompleted;
  r2.mech_list_mic = ByteSpan(mic);
  const Bytes resp_seeds[] = {EncodeNegTokenResp(r1), EncodeNegTokenResp(r2)};
  const Bytes init_seeds[] = {WindowsNegTokenInit2()};
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    const bool is_resp = iter % 2 == 0;
    Bytes t = is_resp ? resp_seeds[rng() % 2] : init_seeds[0];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[pos] = static_cast<std::byte>(rng()); break;
        case 1: t.erase(t.begin() + static_cast<std::ptrdiff_t>(pos)); break;
        default: t.insert(t.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::byte>(rng())); break;
      }
      if (t.empty()) break;
    }
    if (is_resp) {
      NegTokenResp p;
      if (ParseNegTokenResp(t, &p)) {
        ++accepted;
        ASSERT_EQ(EncodeNegTokenResp(p), t);
      }
    } else {
      NegTokenInit p;
      if (ParseInitialContextToken(t, &p) && !p.has_req_flags) {
        ++accepted;
        ASSERT_EQ(EncodeInitialContextToken(p), t);
      }
    }
  }
  EXPECT_GT(accepted, 0);  // some mutations (inside opaque contents) stay valid
}

TEST(SpnegoCodec, RawNtlmDetection) {
  EXPECT_TRUE(IsRawNtlm(Negotiate40()));
  EXPECT_FALSE(IsRawNtlm(Str("NTLMSSP")));
  EXPECT_FALSE(IsRawNtlm(Hex("60 48 06 06")));
}

}  // namespace
}  // namespace ocs::spnego
