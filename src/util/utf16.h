// utf16.h - UTF-16LE helpers for NTLM ("Unicode" in MS-NLMP 2.2 = UTF-16LE, no BOM, no NUL).
//
// Upper-casing (UpcaseChar / UpperCase) follows Windows' RtlUpcaseUnicodeChar in spirit: a
// one-to-one, locale-independent map of single UTF-16 code units (no "ß" -> "SS" expansion, no
// Turkish rules). Covered ranges, which is what NTOWFv2 (MS-NLMP 3.3.2: Uppercase(User)) and
// case-insensitive user matching need for real account names:
//   * ASCII a-z;
//   * Latin-1: U+00E0..U+00FE except U+00F7 (-0x20), U+00FF -> U+0178;
//   * Latin Extended-A U+0100..U+017F (pairs even upper / odd lower, and U+0139..U+0148,
//     U+0179..U+017E odd upper / even lower); U+0131 (dotless i) and U+017F (long s) unchanged;
//   * Greek U+03B1..U+03C9 (-0x20) with final sigma U+03C2 -> U+03A3, and U+03AC..U+03AF,
//     U+03CC..U+03CE (accented vowels);
//   * Cyrillic U+0430..U+044F (-0x20), U+0450..U+045F (-0x50);
//   * Armenian U+0561..U+0586 (-0x30); fullwidth U+FF41..U+FF5A (-0x20).
// Everything else is returned unchanged (documented in docs/ntlm.md). U+00B5 (micro) is left
// unchanged as Windows' table does.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/types.h"

namespace ocs::util {

// U16ToLE returns the UTF-16LE bytes of `s` (no terminator).
Bytes U16ToLE(std::u16string_view s);
// U16ToLESecret is U16ToLE into a wiped-on-free buffer (passwords).
SecretBytes U16ToLESecret(std::u16string_view s);
// LEToU16 decodes UTF-16LE bytes; false for an odd byte count.
[[nodiscard]] bool LEToU16(ByteSpan b, std::u16string* out);

char16_t UpcaseChar(char16_t c);
std::u16string UpperCase(std::u16string_view s);
// EqualsIgnoreCase compares after UpcaseChar on both sides (Windows account-name matching).
bool EqualsIgnoreCase(std::u16string_view a, std::u16string_view b);

// Utf8ToUtf16 / Utf16ToUtf8: invalid sequences and unpaired surrogates become U+FFFD.
std::u16string Utf8ToUtf16(std::string_view s);
std::string Utf16ToUtf8(std::u16string_view s);

}  // namespace ocs::util
