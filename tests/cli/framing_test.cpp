// framing_test.cpp - X.224 negotiation bytes (MS-RDPBCGR 2.2.1.1 / 2.2.1.2) and length framing
// of the opencredssp command, including the malformed inputs it must refuse.
// SPDX-License-Identifier: Apache-2.0
#include "framing.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <thread>

namespace ocs::cli {
namespace {

Bytes Hex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::byte>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    i += 2;
  }
  return out;
}

TEST(X224, ConfirmIsTheNineteenBytesFreeRdpAndWindowsSend) {
  // peers.md: what a server answers to xfreerdp /sec:nla (selectedProtocol = HYBRID).
  EXPECT_EQ(BuildConnectionConfirm(kProtocolHybrid),
            Hex("03 00 00 13 0e d0 00 00 12 34 00 02 01 08 00 02 00 00 00"));
}

TEST(X224, NegotiationFailureCarriesTheCode) {
  EXPECT_EQ(BuildNegotiationFailure(kHybridRequiredByServer),
            Hex("03 00 00 13 0e d0 00 00 12 34 00 03 00 08 00 05 00 00 00"));
}

TEST(X224, RequestMatchesThePublishedExample) {
  // MS-RDPBCGR 4.1.1, requestedProtocols = PROTOCOL_RDP, cookie "eltons".
  Bytes want = Hex("03 00 00 2c 27 e0 00 00 00 00 00");
  for (char c : std::string("Cookie: mstshash=eltons\r\n")) want.push_back(std::byte(c));
  Bytes tail = Hex("01 00 08 00 00 00 00 00");
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(BuildConnectionRequest("eltons", kProtocolRdp), want);
}

TEST(X224, RequestWithoutCookieIsTheMinimalOne) {
  // credssp.md 1.1: the constructed minimal request for SSL|HYBRID|HYBRID_EX.
  EXPECT_EQ(BuildConnectionRequest("", 0x0b),
            Hex("03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 0b 00 00 00"));
}

TEST(X224, RequestRoundTrips) {
  Bytes cr = BuildConnectionRequest("alice", kProtocolSsl | kProtocolHybrid);
  ConnectionRequest req;
  ASSERT_EQ(ParseConnectionRequest(cr, &req), "");
  EXPECT_EQ(req.cookie, "alice");
  EXPECT_TRUE(req.has_neg_req);
  EXPECT_EQ(req.requested_protocols, 0x3u);
}

TEST(X224, LongCookieIsCappedAndStillParses) {
  Bytes cr = BuildConnectionRequest(std::string(500, 'x') + "\r\n", kProtocolHybrid);
  ConnectionRequest req;
  ASSERT_EQ(ParseConnectionRequest(cr, &req), "");
  EXPECT_EQ(req.cookie, std::string(64, 'x'));
}

TEST(X224, RequestWithCorrelationInfoIsAccepted) {
  Bytes cr = Hex("03 00 00 37 32 e0 00 00 00 00 00 01 08 08 00 03 00 00 00");
  Bytes corr = Hex("06 00 24 00");
  corr.resize(36);
  cr.insert(cr.end(), corr.begin(), corr.end());
  ConnectionRequest req;
  ASSERT_EQ(ParseConnectionRequest(cr, &req), "");
  EXPECT_EQ(req.neg_flags, 0x08);
}

TEST(X224, PreNegotiationRequestHasNoNegReq) {
  ConnectionRequest req;
  ASSERT_EQ(ParseConnectionRequest(Hex("03 00 00 0b 06 e0 00 00 00 00 00"), &req), "");
  EXPECT_FALSE(req.has_neg_req);
}

TEST(X224, MalformedRequestsAreRefused) {
  ConnectionRequest req;
  // TPKT length disagrees with the packet.
  EXPECT_NE(
      ParseConnectionRequest(Hex("03 00 00 14 0e e0 00 00 00 00 00 01 00 08 00 03 00 00 00"), &req),
      "");
  // Wrong TPKT version.
  EXPECT_NE(
      ParseConnectionRequest(Hex("04 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 03 00 00 00"), &req),
      "");
  // LI disagrees.
  EXPECT_NE(
      ParseConnectionRequest(Hex("03 00 00 13 0d e0 00 00 00 00 00 01 00 08 00 03 00 00 00"), &req),
      "");
  // A Confirm where a Request is expected.
  EXPECT_NE(
      ParseConnectionRequest(Hex("03 00 00 13 0e d0 00 00 12 34 00 02 01 08 00 02 00 00 00"), &req),
      "");
  // RDP_NEG_REQ with a bad length field.
  EXPECT_NE(
      ParseConnectionRequest(Hex("03 00 00 13 0e e0 00 00 00 00 00 01 00 09 00 03 00 00 00"), &req),
      "");
  // Truncated RDP_NEG_REQ.
  EXPECT_NE(ParseConnectionRequest(Hex("03 00 00 0f 0a e0 00 00 00 00 00 01 00 08 00"), &req), "");
  // Trailing byte after RDP_NEG_REQ.
  EXPECT_NE(ParseConnectionRequest(
                Hex("03 00 00 14 0f e0 00 00 00 00 00 01 00 08 00 03 00 00 00 00"), &req),
            "");
  // Cookie without CR LF.
  Bytes c = Hex("03 00 00 19 14 e0 00 00 00 00 00");
  for (char ch : std::string("Cookie: mstsh")) c.push_back(std::byte(ch));
  c.resize(0x19);
  EXPECT_NE(ParseConnectionRequest(c, &req), "");
  // Too short for a TPKT + X.224 header.
  EXPECT_NE(ParseConnectionRequest(Hex("03 00 00 05 00"), &req), "");
}

TEST(X224, ConfirmParses) {
  ConnectionConfirm cc;
  ASSERT_EQ(ParseConnectionConfirm(BuildConnectionConfirm(kProtocolHybrid), &cc), "");
  EXPECT_TRUE(cc.has_neg_rsp);
  EXPECT_FALSE(cc.failure);
  EXPECT_EQ(cc.selected_or_failure, kProtocolHybrid);
  ASSERT_EQ(ParseConnectionConfirm(BuildNegotiationFailure(kHybridRequiredByServer), &cc), "");
  EXPECT_TRUE(cc.failure);
  EXPECT_EQ(cc.selected_or_failure, kHybridRequiredByServer);
  // A bare CC: the server only speaks standard RDP security.
  ASSERT_EQ(ParseConnectionConfirm(Hex("03 00 00 0b 06 d0 00 00 12 34 00"), &cc), "");
  EXPECT_FALSE(cc.has_neg_rsp);
  // Refused: a Request, unknown type 7, short RSP.
  EXPECT_NE(ParseConnectionConfirm(BuildConnectionRequest("", 3), &cc), "");
  EXPECT_NE(
      ParseConnectionConfirm(Hex("03 00 00 13 0e d0 00 00 12 34 00 07 01 08 00 02 00 00 00"), &cc),
      "");
  EXPECT_NE(
      ParseConnectionConfirm(Hex("03 00 00 12 0d d0 00 00 12 34 00 02 01 08 00 02 00 00"), &cc),
      "");
}

// A connected socket pair for the Transport tests.
struct Pair {
  Socket a, b;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    a = Socket(fds[0]);
    b = Socket(fds[1]);
  }
};

TEST(Transport, LengthFramesTokensAndVerdicts) {
  Pair p;
  Transport tx(std::move(p.a), Framing::kLength);
  Transport rx(std::move(p.b), Framing::kLength);
  const Bytes tok = Hex("4e 54 4c 4d 53 53 50 00 01");
  ASSERT_TRUE(tx.SendToken(tok));
  ASSERT_TRUE(tx.SendToken(Bytes{}));
  ASSERT_TRUE(tx.SendVerdict(SEC_E_LOGON_DENIED));
  Bytes got;
  std::optional<SECURITY_STATUS> verdict;
  ASSERT_TRUE(rx.Receive(&got, &verdict));
  EXPECT_EQ(got, tok);
  EXPECT_FALSE(verdict);
  got.clear();
  ASSERT_TRUE(rx.Receive(&got, &verdict));
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(verdict);
  ASSERT_TRUE(rx.Receive(&got, &verdict));
  ASSERT_TRUE(verdict);
  EXPECT_EQ(*verdict, SEC_E_LOGON_DENIED);
  EXPECT_EQ(tx.bytes_sent(), 4 + tok.size() + 4 + 8);
}

TEST(Transport, LengthRefusesAHugeFrameAndReportsClose) {
  Pair p;
  Transport rx(std::move(p.b), Framing::kLength);
  const Bytes huge = Hex("7f ff ff ff");
  ASSERT_TRUE(WriteAll(p.a, huge));
  Bytes got;
  std::optional<SECURITY_STATUS> verdict;
  IoResult r = rx.Receive(&got, &verdict);
  EXPECT_EQ(r.io, Io::kError);
  // A frame cut short by the peer closing is a close, not a token.
  Pair q;
  Transport rx2(std::move(q.b), Framing::kLength);
  ASSERT_TRUE(WriteAll(q.a, Hex("00 00 00 10 01 02")));
  q.a.Close();
  r = rx2.Receive(&got, &verdict);
  EXPECT_EQ(r.io, Io::kClosed);
}

TEST(Transport, StreamDeliversWhateverArrivedAppended) {
  Pair p;
  Transport tx(std::move(p.a), Framing::kStream);
  Transport rx(std::move(p.b), Framing::kStream);
  ASSERT_TRUE(tx.SendToken(Hex("16 03 03 00 02")));
  Bytes got = Hex("aa");
  std::optional<SECURITY_STATUS> verdict;
  ASSERT_TRUE(rx.Receive(&got, &verdict));
  EXPECT_EQ(got, Hex("aa 16 03 03 00 02"));  // appended to what was pending
}

TEST(Transport, RdpNegotiationBetweenClientAndServer) {
  Pair p;
  Transport client(std::move(p.a), Framing::kRdp);
  Transport server(std::move(p.b), Framing::kRdp);
  ConnectionRequest req;
  IoResult server_result;
  std::thread th([&] { server_result = server.ServerNegotiate(&req); });
  IoResult client_result = client.ClientNegotiate("alice");
  th.join();
  EXPECT_TRUE(client_result) << client_result.error;
  EXPECT_TRUE(server_result) << server_result.error;
  EXPECT_EQ(req.cookie, "alice");
  EXPECT_EQ(req.requested_protocols, kProtocolSsl | kProtocolHybrid);
}

TEST(Transport, RdpServerRefusesAClientWithoutHybrid) {
  Pair p;
  Transport server(std::move(p.b), Framing::kRdp);
  ASSERT_TRUE(WriteAll(p.a, BuildConnectionRequest("bob", kProtocolSsl)));
  ConnectionRequest req;
  IoResult r = server.ServerNegotiate(&req);
  EXPECT_FALSE(r);
  Bytes answer;
  ASSERT_TRUE(ReadExact(p.a, &answer, 19));
  EXPECT_EQ(answer, BuildNegotiationFailure(kHybridRequiredByServer));
}

TEST(Transport, RdpClientRefusesAServerSelectingSsl) {
  Pair p;
  Transport client(std::move(p.a), Framing::kRdp);
  ASSERT_TRUE(WriteAll(p.b, BuildConnectionConfirm(kProtocolSsl)));
  IoResult r = client.ClientNegotiate("alice");
  EXPECT_FALSE(r);
  EXPECT_NE(r.error.find("PROTOCOL_HYBRID"), std::string::npos);
}

TEST(Transport, RdpServerRefusesATlsClientHello) {
  // A client using --framing stream starts with a TLS record: 16 03 01 ...
  Pair p;
  Transport server(std::move(p.b), Framing::kRdp);
  ASSERT_TRUE(WriteAll(p.a, Hex("16 03 01 02 00 01 00 01 fc 03 03")));
  ConnectionRequest req;
  IoResult r = server.ServerNegotiate(&req);
  EXPECT_FALSE(r);
  EXPECT_NE(r.error.find("framing"), std::string::npos);
}

}  // namespace
}  // namespace ocs::cli
