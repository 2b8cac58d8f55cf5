// cert.cpp - see cert.h.
// SPDX-License-Identifier: Apache-2.0
#include "cert.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace ocs::cli {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

std::string OpenSslError(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256] = {};
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + (e != 0 ? std::string(": ") + buf : std::string());
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string Hex(const unsigned char* md, unsigned int n) {
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    char b[4];
    std::snprintf(b, sizeof b, i == 0 ? "%02X" : ":%02X", md[i]);
    out += b;
  }
  return out;
}

std::string Fingerprint(X509* x) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x, EVP_sha256(), md, &n) != 1) return "";
  return Hex(md, n);
}

bool AddExt(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(x, ext.get(), -1) == 1;
}

}  // namespace

std::string GenerateSelfSigned(const std::string& common_name, PemPair* out) {
  PkeyPtr key(EVP_RSA_gen(2048));
  if (!key) return OpenSslError("RSA key generation failed");
  X509Ptr x(X509_new());
  if (!x) return OpenSslError("X509_new");
  if (X509_set_version(x.get(), X509_VERSION_3) != 1) return OpenSslError("X509_set_version");
  // A random positive 64-bit serial: two certificates from two runs must not collide.
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) return OpenSslError("RAND_bytes");
  serial[0] &= 0x7F;
  BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) == nullptr) {
    return OpenSslError("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x.get()), 365L * 24 * 3600) == nullptr) {
    return OpenSslError("validity");
  }
  X509_NAME* name = X509_get_subject_name(x.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(x.get(), name) != 1) {
    return OpenSslError("subject name");
  }
  if (X509_set_pubkey(x.get(), key.get()) != 1) return OpenSslError("X509_set_pubkey");
  if (!AddExt(x.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExt(x.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !AddExt(x.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExt(x.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
      !AddExt(x.get(), NID_subject_key_identifier, "hash")) {
    return OpenSslError("certificate extensions");
  }
  if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) return OpenSslError("X509_sign");

  BioPtr cbio(BIO_new(BIO_s_mem()));
  BioPtr kbio(BIO_new(BIO_s_mem()));
  if (!cbio || !kbio || PEM_write_bio_X509(cbio.get(), x.get()) != 1 ||
      PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("PEM encoding");
  }
  out->cert_pem = BioToString(cbio.get());
  out->key_pem = BioToString(kbio.get());
  out->sha256_fingerprint = Fingerprint(x.get());
  return "";
}

std::string FingerprintOfDer(const unsigned char* der, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(der, len, md, &n, EVP_sha256(), nullptr) != 1) return "";
  return Hex(md, n);
}

std::string FingerprintOfPem(const std::string& cert_pem, std::string* out) {
  BioPtr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) return OpenSslError("not a PEM certificate");
  *out = Fingerprint(x.get());
  return "";
}

}  // namespace ocs::cli
