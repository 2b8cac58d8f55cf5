// tls.h - one TLS connection (client or server) run by OpenSSL over two memory BIOs.
//
// The caller moves bytes: Feed() what the peer sent, TakeOutput() what must go to the peer.
// No socket is ever touched. CredSSP needs only this much of TLS (MS-CSSP 3.1.5 step 1):
// TLS 1.2 or 1.3, a server certificate (self-signed allowed), no client certificate, no
// renegotiation and no session resumption ("TLS session resumption is not supported", CSSP 1.5).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/types.h"

namespace ocs::tls {

// Version of a TLS protocol, as OpenSSL numbers it (TLS1_2_VERSION, TLS1_3_VERSION).
inline constexpr int kTls12 = 0x0303;
inline constexpr int kTls13 = 0x0304;

enum class KeyType { kRsa2048, kEcdsaP256 };

// ServerIdentity is a server certificate (leaf) and its private key, shared read-only between
// connections.
class ServerIdentity {
 public:
  ~ServerIdentity();
  ServerIdentity(const ServerIdentity&) = delete;
  ServerIdentity& operator=(const ServerIdentity&) = delete;

  // FromPemFiles loads a PEM certificate and a PEM private key (unencrypted); `key_path` may
  // equal `cert_path` when both are in one file. Fails (nullptr, reason in *out_error) if a file
  // is unreadable, malformed, or the key does not match the certificate.
  static std::shared_ptr<ServerIdentity> FromPemFiles(OSSL_LIB_CTX* libctx,
                                                      const std::string& cert_path,
                                                      const std::string& key_path,
                                                      std::string* out_error);
  // FromPem is FromPemFiles over memory.
  static std::shared_ptr<ServerIdentity> FromPem(OSSL_LIB_CTX* libctx, ByteSpan cert_pem,
                                                 ByteSpan key_pem, std::string* out_error);
  // Generate makes a fresh self-signed certificate (CN=`common_name`, valid one year from one
  // hour ago) on a new key.
  static std::shared_ptr<ServerIdentity> Generate(OSSL_LIB_CTX* libctx, KeyType type,
                                                  const std::string& common_name);

  // CachedServerCtx / SetCachedServerCtx: the configured server SSL_CTX for (libctx, min, max),
  // built once and shared by every connection with these settings (building one is ~18% of a
  // bare handshake, docs/performance.md). The identity owns one reference to each.
  SSL_CTX* CachedServerCtx(OSSL_LIB_CTX* libctx, int min_version, int max_version) const;
  // Stores `ctx` (takes one reference) unless another thread stored one first; returns the
  // stored one (caller's `ctx` is then freed).
  SSL_CTX* SetCachedServerCtx(OSSL_LIB_CTX* libctx, int min_version, int max_version,
                              SSL_CTX* ctx) const;

  X509* cert() const { return cert_; }
  EVP_PKEY* key() const { return key_; }
  // CertDer is the DER encoding of the certificate.
  Bytes CertDer() const;
  // PemCert / PemKey: PEM text of the certificate and key (for tools that write them out).
  std::string PemCert() const;
  std::string PemKey() const;

 private:
  ServerIdentity(X509* cert, EVP_PKEY* key) : cert_(cert), key_(key) {}
  X509* cert_;
  EVP_PKEY* key_;
  struct CtxEntry {
    OSSL_LIB_CTX* libctx;
    int min_version;
    int max_version;
    SSL_CTX* ctx;
  };
  mutable std::mutex ctx_mu_;
  mutable std::vector<CtxEntry> ctxs_;  // guarded by ctx_mu_
};

// SubjectPublicKey returns the contents of the subjectPublicKey BIT STRING of `cert`'s
// SubjectPublicKeyInfo, without the unused-bits octet: what MS-CSSP 3.1.5 step 3 binds
// (PKCS#1 RSAPublicKey for RSA, the X9.62 point for EC). Empty on failure.
Bytes SubjectPublicKey(const X509* cert);

// RecordScan: how much of `in` is whole TLS records (RFC 8446 5.1 / RFC 5246 6.2: a 5-byte
// header type(1) version(2) length(2), then `length` bytes).
struct RecordScan {
  size_t first_len = 0;     // length of the first record if it is complete, else 0
  size_t missing = 0;       // bytes missing to complete the first record (when first_len == 0)
  bool malformed = false;   // not a TLS record (bad content type or length over 2^14 + 2048)
};
RecordScan ScanFirstRecord(ByteSpan in);

struct Config {
  OSSL_LIB_CTX* libctx = nullptr;  // nullptr = OpenSSL's default context (tests only)
  int min_version = kTls12;
  int max_version = kTls13;
  std::shared_ptr<ServerIdentity> identity;  // server only, required
  std::string sni;                           // client only, optional server name indication
};

enum class Status {
  kOk,         // done (handshake complete / data read)
  kWantMore,   // needs more input from the peer (and possibly has output to send)
  kClosed,     // the peer sent close_notify
  kError,      // fatal: a TLS alert was or will be sent; the connection is dead
};

// Connection is one TLS session, client or server. Not thread-safe.
class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Create returns nullptr (reason in *out_error) if OpenSSL cannot set the session up.
  static std::unique_ptr<Connection> Create(Role role, const Config& config,
                                            std::string* out_error);

  // Feed appends bytes received from the peer.
  void Feed(ByteSpan in);
  // Handshake advances the handshake with what has been fed; kOk once complete (and ever
  // after). Output may be pending in every case, including kError (an alert).
  Status Handshake();
  bool HandshakeDone() const { return handshake_done_; }

  // Write encrypts `plaintext` (at most kMaxRecordPlaintext bytes give exactly one record) into
  // the output. Requires HandshakeDone(). Returns false on error.
  [[nodiscard]] bool Write(ByteSpan plaintext);
  // Read appends every byte of application data available from what has been fed to
  // *out_plaintext: kOk (possibly nothing new), kClosed, or kError (e.g. a tampered record).
  Status Read(Bytes* out_plaintext);

  // TakeOutput moves all bytes waiting for the peer into *out (appends).
  void TakeOutput(Bytes* out);
  bool HasOutput() const;

  // PeerCertificate: the peer's leaf certificate (client side), or nullptr. Not owned.
  X509* PeerCertificate() const;
  // OwnCertificate: the certificate this side presented (server), or nullptr. Not owned.
  X509* OwnCertificate() const;

  // Negotiated parameters (after the handshake).
  int Version() const;               // kTls12 / kTls13
  std::string CipherName() const;    // OpenSSL's name of the negotiated suite
  int CipherNid() const;             // NID of the bulk cipher (NID_aes_128_gcm, ...)
  int CipherStrength() const;        // secret bits of the bulk cipher
  // RecordHeaderSize / RecordTrailerSize: the bytes one record adds before and after its
  // plaintext with the negotiated suite (explicit nonce goes into the header, AEAD tag and TLS
  // 1.3 inner content type into the trailer).
  size_t RecordHeaderSize() const;
  size_t RecordTrailerSize() const;
  static constexpr size_t kMaxRecordPlaintext = 16384;

  // LastError: OpenSSL's reason for the last kError (for logs; contains no secret).
  const std::string& LastError() const { return last_error_; }

 private:
  Connection() = default;
  Status FailFromSsl(int ret, const char* what);

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_bio_ = nullptr;   // network -> SSL (owned by ssl_)
  BIO* out_bio_ = nullptr;  // SSL -> network (owned by ssl_)
  bool handshake_done_ = false;
  bool dead_ = false;
  std::shared_ptr<ServerIdentity> identity_;
  std::string last_error_;
};

}  // namespace ocs::tls
