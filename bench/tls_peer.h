// tls_peer.h - the bare OpenSSL baseline: a TLS client and server over memory BIOs in one
// process, with the same key, certificate and protocol version the CredSSP benchmark uses.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <vector>

namespace ocsbench {

enum class Key { kRsa2048, kEcdsaP256 };

// KeyPair is a fresh self-signed certificate and its key, also as PEM (handed to CredSSP).
struct KeyPair {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string cert_pem, key_pem;
  KeyPair() = default;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  ~KeyPair();
};
bool MakeKeyPair(Key type, KeyPair* out);

// TlsPair is one established client/server pair over memory BIOs.
class TlsPair {
 public:
  TlsPair(SSL_CTX* client_ctx, SSL_CTX* server_ctx);
  ~TlsPair();
  TlsPair(const TlsPair&) = delete;
  TlsPair& operator=(const TlsPair&) = delete;
  // Handshake runs both sides to completion; false on failure.
  bool Handshake();
  // Send: SSL_write on `from` and move the record bytes into the peer's input BIO.
  bool Transfer(bool from_client, const unsigned char* data, int len);
  // Write: SSL_write on the client and drain the record (the EncryptMessage baseline).
  bool WriteAndDrain(const unsigned char* data, int len, std::vector<unsigned char>* record);
  // Read: SSL_read on the server of whatever has been transferred.
  int ReadServer(unsigned char* buf, int len);

 private:
  static void Pump(BIO* from, BIO* to);
  SSL* c_ = nullptr;
  SSL* s_ = nullptr;
  BIO* c_in_ = nullptr;
  BIO* c_out_ = nullptr;
  BIO* s_in_ = nullptr;
  BIO* s_out_ = nullptr;
};

// Contexts with exactly one protocol version (min = max = `version`); the server presents `kp`.
SSL_CTX* ServerCtx(const KeyPair& kp, int version);
SSL_CTX* ClientCtx(int version);

}  // namespace ocsbench
