// ntlm_server.cpp - AcceptSecurityContext for NTLM: CHALLENGE from the client's NEGOTIATE,
// then verification of its AUTHENTICATE (MS-NLMP 3.2.5.1.1, 3.2.5.1.2).
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>

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

// Flags we echo when the client asks for them (MS-NLMP 3.2.5.1.1); LM_KEY, OEM, DATAGRAM,
// IDENTIFY and REQUEST_NON_NT_SESSION_KEY are never returned.
constexpr uint32_t kServerEchoFlags = kNegotiateSign | kNegotiateSeal | kNegotiateAlwaysSign |
                                      kNegotiateExtendedSessionSecurity | kNegotiateVersion |
                                      kNegotiate128 | kNegotiateKeyExch | kNegotiate56;
// Flags the CHALLENGE always carries.
constexpr uint32_t kServerFixedFlags = kNegotiateUnicode | kRequestTarget | kNegotiateNtlm |
                                       kNegotiateAlwaysSign | kNegotiateTargetInfo |
                                       kTargetTypeServer;

// MS-NLMP 3.2.5.1.2 / <39>: Windows refuses a response whose timestamp is more than
// MaxLifetime (36 hours by default) away from the server clock.
constexpr uint64_t kMaxSkew = 36ULL * 3600ULL * 10000000ULL;

Bytes ToBytes(const std::u16string& s) { return util::U16ToLE(s); }

}  // namespace

SECURITY_STATUS NtlmContextImpl::ServerChallenge(const StepIn& in, StepOut* out) {
  NegotiateMessage nm;
  if (!ParseNegotiate(in.token, &nm)) {
    OCS_LOG(kWarn, "ntlm server: malformed NEGOTIATE (%zu bytes)", in.token.size());
    return SEC_E_INVALID_TOKEN;
  }
  // MS-NLMP 2.2.2.5: neither Unicode nor OEM is invalid; OEM alone we do not support.
  if ((nm.flags & (kNegotiateUnicode | kNegotiateOem)) == 0) return SEC_E_INVALID_TOKEN;
  if ((nm.flags & kNegotiateUnicode) == 0) {
    OCS_LOG(kWarn, "ntlm server: client does not offer Unicode; OEM is not supported");
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
  if ((nm.flags & kNegotiateExtendedSessionSecurity) == 0 || (nm.flags & kNegotiate128) == 0) {
    OCS_LOG(kWarn,
            "ntlm server: client does not offer extended session security with 128-bit keys "
            "(flags 0x%08x): NTLMv1-era session security is refused",
            nm.flags);
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
  negotiate_.assign(in.token.begin(), in.token.end());
  names_ = LocalServerNames();

  ChallengeMessage ch;
  ch.flags = (nm.flags & kServerEchoFlags) | kServerFixedFlags;
  ch.version = OurVersion();
  ch.target_name = ToBytes(names_.nb_computer);
  if (hooks_.server_challenge) {
    server_challenge_ = *hooks_.server_challenge;
  } else if (!crypto::RandomBytes(server_challenge_)) {
    return SEC_E_INTERNAL_ERROR;
  }
  ch.server_challenge = server_challenge_;
  ch.has_target_info = true;
  // Windows' order (ntlm.md §2): NbDomainName, NbComputerName, DnsDomainName,
  // DnsComputerName, then MsvAvTimestamp (always sent since Vista, MS-NLMP <16>; it makes
  // clients send a MIC).
  ch.target_info.Set(kAvNbDomainName, ToBytes(names_.nb_domain));
  ch.target_info.Set(kAvNbComputerName, ToBytes(names_.nb_computer));
  if (!names_.dns_domain.empty()) ch.target_info.Set(kAvDnsDomainName, ToBytes(names_.dns_domain));
  ch.target_info.Set(kAvDnsComputerName, ToBytes(names_.dns_computer));
  std::byte ts[8];
  const uint64_t now = FileTimeNow();
  for (size_t i = 0; i < 8; ++i) ts[i] = std::byte((now >> (8 * i)) & 0xff);
  ch.target_info.Set(kAvTimestamp, ts);
  if (!WriteChallenge(ch, &challenge_)) return SEC_E_INTERNAL_ERROR;
  flags_ = ch.flags;
  out->token = challenge_;
  state_ = State::kChallengeSent;
  return SEC_I_CONTINUE_NEEDED;
}

SECURITY_STATUS NtlmContextImpl::ServerAuthenticate(const StepIn& in, StepOut* out) {
  (void)out;
  AuthenticateMessage am;
  if (!ParseAuthenticate(in.token, &am)) {
    OCS_LOG(kWarn, "ntlm server: malformed AUTHENTICATE (%zu bytes)", in.token.size());
    return SEC_E_INVALID_TOKEN;
  }
  if ((am.flags & kNegotiateUnicode) == 0) {
    OCS_LOG(kWarn, "ntlm server: AUTHENTICATE without Unicode strings");
    return SEC_E_INVALID_TOKEN;
  }
  std::u16string user, domain, workstation;
  if (!util::LEToU16(am.user, &user) || !util::LEToU16(am.domain, &domain) ||
      !util::LEToU16(am.workstation, &workstation)) {
    return SEC_E_INVALID_TOKEN;
  }

  // MS-NLMP 3.2.5.1.2: anonymous = empty user, empty NT response, LM response empty or Z(1).
  const bool lm_anon =
      am.lm_response.empty() || (am.lm_response.size() == 1 && am.lm_response[0] == std::byte{0});
  if (user.empty() && am.nt_response.empty() && lm_anon) {
    if ((req_flags_ & ASC_REQ_ALLOW_NULL_SESSION) == 0) {
      OCS_LOG(kWarn,
              "ntlm server: anonymous logon refused (the server did not pass "
              "ASC_REQ_ALLOW_NULL_SESSION)");
      return SEC_E_LOGON_DENIED;
    }
    anonymous_ = true;
    user_.clear();
    domain_.clear();
    workstation_ = workstation;
    flags_ &= am.flags;
    OCS_LOG(kInfo, "ntlm server: anonymous logon accepted (no session security)");
    return Finish(ByteSpan());
  }
  // MS-NLMP 3.2.5.1.2: an NtChallengeResponse of 24 bytes (or none, with an LM response) is
  // NTLMv1 / LM; both are refused by policy.
  if (am.nt_response.size() <= 24) {
    OCS_LOG(kWarn, "ntlm server: %s response refused (NTLMv2 only) for user '%s'",
            am.nt_response.empty() ? "LM" : "NTLMv1", util::Utf16ToUtf8(user).c_str());
    return SEC_E_LOGON_DENIED;
  }
  // NTLMv2_RESPONSE: NTProofStr(16) then NTLMv2_CLIENT_CHALLENGE: RespType HiRespType Z(6)
  // TimeStamp(8) ChallengeFromClient(8) Z(4) AvPairs (MS-NLMP 2.2.2.7).
  const ByteSpan nt(am.nt_response);
  util::ByteReader r(nt);
  ByteSpan proof_rx, temp;
  uint8_t resp_type = 0, hi_resp_type = 0;
  uint64_t client_time = 0;
  if (!r.ReadBytes(16, &proof_rx)) return SEC_E_INVALID_TOKEN;
  temp = r.rest();
  if (!r.ReadU8(&resp_type) || !r.ReadU8(&hi_resp_type) || !r.Skip(6) ||
      !r.ReadU64(&client_time) || !r.Skip(8) || !r.Skip(4)) {
    return SEC_E_INVALID_TOKEN;
  }
  if (resp_type != 1 || hi_resp_type != 1) {
    OCS_LOG(kWarn, "ntlm server: NTLMv2 response with RespType %u/%u", resp_type, hi_resp_type);
    return SEC_E_INVALID_TOKEN;
  }
  AvList av;
  size_t av_len = 0;
  if (!AvList::Parse(r.rest(), &av, &av_len)) {
    OCS_LOG(kWarn, "ntlm server: malformed AvPairs in the NTLMv2 response");
    return SEC_E_INVALID_TOKEN;
  }

  // Attribute 1003 (WinPR) supplies the hash directly; else a context-level user file
  // (attribute 1004) wins over the credential's store.
  std::shared_ptr<store::UserStore> store = store_ ? store_ : cred_->user_store();
  SecretBytes nt_hash;
  if (fixed_hash_version_ == 1) {
    nt_hash = fixed_hash_;
  } else if (fixed_hash_version_ == 2) {
    // NTOWFv2 given: no domain retry possible, the key is final.
  } else if (!store || !store->Lookup(user, domain, &nt_hash)) {
    OCS_LOG(kWarn, "ntlm server: logon denied: unknown user '%s' in domain '%s'",
            util::Utf16ToUtf8(user).c_str(), util::Utf16ToUtf8(domain).c_str());
    return SEC_E_LOGON_DENIED;
  }
  // MS-NLMP 3.2.5.1.2: compute with the domain the client sent; if that fails, retry with an
  // empty domain.
  SecretBytes response_key;
  Digest16 proof{};
  bool match = false;
  for (int attempt = 0; attempt < 2 && !match; ++attempt) {
    const std::u16string_view dom = attempt == 0 ? std::u16string_view(domain) : u"";
    if (attempt == 1 && domain.empty()) break;
    if (fixed_hash_version_ == 2) {
      if (attempt == 1) break;
      response_key = fixed_hash_;
    } else if (!NtOwfV2(&response_key, nt_hash.span(), user, dom)) {
      return SEC_E_INTERNAL_ERROR;
    }
    if (!NtProofStr(&proof, response_key.span(), server_challenge_, temp)) {
      return SEC_E_INTERNAL_ERROR;
    }
    match = ConstantTimeEqual(proof, proof_rx);
  }
  if (!match) {
    OCS_LOG(kWarn, "ntlm server: logon denied: wrong password for '%s\\%s'",
            util::Utf16ToUtf8(domain).c_str(), util::Utf16ToUtf8(user).c_str());
    return SEC_E_LOGON_DENIED;
  }
  if (hooks_.check_timestamp) {
    const uint64_t now = FileTimeNow();
    const uint64_t skew = now > client_time ? now - client_time : client_time - now;
    if (skew > kMaxSkew) {
      OCS_LOG(kWarn, "ntlm server: logon denied: NTLMv2 timestamp too far from server time");
      return SEC_E_LOGON_DENIED;
    }
  }

  SecretBytes session_base_key;
  if (!SessionBaseKeyV2(&session_base_key, response_key.span(), proof)) {
    return SEC_E_INTERNAL_ERROR;
  }
  // Connection-oriented: the session uses what both the CHALLENGE offered and the
  // AUTHENTICATE confirms (MS-NLMP 2.2.1.3). A MIC, when present, protects both.
  flags_ &= am.flags;
  if ((flags_ & kNegotiateExtendedSessionSecurity) == 0 || (flags_ & kNegotiate128) == 0) {
    OCS_LOG(kWarn, "ntlm server: AUTHENTICATE dropped ESS or 128-bit (flags 0x%08x)", am.flags);
    return SEC_E_LOGON_DENIED;
  }
  SecretBytes exported;
  if ((flags_ & kNegotiateKeyExch) != 0) {
    // MS-NLMP 3.2.5.1.2: with KEY_EXCH the encrypted key must be there.
    if (am.encrypted_session_key.size() != 16) {
      OCS_LOG(kWarn, "ntlm server: KEY_EXCH without a 16-byte EncryptedRandomSessionKey");
      return SEC_E_INVALID_TOKEN;
    }
    exported = SecretBytes(16);
    if (!crypto::Rc4Once(exported.mutable_span(), session_base_key.span(),
                         am.encrypted_session_key)) {
      return SEC_E_INTERNAL_ERROR;
    }
  } else {
    exported = session_base_key;
  }

  // MIC (MS-NLMP 3.2.5.1.2): verified whenever MsvAvFlags says it is there. The AvPairs are
  // covered by NTProofStr, so the flag cannot be removed; a message that claims a MIC but has
  // no MIC field (stripped) is refused like a wrong MIC.
  const uint32_t av_flags = av.GetU32(kAvFlags).value_or(0);
  if ((av_flags & kAvFlagMicPresent) != 0) {
    if (!am.mic) {
      OCS_LOG(kWarn, "ntlm server: MsvAvFlags announces a MIC but the message has none");
      return SEC_E_MESSAGE_ALTERED;
    }
    Digest16 mic;
    if (!ComputeMic(&mic, exported.span(), negotiate_, challenge_, in.token)) {
      return SEC_E_INTERNAL_ERROR;
    }
    if (!ConstantTimeEqual(mic, *am.mic)) {
      OCS_LOG(kWarn, "ntlm server: MIC verification failed");
      return SEC_E_MESSAGE_ALTERED;
    }
    mic_present_ = true;
  }

  // Channel bindings (MS-NLMP 3.2.5.1.2, <66>): checked when we have bindings and the client
  // sent a non-zero hash.
  if (!in.channel_bindings.empty()) {
    const AvPair* cb = av.Find(kAvChannelBindings);
    static const std::byte kZero[16] = {};
    if (cb != nullptr && !ConstantTimeEqual(cb->value, ByteSpan(kZero, 16))) {
      Digest16 expected;
      if (!HashChannelBindings(&expected, in.channel_bindings)) return SEC_E_INVALID_TOKEN;
      if (!ConstantTimeEqual(expected, cb->value)) {
        OCS_LOG(kWarn, "ntlm server: channel bindings do not match");
        return SEC_E_BAD_BINDINGS;
      }
    }
  }
  if (auto t = av.GetString(kAvTargetName)) target_name_ = *t;
  user_ = user;
  domain_ = domain;
  workstation_ = workstation;
  OCS_LOG(kInfo, "ntlm server: '%s\\%s' authenticated (MIC %s)", util::Utf16ToUtf8(domain).c_str(),
          util::Utf16ToUtf8(user).c_str(), mic_present_ ? "verified" : "absent");
  return Finish(exported.span());
}

}  // namespace ocs::ntlm
