// session_security.cpp - NTLMSSP_MESSAGE_SIGNATURE with ESS (MS-NLMP 2.2.2.9.2, 3.4.4.2) and
// sealing (3.4.3).
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/session_security.h"

#include <vector>

#include "core/log.h"
#include "ntlm/flags.h"
#include "ntlm/ntlm_crypto.h"
#include "util/bytes.h"

namespace ocs::ntlm {

bool SessionSecurity::Init(ByteSpan exported_key, uint32_t flags, bool is_client) {
  ready_ = false;
  flags_ = flags;
  if ((flags & kNegotiateExtendedSessionSecurity) == 0) return false;
  Direction c2s;
  Direction s2c;
  if (!SignKey(&c2s.sign_key, exported_key, true) || !SignKey(&s2c.sign_key, exported_key, false) ||
      !SealKey(&c2s.seal_key, exported_key, flags, true) ||
      !SealKey(&s2c.seal_key, exported_key, flags, false) || !c2s.rc4.Init(c2s.seal_key.span()) ||
      !s2c.rc4.Init(s2c.seal_key.span())) {
    return false;
  }
  out_ = std::move(is_client ? c2s : s2c);
  in_ = std::move(is_client ? s2c : c2s);
  ready_ = true;
  return true;
}

void SessionSecurity::ResetRc4(bool outbound) {
  Direction& d = outbound ? out_ : in_;
  if (!d.rc4.Init(d.seal_key.span())) {
    // Cannot happen once Init succeeded (same key, same provider); fail closed if it does.
    OCS_LOG(kError, "ntlm: RC4 re-initialisation failed; session security disabled");
    ready_ = false;
  }
}

bool SessionSecurity::Checksum(Direction* d, uint32_t seq, gsl::span<const DataPart> parts,
                               std::array<std::byte, 8>* out) {
  // MS-NLMP 3.4.4.2: HMAC_MD5(SigningKey, ConcatenationOf(SeqNum, Message))[0..7].
  std::byte seq_le[4];
  util::StoreU32(seq_le, seq);
  std::vector<ByteSpan> spans;
  spans.reserve(parts.size() + 1);
  spans.emplace_back(seq_le, 4);
  for (const DataPart& p : parts) spans.emplace_back(p.data.data(), p.data.size());
  crypto::Md5Digest h;
  if (!crypto::HmacMd5Parts(&h, d->sign_key.span(), spans)) return false;
  std::copy(h.begin(), h.begin() + 8, out->begin());
  return true;
}

namespace {
bool SigningNegotiated(uint32_t flags) {
  return (flags & (kNegotiateSign | kNegotiateSeal)) != 0;
}
// MS-NLMP 3.4.4.3 (ALWAYS_SIGN without SIGN/SEAL): version 1 then twelve zero bytes.
Signature DummySignature() {
  Signature s{};
  s[0] = std::byte{1};
  return s;
}
}  // namespace

SECURITY_STATUS SessionSecurity::MakeSig(Direction* d, gsl::span<const DataPart> parts,
                                         Signature* out) {
  std::array<std::byte, 8> checksum;
  if (!Checksum(d, d->seq, parts, &checksum)) return SEC_E_INTERNAL_ERROR;
  // MS-NLMP 3.4.4.2: with KEY_EXCH the checksum is encrypted with the sealing RC4 stream.
  if ((flags_ & kNegotiateKeyExch) != 0 && !d->rc4.ProcessInPlace(checksum)) {
    return SEC_E_INTERNAL_ERROR;
  }
  util::StoreU32(MutableByteSpan(out->data(), 4), 1);
  std::copy(checksum.begin(), checksum.end(), out->begin() + 4);
  util::StoreU32(MutableByteSpan(out->data() + 12, 4), d->seq);
  d->seq += 1;
  return SEC_E_OK;
}

SECURITY_STATUS SessionSecurity::CheckSig(Direction* d, gsl::span<const DataPart> parts,
                                          ByteSpan sig) {
  if (sig.size() < kSignatureSize) return SEC_E_MESSAGE_ALTERED;
  sig = sig.first(kSignatureSize);
  if (util::LoadU32(sig.first(4)) != 1) return SEC_E_MESSAGE_ALTERED;
  if (util::LoadU32(sig.subspan(12, 4)) != d->seq) return SEC_E_OUT_OF_SEQUENCE;
  std::array<std::byte, 8> checksum;
  if (!Checksum(d, d->seq, parts, &checksum)) return SEC_E_INTERNAL_ERROR;
  if ((flags_ & kNegotiateKeyExch) != 0 && !d->rc4.ProcessInPlace(checksum)) {
    return SEC_E_INTERNAL_ERROR;
  }
  if (!ConstantTimeEqual(checksum, sig.subspan(4, 8))) return SEC_E_MESSAGE_ALTERED;
  d->seq += 1;
  return SEC_E_OK;
}

SECURITY_STATUS SessionSecurity::Sign(gsl::span<const DataPart> parts, Signature* out) {
  if (!ready_) return SEC_E_NO_CONTEXT;
  if (!SigningNegotiated(flags_)) {
    *out = DummySignature();
    return SEC_E_OK;
  }
  return MakeSig(&out_, parts, out);
}

SECURITY_STATUS SessionSecurity::Verify(gsl::span<const DataPart> parts, ByteSpan sig) {
  if (!ready_) return SEC_E_NO_CONTEXT;
  if (!SigningNegotiated(flags_)) {
    const Signature dummy = DummySignature();
    return sig.size() >= kSignatureSize && ConstantTimeEqual(sig.first(16), dummy)
               ? SEC_E_OK
               : SEC_E_MESSAGE_ALTERED;
  }
  crypto::Rc4 saved;
  if (!saved.CopyFrom(in_.rc4)) return SEC_E_INTERNAL_ERROR;
  const SECURITY_STATUS s = CheckSig(&in_, parts, sig);
  if (s != SEC_E_OK) in_.rc4 = std::move(saved);
  return s;
}

SECURITY_STATUS SessionSecurity::Seal(gsl::span<const DataPart> parts, Signature* out) {
  if (!ready_) return SEC_E_NO_CONTEXT;
  if ((flags_ & kNegotiateSeal) == 0) return SEC_E_UNSUPPORTED_FUNCTION;
  // MS-NLMP 3.4.3: the MAC covers the plaintext, but the RC4 stream encrypts the data first and
  // the checksum after it. Compute the HMAC now, encrypt, then finish the signature.
  std::array<std::byte, 8> checksum;
  if (!Checksum(&out_, out_.seq, parts, &checksum)) return SEC_E_INTERNAL_ERROR;
  for (const DataPart& p : parts) {
    if (p.conf && !out_.rc4.ProcessInPlace(p.data)) return SEC_E_INTERNAL_ERROR;
  }
  if ((flags_ & kNegotiateKeyExch) != 0 && !out_.rc4.ProcessInPlace(checksum)) {
    return SEC_E_INTERNAL_ERROR;
  }
  util::StoreU32(MutableByteSpan(out->data(), 4), 1);
  std::copy(checksum.begin(), checksum.end(), out->begin() + 4);
  util::StoreU32(MutableByteSpan(out->data() + 12, 4), out_.seq);
  out_.seq += 1;
  return SEC_E_OK;
}

SECURITY_STATUS SessionSecurity::Unseal(gsl::span<const DataPart> parts, ByteSpan sig) {
  if (!ready_) return SEC_E_NO_CONTEXT;
  // Receiving: gss-ntlmssp's gss_wrap always seals ("ignore, always seal") even when its
  // NEGOTIATE lacked SEAL (MIT gss-client never asks GSS_C_CONF_FLAG); with ESS and SIGN the
  // sealing keys exist (MS-NLMP 3.4.5.3 does not depend on SEAL), so accept such a message.
  // The signature is checked exactly as for a negotiated SEAL. (docs/interop.md)
  const bool keys = (flags_ & kNegotiateSeal) != 0 ||
                    ((flags_ & kNegotiateSign) != 0 &&
                     (flags_ & kNegotiateExtendedSessionSecurity) != 0);
  if (!keys) return SEC_E_UNSUPPORTED_FUNCTION;
  if (sig.size() < kSignatureSize) return SEC_E_MESSAGE_ALTERED;
  if (util::LoadU32(sig.subspan(12, 4)) != in_.seq) return SEC_E_OUT_OF_SEQUENCE;
  crypto::Rc4 saved;
  if (!saved.CopyFrom(in_.rc4)) return SEC_E_INTERNAL_ERROR;
  for (const DataPart& p : parts) {
    if (p.conf && !in_.rc4.ProcessInPlace(p.data)) return SEC_E_INTERNAL_ERROR;
  }
  const SECURITY_STATUS s = CheckSig(&in_, parts, sig);
  if (s != SEC_E_OK) in_.rc4 = std::move(saved);
  return s;
}

}  // namespace ocs::ntlm
