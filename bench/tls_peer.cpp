// SPDX-License-Identifier: Apache-2.0
#include "tls_peer.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace ocsbench {

KeyPair::~KeyPair() {
  EVP_PKEY_free(key);
  X509_free(cert);
}

namespace {
std::string BioString(BIO* b) {
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  return std::string(p, static_cast<size_t>(n));
}
}  // namespace

bool MakeKeyPair(Key type, KeyPair* out) {
  out->key = type == Key::kRsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (out->key == nullptr) return false;
  out->cert = X509_new();
  X509_set_version(out->cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(out->cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(out->cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(out->cert), 86400L * 365);
  X509_set_pubkey(out->cert, out->key);
  X509_NAME* name = X509_get_subject_name(out->cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(out->cert, name);
  if (X509_sign(out->cert, out->key, EVP_sha256()) == 0) return false;
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, out->cert);
  out->cert_pem = BioString(b);
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, out->key, nullptr, nullptr, 0, nullptr, nullptr);
  out->key_pem = BioString(b);
  BIO_free(b);
  return true;
}

SSL_CTX* ServerCtx(const KeyPair& kp, int version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_use_certificate(ctx, kp.cert);
  SSL_CTX_use_PrivateKey(ctx, kp.key);
  // As CredSSP: no resumption, no tickets (MS-CSSP 1.5), so every handshake is a full one.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_num_tickets(ctx, 0);
  return ctx;
}

SSL_CTX* ClientCtx(int version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // CredSSP binds the key itself
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

TlsPair::TlsPair(SSL_CTX* client_ctx, SSL_CTX* server_ctx) {
  c_ = SSL_new(client_ctx);
  s_ = SSL_new(server_ctx);
  c_in_ = BIO_new(BIO_s_mem());
  c_out_ = BIO_new(BIO_s_mem());
  s_in_ = BIO_new(BIO_s_mem());
  s_out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(c_, c_in_, c_out_);
  SSL_set_bio(s_, s_in_, s_out_);
  SSL_set_connect_state(c_);
  SSL_set_accept_state(s_);
}

TlsPair::~TlsPair() {
  SSL_free(c_);
  SSL_free(s_);
}

void TlsPair::Pump(BIO* from, BIO* to) {
  char buf[16384];
  int n;
  while ((n = BIO_read(from, buf, sizeof buf)) > 0) BIO_write(to, buf, n);
}

bool TlsPair::Handshake() {
  bool cd = false, sd = false;
  for (int i = 0; i < 20 && !(cd && sd); ++i) {
    if (!cd) {
      int r = SSL_do_handshake(c_);
      if (r == 1) cd = true;
      else if (SSL_get_error(c_, r) != SSL_ERROR_WANT_READ) return false;
    }
    Pump(c_out_, s_in_);
    if (!sd) {
      int r = SSL_do_handshake(s_);
      if (r == 1) sd = true;
      else if (SSL_get_error(s_, r) != SSL_ERROR_WANT_READ) return false;
    }
    Pump(s_out_, c_in_);
  }
  return cd && sd;
}

bool TlsPair::Transfer(bool from_client, const unsigned char* data, int len) {
  SSL* s = from_client ? c_ : s_;
  if (SSL_write(s, data, len) != len) return false;
  Pump(from_client ? c_out_ : s_out_, from_client ? s_in_ : c_in_);
  return true;
}

bool TlsPair::WriteAndDrain(const unsigned char* data, int len,
                            std::vector<unsigned char>* record) {
  if (SSL_write(c_, data, len) != len) return false;
  record->resize(static_cast<size_t>(len) + 512);
  int n = BIO_read(c_out_, record->data(), static_cast<int>(record->size()));
  if (n <= 0) return false;
  record->resize(static_cast<size_t>(n));
  return true;
}

int TlsPair::ReadServer(unsigned char* buf, int len) { return SSL_read(s_, buf, len); }

}  // namespace ocsbench
