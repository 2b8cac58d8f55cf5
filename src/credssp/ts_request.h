// ts_request.h - DER codec for the CredSSP messages of MS-CSSP 2.2.1:
//
//   TSRequest ::= SEQUENCE {
//           version     [0] INTEGER,
//           negoTokens  [1] NegoData OPTIONAL,
//           authInfo    [2] OCTET STRING OPTIONAL,
//           pubKeyAuth  [3] OCTET STRING OPTIONAL,
//           errorCode   [4] INTEGER OPTIONAL,
//           clientNonce [5] OCTET STRING OPTIONAL }
//   NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }
//   TSCredentials ::= SEQUENCE { credType [0] INTEGER, credentials [1] OCTET STRING }
//   TSPasswordCreds ::= SEQUENCE { domainName [0] OCTET STRING, userName [1] OCTET STRING,
//                                  password [2] OCTET STRING }
//   TSSmartCardCreds ::= SEQUENCE { pin [0] OCTET STRING, cspData [1] TSCspDataDetail,
//                                   userHint [2] OCTET STRING OPTIONAL,
//                                   domainHint [3] OCTET STRING OPTIONAL }
//   TSCspDataDetail ::= SEQUENCE { keySpec [0] INTEGER, cardName [1] OCTET STRING OPTIONAL,
//                                  readerName [2] OCTET STRING OPTIONAL,
//                                  containerName [3] OCTET STRING OPTIONAL,
//                                  cspName [4] OCTET STRING OPTIONAL }
//   TSRemoteGuardCreds ::= SEQUENCE { logonCred [0] TSRemoteGuardPackageCred,
//                                     supplementalCreds [1] SEQUENCE OF
//                                         TSRemoteGuardPackageCred OPTIONAL }
//   TSRemoteGuardPackageCred ::= SEQUENCE { packageName [0] OCTET STRING,
//                                           credBuffer [1] OCTET STRING }
//
// All tags are EXPLICIT (credssp.md 2). Decoders are strict DER (src/asn1/der.h), bounded
// (kMaxTsRequest), reject unknown or out-of-order fields and trailing bytes.
// Interop notes:
//  * errorCode is an NTSTATUS in a signed INTEGER: we emit the 4-byte signed form (FreeRDP,
//    Windows captures: a4 06 02 04 c0 00 00 6d) and accept the 5-byte unsigned form too
//    (pyspnego), keeping the low 32 bits.
//  * negoTokens: Windows sends exactly one; we accept one or more and keep them all (the state
//    machine uses the first, pyspnego iterates). An empty NegoData is refused.
//  * clientNonce must be exactly 32 bytes (sspi-rs refuses other lengths).
//  * String fields are UTF-16LE without terminator (MS-CSSP <6>, <9>, <13>-<20>); an odd
//    byte count is refused.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/secret.h"
#include "core/types.h"

namespace ocs::credssp {

// Bounds: larger inputs are refused before any parsing.
inline constexpr size_t kMaxTsRequest = 256 * 1024;
inline constexpr size_t kNonceSize = 32;

struct TsRequest {
  uint32_t version = 0;  // the sender's version (2..), values above 2^31-1 refused
  std::vector<Bytes> nego_tokens;
  std::optional<Bytes> auth_info;
  std::optional<Bytes> pub_key_auth;
  std::optional<uint32_t> error_code;  // NTSTATUS bits
  std::optional<Bytes> client_nonce;   // exactly kNonceSize bytes when present
};

// DecodeTsRequest parses one whole TSRequest (no trailing bytes). False on any violation.
[[nodiscard]] bool DecodeTsRequest(ByteSpan der, TsRequest* out);
// EncodeTsRequest writes `req` as DER. Fields are written in tag order; absent ones omitted.
Bytes EncodeTsRequest(const TsRequest& req);

// TsRequestSize looks at the outer SEQUENCE header of a (possibly partial) TSRequest:
// returns the total encoded size, 0 when the header itself is not complete yet, or SIZE_MAX if
// the bytes cannot start a TSRequest (wrong tag, bad length form, over kMaxTsRequest).
size_t TsRequestSize(ByteSpan prefix);

enum CredType : uint32_t { kPassword = 1, kSmartCard = 2, kRemoteGuard = 6 };

// UTF-16LE byte strings, kept as received.
struct PasswordCreds {
  SecretBytes domain;
  SecretBytes user;
  SecretBytes password;
};

struct SmartCardCreds {
  SecretBytes pin;
  int32_t key_spec = 0;
  std::optional<Bytes> card_name, reader_name, container_name, csp_name;
  std::optional<Bytes> user_hint, domain_hint;
};

struct PackageCred {
  Bytes package_name;       // UTF-16LE
  SecretBytes cred_buffer;  // opaque to CredSSP
};

struct RemoteGuardCreds {
  PackageCred logon;
  std::optional<std::vector<PackageCred>> supplemental;
};

struct TsCredentials {
  uint32_t cred_type = 0;  // CredType; selects the member below
  PasswordCreds password;
  SmartCardCreds smart_card;
  RemoteGuardCreds remote_guard;
};

// DecodeTsCredentials parses TSCredentials and its inner structure (chosen by credType; an
// unknown credType is refused). EncodeTsCredentials writes it into wiped-on-free memory.
[[nodiscard]] bool DecodeTsCredentials(ByteSpan der, TsCredentials* out);
SecretBytes EncodeTsCredentials(const TsCredentials& creds);

}  // namespace ocs::credssp
