// ntlm_context.cpp - the NTLM context: step dispatch, attributes, message protection, and
// the SPNEGO hooks of ntlm_context.h.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstring>

#include "core/context_buffer.h"
#include "core/log.h"
#include "ntlm/flags.h"
#include "ntlm/ntlm_package.h"
#include "util/utf16.h"

namespace ocs::ntlm {

NtlmContextImpl::NtlmContextImpl(Role role, std::shared_ptr<NtlmCredential> cred)
    : role_(role), cred_(std::move(cred)) {}

SECURITY_STATUS NtlmContextImpl::Step(const StepIn& in, StepOut* out) {
  if (in.token.size() > kMaxMessageSize) {
    OCS_LOG(kWarn, "ntlm: token of %zu bytes refused (limit %zu)", in.token.size(),
            kMaxMessageSize);
    state_ = State::kFailed;
    return SEC_E_INVALID_TOKEN;
  }
  req_flags_ |= in.req_flags;
  // Applications pass SECBUFFER_CHANNEL_BINDINGS on every call or only on the first one;
  // remember the latest so the step that needs it sees it either way.
  StepIn step = in;
  if (!in.channel_bindings.empty()) {
    channel_bindings_.assign(in.channel_bindings.begin(), in.channel_bindings.end());
  }
  step.channel_bindings = channel_bindings_;
  SECURITY_STATUS s = SEC_E_OUT_OF_SEQUENCE;
  switch (state_) {
    case State::kInitial:
      s = role_ == Role::kClient ? ClientNegotiate(step, out) : ServerChallenge(step, out);
      break;
    case State::kNegotiateSent:
      s = ClientAuthenticate(step, out);
      break;
    case State::kChallengeSent:
      s = ServerAuthenticate(step, out);
      break;
    case State::kDone:
    case State::kFailed:
      OCS_LOG(kWarn, "ntlm: context step after completion or failure");
      s = SEC_E_OUT_OF_SEQUENCE;
      break;
  }
  if (!Succeeded(s)) {
    state_ = State::kFailed;
    out->token.clear();
  }
  out->ret_flags = RetFlags();
  return s;
}

SECURITY_STATUS NtlmContextImpl::Finish(ByteSpan exported_key) {
  if (!anonymous_) {
    exported_key_ = SecretBytes(exported_key);
    if (!sec_.Init(exported_key, flags_, role_ == Role::kClient)) return SEC_E_INTERNAL_ERROR;
  }
  start_time_ = static_cast<LONGLONG>(FileTimeNow());
  state_ = State::kDone;
  return SEC_E_OK;
}

ULONG NtlmContextImpl::RetFlags() const {
  ULONG r = 0;
  const bool sign = (flags_ & kNegotiateSign) != 0 && !anonymous_;
  const bool seal = (flags_ & kNegotiateSeal) != 0 && !anonymous_;
  if (role_ == Role::kClient) {
    r |= ISC_RET_CONNECTION;
    if (sign) r |= ISC_RET_INTEGRITY | (req_flags_ & (ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT));
    if (seal) r |= req_flags_ & ISC_REQ_CONFIDENTIALITY;
    if (anonymous_) r |= ISC_RET_NULL_SESSION;
    r |= req_flags_ & ISC_REQ_ALLOCATE_MEMORY;
  } else {
    r |= ASC_RET_CONNECTION;
    if (sign) r |= ASC_RET_INTEGRITY | (req_flags_ & (ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT));
    if (seal) r |= req_flags_ & ASC_REQ_CONFIDENTIALITY;
    if (anonymous_) r |= ASC_RET_NULL_SESSION;
    r |= req_flags_ & ASC_REQ_ALLOCATE_MEMORY;
  }
  return r;
}

std::u16string NtlmContextImpl::FullUserName() const {
  if (anonymous_) return u"NT AUTHORITY\\ANONYMOUS LOGON";
  if (domain_.empty()) return user_;
  return domain_ + u"\\" + user_;
}

SECURITY_STATUS NtlmContextImpl::Impersonate() {
  // No Windows token exists here; FreeRDP needs SEC_E_OK from a completed server context.
  return state_ == State::kDone && role_ == Role::kServer ? SEC_E_OK : SEC_E_NO_IMPERSONATION;
}
SECURITY_STATUS NtlmContextImpl::Revert() { return Impersonate(); }

// ---- attributes ------------------------------------------------------------------------

SECURITY_STATUS NtlmContextImpl::QueryAttribute(ULONG attr, void* buf, CharWidth width) {
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  const bool done = state_ == State::kDone;
  switch (attr) {
    case SECPKG_ATTR_SIZES: {
      auto* s = static_cast<SecPkgContext_Sizes*>(buf);
      s->cbMaxToken = kMaxTokenSizeReported;
      s->cbMaxSignature = kSignatureSize;
      s->cbBlockSize = 0;
      s->cbSecurityTrailer = kSignatureSize;
      return SEC_E_OK;
    }
    case SECPKG_ATTR_FLAGS: {
      static_cast<SecPkgContext_Flags*>(buf)->Flags = RetFlags();
      return SEC_E_OK;
    }
    case SECPKG_ATTR_PACKAGE_INFO: {
      void* info = AllocPackageInfo(PackageId::kNtlm, width);
      if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      // SecPkgContext_PackageInfoW and ...A have the same layout (one pointer).
      static_cast<SecPkgContext_PackageInfoW*>(buf)->PackageInfo = static_cast<PSecPkgInfoW>(info);
      return SEC_E_OK;
    }
    case SECPKG_ATTR_NEGOTIATION_INFO: {
      void* info = AllocPackageInfo(PackageId::kNtlm, width);
      if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      auto* n = static_cast<SecPkgContext_NegotiationInfoW*>(buf);
      n->PackageInfo = static_cast<PSecPkgInfoW>(info);
      n->NegotiationState = done ? SECPKG_NEGOTIATION_COMPLETE : SECPKG_NEGOTIATION_IN_PROGRESS;
      return SEC_E_OK;
    }
    case SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS: {
      auto* s = static_cast<SecPkgContext_LastClientTokenStatus*>(buf);
      // NTLM's client token after the CHALLENGE (AUTHENTICATE) is always the last one.
      s->LastClientTokenStatus =
          (role_ == Role::kClient ? state_ == State::kNegotiateSent || done
                                  : state_ == State::kChallengeSent || done)
              ? SecPkgAttrLastClientTokenYes
              : SecPkgAttrLastClientTokenNo;
      return SEC_E_OK;
    }
    default:
      break;
  }
  if (!done) return SEC_E_INVALID_HANDLE;  // the rest needs a complete context (as Windows)
  switch (attr) {
    case SECPKG_ATTR_NAMES: {
      void* s = AllocString(FullUserName(), width);
      if (s == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      static_cast<SecPkgContext_NamesW*>(buf)->sUserName = static_cast<SEC_WCHAR*>(s);
      return SEC_E_OK;
    }
    case SECPKG_ATTR_NATIVE_NAMES: {
      const std::u16string server =
          role_ == Role::kClient ? target_name_ : names_.nb_computer;
      void* c = AllocString(FullUserName(), width);
      void* s = AllocString(server, width);
      if (c == nullptr || s == nullptr) {
        if (c != nullptr) FreeContextBufferTracked(c);
        if (s != nullptr) FreeContextBufferTracked(s);
        return SEC_E_INSUFFICIENT_MEMORY;
      }
      auto* n = static_cast<SecPkgContext_NativeNamesW*>(buf);
      n->sClientName = static_cast<SEC_WCHAR*>(c);
      n->sServerName = static_cast<SEC_WCHAR*>(s);
      return SEC_E_OK;
    }
    case SECPKG_ATTR_LIFESPAN: {
      auto* l = static_cast<SecPkgContext_Lifespan*>(buf);
      l->tsStart.QuadPart = start_time_;
      l->tsExpiry.QuadPart = 0x7FFFFFFFFFFFFFFFLL;  // NTLM contexts do not expire
      return SEC_E_OK;
    }
    case kAttrAuthIdentity: {
      // WinPR's SECPKG_ATTR_AUTH_IDENTITY: user and domain as NUL-terminated UTF-8, cut at
      // 256 bytes.
      auto* a = static_cast<WinprAuthIdentity*>(buf);
      std::memset(a, 0, sizeof(*a));
      const std::string u = util::Utf16ToUtf8(user_);
      const std::string d = util::Utf16ToUtf8(domain_);
      std::memcpy(a->User, u.data(), std::min<size_t>(u.size(), 256));
      std::memcpy(a->Domain, d.data(), std::min<size_t>(d.size(), 256));
      return SEC_E_OK;
    }
    case SECPKG_ATTR_SESSION_KEY: {
      if (anonymous_ || exported_key_.empty()) return SEC_E_NO_CONTEXT;
      void* k = AllocContextBuffer(exported_key_.size());
      if (k == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      std::memcpy(k, exported_key_.data(), exported_key_.size());
      auto* s = static_cast<SecPkgContext_SessionKey*>(buf);
      s->SessionKeyLength = static_cast<ULONG>(exported_key_.size());
      s->SessionKey = static_cast<unsigned char*>(k);
      return SEC_E_OK;
    }
    default:
      return SEC_E_UNSUPPORTED_FUNCTION;
  }
}

SECURITY_STATUS NtlmContextImpl::SetAttribute(ULONG attr, const void* buf, ULONG len,
                                              CharWidth width) {
  if (role_ != Role::kServer) return SEC_E_UNSUPPORTED_FUNCTION;
  if (attr == kAttrAuthNtlmHash) {
    // WinPR: the server application supplies the hash itself (Version 1 = NT hash, 2 =
    // NTOWFv2); it replaces the user-store lookup for this context's AUTHENTICATE.
    if (buf == nullptr || len < sizeof(WinprAuthNtlmHash)) return SEC_E_INVALID_PARAMETER;
    const auto* h = static_cast<const WinprAuthNtlmHash*>(buf);
    if (h->Version != 1 && h->Version != 2) return SEC_E_INVALID_PARAMETER;
    fixed_hash_ = SecretBytes(AsBytes(h->NtlmHash, 16));
    fixed_hash_version_ = h->Version;
    return SEC_E_OK;
  }
  if (attr != SECPKG_ATTR_AUTH_NTLM_SAM_FILE) return SEC_E_UNSUPPORTED_FUNCTION;
  std::string path;
  if (!PathFromAttribute(buf, len, width, &path)) return SEC_E_INVALID_PARAMETER;
  // WinPR reads this file as a SAM file; "sam:" / "ntlm:" prefixes pick a format explicitly.
  store_ = store::OpenFileStore(path, store::FileFormat::kSam);
  OCS_LOG(kDebug, "ntlm server: context user file set to %s", path.c_str());
  return SEC_E_OK;
}

// ---- message protection ------------------------------------------------------------------

namespace {

ULONG BaseType(const SecBuffer& b) { return b.BufferType & ~static_cast<ULONG>(SECBUFFER_ATTRMASK); }
bool ReadOnly(const SecBuffer& b) {
  return (b.BufferType & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM)) != 0;
}
MutableByteSpan Span(SecBuffer& b) {
  if (b.cbBuffer == 0 || b.pvBuffer == nullptr) return MutableByteSpan();
  return MutableByteSpan(static_cast<std::byte*>(b.pvBuffer), b.cbBuffer);
}

// CollectData lists the SECBUFFER_DATA buffers in order; conf = may be encrypted.
std::vector<DataPart> CollectData(gsl::span<SecBuffer> msg) {
  std::vector<DataPart> parts;
  for (SecBuffer& b : msg) {
    if (BaseType(b) == SECBUFFER_DATA) parts.push_back(DataPart{Span(b), !ReadOnly(b)});
  }
  return parts;
}

SecBuffer* FindToken(gsl::span<SecBuffer> msg) {
  for (SecBuffer& b : msg) {
    if (BaseType(b) == SECBUFFER_TOKEN) return &b;
  }
  return nullptr;
}

}  // namespace

// MessageSeqNo is ignored: connection-oriented NTLM keeps its own per-direction counters
// (MS-NLMP 3.4.4; ntlm.md §9.3), which is what Windows does and what FreeRDP's explicit
// counters agree with. docs/ntlm.md says so.

SECURITY_STATUS NtlmContextImpl::MakeSignature(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) {
  (void)seq;
  if (qop != 0) return SEC_E_QOP_NOT_SUPPORTED;
  if (!KeysReady()) return anonymous_ ? SEC_E_UNSUPPORTED_FUNCTION : SEC_E_NO_CONTEXT;
  SecBuffer* tok = FindToken(msg);
  if (tok == nullptr) return SEC_E_INVALID_TOKEN;
  if (tok->cbBuffer < kSignatureSize || tok->pvBuffer == nullptr) return SEC_E_BUFFER_TOO_SMALL;
  const std::vector<DataPart> parts = CollectData(msg);
  Signature sig;
  const SECURITY_STATUS s = sec_.Sign(parts, &sig);
  if (s != SEC_E_OK) return s;
  std::memcpy(tok->pvBuffer, sig.data(), sig.size());
  tok->cbBuffer = kSignatureSize;
  return SEC_E_OK;
}

SECURITY_STATUS NtlmContextImpl::VerifySignature(gsl::span<SecBuffer> msg, ULONG seq,
                                                 ULONG* qop) {
  (void)seq;
  if (qop != nullptr) *qop = 0;
  if (!KeysReady()) return anonymous_ ? SEC_E_UNSUPPORTED_FUNCTION : SEC_E_NO_CONTEXT;
  SecBuffer* tok = FindToken(msg);
  if (tok == nullptr || tok->cbBuffer < kSignatureSize || tok->pvBuffer == nullptr) {
    return SEC_E_INVALID_TOKEN;
  }
  const std::vector<DataPart> parts = CollectData(msg);
  return sec_.Verify(parts, Span(*tok).first(kSignatureSize));
}

SECURITY_STATUS NtlmContextImpl::Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) {
  (void)seq;
  if (qop != 0 && qop != SECQOP_WRAP_NO_ENCRYPT) return SEC_E_QOP_NOT_SUPPORTED;
  if (!KeysReady()) return anonymous_ ? SEC_E_UNSUPPORTED_FUNCTION : SEC_E_NO_CONTEXT;
  SecBuffer* tok = FindToken(msg);
  if (tok == nullptr) return SEC_E_INVALID_TOKEN;
  if (tok->cbBuffer < kSignatureSize || tok->pvBuffer == nullptr) return SEC_E_BUFFER_TOO_SMALL;
  const std::vector<DataPart> parts = CollectData(msg);
  Signature sig;
  // SECQOP_WRAP_NO_ENCRYPT: sign only (GSS_Wrap with conf_req_flag = FALSE).
  const SECURITY_STATUS s =
      qop == SECQOP_WRAP_NO_ENCRYPT ? sec_.Sign(parts, &sig) : sec_.Seal(parts, &sig);
  if (s != SEC_E_OK) return s;
  std::memcpy(tok->pvBuffer, sig.data(), sig.size());
  tok->cbBuffer = kSignatureSize;
  return SEC_E_OK;
}

SECURITY_STATUS NtlmContextImpl::Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) {
  (void)seq;
  if (qop != nullptr) *qop = 0;
  if (!KeysReady()) return anonymous_ ? SEC_E_UNSUPPORTED_FUNCTION : SEC_E_NO_CONTEXT;
  // Stream form (SSPI, pyspnego unwrap): one SECBUFFER_STREAM = signature || ciphertext, and a
  // SECBUFFER_DATA that receives a pointer to the plaintext inside the stream buffer.
  for (SecBuffer& b : msg) {
    if (BaseType(b) != SECBUFFER_STREAM) continue;
    MutableByteSpan stream = Span(b);
    if (stream.size() < kSignatureSize) return SEC_E_INVALID_TOKEN;
    SecBuffer* data_out = nullptr;
    for (SecBuffer& d : msg) {
      if (BaseType(d) == SECBUFFER_DATA) {
        data_out = &d;
        break;
      }
    }
    if (data_out == nullptr) return SEC_E_INVALID_TOKEN;
    const DataPart part{stream.subspan(kSignatureSize), true};
    const SECURITY_STATUS s =
        sec_.Unseal(gsl::span<const DataPart>(&part, 1), stream.first(kSignatureSize));
    if (s != SEC_E_OK) return s;
    data_out->pvBuffer = stream.data() + kSignatureSize;
    data_out->cbBuffer = static_cast<ULONG>(stream.size() - kSignatureSize);
    return SEC_E_OK;
  }
  SecBuffer* tok = FindToken(msg);
  if (tok == nullptr || tok->cbBuffer < kSignatureSize || tok->pvBuffer == nullptr) {
    return SEC_E_INVALID_TOKEN;
  }
  const std::vector<DataPart> parts = CollectData(msg);
  return sec_.Unseal(parts, Span(*tok).first(kSignatureSize));
}

// ---- SPNEGO hooks ------------------------------------------------------------------------

SECURITY_STATUS NtlmContextImpl::SignNext(ByteSpan data, std::array<std::byte, 16>* out_sig) {
  if (!KeysReady()) return SEC_E_NO_CONTEXT;
  // Sign never writes to its parts; DataPart is mutable only for Seal.
  const DataPart part{MutableByteSpan(const_cast<std::byte*>(data.data()), data.size()), false};
  return sec_.Sign(gsl::span<const DataPart>(&part, 1), out_sig);
}

SECURITY_STATUS NtlmContextImpl::VerifyNext(ByteSpan data, ByteSpan sig) {
  if (!KeysReady()) return SEC_E_NO_CONTEXT;
  if (sig.size() != kSignatureSize) return SEC_E_MESSAGE_ALTERED;
  const DataPart part{MutableByteSpan(const_cast<std::byte*>(data.data()), data.size()), false};
  return sec_.Verify(gsl::span<const DataPart>(&part, 1), sig);
}

void NtlmContextImpl::ResetRc4(Direction d) {
  if (!sec_.ready()) return;
  sec_.ResetRc4(d == Direction::kOutbound);
}

}  // namespace ocs::ntlm
