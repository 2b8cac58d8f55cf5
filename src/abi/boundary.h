// boundary.h - helpers for the extern "C" entry points: the exception catch-all, and checks
// of caller-supplied strings and SecBufferDescs. Nothing here trusts a caller pointer beyond
// what the SSPI contract says it points at.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <new>
#include <optional>
#include <string>

#include "core/log.h"
#include "core/types.h"

namespace ocs::abi {

// Guard runs `f` and turns any exception into a status: std::bad_alloc ->
// SEC_E_INSUFFICIENT_MEMORY, anything else -> SEC_E_INTERNAL_ERROR. No exception crosses the
// C boundary.
template <typename F>
SECURITY_STATUS Guard(const char* fn, F&& f) noexcept {
  SECURITY_STATUS st;
  try {
    st = f();
  } catch (const std::bad_alloc&) {
    st = SEC_E_INSUFFICIENT_MEMORY;
  } catch (...) {
    st = SEC_E_INTERNAL_ERROR;
  }
  OCS_LOG(kDebug, "%s -> 0x%08x", fn, static_cast<unsigned>(st));
  return st;
}

// Longest caller string we read (package names, principals, targets), in characters.
constexpr size_t kMaxNameChars = 32767;
// Most buffers we accept in one SecBufferDesc.
constexpr ULONG kMaxBuffers = 64;

// ReadWide / ReadNarrow copy a NUL-terminated caller string (narrow = UTF-8) to UTF-16;
// std::nullopt for NULL or a string longer than kMaxNameChars.
std::optional<std::u16string> ReadWide(const SEC_WCHAR* s);
std::optional<std::u16string> ReadNarrow(const SEC_CHAR* s);

// ValidateDesc checks a SecBufferDesc: version, buffer count, pBuffers, and that no buffer
// claims bytes without a pointer (EMPTY/MISSING/EXTRA excepted: their cbBuffer is a count).
// `allocate_output` exempts SECBUFFER_TOKEN too (the library fills it). Returns SEC_E_OK or
// SEC_E_INVALID_TOKEN.
SECURITY_STATUS ValidateDesc(const SecBufferDesc* desc, bool allocate_output = false);

// FindBuffer returns the first buffer of `type` (attribute bits ignored), or nullptr.
SecBuffer* FindBuffer(const SecBufferDesc* desc, ULONG type);

// ValidateChannelBindings checks that the SEC_CHANNEL_BINDINGS header and every
// (offset, length) it names lie inside the buffer.
bool ValidateChannelBindings(const SecBuffer& b);

}  // namespace ocs::abi
