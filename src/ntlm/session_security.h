// session_security.h - NTLM message integrity and confidentiality with Extended Session
// Security (MS-NLMP 3.4.3, 3.4.4.2), connection-oriented: one signing key, sealing key, RC4
// stream and sequence counter per direction, the streams continuing across messages.
//
// Sequence numbers are this object's own counters (MS-NLMP 3.4.4: start at 0, +1 per signed
// or sealed message). A received signature whose SeqNum is not the expected one fails with
// SEC_E_OUT_OF_SEQUENCE; a wrong checksum with SEC_E_MESSAGE_ALTERED. On either failure the
// inbound counter and RC4 stream are left as they were before the call, so the genuine message
// can still be accepted.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>

#include "core/secret.h"
#include "core/types.h"
#include "crypto/crypto.h"

namespace ocs::ntlm {

using Signature = std::array<std::byte, 16>;

// DataPart is one message buffer; `conf` buffers are encrypted / decrypted in place by
// Seal/Unseal. All parts are signed, in order (MS-NLMP 3.4.6.1: with ESS the signature covers
// every data buffer, read-only ones included).
struct DataPart {
  MutableByteSpan data;
  bool conf = true;
};

class SessionSecurity {
 public:
  // Init derives the four keys from the exported session key. `is_client` selects which keys
  // are outbound. `flags` are the negotiated NegotiateFlags (ESS is required; KEY_EXCH decides
  // whether the checksum is RC4-encrypted; 128/56 the sealing-key length).
  [[nodiscard]] bool Init(ByteSpan exported_key, uint32_t flags, bool is_client);
  bool ready() const { return ready_; }

  [[nodiscard]] SECURITY_STATUS Sign(gsl::span<const DataPart> parts, Signature* out);
  [[nodiscard]] SECURITY_STATUS Verify(gsl::span<const DataPart> parts, ByteSpan sig);
  [[nodiscard]] SECURITY_STATUS Seal(gsl::span<const DataPart> parts, Signature* out);
  [[nodiscard]] SECURITY_STATUS Unseal(gsl::span<const DataPart> parts, ByteSpan sig);

  // ResetRc4 re-keys one direction's RC4 stream from its sealing key (MS-SPNG 3.1.5.1 after
  // the mechListMIC); the sequence counter is kept.
  void ResetRc4(bool outbound);

  uint32_t outbound_seq() const { return out_.seq; }
  uint32_t inbound_seq() const { return in_.seq; }

 private:
  struct Direction {
    SecretBytes sign_key;
    SecretBytes seal_key;
    crypto::Rc4 rc4;
    uint32_t seq = 0;
  };
  bool Checksum(Direction* d, uint32_t seq, gsl::span<const DataPart> parts,
                std::array<std::byte, 8>* out);
  SECURITY_STATUS MakeSig(Direction* d, gsl::span<const DataPart> parts, Signature* out);
  SECURITY_STATUS CheckSig(Direction* d, gsl::span<const DataPart> parts, ByteSpan sig);

  Direction out_;
  Direction in_;
  uint32_t flags_ = 0;
  bool ready_ = false;
};

}  // namespace ocs::ntlm
