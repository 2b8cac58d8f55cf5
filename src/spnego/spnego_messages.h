// spnego_messages.h - SPNEGO tokens (RFC 4178, MS-SPNG 2.2) as DER: reader and writer together.
//
// The ASN.1 this file implements (RFC 4178 §4.2, MS-SPNG 2.2.1; explicit tags):
//
//   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {      -- RFC 2743 §3.1
//       thisMech MechType,                -- 1.3.6.1.5.5.2 (SPNEGO)
//       innerContextToken NegotiationToken }   -- only negTokenInit[0] here
//   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
//   MechTypeList ::= SEQUENCE OF OBJECT IDENTIFIER
//   NegTokenInit  ::= SEQUENCE { mechTypes [0] MechTypeList, reqFlags [1] ContextFlags OPTIONAL,
//                                mechToken [2] OCTET STRING OPTIONAL,
//                                mechListMIC [3] OCTET STRING OPTIONAL, ... }
//   NegTokenInit2 ::= SEQUENCE { mechTypes [0] MechTypeList OPTIONAL,          -- MS-SPNG 2.2.1
//                                reqFlags [1] ContextFlags OPTIONAL,
//                                mechToken [2] OCTET STRING OPTIONAL,
//                                negHints [3] NegHints OPTIONAL,
//                                mechListMIC [4] OCTET STRING OPTIONAL, ... }
//   NegHints ::= SEQUENCE { hintName [0] GeneralString OPTIONAL,
//                           hintAddress [1] OCTET STRING OPTIONAL }
//   NegTokenResp ::= SEQUENCE { negState [0] ENUMERATED {accept-completed(0),
//                                  accept-incomplete(1), reject(2), request-mic(3)} OPTIONAL,
//                               supportedMech [1] MechType OPTIONAL,
//                               responseToken [2] OCTET STRING OPTIONAL,
//                               mechListMIC [3] OCTET STRING OPTIONAL, ... }
//
// Interop notes:
//   * NegTokenInit and NegTokenInit2 share the CHOICE tag [0]; a [3] holding a SEQUENCE (0x30)
//     is negHints (Init2), holding an OCTET STRING (0x04) is mechListMIC (Init). Both parse into
//     one NegTokenInit struct.
//   * reqFlags is not integrity-protected and MUST be ignored (MS-SPNG 3.1.5.3); it is checked
//     only for BIT STRING framing, never for DER's named-bit trailing-zero rule.
//   * The extension marker "..." is not honoured: an unknown element is an error, as are
//     elements out of order, duplicated, and trailing bytes anywhere.
//   * negState is OPTIONAL here; the state machine (negotiate_context.cpp) decides where it is
//     required (the acceptor's first reply, spnego.md §4).
//
// Every Parse* function is a pure function of its input (no global state) and is the entry
// point a fuzzer calls. Parsed ByteSpans point into the input token. Tokens larger than
// kMaxTokenSize or with more than kMaxMechTypes mechanisms are refused.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/types.h"

namespace ocs::spnego {

// OID contents (the bytes after 06 LL), spnego.md §2.
inline constexpr std::array<std::byte, 6> kSpnegoOid{std::byte{0x2b}, std::byte{0x06},
                                                     std::byte{0x01}, std::byte{0x05},
                                                     std::byte{0x05}, std::byte{0x02}};
inline constexpr std::array<std::byte, 10> kNtlmOid{
    std::byte{0x2b}, std::byte{0x06}, std::byte{0x01}, std::byte{0x04}, std::byte{0x01},
    std::byte{0x82}, std::byte{0x37}, std::byte{0x02}, std::byte{0x02}, std::byte{0x0a}};
// Kerberos OIDs are only recognised (to explain a peer's list in logs and tests); they are
// never advertised: no Kerberos mechanism exists here.
inline constexpr std::array<std::byte, 9> kKrb5Oid{
    std::byte{0x2a}, std::byte{0x86}, std::byte{0x48}, std::byte{0x86}, std::byte{0xf7},
    std::byte{0x12}, std::byte{0x01}, std::byte{0x02}, std::byte{0x02}};
inline constexpr std::array<std::byte, 9> kMsKrb5Oid{
    std::byte{0x2a}, std::byte{0x86}, std::byte{0x48}, std::byte{0x82}, std::byte{0xf7},
    std::byte{0x12}, std::byte{0x01}, std::byte{0x02}, std::byte{0x02}};

// kMaxTokenSize bounds a whole SPNEGO token. Windows' Negotiate cbMaxToken is 48256 (65791
// with a large Kerberos MaxTokenSize, sspi-abi.md §8); NTLM tokens are far smaller.
inline constexpr size_t kMaxTokenSize = 65536 + 1024;
// kMaxMechTypes bounds MechTypeList; Windows offers 4-5 (spnego.md §3.2).
inline constexpr size_t kMaxMechTypes = 32;
// kMaxDepth: the deepest SPNEGO structure (InitialContextToken / [0] / NegTokenInit2 /
// [3] / NegHints / [0] / GeneralString) opens 6 constructed levels.
inline constexpr unsigned kMaxDepth = 8;

enum class NegState : uint8_t {
  kAcceptCompleted = 0,
  kAcceptIncomplete = 1,
  kReject = 2,
  kRequestMic = 3,
};

// NegTokenInit holds NegTokenInit and NegTokenInit2 (see the notes above).
struct NegTokenInit {
  std::vector<ByteSpan> mech_types;  // OID contents, in the peer's order
  // mech_type_list is the exact DER of MechTypeList (30 LL 06 ...) as received: the
  // mechListMIC input (spnego.md §6.1). Empty when an Init2 omitted mechTypes.
  ByteSpan mech_type_list;
  bool has_req_flags = false;
  std::optional<ByteSpan> mech_token;
  std::optional<ByteSpan> mech_list_mic;
  bool has_neg_hints = false;            // NegTokenInit2
  std::optional<ByteSpan> hint_name;     // GeneralString contents
  std::optional<ByteSpan> hint_address;  // never sent by Windows
};

struct NegTokenResp {
  std::optional<NegState> neg_state;
  std::optional<ByteSpan> supported_mech;  // OID contents
  std::optional<ByteSpan> response_token;
  std::optional<ByteSpan> mech_list_mic;
};

// ParseInitialContextToken parses a framed initiator token: 60 LL 06 06 2b 06 01 05 05 02
// a0 LL <NegTokenInit or NegTokenInit2>. False for anything else (another thisMech, a bare
// NegotiationToken, a negTokenResp inside the framing, trailing bytes, ...).
[[nodiscard]] bool ParseInitialContextToken(ByteSpan token, NegTokenInit* out);
// ParseNegTokenInitBody parses the NegTokenInit SEQUENCE itself (30 LL ...), without [0].
[[nodiscard]] bool ParseNegTokenInitBody(ByteSpan der, NegTokenInit* out);
// ParseNegTokenResp parses a bare negTokenResp: a1 LL 30 LL ... (spnego.md §1: tokens after
// the first are never framed).
[[nodiscard]] bool ParseNegTokenResp(ByteSpan token, NegTokenResp* out);

// EncodeMechTypeList writes 30 LL {06 LL oid}... for `oids` (OID contents).
Bytes EncodeMechTypeList(gsl::span<const ByteSpan> oids);
// EncodeInitialContextToken writes the framed NegTokenInit (or NegTokenInit2 when
// has_neg_hints is set; then mech_list_mic goes to [4]). mech_type_list, when non-empty, is
// written as is (it must be DER MechTypeList); otherwise mech_types is encoded.
Bytes EncodeInitialContextToken(const NegTokenInit& init);
// EncodeNegTokenResp writes a1 LL 30 LL with the fields present.
Bytes EncodeNegTokenResp(const NegTokenResp& resp);

// OidEquals compares OID contents.
bool OidEquals(ByteSpan a, ByteSpan b);
inline ByteSpan NtlmOid() { return ByteSpan(kNtlmOid); }

// IsRawNtlm: the token is a bare NTLMSSP message (starts with "NTLMSSP\0", MS-NLMP 2.2.1).
bool IsRawNtlm(ByteSpan token);

}  // namespace ocs::spnego
