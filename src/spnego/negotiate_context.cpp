// negotiate_context.cpp - the Negotiate package's state machine (spnego.md §7, §8).
// SPDX-License-Identifier: Apache-2.0
#include "spnego/negotiate_context.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include "core/context_buffer.h"
#include "core/log.h"

namespace ocs::spnego {
namespace {

// MS-SPNG 3.2.5.2: the hint a server puts in NegTokenInit2 (spnego.md §3.2, §5).
constexpr std::string_view kHintName = "not_defined_in_RFC4178@please_ignore";

ByteSpan StrBytes(std::string_view s) { return AsBytes(s.data(), s.size()); }

}  // namespace

NegotiateOptions NegotiateOptionsFromEnvironment() {
  NegotiateOptions o;
  const char* raw = std::getenv("OPENCREDSSP_NEGOTIATE_RAW_NTLM");
  o.client_raw_ntlm = raw != nullptr && std::strcmp(raw, "1") == 0;
  return o;
}

NegotiateContext::NegotiateContext(Role role, std::shared_ptr<Credential> ntlm_cred,
                                   std::shared_ptr<Credential> self,
                                   std::unique_ptr<Context> first_mech, NegotiateOptions options)
    : role_(role), options_(options), ntlm_cred_(std::move(ntlm_cred)), self_(std::move(self)) {
  auto* ntlm = dynamic_cast<ntlm::NtlmContext*>(first_mech.get());
  if (ntlm != nullptr) {
    ntlm_owner_ = std::move(first_mech);
    ntlm_ = ntlm;
  }
}

NegotiateContext::~NegotiateContext() = default;

SECURITY_STATUS NegotiateContext::NewMech() {
  std::unique_ptr<Context> ctx;
  const SECURITY_STATUS s = ntlm_cred_->NewContext(role_, &ctx);
  if (s != SEC_E_OK) return s;
  auto* ntlm = dynamic_cast<ntlm::NtlmContext*>(ctx.get());
  if (ntlm == nullptr) return SEC_E_INTERNAL_ERROR;
  ntlm_owner_ = std::move(ctx);
  ntlm_ = ntlm;
  return SEC_E_OK;
}

SECURITY_STATUS NegotiateContext::StepMech(ByteSpan token, const StepIn& in, StepOut* mech_out) {
  StepIn mech_in = in;
  mech_in.token = token;
  const SECURITY_STATUS s = ntlm_->Step(mech_in, mech_out);
  ret_flags_ = mech_out->ret_flags;
  return s;
}

SECURITY_STATUS NegotiateContext::Step(const StepIn& in, StepOut* out) {
  SECURITY_STATUS s = SEC_E_INTERNAL_ERROR;
  switch (state_) {
    case State::kStart:
      s = role_ == Role::kClient ? ClientStart(in, out) : ServerStart(in, out);
      break;
    case State::kClientWaitReply:
      s = ClientReply(in, out);
      break;
    case State::kClientWaitFinal:
      s = ClientFinal(in, out);
      break;
    case State::kServerWaitMech:
      s = ServerMech(in, out);
      break;
    case State::kServerWaitAuth:
      s = ServerAuth(in, out);
      break;
    case State::kRaw:
      s = RawStep(in.token, in, out);
      break;
    case State::kDone:
    case State::kFailed:
      return SEC_E_OUT_OF_SEQUENCE;
  }
  if (!Succeeded(s)) {
    OCS_LOG(kDebug, "negotiate: %s step failed with 0x%08x",
            role_ == Role::kClient ? "client" : "server", static_cast<unsigned>(s));
    state_ = State::kFailed;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Client (spnego.md §8)

SECURITY_STATUS NegotiateContext::ClientStart(const StepIn& in, StepOut* out) {
  if (!in.token.empty()) {
    // MS-SPNG 3.2.5.2: a server may open with NegTokenInit2; its hints are ignored, but its
    // list must let us use NTLM.
    NegTokenInit hint;
    if (!ParseInitialContextToken(in.token, &hint)) return SEC_E_INVALID_TOKEN;
    bool ntlm_offered = hint.mech_types.empty();
    for (ByteSpan m : hint.mech_types) ntlm_offered = ntlm_offered || OidEquals(m, NtlmOid());
    if (!ntlm_offered) return SEC_E_INVALID_TOKEN;
  }
  if (ntlm_ == nullptr) {
    const SECURITY_STATUS s = NewMech();
    if (s != SEC_E_OK) return s;
  }
  if (options_.client_raw_ntlm) {
    // WinPR-style Negotiate: bare NTLM from the first token on (NegotiateOptions).
    raw_ntlm_ = true;
    mech_selected_ = true;
    state_ = State::kRaw;
    return RawStep(ByteSpan(), in, out);
  }
  StepOut mech_out;
  const SECURITY_STATUS s = StepMech(ByteSpan(), in, &mech_out);
  if (s != SEC_I_CONTINUE_NEEDED) return Succeeded(s) ? SEC_E_INTERNAL_ERROR : s;

  // RFC 4178 §4.2.1: mechTypes lists what we can do (NTLM only: Kerberos OIDs are not
  // advertised while no Kerberos mechanism exists), mechToken is NTLM's optimistic NEGOTIATE.
  const ByteSpan ntlm_oid = NtlmOid();
  mech_type_list_ = EncodeMechTypeList(gsl::span<const ByteSpan>(&ntlm_oid, 1));
  NegTokenInit init;
  init.mech_type_list = mech_type_list_;
  init.mech_token = ByteSpan(mech_out.token);
  out->token = EncodeInitialContextToken(init);
  out->ret_flags = ret_flags_;
  state_ = State::kClientWaitReply;
  return SEC_I_CONTINUE_NEEDED;
}

SECURITY_STATUS NegotiateContext::ClientReply(const StepIn& in, StepOut* out) {
  if (in.token.empty()) return SEC_E_INVALID_TOKEN;
  if (!mech_selected_ && IsRawNtlm(in.token)) {
    // A server that answers our NegTokenInit with a bare CHALLENGE speaks NTLM without SPNEGO
    // (the raw NTLM path of FreeRDP 2.x / WinPR): continue as plain NTLM. Nothing is
    // downgraded: NTLM was the only mechanism offered.
    raw_ntlm_ = true;
    mech_selected_ = true;
    state_ = State::kRaw;
    return RawStep(in.token, in, out);
  }
  NegTokenResp resp;
  if (!ParseNegTokenResp(in.token, &resp)) return SEC_E_INVALID_TOKEN;

  const bool first_reply = !mech_selected_;
  if (first_reply) {
    // RFC 4178 §4.2.2 / spnego.md §4: negState and supportedMech are mandatory in the
    // acceptor's first reply (FreeRDP also answers SEC_E_INVALID_TOKEN without negState).
    if (!resp.neg_state) return SEC_E_INVALID_TOKEN;
    if (*resp.neg_state == NegState::kReject) return SEC_E_LOGON_DENIED;
    if (!resp.supported_mech || !OidEquals(*resp.supported_mech, NtlmOid())) {
      return SEC_E_INVALID_TOKEN;
    }
    // NTLM never completes in one round trip.
    if (*resp.neg_state == NegState::kAcceptCompleted) return SEC_E_INVALID_TOKEN;
    if (*resp.neg_state == NegState::kRequestMic) mic_required_ = true;
    mech_selected_ = true;
  } else {
    if (resp.neg_state && *resp.neg_state == NegState::kReject) return SEC_E_LOGON_DENIED;
    if (resp.neg_state && *resp.neg_state != NegState::kAcceptIncomplete) {
      return SEC_E_INVALID_TOKEN;
    }
    // MS-SPNG 3.3.5 <10>: a repeated supportedMech is ignored; a different one is not.
    if (resp.supported_mech && !OidEquals(*resp.supported_mech, NtlmOid())) {
      return SEC_E_INVALID_TOKEN;
    }
  }
  if (resp.mech_list_mic) return SEC_E_INVALID_TOKEN;  // no keys exist yet

  if (!resp.response_token || resp.response_token->empty()) {
    if (!first_reply) return SEC_E_INVALID_TOKEN;
    // RFC 4178 §5 / spnego.md §5: the acceptor dropped our optimistic token; restart NTLM and
    // send its first token in a NegTokenResp. The MIC exchange is now mandatory.
    mic_required_ = true;
    const SECURITY_STATUS ns = NewMech();
    if (ns != SEC_E_OK) return ns;
    StepOut mech_out;
    const SECURITY_STATUS s = StepMech(ByteSpan(), in, &mech_out);
    if (s != SEC_I_CONTINUE_NEEDED) return Succeeded(s) ? SEC_E_INTERNAL_ERROR : s;
    NegTokenResp next;
    next.response_token = ByteSpan(mech_out.token);
    out->token = EncodeNegTokenResp(next);
    out->ret_flags = ret_flags_;
    return SEC_I_CONTINUE_NEEDED;
  }

  StepOut mech_out;
  const SECURITY_STATUS s = StepMech(*resp.response_token, in, &mech_out);
  if (!Succeeded(s)) return s;
  // The CHALLENGE is NTLM's last input on the client: AUTHENTICATE must come out with keys.
  if (s != SEC_E_OK || mech_out.token.empty() || !ntlm_->KeysReady()) return SEC_E_INTERNAL_ERROR;

  NegTokenResp next;
  next.response_token = ByteSpan(mech_out.token);
  Bytes mic;
  // MS-SPNG 3.1.5.1 and <8>: send mechListMIC when it was requested or when NTLM put a MIC in
  // AUTHENTICATE (then the acceptor requires it).
  if (mic_required_ || ntlm_->MicPresent()) {
    const SECURITY_STATUS ms = SignMechList(&mic);
    if (ms != SEC_E_OK) return ms;
    next.mech_list_mic = ByteSpan(mic);
  }
  out->token = EncodeNegTokenResp(next);
  out->ret_flags = ret_flags_;
  keys_ready_ = true;
  state_ = State::kClientWaitFinal;
  // The acceptor's accept-completed (with its mechListMIC) is still to come.
  return SEC_I_CONTINUE_NEEDED;
}

SECURITY_STATUS NegotiateContext::ClientFinal(const StepIn& in, StepOut* out) {
  NegTokenResp resp;
  if (in.token.empty() || !ParseNegTokenResp(in.token, &resp)) return SEC_E_INVALID_TOKEN;
  if (!resp.neg_state) return SEC_E_INVALID_TOKEN;
  if (*resp.neg_state == NegState::kReject) return SEC_E_LOGON_DENIED;
  if (*resp.neg_state != NegState::kAcceptCompleted) return SEC_E_INVALID_TOKEN;
  if (resp.supported_mech && !OidEquals(*resp.supported_mech, NtlmOid())) {
    return SEC_E_INVALID_TOKEN;
  }
  if (resp.response_token && !resp.response_token->empty()) return SEC_E_INVALID_TOKEN;
  if (resp.mech_list_mic) {
    const SECURITY_STATUS s = VerifyMechList(*resp.mech_list_mic);
    if (s != SEC_E_OK) return s;
  } else if (mic_sent_ || mic_required_) {
    // spnego.md §6.4: the acceptor owes us its MIC once we sent ours or it asked for one.
    return SEC_E_INVALID_TOKEN;
  }
  out->token.clear();
  out->ret_flags = ret_flags_;
  state_ = State::kDone;
  return SEC_E_OK;
}

// ---------------------------------------------------------------------------------------------
// Server (spnego.md §7)

SECURITY_STATUS NegotiateContext::ServerStart(const StepIn& in, StepOut* out) {
  if (in.token.empty()) {
    // MS-SPNG 3.2.5.2: an acceptor called first may open with NegTokenInit2 listing what it
    // accepts; the client answers with its normal NegTokenInit.
    const ByteSpan ntlm_oid = NtlmOid();
    NegTokenInit init2;
    init2.mech_types.assign(&ntlm_oid, &ntlm_oid + 1);
    init2.has_neg_hints = true;
    init2.hint_name = StrBytes(kHintName);
    out->token = EncodeInitialContextToken(init2);
    return SEC_I_CONTINUE_NEEDED;
  }
  if (ntlm_ == nullptr) {
    const SECURITY_STATUS s = NewMech();
    if (s != SEC_E_OK) return s;
  }
  if (IsRawNtlm(in.token)) {
    // spnego.md §7.1: bare NTLMSSP on the Negotiate package (FreeRDP 2.x, WinPR, wine, old
    // mstsc): answer in kind, no SPNEGO and no mechListMIC.
    raw_ntlm_ = true;
    mech_selected_ = true;
    state_ = State::kRaw;
    return RawStep(in.token, in, out);
  }
  NegTokenInit init;
  if (!ParseInitialContextToken(in.token, &init) || init.mech_types.empty()) {
    return SEC_E_INVALID_TOKEN;
  }
  size_t ntlm_index = init.mech_types.size();
  for (size_t i = 0; i < init.mech_types.size(); ++i) {
    if (OidEquals(init.mech_types[i], NtlmOid())) {
      ntlm_index = i;
      break;
    }
  }
  if (ntlm_index == init.mech_types.size()) {
    // RFC 4178 §4.2.2: no common mechanism -> negState reject. The token goes back so the
    // peer learns why; the status is SEC_E_INVALID_TOKEN, as sspi-rs returns (ErrorKind::
    // InvalidToken, "no supported authentication protocols found in mech list", in
    // src/negotiate/extractors.rs negotiate_mech_type). Windows' own code for this case is
    // not published; FreeRDP answers SEC_E_INTERNAL_ERROR, GSS-API GSS_S_BAD_MECH.
    NegTokenResp reject;
    reject.neg_state = NegState::kReject;
    out->token = EncodeNegTokenResp(reject);
    return SEC_E_INVALID_TOKEN;
  }
  mech_type_list_.assign(init.mech_type_list.begin(), init.mech_type_list.end());
  mech_selected_ = true;

  NegTokenResp resp;
  resp.supported_mech = NtlmOid();
  StepOut mech_out;
  if (ntlm_index == 0 && init.mech_token && !init.mech_token->empty()) {
    // The optimistic token is NTLM's NEGOTIATE: answer with the CHALLENGE.
    const SECURITY_STATUS s = StepMech(*init.mech_token, in, &mech_out);
    if (s != SEC_I_CONTINUE_NEEDED) return Succeeded(s) ? SEC_E_INVALID_TOKEN : s;
    resp.neg_state = NegState::kAcceptIncomplete;
    resp.response_token = ByteSpan(mech_out.token);
    state_ = State::kServerWaitAuth;
  } else {
    // RFC 4178 §5, spnego.md §7.2: NTLM is not the initiator's first choice, so its optimistic
    // token (if any) is for another mechanism and is ignored; ask for the NTLM token and
    // require the MIC exchange, which protects the mechanism list against a downgrade.
    mic_required_ = ntlm_index != 0;
    resp.neg_state = mic_required_ ? NegState::kRequestMic : NegState::kAcceptIncomplete;
    state_ = State::kServerWaitMech;
  }
  out->token = EncodeNegTokenResp(resp);
  out->ret_flags = ret_flags_;
  return SEC_I_CONTINUE_NEEDED;
}

SECURITY_STATUS NegotiateContext::ServerMech(const StepIn& in, StepOut* out) {
  NegTokenResp resp;
  if (in.token.empty() || !ParseNegTokenResp(in.token, &resp)) return SEC_E_INVALID_TOKEN;
  if (resp.neg_state && *resp.neg_state == NegState::kReject) return SEC_E_LOGON_DENIED;
  if (resp.supported_mech || resp.mech_list_mic) return SEC_E_INVALID_TOKEN;
  if (!resp.response_token || resp.response_token->empty()) return SEC_E_INVALID_TOKEN;
  StepOut mech_out;
  const SECURITY_STATUS s = StepMech(*resp.response_token, in, &mech_out);
  if (s != SEC_I_CONTINUE_NEEDED) return Succeeded(s) ? SEC_E_INVALID_TOKEN : s;
  NegTokenResp next;
  next.neg_state = NegState::kAcceptIncomplete;
  next.response_token = ByteSpan(mech_out.token);
  out->token = EncodeNegTokenResp(next);
  out->ret_flags = ret_flags_;
  state_ = State::kServerWaitAuth;
  return SEC_I_CONTINUE_NEEDED;
}

SECURITY_STATUS NegotiateContext::ServerAuth(const StepIn& in, StepOut* out) {
  NegTokenResp resp;
  if (in.token.empty() || !ParseNegTokenResp(in.token, &resp)) return SEC_E_INVALID_TOKEN;
  if (resp.neg_state && *resp.neg_state == NegState::kReject) return SEC_E_LOGON_DENIED;
  if (resp.neg_state && *resp.neg_state == NegState::kRequestMic) return SEC_E_INVALID_TOKEN;
  if (resp.supported_mech && !OidEquals(*resp.supported_mech, NtlmOid())) {
    return SEC_E_INVALID_TOKEN;
  }
  if (!resp.response_token || resp.response_token->empty()) return SEC_E_INVALID_TOKEN;

  StepOut mech_out;
  const SECURITY_STATUS s = StepMech(*resp.response_token, in, &mech_out);
  if (!Succeeded(s)) return s;
  if (s != SEC_E_OK || !ntlm_->KeysReady()) return SEC_E_INVALID_TOKEN;

  // MS-SPNG 3.1.5.1 and <8>: the MIC exchange is mandatory after request-mic or when the
  // AUTHENTICATE carried an NTLM MIC; a MIC the client sent is always verified.
  const bool need_mic = mic_required_ || ntlm_->MicPresent() || resp.mech_list_mic.has_value();
  if (resp.mech_list_mic) {
    const SECURITY_STATUS vs = VerifyMechList(*resp.mech_list_mic);
    if (vs != SEC_E_OK) return vs;
  } else if (need_mic) {
    OCS_LOG(kInfo, "negotiate: client omitted the mechListMIC the exchange requires");
    return SEC_E_INVALID_TOKEN;
  }
  NegTokenResp final_resp;
  final_resp.neg_state = NegState::kAcceptCompleted;
  Bytes mic;
  if (need_mic) {
    const SECURITY_STATUS ms = SignMechList(&mic);
    if (ms != SEC_E_OK) return ms;
    final_resp.mech_list_mic = ByteSpan(mic);
  }
  out->token = EncodeNegTokenResp(final_resp);
  out->ret_flags = ret_flags_;
  keys_ready_ = true;
  state_ = State::kDone;
  return SEC_E_OK;
}

SECURITY_STATUS NegotiateContext::RawStep(ByteSpan token, const StepIn& in, StepOut* out) {
  const SECURITY_STATUS s = StepMech(token, in, out);
  if (s == SEC_E_OK) {
    keys_ready_ = ntlm_->KeysReady();
    state_ = State::kDone;
  } else if (s == SEC_I_CONTINUE_NEEDED) {
    // The NTLM client has its keys after AUTHENTICATE even while it keeps the context open.
    keys_ready_ = ntlm_->KeysReady();
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// mechListMIC (spnego.md §6)

SECURITY_STATUS NegotiateContext::SignMechList(Bytes* out_mic) {
  // MS-SPNG 3.1.5.1: GSS_GetMIC over the DER MechTypeList the initiator sent, with the next
  // (first: 0) outbound sequence number; then restore the RC4 state as it was before the MIC
  // so the first application message starts the keystream afresh (the sequence number stays
  // consumed: the first application message uses 1, spnego.md §6.2).
  std::array<std::byte, 16> sig{};
  const SECURITY_STATUS s = ntlm_->SignNext(mech_type_list_, &sig);
  if (s != SEC_E_OK) return s;
  ntlm_->ResetRc4(ntlm::Direction::kOutbound);
  out_mic->assign(sig.begin(), sig.end());
  mic_sent_ = true;
  return SEC_E_OK;
}

SECURITY_STATUS NegotiateContext::VerifyMechList(ByteSpan mic) {
  // MS-SPNG 3.1.5.1 / RFC 4178 §5: a wrong MIC means the mechanism list (or the MIC) was
  // altered in transit: a downgrade attempt. spnego.md §6.4: SEC_E_MESSAGE_ALTERED.
  const SECURITY_STATUS s = ntlm_->VerifyNext(mech_type_list_, mic);
  if (s != SEC_E_OK) {
    OCS_LOG(kInfo, "negotiate: mechListMIC verification failed (0x%08x)",
            static_cast<unsigned>(s));
    return SEC_E_MESSAGE_ALTERED;
  }
  ntlm_->ResetRc4(ntlm::Direction::kInbound);
  mic_verified_ = true;
  return SEC_E_OK;
}

// ---------------------------------------------------------------------------------------------
// Attributes and per-message calls

bool NegotiateContext::KeysReady() const {
  return ntlm_ != nullptr && keys_ready_ && ntlm_->KeysReady();
}

bool NegotiateContext::PerMessageReady() const {
  return ntlm_ != nullptr && ntlm_->KeysReady() && (keys_ready_ || state_ == State::kDone);
}

SECURITY_STATUS NegotiateContext::QueryAttribute(ULONG attr, void* buf, CharWidth width) {
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  // wine's negotiate tests (run on Windows): once NTLM is chosen, NEGOTIATION_INFO names
  // "NTLM" with wRPCID RPC_C_AUTHN_WINNT and NegotiationState COMPLETE. PACKAGE_INFO names the
  // package actually in use as well (sspi-abi.md §8, §12).
  const PackageId shown = MechSelected() ? PackageId::kNtlm : PackageId::kNegotiate;
  if (attr == SECPKG_ATTR_NEGOTIATION_INFO) {
    void* info = AllocPackageInfo(shown, width);
    if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
    ULONG state = SECPKG_NEGOTIATION_IN_PROGRESS;
    if (state_ == State::kDone) {
      state = SECPKG_NEGOTIATION_COMPLETE;
    } else if (state_ == State::kClientWaitReply && !mech_selected_) {
      state = SECPKG_NEGOTIATION_OPTIMISTIC;
    }
    // SecPkgContext_NegotiationInfoW and ...A have the same layout (pointer, ULONG).
    auto* ni = static_cast<SecPkgContext_NegotiationInfoW*>(buf);
    ni->PackageInfo = static_cast<PSecPkgInfoW>(info);
    ni->NegotiationState = state;
    return SEC_E_OK;
  }
  if (attr == SECPKG_ATTR_PACKAGE_INFO) {
    void* info = AllocPackageInfo(shown, width);
    if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
    static_cast<SecPkgContext_PackageInfoW*>(buf)->PackageInfo = static_cast<PSecPkgInfoW>(info);
    return SEC_E_OK;
  }
  if (ntlm_ == nullptr) return SEC_E_UNSUPPORTED_FUNCTION;
  return ntlm_->QueryAttribute(attr, buf, width);
}

SECURITY_STATUS NegotiateContext::SetAttribute(ULONG attr, const void* buf, ULONG len,
                                               CharWidth width) {
  if (ntlm_ == nullptr) return SEC_E_UNSUPPORTED_FUNCTION;
  return ntlm_->SetAttribute(attr, buf, len, width);
}

// Per-message calls go to NTLM, whose sequence counters continue after the mechListMIC
// (seq 0) so the application's first message is seq 1 (spnego.md §6.2).
SECURITY_STATUS NegotiateContext::MakeSignature(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) {
  if (!PerMessageReady()) return SEC_E_NO_CONTEXT;
  return ntlm_->MakeSignature(qop, msg, seq);
}

SECURITY_STATUS NegotiateContext::Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) {
  if (!PerMessageReady()) return SEC_E_NO_CONTEXT;
  return ntlm_->Encrypt(qop, msg, seq);
}

// Inbound calls wait for the peer's mechListMIC: it owns inbound seq 0 (credssp.md §4 note).
SECURITY_STATUS NegotiateContext::VerifySignature(gsl::span<SecBuffer> msg, ULONG seq,
                                                  ULONG* qop) {
  if (!PerMessageReady() || state_ != State::kDone) return SEC_E_NO_CONTEXT;
  return ntlm_->VerifySignature(msg, seq, qop);
}

SECURITY_STATUS NegotiateContext::Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) {
  if (!PerMessageReady() || state_ != State::kDone) return SEC_E_NO_CONTEXT;
  return ntlm_->Decrypt(msg, seq, qop);
}

SECURITY_STATUS NegotiateContext::Impersonate() {
  if (state_ != State::kDone || ntlm_ == nullptr) return SEC_E_NO_IMPERSONATION;
  return ntlm_->Impersonate();
}

SECURITY_STATUS NegotiateContext::Revert() {
  if (state_ != State::kDone || ntlm_ == nullptr) return SEC_E_NO_IMPERSONATION;
  return ntlm_->Revert();
}

// ---------------------------------------------------------------------------------------------
// Credential and package

namespace {

class NegotiateCredential final : public Credential {
 public:
  NegotiateCredential(std::shared_ptr<Credential> ntlm, NegotiateOptions options)
      : ntlm_(std::move(ntlm)), options_(options) {}
  PackageId package() const override { return PackageId::kNegotiate; }
  ULONG use() const override { return ntlm_->use(); }

  SECURITY_STATUS NewContext(Role role, std::unique_ptr<Context>* out) override {
    // Ask NTLM first so that a credential that cannot serve `role` fails here, as the
    // interface requires, rather than on the first Step.
    std::unique_ptr<Context> probe;
    const SECURITY_STATUS s = ntlm_->NewContext(role, &probe);
    if (s != SEC_E_OK) return s;
    if (dynamic_cast<ntlm::NtlmContext*>(probe.get()) == nullptr) return SEC_E_INTERNAL_ERROR;
    *out = std::make_unique<NegotiateContext>(role, ntlm_, shared_from_this(), std::move(probe),
                                              options_);
    return SEC_E_OK;
  }
  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) override {
    return ntlm_->QueryAttribute(attr, buf, width);
  }
  SECURITY_STATUS SetAttribute(ULONG attr, const void* buf, ULONG len, CharWidth width) override {
    return ntlm_->SetAttribute(attr, buf, len, width);
  }

 private:
  std::shared_ptr<Credential> ntlm_;
  NegotiateOptions options_;
};

class NegotiatePackageImpl final : public Package {
 public:
  explicit NegotiatePackageImpl(std::shared_ptr<Package> ntlm) : ntlm_(std::move(ntlm)) {}
  PackageId id() const override { return PackageId::kNegotiate; }
  SECURITY_STATUS AcquireCredentials(const AcquireArgs& args,
                                     std::shared_ptr<Credential>* out) override {
    if (ntlm_ == nullptr) return SEC_E_UNSUPPORTED_FUNCTION;  // built without NTLM
    std::shared_ptr<Credential> ntlm_cred;
    const SECURITY_STATUS s = ntlm_->AcquireCredentials(args, &ntlm_cred);
    if (s != SEC_E_OK) return s;
    *out = std::make_shared<NegotiateCredential>(std::move(ntlm_cred),
                                                 NegotiateOptionsFromEnvironment());
    return SEC_E_OK;
  }

 private:
  std::shared_ptr<Package> ntlm_;
};

}  // namespace

std::shared_ptr<Package> MakeNegotiatePackage(std::shared_ptr<Package> ntlm) {
  return std::make_shared<NegotiatePackageImpl>(std::move(ntlm));
}

}  // namespace ocs::spnego
