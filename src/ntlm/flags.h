// flags.h - MS-NLMP 2.2.2.5 NegotiateFlags, AV_PAIR ids (2.2.2.1) and message constants.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>

namespace ocs::ntlm {

constexpr uint32_t kNegotiateUnicode = 0x00000001;                // A
constexpr uint32_t kNegotiateOem = 0x00000002;                    // B
constexpr uint32_t kRequestTarget = 0x00000004;                   // C
constexpr uint32_t kNegotiateSign = 0x00000010;                   // D
constexpr uint32_t kNegotiateSeal = 0x00000020;                   // E
constexpr uint32_t kNegotiateDatagram = 0x00000040;               // F
constexpr uint32_t kNegotiateLmKey = 0x00000080;                  // G
constexpr uint32_t kNegotiateNtlm = 0x00000200;                   // H
constexpr uint32_t kNegotiateAnonymous = 0x00000800;              // J
constexpr uint32_t kNegotiateOemDomainSupplied = 0x00001000;      // K
constexpr uint32_t kNegotiateOemWorkstationSupplied = 0x00002000; // L
constexpr uint32_t kNegotiateAlwaysSign = 0x00008000;             // M
constexpr uint32_t kTargetTypeDomain = 0x00010000;                // N
constexpr uint32_t kTargetTypeServer = 0x00020000;                // O
constexpr uint32_t kNegotiateExtendedSessionSecurity = 0x00080000;// P
constexpr uint32_t kNegotiateIdentify = 0x00100000;               // Q
constexpr uint32_t kRequestNonNtSessionKey = 0x00400000;          // R
constexpr uint32_t kNegotiateTargetInfo = 0x00800000;             // S
constexpr uint32_t kNegotiateVersion = 0x02000000;                // T
constexpr uint32_t kNegotiate128 = 0x20000000;                    // U
constexpr uint32_t kNegotiateKeyExch = 0x40000000;                // V
constexpr uint32_t kNegotiate56 = 0x80000000;                     // W

enum class MessageType : uint32_t { kNegotiate = 1, kChallenge = 2, kAuthenticate = 3 };

// AV_PAIR AvId values (MS-NLMP 2.2.2.1).
enum AvId : uint16_t {
  kAvEol = 0x0000,
  kAvNbComputerName = 0x0001,
  kAvNbDomainName = 0x0002,
  kAvDnsComputerName = 0x0003,
  kAvDnsDomainName = 0x0004,
  kAvDnsTreeName = 0x0005,
  kAvFlags = 0x0006,
  kAvTimestamp = 0x0007,
  kAvSingleHost = 0x0008,
  kAvTargetName = 0x0009,
  kAvChannelBindings = 0x000A,
};

// MsvAvFlags bits.
constexpr uint32_t kAvFlagConstrained = 0x00000001;
constexpr uint32_t kAvFlagMicPresent = 0x00000002;
constexpr uint32_t kAvFlagUntrustedSpn = 0x00000004;

constexpr uint8_t kSignature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

// Largest token we accept or produce. Field lengths are 16-bit, so no valid message can
// exceed 64 KiB of payload plus its header; anything longer is refused before parsing.
constexpr size_t kMaxMessageSize = 65535;
// SECPKG_ATTR_SIZES / SecPkgInfo cbMaxToken of Windows' NTLM (sspi-abi.md §8).
constexpr uint32_t kMaxTokenSizeReported = 2888;
constexpr size_t kSignatureSize = 16;

}  // namespace ocs::ntlm
