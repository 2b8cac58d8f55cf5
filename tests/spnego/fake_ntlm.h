// fake_ntlm.h - a stand-in NTLM package for the Negotiate state machine's unit tests.
//
// It is not NTLM: its tokens only start with "NTLMSSP\0" and a message type, and its
// "signatures" are an FNV-1a hash. What it does model faithfully is what SPNEGO relies on:
// per-direction sequence numbers consumed by SignNext/VerifyNext/Encrypt/Decrypt, a per-
// direction "RC4 position" that every signature advances and ResetRc4 rewinds (so a missing or
// extra reset on one side makes the peers disagree), keys that exist only after AUTHENTICATE,
// a password check, and a switch for whether AUTHENTICATE "carries the NTLM MIC".
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "core/package.h"
#include "ntlm/ntlm_context.h"

namespace ocs::testing {

struct FakeNtlmOptions {
  bool mic_present = true;          // AUTHENTICATE "carries" an NTLM MIC
  std::string password = "secret";  // client sends it, server expects it
};

class FakeNtlmContext final : public ntlm::NtlmContext {
 public:
  FakeNtlmContext(Role role, FakeNtlmOptions opts) : role_(role), opts_(std::move(opts)) {}

  SECURITY_STATUS Step(const StepIn& in, StepOut* out) override {
    steps_++;
    if (role_ == Role::kClient) {
      if (stage_ == 0) {
        if (!in.token.empty()) return SEC_E_INVALID_TOKEN;
        out->token = Msg(1, "negotiate-40-bytes-of-fake-ntlm-padding!");
        stage_ = 1;
        return SEC_I_CONTINUE_NEEDED;
      }
      if (stage_ == 1) {
        if (Type(in.token) != 2 || in.token.size() != 8 + 4 + 8) return SEC_E_INVALID_TOKEN;
        std::memcpy(key_.data(), in.token.data() + 12, 8);
        out->token = Msg(3, std::string(opts_.mic_present ? "M" : "-") + opts_.password);
        keys_ = true;
        mic_ = opts_.mic_present;
        stage_ = 2;
        return SEC_E_OK;
      }
      return SEC_E_OUT_OF_SEQUENCE;
    }
    if (stage_ == 0) {
      if (Type(in.token) != 1) return SEC_E_INVALID_TOKEN;
      std::string challenge(8, '\0');
      for (size_t i = 0; i < 8; ++i) challenge[i] = static_cast<char>(0x40 + instance_salt_ + i);
      std::memcpy(key_.data(), challenge.data(), 8);
      out->token = Msg(2, challenge);
      stage_ = 1;
      return SEC_I_CONTINUE_NEEDED;
    }
    if (stage_ == 1) {
      if (Type(in.token) != 3 || in.token.size() < 13) return SEC_E_INVALID_TOKEN;
      const auto* p = reinterpret_cast<const char*>(in.token.data()) + 12;
      mic_ = p[0] == 'M';
      const std::string pw(p + 1, in.token.size() - 13);
      if (pw != opts_.password) return SEC_E_LOGON_DENIED;
      keys_ = true;
      stage_ = 2;
      return SEC_E_OK;
    }
    return SEC_E_OUT_OF_SEQUENCE;
  }

  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth) override {
    if (attr == SECPKG_ATTR_SIZES) {
      auto* s = static_cast<SecPkgContext_Sizes*>(buf);
      *s = SecPkgContext_Sizes{2888, 16, 0, 16};
      return SEC_E_OK;
    }
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
  SECURITY_STATUS SetAttribute(ULONG attr, const void*, ULONG, CharWidth) override {
    last_set_attr_ = attr;
    return SEC_E_OK;
  }

  SECURITY_STATUS MakeSignature(ULONG, gsl::span<SecBuffer> msg, ULONG) override {
    SecBuffer* data = Find(msg, SECBUFFER_DATA);
    SecBuffer* tok = Find(msg, SECBUFFER_TOKEN);
    if (data == nullptr || tok == nullptr || tok->cbBuffer < 16) return SEC_E_INVALID_TOKEN;
    std::array<std::byte, 16> sig{};
    (void)SignNext(AsBytes(data->pvBuffer, data->cbBuffer), &sig);
    std::memcpy(tok->pvBuffer, sig.data(), 16);
    tok->cbBuffer = 16;
    return SEC_E_OK;
  }
  SECURITY_STATUS VerifySignature(gsl::span<SecBuffer> msg, ULONG, ULONG*) override {
    SecBuffer* data = Find(msg, SECBUFFER_DATA);
    SecBuffer* tok = Find(msg, SECBUFFER_TOKEN);
    if (data == nullptr || tok == nullptr) return SEC_E_INVALID_TOKEN;
    return VerifyNext(AsBytes(data->pvBuffer, data->cbBuffer), AsBytes(tok->pvBuffer, tok->cbBuffer));
  }
  // Encrypt "seals" DATA by XOR with a byte derived from the outbound state, then signs the
  // ciphertext; Decrypt reverses it. Enough to see that sealing reaches NTLM in order.
  SECURITY_STATUS Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) override {
    if (!keys_) return SEC_E_NO_CONTEXT;
    SecBuffer* data = Find(msg, SECBUFFER_DATA);
    if (data == nullptr) return SEC_E_INVALID_TOKEN;
    const auto mask = static_cast<unsigned char>(0xa5 ^ out_.seq);
    auto* p = static_cast<unsigned char*>(data->pvBuffer);
    for (ULONG i = 0; i < data->cbBuffer; ++i) p[i] ^= mask;
    return MakeSignature(qop, msg, seq);
  }
  SECURITY_STATUS Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) override {
    if (!keys_) return SEC_E_NO_CONTEXT;
    SecBuffer* data = Find(msg, SECBUFFER_DATA);
    if (data == nullptr) return SEC_E_INVALID_TOKEN;
    const auto mask = static_cast<unsigned char>(0xa5 ^ in_.seq);
    const SECURITY_STATUS s = VerifySignature(msg, seq, qop);
    if (s != SEC_E_OK) return s;
    auto* p = static_cast<unsigned char*>(data->pvBuffer);
    for (ULONG i = 0; i < data->cbBuffer; ++i) p[i] ^= mask;
    return SEC_E_OK;
  }
  bool IsComplete() const override { return stage_ == 2; }

  bool KeysReady() const override { return keys_; }
  bool MicPresent() const override { return mic_; }
  SECURITY_STATUS SignNext(ByteSpan data, std::array<std::byte, 16>* out_sig) override {
    if (!keys_) return SEC_E_NO_CONTEXT;
    Dir& d = out_;
    *out_sig = Sig(role_ == Role::kClient ? 'c' : 's', d, data);
    d.seq++;
    d.rc4_pos++;
    return SEC_E_OK;
  }
  SECURITY_STATUS VerifyNext(ByteSpan data, ByteSpan sig) override {
    if (!keys_) return SEC_E_NO_CONTEXT;
    const auto expect = Sig(role_ == Role::kClient ? 's' : 'c', in_, data);
    if (sig.size() != 16 || std::memcmp(sig.data(), expect.data(), 16) != 0) {
      return SEC_E_MESSAGE_ALTERED;
    }
    in_.seq++;
    in_.rc4_pos++;
    return SEC_E_OK;
  }
  void ResetRc4(ntlm::Direction d) override {
    (d == ntlm::Direction::kOutbound ? out_ : in_).rc4_pos = 0;
    resets_++;
  }
  std::u16string UserName() const override { return u"alice"; }
  std::u16string DomainName() const override { return u"EXAMPLE"; }

  uint32_t out_seq() const { return out_.seq; }
  uint32_t in_seq() const { return in_.seq; }
  int resets() const { return resets_; }
  ULONG last_set_attr() const { return last_set_attr_; }

 private:
  struct Dir {
    uint32_t seq = 0;
    uint32_t rc4_pos = 0;
  };

  static Bytes Msg(uint32_t type, const std::string& body) {
    Bytes b(12 + body.size());
    std::memcpy(b.data(), "NTLMSSP\0", 8);
    b[8] = static_cast<std::byte>(type);
    std::memcpy(b.data() + 12, body.data(), body.size());
    return b;
  }
  static uint32_t Type(ByteSpan t) {
    if (t.size() < 12 || std::memcmp(t.data(), "NTLMSSP\0", 8) != 0) return 0;
    return std::to_integer<uint32_t>(t[8]);
  }
  static SecBuffer* Find(gsl::span<SecBuffer> msg, ULONG type) {
    for (SecBuffer& b : msg) {
      if ((b.BufferType & ~static_cast<ULONG>(SECBUFFER_ATTRMASK)) == type) return &b;
    }
    return nullptr;
  }
  std::array<std::byte, 16> Sig(char who, const Dir& d, ByteSpan data) const {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](uint8_t b) { h = (h ^ b) * 1099511628211ull; };
    for (std::byte k : key_) mix(std::to_integer<uint8_t>(k));
    mix(static_cast<uint8_t>(who));
    for (int i = 0; i < 4; ++i) mix(static_cast<uint8_t>(d.seq >> (8 * i)));
    for (int i = 0; i < 4; ++i) mix(static_cast<uint8_t>(d.rc4_pos >> (8 * i)));
    for (std::byte b : data) mix(std::to_integer<uint8_t>(b));
    std::array<std::byte, 16> s{};
    s[0] = std::byte{1};
    for (int i = 0; i < 8; ++i) s[static_cast<size_t>(4 + i)] = static_cast<std::byte>(h >> (8 * i));
    for (int i = 0; i < 4; ++i) s[static_cast<size_t>(12 + i)] = static_cast<std::byte>(d.seq >> (8 * i));
    return s;
  }

  Role role_;
  FakeNtlmOptions opts_;
  int stage_ = 0;
  int steps_ = 0;
  int resets_ = 0;
  bool keys_ = false;
  bool mic_ = false;
  unsigned instance_salt_ = 7;
  std::array<std::byte, 8> key_{};
  Dir out_;
  Dir in_;
  ULONG last_set_attr_ = 0;
};

class FakeNtlmCredential final : public Credential {
 public:
  FakeNtlmCredential(ULONG use, FakeNtlmOptions opts) : use_(use), opts_(std::move(opts)) {}
  PackageId package() const override { return PackageId::kNtlm; }
  ULONG use() const override { return use_; }
  SECURITY_STATUS NewContext(Role role, std::unique_ptr<Context>* out) override {
    const ULONG need = role == Role::kClient ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND;
    if ((use_ & need) == 0) return SEC_E_WRONG_CREDENTIAL_HANDLE;
    *out = std::make_unique<FakeNtlmContext>(role, opts_);
    return SEC_E_OK;
  }

 private:
  ULONG use_;
  FakeNtlmOptions opts_;
};

class FakeNtlmPackage final : public Package {
 public:
  explicit FakeNtlmPackage(FakeNtlmOptions opts = {}) : opts_(std::move(opts)) {}
  PackageId id() const override { return PackageId::kNtlm; }
  SECURITY_STATUS AcquireCredentials(const AcquireArgs& args,
                                     std::shared_ptr<Credential>* out) override {
    *out = std::make_shared<FakeNtlmCredential>(args.use, opts_);
    return SEC_E_OK;
  }
  FakeNtlmOptions& options() { return opts_; }

 private:
  FakeNtlmOptions opts_;
};

}  // namespace ocs::testing
