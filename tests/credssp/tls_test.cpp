// tls_test.cpp - ocs::tls::Connection client <-> server in one process, over memory only.
// SPDX-License-Identifier: Apache-2.0
#include "tls/tls.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <string>

namespace ocs::tls {
namespace {

std::shared_ptr<ServerIdentity> FromData(const char* name) {
  const char* dir = std::getenv("OCS_TEST_DATA");
  std::string base = std::string(dir != nullptr ? dir : "tests") + "/credssp/data/" + name;
  std::string err;
  auto id = ServerIdentity::FromPemFiles(nullptr, base + ".crt", base + ".key", &err);
  EXPECT_NE(id, nullptr) << err;
  return id;
}
std::shared_ptr<ServerIdentity> Rsa() {
  static auto id = FromData("rsa2048");
  return id;
}
std::shared_ptr<ServerIdentity> Ec() {
  static auto id = FromData("ec256");
  return id;
}

struct Pair {
  std::unique_ptr<Connection> client, server;
};

Pair MakePair(int version, std::shared_ptr<ServerIdentity> id) {
  std::string err;
  Config cc;
  cc.min_version = cc.max_version = version;
  Config sc = cc;
  sc.identity = std::move(id);
  Pair p{Connection::Create(Role::kClient, cc, &err), Connection::Create(Role::kServer, sc, &err)};
  EXPECT_NE(p.client, nullptr) << err;
  EXPECT_NE(p.server, nullptr) << err;
  return p;
}

// Pump runs the handshake by moving bytes both ways until both sides are done.
void Pump(Pair& p) {
  for (int i = 0; i < 10 && !(p.client->HandshakeDone() && p.server->HandshakeDone()); ++i) {
    ASSERT_NE(p.client->Handshake(), Status::kError) << p.client->LastError();
    Bytes c2s;
    p.client->TakeOutput(&c2s);
    p.server->Feed(c2s);
    ASSERT_NE(p.server->Handshake(), Status::kError) << p.server->LastError();
    Bytes s2c;
    p.server->TakeOutput(&s2c);
    p.client->Feed(s2c);
  }
  ASSERT_TRUE(p.client->HandshakeDone());
  ASSERT_TRUE(p.server->HandshakeDone());
}

class TlsMatrix : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(TlsMatrix, HandshakeAndDataBothWays) {
  auto [version, ec] = GetParam();
  auto id = ec ? Ec() : Rsa();
  Pair p = MakePair(version, id);
  Pump(p);
  EXPECT_EQ(p.client->Version(), version);
  EXPECT_EQ(p.server->Version(), version);
  // The client sees exactly the server's certificate, and the bound key bytes agree.
  ASSERT_NE(p.client->PeerCertificate(), nullptr);
  EXPECT_EQ(X509_cmp(p.client->PeerCertificate(), id->cert()), 0);
  Bytes pk = SubjectPublicKey(p.client->PeerCertificate());
  EXPECT_EQ(pk, SubjectPublicKey(p.server->OwnCertificate()));
  if (ec) {
    EXPECT_EQ(pk.size(), 65u);
    EXPECT_EQ(pk[0], std::byte{0x04});
  } else {
    EXPECT_EQ(pk.size(), 270u);
    EXPECT_EQ(pk[0], std::byte{0x30});
  }

  for (size_t n : {size_t{1}, size_t{100}, size_t{16384}}) {
    Bytes msg(n);
    for (size_t i = 0; i < n; ++i) msg[i] = std::byte(i * 7);
    ASSERT_TRUE(p.client->Write(msg));
    Bytes rec;
    p.client->TakeOutput(&rec);
    // One write of <= 16 KiB is one record of the advertised expansion.
    EXPECT_EQ(rec.size(), n + p.client->RecordHeaderSize() + p.client->RecordTrailerSize());
    RecordScan scan = ScanFirstRecord(rec);
    EXPECT_EQ(scan.first_len, rec.size());
    p.server->Feed(rec);
    Bytes got;
    ASSERT_EQ(p.server->Read(&got), Status::kOk);
    EXPECT_EQ(got, msg);
  }
  ASSERT_TRUE(p.server->Write(AsBytes("pong", 4)));
  Bytes rec;
  p.server->TakeOutput(&rec);
  p.client->Feed(rec);
  Bytes got;
  ASSERT_EQ(p.client->Read(&got), Status::kOk);
  EXPECT_EQ(got.size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(All, TlsMatrix,
                         ::testing::Combine(::testing::Values(kTls12, kTls13),
                                            ::testing::Bool()));

TEST(Tls, TamperedRecordIsAnError) {
  Pair p = MakePair(kTls13, Rsa());
  Pump(p);
  ASSERT_TRUE(p.client->Write(AsBytes("secret", 6)));
  Bytes rec;
  p.client->TakeOutput(&rec);
  rec[8] ^= std::byte{1};
  p.server->Feed(rec);
  Bytes got;
  EXPECT_EQ(p.server->Read(&got), Status::kError);
  EXPECT_TRUE(got.empty());
}

TEST(Tls, NoTicketsNoSessionState) {
  Pair p = MakePair(kTls13, Rsa());
  Pump(p);
  // With num_tickets 0 the server sends nothing after its Finished.
  EXPECT_FALSE(p.server->HasOutput());
  Bytes got;
  EXPECT_EQ(p.client->Read(&got), Status::kOk);
  EXPECT_TRUE(got.empty());
}

TEST(Tls, VersionMismatchFails) {
  std::string err;
  Config cc;
  cc.min_version = cc.max_version = kTls12;
  Config sc;
  sc.min_version = sc.max_version = kTls13;
  sc.identity = Rsa();
  auto c = Connection::Create(Role::kClient, cc, &err);
  auto s = Connection::Create(Role::kServer, sc, &err);
  ASSERT_EQ(c->Handshake(), Status::kWantMore);
  Bytes b;
  c->TakeOutput(&b);
  s->Feed(b);
  EXPECT_EQ(s->Handshake(), Status::kError);
}

TEST(Tls, GeneratedIdentities) {
  for (KeyType t : {KeyType::kRsa2048, KeyType::kEcdsaP256}) {
    auto id = ServerIdentity::Generate(nullptr, t, "gen");
    ASSERT_NE(id, nullptr);
    EXPECT_EQ(X509_check_private_key(id->cert(), id->key()), 1);
    Pair p = MakePair(kTls13, id);
    Pump(p);
    EXPECT_EQ(SubjectPublicKey(p.client->PeerCertificate()), SubjectPublicKey(id->cert()));
  }
  // Two generated certificates differ (fresh key, random serial).
  auto a = ServerIdentity::Generate(nullptr, KeyType::kEcdsaP256, "gen");
  auto b = ServerIdentity::Generate(nullptr, KeyType::kEcdsaP256, "gen");
  EXPECT_NE(a->CertDer(), b->CertDer());
  EXPECT_NE(SubjectPublicKey(a->cert()), SubjectPublicKey(b->cert()));
}

TEST(Tls, ServerNeedsIdentity) {
  std::string err;
  Config sc;
  EXPECT_EQ(Connection::Create(Role::kServer, sc, &err), nullptr);
  EXPECT_FALSE(err.empty());
}

TEST(Tls, PemRoundTripAndMismatchedKey) {
  std::string err;
  auto a = Rsa();
  std::string cert = a->PemCert(), key = a->PemKey();
  ASSERT_FALSE(cert.empty());
  ASSERT_FALSE(key.empty());
  auto b = ServerIdentity::FromPem(nullptr, AsBytes(cert.data(), cert.size()),
                                   AsBytes(key.data(), key.size()), &err);
  ASSERT_NE(b, nullptr) << err;
  EXPECT_EQ(b->CertDer(), a->CertDer());
  // A trailing NUL after the PEM (FreeRDP's shadow.crt has one) is fine.
  std::string cert_nul = cert + '\0';
  EXPECT_NE(ServerIdentity::FromPem(nullptr, AsBytes(cert_nul.data(), cert_nul.size()),
                                    AsBytes(key.data(), key.size()), &err),
            nullptr);
  std::string other_key = Ec()->PemKey();
  EXPECT_EQ(ServerIdentity::FromPem(nullptr, AsBytes(cert.data(), cert.size()),
                                    AsBytes(other_key.data(), other_key.size()), &err),
            nullptr);
  EXPECT_EQ(ServerIdentity::FromPem(nullptr, AsBytes("junk", 4), AsBytes("junk", 4), &err),
            nullptr);
  EXPECT_EQ(ServerIdentity::FromPemFiles(nullptr, "/nonexistent/c.pem", "/nonexistent/k.pem", &err),
            nullptr);
}

TEST(Tls, ScanFirstRecord) {
  const std::byte rec[] = {std::byte{23}, std::byte{3}, std::byte{3}, std::byte{0}, std::byte{2},
                           std::byte{0xaa}, std::byte{0xbb}, std::byte{22}};
  RecordScan s = ScanFirstRecord(ByteSpan(rec, size_t{7}));
  EXPECT_EQ(s.first_len, 7u);
  s = ScanFirstRecord(ByteSpan(rec, size_t{8}));  // one whole record then one byte of the next
  EXPECT_EQ(s.first_len, 7u);
  s = ScanFirstRecord(ByteSpan(rec, size_t{6}));
  EXPECT_EQ(s.first_len, 0u);
  EXPECT_EQ(s.missing, 1u);
  s = ScanFirstRecord(ByteSpan(rec, size_t{3}));
  EXPECT_EQ(s.first_len, 0u);
  EXPECT_EQ(s.missing, 2u);
  s = ScanFirstRecord(ByteSpan(rec, size_t{0}));
  EXPECT_EQ(s.missing, 5u);
  const std::byte bad_type[] = {std::byte{0x30}, std::byte{3}};
  EXPECT_TRUE(ScanFirstRecord(bad_type).malformed);
  const std::byte bad_len[] = {std::byte{23}, std::byte{3}, std::byte{3}, std::byte{0xff},
                               std::byte{0xff}};
  EXPECT_TRUE(ScanFirstRecord(bad_len).malformed);
  const std::byte zero_len[] = {std::byte{23}, std::byte{3}, std::byte{3}, std::byte{0},
                                std::byte{0}};
  EXPECT_TRUE(ScanFirstRecord(zero_len).malformed);
}

}  // namespace
}  // namespace ocs::tls
