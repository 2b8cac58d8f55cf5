// framing.cpp - see framing.h.
// SPDX-License-Identifier: Apache-2.0
#include "framing.h"

#include <algorithm>
#include <cstring>

namespace ocs::cli {
namespace {

constexpr std::byte B(unsigned v) { return static_cast<std::byte>(v); }
uint8_t U8(std::byte b) { return std::to_integer<uint8_t>(b); }

void PutU16Be(Bytes* out, size_t v) {
  out->push_back(B((v >> 8) & 0xFF));
  out->push_back(B(v & 0xFF));
}
void PutU32Le(Bytes* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(B((v >> (8 * i)) & 0xFF));
}
void PutU32Be(Bytes* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(B((v >> (8 * i)) & 0xFF));
}
uint32_t GetU32Le(ByteSpan b) {
  return static_cast<uint32_t>(U8(b[0])) | (static_cast<uint32_t>(U8(b[1])) << 8) |
         (static_cast<uint32_t>(U8(b[2])) << 16) | (static_cast<uint32_t>(U8(b[3])) << 24);
}
uint32_t GetU32Be(ByteSpan b) {
  return (static_cast<uint32_t>(U8(b[0])) << 24) | (static_cast<uint32_t>(U8(b[1])) << 16) |
         (static_cast<uint32_t>(U8(b[2])) << 8) | static_cast<uint32_t>(U8(b[3]));
}

// The 19-byte Connection Confirm: TPKT (4) + X.224 CC header (7) + 8-byte RDP_NEG_RSP/FAILURE.
Bytes BuildConfirm(uint8_t type, uint8_t flags, uint32_t value) {
  Bytes out = {B(0x03), B(0x00), B(0x00), B(0x13),  // TPKT v3, length 19 (big-endian)
               B(0x0E), B(0xD0),                    // LI 14, CC TPDU
               B(0x00), B(0x00),                    // DST-REF
               B(0x12), B(0x34),                    // SRC-REF (any value; Windows sends 0x1234)
               B(0x00)};                            // class 0
  out.push_back(B(type));
  out.push_back(B(flags));
  out.push_back(B(0x08));
  out.push_back(B(0x00));
  PutU32Le(&out, value);
  return out;
}

// CheckTpkt validates the TPKT header (RFC 1006: version 3, reserved 0, big-endian length
// covering the whole packet) and the X.224 length indicator, and returns the X.224 TPDU
// (starting at LI) or an error.
std::string CheckTpkt(ByteSpan tpkt, ByteSpan* x224) {
  if (tpkt.size() < 4 + 7) return "TPKT too short";
  if (U8(tpkt[0]) != 3 || U8(tpkt[1]) != 0) return "not a TPKT header (version 3)";
  const size_t len = (static_cast<size_t>(U8(tpkt[2])) << 8) | U8(tpkt[3]);
  if (len != tpkt.size()) return "TPKT length does not match the packet";
  // X.224 LI counts the header bytes after LI itself, variable part included (X.224 13.2.1).
  if (static_cast<size_t>(U8(tpkt[4])) != tpkt.size() - 5) return "X.224 length indicator mismatch";
  *x224 = tpkt.subspan(4);
  return "";
}

}  // namespace

std::optional<Framing> ParseFraming(std::string_view s) {
  if (s == "rdp") return Framing::kRdp;
  if (s == "stream") return Framing::kStream;
  if (s == "length") return Framing::kLength;
  return std::nullopt;
}

const char* FramingName(Framing f) {
  switch (f) {
    case Framing::kRdp:
      return "rdp";
    case Framing::kStream:
      return "stream";
    case Framing::kLength:
      return "length";
  }
  return "?";
}

Bytes BuildConnectionRequest(std::string_view cookie, uint32_t requested_protocols) {
  Bytes body = {B(0xE0), B(0x00), B(0x00), B(0x00), B(0x00), B(0x00)};  // CR, refs, class 0
  if (!cookie.empty()) {
    // MS-RDPBCGR 2.2.1.1: "Cookie: mstshash=IDENTIFIER" terminated by CR LF. The identifier
    // is only a load-balancing hint (mstsc truncates it to 9 characters); cap it so that the
    // one-byte X.224 length indicator cannot overflow, and drop CR/LF that would end it early.
    std::string id(cookie.substr(0, 64));
    std::erase_if(id, [](char ch) { return ch == '\r' || ch == '\n'; });
    const std::string c = "Cookie: mstshash=" + id + "\r\n";
    for (char ch : c) body.push_back(static_cast<std::byte>(ch));
  }
  // RDP_NEG_REQ (MS-RDPBCGR 2.2.1.1.1): type 1, flags 0, length 8, requestedProtocols LE.
  body.insert(body.end(), {B(0x01), B(0x00), B(0x08), B(0x00)});
  PutU32Le(&body, requested_protocols);
  Bytes out = {B(0x03), B(0x00)};
  PutU16Be(&out, 4 + 1 + body.size());
  out.push_back(B(static_cast<unsigned>(body.size())));  // LI (body < 255 bytes)
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes BuildConnectionConfirm(uint32_t selected_protocol) {
  return BuildConfirm(0x02, 0x01, selected_protocol);
}

Bytes BuildNegotiationFailure(uint32_t failure_code) {
  return BuildConfirm(0x03, 0x00, failure_code);
}

std::string ParseConnectionRequest(ByteSpan tpkt, ConnectionRequest* out) {
  ByteSpan x;
  if (std::string e = CheckTpkt(tpkt, &x); !e.empty()) return e;
  if ((U8(x[1]) & 0xF0) != 0xE0) return "not an X.224 Connection Request";
  if (U8(x[2]) != 0 || U8(x[3]) != 0) return "X.224 DST-REF must be zero";
  if ((U8(x[6]) & 0xF0) != 0) return "X.224 class must be 0";
  ByteSpan rest = x.subspan(7);
  *out = ConnectionRequest{};
  // Optional routingToken or cookie, terminated by CR LF (MS-RDPBCGR 2.2.1.1).
  static constexpr std::string_view kCookie = "Cookie: mstshash=";
  auto text = [&](size_t n) {
    return std::string_view(reinterpret_cast<const char*>(rest.data()), n);
  };
  if (rest.size() >= 6 && text(6) == "Cookie") {
    size_t end = 0;
    while (end + 1 < rest.size() && !(U8(rest[end]) == '\r' && U8(rest[end + 1]) == '\n')) ++end;
    if (end + 1 >= rest.size()) return "cookie not terminated by CR LF";
    std::string_view line = text(end);
    if (line.substr(0, kCookie.size()) == kCookie) out->cookie = line.substr(kCookie.size());
    rest = rest.subspan(end + 2);
  }
  if (rest.empty()) return "";  // a pre-RDP 5.0 client: no negotiation
  if (rest.size() < 8) return "truncated RDP_NEG_REQ";
  if (U8(rest[0]) != 0x01) return "expected RDP_NEG_REQ (type 1)";
  if (U8(rest[2]) != 0x08 || U8(rest[3]) != 0x00) return "RDP_NEG_REQ length must be 8";
  out->has_neg_req = true;
  out->neg_flags = U8(rest[1]);
  out->requested_protocols = GetU32Le(rest.subspan(4, 4));
  rest = rest.subspan(8);
  // RDP_NEG_CORRELATION_INFO (MS-RDPBCGR 2.2.1.1.2): 36 bytes, when flag 0x08 is set.
  if ((out->neg_flags & 0x08) != 0) {
    if (rest.size() < 36 || U8(rest[0]) != 0x06) return "bad RDP_NEG_CORRELATION_INFO";
    rest = rest.subspan(36);
  }
  if (!rest.empty()) return "trailing bytes after RDP_NEG_REQ";
  return "";
}

std::string ParseConnectionConfirm(ByteSpan tpkt, ConnectionConfirm* out) {
  ByteSpan x;
  if (std::string e = CheckTpkt(tpkt, &x); !e.empty()) return e;
  if ((U8(x[1]) & 0xF0) != 0xD0) return "not an X.224 Connection Confirm";
  ByteSpan rest = x.subspan(7);
  *out = ConnectionConfirm{};
  if (rest.empty()) return "";  // the server speaks only PROTOCOL_RDP
  if (rest.size() != 8) return "RDP_NEG_RSP must be 8 bytes";
  const uint8_t type = U8(rest[0]);
  if (type != 0x02 && type != 0x03) return "expected RDP_NEG_RSP or RDP_NEG_FAILURE";
  if (U8(rest[2]) != 0x08 || U8(rest[3]) != 0x00) return "RDP_NEG_RSP length must be 8";
  out->has_neg_rsp = true;
  out->failure = type == 0x03;
  out->flags = U8(rest[1]);
  out->selected_or_failure = GetU32Le(rest.subspan(4, 4));
  return "";
}

namespace {

// ReadTpkt reads one TPKT (header, then the rest of its declared length).
IoResult ReadTpkt(const Socket& s, Bytes* out) {
  out->clear();
  if (IoResult r = ReadExact(s, out, 4); !r) return r;
  if (U8((*out)[0]) != 3) {
    return IoResult{Io::kError,
                    "the peer did not start with an X.224 (TPKT) packet: is it using "
                    "--framing stream or length?"};
  }
  const size_t len = (static_cast<size_t>(U8((*out)[2])) << 8) | U8((*out)[3]);
  if (len < 11 || len > kMaxConnectionRequest) {
    return IoResult{Io::kError, "TPKT length " + std::to_string(len) + " out of range"};
  }
  return ReadExact(s, out, len - 4);
}

}  // namespace

IoResult Transport::ClientNegotiate(std::string_view cookie) {
  // SSL|HYBRID, as mstsc and xfreerdp /sec:nla ask (CredSSP implies TLS).
  Bytes cr = BuildConnectionRequest(cookie, kProtocolSsl | kProtocolHybrid);
  if (IoResult r = WriteAll(sock_, cr); !r) return r;
  sent_ += cr.size();
  Bytes cc;
  if (IoResult r = ReadTpkt(sock_, &cc); !r) return r;
  received_ += cc.size();
  ConnectionConfirm conf;
  if (std::string e = ParseConnectionConfirm(cc, &conf); !e.empty()) {
    return IoResult{Io::kError, "bad X.224 Connection Confirm: " + e};
  }
  if (!conf.has_neg_rsp) {
    return IoResult{Io::kError, "the server only speaks standard RDP security (no NLA)"};
  }
  if (conf.failure) {
    return IoResult{Io::kError, "the server refused the negotiation, RDP_NEG_FAILURE code " +
                                    std::to_string(conf.selected_or_failure)};
  }
  if (conf.selected_or_failure != kProtocolHybrid) {
    return IoResult{Io::kError, "the server selected protocol " +
                                    std::to_string(conf.selected_or_failure) +
                                    " instead of PROTOCOL_HYBRID (CredSSP)"};
  }
  return {};
}

IoResult Transport::ServerNegotiate(ConnectionRequest* out) {
  Bytes cr;
  if (IoResult r = ReadTpkt(sock_, &cr); !r) return r;
  received_ += cr.size();
  if (std::string e = ParseConnectionRequest(cr, out); !e.empty()) {
    return IoResult{Io::kError, "bad X.224 Connection Request: " + e};
  }
  if (!out->has_neg_req || (out->requested_protocols & kProtocolHybrid) == 0) {
    Bytes fail = BuildNegotiationFailure(kHybridRequiredByServer);
    (void)WriteAll(sock_, fail);
    return IoResult{Io::kError, "the client did not offer PROTOCOL_HYBRID (CredSSP/NLA)"};
  }
  Bytes cc = BuildConnectionConfirm(kProtocolHybrid);
  if (IoResult r = WriteAll(sock_, cc); !r) return r;
  sent_ += cc.size();
  return {};
}

IoResult Transport::SendToken(ByteSpan token) {
  if (framing_ == Framing::kLength) {
    if (token.size() > kMaxTokenLength) return IoResult{Io::kError, "token too large to frame"};
    Bytes frame;
    frame.reserve(4 + token.size());
    PutU32Be(&frame, static_cast<uint32_t>(token.size()));
    frame.insert(frame.end(), token.begin(), token.end());
    if (IoResult r = WriteAll(sock_, frame); !r) return r;
    sent_ += frame.size();
    return {};
  }
  if (IoResult r = WriteAll(sock_, token); !r) return r;
  sent_ += token.size();
  return {};
}

IoResult Transport::Receive(Bytes* pending, std::optional<SECURITY_STATUS>* verdict) {
  if (framing_ != Framing::kLength) {
    const size_t before = pending->size();
    IoResult r = ReadSome(sock_, pending);
    received_ += pending->size() - before;
    return r;
  }
  Bytes hdr;
  if (IoResult r = ReadExact(sock_, &hdr, 4); !r) return r;
  const uint32_t len = GetU32Be(hdr);
  if (len == kVerdictFrame) {
    Bytes st;
    if (IoResult r = ReadExact(sock_, &st, 4); !r) return r;
    received_ += 8;
    *verdict = static_cast<SECURITY_STATUS>(GetU32Be(st));
    return {};
  }
  if (len > kMaxTokenLength) {
    return IoResult{Io::kError, "frame length " + std::to_string(len) +
                                    " is too large: is the peer using --framing length?"};
  }
  if (IoResult r = ReadExact(sock_, pending, len); !r) return r;
  received_ += 4 + static_cast<size_t>(len);
  return {};
}

IoResult Transport::SendVerdict(SECURITY_STATUS status) {
  Bytes frame;
  PutU32Be(&frame, kVerdictFrame);
  PutU32Be(&frame, static_cast<uint32_t>(status));
  if (IoResult r = WriteAll(sock_, frame); !r) return r;
  sent_ += frame.size();
  return {};
}

}  // namespace ocs::cli
