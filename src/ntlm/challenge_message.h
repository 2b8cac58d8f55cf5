// challenge_message.h - CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2): reader and writer.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <optional>

#include "core/types.h"
#include "ntlm/av_pairs.h"
#include "ntlm/negotiate_message.h"

namespace ocs::ntlm {

struct ChallengeMessage {
  uint32_t flags = 0;
  Bytes target_name;  // raw (Unicode when NTLMSSP_NEGOTIATE_UNICODE)
  std::array<std::byte, 8> server_challenge{};
  bool has_target_info = false;
  AvList target_info;
  std::optional<Version> version;
};

// ParseChallenge reads a whole CHALLENGE token. Requires the 48-byte header form (with
// TargetInfoFields); a present TargetInfo must be a well-formed AV_PAIR list ending exactly at
// its field's end. False on any malformation.
[[nodiscard]] bool ParseChallenge(ByteSpan msg, ChallengeMessage* out);
// WriteChallenge lays out header, Version (if set), TargetName, TargetInfo (if has_target_info),
// byte-compatible with the MS-NLMP 4.2.4.3 example.
[[nodiscard]] bool WriteChallenge(const ChallengeMessage& m, Bytes* out);

}  // namespace ocs::ntlm
