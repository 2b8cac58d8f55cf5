// ts_request.cpp - TSRequest / TSCredentials codec. See ts_request.h.
// SPDX-License-Identifier: Apache-2.0
#include "credssp/ts_request.h"

#include <limits>

#include "asn1/der.h"

namespace ocs::credssp {
namespace {

using asn1::ContextTag;
using asn1::DerLimits;
using asn1::DerReader;
using asn1::DerWriter;

DerLimits Limits() {
  DerLimits l;
  l.max_length = kMaxTsRequest;
  l.max_depth = 8;  // TSRequest -> [1] -> NegoData -> item -> [0]: the deepest path is 6
  return l;
}

// ReadExplicit reads `[n] EXPLICIT` and hands back a reader over the inner element.
[[nodiscard]] bool ReadExplicit(DerReader& r, unsigned n, DerReader* out_inner) {
  return r.ReadConstructed(ContextTag(n), out_inner);
}

[[nodiscard]] bool ReadOctets(DerReader& r, unsigned n, ByteSpan* out) {
  DerReader inner;
  return ReadExplicit(r, n, &inner) && inner.ReadOctetString(out) && inner.ExpectEnd();
}

[[nodiscard]] bool ReadOptionalOctets(DerReader& r, unsigned n, std::optional<Bytes>* out) {
  if (!r.NextIs(ContextTag(n))) return true;
  ByteSpan s;
  if (!ReadOctets(r, n, &s)) return false;
  *out = Bytes(s.begin(), s.end());
  return true;
}

[[nodiscard]] bool ReadInt(DerReader& r, unsigned n, int64_t* out, int64_t min, int64_t max) {
  DerReader inner;
  return ReadExplicit(r, n, &inner) && inner.ReadInteger(out, min, max) && inner.ExpectEnd();
}

// Utf16 fields: an odd number of bytes cannot be UTF-16LE.
[[nodiscard]] bool ReadString(DerReader& r, unsigned n, ByteSpan* out) {
  return ReadOctets(r, n, out) && out->size() % 2 == 0;
}
[[nodiscard]] bool ReadOptionalString(DerReader& r, unsigned n, std::optional<Bytes>* out) {
  if (!ReadOptionalOctets(r, n, out)) return false;
  return !out->has_value() || (*out)->size() % 2 == 0;
}

void AddOctets(DerWriter& w, unsigned n, ByteSpan s) {
  w.AddConstructed(ContextTag(n), [&](DerWriter& x) { x.AddOctetString(s); });
}
void AddInt(DerWriter& w, unsigned n, int64_t v) {
  w.AddConstructed(ContextTag(n), [&](DerWriter& x) { x.AddInteger(v); });
}

[[nodiscard]] bool DecodePackageCred(DerReader& r, PackageCred* out) {
  DerReader seq;
  ByteSpan name, buf;
  if (!r.ReadConstructed(asn1::kSequence, &seq) || !ReadString(seq, 0, &name) ||
      !ReadOctets(seq, 1, &buf) || !seq.ExpectEnd()) {
    return false;
  }
  out->package_name.assign(name.begin(), name.end());
  out->cred_buffer = SecretBytes(buf);
  return true;
}

void EncodePackageCred(DerWriter& w, const PackageCred& c) {
  w.AddConstructed(asn1::kSequence, [&](DerWriter& s) {
    AddOctets(s, 0, c.package_name);
    AddOctets(s, 1, c.cred_buffer.span());
  });
}

[[nodiscard]] bool DecodePassword(ByteSpan der, PasswordCreds* out) {
  DerReader r(der, Limits()), seq;
  ByteSpan d, u, p;
  if (!r.ReadConstructed(asn1::kSequence, &seq) || !r.ExpectEnd() || !ReadString(seq, 0, &d) ||
      !ReadString(seq, 1, &u) || !ReadString(seq, 2, &p) || !seq.ExpectEnd()) {
    return false;
  }
  out->domain = SecretBytes(d);
  out->user = SecretBytes(u);
  out->password = SecretBytes(p);
  return true;
}

[[nodiscard]] bool DecodeSmartCard(ByteSpan der, SmartCardCreds* out) {
  DerReader r(der, Limits()), seq, csp_outer, csp;
  ByteSpan pin;
  int64_t key_spec = 0;
  if (!r.ReadConstructed(asn1::kSequence, &seq) || !r.ExpectEnd() ||
      !ReadString(seq, 0, &pin) || !ReadExplicit(seq, 1, &csp_outer) ||
      !csp_outer.ReadConstructed(asn1::kSequence, &csp) || !csp_outer.ExpectEnd()) {
    return false;
  }
  // keySpec: a CryptoAPI DWORD (AT_KEYEXCHANGE 1, AT_SIGNATURE 2); keep it in 32 bits.
  if (!ReadInt(csp, 0, &key_spec, std::numeric_limits<int32_t>::min(),
               std::numeric_limits<uint32_t>::max()) ||
      !ReadOptionalString(csp, 1, &out->card_name) ||
      !ReadOptionalString(csp, 2, &out->reader_name) ||
      !ReadOptionalString(csp, 3, &out->container_name) ||
      !ReadOptionalString(csp, 4, &out->csp_name) || !csp.ExpectEnd() ||
      !ReadOptionalString(seq, 2, &out->user_hint) ||
      !ReadOptionalString(seq, 3, &out->domain_hint) || !seq.ExpectEnd()) {
    return false;
  }
  out->pin = SecretBytes(pin);
  out->key_spec = static_cast<int32_t>(static_cast<uint32_t>(key_spec));
  return true;
}

[[nodiscard]] bool DecodeRemoteGuard(ByteSpan der, RemoteGuardCreds* out) {
  DerReader r(der, Limits()), seq, logon;
  if (!r.ReadConstructed(asn1::kSequence, &seq) || !r.ExpectEnd() ||
      !ReadExplicit(seq, 0, &logon) || !DecodePackageCred(logon, &out->logon) ||
      !logon.ExpectEnd()) {
    return false;
  }
  if (seq.NextIs(ContextTag(1))) {
    DerReader outer, list;
    if (!ReadExplicit(seq, 1, &outer) || !outer.ReadConstructed(asn1::kSequence, &list) ||
        !outer.ExpectEnd()) {
      return false;
    }
    std::vector<PackageCred> creds;
    while (!list.empty()) {
      if (creds.size() >= 64) return false;  // no real client sends more than a handful
      PackageCred c;
      if (!DecodePackageCred(list, &c)) return false;
      creds.push_back(std::move(c));
    }
    out->supplemental = std::move(creds);
  }
  return seq.ExpectEnd();
}

}  // namespace

bool DecodeTsRequest(ByteSpan der, TsRequest* out) {
  if (der.size() > kMaxTsRequest) return false;
  *out = TsRequest{};
  DerReader r(der, Limits()), seq;
  if (!r.ReadConstructed(asn1::kSequence, &seq) || !r.ExpectEnd()) return false;

  // MS-CSSP 2.2.1: versions 2..6 are defined; a larger one means "at least 6" to us.
  int64_t version = 0;
  if (!ReadInt(seq, 0, &version, 2, std::numeric_limits<int32_t>::max())) return false;
  out->version = static_cast<uint32_t>(version);

  if (seq.NextIs(ContextTag(1))) {
    DerReader outer, nego_data;
    if (!ReadExplicit(seq, 1, &outer) || !outer.ReadConstructed(asn1::kSequence, &nego_data) ||
        !outer.ExpectEnd() || nego_data.empty()) {
      return false;
    }
    while (!nego_data.empty()) {
      if (out->nego_tokens.size() >= 8) return false;
      DerReader item;
      ByteSpan token;
      if (!nego_data.ReadConstructed(asn1::kSequence, &item) || !ReadOctets(item, 0, &token) ||
          !item.ExpectEnd()) {
        return false;
      }
      out->nego_tokens.emplace_back(token.begin(), token.end());
    }
  }
  if (!ReadOptionalOctets(seq, 2, &out->auth_info)) return false;
  if (!ReadOptionalOctets(seq, 3, &out->pub_key_auth)) return false;
  if (seq.NextIs(ContextTag(4))) {
    // credssp.md 2.1: signed 4-byte form (FreeRDP, Windows) or unsigned 5-byte (pyspnego).
    int64_t code = 0;
    if (!ReadInt(seq, 4, &code, std::numeric_limits<int32_t>::min(),
                 std::numeric_limits<uint32_t>::max())) {
      return false;
    }
    out->error_code = static_cast<uint32_t>(code);
  }
  if (!ReadOptionalOctets(seq, 5, &out->client_nonce)) return false;
  if (out->client_nonce && out->client_nonce->size() != kNonceSize) return false;
  return seq.ExpectEnd();
}

Bytes EncodeTsRequest(const TsRequest& req) {
  DerWriter w;
  w.AddConstructed(asn1::kSequence, [&](DerWriter& s) {
    AddInt(s, 0, req.version);
    if (!req.nego_tokens.empty()) {
      s.AddConstructed(ContextTag(1), [&](DerWriter& o) {
        o.AddConstructed(asn1::kSequence, [&](DerWriter& nd) {
          for (const Bytes& t : req.nego_tokens) {
            nd.AddConstructed(asn1::kSequence, [&](DerWriter& item) { AddOctets(item, 0, t); });
          }
        });
      });
    }
    if (req.auth_info) AddOctets(s, 2, *req.auth_info);
    if (req.pub_key_auth) AddOctets(s, 3, *req.pub_key_auth);
    // Signed 32-bit form: 0xC000006D -> 02 04 c0 00 00 6d.
    if (req.error_code) AddInt(s, 4, static_cast<int32_t>(*req.error_code));
    if (req.client_nonce) AddOctets(s, 5, *req.client_nonce);
  });
  return w.Finish();
}

size_t TsRequestSize(ByteSpan p) {
  constexpr size_t kBad = SIZE_MAX;
  if (p.empty()) return 0;
  if (std::to_integer<unsigned>(p[0]) != asn1::kSequence) return kBad;
  if (p.size() < 2) return 0;
  unsigned first = std::to_integer<unsigned>(p[1]);
  size_t len = 0, header = 2;
  if (first < 0x80) {
    len = first;
  } else {
    size_t n = first & 0x7f;
    if (n == 0 || n > 3) return kBad;  // indefinite, or larger than kMaxTsRequest can be
    if (p.size() < 2 + n) return 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | std::to_integer<size_t>(p[2 + i]);
    header += n;
  }
  if (header + len > kMaxTsRequest) return kBad;
  return header + len;
}

bool DecodeTsCredentials(ByteSpan der, TsCredentials* out) {
  if (der.size() > kMaxTsRequest) return false;
  *out = TsCredentials{};
  DerReader r(der, Limits()), seq;
  int64_t type = 0;
  ByteSpan inner;
  if (!r.ReadConstructed(asn1::kSequence, &seq) || !r.ExpectEnd() ||
      !ReadInt(seq, 0, &type, 0, std::numeric_limits<int32_t>::max()) ||
      !ReadOctets(seq, 1, &inner) || !seq.ExpectEnd()) {
    return false;
  }
  out->cred_type = static_cast<uint32_t>(type);
  // MS-CSSP 2.2.1.2: credType 1, 2 or 6; the payload must parse as that type.
  switch (out->cred_type) {
    case kPassword: return DecodePassword(inner, &out->password);
    case kSmartCard: return DecodeSmartCard(inner, &out->smart_card);
    case kRemoteGuard: return DecodeRemoteGuard(inner, &out->remote_guard);
    default: return false;
  }
}

SecretBytes EncodeTsCredentials(const TsCredentials& c) {
  DerWriter inner;
  switch (c.cred_type) {
    case kPassword:
      inner.AddConstructed(asn1::kSequence, [&](DerWriter& s) {
        AddOctets(s, 0, c.password.domain.span());
        AddOctets(s, 1, c.password.user.span());
        AddOctets(s, 2, c.password.password.span());
      });
      break;
    case kSmartCard: {
      const SmartCardCreds& sc = c.smart_card;
      inner.AddConstructed(asn1::kSequence, [&](DerWriter& s) {
        AddOctets(s, 0, sc.pin.span());
        s.AddConstructed(ContextTag(1), [&](DerWriter& o) {
          o.AddConstructed(asn1::kSequence, [&](DerWriter& csp) {
            AddInt(csp, 0, sc.key_spec);
            if (sc.card_name) AddOctets(csp, 1, *sc.card_name);
            if (sc.reader_name) AddOctets(csp, 2, *sc.reader_name);
            if (sc.container_name) AddOctets(csp, 3, *sc.container_name);
            if (sc.csp_name) AddOctets(csp, 4, *sc.csp_name);
          });
        });
        if (sc.user_hint) AddOctets(s, 2, *sc.user_hint);
        if (sc.domain_hint) AddOctets(s, 3, *sc.domain_hint);
      });
      break;
    }
    case kRemoteGuard:
      inner.AddConstructed(asn1::kSequence, [&](DerWriter& s) {
        s.AddConstructed(ContextTag(0), [&](DerWriter& o) { EncodePackageCred(o, c.remote_guard.logon); });
        if (c.remote_guard.supplemental) {
          s.AddConstructed(ContextTag(1), [&](DerWriter& o) {
            o.AddConstructed(asn1::kSequence, [&](DerWriter& list) {
              for (const PackageCred& pc : *c.remote_guard.supplemental) EncodePackageCred(list, pc);
            });
          });
        }
      });
      break;
    default:
      return {};
  }
  SecretBytes inner_der = inner.FinishSecret();
  DerWriter w;
  w.AddConstructed(asn1::kSequence, [&](DerWriter& s) {
    AddInt(s, 0, c.cred_type);
    AddOctets(s, 1, inner_der.span());
  });
  return w.FinishSecret();
}

}  // namespace ocs::credssp
