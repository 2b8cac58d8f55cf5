// credssp_context.cpp - the CredSSP state machine (MS-CSSP 3.1.5) and the Schannel-style
// per-message functions after it. See credssp_context.h for the states.
// SPDX-License-Identifier: Apache-2.0
#include "credssp/credssp_context.h"

#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/context_buffer.h"
#include "core/log.h"
#include "core/package_info.h"
#include "crypto/crypto.h"
#include "ntlm/ntlm_context.h"
#include "spnego/negotiate_context.h"

namespace ocs::credssp {
namespace {

// NTSTATUS values (MS-ERREF 2.3) used in TSRequest.errorCode.
constexpr uint32_t kStatusLogonFailure = 0xC000006D;
constexpr uint32_t kStatusWrongPassword = 0xC000006A;
constexpr uint32_t kStatusNoSuchUser = 0xC0000064;
constexpr uint32_t kStatusAccountRestriction = 0xC000006E;
constexpr uint32_t kStatusAccessDenied = 0xC0000022;
constexpr uint32_t kStatusNotSupported = 0xC00000BB;
constexpr uint32_t kStatusInvalidParameter = 0xC000000D;
constexpr uint32_t kStatusAccountDisabled = 0xC0000072;
constexpr uint32_t kStatusAccountLockedOut = 0xC0000234;
constexpr uint32_t kStatusPasswordExpired = 0xC0000071;

// MS-CSSP 3.1.5 steps 3-5: the magic strings include their terminating NUL.
constexpr char kClientServerMagic[] = "CredSSP Client-To-Server Binding Hash";
constexpr char kServerClientMagic[] = "CredSSP Server-To-Client Binding Hash";

// ErrorCodeAllowed: MS-CSSP 2.2.1 and <12>: errorCode exists for versions 3, 4 and 6, not 2
// and not 5 (FreeRDP: peerVersion >= 3 && peerVersion != 5).
bool ErrorCodeAllowed(uint32_t v) { return v >= 3 && v != 5; }

// The inner context's flags, as Windows' tspkg asks them (credssp.md 6: ISC 0x132 / ASC 0x112
// plus integrity): confidentiality gives NTLM SEAL with KEY_EXCH.
constexpr ULONG kInnerIscFlags = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY |
                                 ISC_REQ_INTEGRITY | ISC_REQ_USE_SESSION_KEY |
                                 ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT;
constexpr ULONG kInnerAscFlags = ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY |
                                 ASC_REQ_INTEGRITY | ASC_REQ_SEQUENCE_DETECT |
                                 ASC_REQ_REPLAY_DETECT;

// Flags CredSSP cannot honour: it is a connection-oriented TLS stream.
constexpr ULONG kIscUnsupported = ISC_REQ_DATAGRAM | ISC_REQ_USE_DCE_STYLE |
                                  ISC_REQ_NULL_SESSION | ISC_REQ_PROMPT_FOR_CREDS;
constexpr ULONG kAscUnsupported = ASC_REQ_DATAGRAM | ASC_REQ_USE_DCE_STYLE |
                                  ASC_REQ_ALLOW_NULL_SESSION;

class CredSspContext final : public Context {
 public:
  CredSspContext(Role role, CredSspCredential::Snapshot snap, std::unique_ptr<tls::Connection> tls,
                 std::shared_ptr<Credential> keep_alive)
      : role_(role),
        snap_(std::move(snap)),
        tls_(std::move(tls)),
        keep_alive_(std::move(keep_alive)) {}
  ~CredSspContext() override {
    // Delegated secrets are SecretBytes (wiped by their destructors); the TLS plaintext not
    // yet parsed is wiped here.
    OPENSSL_cleanse(plain_.data(), plain_.size());
  }

  SECURITY_STATUS Step(const StepIn& in, StepOut* out) override;
  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) override;
  SECURITY_STATUS MakeSignature(ULONG, gsl::span<SecBuffer>, ULONG) override {
    return SEC_E_UNSUPPORTED_FUNCTION;  // sspi-abi.md 9.5: CredSSP does not sign
  }
  SECURITY_STATUS VerifySignature(gsl::span<SecBuffer>, ULONG, ULONG*) override {
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
  SECURITY_STATUS Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) override;
  SECURITY_STATUS Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) override;
  SECURITY_STATUS Impersonate() override {
    return IsComplete() && role_ == Role::kServer ? SEC_E_OK : SEC_E_NO_IMPERSONATION;
  }
  SECURITY_STATUS Revert() override { return Impersonate(); }
  bool IsComplete() const override { return state_ == State::kDone; }
  PackageId package() const override { return PackageId::kCredSsp; }

 private:
  enum class State {
    kTlsHandshake,
    kClientStart,
    kClientNego,
    kClientPubKey,
    kServerNego,
    kServerPubKey,
    kServerAuthInfo,
    kDone,
    kFailed,
  };
  // What a do_<state> function asks the driver to do next.
  enum class Next { kRunAgain, kWaitInput, kDone, kFail };

  // ---- states ----
  Next DoTlsHandshake();
  Next DoClientStart();
  Next DoClientNego();
  Next DoClientPubKey();
  Next DoServerNego();
  Next DoServerPubKey();
  Next DoServerAuthInfo();

  // ---- helpers ----
  Next Fail(SECURITY_STATUS st, const char* why);
  // FailWithErrorCode: server-side failure reported to a v3/v4/v6 client in errorCode
  // (MS-CSSP 3.1.5 step 2 / 4 notes), else the abort path (no token).
  Next FailWithErrorCode(SECURITY_STATUS st, uint32_t nt, const char* why);
  // ConsumeInput feeds whole TLS records from `in` until a TSRequest is complete.
  SECURITY_STATUS ConsumeInput(ByteSpan in, StepOut* out);
  // TakeRequest pops one complete TSRequest from the plaintext; false if none (yet).
  // A malformed one sets *bad.
  bool TakeRequest(TsRequest* out, bool* bad);
  // CheckPeerVersion records the peer's version on its first message and refuses a change
  // or a negotiated version below the minimum.
  Next CheckPeerVersion(const TsRequest& r);
  [[nodiscard]] bool Send(TsRequest r);
  [[nodiscard]] SECURITY_STATUS Wrap(ByteSpan plain, Bytes* out);
  [[nodiscard]] SECURITY_STATUS Unwrap(ByteSpan blob, SecretBytes* out);
  [[nodiscard]] bool InnerKeysReady() const;
  [[nodiscard]] SECURITY_STATUS StepInner(ByteSpan token, StepOut* inner_out);
  Bytes PublicKey() const;
  // PubKeyAuthPlain: what a side wraps (client) or expects (server for the client's; the
  // "server" direction is the reply).
  [[nodiscard]] bool ExpectedPubKey(HashDirection dir, ByteSpan nonce, Bytes* out) const;
  SECURITY_STATUS VerifyClientPubKeyAuth(const TsRequest& r);
  SECURITY_STATUS SendServerPubKeyAuth(std::optional<Bytes> final_token);
  SECURITY_STATUS SendClientPubKeyAuth(std::optional<Bytes> last_token);
  SECURITY_STATUS FillDelegatedCreds(void* buf) const;
  ULONG RetFlags() const;

  const Role role_;
  CredSspCredential::Snapshot snap_;
  std::unique_ptr<tls::Connection> tls_;
  std::shared_ptr<Credential> keep_alive_;
  State state_ = State::kTlsHandshake;
  SECURITY_STATUS fail_status_ = SEC_E_INTERNAL_ERROR;
  ULONG req_flags_ = 0;
  std::u16string target_;

  Bytes plain_;  // decrypted TLS application data not yet parsed
  std::unique_ptr<Context> inner_;
  bool inner_complete_ = false;
  uint32_t peer_version_ = 0;  // 0 = not seen yet
  uint32_t version_ = 0;       // negotiated: min(own, peer)
  Bytes nonce_;                // client: ours; server: the one sent with pubKeyAuth
  ULONG wrap_seq_ = 0;         // our Wrap count (MessageSeqNo passed to the inner package)
  ULONG unwrap_seq_ = 0;
  uint32_t peer_error_ = 0;
  bool started_ = false;       // a Step has run (the client's first one has no input)
  bool pubkey_sent_ = false;   // client: pubKeyAuth sent (flow A or B)
  bool have_creds_ = false;
  TsCredentials creds_;        // server: delegated credentials
};

// ---- driver ------------------------------------------------------------------------------

SECURITY_STATUS CredSspContext::Step(const StepIn& in, StepOut* out) {
  if (state_ == State::kFailed) return fail_status_;
  if (state_ == State::kDone) return SEC_E_OUT_OF_SEQUENCE;  // sspi-rs: nothing after Final
  if (!started_) {
    req_flags_ = in.req_flags;
    target_ = std::u16string(in.target_name);
    ULONG bad = role_ == Role::kClient ? kIscUnsupported : kAscUnsupported;
    if ((in.req_flags & bad) != 0) {
      (void)Fail(SEC_E_UNSUPPORTED_FUNCTION, "unsupported context request flags");
      return fail_status_;
    }
  }
  // The client's first call has no input; every other call needs some.
  const bool first_client_call = role_ == Role::kClient && !started_;
  started_ = true;
  if (!first_client_call) {
    if (in.token.empty()) return SEC_E_INVALID_TOKEN;
    SECURITY_STATUS st = ConsumeInput(in.token, out);
    if (st == SEC_E_INCOMPLETE_MESSAGE) return st;  // nothing consumed, state unchanged
    if (st != SEC_E_OK) {
      (void)Fail(st, "input refused");
      out->token.clear();
      tls_->TakeOutput(&out->token);  // a TLS alert, if OpenSSL produced one
      return fail_status_;
    }
  }

  for (;;) {
    Next n = Next::kFail;
    switch (state_) {
      case State::kTlsHandshake: n = DoTlsHandshake(); break;
      case State::kClientStart: n = DoClientStart(); break;
      case State::kClientNego: n = DoClientNego(); break;
      case State::kClientPubKey: n = DoClientPubKey(); break;
      case State::kServerNego: n = DoServerNego(); break;
      case State::kServerPubKey: n = DoServerPubKey(); break;
      case State::kServerAuthInfo: n = DoServerAuthInfo(); break;
      case State::kDone: n = Next::kDone; break;
      case State::kFailed: n = Next::kFail; break;
    }
    if (n == Next::kRunAgain) continue;
    tls_->TakeOutput(&out->token);
    out->ret_flags = RetFlags();
    if (n == Next::kWaitInput) {
      // Unparsed plaintext while we wait would be a peer speaking out of turn.
      if (!plain_.empty() && TsRequestSize(plain_) != 0 &&
          TsRequestSize(plain_) <= plain_.size()) {
        out->token.clear();
        (void)Fail(SEC_E_INVALID_TOKEN, "peer sent a TSRequest out of turn");
        return fail_status_;
      }
      return SEC_I_CONTINUE_NEEDED;
    }
    if (n == Next::kDone) {
      state_ = State::kDone;
      return SEC_E_OK;
    }
    // kFail: the token (if any) is the errorCode TSRequest or a TLS alert.
    return fail_status_;
  }
}

SECURITY_STATUS CredSspContext::ConsumeInput(ByteSpan in, StepOut* out) {
  size_t off = 0;
  while (off < in.size()) {
    // Stop at a complete TSRequest: what follows belongs to the next step or to the
    // application (SECBUFFER_EXTRA).
    size_t need = TsRequestSize(plain_);
    if (need == SIZE_MAX) return SEC_E_INVALID_TOKEN;
    if (need != 0 && plain_.size() >= need) break;
    if (state_ == State::kDone || state_ == State::kFailed) break;

    tls::RecordScan scan = tls::ScanFirstRecord(in.subspan(off));
    if (scan.malformed) return SEC_E_INVALID_TOKEN;
    if (scan.first_len == 0) {
      if (off == 0) {
        // Schannel: the caller keeps the bytes and adds the SECBUFFER_MISSING count.
        out->missing = static_cast<ULONG>(scan.missing);
        return SEC_E_INCOMPLETE_MESSAGE;
      }
      break;  // a partial record after whole ones: handed back as SECBUFFER_EXTRA
    }
    tls_->Feed(in.subspan(off, scan.first_len));
    off += scan.first_len;
    if (!tls_->HandshakeDone()) {
      tls::Status hs = tls_->Handshake();
      if (hs == tls::Status::kError) {
        OCS_LOG(kInfo, "credssp: TLS handshake failed: %s", tls_->LastError().c_str());
        return SEC_E_ILLEGAL_MESSAGE;
      }
      if (!tls_->HandshakeDone()) continue;
    }
    tls::Status rs = tls_->Read(&plain_);
    if (rs == tls::Status::kError) return SEC_E_MESSAGE_ALTERED;
    if (rs == tls::Status::kClosed) return SEC_E_CONTEXT_EXPIRED;
    if (plain_.size() > kMaxTsRequest) return SEC_E_INVALID_TOKEN;
  }
  out->extra = static_cast<ULONG>(in.size() - off);
  return SEC_E_OK;
}

bool CredSspContext::TakeRequest(TsRequest* out, bool* bad) {
  *bad = false;
  size_t need = TsRequestSize(plain_);
  if (need == SIZE_MAX) {
    *bad = true;
    return false;
  }
  if (need == 0 || plain_.size() < need) return false;
  // credssp.md 3: one TSRequest per turn; bytes beyond it in the same records are refused.
  if (plain_.size() != need || !DecodeTsRequest(plain_, out)) {
    *bad = true;
    return false;
  }
  OPENSSL_cleanse(plain_.data(), plain_.size());
  plain_.clear();
  return true;
}

CredSspContext::Next CredSspContext::Fail(SECURITY_STATUS st, const char* why) {
  OCS_LOG(kInfo, "credssp: %s: %s (0x%08x)", role_ == Role::kClient ? "client" : "server", why,
          static_cast<unsigned>(st));
  fail_status_ = st;
  state_ = State::kFailed;
  return Next::kFail;
}

CredSspContext::Next CredSspContext::FailWithErrorCode(SECURITY_STATUS st, uint32_t nt,
                                                       const char* why) {
  if (role_ == Role::kServer && ErrorCodeAllowed(version_)) {
    TsRequest r;
    r.version = snap_.settings.version;
    r.error_code = nt;
    if (!Send(std::move(r))) return Fail(SEC_E_INTERNAL_ERROR, "cannot send errorCode");
  }
  return Fail(st, why);
}

bool CredSspContext::Send(TsRequest r) {
  Bytes der = EncodeTsRequest(r);
  // credssp.md 3 / MS-CSSP <8>: one TSRequest, one TLS write (one record up to 16 KiB).
  bool ok = tls_->Write(der);
  OPENSSL_cleanse(der.data(), der.size());
  return ok;
}

CredSspContext::Next CredSspContext::CheckPeerVersion(const TsRequest& r) {
  if (peer_version_ == 0) {
    peer_version_ = r.version;
    // MS-CSSP 2.2.1: each side sends its own version; both behave by the smaller.
    version_ = std::min(snap_.settings.version, r.version);
    OCS_LOG(kDebug, "credssp: peer version %u, negotiated %u", peer_version_, version_);
    if (version_ < snap_.settings.min_version) {
      // MS-CSSP 3.1.5 step 4 note: STATUS_NOT_SUPPORTED; credssp.md 7 client/server item 1.
      return FailWithErrorCode(SEC_E_UNSUPPORTED_FUNCTION, kStatusNotSupported,
                               "peer CredSSP version below the accepted minimum");
    }
    return Next::kRunAgain;
  }
  if (r.version != peer_version_) {
    // FreeRDP ("peer suddenly changed its version") and sspi-rs abort.
    return Fail(SEC_E_INVALID_TOKEN, "peer changed its CredSSP version");
  }
  return Next::kRunAgain;
}

bool CredSspContext::InnerKeysReady() const {
  if (inner_ == nullptr) return false;
  // package() tells the concrete type; static_cast and the inline accessors keep this module
  // free of link-time references into the inner modules (they are weak, see
  // credssp_package.cpp). For SPNEGO, the client's own mechListMIC is made in the same Step
  // as AUTHENTICATE, so the NTLM keys being ready is SPNEGO's KeysReady (negotiate_context.h).
  switch (inner_->package()) {
    case PackageId::kNegotiate: {
      const auto* n = static_cast<const spnego::NegotiateContext*>(inner_.get());
      return n->Mech() != nullptr && n->Mech()->KeysReady();
    }
    case PackageId::kNtlm:
      return static_cast<const ntlm::NtlmContext*>(inner_.get())->KeysReady();
    default:
      return inner_->IsComplete();
  }
}

SECURITY_STATUS CredSspContext::StepInner(ByteSpan token, StepOut* inner_out) {
  if (inner_ == nullptr) {
    SECURITY_STATUS st = snap_.inner->NewContext(role_, &inner_);
    if (st != SEC_E_OK) return st;
  }
  StepIn in;
  in.token = token;
  in.req_flags = role_ == Role::kClient ? kInnerIscFlags : kInnerAscFlags;
  in.target_name = target_;
  SECURITY_STATUS st = inner_->Step(in, inner_out);
  if (st == SEC_E_OK) inner_complete_ = true;
  return st;
}

SECURITY_STATUS CredSspContext::Wrap(ByteSpan plain, Bytes* out) {
  // MS-CSSP 2.2.1 / credssp.md 6: EncryptMessage({TOKEN cbSecurityTrailer, DATA}); the wire
  // value is the signature followed by the ciphertext.
  SecPkgContext_Sizes sizes{};
  if (inner_->QueryAttribute(SECPKG_ATTR_SIZES, &sizes, CharWidth::kWide) != SEC_E_OK ||
      sizes.cbSecurityTrailer == 0 || sizes.cbSecurityTrailer > 1024) {
    sizes.cbSecurityTrailer = 16;
  }
  SecretBytes data(plain);
  Bytes sig(sizes.cbSecurityTrailer);
  std::array<SecBuffer, 2> bufs{};
  bufs[0] = {static_cast<ULONG>(sig.size()), SECBUFFER_TOKEN, sig.data()};
  bufs[1] = {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()};
  SECURITY_STATUS st = inner_->Encrypt(0, bufs, wrap_seq_);
  if (st != SEC_E_OK) return st;
  ++wrap_seq_;
  out->assign(sig.begin(), sig.begin() + bufs[0].cbBuffer);
  out->insert(out->end(), data.data(), data.data() + data.size());
  return SEC_E_OK;
}

SECURITY_STATUS CredSspContext::Unwrap(ByteSpan blob, SecretBytes* out) {
  // NTLM's signature is 16 bytes (sspi-rs decrypt_message: SIGNATURE_SIZE).
  constexpr size_t kSig = 16;
  if (blob.size() <= kSig) return SEC_E_INVALID_TOKEN;
  Bytes sig(blob.begin(), blob.begin() + kSig);
  SecretBytes data(blob.subspan(kSig));
  std::array<SecBuffer, 2> bufs{};
  bufs[0] = {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()};
  bufs[1] = {static_cast<ULONG>(sig.size()), SECBUFFER_TOKEN, sig.data()};
  ULONG qop = 0;
  SECURITY_STATUS st = inner_->Decrypt(bufs, unwrap_seq_, &qop);
  if (st != SEC_E_OK) return st;
  ++unwrap_seq_;
  *out = std::move(data);
  return SEC_E_OK;
}

Bytes CredSspContext::PublicKey() const {
  // credssp.md 5.4: the client binds the key of this TLS session's peer, the server its own.
  return tls::SubjectPublicKey(role_ == Role::kClient ? tls_->PeerCertificate()
                                                      : tls_->OwnCertificate());
}

bool CredSspContext::ExpectedPubKey(HashDirection dir, ByteSpan nonce, Bytes* out) const {
  Bytes pk = PublicKey();
  if (pk.empty()) return false;
  // The negotiated version decides (not whether a nonce is present): MS-CSSP 3.1.5 step 3.
  if (version_ >= 5) return BindingHash(dir, nonce, pk, out);
  if (dir == HashDirection::kServerToClient) IncrementLe(&pk);  // MS-CSSP 3.1.5 step 4
  *out = std::move(pk);
  return true;
}

ULONG CredSspContext::RetFlags() const {
  ULONG f = 0;
  const ULONG r = req_flags_;
  if (role_ == Role::kClient) {
    f |= ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY | ISC_RET_REPLAY_DETECT |
         ISC_RET_SEQUENCE_DETECT | ISC_RET_STREAM | ISC_RET_CONNECTION;
    if (r & ISC_REQ_DELEGATE) f |= ISC_RET_DELEGATE;
    if (r & ISC_REQ_MUTUAL_AUTH) f |= ISC_RET_MUTUAL_AUTH;
    if (r & ISC_REQ_MANUAL_CRED_VALIDATION) f |= ISC_RET_MANUAL_CRED_VALIDATION;
    if (r & ISC_REQ_EXTENDED_ERROR) f |= ISC_RET_EXTENDED_ERROR;
    if (r & ISC_REQ_USE_SUPPLIED_CREDS) f |= ISC_RET_USED_SUPPLIED_CREDS;
  } else {
    f |= ASC_RET_CONFIDENTIALITY | ASC_RET_INTEGRITY | ASC_RET_REPLAY_DETECT |
         ASC_RET_SEQUENCE_DETECT | ASC_RET_STREAM | ASC_RET_CONNECTION;
    if (r & ASC_REQ_DELEGATE) f |= ASC_RET_DELEGATE;
    if (r & ASC_REQ_MUTUAL_AUTH) f |= ASC_RET_MUTUAL_AUTH;
    if (r & ASC_REQ_EXTENDED_ERROR) f |= ASC_RET_EXTENDED_ERROR;
  }
  return f;
}

// ---- states ------------------------------------------------------------------------------

CredSspContext::Next CredSspContext::DoTlsHandshake() {
  tls::Status hs = tls_->Handshake();
  if (hs == tls::Status::kError) return Fail(SEC_E_ILLEGAL_MESSAGE, "TLS handshake failed");
  if (!tls_->HandshakeDone()) return Next::kWaitInput;
  state_ = role_ == Role::kClient ? State::kClientStart : State::kServerNego;
  return Next::kRunAgain;
}

CredSspContext::Next CredSspContext::DoClientStart() {
  nonce_.assign(kNonceSize, std::byte{0});
  if (!crypto::RandomBytes(nonce_)) return Fail(SEC_E_INTERNAL_ERROR, "no randomness");
  StepOut io;
  SECURITY_STATUS st = StepInner({}, &io);
  if (st != SEC_I_CONTINUE_NEEDED || io.token.empty()) {
    return Fail(Succeeded(st) ? SEC_E_INTERNAL_ERROR : st, "inner authenticator did not start");
  }
  TsRequest r;
  r.version = snap_.settings.version;
  r.nego_tokens.push_back(std::move(io.token));
  // As FreeRDP and sspi-rs, the nonce rides along from the first message when we speak 5+.
  if (snap_.settings.version >= 5 && !snap_.settings.Test(OCS_CREDSSP_F_TEST_OMIT_NONCE)) {
    r.client_nonce = nonce_;
  }
  if (!Send(std::move(r))) return Fail(SEC_E_INTERNAL_ERROR, "TLS write failed");
  state_ = State::kClientNego;
  return Next::kWaitInput;
}

SECURITY_STATUS CredSspContext::SendClientPubKeyAuth(std::optional<Bytes> last_token) {
  Bytes expected;
  if (!ExpectedPubKey(HashDirection::kClientToServer, nonce_, &expected)) return SEC_E_INTERNAL_ERROR;
  TsRequest r;
  r.version = snap_.settings.version;
  if (last_token) r.nego_tokens.push_back(std::move(*last_token));
  Bytes wrapped;
  SECURITY_STATUS st = Wrap(expected, &wrapped);
  if (st != SEC_E_OK) return st;
  if (snap_.settings.Test(OCS_CREDSSP_F_TEST_TAMPER_PUBKEYAUTH)) wrapped.back() ^= std::byte{1};
  r.pub_key_auth = std::move(wrapped);
  if (version_ >= 5 && !snap_.settings.Test(OCS_CREDSSP_F_TEST_OMIT_NONCE)) r.client_nonce = nonce_;
  if (!Send(std::move(r))) return SEC_E_INTERNAL_ERROR;
  pubkey_sent_ = true;
  return SEC_E_OK;
}

CredSspContext::Next CredSspContext::DoClientNego() {
  TsRequest r;
  bool bad = false;
  if (!TakeRequest(&r, &bad)) {
    return bad ? Fail(SEC_E_INVALID_TOKEN, "malformed TSRequest") : Next::kWaitInput;
  }
  if (r.error_code) {
    // MS-CSSP 3.1.5 step 2 note: a client receiving errorCode fails at once with it.
    peer_error_ = *r.error_code;
    if (peer_version_ == 0) peer_version_ = r.version;
    return Fail(NtStatusToSecurityStatus(*r.error_code), "server reported errorCode");
  }
  if (Next n = CheckPeerVersion(r); n != Next::kRunAgain) return n;
  // credssp.md 7 client item 8: nothing but negoTokens belongs in this phase.
  if (r.auth_info || r.pub_key_auth || r.nego_tokens.empty()) {
    return Fail(SEC_E_INVALID_TOKEN, "unexpected fields during the inner exchange");
  }
  StepOut io;
  SECURITY_STATUS st = StepInner(r.nego_tokens[0], &io);
  if (!Succeeded(st)) return Fail(st, "inner authenticator refused the server's token");
  if (!InnerKeysReady()) {
    if (st != SEC_I_CONTINUE_NEEDED || io.token.empty()) {
      return Fail(SEC_E_INTERNAL_ERROR, "inner authenticator stalled");
    }
    TsRequest next;
    next.version = snap_.settings.version;
    next.nego_tokens.push_back(std::move(io.token));
    if (snap_.settings.version >= 5 && !snap_.settings.Test(OCS_CREDSSP_F_TEST_OMIT_NONCE)) {
      next.client_nonce = nonce_;
    }
    if (!Send(std::move(next))) return Fail(SEC_E_INTERNAL_ERROR, "TLS write failed");
    return Next::kWaitInput;
  }
  // The inner keys exist: this is our last inner token (AUTHENTICATE).
  std::optional<Bytes> last;
  if (!io.token.empty()) last = std::move(io.token);
  const bool late = (snap_.settings.flags & OCS_CREDSSP_F_LATE_PUBKEYAUTH) != 0 && !inner_complete_;
  if (late) {
    // Flow B (credssp.md 4.4): the last token alone; pubKeyAuth once the server's final
    // SPNEGO token has completed the inner context.
    if (!last) return Fail(SEC_E_INTERNAL_ERROR, "no token for flow B");
    TsRequest next;
    next.version = snap_.settings.version;
    next.nego_tokens.push_back(std::move(*last));
    if (version_ >= 5 && !snap_.settings.Test(OCS_CREDSSP_F_TEST_OMIT_NONCE)) next.client_nonce = nonce_;
    if (!Send(std::move(next))) return Fail(SEC_E_INTERNAL_ERROR, "TLS write failed");
    state_ = State::kClientPubKey;
    return Next::kWaitInput;
  }
  // Flow A (MS-CSSP 3.1.5 step 2 note): last token and pubKeyAuth in one TSRequest.
  st = SendClientPubKeyAuth(std::move(last));
  if (st != SEC_E_OK) return Fail(st, "cannot wrap pubKeyAuth");
  state_ = State::kClientPubKey;
  return Next::kWaitInput;
}

CredSspContext::Next CredSspContext::DoClientPubKey() {
  TsRequest r;
  bool bad = false;
  if (!TakeRequest(&r, &bad)) {
    return bad ? Fail(SEC_E_INVALID_TOKEN, "malformed TSRequest") : Next::kWaitInput;
  }
  if (r.error_code) {
    peer_error_ = *r.error_code;
    return Fail(NtStatusToSecurityStatus(*r.error_code), "server reported errorCode");
  }
  if (Next n = CheckPeerVersion(r); n != Next::kRunAgain) return n;
  if (r.auth_info) return Fail(SEC_E_INVALID_TOKEN, "authInfo from the server");
  if (!r.nego_tokens.empty()) {
    // credssp.md 4.1 step 4: Windows may put the final SPNEGO token (mechListMIC) here.
    if (inner_complete_) return Fail(SEC_E_INVALID_TOKEN, "inner token after completion");
    StepOut io;
    SECURITY_STATUS st = StepInner(r.nego_tokens[0], &io);
    if (st != SEC_E_OK || !io.token.empty()) {
      return Fail(Succeeded(st) ? SEC_E_INVALID_TOKEN : st, "inner final token refused");
    }
  }
  if (!inner_complete_) return Fail(SEC_E_INVALID_TOKEN, "inner authentication not complete");
  if (!pubkey_sent_) {
    // Flow B: the inner context is complete now; send pubKeyAuth and wait for the server's.
    if (r.pub_key_auth) return Fail(SEC_E_INVALID_TOKEN, "server pubKeyAuth before ours");
    SECURITY_STATUS st = SendClientPubKeyAuth(std::nullopt);
    if (st != SEC_E_OK) return Fail(st, "cannot wrap pubKeyAuth");
    return Next::kWaitInput;
  }
  if (!r.pub_key_auth) return Fail(SEC_E_INVALID_TOKEN, "server sent no pubKeyAuth");

  // credssp.md 7 client item 4 (CVE-2018-0886 class): verify the server's binding before any
  // credential leaves this machine.
  SecretBytes got;
  SECURITY_STATUS st = Unwrap(*r.pub_key_auth, &got);
  if (st != SEC_E_OK) return Fail(SEC_E_MESSAGE_ALTERED, "server pubKeyAuth does not unwrap");
  Bytes expected;
  if (!ExpectedPubKey(HashDirection::kServerToClient, nonce_, &expected)) {
    return Fail(SEC_E_INTERNAL_ERROR, "no server public key");
  }
  if (!ConstantTimeEqual(got.span(), expected)) {
    return Fail(SEC_E_MUTUAL_AUTH_FAILED,
                "server pubKeyAuth does not bind this TLS key: not sending credentials");
  }

  // MS-CSSP 3.1.5 step 5: authInfo = Wrap(TSCredentials). Without ISC_REQ_DELEGATE an empty
  // credential set is delegated (sspi-abi.md 9.2), the Restricted Admin form.
  TsCredentials c;
  c.cred_type = kPassword;
  if ((req_flags_ & ISC_REQ_DELEGATE) != 0 && snap_.client_identity) {
    auto to_le = [](const std::u16string& s) {
      SecretBytes b(s.size() * 2);
      for (size_t i = 0; i < s.size(); ++i) {
        b.data()[2 * i] = std::byte(s[i] & 0xff);
        b.data()[2 * i + 1] = std::byte(s[i] >> 8);
      }
      return b;
    };
    c.password.domain = to_le(snap_.client_identity->domain);
    c.password.user = to_le(snap_.client_identity->user);
    c.password.password = to_le(snap_.client_identity->password.str());
  }
  SecretBytes der = EncodeTsCredentials(c);
  TsRequest out;
  out.version = snap_.settings.version;
  Bytes wrapped;
  st = Wrap(der.span(), &wrapped);
  if (st != SEC_E_OK) return Fail(st, "cannot wrap authInfo");
  if (snap_.settings.Test(OCS_CREDSSP_F_TEST_TAMPER_AUTHINFO)) wrapped.back() ^= std::byte{1};
  out.auth_info = std::move(wrapped);
  if (!Send(std::move(out))) return Fail(SEC_E_INTERNAL_ERROR, "TLS write failed");
  return Next::kDone;
}

SECURITY_STATUS CredSspContext::VerifyClientPubKeyAuth(const TsRequest& r) {
  if (version_ >= 5) {
    // credssp.md 7 server item 2: v5+ without a 32-byte nonce is refused; hash with the
    // nonce carried by this message.
    if (!r.client_nonce) return SEC_E_INVALID_TOKEN;
    nonce_ = *r.client_nonce;
  }
  SecretBytes got;
  SECURITY_STATUS st = Unwrap(*r.pub_key_auth, &got);
  if (st != SEC_E_OK) return SEC_E_MESSAGE_ALTERED;
  if (snap_.settings.Test(OCS_CREDSSP_F_TEST_SKIP_PUBKEY_CHECK)) return SEC_E_OK;
  Bytes expected;
  if (!ExpectedPubKey(HashDirection::kClientToServer, nonce_, &expected)) return SEC_E_INTERNAL_ERROR;
  // A man in the middle: the client bound the key of the TLS server it talked to, not ours.
  if (!ConstantTimeEqual(got.span(), expected)) return SEC_E_MUTUAL_AUTH_FAILED;
  return SEC_E_OK;
}

SECURITY_STATUS CredSspContext::SendServerPubKeyAuth(std::optional<Bytes> final_token) {
  Bytes reply;
  if (!ExpectedPubKey(HashDirection::kServerToClient, nonce_, &reply)) return SEC_E_INTERNAL_ERROR;
  TsRequest r;
  r.version = snap_.settings.version;
  if (final_token) r.nego_tokens.push_back(std::move(*final_token));
  Bytes wrapped;
  SECURITY_STATUS st = Wrap(reply, &wrapped);
  if (st != SEC_E_OK) return st;
  if (snap_.settings.Test(OCS_CREDSSP_F_TEST_TAMPER_PUBKEYAUTH)) wrapped.back() ^= std::byte{1};
  r.pub_key_auth = std::move(wrapped);
  return Send(std::move(r)) ? SEC_E_OK : SEC_E_INTERNAL_ERROR;
}

CredSspContext::Next CredSspContext::DoServerNego() {
  TsRequest r;
  bool bad = false;
  if (!TakeRequest(&r, &bad)) {
    return bad ? Fail(SEC_E_INVALID_TOKEN, "malformed TSRequest") : Next::kWaitInput;
  }
  if (Next n = CheckPeerVersion(r); n != Next::kRunAgain) return n;
  if (r.error_code || r.auth_info || r.nego_tokens.empty()) {
    return Fail(SEC_E_INVALID_TOKEN, "unexpected fields during the inner exchange");
  }
  StepOut io;
  SECURITY_STATUS st = StepInner(r.nego_tokens[0], &io);
  if (!Succeeded(st)) {
    return FailWithErrorCode(st, SecurityStatusToNtStatus(st), "inner authentication failed");
  }
  if (st == SEC_I_CONTINUE_NEEDED) {
    if (r.pub_key_auth) return Fail(SEC_E_INVALID_TOKEN, "pubKeyAuth before the last token");
    TsRequest next;
    next.version = snap_.settings.version;
    next.nego_tokens.push_back(std::move(io.token));
    if (!Send(std::move(next))) return Fail(SEC_E_INTERNAL_ERROR, "TLS write failed");
    return Next::kWaitInput;
  }
  // Inner authentication complete (SEC_E_OK).
  std::optional<Bytes> final_token;
  if (!io.token.empty()) final_token = std::move(io.token);
  if (!r.pub_key_auth) {
    // Flow B (credssp.md 4.4): the client sends pubKeyAuth in its next message.
    TsRequest next;
    next.version = snap_.settings.version;
    if (final_token) next.nego_tokens.push_back(std::move(*final_token));
    if (!Send(std::move(next))) return Fail(SEC_E_INTERNAL_ERROR, "TLS write failed");
    state_ = State::kServerPubKey;
    return Next::kWaitInput;
  }
  st = VerifyClientPubKeyAuth(r);
  if (st != SEC_E_OK) return Fail(st, "client pubKeyAuth refused");
  st = SendServerPubKeyAuth(std::move(final_token));
  if (st != SEC_E_OK) return Fail(st, "cannot wrap pubKeyAuth");
  state_ = State::kServerAuthInfo;
  return Next::kWaitInput;
}

CredSspContext::Next CredSspContext::DoServerPubKey() {
  TsRequest r;
  bool bad = false;
  if (!TakeRequest(&r, &bad)) {
    return bad ? Fail(SEC_E_INVALID_TOKEN, "malformed TSRequest") : Next::kWaitInput;
  }
  if (Next n = CheckPeerVersion(r); n != Next::kRunAgain) return n;
  if (r.error_code || r.auth_info || !r.nego_tokens.empty() || !r.pub_key_auth) {
    return Fail(SEC_E_INVALID_TOKEN, "expected pubKeyAuth only");
  }
  SECURITY_STATUS st = VerifyClientPubKeyAuth(r);
  if (st != SEC_E_OK) return Fail(st, "client pubKeyAuth refused");
  st = SendServerPubKeyAuth(std::nullopt);
  if (st != SEC_E_OK) return Fail(st, "cannot wrap pubKeyAuth");
  state_ = State::kServerAuthInfo;
  return Next::kWaitInput;
}

CredSspContext::Next CredSspContext::DoServerAuthInfo() {
  TsRequest r;
  bool bad = false;
  if (!TakeRequest(&r, &bad)) {
    return bad ? Fail(SEC_E_INVALID_TOKEN, "malformed TSRequest") : Next::kWaitInput;
  }
  if (Next n = CheckPeerVersion(r); n != Next::kRunAgain) return n;
  if (r.error_code || r.pub_key_auth || !r.nego_tokens.empty() || !r.auth_info) {
    return Fail(SEC_E_INVALID_TOKEN, "expected authInfo only");
  }
  SecretBytes der;
  SECURITY_STATUS st = Unwrap(*r.auth_info, &der);
  if (st != SEC_E_OK) return Fail(SEC_E_MESSAGE_ALTERED, "authInfo does not unwrap");
  // credssp.md 7 server item 6: exactly one TSCredentials of a known type.
  if (!DecodeTsCredentials(der.span(), &creds_)) return Fail(SEC_E_INVALID_TOKEN, "bad TSCredentials");
  have_creds_ = true;
  return Next::kDone;
}

// ---- per-message (Schannel stream conventions, sspi-abi.md 9.5) ---------------------------

SecBuffer* FindType(gsl::span<SecBuffer> msg, ULONG type) {
  for (SecBuffer& b : msg) {
    if ((b.BufferType & ~SECBUFFER_ATTRMASK) == type) return &b;
  }
  return nullptr;
}

SECURITY_STATUS CredSspContext::Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) {
  (void)seq;  // TLS keeps its own record sequence numbers
  if (!IsComplete()) return SEC_E_CONTEXT_EXPIRED;
  if (qop != 0) return SEC_E_QOP_NOT_SUPPORTED;
  SecBuffer* header = FindType(msg, SECBUFFER_STREAM_HEADER);
  SecBuffer* data = FindType(msg, SECBUFFER_DATA);
  SecBuffer* trailer = FindType(msg, SECBUFFER_STREAM_TRAILER);
  if (data == nullptr || header == nullptr || trailer == nullptr) return SEC_E_INVALID_TOKEN;
  if (data->cbBuffer == 0 || data->cbBuffer > tls::Connection::kMaxRecordPlaintext) {
    return SEC_E_INVALID_PARAMETER;
  }
  const size_t h = tls_->RecordHeaderSize();
  const size_t t = tls_->RecordTrailerSize();
  if (header->cbBuffer < h || trailer->cbBuffer < t) return SEC_E_BUFFER_TOO_SMALL;
  if (header->pvBuffer == nullptr || trailer->pvBuffer == nullptr || data->pvBuffer == nullptr) {
    return SEC_E_INVALID_TOKEN;
  }
  if (!tls_->Write(AsBytes(data->pvBuffer, data->cbBuffer))) {
    state_ = State::kFailed;
    return SEC_E_INTERNAL_ERROR;
  }
  Bytes rec;
  tls_->TakeOutput(&rec);
  const size_t n = data->cbBuffer;
  if (rec.size() != h + n + t) return SEC_E_INTERNAL_ERROR;  // one record, as promised
  std::memcpy(header->pvBuffer, rec.data(), h);
  std::memcpy(data->pvBuffer, rec.data() + h, n);
  std::memcpy(trailer->pvBuffer, rec.data() + h + n, t);
  header->cbBuffer = static_cast<ULONG>(h);
  trailer->cbBuffer = static_cast<ULONG>(t);
  return SEC_E_OK;
}

SECURITY_STATUS CredSspContext::Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) {
  (void)seq;
  if (qop != nullptr) *qop = 0;
  if (!IsComplete()) return SEC_E_CONTEXT_EXPIRED;
  // Schannel: four buffers, one SECBUFFER_DATA with the ciphertext, the others EMPTY.
  if (msg.size() < 4) return SEC_E_INVALID_TOKEN;
  SecBuffer* data = FindType(msg, SECBUFFER_DATA);
  if (data == nullptr || data->pvBuffer == nullptr) return SEC_E_INVALID_TOKEN;
  auto* base = static_cast<std::byte*>(data->pvBuffer);
  const size_t total = data->cbBuffer;
  ByteSpan in(base, total);
  tls::RecordScan scan = tls::ScanFirstRecord(in);
  if (scan.malformed) return SEC_E_INVALID_TOKEN;
  if (scan.first_len == 0) {
    // sspi-abi.md 9.5: SEC_E_INCOMPLETE_MESSAGE with the missing count in a SECBUFFER_MISSING
    // (we use the first EMPTY buffer and leave the DATA buffer as it was).
    if (SecBuffer* e = FindType(msg, SECBUFFER_EMPTY); e != nullptr) {
      e->BufferType = SECBUFFER_MISSING;
      e->cbBuffer = static_cast<ULONG>(scan.missing);
      e->pvBuffer = nullptr;
    }
    return SEC_E_INCOMPLETE_MESSAGE;
  }
  tls_->Feed(in.first(scan.first_len));
  Bytes plain;
  tls::Status st = tls_->Read(&plain);
  if (st == tls::Status::kError) {
    state_ = State::kFailed;
    fail_status_ = SEC_E_MESSAGE_ALTERED;
    return SEC_E_MESSAGE_ALTERED;
  }
  const size_t rec_len = scan.first_len;
  const size_t h = std::min(tls_->RecordHeaderSize(), rec_len);
  if (plain.size() > rec_len - h) return SEC_E_INTERNAL_ERROR;
  std::memcpy(base + h, plain.data(), plain.size());
  OPENSSL_cleanse(plain.data(), plain.size());
  const size_t extra = total - rec_len;
  // Schannel's order (mstsc depends on it): HEADER, DATA, TRAILER, EXTRA/EMPTY.
  msg[0] = {static_cast<ULONG>(h), SECBUFFER_STREAM_HEADER, base};
  msg[1] = {static_cast<ULONG>(plain.size()), SECBUFFER_DATA, base + h};
  msg[2] = {static_cast<ULONG>(rec_len - h - plain.size()), SECBUFFER_STREAM_TRAILER,
            base + h + plain.size()};
  if (extra > 0) {
    msg[3] = {static_cast<ULONG>(extra), SECBUFFER_EXTRA, base + rec_len};
  } else {
    msg[3] = {0, SECBUFFER_EMPTY, nullptr};
  }
  // close_notify: SEC_I_CONTEXT_EXPIRED (the peer is done).
  if (st == tls::Status::kClosed) return SEC_I_CONTEXT_EXPIRED;
  return SEC_E_OK;
}

// ---- attributes --------------------------------------------------------------------------

// Block is a bump allocator inside one context buffer (the delegated-credentials block).
struct Block {
  std::byte* base;
  size_t size;
  size_t used;
  template <class T>
  T* Take(size_t n) {
    used = (used + alignof(T) - 1) & ~(alignof(T) - 1);
    T* p = reinterpret_cast<T*>(base + used);
    used += n * sizeof(T);
    return p;
  }
};

size_t Utf16Chars(ByteSpan le) { return le.size() / 2; }

// PutString copies UTF-16LE bytes as SEC_WCHARs with a NUL after them.
SEC_WCHAR* PutString(Block* b, ByteSpan le, ULONG* out_len) {
  const size_t n = Utf16Chars(le);
  SEC_WCHAR* p = b->Take<SEC_WCHAR>(n + 1);
  for (size_t i = 0; i < n; ++i) {
    p[i] = static_cast<SEC_WCHAR>(std::to_integer<unsigned>(le[2 * i]) |
                                  (std::to_integer<unsigned>(le[2 * i + 1]) << 8));
  }
  p[n] = 0;
  *out_len = static_cast<ULONG>(n);
  return p;
}

SEC_WCHAR* PutOptional(Block* b, const std::optional<Bytes>& s, ULONG* out_len) {
  *out_len = 0;
  return s ? PutString(b, *s, out_len) : nullptr;
}

size_t StringCost(ByteSpan le) { return (Utf16Chars(le) + 1) * sizeof(SEC_WCHAR) + alignof(SEC_WCHAR); }
size_t OptCost(const std::optional<Bytes>& s) { return s ? StringCost(*s) : 0; }

SECURITY_STATUS CredSspContext::FillDelegatedCreds(void* buf) const {
  if (role_ != Role::kServer || !IsComplete() || !have_creds_) return SEC_E_NO_CREDENTIALS;
  return AllocDelegatedCreds(creds_, static_cast<SecPkgContext_ClientCreds*>(buf));
}

}  // namespace

SECURITY_STATUS AllocDelegatedCreds(const TsCredentials& c, SecPkgContext_ClientCreds* out) {
  size_t need = sizeof(OCS_CREDSSP_DELEGATED_CREDS) + 16;
  const auto pkg_cost = [](const PackageCred& p) {
    return StringCost(p.package_name) + p.cred_buffer.size() + 1 + sizeof(OCS_CREDSSP_PACKAGE_CRED);
  };
  switch (c.cred_type) {
    case kPassword:
      need += StringCost(c.password.domain.span()) + StringCost(c.password.user.span()) +
              StringCost(c.password.password.span());
      break;
    case kSmartCard:
      need += StringCost(c.smart_card.pin.span()) + OptCost(c.smart_card.card_name) +
              OptCost(c.smart_card.reader_name) + OptCost(c.smart_card.container_name) +
              OptCost(c.smart_card.csp_name) + OptCost(c.smart_card.user_hint) +
              OptCost(c.smart_card.domain_hint);
      break;
    case kRemoteGuard:
      need += pkg_cost(c.remote_guard.logon) + alignof(OCS_CREDSSP_PACKAGE_CRED);
      if (c.remote_guard.supplemental) {
        for (const PackageCred& p : *c.remote_guard.supplemental) need += pkg_cost(p);
      }
      break;
    default:
      return SEC_E_NO_CREDENTIALS;
  }
  void* mem = AllocContextBuffer(need);
  if (mem == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
  Block b{static_cast<std::byte*>(mem), need, 0};
  auto* d = b.Take<OCS_CREDSSP_DELEGATED_CREDS>(1);
  std::memset(d, 0, sizeof *d);
  d->CredType = c.cred_type;
  auto put_pkg = [&](const PackageCred& p, OCS_CREDSSP_PACKAGE_CRED* o) {
    o->PackageName = PutString(&b, p.package_name, &o->PackageNameLength);
    auto* cb = b.Take<unsigned char>(p.cred_buffer.size() + 1);
    if (!p.cred_buffer.empty()) std::memcpy(cb, p.cred_buffer.data(), p.cred_buffer.size());
    o->CredBuffer = cb;
    o->CredBufferLength = static_cast<ULONG>(p.cred_buffer.size());
  };
  switch (c.cred_type) {
    case kPassword:
      d->Domain = PutString(&b, c.password.domain.span(), &d->DomainLength);
      d->User = PutString(&b, c.password.user.span(), &d->UserLength);
      d->Password = PutString(&b, c.password.password.span(), &d->PasswordLength);
      break;
    case kSmartCard:
      d->Pin = PutString(&b, c.smart_card.pin.span(), &d->PinLength);
      d->KeySpec = c.smart_card.key_spec;
      d->CardName = PutOptional(&b, c.smart_card.card_name, &d->CardNameLength);
      d->ReaderName = PutOptional(&b, c.smart_card.reader_name, &d->ReaderNameLength);
      d->ContainerName = PutOptional(&b, c.smart_card.container_name, &d->ContainerNameLength);
      d->CspName = PutOptional(&b, c.smart_card.csp_name, &d->CspNameLength);
      d->UserHint = PutOptional(&b, c.smart_card.user_hint, &d->UserHintLength);
      d->DomainHint = PutOptional(&b, c.smart_card.domain_hint, &d->DomainHintLength);
      break;
    case kRemoteGuard:
      put_pkg(c.remote_guard.logon, &d->LogonCred);
      if (c.remote_guard.supplemental && !c.remote_guard.supplemental->empty()) {
        const auto& sup = *c.remote_guard.supplemental;
        auto* arr = b.Take<OCS_CREDSSP_PACKAGE_CRED>(sup.size());
        for (size_t i = 0; i < sup.size(); ++i) put_pkg(sup[i], &arr[i]);
        d->SupplementalCredCount = static_cast<ULONG>(sup.size());
        d->SupplementalCreds = arr;
      }
      break;
    default:
      break;
  }
  if (b.used > need) std::abort();  // cost computation above is wrong: never write past it
  out->AuthBufferLen = static_cast<ULONG>(need);
  out->AuthBuffer = static_cast<PUCHAR>(mem);
  return SEC_E_OK;
}

namespace {

SECURITY_STATUS CredSspContext::QueryAttribute(ULONG attr, void* buf, CharWidth width) {
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  switch (attr) {
    case SECPKG_ATTR_STREAM_SIZES: {
      if (!tls_->HandshakeDone()) return SEC_E_INVALID_HANDLE;
      auto* s = static_cast<SecPkgContext_StreamSizes*>(buf);
      s->cbHeader = static_cast<ULONG>(tls_->RecordHeaderSize());
      s->cbTrailer = static_cast<ULONG>(tls_->RecordTrailerSize());
      s->cbMaximumMessage = static_cast<ULONG>(tls::Connection::kMaxRecordPlaintext);
      s->cBuffers = 4;
      // AES-GCM is a 16-byte block cipher; ChaCha20 is a stream cipher (sspi-rs reports 16 /
      // 0 the same way).
      int nid = tls_->CipherNid();
      s->cbBlockSize = (nid == NID_aes_128_gcm || nid == NID_aes_256_gcm) ? 16 : 0;
      return SEC_E_OK;
    }
    case SECPKG_ATTR_SIZES: {
      auto* s = static_cast<SecPkgContext_Sizes*>(buf);
      s->cbMaxToken = GetPackageInfo(PackageId::kCredSsp).max_token;
      s->cbMaxSignature = 0;  // no MakeSignature on CredSSP
      s->cbBlockSize = 0;
      s->cbSecurityTrailer =
          tls_->HandshakeDone() ? static_cast<ULONG>(tls_->RecordTrailerSize()) : 0;
      return SEC_E_OK;
    }
    case SECPKG_ATTR_PACKAGE_INFO: {
      void* info = AllocPackageInfo(PackageId::kCredSsp, width);
      if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      static_cast<SecPkgContext_PackageInfoW*>(buf)->PackageInfo = static_cast<PSecPkgInfoW>(info);
      return SEC_E_OK;
    }
    case SECPKG_ATTR_NEGOTIATION_INFO: {
      void* info = AllocPackageInfo(PackageId::kCredSsp, width);
      if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      auto* n = static_cast<SecPkgContext_NegotiationInfoW*>(buf);
      n->PackageInfo = static_cast<PSecPkgInfoW>(info);
      n->NegotiationState = IsComplete() ? SECPKG_NEGOTIATION_COMPLETE : SECPKG_NEGOTIATION_IN_PROGRESS;
      return SEC_E_OK;
    }
    case SECPKG_ATTR_NEGOTIATION_PACKAGE: {
      // The mechanism under SPNEGO is NTLM (the only one we run).
      if (inner_ == nullptr) return SEC_E_INVALID_HANDLE;
      void* info = AllocPackageInfo(PackageId::kNtlm, width);
      if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      static_cast<SecPkgContext_PackageInfoW*>(buf)->PackageInfo = static_cast<PSecPkgInfoW>(info);
      return SEC_E_OK;
    }
    case SECPKG_ATTR_NAMES:
    case SECPKG_ATTR_NATIVE_NAMES:
      if (inner_ == nullptr || !inner_complete_) return SEC_E_INVALID_HANDLE;
      return inner_->QueryAttribute(attr, buf, width);
    case SECPKG_ATTR_REMOTE_CERT_CONTEXT:
    case SECPKG_ATTR_LOCAL_CERT_CONTEXT: {
      X509* cert = attr == SECPKG_ATTR_REMOTE_CERT_CONTEXT ? tls_->PeerCertificate()
                                                            : tls_->OwnCertificate();
      if (cert == nullptr || !tls_->HandshakeDone()) return SEC_E_NO_CREDENTIALS;
      int n = i2d_X509(cert, nullptr);
      if (n <= 0) return SEC_E_INTERNAL_ERROR;
      void* mem = AllocContextBuffer(static_cast<size_t>(n));
      if (mem == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      auto* p = static_cast<unsigned char*>(mem);
      i2d_X509(cert, &p);
      auto* blob = static_cast<OCS_CREDSSP_CERT_BLOB*>(buf);
      blob->cbCertEncoded = static_cast<ULONG>(n);
      blob->pbCertEncoded = static_cast<unsigned char*>(mem);
      return SEC_E_OK;
    }
    case SECPKG_ATTR_CREDS:
      return FillDelegatedCreds(buf);
    case OCS_SECPKG_ATTR_CREDSSP_INFO: {
      auto* i = static_cast<OCS_CREDSSP_INFO*>(buf);
      i->CredSspVersion = version_;
      i->PeerCredSspVersion = peer_version_;
      i->TlsVersion = tls_->HandshakeDone() ? static_cast<ULONG>(tls_->Version()) : 0;
      i->InnerIsSpnego = 0;
      if (inner_ != nullptr && inner_->package() == PackageId::kNegotiate) {
        i->InnerIsSpnego = static_cast<const spnego::NegotiateContext*>(inner_.get())->RawNtlm() ? 0 : 1;
      }
      i->PeerErrorCode = static_cast<LONG>(peer_error_);
      return SEC_E_OK;
    }
    default:
      return SEC_E_UNSUPPORTED_FUNCTION;
  }
}

}  // namespace

SECURITY_STATUS CredSspCredential::NewContext(Role role, std::unique_ptr<Context>* out) {
  Snapshot snap;
  SECURITY_STATUS st = TakeSnapshot(role, &snap);
  if (st != SEC_E_OK) return st;
  tls::Config cfg;
  cfg.libctx = crypto::LibCtx();
  if (cfg.libctx == nullptr) return SEC_E_INTERNAL_ERROR;
  cfg.min_version = snap.settings.tls_min;
  cfg.max_version = snap.settings.tls_max;
  cfg.identity = snap.identity;
  std::string err;
  auto conn = tls::Connection::Create(role, cfg, &err);
  if (conn == nullptr) {
    OCS_LOG(kError, "credssp: %s", err.c_str());
    return SEC_E_INTERNAL_ERROR;
  }
  *out = std::make_unique<CredSspContext>(role, std::move(snap), std::move(conn),
                                          shared_from_this());
  return SEC_E_OK;
}

SECURITY_STATUS NtStatusToSecurityStatus(uint32_t nt) {
  switch (nt) {
    case kStatusLogonFailure:
    case kStatusWrongPassword:
    case kStatusNoSuchUser:
    case kStatusAccountRestriction:
    case kStatusAccountDisabled:
    case kStatusAccountLockedOut:
    case kStatusAccessDenied:
    case kStatusPasswordExpired:
      return SEC_E_LOGON_DENIED;
    case kStatusNotSupported:
      return SEC_E_UNSUPPORTED_FUNCTION;
    default:
      return SEC_E_LOGON_DENIED;
  }
}

uint32_t SecurityStatusToNtStatus(SECURITY_STATUS st) {
  switch (st) {
    case SEC_E_UNSUPPORTED_FUNCTION: return kStatusNotSupported;
    case SEC_E_INVALID_TOKEN: return kStatusInvalidParameter;
    default: return kStatusLogonFailure;
  }
}

void IncrementLe(Bytes* b) {
  for (std::byte& x : *b) {
    x = std::byte(static_cast<unsigned char>(std::to_integer<unsigned>(x) + 1));
    if (x != std::byte{0}) return;  // no carry
  }
}

bool BindingHash(HashDirection dir, ByteSpan nonce, ByteSpan public_key, Bytes* out) {
  const char* magic = dir == HashDirection::kClientToServer ? kClientServerMagic : kServerClientMagic;
  // "The hash MUST include the null terminator": sizeof includes it (38 bytes).
  static_assert(sizeof(kClientServerMagic) == 38 && sizeof(kServerClientMagic) == 38);
  crypto::Sha256Digest d{};
  if (!crypto::Sha256(&d, {AsBytes(magic, 38), nonce, public_key})) return false;
  out->assign(d.begin(), d.end());
  return true;
}

}  // namespace ocs::credssp
