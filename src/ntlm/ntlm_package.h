// ntlm_package.h - the NTLM package: credential, context implementation, server names.
//
// Policy (docs/ntlm.md): NTLMv2 with Extended Session Security and 128-bit keys only. LM,
// NTLMv1 and anonymous AUTHENTICATE messages are refused with SEC_E_LOGON_DENIED and a kWarn
// log line; anonymous is accepted only when the server asks for it (ASC_REQ_ALLOW_NULL_SESSION)
// and sent only when the client asks for it (ISC_REQ_NULL_SESSION with an empty identity).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/identity.h"
#include "core/package.h"
#include "core/secret.h"
#include "ntlm/challenge_message.h"
#include "ntlm/ntlm_context.h"
#include "ntlm/ntlm_crypto.h"
#include "ntlm/session_security.h"
#include "store/user_store.h"

namespace ocs::ntlm {

// ServerNames go into the CHALLENGE's TargetName and TargetInfo (MS-NLMP 3.2.5.1.1) and the
// client's Workstation field. From OPENCREDSSP_NTLM_COMPUTER / OPENCREDSSP_NTLM_DOMAIN /
// OPENCREDSSP_NTLM_DNS_DOMAIN when set, else from gethostname(): NetBIOS computer name = the
// first label upper-cased (at most 15 characters), NetBIOS domain = the computer name (a
// stand-alone server, TARGET_TYPE_SERVER), DNS computer name = the host name.
struct ServerNames {
  std::u16string nb_computer;
  std::u16string nb_domain;
  std::u16string dns_computer;
  std::u16string dns_domain;  // empty: no MsvAvDnsDomainName
};
ServerNames LocalServerNames();

class NtlmCredential : public Credential {
 public:
  // `identity` is the client identity (OUTBOUND); `store` serves INBOUND contexts.
  NtlmCredential(ULONG use, std::optional<AuthIdentity> identity, SecretBytes nt_hash,
                 std::shared_ptr<store::UserStore> store);

  PackageId package() const override { return PackageId::kNtlm; }
  ULONG use() const override { return use_; }
  SECURITY_STATUS NewContext(Role role, std::unique_ptr<Context>* out) override;
  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) override;
  // SetAttribute (include/opencredssp/store.h): OCS_ATTR_USER_FILE (= WinPR's
  // SECPKG_ATTR_AUTH_NTLM_SAM_FILE, a NUL-terminated "[sam:|ntlm:]path", UTF-8 or UTF-16 for
  // the W entry point), OCS_ATTR_ADD_USER (OCS_USER_ENTRY_W/A into the credential's own
  // in-memory store) and OCS_ATTR_USER_LOOKUP (an embedder callback). Contexts of this
  // credential see the change at their next AUTHENTICATE.
  SECURITY_STATUS SetAttribute(ULONG attr, const void* buf, ULONG len, CharWidth width) override;

  const std::optional<AuthIdentity>& identity() const { return identity_; }
  const SecretBytes& nt_hash() const { return nt_hash_; }
  std::shared_ptr<store::UserStore> user_store() const;
  void set_user_store(std::shared_ptr<store::UserStore> s);

 private:
  const ULONG use_;
  const std::optional<AuthIdentity> identity_;
  const SecretBytes nt_hash_;
  mutable std::mutex mu_;
  std::shared_ptr<store::UserStore> store_;
  std::shared_ptr<store::MemoryStore> own_users_;  // created by the first OCS_ATTR_ADD_USER
};

// NewNtlmServerCredential is the embedder's way to run a server on its own store without the
// ABI (tests, SPNEGO/CredSSP inner contexts).
std::shared_ptr<NtlmCredential> NewNtlmServerCredential(std::shared_ptr<store::UserStore> s);
// NewNtlmClientCredential builds an OUTBOUND credential from an identity (password hashed here).
SECURITY_STATUS NewNtlmClientCredential(AuthIdentity identity,
                                        std::shared_ptr<NtlmCredential>* out);

// PathFromAttribute decodes a SECPKG_ATTR_AUTH_NTLM_SAM_FILE buffer (bounded by `len`).
bool PathFromAttribute(const void* buf, ULONG len, CharWidth width, std::string* out);

// WinPR's NTLM attributes (winpr/sspi.h "Custom API"), same numbers and layouts.
constexpr ULONG kAttrAuthIdentity = 1001;  // Query: SecPkgContext_AuthIdentity
constexpr ULONG kAttrAuthNtlmHash = 1003;  // Set (server): SecPkgContext_AuthNtlmHash
struct WinprAuthIdentity {
  char User[256 + 1];
  char Domain[256 + 1];
};
struct WinprAuthNtlmHash {
  int Version;  // 1: NT hash (MD4 of the password), 2: NTOWFv2
  unsigned char NtlmHash[16];
};

// TestHooks make contexts deterministic for known-answer tests. Never set in production.
struct TestHooks {
  std::optional<Challenge8> server_challenge;
  bool check_timestamp = true;
};

class NtlmContextImpl : public NtlmContext {
 public:
  NtlmContextImpl(Role role, std::shared_ptr<NtlmCredential> cred);
  ~NtlmContextImpl() override = default;

  SECURITY_STATUS Step(const StepIn& in, StepOut* out) override;
  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) override;
  SECURITY_STATUS SetAttribute(ULONG attr, const void* buf, ULONG len, CharWidth width) override;
  SECURITY_STATUS MakeSignature(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) override;
  SECURITY_STATUS VerifySignature(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) override;
  SECURITY_STATUS Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) override;
  SECURITY_STATUS Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) override;
  SECURITY_STATUS Impersonate() override;
  SECURITY_STATUS Revert() override;
  bool IsComplete() const override { return state_ == State::kDone; }

  bool KeysReady() const override { return state_ == State::kDone && sec_.ready(); }
  bool MicPresent() const override { return mic_present_; }
  SECURITY_STATUS SignNext(ByteSpan data, std::array<std::byte, 16>* out_sig) override;
  SECURITY_STATUS VerifyNext(ByteSpan data, ByteSpan sig) override;
  void ResetRc4(Direction d) override;
  std::u16string UserName() const override { return user_; }
  std::u16string DomainName() const override { return domain_; }

  void set_test_hooks(const TestHooks& h) { hooks_ = h; }
  // negotiated_flags: the NegotiateFlags both sides settled on (valid once complete).
  uint32_t negotiated_flags() const { return flags_; }
  bool anonymous() const { return anonymous_; }
  // target_name: client: the SPN it put in MsvAvTargetName; server: the one it received.
  const std::u16string& target_name() const { return target_name_; }
  const SecretBytes& exported_session_key() const { return exported_key_; }

 private:
  enum class State { kInitial, kNegotiateSent, kChallengeSent, kDone, kFailed };

  SECURITY_STATUS ClientNegotiate(const StepIn& in, StepOut* out);
  SECURITY_STATUS ClientAuthenticate(const StepIn& in, StepOut* out);
  SECURITY_STATUS ServerChallenge(const StepIn& in, StepOut* out);
  SECURITY_STATUS ServerAuthenticate(const StepIn& in, StepOut* out);
  SECURITY_STATUS Finish(ByteSpan exported_key);
  ULONG RetFlags() const;
  std::u16string FullUserName() const;

  const Role role_;
  const std::shared_ptr<NtlmCredential> cred_;
  std::shared_ptr<store::UserStore> store_;  // server: set by attribute 1004, else credential's
  SecretBytes fixed_hash_;  // server: attribute 1003 (WinPR), used instead of a store lookup
  int fixed_hash_version_ = 0;
  State state_ = State::kInitial;
  TestHooks hooks_;
  ULONG req_flags_ = 0;
  uint32_t flags_ = 0;
  Bytes negotiate_;
  Bytes challenge_;
  Challenge8 server_challenge_{};
  SecretBytes exported_key_;
  SessionSecurity sec_;
  bool mic_present_ = false;
  bool anonymous_ = false;
  std::u16string user_;
  std::u16string domain_;
  std::u16string workstation_;
  std::u16string target_name_;  // client: the SPN asked for; server: MsvAvTargetName received
  ServerNames names_;
  Bytes channel_bindings_;  // the last SECBUFFER_CHANNEL_BINDINGS seen on any step
  LONGLONG start_time_ = 0;  // FILETIME when the context completed
};

}  // namespace ocs::ntlm
