// framing.h - how the opencredssp command carries security tokens over TCP.
//
//   rdp     X.224 Connection Request / Confirm selecting PROTOCOL_HYBRID (MS-RDPBCGR 2.2.1.1,
//           2.2.1.2), then the package's bytes as they are: for CredSSP a raw TLS stream, as
//           RDP clients and servers (mstsc, FreeRDP) do.
//   stream  the same without X.224 (MS-RDPBCGR 5.4.2.2 "direct approach").
//   length  every token prefixed by a 4-byte big-endian length. After the handshake the server
//           sends one control frame, 0x80000004 followed by its final SECURITY_STATUS
//           (big-endian), so that the client learns whether it was accepted (NTLM's client
//           finishes before the server has checked anything).
//
// In rdp/stream mode nothing delimits tokens: a reader hands the package whatever bytes arrived
// and the package answers SEC_E_INCOMPLETE_MESSAGE (read more) or leaves SECBUFFER_EXTRA.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <opencredssp/sspi.h>

#include <cstdint>
#include <optional>
#include <string>

#include "net.h"

namespace ocs::cli {

enum class Framing { kRdp, kStream, kLength };

std::optional<Framing> ParseFraming(std::string_view s);
const char* FramingName(Framing f);

// ---- X.224 / RDP negotiation (MS-RDPBCGR 2.2.1.1 and 2.2.1.2), pure functions ----

inline constexpr uint32_t kProtocolRdp = 0x0;
inline constexpr uint32_t kProtocolSsl = 0x1;
inline constexpr uint32_t kProtocolHybrid = 0x2;
inline constexpr uint32_t kProtocolHybridEx = 0x8;
// RDP_NEG_FAILURE failureCode HYBRID_REQUIRED_BY_SERVER (MS-RDPBCGR 2.2.1.2.2).
inline constexpr uint32_t kHybridRequiredByServer = 0x5;
// The largest Connection Request accepted: TPKT header + X.224 header + a cookie of a few
// hundred bytes + RDP_NEG_REQ + RDP_NEG_CORRELATION_INFO. Real ones are well under 100 bytes.
inline constexpr size_t kMaxConnectionRequest = 1024;

struct ConnectionRequest {
  std::string cookie;  // the value after "Cookie: mstshash=" (empty if none)
  bool has_neg_req = false;
  uint8_t neg_flags = 0;
  uint32_t requested_protocols = 0;
};

struct ConnectionConfirm {
  bool failure = false;      // RDP_NEG_FAILURE instead of RDP_NEG_RSP
  bool has_neg_rsp = false;  // false: a bare CC (the server only speaks PROTOCOL_RDP)
  uint8_t flags = 0;
  uint32_t selected_or_failure = 0;  // selectedProtocol, or failureCode when `failure`
};

// BuildConnectionRequest: TPKT + X.224 CR + optional "Cookie: mstshash=<cookie>\r\n" + RDP_NEG_REQ.
Bytes BuildConnectionRequest(std::string_view cookie, uint32_t requested_protocols);
// BuildConnectionConfirm: the 19-byte CC with RDP_NEG_RSP (flags 0x01
// EXTENDED_CLIENT_DATA_SUPPORTED, as FreeRDP and Windows send).
Bytes BuildConnectionConfirm(uint32_t selected_protocol);
// BuildNegotiationFailure: the 19-byte CC with RDP_NEG_FAILURE.
Bytes BuildNegotiationFailure(uint32_t failure_code);

// ParseConnectionRequest / ParseConnectionConfirm take one whole TPKT and reject anything
// malformed, including trailing bytes. They return an error message or "" on success.
std::string ParseConnectionRequest(ByteSpan tpkt, ConnectionRequest* out);
std::string ParseConnectionConfirm(ByteSpan tpkt, ConnectionConfirm* out);

// ---- length framing ----
inline constexpr uint32_t kVerdictFrame = 0x80000004;
inline constexpr uint32_t kMaxTokenLength = 1u << 20;  // 1 MiB; real tokens are a few KiB

// Transport is one connection with its framing.
class Transport {
 public:
  Transport(Socket s, Framing f) : sock_(std::move(s)), framing_(f) {}

  Framing framing() const { return framing_; }
  const Socket& socket() const { return sock_; }

  // ClientNegotiate (rdp only): send the Connection Request asking for SSL|HYBRID and check
  // that the Confirm selects HYBRID. ServerNegotiate: read the Request, answer the Confirm
  // selecting HYBRID, or RDP_NEG_FAILURE (and an error) if the client did not offer it.
  IoResult ClientNegotiate(std::string_view cookie);
  IoResult ServerNegotiate(ConnectionRequest* out);

  // SendToken writes one token: raw (rdp/stream) or length-prefixed.
  IoResult SendToken(ByteSpan token);

  // Receive: rdp/stream append whatever bytes arrive to *pending; length reads one frame and
  // appends its token to *pending, or sets *verdict if it was the server's verdict frame.
  IoResult Receive(Bytes* pending, std::optional<SECURITY_STATUS>* verdict);

  // SendVerdict (length only): the server's final status.
  IoResult SendVerdict(SECURITY_STATUS status);

  // Counters for the trace and the summary line.
  size_t bytes_sent() const { return sent_; }
  size_t bytes_received() const { return received_; }

 private:
  Socket sock_;
  Framing framing_;
  size_t sent_ = 0;
  size_t received_ = 0;
};

}  // namespace ocs::cli
