// identity.h - a client's password identity, as parsed from SEC_WINNT_AUTH_IDENTITY_W/A,
// SEC_WINNT_AUTH_IDENTITY_EXW/EXA (and the pSpnegoCred of CREDSSP_CRED).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "core/secret.h"
#include "core/types.h"

namespace ocs {

struct AuthIdentity {
  std::u16string user;    // as given, e.g. "alice" (DOMAIN\user and user@domain are split by
  std::u16string domain;  // ParseAuthIdentity: see identity.cpp)
  SecretU16 password;
  ULONG flags = 0;  // SEC_WINNT_AUTH_IDENTITY_* flags as given
};

// ParseAuthIdentity reads a SEC_WINNT_AUTH_IDENTITY_{W,A} or SEC_WINNT_AUTH_IDENTITY_EX{W,A}
// from caller memory. The form is chosen by the first ULONG (0x200 = EX) and the string type
// by the ANSI/UNICODE flag (falling back to `width` when neither is set). A user name of the
// form DOMAIN\user or user@domain with an empty domain is split. Returns SEC_E_OK,
// SEC_E_UNKNOWN_CREDENTIALS for a malformed structure (NULL pointer with a non-zero length,
// length over 256/256/512 characters) or SEC_E_INSUFFICIENT_MEMORY.
SECURITY_STATUS ParseAuthIdentity(const void* auth_data, CharWidth width, AuthIdentity* out);

// Utf16ToUtf8 / Utf8ToUtf16: strict conversions (unpaired surrogates / invalid UTF-8 are
// replaced by U+FFFD). Narrow strings at the A entry points are taken as UTF-8.
std::string Utf16ToUtf8(std::u16string_view s);
std::u16string Utf8ToUtf16(std::string_view s);

}  // namespace ocs
