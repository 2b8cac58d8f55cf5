// trace.cpp - see trace.h.
// SPDX-License-Identifier: Apache-2.0
#include "trace.h"

#include <string_view>

namespace ocs::cli {
namespace {

uint8_t At(ByteSpan b, size_t i) { return std::to_integer<uint8_t>(b[i]); }

const char* HandshakeName(uint8_t t) {
  switch (t) {
    case 1:
      return "ClientHello";
    case 2:
      return "ServerHello";
    case 4:
      return "NewSessionTicket";
    case 8:
      return "EncryptedExtensions";
    case 11:
      return "Certificate";
    case 12:
      return "ServerKeyExchange";
    case 13:
      return "CertificateRequest";
    case 14:
      return "ServerHelloDone";
    case 15:
      return "CertificateVerify";
    case 16:
      return "ClientKeyExchange";
    case 20:
      return "Finished";
    default:
      return "handshake";
  }
}

// DescribeTls lists the records of a TLS byte stream: "TLS ClientHello" or
// "TLS ServerHello, ChangeCipherSpec, 4 encrypted records". Returns "" if `b` is not TLS.
std::string DescribeTls(ByteSpan b) {
  if (b.size() < 5) return "";
  std::string out;
  size_t encrypted = 0;
  size_t off = 0;
  bool after_ccs = false;  // after ChangeCipherSpec, TLS 1.2 handshake records are encrypted
  while (off + 5 <= b.size()) {
    const uint8_t type = At(b, off);
    const size_t len = (static_cast<size_t>(At(b, off + 3)) << 8) | At(b, off + 4);
    if (type < 20 || type > 23 || At(b, off + 1) != 3) return "";
    std::string item;
    if (type == 20) {
      item = "ChangeCipherSpec";
      after_ccs = true;
    } else if (type == 21) {
      item = len == 2 && off + 7 <= b.size() ? "Alert(" + std::to_string(At(b, off + 6)) + ")"
                                             : "Alert";
    } else if (type == 22 && !after_ccs) {
      item = off + 5 < b.size() ? HandshakeName(At(b, off + 5)) : "handshake";
    } else {
      ++encrypted;
    }
    if (!item.empty()) out += (out.empty() ? "" : ", ") + item;
    off += 5 + len;
  }
  if (encrypted > 0) {
    out += (out.empty() ? "" : ", ") + std::to_string(encrypted) + " encrypted record" +
           (encrypted > 1 ? "s" : "");
  }
  if (off > b.size()) out += " (a partial record)";
  if (off < b.size()) out += " (+" + std::to_string(b.size() - off) + " bytes)";
  return "TLS " + out;
}

std::string DescribeNtlm(ByteSpan b, size_t off) {
  static constexpr std::string_view kSig{"NTLMSSP\0", 8};
  if (off + 12 > b.size()) return "";
  if (std::string_view(reinterpret_cast<const char*>(b.data()) + off, 8) != kSig) return "";
  switch (At(b, off + 8)) {
    case 1:
      return "NTLM NEGOTIATE";
    case 2:
      return "NTLM CHALLENGE";
    case 3:
      return "NTLM AUTHENTICATE";
    default:
      return "NTLM message";
  }
}

std::string FindNtlm(ByteSpan b) {
  for (size_t i = 0; i + 12 <= b.size(); ++i) {
    if (At(b, i) == 'N') {
      std::string s = DescribeNtlm(b, i);
      if (!s.empty()) return s;
    }
  }
  return "";
}

}  // namespace

std::string DescribeToken(ByteSpan token) {
  if (token.empty()) return "empty";
  std::string d = DescribeNtlm(token, 0);
  if (!d.empty()) return d;
  if (At(token, 0) == 0x60) {  // [APPLICATION 0] InitialContextToken (RFC 2743 3.1)
    std::string inner = FindNtlm(token);
    return "SPNEGO NegTokenInit" + (inner.empty() ? "" : " (" + inner + ")");
  }
  if (At(token, 0) == 0xA1) {  // NegotiationToken choice [1] NegTokenResp (RFC 4178 4.2)
    std::string inner = FindNtlm(token);
    return "SPNEGO NegTokenResp" + (inner.empty() ? "" : " (" + inner + ")");
  }
  d = DescribeTls(token);
  if (!d.empty()) return d;
  if (At(token, 0) == 0x30) return "DER SEQUENCE (a cleartext TSRequest?)";
  return "opaque";
}

}  // namespace ocs::cli
