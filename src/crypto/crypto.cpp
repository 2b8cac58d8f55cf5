// crypto.cpp - OpenSSL 3 EVP wrappers over the library-private OSSL_LIB_CTX.
// SPDX-License-Identifier: Apache-2.0
#include "crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "core/log.h"

namespace ocs::crypto {
namespace {

// Lib holds the private context, its providers and the algorithm objects fetched once (fetching
// is a locked lookup in OpenSSL 3, too slow to repeat per message).
struct Lib {
  OSSL_LIB_CTX* ctx = nullptr;
  OSSL_PROVIDER* def = nullptr;
  OSSL_PROVIDER* legacy = nullptr;
  EVP_MD* md4 = nullptr;
  EVP_MD* md5 = nullptr;
  EVP_MD* sha256 = nullptr;
  EVP_MAC* hmac = nullptr;
  EVP_CIPHER* rc4 = nullptr;
  // hmac_md5: an HMAC context with the digest already set (empty key). Setting the digest by
  // name makes OpenSSL fetch MD5 again on every EVP_MAC_init; a copy of this one carries the
  // fetched digest and only needs the key. Read-only after construction (EVP_MAC_CTX_dup only
  // reads its source), so threads share it.
  EVP_MAC_CTX* hmac_md5 = nullptr;
  std::string error;

  Lib() {
    ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr) {
      Fail("OSSL_LIB_CTX_new failed");
      return;
    }
    def = OSSL_PROVIDER_load(ctx, "default");
    if (def == nullptr) {
      Fail("cannot load the OpenSSL default provider");
      return;
    }
    legacy = OSSL_PROVIDER_load(ctx, "legacy");
    if (legacy == nullptr) {
      Fail(
          "cannot load the OpenSSL legacy provider, which NTLM needs for MD4 and RC4 "
          "(is legacy.so in the ossl-modules directory, or OPENSSL_MODULES set?)");
      return;
    }
    md4 = EVP_MD_fetch(ctx, "MD4", "provider=legacy");
    md5 = EVP_MD_fetch(ctx, "MD5", "provider=default");
    sha256 = EVP_MD_fetch(ctx, "SHA2-256", "provider=default");
    hmac = EVP_MAC_fetch(ctx, "HMAC", "provider=default");
    rc4 = EVP_CIPHER_fetch(ctx, "RC4", "provider=legacy");
    if (md4 == nullptr || md5 == nullptr || sha256 == nullptr || hmac == nullptr ||
        rc4 == nullptr) {
      Fail("cannot fetch MD4/MD5/SHA-256/HMAC/RC4 from the private OpenSSL context");
      return;
    }
    char digest[] = "MD5";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    static const unsigned char kEmpty[1] = {0};
    hmac_md5 = EVP_MAC_CTX_new(hmac);
    if (hmac_md5 == nullptr || EVP_MAC_init(hmac_md5, kEmpty, 0, params) != 1) {
      Fail("cannot set up HMAC-MD5 in the private OpenSSL context");
    }
  }
  void Fail(const char* why) {
    error = why;
    OCS_LOG(kError, "crypto: %s", why);
    ERR_clear_error();
    // Leave the object unusable: ok() checks every member.
  }
  bool ok() const { return error.empty(); }
  // The context lives until process exit: contexts, credentials and the TLS engine can outlive
  // any static-destruction order we could choose, and OpenSSL frees it at exit anyway.
};

const Lib& GetLib() {
  static const Lib* lib = new Lib();  // thread-safe magic static; intentionally never deleted
  return *lib;
}

template <size_t N>
bool Digest(std::array<std::byte, N>* out, const EVP_MD* md,
            std::initializer_list<ByteSpan> parts) {
  out->fill(std::byte{0});
  if (md == nullptr || !GetLib().ok()) return false;
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (c == nullptr) return false;
  bool ok = EVP_DigestInit_ex2(c, md, nullptr) == 1;
  for (ByteSpan p : parts) {
    if (!ok) break;
    if (!p.empty()) ok = EVP_DigestUpdate(c, p.data(), p.size()) == 1;
  }
  unsigned int len = 0;
  if (ok) ok = EVP_DigestFinal_ex(c, reinterpret_cast<unsigned char*>(out->data()), &len) == 1;
  EVP_MD_CTX_free(c);
  if (!ok || len != N) {
    OPENSSL_cleanse(out->data(), N);
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace

OSSL_LIB_CTX* LibCtx() {
  const Lib& lib = GetLib();
  return lib.ok() ? lib.ctx : nullptr;
}

std::string InitError() { return GetLib().error; }

bool Md4(Md4Digest* out, std::initializer_list<ByteSpan> parts) {
  return Digest(out, GetLib().md4, parts);
}
bool Md5(Md5Digest* out, std::initializer_list<ByteSpan> parts) {
  return Digest(out, GetLib().md5, parts);
}
bool Sha256(Sha256Digest* out, std::initializer_list<ByteSpan> parts) {
  return Digest(out, GetLib().sha256, parts);
}

bool HmacMd5(Md5Digest* out, ByteSpan key, std::initializer_list<ByteSpan> parts) {
  return HmacMd5Parts(out, key, gsl::span<const ByteSpan>(parts.begin(), parts.size()));
}

bool HmacMd5Parts(Md5Digest* out, ByteSpan key, gsl::span<const ByteSpan> parts) {
  out->fill(std::byte{0});
  const Lib& lib = GetLib();
  if (!lib.ok()) return false;
  EVP_MAC_CTX* c = EVP_MAC_CTX_dup(lib.hmac_md5);
  if (c == nullptr) {
    ERR_clear_error();
    return false;
  }
  // HMAC accepts an empty key; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty[1] = {0};
  const unsigned char* k =
      key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  bool ok = EVP_MAC_init(c, k, key.size(), nullptr) == 1;  // re-keys; digest stays MD5
  for (ByteSpan p : parts) {
    if (!ok) break;
    if (!p.empty()) ok = EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(p.data()),
                                        p.size()) == 1;
  }
  size_t len = 0;
  if (ok) {
    ok = EVP_MAC_final(c, reinterpret_cast<unsigned char*>(out->data()), &len, out->size()) == 1;
  }
  EVP_MAC_CTX_free(c);
  if (!ok || len != out->size()) {
    OPENSSL_cleanse(out->data(), out->size());
    ERR_clear_error();
    return false;
  }
  return true;
}

bool RandomBytes(MutableByteSpan out) {
  if (out.empty()) return true;
  OSSL_LIB_CTX* ctx = LibCtx();
  if (ctx == nullptr) return false;
  if (RAND_bytes_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), out.size(), 0) != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

Rc4& Rc4::operator=(Rc4&& o) noexcept {
  if (this != &o) {
    Reset();
    ctx_ = o.ctx_;
    o.ctx_ = nullptr;
  }
  return *this;
}

void Rc4::Reset() {
  // EVP_CIPHER_CTX_free makes the provider free its RC4 key schedule with OPENSSL_clear_free.
  EVP_CIPHER_CTX_free(ctx_);
  ctx_ = nullptr;
}

bool Rc4::CopyFrom(const Rc4& o) {
  if (this == &o) return true;
  Reset();
  if (o.ctx_ == nullptr) return true;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  if (c == nullptr) return false;
  if (EVP_CIPHER_CTX_copy(c, o.ctx_) != 1) {
    EVP_CIPHER_CTX_free(c);
    ERR_clear_error();
    return false;
  }
  ctx_ = c;
  return true;
}

bool Rc4::Init(ByteSpan key) {
  Reset();
  const Lib& lib = GetLib();
  if (!lib.ok() || key.empty() || key.size() > 256) return false;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  if (c == nullptr) return false;
  size_t keylen = key.size();
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_KEYLEN, &keylen),
      OSSL_PARAM_construct_end(),
  };
  // Set the key length before the key: RC4's default is 16 bytes, NTLM also uses 5/7/8.
  bool ok = EVP_EncryptInit_ex2(c, lib.rc4, nullptr, nullptr, params) == 1 &&
            EVP_EncryptInit_ex2(c, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                                nullptr, nullptr) == 1;
  if (!ok) {
    EVP_CIPHER_CTX_free(c);
    ERR_clear_error();
    return false;
  }
  ctx_ = c;
  return true;
}

bool Rc4::Process(MutableByteSpan out, ByteSpan in) {
  if (ctx_ == nullptr || out.size() != in.size()) return false;
  size_t done = 0;
  while (done < in.size()) {
    // EVP_EncryptUpdate takes an int length: feed large buffers in chunks.
    const size_t chunk = std::min<size_t>(in.size() - done, INT_MAX / 2);
    int outl = 0;
    if (EVP_EncryptUpdate(ctx_, reinterpret_cast<unsigned char*>(out.data() + done), &outl,
                          reinterpret_cast<const unsigned char*>(in.data() + done),
                          static_cast<int>(chunk)) != 1 ||
        static_cast<size_t>(outl) != chunk) {
      ERR_clear_error();
      return false;
    }
    done += chunk;
  }
  return true;
}

bool Rc4Once(MutableByteSpan out, ByteSpan key, ByteSpan in) {
  Rc4 rc4;
  if (!rc4.Init(key)) return false;
  return rc4.Process(out, in);
}

}  // namespace ocs::crypto
