// crypto.h - the only door to cryptographic primitives in opencredssp.
//
// Every primitive comes from OpenSSL 3 through a library-private OSSL_LIB_CTX, never from the
// host's default context: hashes and HMAC from the "default" provider, MD4 and RC4 from the
// "legacy" provider (MS-NLMP needs both; most distributions do not load "legacy" by default, and
// loading it into the host's context would change what the host application gets).
//
// The context is created once, on first use, thread-safely (a function-local static). If either
// provider cannot be loaded, every function here fails (returns false / nullptr) and
// InitError() says why; the failure is also logged once at kError.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>

#include "core/types.h"

namespace ocs::crypto {

using Md4Digest = std::array<std::byte, 16>;
using Md5Digest = std::array<std::byte, 16>;
using Sha256Digest = std::array<std::byte, 32>;

// LibCtx returns the library-private OSSL_LIB_CTX with the default and legacy providers loaded,
// or nullptr if it could not be set up (see InitError). Other modules pass it to *_ex / *_fetch
// functions (e.g. SSL_CTX_new_ex(LibCtx(), nullptr, method)). Never free it.
OSSL_LIB_CTX* LibCtx();

// InitError is empty when LibCtx() is usable, else a one-line explanation (e.g. "cannot load
// the OpenSSL legacy provider (MD4/RC4): check OPENSSL_MODULES / the ossl-modules directory").
std::string InitError();

// Md4 / Md5 / Sha256 hash the concatenation of `parts` into `out`. Return false on any OpenSSL
// failure (out is then zeroed).
[[nodiscard]] bool Md4(Md4Digest* out, std::initializer_list<ByteSpan> parts);
[[nodiscard]] bool Md5(Md5Digest* out, std::initializer_list<ByteSpan> parts);
[[nodiscard]] bool Sha256(Sha256Digest* out, std::initializer_list<ByteSpan> parts);

// HmacMd5 computes HMAC-MD5(key, concatenation of `parts`).
[[nodiscard]] bool HmacMd5(Md5Digest* out, ByteSpan key, std::initializer_list<ByteSpan> parts);
// HmacMd5Parts is HmacMd5 over a run-time list of parts (multi-buffer SSPI messages).
[[nodiscard]] bool HmacMd5Parts(Md5Digest* out, ByteSpan key, gsl::span<const ByteSpan> parts);

// RandomBytes fills `out` from the private context's DRBG (RAND_bytes_ex).
[[nodiscard]] bool RandomBytes(MutableByteSpan out);

// Rc4 is a stateful RC4 keystream (MS-NLMP sealing handles keep their state across messages).
// Move-only. The cipher state is freed (and cleansed by OpenSSL's provider) on Reset,
// re-Init and destruction.
class Rc4 {
 public:
  Rc4() = default;
  Rc4(const Rc4&) = delete;
  Rc4& operator=(const Rc4&) = delete;
  Rc4(Rc4&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
  Rc4& operator=(Rc4&& o) noexcept;
  ~Rc4() { Reset(); }

  // Init (re)keys the stream with `key` (1..256 bytes). False on failure (then !ready()).
  [[nodiscard]] bool Init(ByteSpan key);
  // Process XORs the next keystream bytes into `in` and writes the result to `out`
  // (same size; in-place allowed). False if not initialised, sizes differ, or OpenSSL fails.
  [[nodiscard]] bool Process(MutableByteSpan out, ByteSpan in);
  [[nodiscard]] bool ProcessInPlace(MutableByteSpan data) { return Process(data, data); }
  // CopyFrom makes this stream an exact copy of `o` (key schedule and position), so a caller
  // can roll back a keystream after a failed verification.
  [[nodiscard]] bool CopyFrom(const Rc4& o);
  bool ready() const { return ctx_ != nullptr; }
  void Reset();

 private:
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

// Rc4Once is RC4K(key, data) of MS-NLMP 6: a fresh keystream over one buffer.
[[nodiscard]] bool Rc4Once(MutableByteSpan out, ByteSpan key, ByteSpan in);

}  // namespace ocs::crypto
