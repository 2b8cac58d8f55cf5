// ntlm_client.cpp - InitializeSecurityContext for NTLM: NEGOTIATE, then AUTHENTICATE from the
// server's CHALLENGE (MS-NLMP 3.1.5.1.1, 3.1.5.1.2).
// SPDX-License-Identifier: Apache-2.0
#include <cstring>

#include "core/log.h"
#include "crypto/crypto.h"
#include "ntlm/authenticate_message.h"
#include "ntlm/flags.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/ntlm_package.h"
#include "util/bytes.h"
#include "util/utf16.h"

namespace ocs::ntlm {

namespace {

// What we ask for (MS-NLMP 3.1.5.1.1 plus ntlm.md §13): Windows' 0xE20882B7 without LM_KEY,
// which ESS overrides anyway. SIGN/SEAL/KEY_EXCH are always requested: session security is
// what SPNEGO's mechListMIC and CredSSP's pubKeyAuth need.
constexpr uint32_t kClientFlags =
    kNegotiateUnicode | kNegotiateOem | kRequestTarget | kNegotiateSign | kNegotiateSeal |
    kNegotiateNtlm | kNegotiateAlwaysSign | kNegotiateExtendedSessionSecurity |
    kNegotiateVersion | kNegotiate128 | kNegotiateKeyExch | kNegotiate56;

}  // namespace

SECURITY_STATUS NtlmContextImpl::ClientNegotiate(const StepIn& in, StepOut* out) {
  if (!in.token.empty()) {
    OCS_LOG(kWarn, "ntlm client: unexpected input token on the first call");
    return SEC_E_INVALID_TOKEN;
  }
  const std::optional<AuthIdentity>& id = cred_->identity();
  if (!id) {
    OCS_LOG(kError,
            "ntlm client: no credentials: AcquireCredentialsHandle got NULL auth data and there "
            "is no logged-on Windows user here; pass a SEC_WINNT_AUTH_IDENTITY");
    return SEC_E_NO_CREDENTIALS;
  }
  if (id->user.empty()) {
    if (!id->password.empty() || (in.req_flags & ISC_REQ_NULL_SESSION) == 0) {
      OCS_LOG(kError,
              "ntlm client: empty user name; anonymous NTLM needs an empty identity and "
              "ISC_REQ_NULL_SESSION");
      return SEC_E_NO_CREDENTIALS;
    }
    anonymous_ = true;
  }
  user_ = id->user;
  domain_ = id->domain;
  names_ = LocalServerNames();
  workstation_ = names_.nb_computer;
  target_name_ = std::u16string(in.target_name);

  NegotiateMessage m;
  m.flags = kClientFlags | (anonymous_ ? kNegotiateAnonymous : 0);
  m.version = OurVersion();
  if (!WriteNegotiate(m, &negotiate_)) return SEC_E_INTERNAL_ERROR;
  out->token = negotiate_;
  state_ = State::kNegotiateSent;
  return SEC_I_CONTINUE_NEEDED;
}

SECURITY_STATUS NtlmContextImpl::ClientAuthenticate(const StepIn& in, StepOut* out) {
  ChallengeMessage ch;
  if (!ParseChallenge(in.token, &ch)) {
    OCS_LOG(kWarn, "ntlm client: malformed CHALLENGE (%zu bytes)", in.token.size());
    return SEC_E_INVALID_TOKEN;
  }
  challenge_.assign(in.token.begin(), in.token.end());
  // MS-NLMP 3.1.5.1.2 and our policy (ntlm.md §6.3, §13): Unicode, ESS, 128-bit, TargetInfo
  // with both NetBIOS names (required for NTLMv2 with integrity).
  if ((ch.flags & kNegotiateUnicode) == 0) {
    OCS_LOG(kWarn, "ntlm client: server refused Unicode; OEM strings are not supported");
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
  if ((ch.flags & kNegotiateExtendedSessionSecurity) == 0 || (ch.flags & kNegotiate128) == 0) {
    OCS_LOG(kWarn,
            "ntlm client: server did not accept extended session security with 128-bit keys "
            "(flags 0x%08x); refusing the downgrade",
            ch.flags);
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
  if (!ch.has_target_info || ch.target_info.Find(kAvNbComputerName) == nullptr ||
      ch.target_info.Find(kAvNbDomainName) == nullptr) {
    OCS_LOG(kWarn, "ntlm client: CHALLENGE lacks TargetInfo with the NetBIOS names");
    return SEC_E_INVALID_TOKEN;
  }
  server_challenge_ = ch.server_challenge;
  flags_ = (ch.flags & (kClientFlags | kNegotiateTargetInfo)) & ~kNegotiateOem;
  if (anonymous_) flags_ = (flags_ | kNegotiateAnonymous) & ~kNegotiateKeyExch;

  AuthenticateMessage am;
  am.flags = flags_;
  am.version = OurVersion();
  am.mic.emplace();
  am.mic->fill(std::byte{0});
  am.domain = util::U16ToLE(domain_);
  am.user = util::U16ToLE(user_);
  am.workstation = util::U16ToLE(workstation_);

  SecretBytes exported;
  if (anonymous_) {
    // MS-NLMP 3.1.5.1.2 / 3.3.2: anonymous: NtChallengeResponse empty, LmChallengeResponse
    // Z(1); SessionBaseKey Z(16). No key exchange: anonymous has no session security.
    am.lm_response.assign(1, std::byte{0});
    am.mic.reset();  // no key to compute it with
    Bytes auth;
    if (!WriteAuthenticate(am, &auth)) return SEC_E_INTERNAL_ERROR;
    out->token = std::move(auth);
    return Finish(ByteSpan());
  }

  const std::optional<uint64_t> ts = ch.target_info.GetU64(kAvTimestamp);
  const uint64_t time = ts ? *ts : FileTimeNow();
  std::array<std::byte, 8> client_challenge{};
  if (!crypto::RandomBytes(client_challenge)) return SEC_E_INTERNAL_ERROR;

  // MS-NLMP 3.1.5.1.2: the response AvPairs are the server's plus MsvAvFlags (MIC present),
  // MsvAvChannelBindings and MsvAvTargetName.
  AvList av = ch.target_info;
  av.SetU32(kAvFlags, av.GetU32(kAvFlags).value_or(0) | kAvFlagMicPresent);
  Digest16 cbt{};
  if (!in.channel_bindings.empty() && !HashChannelBindings(&cbt, in.channel_bindings)) {
    OCS_LOG(kWarn, "ntlm client: malformed SEC_CHANNEL_BINDINGS buffer");
    return SEC_E_INVALID_TOKEN;
  }
  av.Set(kAvChannelBindings, cbt);
  if (target_name_.empty()) target_name_ = std::u16string(in.target_name);
  if (!target_name_.empty()) av.Set(kAvTargetName, util::U16ToLE(target_name_));

  SecretBytes response_key;
  if (!NtOwfV2(&response_key, cred_->nt_hash().span(), user_, domain_)) {
    return SEC_E_INTERNAL_ERROR;
  }
  const Bytes temp = BuildTemp(time, client_challenge, av.Serialize());
  Digest16 proof;
  if (!NtProofStr(&proof, response_key.span(), server_challenge_, temp)) {
    return SEC_E_INTERNAL_ERROR;
  }
  am.nt_response.assign(proof.begin(), proof.end());
  am.nt_response.insert(am.nt_response.end(), temp.begin(), temp.end());
  if (ts) {
    am.lm_response.assign(24, std::byte{0});  // MS-NLMP <48>: Z(24) when a MIC is sent
  } else if (!LmV2Response(&am.lm_response, response_key.span(), server_challenge_,
                           client_challenge)) {
    return SEC_E_INTERNAL_ERROR;
  }
  SecretBytes session_base_key;
  if (!SessionBaseKeyV2(&session_base_key, response_key.span(), proof)) {
    return SEC_E_INTERNAL_ERROR;
  }
  // MS-NLMP 3.4.5.1: for NTLMv2 KeyExchangeKey = SessionBaseKey.
  if ((flags_ & kNegotiateKeyExch) != 0) {
    exported = SecretBytes(16);
    if (!crypto::RandomBytes(exported.mutable_span())) return SEC_E_INTERNAL_ERROR;
    am.encrypted_session_key.resize(16);
    if (!crypto::Rc4Once(am.encrypted_session_key, session_base_key.span(), exported.span())) {
      return SEC_E_INTERNAL_ERROR;
    }
  } else {
    exported = session_base_key;
  }

  Bytes auth;
  if (!WriteAuthenticate(am, &auth)) return SEC_E_INTERNAL_ERROR;
  Digest16 mic;
  if (!ComputeMic(&mic, exported.span(), negotiate_, challenge_, auth)) {
    return SEC_E_INTERNAL_ERROR;
  }
  std::copy(mic.begin(), mic.end(), auth.begin() + static_cast<std::ptrdiff_t>(kMicOffset));
  mic_present_ = true;
  out->token = std::move(auth);
  return Finish(exported.span());
}

}  // namespace ocs::ntlm
