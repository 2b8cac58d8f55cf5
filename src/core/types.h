// types.h - small vocabulary shared by every module of opencredssp.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <opencredssp/sspi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gsl/span>

namespace ocs {

using Bytes = std::vector<std::byte>;
using ByteSpan = gsl::span<const std::byte>;
using MutableByteSpan = gsl::span<std::byte>;

// PackageId names the three packages this library provides.
enum class PackageId { kNtlm, kNegotiate, kCredSsp };

// Role of a context: client (InitializeSecurityContext) or server (AcceptSecurityContext).
enum class Role { kClient, kServer };

// CharWidth says whether the caller came through a W (UTF-16) or A (narrow) entry point; it
// decides the string type of attributes handed back (SecPkgContext_NamesW vs NamesA, ...).
enum class CharWidth { kWide, kAnsi };

// True for SEC_E_OK and every SEC_I_* code.
constexpr bool Succeeded(SECURITY_STATUS s) { return s >= 0; }

inline ByteSpan AsBytes(const void* p, size_t n) {
  return ByteSpan(static_cast<const std::byte*>(p), n);
}

}  // namespace ocs
