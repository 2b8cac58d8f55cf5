// ntlm_context.h - the NTLM context's face towards SPNEGO and CredSSP.
//
// Besides the generic ocs::Context interface, SPNEGO needs a few NTLM-specific hooks to run
// the mechListMIC exchange exactly as MS-SPNG 3.1.5.1 / spnego.md §6 describe: sign and verify
// with the next sequence number of a direction, then reset that direction's RC4 state while
// the sequence counter carries on.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string>

#include "core/package.h"

namespace ocs::ntlm {

enum class Direction { kOutbound, kInbound };

class NtlmContext : public Context {
 public:
  PackageId package() const override { return PackageId::kNtlm; }

  // KeysReady: the session keys exist (client: once AUTHENTICATE has been produced; server:
  // once it has been verified), so SignNext/VerifyNext/Encrypt/Decrypt can run.
  virtual bool KeysReady() const = 0;
  // MicPresent: the AUTHENTICATE message carried a MIC (MsvAvFlags bit 0x2). MS-SPNG <8>:
  // then the SPNEGO mechListMIC is mandatory.
  virtual bool MicPresent() const = 0;

  // SignNext computes the 16-byte NTLMSSP_MESSAGE_SIGNATURE of `data` with the outbound
  // signing key and the next outbound sequence number (which it consumes).
  virtual SECURITY_STATUS SignNext(ByteSpan data, std::array<std::byte, 16>* out_sig) = 0;
  // VerifyNext checks a peer signature against the next inbound sequence number (consumed on
  // success); SEC_E_MESSAGE_ALTERED / SEC_E_OUT_OF_SEQUENCE on failure. Constant-time compare.
  virtual SECURITY_STATUS VerifyNext(ByteSpan data, ByteSpan sig) = 0;
  // ResetRc4 re-initialises the RC4 sealing state of one direction from its sealing key
  // (MS-SPNG 3.1.5.1: restore the handle used before the mechListMIC); sequence numbers stay.
  virtual void ResetRc4(Direction d) = 0;

  // Names of the authenticated (server) or authenticating (client) user.
  virtual std::u16string UserName() const = 0;
  virtual std::u16string DomainName() const = 0;
};

}  // namespace ocs::ntlm
