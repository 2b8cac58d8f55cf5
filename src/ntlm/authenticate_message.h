// authenticate_message.h - AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3): reader and writer.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <optional>

#include "core/types.h"
#include "ntlm/negotiate_message.h"

namespace ocs::ntlm {

constexpr size_t kMicOffset = 72;  // MS-NLMP 2.2.1.3: MIC follows NegotiateFlags and Version
using Mic = std::array<std::byte, 16>;

struct AuthenticateMessage {
  Bytes lm_response;
  Bytes nt_response;
  Bytes domain;       // raw (Unicode when NTLMSSP_NEGOTIATE_UNICODE)
  Bytes user;
  Bytes workstation;
  Bytes encrypted_session_key;
  uint32_t flags = 0;
  std::optional<Version> version;
  std::optional<Mic> mic;  // present iff the header is the 88-byte form (MS-NLMP <12>)
};

// ParseAuthenticate reads a whole AUTHENTICATE token. The header form is found from the
// smallest non-empty payload offset: >= 72 has a Version, >= 88 also a MIC (MS-NLMP 2.2.1.3).
// False on any malformation, including odd-length Unicode strings.
[[nodiscard]] bool ParseAuthenticate(ByteSpan msg, AuthenticateMessage* out);

// WriteAuthenticate lays out header (Version and MIC fields if set), then DomainName,
// UserName, Workstation, LmChallengeResponse, NtChallengeResponse, EncryptedRandomSessionKey
// (the order of the MS-NLMP 4.2.4.3 example, which it reproduces byte for byte).
[[nodiscard]] bool WriteAuthenticate(const AuthenticateMessage& m, Bytes* out);

}  // namespace ocs::ntlm
