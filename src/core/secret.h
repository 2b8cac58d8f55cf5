// secret.h - containers for secrets (passwords, NT hashes, session keys) that are wiped with
// OPENSSL_cleanse when they are freed or resized, and compared in constant time.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"

namespace ocs {

// SecretBytes is a byte buffer that wipes itself on destruction, on clear() and on move-from.
// It never grows in place (growth would leave an unwiped copy behind): assign a new one.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : v_(n) {}
  explicit SecretBytes(ByteSpan s) : v_(s.begin(), s.end()) {}
  SecretBytes(const SecretBytes& o) : v_(o.v_) {}
  SecretBytes(SecretBytes&& o) noexcept : v_(std::move(o.v_)) { o.clear(); }
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) { clear(); v_ = o.v_; }
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) { clear(); v_ = std::move(o.v_); o.clear(); }
    return *this;
  }
  ~SecretBytes() { clear(); }

  void clear() {
    if (!v_.empty()) OPENSSL_cleanse(v_.data(), v_.size());
    v_.clear();
  }
  std::byte* data() { return v_.data(); }
  const std::byte* data() const { return v_.data(); }
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  ByteSpan span() const { return ByteSpan(v_.data(), v_.size()); }
  MutableByteSpan mutable_span() { return MutableByteSpan(v_.data(), v_.size()); }

 private:
  std::vector<std::byte> v_;
};

// SecretU16 is a UTF-16 string (a password) that wipes itself like SecretBytes.
class SecretU16 {
 public:
  SecretU16() = default;
  explicit SecretU16(std::u16string s) : s_(std::move(s)) {}
  SecretU16(const SecretU16& o) : s_(o.s_) {}
  SecretU16(SecretU16&& o) noexcept : s_(std::move(o.s_)) { o.clear(); }
  SecretU16& operator=(const SecretU16& o) {
    if (this != &o) { clear(); s_ = o.s_; }
    return *this;
  }
  SecretU16& operator=(SecretU16&& o) noexcept {
    if (this != &o) { clear(); s_ = std::move(o.s_); o.clear(); }
    return *this;
  }
  ~SecretU16() { clear(); }
  void clear() {
    // Wipe the whole capacity: short-string storage lives inside the object.
    if (s_.capacity() > 0) OPENSSL_cleanse(s_.data(), s_.capacity() * sizeof(char16_t));
    s_.clear();
  }
  const std::u16string& str() const { return s_; }
  bool empty() const { return s_.empty(); }

 private:
  std::u16string s_;
};

// ConstantTimeEqual compares two byte strings without a data-dependent early exit
// (CRYPTO_memcmp). Different lengths compare unequal (length is not secret).
inline bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ocs
