// negotiate_message.h - NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): reader and writer.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <optional>

#include "core/types.h"

namespace ocs::ntlm {

using Version = std::array<std::byte, 8>;

struct NegotiateMessage {
  uint32_t flags = 0;
  Bytes domain;       // OEM, only with NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED
  Bytes workstation;  // OEM, only with NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED
  std::optional<Version> version;
};

// ParseNegotiate reads a whole NEGOTIATE token; false on any malformation (bad signature or
// type, short header, fields outside the message or overlapping, trailing bytes).
[[nodiscard]] bool ParseNegotiate(ByteSpan msg, NegotiateMessage* out);
// WriteNegotiate lays out the 32-byte header (+8-byte Version if present) then the payload.
[[nodiscard]] bool WriteNegotiate(const NegotiateMessage& m, Bytes* out);

// OurVersion is the VERSION we send (MS-NLMP 2.2.2.10: debugging only): 10.0 build 20348,
// NTLMSSP_REVISION_W2K3, like current Windows Server.
Version OurVersion();

}  // namespace ocs::ntlm
