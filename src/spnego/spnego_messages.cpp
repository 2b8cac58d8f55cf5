// spnego_messages.cpp - SPNEGO token reader and writer; the schema is in spnego_messages.h.
// SPDX-License-Identifier: Apache-2.0
#include "spnego/spnego_messages.h"

#include <cstring>

#include "asn1/der.h"

namespace ocs::spnego {

using asn1::ContextTag;
using asn1::DerLimits;
using asn1::DerReader;
using asn1::DerWriter;

namespace {

DerLimits Limits() {
  DerLimits l;
  l.max_length = kMaxTokenSize;
  l.max_depth = kMaxDepth;
  return l;
}

// ReadExplicit opens [n] and hands back its single inner reader; the caller reads the one
// element inside and checks ExpectEnd on it.
[[nodiscard]] bool ReadExplicitOctetString(DerReader* r, uint8_t n, std::optional<ByteSpan>* out) {
  bool present = false;
  DerReader inner;
  if (!r->ReadOptionalConstructed(ContextTag(n), &present, &inner)) return false;
  if (!present) return true;
  ByteSpan os;
  if (!inner.ReadOctetString(&os) || !inner.ExpectEnd()) return false;
  *out = os;
  return true;
}

[[nodiscard]] bool ReadMechTypeList(DerReader* r, NegTokenInit* out) {
  // Keep the exact bytes (the mechListMIC input), then walk the same element as a child.
  DerReader peek = *r;
  ByteSpan whole;
  if (!peek.ReadElementWithHeader(asn1::kSequence, &whole)) return false;
  DerReader list;
  if (!r->ReadConstructed(asn1::kSequence, &list)) return false;
  std::vector<ByteSpan> oids;
  while (!list.empty()) {
    if (oids.size() == kMaxMechTypes) return false;
    ByteSpan oid;
    if (!list.ReadOid(&oid)) return false;
    oids.push_back(oid);
  }
  // RFC 4178 §4.2.1: the initiator proposes at least one mechanism.
  if (oids.empty()) return false;
  out->mech_types = std::move(oids);
  out->mech_type_list = whole;
  return true;
}

[[nodiscard]] bool ReadNegHints(DerReader* hints_outer, NegTokenInit* out) {
  DerReader hints;
  if (!hints_outer->ReadConstructed(asn1::kSequence, &hints) || !hints_outer->ExpectEnd()) {
    return false;
  }
  bool present = false;
  DerReader inner;
  if (!hints.ReadOptionalConstructed(ContextTag(0), &present, &inner)) return false;
  if (present) {
    ByteSpan name;
    if (!inner.ReadElement(asn1::kGeneralString, &name) || !inner.ExpectEnd()) return false;
    out->hint_name = name;
  }
  if (!hints.ReadOptionalConstructed(ContextTag(1), &present, &inner)) return false;
  if (present) {
    ByteSpan addr;
    if (!inner.ReadOctetString(&addr) || !inner.ExpectEnd()) return false;
    out->hint_address = addr;
  }
  if (!hints.ExpectEnd()) return false;
  out->has_neg_hints = true;
  return true;
}

bool ParseNegTokenInitSequence(DerReader* seq, NegTokenInit* out) {
  NegTokenInit result;
  bool present = false;
  DerReader inner;

  // [0] mechTypes: mandatory in NegTokenInit, optional in NegTokenInit2 (decided below).
  if (!seq->ReadOptionalConstructed(ContextTag(0), &present, &inner)) return false;
  const bool has_mech_types = present;
  if (present && (!ReadMechTypeList(&inner, &result) || !inner.ExpectEnd())) return false;

  // [1] reqFlags: MS-SPNG 3.1.5.3 says ignore it; check only that it is a BIT STRING.
  if (!seq->ReadOptionalConstructed(ContextTag(1), &present, &inner)) return false;
  if (present) {
    ByteSpan bits;
    if (!inner.ReadElement(asn1::kBitString, &bits) || !inner.ExpectEnd()) return false;
    if (bits.empty() || std::to_integer<uint8_t>(bits[0]) > 7) return false;
    result.has_req_flags = true;
  }

  if (!ReadExplicitOctetString(seq, 2, &result.mech_token)) return false;

  // [3] is mechListMIC (OCTET STRING) in NegTokenInit, negHints (SEQUENCE) in NegTokenInit2.
  if (!seq->ReadOptionalConstructed(ContextTag(3), &present, &inner)) return false;
  if (present) {
    if (inner.NextIs(asn1::kSequence)) {
      if (!ReadNegHints(&inner, &result)) return false;
    } else {
      ByteSpan mic;
      if (!inner.ReadOctetString(&mic) || !inner.ExpectEnd()) return false;
      result.mech_list_mic = mic;
    }
  }
  // [4] mechListMIC only exists in NegTokenInit2, i.e. after negHints or a skipped [3].
  if (seq->NextIs(ContextTag(4))) {
    if (result.mech_list_mic.has_value()) return false;
    if (!ReadExplicitOctetString(seq, 4, &result.mech_list_mic)) return false;
    result.has_neg_hints = true;  // an Init2 even when the hints themselves were omitted
  }
  if (!seq->ExpectEnd()) return false;
  if (!has_mech_types && !result.has_neg_hints) return false;
  *out = std::move(result);
  return true;
}

}  // namespace

bool ParseNegTokenInitBody(ByteSpan der, NegTokenInit* out) {
  if (der.size() > kMaxTokenSize) return false;
  DerReader r(der, Limits());
  DerReader seq;
  if (!r.ReadConstructed(asn1::kSequence, &seq) || !r.ExpectEnd()) return false;
  return ParseNegTokenInitSequence(&seq, out);
}

bool ParseInitialContextToken(ByteSpan token, NegTokenInit* out) {
  if (token.size() > kMaxTokenSize) return false;
  DerReader r(token, Limits());
  DerReader app;
  // RFC 2743 §3.1: [APPLICATION 0] IMPLICIT SEQUENCE { thisMech, innerContextToken }.
  if (!r.ReadConstructed(asn1::ApplicationTag(0), &app) || !r.ExpectEnd()) return false;
  ByteSpan this_mech;
  if (!app.ReadOid(&this_mech) || !OidEquals(this_mech, ByteSpan(kSpnegoOid))) return false;
  DerReader choice;
  if (!app.ReadConstructed(ContextTag(0), &choice) || !app.ExpectEnd()) return false;
  DerReader seq;
  if (!choice.ReadConstructed(asn1::kSequence, &seq) || !choice.ExpectEnd()) return false;
  return ParseNegTokenInitSequence(&seq, out);
}

bool ParseNegTokenResp(ByteSpan token, NegTokenResp* out) {
  if (token.size() > kMaxTokenSize) return false;
  DerReader r(token, Limits());
  DerReader choice;
  if (!r.ReadConstructed(ContextTag(1), &choice) || !r.ExpectEnd()) return false;
  DerReader seq;
  if (!choice.ReadConstructed(asn1::kSequence, &seq) || !choice.ExpectEnd()) return false;

  NegTokenResp result;
  bool present = false;
  DerReader inner;
  if (!seq.ReadOptionalConstructed(ContextTag(0), &present, &inner)) return false;
  if (present) {
    int64_t state = 0;
    if (!inner.ReadEnumerated(&state, 0, 3) || !inner.ExpectEnd()) return false;
    result.neg_state = static_cast<NegState>(state);
  }
  if (!seq.ReadOptionalConstructed(ContextTag(1), &present, &inner)) return false;
  if (present) {
    ByteSpan oid;
    if (!inner.ReadOid(&oid) || !inner.ExpectEnd()) return false;
    result.supported_mech = oid;
  }
  if (!ReadExplicitOctetString(&seq, 2, &result.response_token)) return false;
  if (!ReadExplicitOctetString(&seq, 3, &result.mech_list_mic)) return false;
  if (!seq.ExpectEnd()) return false;
  *out = result;
  return true;
}

Bytes EncodeMechTypeList(gsl::span<const ByteSpan> oids) {
  DerWriter w;
  w.AddConstructed(asn1::kSequence, [&](DerWriter& list) {
    for (ByteSpan oid : oids) list.AddOid(oid);
  });
  return w.Finish();
}

Bytes EncodeInitialContextToken(const NegTokenInit& init) {
  DerWriter w;
  w.AddConstructed(asn1::ApplicationTag(0), [&](DerWriter& app) {
    app.AddOid(ByteSpan(kSpnegoOid));
    app.AddConstructed(ContextTag(0), [&](DerWriter& choice) {
      choice.AddConstructed(asn1::kSequence, [&](DerWriter& seq) {
        if (!init.mech_type_list.empty()) {
          seq.AddConstructed(ContextTag(0), [&](DerWriter& t) { t.AddRaw(init.mech_type_list); });
        } else if (!init.mech_types.empty()) {
          const Bytes list = EncodeMechTypeList(init.mech_types);
          seq.AddConstructed(ContextTag(0), [&](DerWriter& t) { t.AddRaw(list); });
        }
        // reqFlags: SHOULD be omitted (MS-SPNG 2.2.1); we never send it.
        if (init.mech_token) {
          seq.AddConstructed(ContextTag(2), [&](DerWriter& t) { t.AddOctetString(*init.mech_token); });
        }
        if (init.has_neg_hints) {
          seq.AddConstructed(ContextTag(3), [&](DerWriter& t) {
            t.AddConstructed(asn1::kSequence, [&](DerWriter& hints) {
              if (init.hint_name) {
                hints.AddConstructed(ContextTag(0), [&](DerWriter& h) {
                  h.AddElement(asn1::kGeneralString, *init.hint_name);
                });
              }
              if (init.hint_address) {
                hints.AddConstructed(ContextTag(1), [&](DerWriter& h) {
                  h.AddOctetString(*init.hint_address);
                });
              }
            });
          });
          if (init.mech_list_mic) {
            seq.AddConstructed(ContextTag(4),
                               [&](DerWriter& t) { t.AddOctetString(*init.mech_list_mic); });
          }
        } else if (init.mech_list_mic) {
          seq.AddConstructed(ContextTag(3),
                             [&](DerWriter& t) { t.AddOctetString(*init.mech_list_mic); });
        }
      });
    });
  });
  return w.Finish();
}

Bytes EncodeNegTokenResp(const NegTokenResp& resp) {
  DerWriter w;
  w.AddConstructed(ContextTag(1), [&](DerWriter& choice) {
    choice.AddConstructed(asn1::kSequence, [&](DerWriter& seq) {
      if (resp.neg_state) {
        seq.AddConstructed(ContextTag(0), [&](DerWriter& t) {
          t.AddEnumerated(static_cast<int64_t>(*resp.neg_state));
        });
      }
      if (resp.supported_mech) {
        seq.AddConstructed(ContextTag(1), [&](DerWriter& t) { t.AddOid(*resp.supported_mech); });
      }
      if (resp.response_token) {
        seq.AddConstructed(ContextTag(2),
                           [&](DerWriter& t) { t.AddOctetString(*resp.response_token); });
      }
      if (resp.mech_list_mic) {
        seq.AddConstructed(ContextTag(3),
                           [&](DerWriter& t) { t.AddOctetString(*resp.mech_list_mic); });
      }
    });
  });
  return w.Finish();
}

bool OidEquals(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

bool IsRawNtlm(ByteSpan token) {
  static constexpr char kSig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', '\0'};
  return token.size() >= sizeof(kSig) && std::memcmp(token.data(), kSig, sizeof(kSig)) == 0;
}

}  // namespace ocs::spnego
