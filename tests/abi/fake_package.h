// fake_package.h - a small deterministic package for testing the shim in-process (linked with
// the static ocs_abi, installed with SetPackageForTesting). Client and server exchange
// "NEG" -> "CHAL" -> "AUTH"; some magic tokens make the package misbehave on purpose.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "core/context_buffer.h"
#include "core/package.h"

namespace ocs::fake {

inline Bytes B(const char* s) {
  Bytes b(std::strlen(s));
  std::memcpy(b.data(), s, b.size());
  return b;
}
inline bool Is(ByteSpan t, const char* s) {
  return t.size() == std::strlen(s) && std::memcmp(t.data(), s, t.size()) == 0;
}

inline std::atomic<int> g_live_contexts{0};

class FakeContext final : public Context {
 public:
  FakeContext(Role role, PackageId id) : role_(role), id_(id) { ++g_live_contexts; }
  ~FakeContext() override { --g_live_contexts; }

  SECURITY_STATUS Step(const StepIn& in, StepOut* out) override {
    if (Is(in.token, "THROW_BADALLOC")) throw std::bad_alloc();
    if (Is(in.token, "THROW")) throw std::runtime_error("boom");
    if (Is(in.token, "PARTIAL")) {
      out->missing = 7;
      return SEC_E_INCOMPLETE_MESSAGE;
    }
    last_cb_ = in.channel_bindings.size();
    last_target_ = std::u16string(in.target_name);
    if (role_ == Role::kClient) {
      if (step_ == 0) {
        ++step_;
        out->token = B("NEG");
        return SEC_I_CONTINUE_NEEDED;
      }
      if (step_ == 1 && Is(in.token, "CHAL")) {
        ++step_;
        complete_ = true;
        out->token = B("AUTH");
        out->ret_flags = ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY;
        return SEC_E_OK;
      }
      return SEC_E_INVALID_TOKEN;
    }
    // Server. "NEGxyz" consumes "NEG" and leaves 3 bytes for the next call (SECBUFFER_EXTRA).
    if (step_ == 0 && in.token.size() >= 3 && std::memcmp(in.token.data(), "NEG", 3) == 0) {
      ++step_;
      out->extra = static_cast<ULONG>(in.token.size() - 3);
      out->token = B("CHAL");
      return SEC_I_CONTINUE_NEEDED;
    }
    if (step_ == 1 && Is(in.token, "AUTH")) {
      ++step_;
      complete_ = true;
      out->ret_flags = ASC_RET_CONFIDENTIALITY | ASC_RET_INTEGRITY;
      return SEC_E_OK;
    }
    if (Is(in.token, "BIG")) {
      out->token = Bytes(100000, std::byte{0x41});
      return SEC_I_CONTINUE_NEEDED;
    }
    return SEC_E_INVALID_TOKEN;
  }

  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) override {
    if (attr == SECPKG_ATTR_SIZES) {
      auto* s = static_cast<SecPkgContext_Sizes*>(buf);
      *s = {100, 16, 0, 16};
      return SEC_E_OK;
    }
    if (attr == SECPKG_ATTR_NAMES) {
      void* name = AllocString(u"alice", width);
      if (name == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      std::memcpy(buf, &name, sizeof name);
      return SEC_E_OK;
    }
    return SEC_E_UNSUPPORTED_FUNCTION;
  }

  // XOR "encryption" with a 16-byte "signature": enough to check the shim's plumbing.
  SECURITY_STATUS MakeSignature(ULONG, gsl::span<SecBuffer> msg, ULONG) override {
    return Seal(msg, false);
  }
  SECURITY_STATUS VerifySignature(gsl::span<SecBuffer> msg, ULONG, ULONG* qop) override {
    *qop = 0;
    return Unseal(msg, false);
  }
  SECURITY_STATUS Encrypt(ULONG, gsl::span<SecBuffer> msg, ULONG) override { return Seal(msg, true); }
  SECURITY_STATUS Decrypt(gsl::span<SecBuffer> msg, ULONG, ULONG* qop) override {
    *qop = 0;
    return Unseal(msg, true);
  }
  bool IsComplete() const override { return complete_; }
  PackageId package() const override { return id_; }

  size_t last_cb_ = 0;
  std::u16string last_target_;

 private:
  static SecBuffer* Find(gsl::span<SecBuffer> msg, ULONG type) {
    for (auto& b : msg) {
      if ((b.BufferType & ~SECBUFFER_ATTRMASK) == type) return &b;
    }
    return nullptr;
  }
  SECURITY_STATUS Seal(gsl::span<SecBuffer> msg, bool encrypt) {
    if (!complete_) return SEC_E_OUT_OF_SEQUENCE;
    SecBuffer* data = Find(msg, SECBUFFER_DATA);
    SecBuffer* tok = Find(msg, SECBUFFER_TOKEN);
    if (data == nullptr || tok == nullptr) return SEC_E_INVALID_TOKEN;
    if (tok->cbBuffer < 16) return SEC_E_BUFFER_TOO_SMALL;
    auto* d = static_cast<unsigned char*>(data->pvBuffer);
    unsigned char sum = 0;
    for (ULONG i = 0; i < data->cbBuffer; ++i) {
      sum = static_cast<unsigned char>(sum + d[i]);
      if (encrypt) d[i] ^= 0x5A;
    }
    std::memset(tok->pvBuffer, sum, 16);
    tok->cbBuffer = 16;
    return SEC_E_OK;
  }
  SECURITY_STATUS Unseal(gsl::span<SecBuffer> msg, bool decrypt) {
    if (!complete_) return SEC_E_OUT_OF_SEQUENCE;
    SecBuffer* data = Find(msg, SECBUFFER_DATA);
    SecBuffer* tok = Find(msg, SECBUFFER_TOKEN);
    if (data == nullptr || tok == nullptr || tok->cbBuffer < 16) return SEC_E_INVALID_TOKEN;
    auto* d = static_cast<unsigned char*>(data->pvBuffer);
    unsigned char sum = 0;
    for (ULONG i = 0; i < data->cbBuffer; ++i) {
      if (decrypt) d[i] ^= 0x5A;
      sum = static_cast<unsigned char>(sum + d[i]);
    }
    return static_cast<unsigned char*>(tok->pvBuffer)[0] == sum ? SEC_E_OK : SEC_E_MESSAGE_ALTERED;
  }

  Role role_;
  PackageId id_;
  int step_ = 0;
  bool complete_ = false;
};

class FakeCredential final : public Credential {
 public:
  FakeCredential(PackageId id, const AcquireArgs& a) : args_(a), id_(id) {}
  PackageId package() const override { return id_; }
  ULONG use() const override { return args_.use; }
  SECURITY_STATUS NewContext(Role role, std::unique_ptr<Context>* out) override {
    if (role == Role::kClient && !(args_.use & SECPKG_CRED_OUTBOUND)) return SEC_E_NO_CREDENTIALS;
    if (role == Role::kServer && !(args_.use & SECPKG_CRED_INBOUND)) return SEC_E_NO_CREDENTIALS;
    *out = std::make_unique<FakeContext>(role, id_);
    return SEC_E_OK;
  }
  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) override {
    if (attr != SECPKG_CRED_ATTR_NAMES) return SEC_E_UNSUPPORTED_FUNCTION;
    std::u16string n = args_.identity ? args_.identity->user : u"";
    void* s = AllocString(n, width);
    if (s == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
    std::memcpy(buf, &s, sizeof s);
    return SEC_E_OK;
  }
  AcquireArgs args_;

 private:
  PackageId id_;
};

class FakePackage final : public Package {
 public:
  explicit FakePackage(PackageId id) : id_(id) {}
  PackageId id() const override { return id_; }
  SECURITY_STATUS AcquireCredentials(const AcquireArgs& a, std::shared_ptr<Credential>* out) override {
    last_args_ = a;
    *out = std::make_shared<FakeCredential>(id_, a);
    return SEC_E_OK;
  }
  AcquireArgs last_args_;

 private:
  PackageId id_;
};

}  // namespace ocs::fake
