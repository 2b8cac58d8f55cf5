// ntlm_crypto.h - NTLMv2 key derivation and responses (MS-NLMP 3.3.2, 3.4.5), the MIC
// (3.1.5.1.2) and the channel-binding hash (2.2.2.1 MsvAvChannelBindings).
//
// Keys are returned in SecretBytes. Every function returns false only if OpenSSL fails.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string_view>

#include "core/secret.h"
#include "core/types.h"
#include "ntlm/authenticate_message.h"

namespace ocs::ntlm {

using Challenge8 = std::array<std::byte, 8>;
using Digest16 = std::array<std::byte, 16>;

// NtOwfV2 = HMAC_MD5(NT hash, UNICODE(Uppercase(User) || UserDom)) (MS-NLMP 3.3.2). Only the
// user name is upper-cased; the domain is used as given.
[[nodiscard]] bool NtOwfV2(SecretBytes* out, ByteSpan nt_hash, std::u16string_view user,
                           std::u16string_view domain);

// NtProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || temp); temp is the
// NTLMv2_CLIENT_CHALLENGE (everything of the NtChallengeResponse after the first 16 bytes).
[[nodiscard]] bool NtProofStr(Digest16* out, ByteSpan response_key, ByteSpan server_challenge,
                              ByteSpan temp);

// SessionBaseKeyV2 = HMAC_MD5(ResponseKeyNT, NTProofStr). For NTLMv2 it is also the
// KeyExchangeKey (MS-NLMP 3.4.5.1).
[[nodiscard]] bool SessionBaseKeyV2(SecretBytes* out, ByteSpan response_key,
                                    ByteSpan nt_proof_str);

// LmV2Response = HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) || ClientChallenge.
[[nodiscard]] bool LmV2Response(Bytes* out, ByteSpan response_key, ByteSpan server_challenge,
                                ByteSpan client_challenge);

// BuildTemp lays out the NTLMv2_CLIENT_CHALLENGE "temp" of MS-NLMP 3.3.2:
// 01 01 Z(6) Time(8) ClientChallenge(8) Z(4) AvPairs Z(4).
Bytes BuildTemp(uint64_t filetime, ByteSpan client_challenge, ByteSpan av_pairs);

// SignKey / SealKey (MS-NLMP 3.4.5.2 / 3.4.5.3, ESS only: we never negotiate without it).
// `client_to_server` picks the magic constant; SealKey honours NTLMSSP_NEGOTIATE_128/56.
[[nodiscard]] bool SignKey(SecretBytes* out, ByteSpan exported_key, bool client_to_server);
[[nodiscard]] bool SealKey(SecretBytes* out, ByteSpan exported_key, uint32_t flags,
                           bool client_to_server);

// ComputeMic = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE) where the
// AUTHENTICATE's MIC field (offset 72) is zeroed. `authenticate` must be at least 88 bytes.
[[nodiscard]] bool ComputeMic(Digest16* out, ByteSpan exported_key, ByteSpan negotiate,
                              ByteSpan challenge, ByteSpan authenticate);

// HashChannelBindings reads an SSPI SEC_CHANNEL_BINDINGS block (32-byte header whose offsets
// are relative to the block, then data) and returns MD5 of the flattened
// gss_channel_bindings_struct (ntlm.md §10): initiator type, length, address, acceptor type,
// length, address, application data length, data, all integers UINT32LE. False if a region
// lies outside the block.
[[nodiscard]] bool HashChannelBindings(Digest16* out, ByteSpan sec_channel_bindings);

// FileTimeNow is the current time as a Windows FILETIME (100 ns ticks since 1601-01-01 UTC).
uint64_t FileTimeNow();

}  // namespace ocs::ntlm
