// boundary.cpp - see boundary.h.
// SPDX-License-Identifier: Apache-2.0
#include "abi/boundary.h"

#include <cstring>

#include "core/identity.h"

namespace ocs::abi {

std::optional<std::u16string> ReadWide(const SEC_WCHAR* s) {
  if (s == nullptr) return std::nullopt;
  size_t n = 0;
  // SAFETY: the caller promises a NUL-terminated string; we stop at kMaxNameChars regardless.
  while (n <= kMaxNameChars && s[n] != 0) ++n;
  if (n > kMaxNameChars) return std::nullopt;
  std::u16string out(n, u'\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char16_t>(s[i]);
  return out;
}

std::optional<std::u16string> ReadNarrow(const SEC_CHAR* s) {
  if (s == nullptr) return std::nullopt;
  size_t n = 0;
  // SAFETY: as ReadWide.
  while (n <= kMaxNameChars * 3 && s[n] != '\0') ++n;
  if (n > kMaxNameChars * 3) return std::nullopt;
  return Utf8ToUtf16(std::string_view(s, n));
}

SECURITY_STATUS ValidateDesc(const SecBufferDesc* desc, bool allocate_output) {
  if (desc == nullptr) return SEC_E_INVALID_TOKEN;
  if (desc->ulVersion != SECBUFFER_VERSION) return SEC_E_INVALID_TOKEN;
  if (desc->cBuffers > kMaxBuffers) return SEC_E_INVALID_TOKEN;
  if (desc->cBuffers > 0 && desc->pBuffers == nullptr) return SEC_E_INVALID_TOKEN;
  for (ULONG i = 0; i < desc->cBuffers; ++i) {
    const SecBuffer& b = desc->pBuffers[i];
    const ULONG type = b.BufferType & ~static_cast<ULONG>(SECBUFFER_ATTRMASK);
    if (b.cbBuffer == 0 || b.pvBuffer != nullptr) continue;
    if (type == SECBUFFER_EMPTY || type == SECBUFFER_MISSING || type == SECBUFFER_EXTRA) continue;
    if (allocate_output && type == SECBUFFER_TOKEN) continue;
    return SEC_E_INVALID_TOKEN;
  }
  return SEC_E_OK;
}

SecBuffer* FindBuffer(const SecBufferDesc* desc, ULONG type) {
  if (desc == nullptr || desc->pBuffers == nullptr) return nullptr;
  for (ULONG i = 0; i < desc->cBuffers; ++i) {
    if ((desc->pBuffers[i].BufferType & ~static_cast<ULONG>(SECBUFFER_ATTRMASK)) == type) {
      return &desc->pBuffers[i];
    }
  }
  return nullptr;
}

bool ValidateChannelBindings(const SecBuffer& b) {
  if (b.cbBuffer < sizeof(SEC_CHANNEL_BINDINGS) || b.pvBuffer == nullptr) return false;
  SEC_CHANNEL_BINDINGS cb;
  std::memcpy(&cb, b.pvBuffer, sizeof cb);
  const uint64_t size = b.cbBuffer;
  auto inside = [size](ULONG off, ULONG len) {
    return len == 0 || static_cast<uint64_t>(off) + len <= size;
  };
  return inside(cb.dwInitiatorOffset, cb.cbInitiatorLength) &&
         inside(cb.dwAcceptorOffset, cb.cbAcceptorLength) &&
         inside(cb.dwApplicationDataOffset, cb.cbApplicationDataLength);
}

}  // namespace ocs::abi
