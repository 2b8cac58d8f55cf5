// tls.cpp - OpenSSL SSL over memory BIOs. See tls.h.
// SPDX-License-Identifier: Apache-2.0
#include "tls/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <mutex>
#include <vector>

#include "core/log.h"

namespace ocs::tls {
namespace {

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out;
}

// TLS 1.2 suites: ECDHE with AEAD only. Every suite then has a fixed record expansion, which
// EncryptMessage needs to promise header/trailer sizes (sspi-abi.md 9.5), and none is a CBC
// suite with its padding-oracle history. TLS 1.3 suites are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string BioToString(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  if (n <= 0 || p == nullptr) return {};
  return std::string(p, static_cast<size_t>(n));
}

}  // namespace

// ---- ServerIdentity ---------------------------------------------------------------------

ServerIdentity::~ServerIdentity() {
  for (const CtxEntry& e : ctxs_) SSL_CTX_free(e.ctx);
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

SSL_CTX* ServerIdentity::CachedServerCtx(OSSL_LIB_CTX* libctx, int min_version,
                                         int max_version) const {
  std::lock_guard<std::mutex> lock(ctx_mu_);
  for (const CtxEntry& e : ctxs_) {
    if (e.libctx == libctx && e.min_version == min_version && e.max_version == max_version) {
      return e.ctx;
    }
  }
  return nullptr;
}

SSL_CTX* ServerIdentity::SetCachedServerCtx(OSSL_LIB_CTX* libctx, int min_version,
                                            int max_version, SSL_CTX* ctx) const {
  std::lock_guard<std::mutex> lock(ctx_mu_);
  for (const CtxEntry& e : ctxs_) {
    if (e.libctx == libctx && e.min_version == min_version && e.max_version == max_version) {
      SSL_CTX_free(ctx);  // another thread built the same one first
      return e.ctx;
    }
  }
  ctxs_.push_back(CtxEntry{libctx, min_version, max_version, ctx});
  return ctx;
}

std::shared_ptr<ServerIdentity> ServerIdentity::FromPem(OSSL_LIB_CTX* libctx, ByteSpan cert_pem,
                                                        ByteSpan key_pem,
                                                        std::string* out_error) {
  ERR_clear_error();
  if (cert_pem.size() > INT32_MAX || key_pem.size() > INT32_MAX) {
    *out_error = "PEM input too large";
    return nullptr;
  }
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509* cert = X509_new_ex(libctx, nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = cb != nullptr && kb != nullptr && cert != nullptr;
  if (ok) ok = PEM_read_bio_X509(cb, &cert, nullptr, nullptr) != nullptr;
  if (ok) {
    key = PEM_read_bio_PrivateKey_ex(kb, nullptr, nullptr, nullptr, libctx, nullptr);
    ok = key != nullptr;
  }
  if (ok) ok = X509_check_private_key(cert, key) == 1;
  BIO_free(cb);
  BIO_free(kb);
  if (!ok) {
    *out_error = "cannot load server certificate/key: " + DrainOpenSslErrors();
    X509_free(cert);
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<ServerIdentity>(new ServerIdentity(cert, key));
}

std::shared_ptr<ServerIdentity> ServerIdentity::FromPemFiles(OSSL_LIB_CTX* libctx,
                                                             const std::string& cert_path,
                                                             const std::string& key_path,
                                                             std::string* out_error) {
  auto read_all = [](const std::string& path, Bytes* out) {
    BIO* b = BIO_new_file(path.c_str(), "rb");
    if (b == nullptr) return false;
    std::array<std::byte, 4096> buf{};
    bool ok = true;
    for (;;) {
      int n = BIO_read(b, buf.data(), static_cast<int>(buf.size()));
      if (n <= 0) break;
      out->insert(out->end(), buf.begin(), buf.begin() + n);
      if (out->size() > (1u << 20)) { ok = false; break; }  // no PEM pair is that large
    }
    BIO_free(b);
    return ok;
  };
  Bytes cert, key;
  if (!read_all(cert_path, &cert)) {
    *out_error = "cannot read certificate file " + cert_path;
    return nullptr;
  }
  if (!read_all(key_path, &key)) {
    *out_error = "cannot read key file " + key_path;
    return nullptr;
  }
  auto id = FromPem(libctx, cert, key, out_error);
  OPENSSL_cleanse(key.data(), key.size());
  return id;
}

std::shared_ptr<ServerIdentity> ServerIdentity::Generate(OSSL_LIB_CTX* libctx, KeyType type,
                                                         const std::string& common_name) {
  EVP_PKEY* key = type == KeyType::kRsa2048
                      ? EVP_PKEY_Q_keygen(libctx, nullptr, "RSA", static_cast<size_t>(2048))
                      : EVP_PKEY_Q_keygen(libctx, nullptr, "EC", "P-256");
  if (key == nullptr) return nullptr;
  X509* x = X509_new_ex(libctx, nullptr);
  bool ok = x != nullptr && X509_set_version(x, X509_VERSION_3) == 1;
  // A random positive 63-bit serial: two generated certificates never share issuer+serial.
  uint64_t serial = 0;
  if (ok) ok = RAND_bytes_ex(libctx, reinterpret_cast<unsigned char*>(&serial), sizeof serial, 0) == 1;
  if (ok) ok = ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), (serial >> 1) | 1) == 1;
  if (ok) ok = X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr;
  if (ok) ok = X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600) != nullptr;
  if (ok) ok = X509_set_pubkey(x, key) == 1;
  if (ok) {
    X509_NAME* name = X509_get_subject_name(x);
    ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                    -1, -1, 0) == 1 &&
         X509_set_issuer_name(x, name) == 1;
  }
  if (ok) ok = X509_sign(x, key, EVP_sha256()) > 0;
  if (!ok) {
    OCS_LOG(kError, "tls: certificate generation failed: %s", DrainOpenSslErrors().c_str());
    X509_free(x);
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<ServerIdentity>(new ServerIdentity(x, key));
}

Bytes ServerIdentity::CertDer() const {
  int n = i2d_X509(cert_, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<size_t>(n));
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_X509(cert_, &p);
  return out;
}

std::string ServerIdentity::PemCert() const {
  BIO* b = BIO_new(BIO_s_mem());
  if (b == nullptr) return {};
  std::string s = PEM_write_bio_X509(b, cert_) == 1 ? BioToString(b) : std::string();
  BIO_free(b);
  return s;
}

std::string ServerIdentity::PemKey() const {
  BIO* b = BIO_new(BIO_s_mem());
  if (b == nullptr) return {};
  std::string s = PEM_write_bio_PrivateKey(b, key_, nullptr, nullptr, 0, nullptr, nullptr) == 1
                      ? BioToString(b)
                      : std::string();
  BIO_free(b);
  return s;
}

Bytes SubjectPublicKey(const X509* cert) {
  if (cert == nullptr) return {};
  // credssp.md 5.4: X509_PUBKEY_get0_param gives exactly the BIT STRING contents.
  const unsigned char* pk = nullptr;
  int pk_len = 0;
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
  if (pub == nullptr || X509_PUBKEY_get0_param(nullptr, &pk, &pk_len, nullptr, pub) != 1 ||
      pk == nullptr || pk_len <= 0) {
    return {};
  }
  auto s = AsBytes(pk, static_cast<size_t>(pk_len));
  return Bytes(s.begin(), s.end());
}

RecordScan ScanFirstRecord(ByteSpan in) {
  RecordScan r;
  // RFC 5246 6.2.1 / RFC 8446 5.1: ContentType change_cipher_spec(20) .. application_data(23),
  // legacy_record_version 3.x, length <= 2^14 + 2048 (TLSCiphertext bound of TLS 1.2).
  if (!in.empty()) {
    auto type = std::to_integer<unsigned>(in[0]);
    if (type < 20 || type > 23) { r.malformed = true; return r; }
  }
  if (in.size() >= 2 && std::to_integer<unsigned>(in[1]) != 3) { r.malformed = true; return r; }
  if (in.size() < 5) {
    r.missing = 5 - in.size();
    return r;
  }
  size_t len = (std::to_integer<size_t>(in[3]) << 8) | std::to_integer<size_t>(in[4]);
  if (len == 0 || len > 16384 + 2048) { r.malformed = true; return r; }
  if (in.size() < 5 + len) {
    r.missing = 5 + len - in.size();
    return r;
  }
  r.first_len = 5 + len;
  return r;
}

// ---- Connection -------------------------------------------------------------------------

namespace {

// NewCtx builds and configures an SSL_CTX for `config`. Everything set here is the same for every
// connection with the same (role, libctx, versions, identity), so the result is shared: an
// SSL_CTX is thread-safe for SSL_new once configured and is never modified afterwards.
SSL_CTX* NewCtx(bool server, const Config& config, std::string* out_error) {
  SSL_CTX* ctx = SSL_CTX_new_ex(config.libctx, nullptr,
                                server ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) {
    *out_error = "SSL_CTX_new_ex: " + DrainOpenSslErrors();
    return nullptr;
  }
  bool ok = SSL_CTX_set_min_proto_version(ctx, config.min_version) == 1 &&
            SSL_CTX_set_max_proto_version(ctx, config.max_version) == 1 &&
            SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) == 1;
  // MS-CSSP 1.5 / 3.1.5: no session resumption; RDPBCGR: no renegotiation. No tickets (TLS 1.2
  // extension and TLS 1.3 NewSessionTicket), no server-side cache, no compression.
  // SSL_OP_CLEANSE_PLAINTEXT: decrypted records (TSCredentials carry passwords) are wiped from
  // OpenSSL's buffers once read.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_CLEANSE_PLAINTEXT);
  // An established CredSSP context is mostly idle (one message now and then): free the ~34 KiB
  // read/write buffers between records instead of keeping them per context.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (ok) ok = SSL_CTX_set_num_tickets(ctx, 0) == 1;
  if (ok && server) {
    ok = SSL_CTX_use_certificate(ctx, config.identity->cert()) == 1 &&
         SSL_CTX_use_PrivateKey(ctx, config.identity->key()) == 1 &&
         SSL_CTX_check_private_key(ctx) == 1;
  }
  if (ok && !server) {
    // MS-CSSP <24> / sspi-abi.md 9.2 ISC_REQ_MANUAL_CRED_VALIDATION: CredSSP does not judge the
    // server certificate; the application does, through SECPKG_ATTR_REMOTE_CERT_CONTEXT. The
    // key is bound to the inner authentication by pubKeyAuth.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!ok) {
    *out_error = "TLS setup: " + DrainOpenSslErrors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

// SharedCtx returns a new reference to the SSL_CTX for `config`, building it on first use. The
// server's lives in its ServerIdentity (keyed by libctx and versions, so forced versions still
// get their own); the client's, which holds no identity, in a process-wide list keyed the same
// way (a handful of entries, kept until exit like the private OSSL_LIB_CTX).
SSL_CTX* SharedCtx(bool server, const Config& config, std::string* out_error) {
  SSL_CTX* ctx = nullptr;
  if (server) {
    const ServerIdentity& id = *config.identity;
    ctx = id.CachedServerCtx(config.libctx, config.min_version, config.max_version);
    if (ctx == nullptr) {
      SSL_CTX* fresh = NewCtx(true, config, out_error);
      if (fresh == nullptr) return nullptr;
      ctx = id.SetCachedServerCtx(config.libctx, config.min_version, config.max_version, fresh);
    }
  } else {
    struct Entry {
      OSSL_LIB_CTX* libctx;
      int min_version;
      int max_version;
      SSL_CTX* ctx;
    };
    static std::mutex mu;
    static auto* cache = new std::vector<Entry>();  // never deleted, see above
    std::lock_guard<std::mutex> lock(mu);
    for (const Entry& e : *cache) {
      if (e.libctx == config.libctx && e.min_version == config.min_version &&
          e.max_version == config.max_version) {
        ctx = e.ctx;
        break;
      }
    }
    if (ctx == nullptr) {
      ctx = NewCtx(false, config, out_error);
      if (ctx == nullptr) return nullptr;
      cache->push_back(Entry{config.libctx, config.min_version, config.max_version, ctx});
    }
  }
  if (SSL_CTX_up_ref(ctx) != 1) {
    *out_error = "SSL_CTX_up_ref failed";
    return nullptr;
  }
  return ctx;
}

}  // namespace

Connection::~Connection() {
  SSL_free(ssl_);  // frees both BIOs
  SSL_CTX_free(ctx_);
}

std::unique_ptr<Connection> Connection::Create(Role role, const Config& config,
                                               std::string* out_error) {
  ERR_clear_error();
  std::unique_ptr<Connection> c(new Connection());
  const bool server = role == Role::kServer;
  if (server && config.identity == nullptr) {
    *out_error = "server needs a certificate";
    return nullptr;
  }
  c->ctx_ = SharedCtx(server, config, out_error);
  if (c->ctx_ == nullptr) return nullptr;
  if (server) c->identity_ = config.identity;
  SSL_CTX* ctx = c->ctx_;
  bool ok = true;
  if (ok) ok = (c->ssl_ = SSL_new(ctx)) != nullptr;
  if (ok) {
    c->in_bio_ = BIO_new(BIO_s_mem());
    c->out_bio_ = BIO_new(BIO_s_mem());
    ok = c->in_bio_ != nullptr && c->out_bio_ != nullptr;
    if (!ok) {
      BIO_free(c->in_bio_);
      BIO_free(c->out_bio_);
      c->in_bio_ = c->out_bio_ = nullptr;
    }
  }
  if (ok) {
    // An empty input BIO means "retry later", never EOF.
    BIO_set_mem_eof_return(c->in_bio_, -1);
    SSL_set_bio(c->ssl_, c->in_bio_, c->out_bio_);
    if (server) {
      SSL_set_accept_state(c->ssl_);
    } else {
      SSL_set_connect_state(c->ssl_);
      if (!config.sni.empty()) ok = SSL_set_tlsext_host_name(c->ssl_, config.sni.c_str()) == 1;
    }
  }
  if (!ok) {
    *out_error = "TLS setup: " + DrainOpenSslErrors();
    return nullptr;
  }
  return c;
}

void Connection::Feed(ByteSpan in) {
  size_t off = 0;
  while (off < in.size()) {
    size_t chunk = std::min<size_t>(in.size() - off, INT32_MAX);
    int n = BIO_write(in_bio_, in.data() + off, static_cast<int>(chunk));
    if (n <= 0) break;  // memory BIO only fails on allocation failure
    off += static_cast<size_t>(n);
  }
}

Status Connection::FailFromSsl(int ret, const char* what) {
  int err = SSL_get_error(ssl_, ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::kWantMore;
  if (err == SSL_ERROR_ZERO_RETURN) return Status::kClosed;
  dead_ = true;
  last_error_ = std::string(what) + ": " + DrainOpenSslErrors();
  OCS_LOG(kDebug, "tls: %s", last_error_.c_str());
  return Status::kError;
}

Status Connection::Handshake() {
  if (dead_) return Status::kError;
  if (handshake_done_) return Status::kOk;
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_done_ = true;
    OCS_LOG(kDebug, "tls: handshake done, %s %s", SSL_get_version(ssl_),
            CipherName().c_str());
    return Status::kOk;
  }
  Status s = FailFromSsl(r, "handshake");
  return s == Status::kClosed ? Status::kError : s;
}

bool Connection::Write(ByteSpan plaintext) {
  if (dead_ || !handshake_done_) return false;
  size_t off = 0;
  while (off < plaintext.size()) {
    size_t chunk = std::min(plaintext.size() - off, kMaxRecordPlaintext);
    size_t written = 0;
    ERR_clear_error();
    int r = SSL_write_ex(ssl_, plaintext.data() + off, chunk, &written);
    if (r != 1) {
      (void)FailFromSsl(r, "write");
      dead_ = true;
      return false;
    }
    off += written;
  }
  return true;
}

Status Connection::Read(Bytes* out_plaintext) {
  if (dead_) return Status::kError;
  std::array<std::byte, 16384> buf{};
  for (;;) {
    size_t got = 0;
    ERR_clear_error();
    int r = SSL_read_ex(ssl_, buf.data(), buf.size(), &got);
    if (r == 1) {
      out_plaintext->insert(out_plaintext->end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(got));
      continue;
    }
    // The stack copy may hold application plaintext: do not leave it behind.
    OPENSSL_cleanse(buf.data(), buf.size());
    Status s = FailFromSsl(r, "read");
    return s == Status::kWantMore ? Status::kOk : s;
  }
}

void Connection::TakeOutput(Bytes* out) {
  char* p = nullptr;
  long n = BIO_get_mem_data(out_bio_, &p);
  if (n > 0 && p != nullptr) {
    // Raw pointers, not gsl::span iterators: those are bounds-checked per element, which made
    // this copy a byte loop costing twice SSL_write itself (callgrind, docs/performance.md).
    const auto* b = reinterpret_cast<const std::byte*>(p);
    out->insert(out->end(), b, b + n);
  }
  (void)BIO_reset(out_bio_);
}

bool Connection::HasOutput() const { return BIO_ctrl_pending(out_bio_) > 0; }

X509* Connection::PeerCertificate() const { return SSL_get0_peer_certificate(ssl_); }
X509* Connection::OwnCertificate() const { return SSL_get_certificate(ssl_); }

int Connection::Version() const { return SSL_version(ssl_); }

std::string Connection::CipherName() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c != nullptr ? SSL_CIPHER_get_name(c) : "";
}

int Connection::CipherNid() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c != nullptr ? SSL_CIPHER_get_cipher_nid(c) : NID_undef;
}

int Connection::CipherStrength() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c != nullptr ? SSL_CIPHER_get_bits(c, nullptr) : 0;
}

size_t Connection::RecordHeaderSize() const {
  // RFC 5288 3: TLS 1.2 AES-GCM records carry an 8-byte explicit nonce after the header;
  // ChaCha20-Poly1305 (RFC 7905) and TLS 1.3 (RFC 8446 5.2) have none.
  if (Version() == kTls12) {
    int nid = CipherNid();
    if (nid == NID_aes_128_gcm || nid == NID_aes_256_gcm) return 5 + 8;
  }
  return 5;
}

size_t Connection::RecordTrailerSize() const {
  // AEAD tag (16); TLS 1.3 adds the inner content type byte (RFC 8446 5.2), no padding.
  return Version() == kTls13 ? 16 + 1 : 16;
}

}  // namespace ocs::tls
